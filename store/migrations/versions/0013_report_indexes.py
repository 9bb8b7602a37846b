"""indexes for reports: actions by board and time raised, by board, status and time closed; audit records by entity

Revision ID: 0013_report_indexes
Revises: 0012_action_list_index
"""
from alembic import op


revision = "0013_report_indexes"
down_revision = "0012_action_list_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_actions_board_created", "actions", ["board_id", "created_at"])
    op.create_index("ix_actions_board_status_closed", "actions", ["board_id", "status", "closed_at"])
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id", "operation", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_entity", table_name="audit_log")
    op.drop_index("ix_actions_board_status_closed", table_name="actions")
    op.drop_index("ix_actions_board_created", table_name="actions")
