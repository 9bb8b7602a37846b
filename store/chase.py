"""Chase state: how far each open action's reminders have gone (stage, overdue reminders, snooze, escalation).

Bulk writes go out as one statement (db.insert_rows), so a job's statement count does not grow with the number of
actions it looks at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from operator import attrgetter, itemgetter
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from store.db import insert_rows, select_rows
from store.models import Action, ActionChase, ActionStatus, Member, Membership


class ChaseCandidate(NamedTuple):
    """An open action with a due date and its chase state (stage 0 and no reminders when it has none), as one row
    of the chase query."""

    action_id: int
    ref: int
    text: str
    due: dt.date
    owner_id: int
    owner_slack_id: str
    stage: int
    chased_due: dt.date | None
    overdue_reminders: int
    snoozed_until: dt.date | None
    escalated_on: dt.date | None
    disowned_by: int | None


class ChaseState(NamedTuple):
    """The chase state the job writes for an action it reminds its owner of (columns of ActionChase)."""

    action_id: int
    due_date: dt.date
    stage: int
    overdue_reminders: int
    last_reminded_on: dt.date
    snoozed_until: dt.date | None
    escalated_on: dt.date | None
    disowned_by: int | None


class ChasedAction(NamedTuple):
    """An action (owner and board loaded) and its chase state, if it has one."""

    action: Action
    chase: ActionChase | None


class EscalatedAction(NamedTuple):
    """An escalated action (owner loaded) and its chase state."""

    action: Action
    chase: ActionChase


def chase_candidates(*, session: Session, board_id: int, horizon: dt.date) -> list[ChaseCandidate]:
    """Open actions of a board due on or before `horizon`, soonest first (then by number), with owner and chase state:
    one query, read as the driver's rows (a run reads a hundred thousand at a million actions) and sorted here, where
    PostgreSQL's sort of them spilled to disk."""
    stmt = (
        select(Action.id, Action.ref, Action.text, Action.due_date, Action.owner_id, Member.slack_user_id,
               func.coalesce(ActionChase.stage, 0), ActionChase.due_date, func.coalesce(ActionChase.overdue_reminders, 0),
               ActionChase.snoozed_until, ActionChase.escalated_on, ActionChase.disowned_by)
        .join(Member, Member.id == Action.owner_id)
        .outerjoin(ActionChase, ActionChase.action_id == Action.id)
        .where(Action.board_id == board_id, Action.status == ActionStatus.OPEN, Action.due_date.is_not(None),
               Action.due_date <= horizon)
    )
    rows = select_rows(session, stmt)
    rows.sort(key=itemgetter(3, 1))  # due date, number
    return list(map(ChaseCandidate._make, rows))


def save_chase_states(*, session: Session, rows: Sequence[ChaseState]) -> None:
    """Insert or update chase states in one statement, in the order of their key (so the table's b-tree is filled
    from one end rather than all over: a third less time for a big run's)."""
    insert_rows(session, ActionChase.__table__, ChaseState._fields, sorted(rows, key=attrgetter("action_id")),
                key=["action_id"], update=ChaseState._fields[1:])


def get_chase(*, session: Session, action_id: int) -> ActionChase | None:
    """The action's chase state, if it has one."""
    return session.get(ActionChase, action_id)


def chase_for_update(*, session: Session, action_id: int) -> ActionChase:
    """The action's chase state, created empty if it has none."""
    state = session.get(ActionChase, action_id)
    if state is None:
        state = ActionChase(action_id=action_id, stage=0, overdue_reminders=0)
        session.add(state)
        session.flush()
    return state


def actions_with_chase(*, session: Session, action_ids: Sequence[int]) -> list[ChasedAction]:
    """Actions (with owner and board) and their chase state, in the order of `action_ids`."""
    if not action_ids:
        return []
    found = {a.id: a for a in session.scalars(select(Action).options(joinedload(Action.owner), joinedload(Action.board))
                                              .where(Action.id.in_(list(action_ids))))}
    states = {c.action_id: c for c in session.scalars(select(ActionChase).where(ActionChase.action_id.in_(list(action_ids))))}
    return [ChasedAction(found[i], states.get(i)) for i in action_ids if i in found]


def escalated_actions(*, session: Session, board_id: int) -> list[EscalatedAction]:
    """Open actions of the board that have been escalated, oldest due first."""
    rows = session.execute(
        select(Action, ActionChase)
        .join(ActionChase, ActionChase.action_id == Action.id)
        .options(joinedload(Action.owner))
        .where(Action.board_id == board_id, Action.status == ActionStatus.OPEN, ActionChase.escalated_on.is_not(None),
               ActionChase.due_date == Action.due_date)
        .order_by(Action.due_date, Action.ref)
    )
    return [EscalatedAction(a, c) for a, c in rows]


def orphaned_actions(*, session: Session, board_id: int) -> list[Action]:
    """Open actions of the board whose owner is no longer on it, soonest due first (undated last)."""
    on_board = select(Membership.member_id).where(Membership.board_id == board_id, Membership.left_at.is_(None))
    return list(session.scalars(
        select(Action).options(joinedload(Action.owner))
        .where(Action.board_id == board_id, Action.status == ActionStatus.OPEN, Action.owner_id.not_in(on_board))
        .order_by(Action.due_date.is_(None), Action.due_date, Action.ref)))
