"""The scheduler's own tables: job runs, the reminder log, and each action's chase state."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.core import Base


class JobRun(Base):
    """One run of a scheduled job for a board at one occasion (the trigger's fire time). Unique, so an
    occasion runs once however many replicas, restarts or catch-ups see it."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job_id", "board_id", "occasion"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(40))
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    occasion: Mapped[dt.datetime]
    started_at: Mapped[dt.datetime]
    how: Mapped[str] = mapped_column(String(20), default="schedule")  # schedule, catch-up, manual
    runner: Mapped[str | None] = mapped_column(String(120))  # host:pid of the process that ran it
    queued: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str | None] = mapped_column(Text)


class ReminderLog(Base):
    """Every reminder sent: `key` names the reminder and its occasion (unique, so never twice);
    `message_key` is the outbox key of the message that carried it. An owner's chase reminder is one row, keyed by
    its message, and the actions it listed are its ReminderAction rows."""

    __tablename__ = "reminder_log"
    __table_args__ = (Index("ix_reminder_log_message_key", "message_key"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    occasion: Mapped[dt.date] = mapped_column(Date)
    detail: Mapped[str | None] = mapped_column(String(40))
    message_key: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[dt.datetime]


class ReminderAction(Base):
    """An action a reminder message listed (the chase job's DM to its owner), at its place in the message.

    A run of the chase job writes one of these for every action it reminds anyone of (about 115,000 on a board of
    1,000,000 actions), so neither column is a foreign key: on PostgreSQL the check of each row (a lookup and a
    lock of the action's row, or of the reminder-log row) cost more than the rest of the row. `action_id` is
    indexed. Nothing in lspbot deletes an action or a reminder-log row (an action is closed or dropped, a
    reminder's row is kept), so none of these is left naming one that is gone."""

    __tablename__ = "reminder_actions"
    __table_args__ = {"sqlite_with_rowid": False}

    message_key: Mapped[str] = mapped_column(String(200), primary_key=True)  # a reminder_log.key
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    action_id: Mapped[int] = mapped_column(Integer, index=True)


class ActionChase(Base):
    """Where an action is in its reminder cadence. Reset when its due date changes."""

    __tablename__ = "action_chases"

    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True)
    due_date: Mapped[dt.date | None] = mapped_column(Date)  # the due date the stage counts from
    stage: Mapped[int] = mapped_column(Integer, default=0)  # 0 none, 1 due soon, 2 due, 2+k overdue k weeks
    overdue_reminders: Mapped[int] = mapped_column(Integer, default=0)
    last_reminded_on: Mapped[dt.date | None] = mapped_column(Date)
    snoozed_until: Mapped[dt.date | None] = mapped_column(Date)
    escalated_on: Mapped[dt.date | None] = mapped_column(Date)
    disowned_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    response: Mapped[str | None] = mapped_column(String(20))  # the owner's last answer: done, update, snooze, not_mine
    response_at: Mapped[dt.datetime | None]
