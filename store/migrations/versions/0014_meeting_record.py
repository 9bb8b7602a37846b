"""the meeting and its record: meeting mode, items and their outcomes, notes, attendance, the register of
interests, declarations, minutes in every version; an action's item of origin; a plan item's history

Revision ID: 0014_meeting_record
Revises: 0013_report_indexes
"""
from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

revision = "0014_meeting_record"
down_revision = "0013_report_indexes"
branch_labels = None
depends_on = None

_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "meeting_records",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("board_id", sa.Integer(), sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
        sa.Column("opened_at", _UTC, nullable=False),
        sa.Column("opened_by", sa.String(40), nullable=False),
        sa.Column("closed_at", _UTC, nullable=True),
        sa.Column("closed_by", sa.String(40), nullable=True),
        sa.Column("channel_id", sa.String(40), nullable=False),
        sa.Column("ts", sa.String(40), nullable=True),
        sa.Column("attendance_recorded_at", _UTC, nullable=True),
        sa.Column("last_item", sa.Integer(), nullable=True),
        sa.Column("quorate", sa.Boolean(), nullable=True),
        sa.Column("minutes_status", sa.String(20), nullable=True),
        sa.Column("minutes_drafted_at", _UTC, nullable=True),
        sa.Column("circulated_at", _UTC, nullable=True),
        sa.Column("circulated_by", sa.String(40), nullable=True),
        sa.Column("confirmed_at", _UTC, nullable=True),
        sa.Column("confirmed_by", sa.String(40), nullable=True),
        sa.Column("confirmed_at_meeting_id", sa.Integer(), sa.ForeignKey("meetings.id", ondelete="SET NULL"),
                  nullable=True),
    )
    op.create_index("ux_meeting_records_open", "meeting_records", ["board_id"], unique=True,
                    sqlite_where=sa.text("closed_at IS NULL"), postgresql_where=sa.text("closed_at IS NULL"))
    op.create_table(
        "meeting_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("board_id", sa.Integer(), sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(20), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("lead", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("ref", sa.String(20), nullable=False),
        sa.Column("plan_item_id", sa.Integer(), sa.ForeignKey("plan_items.id", ondelete="SET NULL"), nullable=True),
        sa.Column("ts", sa.String(40), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("outcome_by", sa.String(40), nullable=True),
        sa.Column("outcome_at", _UTC, nullable=True),
        sa.Column("minute_year", sa.Integer(), nullable=True),
        sa.Column("minute_seq", sa.Integer(), nullable=True),
        sa.Column("minute_number", sa.String(40), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("carried_to_id", sa.Integer(), sa.ForeignKey("plan_items.id", ondelete="SET NULL"), nullable=True),
        sa.UniqueConstraint("meeting_id", "number"),
        sa.UniqueConstraint("board_id", "minute_year", "minute_seq"),
    )
    op.create_table(
        "meeting_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("meeting_items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author", sa.String(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
    )
    op.create_index("ix_meeting_notes_item_id", "meeting_notes", ["item_id"])
    op.create_table(
        "meeting_attendance",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("reply", sa.String(20), nullable=True),
        sa.Column("replied_at", _UTC, nullable=True),
        sa.Column("substitute_member_id", sa.Integer(), sa.ForeignKey("members.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("substitute_name", sa.String(200), nullable=True),
        sa.Column("substitute_email", sa.String(320), nullable=True),
        sa.Column("substitute_for_id", sa.Integer(), sa.ForeignKey("members.id", ondelete="SET NULL"), nullable=True),
        sa.Column("presence", sa.String(20), nullable=True),
        sa.Column("recorded_at", _UTC, nullable=True),
        sa.Column("recorded_by", sa.String(40), nullable=True),
        sa.UniqueConstraint("meeting_id", "member_id"),
    )
    op.create_index("ix_meeting_attendance_meeting_id", "meeting_attendance", ["meeting_id"])
    op.create_table(
        "interests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("board_id", sa.Integer(), sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ref", sa.Integer(), nullable=False),
        sa.Column("interest", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("declared_at", _UTC, nullable=False),
        sa.Column("removed_at", _UTC, nullable=True),
        sa.Column("confirmed_at", _UTC, nullable=True),
        sa.UniqueConstraint("board_id", "ref"),
    )
    op.create_index("ix_interests_member", "interests", ["board_id", "member_id"])
    op.create_table(
        "declarations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("meeting_items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id", ondelete="SET NULL"), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("interest", sa.Text(), nullable=False),
        sa.Column("left_room", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.String(40), nullable=False),
        sa.Column("recorded_at", _UTC, nullable=False),
    )
    op.create_index("ix_declarations_meeting_id", "declarations", ["meeting_id"])
    op.create_table(
        "minutes_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at_meeting_id", sa.Integer(), sa.ForeignKey("meetings.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.UniqueConstraint("meeting_id", "version"),
    )
    op.add_column("plan_items", sa.Column("history", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("plan_items") as batch:  # the default fills the rows there are; new ones set it
        batch.alter_column("history", server_default=None)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot add a reference with its options to a table in place: the table is rebuilt, and the
        # expression indexes the rebuild cannot carry over (0012's list order) are made again after it.
        with _expression_indexes_left_to_us(), op.batch_alter_table("actions", recreate="always") as batch:
            batch.add_column(sa.Column("meeting_item_id", sa.Integer(), nullable=True))
            batch.create_foreign_key("fk_actions_meeting_item", "meeting_items", ["meeting_item_id"], ["id"], ondelete="SET NULL")
        _list_indexes()
    else:
        op.add_column("actions", sa.Column("meeting_item_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_actions_meeting_item", "actions", "meeting_items", ["meeting_item_id"], ["id"],
                              ondelete="SET NULL")


@contextlib.contextmanager
def _expression_indexes_left_to_us() -> Iterator[None]:
    """The rebuild's reflection skips the expression indexes, with a warning; `_list_indexes` makes them again."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        yield


def _list_indexes() -> None:
    """0012's indexes on `actions`, as they were, after a rebuild of the table on SQLite."""
    list_due = sa.text("coalesce(due_date, '9999-12-31')")
    op.execute("DROP INDEX IF EXISTS ix_actions_list_order")
    op.execute("DROP INDEX IF EXISTS ix_actions_owner_list_order")
    op.create_index("ix_actions_list_order", "actions", ["board_id", "status", list_due, "ref"])
    op.create_index("ix_actions_owner_list_order", "actions", ["owner_id", "board_id", "status", list_due, "ref"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with _expression_indexes_left_to_us(), op.batch_alter_table("actions", recreate="always") as batch:
            batch.drop_column("meeting_item_id")
        _list_indexes()
    else:
        op.drop_constraint("fk_actions_meeting_item", "actions", type_="foreignkey")
        op.drop_column("actions", "meeting_item_id")
    with op.batch_alter_table("plan_items") as batch:
        batch.drop_column("history")
    for table in ("minutes_versions", "declarations", "interests", "meeting_attendance", "meeting_notes",
                  "meeting_items", "meeting_records"):
        op.drop_table(table)
