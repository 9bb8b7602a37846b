"""The meeting and its record: who came, declarations of interest, each item's outcome and notes, and the
minutes in every version (drafted, edited, circulated, confirmed, corrected)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.core import Base, Meeting, Member


class Outcome(str, enum.Enum):
    """What the board did with an item (the words its minutes use)."""

    AGREED = "agreed"
    AMENDED = "agreed as amended"
    NOTED = "noted"
    DEFERRED = "deferred"
    WITHDRAWN = "withdrawn"


class AttendanceReply(str, enum.Enum):
    """A member's answer, before the meeting, to whether they are coming."""

    ATTENDING = "attending"
    APOLOGIES = "apologies"
    SUBSTITUTE = "substitute"


class Presence(str, enum.Enum):
    """Who was at the meeting, as the secretariat records it there."""

    PRESENT = "present"
    APOLOGIES = "apologies"
    ABSENT = "absent"
    IN_ATTENDANCE = "in attendance"  # not a member (an officer, a guest)


class MinutesStatus(str, enum.Enum):
    DRAFT = "draft"
    CIRCULATED = "circulated"
    CONFIRMED = "confirmed"


class InterestKind(str, enum.Enum):
    PECUNIARY = "pecuniary"
    NON_PECUNIARY = "non-pecuniary"
    OTHER = "other"


class MeetingRecord(Base):
    """A meeting held in meeting mode: when it was opened and closed and by whom, its Slack message (whose thread
    holds one message per item), and where its minutes stand. One open meeting per board (a partial unique
    index, so two replicas cannot both open one)."""

    __tablename__ = "meeting_records"
    __table_args__ = (
        Index("ux_meeting_records_open", "board_id", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    opened_at: Mapped[dt.datetime]
    opened_by: Mapped[str] = mapped_column(String(40))
    closed_at: Mapped[dt.datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(40))  # "lspbot" when the scheduler closed it
    channel_id: Mapped[str] = mapped_column(String(40))
    ts: Mapped[str | None] = mapped_column(String(40))  # the meeting's message; its thread holds the items
    attendance_recorded_at: Mapped[dt.datetime | None]  # present/apologies taken (once)
    # the number of the item last given an outcome, a note or a declaration: an action raised without naming its
    # item arose from it
    last_item: Mapped[int | None] = mapped_column(Integer)
    quorate: Mapped[bool | None] = mapped_column(Boolean)
    minutes_status: Mapped[str | None] = mapped_column(String(20))
    minutes_drafted_at: Mapped[dt.datetime | None]
    circulated_at: Mapped[dt.datetime | None]
    circulated_by: Mapped[str | None] = mapped_column(String(40))
    confirmed_at: Mapped[dt.datetime | None]
    confirmed_by: Mapped[str | None] = mapped_column(String(40))
    confirmed_at_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting] = relationship(foreign_keys=[meeting_id])


class MeetingItem(Base):
    """One agenda item as taken at the meeting (copied from the published agenda when the meeting opens): its
    outcome and decision, its minute number once the minutes are drafted, and where a deferred item went."""

    __tablename__ = "meeting_items"
    __table_args__ = (
        UniqueConstraint("meeting_id", "number"),
        UniqueConstraint("board_id", "minute_year", "minute_seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(20))  # as the agenda's entries: welcome, plan, proposal, aob, …
    title: Mapped[str] = mapped_column(String(300), default="")
    lead: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(20), default="")
    ref: Mapped[str] = mapped_column(String(20), default="")  # the plan item's or proposal's ref (4, A2)
    plan_item_id: Mapped[int | None] = mapped_column(ForeignKey("plan_items.id", ondelete="SET NULL"))
    ts: Mapped[str | None] = mapped_column(String(40))  # the item's message in the meeting's thread
    outcome: Mapped[str | None] = mapped_column(String(20))
    decision: Mapped[str | None] = mapped_column(Text)
    outcome_by: Mapped[str | None] = mapped_column(String(40))
    outcome_at: Mapped[dt.datetime | None]
    minute_year: Mapped[int | None] = mapped_column(Integer)
    minute_seq: Mapped[int | None] = mapped_column(Integer)
    minute_number: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[str | None] = mapped_column(Text)  # the minute's text, as drafted or edited
    carried_to_id: Mapped[int | None] = mapped_column(ForeignKey("plan_items.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting] = relationship()


class MeetingNote(Base):
    """A note taken against an item during the meeting."""

    __tablename__ = "meeting_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("meeting_items.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]


class Attendance(Base):
    """One person and one meeting: a member's reply before it (attending, apologies, a substitute named) and
    the presence recorded at it. A substitute or someone in attendance who is not a member has a row with
    `member_id` empty and their name (and address) as given."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    reply: Mapped[str | None] = mapped_column(String(20))
    replied_at: Mapped[dt.datetime | None]
    substitute_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    substitute_name: Mapped[str | None] = mapped_column(String(200))
    substitute_email: Mapped[str | None] = mapped_column(String(320))
    substitute_for_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    presence: Mapped[str | None] = mapped_column(String(20))
    recorded_at: Mapped[dt.datetime | None]
    recorded_by: Mapped[str | None] = mapped_column(String(40))

    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])


class Interest(Base):
    """An entry in a board's register of interests."""

    __tablename__ = "interests"
    __table_args__ = (UniqueConstraint("board_id", "ref"), Index("ix_interests_member", "board_id", "member_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    ref: Mapped[int] = mapped_column(Integer)
    interest: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20), default=InterestKind.OTHER.value)
    declared_at: Mapped[dt.datetime]
    removed_at: Mapped[dt.datetime | None]
    confirmed_at: Mapped[dt.datetime | None]  # last confirmed in the yearly ask

    member: Mapped[Member] = relationship()


class Declaration(Base):
    """An interest declared against an item at a meeting, and whether the person left the room for it."""

    __tablename__ = "declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("meeting_items.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    interest: Mapped[str] = mapped_column(Text)
    left_room: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[dt.datetime]


class MinutesVersion(Base):
    """One version of a meeting's minutes, kept for ever: drafted, edited, circulated, confirmed, or a correction
    recorded at a later meeting (`at_meeting_id`) once they were confirmed."""

    __tablename__ = "minutes_versions"
    __table_args__ = (UniqueConstraint("meeting_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # drafted, edited, circulated, confirmed, corrected
    content: Mapped[dict[str, Any]]
    markdown: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str | None] = mapped_column(Text)  # what an edit or a correction changed, and why
    at_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(40))

