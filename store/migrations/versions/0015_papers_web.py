"""papers and the agenda pack: stored files, papers in versions, packs, members' calendar feeds; a plan item's
paper, author, confidentiality and urgency; a meeting's pack approval; each board's web address (its slug)

Revision ID: 0015_papers_web
Revises: 0014_meeting_record
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0015_papers_web"
down_revision = "0014_meeting_record"
branch_labels = None
depends_on = None

_UTC = sa.DateTime(timezone=True)
_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _slug(name: str) -> str:
    """As store.boards.slug_for at the time of this migration: lower-case words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "board"


def upgrade() -> None:
    op.create_table(
        "stored_files",
        sa.Column("id", _BIG, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("size", _BIG, nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("path", sa.String(300), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
    )
    op.create_table(
        "papers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("board_id", sa.Integer(), sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("plan_item_id", sa.Integer(), sa.ForeignKey("plan_items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("file_id", _BIG, sa.ForeignKey("stored_files.id"), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", _BIG, nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), sa.ForeignKey("members.id", ondelete="SET NULL"), nullable=True),
        sa.Column("submitted_by", sa.String(40), nullable=False),
        sa.Column("submitted_at", _UTC, nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("supplement", sa.Integer(), nullable=True),
        sa.UniqueConstraint("plan_item_id", "version"),
    )
    op.create_table(
        "agenda_packs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("board_id", sa.Integer(), sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(10), nullable=False),
        sa.Column("file_id", _BIG, sa.ForeignKey("stored_files.id"), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("contents", sa.JSON(), nullable=False),
        sa.Column("separate", sa.JSON(), nullable=False),
        sa.Column("built_at", _UTC, nullable=False),
        sa.Column("published_at", _UTC, nullable=True),
        sa.Column("published_by", sa.String(40), nullable=True),
        sa.UniqueConstraint("meeting_id", "number", "audience"),
    )
    op.create_index("ix_agenda_packs_board_published", "agenda_packs", ["board_id", "published_at"])
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("board_id", sa.Integer(), sa.ForeignKey("boards.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("revoked_at", _UTC, nullable=True),
    )
    with op.batch_alter_table("plan_items", recreate="auto") as batch:
        batch.add_column(sa.Column("paper_required", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("paper_author_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("private_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("urgent_reason", sa.Text(), nullable=True))
        batch.create_foreign_key("fk_plan_items_paper_author", "members", ["paper_author_id"], ["id"],
                                 ondelete="SET NULL")
    with op.batch_alter_table("plan_items") as batch:  # the defaults filled the rows there are; new ones set them
        batch.alter_column("paper_required", server_default=None)
        batch.alter_column("private", server_default=None)
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(sa.Column("pack_approved_at", _UTC, nullable=True))
        batch.add_column(sa.Column("pack_approved_by", sa.String(40), nullable=True))
    op.add_column("boards", sa.Column("slug", sa.String(80), nullable=True))
    boards = sa.table("boards", sa.column("id", sa.Integer()), sa.column("name", sa.String()),
                      sa.column("slug", sa.String()))
    taken: set[str] = set()
    conn = op.get_bind()
    for board_id, name in conn.execute(sa.select(boards.c.id, boards.c.name).order_by(boards.c.id)).all():
        base = slug = _slug(name)
        n = 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        conn.execute(boards.update().where(boards.c.id == board_id).values(slug=slug))
    with op.batch_alter_table("boards") as batch:
        batch.alter_column("slug", existing_type=sa.String(80), nullable=False)
        batch.create_unique_constraint("uq_boards_slug", ["slug"])


def downgrade() -> None:
    with op.batch_alter_table("boards") as batch:
        batch.drop_constraint("uq_boards_slug", type_="unique")
        batch.drop_column("slug")
    with op.batch_alter_table("meetings") as batch:
        batch.drop_column("pack_approved_by")
        batch.drop_column("pack_approved_at")
    with op.batch_alter_table("plan_items", recreate="auto") as batch:
        batch.drop_constraint("fk_plan_items_paper_author", type_="foreignkey")
        for column in ("urgent_reason", "private_reason", "private", "paper_author_id", "paper_required"):
            batch.drop_column(column)
    for table in ("calendar_feeds", "agenda_packs", "papers", "stored_files"):
        op.drop_table(table)
