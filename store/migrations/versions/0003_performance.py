"""partner updates, performance items (outcomes and projects) and quarterly returns

Revision ID: 0003_performance
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0003_performance"
down_revision = "0001"
branch_labels = None
depends_on = None

_CURRENT = sa.text("replaced_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "partner_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["board_id"], ["boards.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["author_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_partner_updates_board_id", "partner_updates", ["board_id"])
    op.create_index("ix_partner_updates_meeting", "partner_updates", ["meeting_id", "first_submitted_at"])
    op.create_index("uq_partner_updates_current", "partner_updates", ["meeting_id", "organisation_id"], unique=True,
                    sqlite_where=_CURRENT, postgresql_where=_CURRENT)
    op.create_table(
        "performance_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("lead_organisation_id", sa.Integer(), nullable=True),
        sa.Column("lead_member_id", sa.Integer(), nullable=True),
        sa.Column("milestones", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["board_id"], ["boards.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["lead_organisation_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["lead_member_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("board_id", "name"),
    )
    op.create_index("ix_performance_items_board_id", "performance_items", ["board_id"])
    op.create_table(
        "quarterly_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("rag", sa.String(length=20), nullable=False),
        sa.Column("commentary", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["performance_items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_quarterly_returns_item_id", "quarterly_returns", ["item_id"])
    op.create_index("uq_quarterly_returns_current", "quarterly_returns", ["item_id", "quarter"], unique=True,
                    sqlite_where=_CURRENT, postgresql_where=_CURRENT)


def downgrade() -> None:
    op.drop_index("uq_quarterly_returns_current", table_name="quarterly_returns")
    op.drop_index("ix_quarterly_returns_item_id", table_name="quarterly_returns")
    op.drop_table("quarterly_returns")
    op.drop_index("ix_performance_items_board_id", table_name="performance_items")
    op.drop_table("performance_items")
    op.drop_index("uq_partner_updates_current", table_name="partner_updates")
    op.drop_index("ix_partner_updates_meeting", table_name="partner_updates")
    op.drop_index("ix_partner_updates_board_id", table_name="partner_updates")
    op.drop_table("partner_updates")
