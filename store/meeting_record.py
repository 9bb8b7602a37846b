"""A meeting held in meeting mode: its record (open or closed), its items as taken, in order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store import db, outbox, rows
from store.models import (Attendance, AttendanceReply, Declaration, Meeting, MeetingItem, MeetingNote,
                          MeetingRecord, PlanItem)


def open_record(*, session: Session, board_id: int) -> MeetingRecord | None:
    """The board's meeting open now, if one is (there is at most one)."""
    return session.scalar(select(MeetingRecord).where(MeetingRecord.board_id == board_id,
                                                      MeetingRecord.closed_at.is_(None)))


_OPEN = (MeetingRecord.board_id == bindparam("board")) & MeetingRecord.closed_at.is_(None)
_OPEN_MEETING = select(MeetingRecord.meeting_id).where(_OPEN).scalar_subquery()
_OPEN_ITEM = (select(MeetingItem.id).join(MeetingRecord, MeetingRecord.meeting_id == MeetingItem.meeting_id)
              .where(_OPEN, MeetingItem.number == func.coalesce(bindparam("number", type_=Integer),
                                                                MeetingRecord.last_item))
              .scalar_subquery())
_RECENT = (select(Meeting.id).where(Meeting.board_id == bindparam("board"), Meeting.date >= bindparam("since"),
                                    Meeting.date <= bindparam("until"))
           .order_by(Meeting.date.desc()).limit(1).scalar_subquery())
# What an action recorded now arose from, as SQL for the statement that stores it (so finding it costs no
# statement of its own), its parameters `board`, `number`, `since` and `until`: while the board's meeting is open,
# that meeting and its item `number` (None: the item last given an outcome, a note or a declaration; none before
# any); with none open, the latest meeting held from `since` to `until` (days), if there was one.
ARISING_MEETING = func.coalesce(_OPEN_MEETING, _RECENT)
ARISING_ITEM = _OPEN_ITEM
_OPEN_ORIGIN = select(_OPEN_MEETING, _OPEN_ITEM)  # built once


def open_origin(*, session: Session, board_id: int, number: int) -> tuple[int | None, int | None]:
    """The board's meeting open now (None: none is) and its item `number` (None: not on its agenda), in one
    statement."""
    meeting_id, item_id = rows.read_rows(session, _OPEN_ORIGIN, {"board": board_id, "number": number}).one()
    return meeting_id, item_id


def record_of(*, session: Session, meeting_id: int) -> MeetingRecord | None:
    """The record of a meeting held in meeting mode (open or closed), if it was."""
    return session.scalar(select(MeetingRecord).where(MeetingRecord.meeting_id == meeting_id))


def items_of(*, session: Session, meeting_id: int) -> list[MeetingItem]:
    """A meeting's items as taken, in the agenda's order."""
    return list(session.scalars(select(MeetingItem).where(MeetingItem.meeting_id == meeting_id)
                                .order_by(MeetingItem.number)))


def item_by_number(*, session: Session, meeting_id: int, number: int) -> MeetingItem | None:
    """Item `number` of a meeting's agenda, as taken."""
    return session.scalar(select(MeetingItem).where(MeetingItem.meeting_id == meeting_id,
                                                    MeetingItem.number == number))


# ---------------------------------------------------------------- opening and closing


def open_meeting(*, session: Session, board_id: int, meeting_id: int, by: str, now: dt.datetime,
                 channel_id: str) -> MeetingRecord | None:
    """Open the meeting's record; None if the board already has one open (the partial unique index
    `ux_meeting_records_open` decides, so two replicas cannot both open one) or the meeting was held already."""
    record = MeetingRecord(meeting_id=meeting_id, board_id=board_id, opened_at=now, opened_by=by,
                           channel_id=channel_id)
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        return None
    return record


def add_items(*, session: Session, record: MeetingRecord, items: Sequence[dict[str, Any]]) -> list[MeetingItem]:
    """Copy the agenda's items (number, key, title, lead, kind, ref, plan_item_id) onto the meeting, in order."""
    rows = [MeetingItem(meeting_id=record.meeting_id, board_id=record.board_id, **item) for item in items]
    session.add_all(rows)
    session.flush()
    return rows


def close_meeting(*, record: MeetingRecord, by: str, now: dt.datetime) -> None:
    """Close an open meeting."""
    record.closed_at = now
    record.closed_by = by


def open_records(*, session: Session, board_id: int) -> list[MeetingRecord]:
    """The board's meetings open now (at most one), for the job that closes those left open."""
    return list(session.scalars(select(MeetingRecord).where(MeetingRecord.board_id == board_id,
                                                            MeetingRecord.closed_at.is_(None))))


def lock_record(*, session: Session, record: MeetingRecord) -> MeetingRecord | None:
    """The record again, locked until the unit of work ends (two people closing it, or one closing while
    another records an outcome, wait for each other); None if it was closed meanwhile."""
    db.lock_rows(session, MeetingRecord, MeetingRecord.id == record.id)
    session.refresh(record)
    return record if record.closed_at is None else None


# ---------------------------------------------------------------- where Slack put the messages


def message_key(meeting_id: int) -> str:
    """The outbox key of the meeting's message in the board's channel (its thread holds the items)."""
    return f"meeting:{meeting_id}"


def item_key(meeting_id: int, number: int) -> str:
    """The outbox key of an item's message in the meeting's thread."""
    return f"meeting:{meeting_id}:item:{number}"


def record_posted(*, session: Session, record: MeetingRecord, items: Sequence[MeetingItem]) -> None:
    """Note on the rows where Slack put the meeting's message and its items' (once the sender has posted them)."""
    wanted = [message_key(record.meeting_id)] if record.ts is None else []
    wanted += [item_key(record.meeting_id, i.number) for i in items if i.ts is None]
    found = outbox.posted(session=session, keys=wanted)
    if record.ts is None and message_key(record.meeting_id) in found:
        record.ts = found[message_key(record.meeting_id)].ts
    for item in items:
        if item.ts is None and item_key(record.meeting_id, item.number) in found:
            item.ts = found[item_key(record.meeting_id, item.number)].ts


# ---------------------------------------------------------------- what happens to an item


def set_outcome(*, item: MeetingItem, outcome: str, decision: str | None, by: str, now: dt.datetime) -> None:
    item.outcome = outcome
    item.decision = decision
    item.outcome_by = by
    item.outcome_at = now


def add_note(*, session: Session, item: MeetingItem, author: str, text: str, now: dt.datetime) -> MeetingNote:
    note = MeetingNote(item_id=item.id, author=author, text=text, created_at=now)
    session.add(note)
    session.flush()
    return note


def notes_of(*, session: Session, item_ids: Sequence[int]) -> dict[int, list[MeetingNote]]:
    """Each item's notes, oldest first."""
    out: dict[int, list[MeetingNote]] = {i: [] for i in item_ids}
    if item_ids:
        for note in session.scalars(select(MeetingNote).where(MeetingNote.item_id.in_(list(item_ids)))
                                    .order_by(MeetingNote.id)):
            out[note.item_id].append(note)
    return out


def add_declaration(*, session: Session, item: MeetingItem, member_id: int | None, name: str, interest: str,
                    left_room: bool, by: str, now: dt.datetime) -> Declaration:
    row = Declaration(meeting_id=item.meeting_id, item_id=item.id, member_id=member_id, name=name, interest=interest,
                      left_room=left_room, recorded_by=by, recorded_at=now)
    session.add(row)
    session.flush()
    return row


def plan_items_of(*, session: Session, items: Sequence[MeetingItem]) -> dict[int, PlanItem]:
    """The forward-plan rows the items came from, by id (one query for them all)."""
    ids = [i.plan_item_id for i in items if i.plan_item_id]
    return {p.id: p for p in session.scalars(select(PlanItem).where(PlanItem.id.in_(ids)))} if ids else {}


def declarations_of(*, session: Session, meeting_id: int) -> list[Declaration]:
    """A meeting's declarations, in the order they were made."""
    return list(session.scalars(select(Declaration).where(Declaration.meeting_id == meeting_id)
                                .order_by(Declaration.id)))


def touch(*, record: MeetingRecord, item: MeetingItem) -> None:
    """Note the item as the one the meeting is on (given an outcome, a note or a declaration)."""
    record.last_item = item.number


# ---------------------------------------------------------------- who was there


def attendance_of(*, session: Session, meeting_id: int) -> list[Attendance]:
    """Every row of a meeting's attendance (replies before it and presence at it)."""
    return list(session.scalars(select(Attendance).where(Attendance.meeting_id == meeting_id)
                                .order_by(Attendance.id)))


def record_presence(*, session: Session, meeting_id: int, member_id: int | None, name: str,
                    organisation_id: int | None, presence: str, by: str, now: dt.datetime,
                    substitute_for_id: int | None = None) -> Attendance:
    """Say whether a member (or, by name, someone who is not one: in attendance, or a substitute for the member
    `substitute_for_id`) was there; a row of theirs (a reply before the meeting) is updated."""
    if member_id is not None:
        row = session.scalar(select(Attendance).where(Attendance.meeting_id == meeting_id,
                                                      Attendance.member_id == member_id))
    else:
        row = session.scalar(select(Attendance).where(Attendance.meeting_id == meeting_id,
                                                      Attendance.member_id.is_(None),
                                                      func.lower(Attendance.name) == name.lower()))
    if row is None:
        row = Attendance(meeting_id=meeting_id, member_id=member_id, name=name, organisation_id=organisation_id)
        session.add(row)
    row.presence = presence
    if substitute_for_id is not None:
        row.substitute_for_id = substitute_for_id
        row.organisation_id = row.organisation_id or organisation_id
    row.recorded_at = now
    row.recorded_by = by
    if name and not row.name:
        row.name = name
    session.flush()
    return row


def named_substitutes(*, session: Session, meeting_id: int) -> dict[str, Attendance]:
    """The substitutes members named by name before a meeting (not a colleague on the board), by the name
    (case-folded): the member's reply row for each."""
    rows = session.scalars(select(Attendance).where(Attendance.meeting_id == meeting_id,
                                                    Attendance.reply == AttendanceReply.SUBSTITUTE.value,
                                                    Attendance.substitute_member_id.is_(None),
                                                    Attendance.substitute_name.is_not(None)))
    return {" ".join((r.substitute_name or "").split()).casefold(): r for r in rows}
