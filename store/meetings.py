"""Meetings of a board."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from store.rows import read_rows
from store.models import (
    Action,
    AgendaProposal,
    AgendaPublication,
    AuditRecord,
    Meeting,
    Organisation,
    PartnerUpdate,
    PlanItem,
)

GENERATED = "generate"  # the audit operation of a meeting laid out by `/plan generate`


# The meetings of a board from a date on, soonest first, `limit` of them: built once (the partner update, the plan
# and the agenda each ask for the next meeting, and building the statement cost more than running it).
_FROM_DATE = (select(Meeting).where(Meeting.board_id == bindparam("board"), Meeting.date >= bindparam("after"))
              .order_by(Meeting.date).limit(bindparam("limit")))


def next_meeting(*, session: Session, board_id: int, after: dt.date) -> Meeting | None:
    """The first meeting on or after a date."""
    return session.scalar(_FROM_DATE, {"board": board_id, "after": after, "limit": 1})


def first_not_started(*, session: Session, board_id: int, today: dt.date, now: dt.datetime) -> Meeting | None:
    """The first meeting from `today` on that has not started by `now`: one with a start time has started at
    that instant; one without a time is upcoming for the whole of its day."""
    for meeting in session.scalars(_FROM_DATE, {"board": board_id, "after": today, "limit": 2}):
        if meeting.date > today or meeting.starts_at is None or meeting.starts_at > now:
            return meeting
    return next_meeting(session=session, board_id=board_id, after=today + dt.timedelta(days=1))


def previous_meeting(*, session: Session, board_id: int, before: dt.date) -> Meeting | None:
    return session.scalar(
        select(Meeting).where(Meeting.board_id == board_id, Meeting.date < before).order_by(Meeting.date.desc()).limit(1)
    )


def get_by_date(*, session: Session, board_id: int, date: dt.date) -> Meeting | None:
    return session.scalar(select(Meeting).where(Meeting.board_id == board_id, Meeting.date == date))


def list_between(*, session: Session, board_id: int, start: dt.date, end: dt.date | None = None) -> list[Meeting]:
    stmt = select(Meeting).where(Meeting.board_id == board_id, Meeting.date >= start)
    if end is not None:
        stmt = stmt.where(Meeting.date <= end)
    return list(session.scalars(stmt.order_by(Meeting.date)))


class MeetingHost(NamedTuple):
    """A meeting's host organisation, as the plan names it."""

    name: str


class MeetingLine(NamedTuple):
    """A meeting as the forward plan shows it (handlers.plan.meeting_data), read as a plain row rather than an ORM
    entity."""

    id: int
    date: dt.date
    starts_at: dt.datetime | None
    venue: str
    theme: str | None
    host_organisation: MeetingHost | None


# Built once (every `/plan` reads them): building a statement cost more than the database running it.
_LINES_FROM = (select(Meeting.id, Meeting.date, Meeting.starts_at, Meeting.venue, Meeting.theme, Organisation.name)
               .outerjoin(Organisation, Organisation.id == Meeting.host_organisation_id)
               .where(Meeting.board_id == bindparam("board"), Meeting.date >= bindparam("start"))
               .order_by(Meeting.date))
_LINES_BETWEEN = _LINES_FROM.where(Meeting.date <= bindparam("end"))


def lines_between(*, session: Session, board_id: int, start: dt.date, end: dt.date | None = None) -> list[MeetingLine]:
    """The board's meetings from `start` (to `end`), by date, as the forward plan shows them."""
    stmt, values = (_LINES_FROM, {}) if end is None else (_LINES_BETWEEN, {"end": end})
    return [MeetingLine(mid, day, at, venue, theme, MeetingHost(host) if host is not None else None)
            for mid, day, at, venue, theme, host in read_rows(session, stmt, {"board": board_id, "start": start,
                                                                               **values})]


def create(
    *,
    session: Session,
    board_id: int,
    date: dt.date,
    starts_at: dt.datetime | None,
    venue: str,
    now: dt.datetime,
    host_organisation_id: int | None = None,
    theme: str | None = None,
) -> Meeting:
    meeting = Meeting(board_id=board_id, date=date, starts_at=starts_at, venue=venue, created_at=now,
                      host_organisation_id=host_organisation_id, theme=theme)
    session.add(meeting)
    session.flush()
    return meeting


def generated_ids(*, session: Session, meeting_ids: list[int]) -> set[int]:
    """Which of these meetings `/plan generate` laid out (from their audit records)."""
    if not meeting_ids:
        return set()
    return set(session.scalars(select(AuditRecord.entity_id).where(
        AuditRecord.entity == "meeting", AuditRecord.operation == GENERATED, AuditRecord.entity_id.in_(meeting_ids))))


_CONTENTS = (
    (PlanItem, PlanItem.meeting_id, "plan item"),
    (AgendaProposal, AgendaProposal.meeting_id, "proposal"),
    (AgendaPublication, AgendaPublication.meeting_id, "published agenda"),
    (PartnerUpdate, PartnerUpdate.meeting_id, "partner update"),
    (Action, Action.meeting_id, "action raised at it"),
)


def contents(*, session: Session, meeting_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    """What each meeting holds that replacing it would lose: (what, how many) for its plan items, proposals,
    published agendas, partner updates and the actions raised at it; a meeting holding none is absent."""
    out: dict[int, list[tuple[str, int]]] = {}
    if not meeting_ids:
        return out
    for model, column, what in _CONTENTS:
        rows = session.execute(select(column, func.count()).select_from(model).where(column.in_(meeting_ids))
                               .group_by(column))
        for meeting_id, count in rows:
            if meeting_id is not None:
                out.setdefault(meeting_id, []).append((what, count))
    return out


def delete(*, session: Session, meeting: Meeting) -> None:
    """Remove a meeting that holds nothing (see `contents`)."""
    session.delete(meeting)
    session.flush()
