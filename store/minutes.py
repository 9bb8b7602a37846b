"""The minutes' queries: what a held meeting's minutes are drafted from, minute numbers, and every version kept."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from store import db
from store.models import (
    Action, Attendance, Declaration, Meeting, MeetingItem, MeetingNote, MeetingRecord, Member, Membership,
    MinutesStatus, MinutesVersion, Organisation, PlanItem, Role,
)


class RaisedAction(NamedTuple):
    """An action raised at a meeting, against the item it arose from."""

    item_id: int
    ref: int
    text: str
    owner: str
    due: dt.date | None


class Present(NamedTuple):
    """A row of the meeting's attendance, with the names the minutes print."""

    name: str
    organisation: str
    role: str  # the member's role on the board ("chair"), "" for anyone else
    presence: str | None
    reply: str | None
    substitute_for: str  # the member a substitute stood in for
    substitute_named: str  # the substitute a member named in their reply


def lock_record(*, session: Session, record: MeetingRecord) -> None:
    """Lock a meeting's record until commit: its minutes change one version at a time."""
    db.lock_rows(session, MeetingRecord, MeetingRecord.id == record.id)
    session.refresh(record)


def next_minute_seq(*, session: Session, board_id: int, year: int) -> int:
    """The board's next running minute number in `year`."""
    last = session.scalar(select(func.max(MeetingItem.minute_seq)).where(MeetingItem.board_id == board_id,
                                                                          MeetingItem.minute_year == year))
    return (last or 0) + 1


def items_by_minute(*, session: Session, minute_number: str) -> list[MeetingItem]:
    """Every item (of any board) whose minute number is `minute_number`, ignoring case."""
    return list(session.scalars(select(MeetingItem).where(
        func.lower(MeetingItem.minute_number) == minute_number.strip().lower())))


def notes_by_item(*, session: Session, meeting_id: int) -> dict[int, list[str]]:
    """The notes taken against each item of a meeting, in the order they were written."""
    out: dict[int, list[str]] = defaultdict(list)
    for item_id, text in session.execute(
            select(MeetingNote.item_id, MeetingNote.text).join(MeetingItem, MeetingItem.id == MeetingNote.item_id)
            .where(MeetingItem.meeting_id == meeting_id).order_by(MeetingNote.created_at, MeetingNote.id)):
        out[item_id].append(text)
    return dict(out)


def attendance_of(*, session: Session, meeting: Meeting) -> list[Present]:
    """Everyone with an attendance row for the meeting, with their organisation and role on its board."""
    member, stood_for, named = aliased(Member), aliased(Member), aliased(Member)
    org, member_org = aliased(Organisation), aliased(Organisation)
    seat = (Membership.member_id == Attendance.member_id) & (Membership.board_id == meeting.board_id)
    rows = session.execute(
        select(Attendance, member.display_name, org.name, member_org.name, Membership.role, stood_for.display_name,
               named.display_name)
        .outerjoin(member, member.id == Attendance.member_id)
        .outerjoin(org, org.id == Attendance.organisation_id)
        .outerjoin(Membership, seat)
        .outerjoin(member_org, member_org.id == Membership.organisation_id)
        .outerjoin(stood_for, stood_for.id == Attendance.substitute_for_id)
        .outerjoin(named, named.id == Attendance.substitute_member_id)
        .where(Attendance.meeting_id == meeting.id).order_by(Attendance.id))
    out = []
    for row, name, organisation, seat_organisation, role, substitute_for, substitute_member in rows:
        role_word = role.value if isinstance(role, Role) and role != Role.MEMBER else ""
        out.append(Present(name=name or row.name, organisation=organisation or seat_organisation or "",
                           role=role_word.replace("_", "-"), presence=row.presence, reply=row.reply,
                           substitute_for=substitute_for or "",
                           substitute_named=substitute_member or row.substitute_name or ""))
    return out


def declarations_of(*, session: Session, meeting_id: int) -> list[tuple[Declaration, MeetingItem]]:
    """The declarations made at a meeting, with their items, in the items' order."""
    return [(d, i) for d, i in session.execute(
        select(Declaration, MeetingItem).join(MeetingItem, MeetingItem.id == Declaration.item_id)
        .where(Declaration.meeting_id == meeting_id).order_by(MeetingItem.number, Declaration.id))]


def actions_raised(*, session: Session, item_ids: list[int]) -> dict[int, list[RaisedAction]]:
    """The actions that arose from each of these items, by reference."""
    out: dict[int, list[RaisedAction]] = defaultdict(list)
    if not item_ids:
        return {}
    for item_id, ref, text, owner, due in session.execute(
            select(Action.meeting_item_id, Action.ref, Action.text, Member.display_name, Action.due_date)
            .join(Member, Member.id == Action.owner_id)
            .where(Action.meeting_item_id.in_(item_ids)).order_by(Action.ref)):
        if item_id is not None:
            out[item_id].append(RaisedAction(item_id, ref, text, owner, due))
    return dict(out)


def latest_version(*, session: Session, meeting_id: int) -> MinutesVersion | None:
    return session.scalar(select(MinutesVersion).where(MinutesVersion.meeting_id == meeting_id)
                          .order_by(MinutesVersion.version.desc()).limit(1))


def versions_of(*, session: Session, meeting_id: int) -> list[MinutesVersion]:
    """Every version of a meeting's minutes, oldest first."""
    return list(session.scalars(select(MinutesVersion).where(MinutesVersion.meeting_id == meeting_id)
                                .order_by(MinutesVersion.version)))


def add_version(*, session: Session, meeting_id: int, kind: str, content: dict[str, Any], markdown: str, by: str,
                now: dt.datetime, note: str | None = None, at_meeting_id: int | None = None) -> MinutesVersion:
    """Keep a new version of a meeting's minutes (the caller holds the record's lock)."""
    last = latest_version(session=session, meeting_id=meeting_id)
    version = MinutesVersion(meeting_id=meeting_id, version=(last.version + 1) if last else 1, kind=kind,
                             content=content, markdown=markdown, note=note, at_meeting_id=at_meeting_id,
                             created_at=now, created_by=by)
    session.add(version)
    session.flush()
    return version


def minuted_records(*, session: Session, board_id: int) -> list[tuple[MeetingRecord, Meeting]]:
    """The board's meetings whose minutes are drafted, newest first."""
    return [(r, m) for r, m in session.execute(
        select(MeetingRecord, Meeting).join(Meeting, Meeting.id == MeetingRecord.meeting_id)
        .where(MeetingRecord.board_id == board_id, MeetingRecord.minutes_status.is_not(None))
        .order_by(Meeting.date.desc()))]


def record_before(*, session: Session, board_id: int, before: dt.date) -> tuple[MeetingRecord, Meeting] | None:
    """The last meeting held in meeting mode before a date, with minutes drafted, if any."""
    row = session.execute(
        select(MeetingRecord, Meeting).join(Meeting, Meeting.id == MeetingRecord.meeting_id)
        .where(MeetingRecord.board_id == board_id, Meeting.date < before, MeetingRecord.minutes_status.is_not(None))
        .order_by(Meeting.date.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def uncirculated(*, session: Session, board_id: int) -> list[tuple[MeetingRecord, Meeting]]:
    """The board's meetings whose minutes are drafted and not yet circulated (or confirmed), oldest first."""
    return [(r, m) for r, m in session.execute(
        select(MeetingRecord, Meeting).join(Meeting, Meeting.id == MeetingRecord.meeting_id)
        .where(MeetingRecord.board_id == board_id, MeetingRecord.minutes_status == MinutesStatus.DRAFT.value)
        .order_by(Meeting.date))]


def urgent_reasons(*, session: Session, plan_item_ids: list[int]) -> dict[int, str]:
    """The chair's reason for each of these plan items taken as urgent (those that were), by plan item id."""
    if not plan_item_ids:
        return {}
    rows = session.execute(select(PlanItem.id, PlanItem.urgent_reason).where(PlanItem.id.in_(plan_item_ids),
                                                                           PlanItem.urgent_reason.is_not(None)))
    return {row.id: row.urgent_reason for row in rows if row.urgent_reason}


def items_by_id(*, session: Session, item_ids: list[int]) -> dict[int, MeetingItem]:
    """Meeting items by id (the items that raised the actions an agenda reviews)."""
    if not item_ids:
        return {}
    return {i.id: i for i in session.scalars(select(MeetingItem).where(MeetingItem.id.in_(item_ids)))}
