"""The forward plan (items per meeting, standing items) and the agenda (proposals, publications)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.core import Base, Meeting, Member


class ItemKind(str, enum.Enum):
    """What the board is asked to do with an item (the words a council agenda uses)."""

    DECISION = "for decision"
    DISCUSSION = "for discussion"
    INFORMATION = "for information"
    PRESENTATION = "presentation"
    STANDING = "standing item"


class ProposalStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class PlanItem(Base):
    """One item planned for one meeting: title, lead as written (linked where known), kind."""

    __tablename__ = "plan_items"
    __table_args__ = (
        UniqueConstraint("board_id", "ref"),
        Index("ix_plan_items_meeting_position", "meeting_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    ref: Mapped[int] = mapped_column(Integer)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    lead: Mapped[str] = mapped_column(String(300), default="")
    lead_links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(20), default=ItemKind.DISCUSSION.value)
    report_author: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # where it came from when carried over: [{"from": "2019-07-15", "why": "deferred" | "not reached"}, …]
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # a paper: whether the item needs one, and who writes it (chased like an action's owner)
    paper_required: Mapped[bool] = mapped_column(Boolean, default=False)
    paper_author_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL", name="fk_plan_items_paper_author"))
    # confidential (exempt information, Schedule 12A): left out of everything public; the reason as given
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    private_reason: Mapped[str | None] = mapped_column(Text)
    # added after the pack was published: the chair's reason for taking it as urgent (the minutes record it)
    urgent_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    meeting: Mapped[Meeting] = relationship()
    paper_author: Mapped[Member | None] = relationship(foreign_keys=[paper_author_id])


class StandingItem(Base):
    """An item declared once that appears at every meeting (or every Nth) from a date on."""

    __tablename__ = "plan_standing_items"
    __table_args__ = (UniqueConstraint("board_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    ref: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    lead: Mapped[str] = mapped_column(String(300), default="")
    lead_links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(20), default=ItemKind.STANDING.value)
    every: Mapped[int] = mapped_column(Integer, default=1)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime]


class AgendaProposal(Base):
    """An item a member proposed for a meeting, and the chair's decision on it."""

    __tablename__ = "agenda_proposals"
    __table_args__ = (UniqueConstraint("board_id", "ref"), Index("ix_agenda_proposals_meeting", "meeting_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    ref: Mapped[int] = mapped_column(Integer)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    lead: Mapped[str] = mapped_column(String(300), default="")
    lead_links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    proposer_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    status: Mapped[str] = mapped_column(String(20), default=ProposalStatus.PENDING.value)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    decided_at: Mapped[dt.datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]

    meeting: Mapped[Meeting] = relationship()
    proposer: Mapped[Member] = relationship(foreign_keys=[proposer_id])
    decided_by: Mapped[Member | None] = relationship(foreign_keys=[decided_by_id])


class AgendaPublication(Base):
    """A published version of a meeting's agenda: what was posted, so later drafts can show changes."""

    __tablename__ = "agenda_publications"
    __table_args__ = (UniqueConstraint("meeting_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[dt.datetime]
    published_by: Mapped[str] = mapped_column(String(40))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    markdown: Mapped[str] = mapped_column(Text)
