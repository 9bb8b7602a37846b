"""A meeting held in meeting mode, built with the ORM models directly (as meeting mode would leave it when it ends):
its record, items with outcomes and notes, attendance, declarations, and actions raised against its items. Shared
by the minutes' tests and bench/bench_minutes.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import (
    Action, Attendance, Board, Declaration, Meeting, MeetingItem, MeetingNote, MeetingRecord, Member, Membership,
    Presence,
)

# (key, title, lead, outcome, decision, notes)
ITEMS: list[tuple[str, str, str, str | None, str | None, list[str]]] = [
    ("welcome", "", "Julian Bell", "noted", None, []),
    ("action_review", "", "Chair", "agreed", None, ["The minutes of the last meeting were agreed as a true record."]),
    ("plan", "Skills strategy", "LB Ealing", "agreed", "Partners sign the LSP commitment",
     ["The skills lead presented the strategy.", "Partners asked for quarterly figures."]),
    ("plan", "Youth violence", "Metropolitan Police", "deferred", None, ["Report not ready."]),
    ("plan", "Community hubs", "Southall Community Alliance", None, None, []),  # not reached
    ("aob", "", "", None, None, []),
]


@dataclass
class HeldMeeting:
    board_id: int
    meeting_id: int
    record_id: int
    item_ids: list[int] = field(default_factory=list)
    action_refs: list[int] = field(default_factory=list)


def hold_meeting(session: Session, board: Board, day: dt.date, *, now: dt.datetime,
                 items: list[tuple[str, str, str, str | None, str | None, list[str]]] | None = None,
                 actions: int = 2, declarations: int = 1, guests: int = 1, quorate: bool | None = True,
                 closed: bool = True) -> HeldMeeting:
    """Hold `board`'s meeting on `day` (made if it is not planned): its members present but the last one (apologies,
    with a substitute who came), `guests` in attendance, `declarations` declarations, `actions` actions raised
    spread over the items, and the record closed (or, `closed=False`, still open)."""
    meeting = session.scalar(select(Meeting).where(Meeting.board_id == board.id, Meeting.date == day))
    if meeting is None:
        meeting = Meeting(board_id=board.id, date=day, venue="Perceval House", created_at=now,
                          starts_at=dt.datetime.combine(day, dt.time(10), now.tzinfo))
        session.add(meeting)
        session.flush()
    opened = dt.datetime.combine(day, dt.time(10, 2), now.tzinfo)
    record = MeetingRecord(meeting_id=meeting.id, board_id=board.id, opened_at=opened, opened_by="USECRET",
                           closed_at=opened + dt.timedelta(hours=1, minutes=43) if closed else None,
                           closed_by="USECRET" if closed else None, channel_id=board.channel_id, ts="1.0",
                           attendance_recorded_at=opened, quorate=quorate)
    session.add(record)
    seats = list(session.execute(select(Membership, Member).join(Member, Member.id == Membership.member_id)
                                 .where(Membership.board_id == board.id, Membership.left_at.is_(None))
                                 .order_by(Membership.id)))
    for n, (seat, member) in enumerate(seats):
        away = n == len(seats) - 1 and len(seats) > 1
        session.add(Attendance(meeting_id=meeting.id, member_id=member.id, name=member.display_name,
                               organisation_id=seat.organisation_id, reply="substitute" if away else "attending",
                               substitute_name="Sam Deputy" if away else None,
                               presence=Presence.APOLOGIES.value if away else Presence.PRESENT.value,
                               recorded_at=opened, recorded_by="USECRET"))
        if away:
            session.add(Attendance(meeting_id=meeting.id, member_id=None, name="Sam Deputy",
                                   organisation_id=seat.organisation_id, substitute_for_id=member.id,
                                   presence=Presence.PRESENT.value, recorded_at=opened, recorded_by="USECRET"))
    for g in range(guests):
        session.add(Attendance(meeting_id=meeting.id, member_id=None, name=f"Officer {g + 1}",
                               presence=Presence.IN_ATTENDANCE.value, recorded_at=opened, recorded_by="USECRET"))
    session.flush()
    held = HeldMeeting(board.id, meeting.id, record.id)
    for number, (key, title, lead, outcome, decision, notes) in enumerate(items or ITEMS, start=1):
        item = MeetingItem(meeting_id=meeting.id, board_id=board.id, number=number, key=key, title=title, lead=lead,
                           kind="for decision" if key == "plan" else "", ref="", outcome=outcome, decision=decision,
                           outcome_by="USECRET" if outcome else None, outcome_at=opened if outcome else None)
        session.add(item)
        session.flush()
        held.item_ids.append(item.id)
        for k, text in enumerate(notes):
            session.add(MeetingNote(item_id=item.id, author="USECRET", text=text,
                                    created_at=opened + dt.timedelta(minutes=number * 5 + k)))
    owners = [member for _, member in seats] or []
    decided = [i for i, it in zip(held.item_ids, items or ITEMS, strict=True) if it[0] == "plan"] or held.item_ids
    for d in range(declarations):
        person = owners[d % len(owners)]
        session.add(Declaration(meeting_id=meeting.id, item_id=decided[d % len(decided)], member_id=person.id,
                                name=person.display_name, interest=f"Trustee of the Southall Trust ({d + 1})",
                                left_room=d % 2 == 0, recorded_by="USECRET", recorded_at=opened))
    for a in range(actions):
        ref = board.next_action_ref
        board.next_action_ref += 1
        owner = owners[a % len(owners)]
        session.add(Action(board_id=board.id, ref=ref, text=f"Send the partners the skills figures ({a + 1})",
                           owner_id=owner.id, due_date=day + dt.timedelta(days=14 + a), meeting_id=meeting.id,
                           meeting_item_id=decided[a % len(decided)], created_by_id=owners[0].id,
                           created_at=opened, updated_at=opened))
        held.action_refs.append(ref)
    session.flush()
    return held


def minuted_meetings(session: Session, notify: Any, now: dt.datetime) -> None:
    """The only board's meetings of 4 and 11 July 2019 held, their minutes drafted (LSP/19/1–6 and LSP/19/7–12), the
    first confirmed (at the second): what the minutes commands act on in the permission test."""
    from handlers.minutes import confirm_minutes, draft_minutes

    board = session.scalars(select(Board)).one()
    first = hold_meeting(session, board, dt.date(2019, 7, 4), now=now, actions=0)
    second = hold_meeting(session, board, dt.date(2019, 7, 11), now=now, actions=0)
    meetings = [session.get_one(Meeting, h.meeting_id) for h in (first, second)]
    for meeting in meetings:
        draft_minutes(session, notify, board, meeting, now)
    record = session.get_one(MeetingRecord, first.record_id)
    confirm_minutes(session, notify, board, record, meetings[0], "lspbot", now, at_meeting=meetings[1])
