"""lists of actions in the order of an index: soonest due first, undated last (see ACTION_LIST_DUE)

Revision ID: 0012_action_list_index
Revises: 0011_seen_requests
"""
from alembic import op
import sqlalchemy as sa


revision = "0012_action_list_index"
down_revision = "0011_seen_requests"
branch_labels = None
depends_on = None


LIST_DUE = sa.text("coalesce(due_date, '9999-12-31')")


def upgrade() -> None:
    op.create_index("ix_actions_list_order", "actions", ["board_id", "status", LIST_DUE, "ref"])
    op.create_index("ix_actions_owner_list_order", "actions", ["owner_id", "board_id", "status", LIST_DUE, "ref"])


def downgrade() -> None:
    op.drop_index("ix_actions_owner_list_order", table_name="actions")
    op.drop_index("ix_actions_list_order", table_name="actions")
