"""Figures for the quarterly performance report and the annual report: actions by partner, meetings held."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Action, ActionStatus, AuditRecord, Meeting, Membership, Organisation, PartnerUpdate
from store.versions import is_current

NO_ORGANISATION = "(no organisation)"


@dataclass(frozen=True)
class ActionFact:
    """What the reports need of one action: where it stands now, and from its history (the audit records of its
    due-date changes, closures and reopenings, in order) where it stood on an earlier day."""

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


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


def action_facts(*, session: Session, board_id: int, timezone: str) -> list[ActionFact]:
    """Every action of a board with its owner's organisation and its history, dates in the board's time zone."""
    tz = ZoneInfo(timezone)
    due_changes: dict[int, list[tuple[dt.date, dt.date | None, dt.date | None]]] = defaultdict(list)
    status_changes: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    history = session.execute(
        select(AuditRecord.entity_id, AuditRecord.at, AuditRecord.operation, AuditRecord.before, AuditRecord.after)
        .where(AuditRecord.entity == "action", AuditRecord.operation.in_(_DUE_CHANGES + _STATUS_CHANGES),
               AuditRecord.entity_id.in_(select(Action.id).where(Action.board_id == board_id)))
        .order_by(AuditRecord.at, AuditRecord.id)
    )
    for action_id, at, operation, before, after in history:
        on = at.astimezone(tz).date()
        if operation in _DUE_CHANGES:
            due_changes[action_id].append((on, _day((before or {}).get("due_date")), _day((after or {}).get("due_date"))))
        else:
            status_changes[action_id].append((on, str((after or {}).get("status", ""))))
    rows = session.execute(
        select(Action.id, Action.created_at, Action.closed_at, Action.due_date, Action.status, Organisation.name)
        .outerjoin(Membership, (Membership.member_id == Action.owner_id) & (Membership.board_id == Action.board_id))
        .outerjoin(Organisation, Organisation.id == Membership.organisation_id)
        .where(Action.board_id == board_id)
        .order_by(Action.id)
    )
    return [
        ActionFact(
            organisation=org or NO_ORGANISATION,
            created_on=created.astimezone(tz).date(),
            closed_on=closed.astimezone(tz).date() if closed else None,
            due=due,
            status=status,
            due_changes=tuple(due_changes.get(action_id, ())),
            status_changes=tuple(status_changes.get(action_id, ())),
        )
        for action_id, created, closed, due, status, org in rows
    ]


def partner_actions(facts: list[ActionFact], *, start: dt.date, end: dt.date, as_at: dt.date) -> ActionTotals:
    """Actions by partner organisation for the days `start`..`end` inclusive, overdue counted at `as_at`."""
    by_org: dict[str, PartnerActions] = defaultdict(lambda: PartnerActions(""))
    for fact in facts:
        row = by_org[fact.organisation]
        row.organisation = fact.organisation
        if start <= fact.created_on <= end:
            row.raised += 1
            if fact.status == ActionStatus.DONE:
                on_time = fact.due is None or (fact.closed_on is not None and fact.closed_on <= fact.due)
                if on_time:
                    row.completed_on_time += 1
                else:
                    row.completed_late += 1
            elif fact.status == ActionStatus.DROPPED:
                row.dropped += 1
            else:
                row.still_open += 1
        if fact.status == ActionStatus.DONE and fact.closed_on is not None and start <= fact.closed_on <= end:
            row.completed += 1
        due_then = fact.due_on(as_at)  # overdue as it stood at `as_at`, not by today's due date
        if fact.created_on <= as_at and fact.open_on(as_at) and due_then is not None and due_then < as_at:
            row.overdue += 1
    partners = sorted((r for r in by_org.values() if any(
        (r.raised, r.completed, r.overdue))), key=lambda r: r.organisation.lower())
    total = PartnerActions("All partners")
    for r in partners:
        for name in ("raised", "completed_on_time", "completed_late", "still_open", "dropped", "completed", "overdue"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return ActionTotals(partners=partners, total=total)


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
