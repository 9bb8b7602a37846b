"""outbox claims name the process that holds them

Revision ID: 0009_outbox_claimed_by
Revises: 0008_plain_mentions

`claimed_by` (host:pid:start token) lets a process restarted on the same host take over at once the messages
its killed predecessor had claimed, instead of waiting for the lease to run out.
"""
from alembic import op
import sqlalchemy as sa


revision = "0009_outbox_claimed_by"
down_revision = "0008_plain_mentions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
