"""Figures for the quarterly performance report and the annual report: actions by partner, meetings held."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, case, func, select, union_all
from sqlalchemy.orm import Session, aliased

from store.db import local_date
from store.models import Action, ActionStatus, AuditRecord, Meeting, Membership, Organisation, PartnerUpdate
from store.versions import is_current

NO_ORGANISATION = "(no organisation)"


@dataclass(frozen=True)
class ActionFact:
    """What the overdue count needs of one action: where it stands now, and from its history (the audit records of
    its due-date changes, closures and reopenings, in order) where it stood on an earlier day."""

    organisation: str
    created_on: dt.date
    closed_on: dt.date | None
    due: dt.date | None
    status: ActionStatus
    due_changes: tuple[tuple[dt.date, dt.date | None, dt.date | None], ...] = ()  # (on, due before, due after)
    status_changes: tuple[tuple[dt.date, str], ...] = ()  # (on, status after)

    def due_on(self, day: dt.date) -> dt.date | None:
        """The due date the action had at the end of `day`."""
        for on, before, _ in self.due_changes:
            if on > day:
                return before
        return self.due

    def open_on(self, day: dt.date) -> bool:
        """Whether the action was open at the end of `day` (created open; closed and reopened as its history says)."""
        if not self.status_changes:  # no history of closing: what its closing date says
            return self.closed_on > day if self.closed_on is not None else self.status == ActionStatus.OPEN
        status = ActionStatus.OPEN.value
        for on, after in self.status_changes:
            if on > day:
                break
            status = after
        return status == ActionStatus.OPEN.value

    def overdue_on(self, day: dt.date) -> bool:
        """Open and past its due date at the end of `day`, as its history says it stood then (not by today's due
        date)."""
        due_then = self.due_on(day)
        return self.created_on <= day and self.open_on(day) and due_then is not None and due_then < day


@dataclass
class PartnerActions:
    """One partner organisation's actions over a period.

    `raised` counts the actions created in the period; `completed_on_time`, `completed_late`,
    `still_open` and `dropped` split those same actions by where they stand now (so they add up to
    `raised`); `completed` counts actions closed as done within the period whenever they were
    raised, and `overdue` those open and past their due date at the end of the period (or today), as their
    history says they stood then.
    """

    organisation: str
    raised: int = 0
    completed_on_time: int = 0
    completed_late: int = 0
    still_open: int = 0
    dropped: int = 0
    completed: int = 0
    overdue: int = 0

    def as_dict(self) -> dict[str, int | str]:
        return dict(self.__dict__)


@dataclass
class ActionTotals:
    partners: list[PartnerActions] = field(default_factory=list)
    total: PartnerActions = field(default_factory=lambda: PartnerActions("All partners"))


_DUE_CHANGES = ("redate",)
_STATUS_CHANGES = ("done", "dropped", "reopen")
_COUNTED = ("raised", "completed_on_time", "completed_late", "still_open", "dropped", "completed", "overdue")


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


def _midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The instant a day starts in a time zone: days in the board's zone become ranges of the UTC columns."""
    return dt.datetime.combine(day, dt.time(), tz).astimezone(dt.UTC)


def _by_organisation(*columns: Any) -> Select[Any]:
    """A query over a board's actions with the organisation each one's owner represents (or represented, if they
    have left) on that board, NULL for none."""
    return (select(Organisation.name.label("organisation"), *columns).select_from(Action)
            .outerjoin(Membership, (Membership.member_id == Action.owner_id) & (Membership.board_id == Action.board_id))
            .outerjoin(Organisation, Organisation.id == Membership.organisation_id))


def partner_actions(*, session: Session, board_id: int, timezone: str, start: dt.date, end: dt.date,
                    as_at: dt.date) -> ActionTotals:
    """Actions by partner organisation for the days `start`..`end` inclusive in the board's time zone, overdue
    counted at `as_at`. The database counts what was raised and completed; for the overdue, the actions open at
    `as_at` and due before it are read, and the history of the few whose history says otherwise: four statements,
    however long the board's history."""
    tz = ZoneInfo(timezone)
    first, after, as_at_end = _midnight(start, tz), _midnight(end + dt.timedelta(days=1), tz), \
        _midnight(as_at + dt.timedelta(days=1), tz)
    by_org: dict[str, PartnerActions] = {}

    def row(organisation: str | None) -> PartnerActions:
        name = organisation or NO_ORGANISATION
        return by_org.setdefault(name, PartnerActions(name))

    on_time = case((Action.due_date.is_(None) | (local_date(Action.closed_at, timezone) <= Action.due_date), True),
                   else_=False)
    raised = _by_organisation(Action.status, on_time.label("on_time")).where(
        Action.board_id == board_id, Action.created_at >= first, Action.created_at < after).subquery()
    for organisation, status, is_on_time, n in session.execute(
            select(raised.c.organisation, raised.c.status, raised.c.on_time, func.count())
            .group_by(raised.c.organisation, raised.c.status, raised.c.on_time)):
        counts = row(organisation)
        counts.raised += n
        if status == ActionStatus.DONE:
            if is_on_time:
                counts.completed_on_time += n
            else:
                counts.completed_late += n
        elif status == ActionStatus.DROPPED:
            counts.dropped += n
        else:
            counts.still_open += n
    for organisation, n in session.execute(
            _by_organisation(func.count())
            .where(Action.board_id == board_id, Action.status == ActionStatus.DONE, Action.closed_at >= first,
                   Action.closed_at < after)
            .group_by(Organisation.name)):
        row(organisation).completed += n
    for organisation in _overdue(session=session, board_id=board_id, tz=tz, as_at=as_at, as_at_end=as_at_end):
        row(organisation).overdue += 1
    partners = sorted((r for r in by_org.values() if any((r.raised, r.completed, r.overdue))),
                      key=lambda r: r.organisation.lower())
    total = PartnerActions("All partners")
    for r in partners:
        for name in _COUNTED:
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return ActionTotals(partners=partners, total=total)


def _telling(record: type[AuditRecord] | Any, as_at_end: dt.datetime) -> ColumnElement[bool]:
    """The audit records that say an action stood otherwise at `as_at_end` than its dates and due date now say:
    a closure or reopening before it, or a due date changed after it."""
    return (record.entity == "action") & (
        (record.operation.in_(_STATUS_CHANGES) & (record.at < as_at_end))
        | (record.operation.in_(_DUE_CHANGES) & (record.at >= as_at_end)))


def _overdue(*, session: Session, board_id: int, tz: ZoneInfo, as_at: dt.date, as_at_end: dt.datetime) -> list[str]:
    """The organisation of each action overdue at `as_at`, as it stood then.

    Read: the actions that may have been open then (raised before it, and open now or closed after it: one closed
    before it and not reopened since was closed then) and either due before it or with a history that says
    otherwise. One whose history says nothing else was open then and due before it: overdue. The others (a few)
    are decided by `ActionFact.overdue_on` from their history, read in one more statement."""
    record = aliased(AuditRecord)
    # A count, not EXISTS: PostgreSQL would hash every closure before the date (the history) to answer an EXISTS;
    # a count is an index lookup per action read.
    told = select(func.count()).where(record.entity_id == Action.id, _telling(record, as_at_end)).scalar_subquery() > 0
    raised_before = (Action.created_at < as_at_end).is_(True)  # a filter on the rows found, not an index range

    def open_then(*where: ColumnElement[bool]) -> Select[Any]:
        return _by_organisation(Action.id, Action.created_at, Action.closed_at, Action.due_date, Action.status,
                                told.label("told")).where(Action.board_id == board_id, raised_before,
                                                          (Action.due_date < as_at) | told, *where)

    rows = session.execute(union_all(  # two index ranges: as one OR, SQLite would scan every action raised before
        open_then(Action.status == ActionStatus.OPEN),
        open_then(Action.status.in_((ActionStatus.DONE, ActionStatus.DROPPED)), Action.closed_at >= as_at_end),
    )).all()
    due_changes: dict[int, list[tuple[dt.date, dt.date | None, dt.date | None]]] = defaultdict(list)
    status_changes: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for action_id, at, operation, before, after in session.execute(
            select(AuditRecord.entity_id, AuditRecord.at, AuditRecord.operation, AuditRecord.before, AuditRecord.after)
            .where(AuditRecord.entity_id.in_([r.id for r in rows if r.told]), _telling(AuditRecord, as_at_end))
            .order_by(AuditRecord.at, AuditRecord.id)):
        on = at.astimezone(tz).date()
        if operation in _DUE_CHANGES:
            due_changes[action_id].append((on, _day((before or {}).get("due_date")), _day((after or {}).get("due_date"))))
        else:
            status_changes[action_id].append((on, str((after or {}).get("status", ""))))
    return [org or NO_ORGANISATION for org, action_id, created, closed, due, status, was_told in rows
            if not was_told or ActionFact(
                organisation=org or NO_ORGANISATION, created_on=created.astimezone(tz).date(),
                closed_on=closed.astimezone(tz).date() if closed else None, due=due, status=status,
                due_changes=tuple(due_changes.get(action_id, ())),
                status_changes=tuple(status_changes.get(action_id, ()))).overdue_on(as_at)]


@dataclass(frozen=True)
class MeetingHeld:
    id: int
    date: dt.date
    venue: str
    theme: str | None
    host: str | None
    partner_updates: int
    actions_raised: int


def meetings_held(*, session: Session, board_id: int, start: dt.date, end: dt.date) -> list[MeetingHeld]:
    """The board's meetings from `start` to `end` inclusive, with the updates and actions each produced."""
    updates = (
        select(PartnerUpdate.meeting_id, func.count(PartnerUpdate.id).label("n"))
        .where(is_current(PartnerUpdate)).group_by(PartnerUpdate.meeting_id).subquery()
    )
    actions = (
        select(Action.meeting_id, func.count(Action.id).label("n"))
        .where(Action.board_id == board_id).group_by(Action.meeting_id).subquery()
    )
    rows = session.execute(
        select(Meeting, Organisation.name, updates.c.n, actions.c.n)
        .outerjoin(Organisation, Organisation.id == Meeting.host_organisation_id)
        .outerjoin(updates, updates.c.meeting_id == Meeting.id)
        .outerjoin(actions, actions.c.meeting_id == Meeting.id)
        .where(Meeting.board_id == board_id, Meeting.date >= start, Meeting.date <= end)
        .order_by(Meeting.date)
    )
    return [
        MeetingHeld(id=m.id, date=m.date, venue=m.venue, theme=m.theme, host=host, partner_updates=n_updates or 0,
                    actions_raised=n_actions or 0)
        for m, host, n_updates, n_actions in rows
    ]
