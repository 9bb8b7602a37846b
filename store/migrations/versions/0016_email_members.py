"""partners outside Slack: a member's email address (confirmed by a link before anything else goes to it), how
they want to be reached (slack, email, both, or documents by email), a Slack DM that failed for good, the answer
links already used, and outbox targets long enough for an email address

Revision ID: 0016_email_members
Revises: 0015_papers_web
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_email_members"
down_revision = "0015_papers_web"
branch_labels = None
depends_on = None

_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))
        batch.add_column(sa.Column("email_confirmed_at", _UTC, nullable=True))
        batch.add_column(sa.Column("delivery", sa.String(20), nullable=False, server_default="slack"))
        batch.add_column(sa.Column("email_digests", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("dm_failed_at", _UTC, nullable=True))
        batch.add_column(sa.Column("dm_failed_reason", sa.String(200), nullable=True))
        batch.create_unique_constraint("uq_members_email", ["email"])
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("target", existing_type=sa.String(40), type_=sa.String(320), existing_nullable=False)
    op.create_table(
        "used_links",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("used_at", _UTC, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("used_links")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("target", existing_type=sa.String(320), type_=sa.String(40), existing_nullable=False)
    with op.batch_alter_table("members") as batch:
        batch.drop_constraint("uq_members_email", type_="unique")
        for column in ("dm_failed_reason", "dm_failed_at", "email_digests", "delivery", "email_confirmed_at", "email"):
            batch.drop_column(column)
