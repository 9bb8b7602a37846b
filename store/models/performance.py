"""Partner updates for meetings, the outcomes and projects a board tracks, and their quarterly returns.

Both kinds of submission keep their history: a resubmission marks the current row replaced
(`replaced_at`) and adds a new one, and a partial unique index allows one current row per
organisation per meeting, and per item per quarter.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.core import Base, Board, Meeting, Member, Organisation, _enum

_CURRENT = text("replaced_at IS NULL")


class PerformanceKind(str, enum.Enum):
    OUTCOME = "outcome"
    PROJECT = "project"


class Rag(str, enum.Enum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


class PartnerUpdate(Base):
    """An organisation's update for a meeting; the current one has `replaced_at` unset."""

    __tablename__ = "partner_updates"
    __table_args__ = (
        Index("uq_partner_updates_current", "meeting_id", "organisation_id", unique=True,
              sqlite_where=_CURRENT, postgresql_where=_CURRENT),
        Index("ix_partner_updates_meeting", "meeting_id", "first_submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    text: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[dt.datetime]
    first_submitted_at: Mapped[dt.datetime]  # when the organisation first sent one for this meeting: agenda order
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # sent after the agenda was published
    replaced_at: Mapped[dt.datetime | None]

    board: Mapped[Board] = relationship()
    meeting: Mapped[Meeting] = relationship()
    organisation: Mapped[Organisation] = relationship()
    author: Mapped[Member] = relationship()


class PerformanceItem(Base):
    """A Borough Plan outcome (led by an organisation) or an LSP project (led by a member) reported quarterly."""

    __tablename__ = "performance_items"
    __table_args__ = (UniqueConstraint("board_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PerformanceKind] = mapped_column(_enum(PerformanceKind, "performance_kind"))
    name: Mapped[str] = mapped_column(String(300))
    lead_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    lead_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    milestones: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime]

    board: Mapped[Board] = relationship()
    lead_organisation: Mapped[Organisation | None] = relationship()
    lead_member: Mapped[Member | None] = relationship()


class QuarterlyReturn(Base):
    """A RAG status and commentary on an item for one quarter; the current one has `replaced_at` unset."""

    __tablename__ = "quarterly_returns"
    __table_args__ = (
        Index("uq_quarterly_returns_current", "item_id", "quarter", unique=True,
              sqlite_where=_CURRENT, postgresql_where=_CURRENT),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("performance_items.id", ondelete="CASCADE"), index=True)
    quarter: Mapped[str] = mapped_column(String(7))  # "2019-Q2", see store.quarters
    rag: Mapped[Rag] = mapped_column(_enum(Rag, "rag"))
    commentary: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    submitted_at: Mapped[dt.datetime]
    replaced_at: Mapped[dt.datetime | None]

    item: Mapped[PerformanceItem] = relationship()
    author: Mapped[Member] = relationship()
