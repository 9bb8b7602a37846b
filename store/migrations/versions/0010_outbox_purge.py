"""delivered outbox payloads are purged after the retention period

Revision ID: 0010_outbox_purge
Revises: 0009_outbox_claimed_by

`purged_at` says when a message's payload was emptied (by the daily purge-outbox job, or when the person it
was sent to was erased); the row, its key and where Slack put it stay, so a key is never queued twice.
"""
from alembic import op
import sqlalchemy as sa


revision = "0010_outbox_purge"
down_revision = "0009_outbox_claimed_by"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_outbox_status_sent", ["status", "sent_at"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_status_sent")
        batch.drop_column("purged_at")
