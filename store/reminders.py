"""The scheduler's records: job runs, the reminder log (one row per reminder and occasion) and chase state.

Bulk writes go out as one executemany statement each, so a job's statement count does not grow with
the number of actions it looks at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload

from store.models import Action, ActionChase, ActionStatus, JobRun, Member, OutboxMessage, OutboxStatus, ReminderLog


def _insert(session: Session, model: Any):
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(model)


# ---------------------------------------------------------------- job runs


def claim_run(*, session: Session, job_id: str, board_id: int, occasion: dt.datetime, how: str,
              now: dt.datetime, runner: str | None = None) -> bool:
    """Record that this occasion of the job runs now; False if it already ran (or is running elsewhere:
    on PostgreSQL the insert waits for the other transaction and then finds the row)."""
    stmt = _insert(session, JobRun).values(job_id=job_id, board_id=board_id, occasion=occasion, how=how,
                                           started_at=now, queued=0, runner=runner).on_conflict_do_nothing(
        index_elements=["job_id", "board_id", "occasion"])
    return session.execute(stmt.returning(JobRun.id)).first() is not None


def finish_run(*, session: Session, job_id: str, board_id: int, occasion: dt.datetime, queued: int,
               summary: str) -> None:
    session.execute(update(JobRun).where(JobRun.job_id == job_id, JobRun.board_id == board_id,
                                         JobRun.occasion == occasion).values(queued=queued, summary=summary[:4000]))


def last_runs(*, session: Session) -> dict[tuple[str, int], JobRun]:
    """The latest run of each (job, board)."""
    latest = (select(JobRun.job_id, JobRun.board_id, func.max(JobRun.occasion).label("occasion"))
              .group_by(JobRun.job_id, JobRun.board_id).subquery())
    rows = session.scalars(select(JobRun).join(latest, (JobRun.job_id == latest.c.job_id)
                                               & (JobRun.board_id == latest.c.board_id)
                                               & (JobRun.occasion == latest.c.occasion)))
    return {(r.job_id, r.board_id): r for r in rows}


def has_run(*, session: Session, job_id: str, board_id: int, occasion: dt.datetime) -> bool:
    return session.scalar(select(func.count()).where(JobRun.job_id == job_id, JobRun.board_id == board_id,
                                                     JobRun.occasion == occasion)) > 0


# ---------------------------------------------------------------- reminder log


def log_reminders(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add reminder-log rows (dicts of ReminderLog columns) in one statement; existing keys are kept."""
    if rows:
        session.connection().execute(_insert(session, ReminderLog.__table__).on_conflict_do_nothing(index_elements=["key"]),
                                     list(rows))


def log_reminder(*, session: Session, key: str, board_id: int, kind: str, occasion: dt.date, now: dt.datetime,
                 action_id: int | None = None, member_id: int | None = None, detail: str | None = None,
                 message_key: str | None = None) -> bool:
    """Log one reminder; False if its key was logged before (so it must not be sent again)."""
    stmt = _insert(session, ReminderLog).values(
        key=key, board_id=board_id, kind=kind, occasion=occasion, sent_at=now, action_id=action_id,
        member_id=member_id, detail=detail, message_key=message_key).on_conflict_do_nothing(index_elements=["key"])
    return session.execute(stmt.returning(ReminderLog.id)).first() is not None


def reminder_logged(*, session: Session, key: str) -> bool:
    return session.scalar(select(func.count()).where(ReminderLog.key == key)) > 0


def logged_keys(*, session: Session, board_id: int, kind: str, prefix: str) -> set[str]:
    """Keys of one kind logged for a board that start with `prefix`."""
    return set(session.scalars(select(ReminderLog.key).where(
        ReminderLog.board_id == board_id, ReminderLog.kind == kind, ReminderLog.key.startswith(prefix))))


def delivered_reminders_of(*, session: Session, action_id: int, limit: int = 10) -> list[tuple[str, str, str]]:
    """(message key, channel, ts) of the reminder DMs that listed the action and that Slack has taken, newest
    first (at most `limit`), so closing it by command can redraw them without its buttons."""
    return [(key, channel, ts) for key, channel, ts in session.execute(
        select(OutboxMessage.key, OutboxMessage.slack_channel, OutboxMessage.slack_ts)
        .join(ReminderLog, ReminderLog.message_key == OutboxMessage.key)
        .where(ReminderLog.action_id == action_id, OutboxMessage.status == OutboxStatus.SENT,
               OutboxMessage.slack_channel.is_not(None), OutboxMessage.slack_ts.is_not(None))
        .order_by(OutboxMessage.id.desc()).limit(limit))]


def actions_in_message(*, session: Session, message_key: str) -> list[int]:
    """The action ids a reminder message listed, in the order it listed them."""
    return list(session.scalars(select(ReminderLog.action_id).where(
        ReminderLog.message_key == message_key, ReminderLog.action_id.is_not(None)).order_by(ReminderLog.id)))


# ---------------------------------------------------------------- chase state


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
        ChaseCandidate(action_id=r[0], ref=r[1], text=r[2], due=r[3], owner_id=r[4], owner_slack_id=r[5],
                       owner_name=r[6], stage=r[7] or 0, chased_due=r[8], overdue_reminders=r[9] or 0,
                       snoozed_until=r[10], escalated_on=r[11], disowned_by=r[12], has_state=r[13] is not None)
        for r in session.execute(stmt)
    ]


def save_chase_states(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or update chase states (dicts of ActionChase columns, all with the same keys) in one statement."""
    if not rows:
        return
    stmt = _insert(session, ActionChase.__table__)
    columns = [k for k in rows[0] if k != "action_id"]
    stmt = stmt.on_conflict_do_update(index_elements=["action_id"],
                                      set_={c: getattr(stmt.excluded, c) for c in columns})
    session.connection().execute(stmt, list(rows))


def get_chase(*, session: Session, action_id: int) -> ActionChase | None:
    return session.get(ActionChase, action_id)


def chase_for_update(*, session: Session, action_id: int) -> ActionChase:
    """The action's chase state, created empty if it has none."""
    state = session.get(ActionChase, action_id)
    if state is None:
        state = ActionChase(action_id=action_id, stage=0, overdue_reminders=0)
        session.add(state)
        session.flush()
    return state


def actions_with_chase(*, session: Session, action_ids: Sequence[int]) -> list[tuple[Action, ActionChase | None]]:
    """Actions (with owner and board) and their chase state, in the order of `action_ids`."""
    if not action_ids:
        return []
    found = {a.id: a for a in session.scalars(select(Action).options(joinedload(Action.owner), joinedload(Action.board))
                                              .where(Action.id.in_(list(action_ids))))}
    states = {c.action_id: c for c in session.scalars(select(ActionChase).where(ActionChase.action_id.in_(list(action_ids))))}
    return [(found[i], states.get(i)) for i in action_ids if i in found]


def escalated_actions(*, session: Session, board_id: int) -> list[tuple[Action, ActionChase]]:
    """Open actions of the board that have been escalated, oldest due first."""
    rows = session.execute(
        select(Action, ActionChase)
        .join(ActionChase, ActionChase.action_id == Action.id)
        .options(joinedload(Action.owner))
        .where(Action.board_id == board_id, Action.status == ActionStatus.OPEN, ActionChase.escalated_on.is_not(None),
               ActionChase.due_date == Action.due_date)
        .order_by(Action.due_date, Action.ref)
    )
    return [(a, c) for a, c in rows]


def insert_rows(*, session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Plain bulk insert (one executemany statement)."""
    if rows:
        session.connection().execute(insert(model.__table__), list(rows))


def remember_dm_channel(*, session: Session, slack_user_id: str, channel_id: str) -> None:
    """Keep a member's DM channel with the bot, so a restart need not ask Slack for it again."""
    session.execute(update(Member).where(Member.slack_user_id == slack_user_id,
                                         (Member.dm_channel_id.is_(None)) | (Member.dm_channel_id != channel_id))
                    .values(dm_channel_id=channel_id))


def dm_channels(*, session: Session) -> dict[str, str]:
    """Every known DM channel, by Slack user id."""
    return dict(session.execute(select(Member.slack_user_id, Member.dm_channel_id).where(Member.dm_channel_id.is_not(None))).tuples().all())
