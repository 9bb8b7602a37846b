"""the seen-set of requests from Slack (replays and retries are acknowledged, not run again)

Revision ID: 0011_seen_requests
Revises: 0010_outbox_purge
"""
from alembic import op
import sqlalchemy as sa


revision = "0011_seen_requests"
down_revision = "0010_outbox_purge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seen_requests",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_seen_requests_expires_at", "seen_requests", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_seen_requests_expires_at", table_name="seen_requests")
    op.drop_table("seen_requests")
