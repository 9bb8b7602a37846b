"""Chase state: how far each open action's reminders have gone (stage, overdue reminders, snooze, escalation).

Bulk writes go out as one statement (db.insert_rows), so a job's statement count does not grow with the number of
actions it looks at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from store.db import insert_rows
from store.models import Action, ActionChase, ActionStatus, Member, Membership


@dataclass
class ChaseCandidate:
    """An open action with a due date and its chase state, as one row of the chase query."""

    action_id: int
    ref: int
    text: str
    due: dt.date
    owner_id: int
    owner_slack_id: str
    owner_name: str
    stage: int
    chased_due: dt.date | None
    overdue_reminders: int
    snoozed_until: dt.date | None
    escalated_on: dt.date | None
    disowned_by: int | None
    has_state: bool


class ChasedAction(NamedTuple):
    """An action (owner and board loaded) and its chase state, if it has one."""

    action: Action
    chase: ActionChase | None


class EscalatedAction(NamedTuple):
    """An escalated action (owner loaded) and its chase state."""

    action: Action
    chase: ActionChase


def chase_candidates(*, session: Session, board_id: int, horizon: dt.date) -> list[ChaseCandidate]:
    """Open actions of a board due on or before `horizon`, with owner and chase state: one query."""
    stmt = (
        select(Action.id, Action.ref, Action.text, Action.due_date, Action.owner_id, Member.slack_user_id,
               Member.display_name, ActionChase.stage, ActionChase.due_date, ActionChase.overdue_reminders,
               ActionChase.snoozed_until, ActionChase.escalated_on, ActionChase.disowned_by, ActionChase.action_id)
        .join(Member, Member.id == Action.owner_id)
        .outerjoin(ActionChase, ActionChase.action_id == Action.id)
        .where(Action.board_id == board_id, Action.status == ActionStatus.OPEN, Action.due_date.is_not(None),
               Action.due_date <= horizon)
        .order_by(Action.due_date, Action.ref)
    )
    return [
        ChaseCandidate(action_id=r[0], ref=r[1], text=r[2], due=cast(dt.date, r[3]), owner_id=r[4], owner_slack_id=r[5],
                       owner_name=r[6], stage=r[7] or 0, chased_due=r[8], overdue_reminders=r[9] or 0,
                       snoozed_until=r[10], escalated_on=r[11], disowned_by=r[12], has_state=r[13] is not None)
        for r in session.execute(stmt)
    ]


def save_chase_states(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or update chase states (dicts of ActionChase columns, all with the same keys) in one statement."""
    if rows:
        insert_rows(session, ActionChase.__table__, rows, key=["action_id"],
                    update=[c for c in rows[0] if c != "action_id"])


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
