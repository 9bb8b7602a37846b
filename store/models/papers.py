"""Papers and the agenda pack: files kept (in the database or a folder), each item's paper in every version, the
packs built and published for a meeting, and each member's secret calendar feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.core import Base, Meeting, Member
from store.models.plan import PlanItem


class StoredFile(Base):
    """A file's bytes, kept once by content: in `content` (the database, so every replica sees it) or, where a
    papers folder is configured, at `path` under it (named by the hash, so a replica sharing the folder finds it)."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    path: Mapped[str | None] = mapped_column(String(300))  # relative to the papers folder
    created_at: Mapped[dt.datetime]


class Paper(Base):
    """One version of the paper for a plan item. The newest version is the one a pack carries; older ones are kept.
    `late`: it arrived after the meeting's pack was published (it goes out in a supplementary pack)."""

    __tablename__ = "papers"
    __table_args__ = (UniqueConstraint("plan_item_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    plan_item_id: Mapped[int] = mapped_column(ForeignKey("plan_items.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))  # application/pdf or the Word types
    size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    pages: Mapped[int | None] = mapped_column(Integer)  # None: a Word file whose pages could not be counted
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    submitted_by: Mapped[str] = mapped_column(String(40))  # the Slack user id, or "cli"
    submitted_at: Mapped[dt.datetime]
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    supplement: Mapped[int | None] = mapped_column(Integer)  # the supplementary pack it went out in

    item: Mapped[PlanItem] = relationship()
    file: Mapped[StoredFile] = relationship()
    submitter: Mapped[Member | None] = relationship()


class AgendaPack(Base):
    """One built PDF pack of a meeting: `number` 0 is the pack, 1, 2, … the supplementary packs; `audience`
    `public` leaves the confidential items out, `members` holds everything. `contents` lists what is in it, in
    order: [{"item": "P4", "number": 3, "title": …, "paper_id": 12, "first_page": 5, "pages": 8,
    "private": false}], and `separate` the Word papers that could not be converted (sent beside it)."""

    __tablename__ = "agenda_packs"
    __table_args__ = (UniqueConstraint("meeting_id", "number", "audience"),
                      Index("ix_agenda_packs_board_published", "board_id", "published_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer, default=0)
    audience: Mapped[str] = mapped_column(String(10), default="public")  # public | members
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    filename: Mapped[str] = mapped_column(String(200))
    pages: Mapped[int] = mapped_column(Integer)
    contents: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    separate: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    built_at: Mapped[dt.datetime]
    published_at: Mapped[dt.datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(40))

    meeting: Mapped[Meeting] = relationship()
    file: Mapped[StoredFile] = relationship()


class CalendarFeed(Base):
    """A member's secret calendar feed of one board's meetings (`/plan ics feed`); a reset revokes the token and
    issues another."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
