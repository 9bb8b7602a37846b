"""the chase reminder log by message: one reminder-log row per reminder DM (its key the message's outbox key) and
the actions it listed, in order, in reminder_actions, in place of one reminder-log row per action

Revision ID: 0017_reminder_actions
Revises: 0016_email_members
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_reminder_actions"
down_revision = "0016_email_members"
branch_labels = None
depends_on = None

# The rows the chase job wrote before: one per action, each naming the message (its outbox key) that listed it.
_PER_ACTION = "kind = 'chase' AND action_id IS NOT NULL AND message_key IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "reminder_actions",
        sa.Column("message_key", sa.String(200), sa.ForeignKey("reminder_log.key", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),  # not a foreign key: see store.models.ReminderAction
        sa.PrimaryKeyConstraint("message_key", "position"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_reminder_actions_action_id", "reminder_actions", ["action_id"])
    # Each message's row, keyed by the message (its count of actions as the detail), then the actions it listed
    # in the order they were logged, then the rows per action go.
    op.execute(f"INSERT INTO reminder_log (key, board_id, kind, action_id, member_id, occasion, detail, message_key, "
               f"sent_at) SELECT message_key, MIN(board_id), 'chase', NULL, MIN(member_id), MIN(occasion), "
               f"CAST(COUNT(*) AS VARCHAR(40)), message_key, MIN(sent_at) FROM reminder_log WHERE {_PER_ACTION} "
               f"GROUP BY message_key")
    op.execute(f"INSERT INTO reminder_actions (message_key, position, action_id) SELECT message_key, "
               f"ROW_NUMBER() OVER (PARTITION BY message_key ORDER BY id) - 1, action_id FROM reminder_log "
               f"WHERE {_PER_ACTION}")
    op.execute(f"DELETE FROM reminder_log WHERE {_PER_ACTION}")


def downgrade() -> None:
    # A row per action again, keyed by the action and the message (the per-action key's due date and stage, and
    # the words "soon", "today" or "overdue", were not kept by the rows per message).
    op.execute("INSERT INTO reminder_log (key, board_id, kind, action_id, member_id, occasion, detail, message_key, "
               "sent_at) SELECT 'chase:' || CAST(a.action_id AS VARCHAR(20)) || ':' || a.message_key, r.board_id, "
               "'chase', a.action_id, r.member_id, r.occasion, NULL, a.message_key, r.sent_at "
               "FROM reminder_actions a JOIN reminder_log r ON r.key = a.message_key ORDER BY a.message_key, a.position")
    op.execute("DELETE FROM reminder_log WHERE kind = 'chase' AND action_id IS NULL AND key IN "
               "(SELECT message_key FROM reminder_actions)")
    op.drop_index("ix_reminder_actions_action_id", table_name="reminder_actions")
    op.drop_table("reminder_actions")
