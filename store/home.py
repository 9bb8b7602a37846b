"""What the Home tab reads: one member's open actions across boards, a board's counts, published agendas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, joinedload

from store.actions import ActionPage
from store.agenda import publication_message_key
from store.models import Action, ActionStatus, AgendaProposal, AgendaPublication, Meeting, OutboxMessage, OutboxStatus


def open_actions_of(*, session: Session, owner_id: int, limit: int, offset: int = 0) -> ActionPage:
    """A page of the member's open actions on every board, soonest due first (so overdue first, undated last),
    and how many there are in all."""
    mine = (Action.owner_id == owner_id, Action.status == ActionStatus.OPEN)
    page = list(session.scalars(
        select(Action).options(joinedload(Action.board)).where(*mine)
        .order_by(Action.due_date.is_(None), Action.due_date, Action.board_id, Action.ref)
        .limit(limit).offset(offset)
    ))
    if len(page) < limit and (page or not offset):
        return ActionPage(page, len(page) + offset)  # a short page that exists ends the list: no need to count
    # A full page, or an empty one past the end (a stale "Next" after actions were closed): count them.
    return ActionPage(page, session.scalar(select(func.count()).where(*mine)) or 0)


def overdue_count_of(*, session: Session, owner_id: int, today: dt.date) -> int:
    return session.scalar(select(func.count()).where(
        Action.owner_id == owner_id, Action.status == ActionStatus.OPEN, Action.due_date < today)) or 0


@dataclass(frozen=True)
class BoardCounts:
    open_actions: int
    overdue_actions: int
    proposals_waiting: int


def board_counts(*, session: Session, board_id: int, today: dt.date) -> BoardCounts:
    """Open and overdue actions and undecided proposals for meetings to come: two queries."""
    open_count, overdue = session.execute(
        select(func.count(), func.coalesce(func.sum(case((Action.due_date < today, 1), else_=0)), 0))
        .where(Action.board_id == board_id, Action.status == ActionStatus.OPEN)
    ).one()
    waiting = session.scalar(
        select(func.count()).select_from(AgendaProposal).join(Meeting, Meeting.id == AgendaProposal.meeting_id)
        .where(AgendaProposal.board_id == board_id, AgendaProposal.status == "pending", Meeting.date >= today)
    ) or 0
    return BoardCounts(int(open_count or 0), int(overdue or 0), int(waiting))


def upcoming_meetings(*, session: Session, board_id: int, after: dt.date, limit: int) -> list[Meeting]:
    """The board's next meetings on or after a date."""
    return list(session.scalars(
        select(Meeting).options(joinedload(Meeting.host_organisation))
        .where(Meeting.board_id == board_id, Meeting.date >= after).order_by(Meeting.date).limit(limit)
    ))


@dataclass(frozen=True)
class PublishedAgenda:
    version: int
    published_at: dt.datetime
    channel: str | None  # where Slack put the posted agenda, once the outbox has sent it
    ts: str | None


def published_agendas(*, session: Session, meeting_ids: Sequence[int]) -> dict[int, PublishedAgenda]:
    """The latest published version of each meeting's agenda, with the channel message it was posted as."""
    if not meeting_ids:
        return {}
    latest = (select(AgendaPublication.meeting_id, func.max(AgendaPublication.version).label("version"))
              .where(AgendaPublication.meeting_id.in_(list(meeting_ids))).group_by(AgendaPublication.meeting_id)
              .subquery())
    rows = session.execute(
        select(AgendaPublication.meeting_id, AgendaPublication.version, AgendaPublication.published_at)
        .join(latest, (AgendaPublication.meeting_id == latest.c.meeting_id)
              & (AgendaPublication.version == latest.c.version))
    ).all()
    keys = {publication_message_key(mid, version): mid for mid, version, _ in rows}
    posted = {keys[key]: (channel, ts) for key, channel, ts in session.execute(
        select(OutboxMessage.key, OutboxMessage.slack_channel, OutboxMessage.slack_ts)
        .where(OutboxMessage.key.in_(list(keys)), OutboxMessage.status == OutboxStatus.SENT))}
    return {mid: PublishedAgenda(version, at, *posted.get(mid, (None, None))) for mid, version, at in rows}
