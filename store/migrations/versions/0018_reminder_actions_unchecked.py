"""reminder_actions.message_key without its foreign key to reminder_log.key: on PostgreSQL the check of each of a
chase run's rows (about 115,000 on a board of 1,000,000 actions) was a third of the run's writing of them. Nothing in
lspbot deletes a reminder-log row, so nothing is left behind without it.

Revision ID: 0018_reminder_actions_unchecked
Revises: 0017_reminder_actions
"""
from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op

revision = "0018_reminder_actions_unchecked"
down_revision = "0017_reminder_actions"
branch_labels = None
depends_on = None

POSTGRESQL_NAME = "reminder_actions_message_key_fkey"  # the name PostgreSQL gave the unnamed constraint
# SQLite keeps no name for it: batch mode names it by this convention to drop it (Alembic's recipe).
SQLITE_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s"}
SQLITE_NAME = "fk_reminder_actions_message_key"


@contextmanager
def _reflecting() -> Iterator[None]:
    """Batch mode reflects the tables the foreign key leads to, and SQLAlchemy cannot reflect the actions' indexes on
    an expression (it says so, and leaves them out of what it reflects; the actions table is not rebuilt)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")
        yield


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(POSTGRESQL_NAME, "reminder_actions", type_="foreignkey")
        return
    with _reflecting(), op.batch_alter_table("reminder_actions", naming_convention=SQLITE_NAMES, recreate="always",
                                             table_kwargs={"sqlite_with_rowid": False}) as batch:
        batch.drop_constraint(SQLITE_NAME, type_="foreignkey")


def downgrade() -> None:
    # Listed actions of reminder-log rows deleted meanwhile (by hand: lspbot deletes none) would fail the key.
    op.execute("DELETE FROM reminder_actions WHERE message_key NOT IN (SELECT key FROM reminder_log)")
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(POSTGRESQL_NAME, "reminder_actions", "reminder_log", ["message_key"], ["key"],
                              ondelete="CASCADE")
        return
    with _reflecting(), op.batch_alter_table("reminder_actions", recreate="always",
                                             table_kwargs={"sqlite_with_rowid": False}) as batch:
        batch.create_foreign_key(SQLITE_NAME, "reminder_log", ["message_key"], ["key"], ondelete="CASCADE")
