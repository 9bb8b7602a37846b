"""scheduler: job runs, reminder log, action chase state

Revision ID: 0004_schedule
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0004_schedule"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("occasion", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("how", sa.String(length=20), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["board_id"], ["boards.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id", "board_id", "occasion"),
    )
    op.create_table(
        "reminder_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("occasion", sa.Date(), nullable=False),
        sa.Column("detail", sa.String(length=40), nullable=True),
        sa.Column("message_key", sa.String(length=200), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["actions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["board_id"], ["boards.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_reminder_log_message_key", "reminder_log", ["message_key"])
    op.create_index("ix_reminder_log_board_id", "reminder_log", ["board_id"])
    op.create_index("ix_reminder_log_action_id", "reminder_log", ["action_id"])
    op.create_table(
        "action_chases",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("overdue_reminders", sa.Integer(), nullable=False),
        sa.Column("last_reminded_on", sa.Date(), nullable=True),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("escalated_on", sa.Date(), nullable=True),
        sa.Column("disowned_by", sa.Integer(), nullable=True),
        sa.Column("response", sa.String(length=20), nullable=True),
        sa.Column("response_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["action_id"], ["actions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["disowned_by"], ["members.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("action_id"),
    )


def downgrade() -> None:
    op.drop_table("action_chases")
    op.drop_index("ix_reminder_log_action_id", table_name="reminder_log")
    op.drop_index("ix_reminder_log_board_id", table_name="reminder_log")
    op.drop_index("ix_reminder_log_message_key", table_name="reminder_log")
    op.drop_table("reminder_log")
    op.drop_table("job_runs")
