"""merge the plan, performance and scheduler branches into one head

Revision ID: 0005_merge
Revises: 0002_plan, 0003_performance, 0004_schedule

0002, 0003 and 0004 were each written on top of 0001; this revision joins them so the history has one
head again: `alembic upgrade head` works and `lspbot db current` names one revision. It changes no schema.
"""

revision = "0005_merge"
down_revision = ("0002_plan", "0003_performance", "0004_schedule")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
