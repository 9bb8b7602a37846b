"""Figures for the quarterly performance report and the annual report: actions by partner, meetings held."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Action, ActionStatus, Meeting, Member, Organisation, PartnerUpdate
from store.versions import is_current

NO_ORGANISATION = "(no organisation)"


@dataclass(frozen=True)
class ActionFact:
    """What the reports need of one action."""

    organisation: str
    created_on: dt.date
    closed_on: dt.date | None
    due: dt.date | None
    status: ActionStatus


@dataclass
class PartnerActions:
    """One partner organisation's actions over a period.

    `raised` counts the actions created in the period; `completed_on_time`, `completed_late`,
    `still_open` and `dropped` split those same actions by where they stand now (so they add up to
    `raised`); `completed` counts actions closed as done within the period whenever they were
    raised, and `overdue` those open and past their due date at the end of the period (or today).
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


def action_facts(*, session: Session, board_id: int, timezone: str) -> list[ActionFact]:
    """Every action of a board with its owner's organisation, dates in the board's time zone."""
    tz = ZoneInfo(timezone)
    rows = session.execute(
        select(Action.created_at, Action.closed_at, Action.due_date, Action.status, Organisation.name)
        .join(Member, Member.id == Action.owner_id)
        .outerjoin(Organisation, Organisation.id == Member.organisation_id)
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
        )
        for created, closed, due, status, org in rows
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
        still_open_then = fact.closed_on > as_at if fact.closed_on is not None else fact.status == ActionStatus.OPEN
        if fact.created_on <= as_at and still_open_then and fact.due is not None and fact.due < as_at:
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
