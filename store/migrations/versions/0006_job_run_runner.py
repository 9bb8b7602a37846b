"""job runs name the process that ran them

Revision ID: 0006_job_run_runner
Revises: 0005_merge

With several replicas on PostgreSQL, `runner` (host:pid) shows which one ran each job occasion.
"""
from alembic import op
import sqlalchemy as sa


revision = "0006_job_run_runner"
down_revision = "0005_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_runs") as batch:
        batch.add_column(sa.Column("runner", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_runs") as batch:
        batch.drop_column("runner")
