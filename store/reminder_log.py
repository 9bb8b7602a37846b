"""The reminder log: one row per reminder and occasion (its key is unique, so a reminder never goes twice),
and which outbox message carried it; a chase reminder (one owner's DM listing their actions) is one row keyed by
its message, with the actions it listed in reminder_actions.

Bulk writes go out as one statement (db.insert_rows), so a job's statement count does not grow with the number of
actions it looks at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple, cast

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from store.db import insert_rows, upsert_insert
from store.rows import read_rows
from store.models import OutboxMessage, OutboxStatus, ReminderAction, ReminderLog


class DeliveredReminder(NamedTuple):
    """A reminder message Slack has taken: its outbox key and where it was posted."""

    message_key: str
    channel: str
    ts: str


class Reminder(NamedTuple):
    """One reminder-log row (columns of ReminderLog)."""

    key: str
    board_id: int
    kind: str
    action_id: int | None
    member_id: int | None
    occasion: dt.date
    detail: str | None
    message_key: str | None
    sent_at: dt.datetime


ListedAction = tuple[str, int, int]
"""An action a reminder message listed: (the message's key, its place in the message from 0, the action's id), the
columns of ReminderAction. A plain tuple: a run of the chase job makes one for each action it reminds anyone of."""
LISTED_COLUMNS = ("message_key", "position", "action_id")


def log_reminders(*, session: Session, rows: Sequence[Reminder], listed: Sequence[ListedAction] = ()) -> None:
    """Add reminder-log rows and the actions their messages listed, one statement for each table however many;
    existing keys are kept (and what their messages listed)."""
    insert_rows(session, ReminderLog.__table__, Reminder._fields, rows, key=["key"])
    insert_rows(session, ReminderAction.__table__, LISTED_COLUMNS, listed, key=["message_key", "position"])


def log_reminder(*, session: Session, key: str, board_id: int, kind: str, occasion: dt.date, now: dt.datetime,
                 action_id: int | None = None, member_id: int | None = None, detail: str | None = None,
                 message_key: str | None = None) -> bool:
    """Log one reminder; False if its key was logged before (so it must not be sent again)."""
    stmt = upsert_insert(session, ReminderLog).values(
        key=key, board_id=board_id, kind=kind, occasion=occasion, sent_at=now, action_id=action_id,
        member_id=member_id, detail=detail, message_key=message_key).on_conflict_do_nothing(index_elements=["key"])
    return session.execute(stmt.returning(ReminderLog.id)).first() is not None


# Built once (closing an action by command runs it): building it cost more than the database running it.
_DELIVERED = (select(OutboxMessage.key, OutboxMessage.slack_channel, OutboxMessage.slack_ts)
              .join(ReminderAction, ReminderAction.message_key == OutboxMessage.key)
              .where(ReminderAction.action_id == bindparam("action"), OutboxMessage.status == OutboxStatus.SENT,
                     OutboxMessage.slack_channel.is_not(None), OutboxMessage.slack_ts.is_not(None))
              .order_by(OutboxMessage.id.desc()).limit(bindparam("limit")))


def delivered_reminders_of(*, session: Session, action_id: int, limit: int = 10) -> list[DeliveredReminder]:
    """The reminder DMs that listed the action and that Slack has taken, newest first (at most `limit`), so
    closing it by command can redraw them without its buttons."""
    return [DeliveredReminder(key, cast(str, channel), cast(str, ts)) for key, channel, ts in
            read_rows(session, _DELIVERED, {"action": action_id, "limit": limit})]


def actions_in_message(*, session: Session, message_key: str) -> list[int]:
    """The action ids a reminder message listed, in the order it listed them."""
    return list(session.scalars(select(ReminderAction.action_id).where(ReminderAction.message_key == message_key)
                                .order_by(ReminderAction.position)))
