"""Members' replies, before a meeting, to whether they are coming (rows of `meeting_attendance`).

A reply lives on the member's own row for the meeting, the row meeting mode later records their presence on;
writing a reply touches only the reply's columns.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from store.db import upsert_insert
from store.models import Attendance, AttendanceReply

_REPLY_COLUMNS = ("reply", "replied_at", "substitute_member_id", "substitute_name", "substitute_email")


def reply_row(*, session: Session, meeting_id: int, member_id: int) -> Attendance | None:
    """A member's row for a meeting, if they have one."""
    return session.scalar(select(Attendance).where(Attendance.meeting_id == meeting_id,
                                                   Attendance.member_id == member_id))


def set_reply(*, session: Session, meeting_id: int, member_id: int, organisation_id: int | None, name: str,
              reply: AttendanceReply, now: dt.datetime, substitute_member_id: int | None = None,
              substitute_name: str | None = None, substitute_email: str | None = None) -> Attendance:
    """Record a member's reply for a meeting (their row made if they had none; two clicks at once make one row),
    replacing any earlier reply and its substitute."""
    session.execute(upsert_insert(session, Attendance).values(
        meeting_id=meeting_id, member_id=member_id, name=name, organisation_id=organisation_id)
        .on_conflict_do_nothing(index_elements=["meeting_id", "member_id"]))
    row = session.scalars(select(Attendance).where(Attendance.meeting_id == meeting_id,
                                                   Attendance.member_id == member_id)
                          .execution_options(populate_existing=True)).one()
    row.reply, row.replied_at = reply.value, now
    row.substitute_member_id = substitute_member_id
    row.substitute_name, row.substitute_email = substitute_name, substitute_email
    if organisation_id is not None:
        row.organisation_id = organisation_id
    session.flush()
    return row


def replies(*, session: Session, meeting_id: int) -> list[Attendance]:
    """Every member's row for a meeting that holds a reply."""
    return list(session.scalars(select(Attendance).options(joinedload(Attendance.member))
                                .where(Attendance.meeting_id == meeting_id, Attendance.member_id.is_not(None),
                                       Attendance.reply.is_not(None))))


def reply_fields(row: Attendance) -> dict[str, object]:
    """The reply's columns, for the audit trail."""
    return {c: (getattr(row, c).isoformat() if isinstance(getattr(row, c), dt.datetime) else getattr(row, c))
            for c in _REPLY_COLUMNS}
