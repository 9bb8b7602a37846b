"""SQLAlchemy 2 models for boards, members, meetings, actions, the audit trail and the outbox."""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def slug_of(name: str) -> str:
    """A board's web address from its name: lower-case words joined by hyphens (`ealing-lsp-executive-board`)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "board"


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Role(str, enum.Enum):
    CHAIR = "chair"
    VICE_CHAIR = "vice-chair"
    SECRETARIAT = "secretariat"
    MEMBER = "member"


class ActionStatus(str, enum.Enum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=20)


class Board(Base):
    __tablename__ = "boards"
    __table_args__ = (UniqueConstraint("slug", name="uq_boards_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # its web pages' address, /b/<slug>/: store.boards.create makes it unique; a board made directly gets its name's
    slug: Mapped[str] = mapped_column(String(80), default=lambda ctx: slug_of(ctx.get_current_parameters()["name"]))
    channel_id: Mapped[str] = mapped_column(String(40), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    next_action_ref: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime]

    memberships: Mapped[list[Membership]] = relationship(back_populates="board", cascade="all, delete-orphan")


class Organisation(Base):
    """A partner organisation on one board's list (each board keeps its own)."""

    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("board_id", "name", name="uq_organisations_board_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE", name="fk_organisations_board"))
    name: Mapped[str] = mapped_column(String(200))


class Delivery(str, enum.Enum):
    """How a member is reached: in Slack (their DM), by email instead, by both, or in Slack with the documents (the
    pack, the minutes, reports) by email as well."""

    SLACK = "slack"
    EMAIL = "email"
    BOTH = "both"
    DOCUMENTS = "documents"


# A member who is not in the Slack workspace (reached by email alone) has an id of this form in place of a Slack
# user id (`mail:` and ten hex digits): it names them wherever a Slack id would (the audit's actor, an outbox
# target, a template's `mention`), and can never be taken for a Slack id, which starts with U or W.
EMAIL_MEMBER_PREFIX = "mail:"


def email_ready(email: str | None, confirmed_at: dt.datetime | None) -> bool:
    """Whether email may go to a member: an address they have confirmed."""
    return bool(email) and confirmed_at is not None


def is_email_member_id(user_id: str) -> bool:
    """Whether an id is an email-only member's (`mail:…`) rather than a Slack user's."""
    return str(user_id).startswith(EMAIL_MEMBER_PREFIX)


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("email", name="uq_members_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(40), unique=True)  # or `mail:…` (EMAIL_MEMBER_PREFIX)
    display_name: Mapped[str] = mapped_column(String(200))
    dm_channel_id: Mapped[str | None] = mapped_column(String(40))
    timezone: Mapped[str | None] = mapped_column(String(64))
    # their email address (normalised by email-validator), and when they confirmed it by its link: nothing but
    # the confirmation goes to an address until then
    email: Mapped[str | None] = mapped_column(String(254))
    email_confirmed_at: Mapped[dt.datetime | None]
    delivery: Mapped[Delivery] = mapped_column(_enum(Delivery, "delivery"), default=Delivery.SLACK,
                                               server_default=Delivery.SLACK.value)
    # optional digests by email (the List-Unsubscribe of such an email turns this off)
    email_digests: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # a DM to them that Slack refused for good (cannot_dm_bot, user_not_found, account_inactive…): they are
    # reached by email from then on if they have an address, and the secretariat was told when this was set
    dm_failed_at: Mapped[dt.datetime | None]
    dm_failed_reason: Mapped[str | None] = mapped_column(String(200))

    @property
    def in_slack(self) -> bool:
        """Whether they are a Slack user (not an email-only member)."""
        return not is_email_member_id(self.slack_user_id)

    @property
    def email_ready(self) -> bool:
        return email_ready(self.email, self.email_confirmed_at)

    memberships: Mapped[list[Membership]] = relationship(back_populates="member")

    def organisation_on(self, board_id: int) -> Organisation | None:
        """The organisation they represent on a board (or represented, if they have left it)."""
        return next((m.organisation for m in self.memberships if m.board_id == board_id), None)


class Membership(Base):
    """A person on a board: their role, the organisation they represent there, and when they left (a member
    who leaves keeps the row, so the board's record still knows whom they represented)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("board_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id",
                                                                   name="fk_memberships_organisation"))
    left_at: Mapped[dt.datetime | None]

    board: Mapped[Board] = relationship(back_populates="memberships")
    member: Mapped[Member] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation | None] = relationship()

    @property
    def current(self) -> bool:
        return self.left_at is None


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("board_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    starts_at: Mapped[dt.datetime | None]
    venue: Mapped[str] = mapped_column(String(200), default="TBC")
    host_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    theme: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime]
    # the agenda pack: the chair's approval (asked the working day before publication)
    pack_approved_at: Mapped[dt.datetime | None]
    pack_approved_by: Mapped[str | None] = mapped_column(String(40))

    board: Mapped[Board] = relationship()
    host_organisation: Mapped[Organisation | None] = relationship()


class Action(Base):
    __tablename__ = "actions"
    __table_args__ = (
        UniqueConstraint("board_id", "ref"),
        Index("ix_actions_owner_status_due", "owner_id", "status", "due_date"),
        Index("ix_actions_board_status_due", "board_id", "status", "due_date"),
        Index("ix_actions_board_created", "board_id", "created_at"),  # reports: raised in a period
        Index("ix_actions_board_status_closed", "board_id", "status", "closed_at"),  # reports: completed, open at a date
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    ref: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(_enum(ActionStatus, "action_status"), default=ActionStatus.OPEN)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    # the item of the meeting it arose from, when it was added while that meeting was open
    meeting_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_items.id", ondelete="SET NULL", name="fk_actions_meeting_item"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]
    source_permalink: Mapped[str | None] = mapped_column(String(500))

    board: Mapped[Board] = relationship()
    owner: Mapped[Member] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[Member] = relationship(foreign_keys=[created_by_id])
    meeting: Mapped[Meeting | None] = relationship()
    updates: Mapped[list[ActionUpdate]] = relationship(
        back_populates="action", order_by="ActionUpdate.id", cascade="all, delete-orphan"
    )


# Lists of actions go soonest due first, undated last, by number: the order of this expression and `ref`. A plain
# `ORDER BY due_date` puts NULLs first on SQLite and last on PostgreSQL, and `ORDER BY due_date IS NULL, …` is served
# by no index on either, so the expression sorts an undated action as due on a day after any a board can set
# (handlers.dates.LATEST), and ix_actions_list_order serves it on both in one ordered index range; one person's
# lists (mine, @someone) have ix_actions_owner_list_order, else SQLite, which has no statistics unless ANALYZE is
# run, would walk the board's list and skip everyone else's actions.
UNDATED_SORTS_AS = "9999-12-31"
ACTION_LIST_DUE = func.coalesce(Action.due_date, literal_column(f"'{UNDATED_SORTS_AS}'", Date))
Index("ix_actions_list_order", Action.board_id, Action.status, ACTION_LIST_DUE, Action.ref)
Index("ix_actions_owner_list_order", Action.owner_id, Action.board_id, Action.status, ACTION_LIST_DUE, Action.ref)


class ActionUpdate(Base):
    """One entry in an action's history: a progress note, a closure, a reassignment."""

    __tablename__ = "action_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(20), default="progress")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime]

    action: Mapped[Action] = relationship(back_populates="updates")
    author: Mapped[Member] = relationship()


class AuditRecord(Base):
    """Who changed what, when, with the state before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id", "operation", "at"),)  # one entity's history

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    operation: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class OutboxStatus(str, enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    """A message to deliver to Slack, written in the same transaction as the state it reports."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "next_attempt_at", "id"),
                      Index("ix_outbox_status_sent", "status", "sent_at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    target_kind: Mapped[str] = mapped_column(String(10))  # "user", "channel" or "email"
    target: Mapped[str] = mapped_column(String(320))  # a Slack user or channel id, or an email address
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime]
    claimed_until: Mapped[dt.datetime | None]  # on the real clock, whatever LSPBOT_NOW says
    claimed_by: Mapped[str | None] = mapped_column(String(200))  # the sending process: host:pid:start token
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    slack_ts: Mapped[str | None] = mapped_column(String(40))
    slack_channel: Mapped[str | None] = mapped_column(String(40))
    purged_at: Mapped[dt.datetime | None]  # when the payload was emptied (retention, or its person erased)


class UsedLink(Base):
    """An answer link (handlers.links) whose form has been sent: a link does its work once, then says so."""

    __tablename__ = "used_links"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    used_at: Mapped[dt.datetime]
