"""How each member is reached: their Slack DM, their email, both, or (said, never silently) neither.

A member's lspbot id is a Slack user id or, for a member outside Slack, `mail:…`. What goes to their DM goes:
- in Slack, unless they are email-only, chose email (`delivery` EMAIL) or Slack refused their DM for good
  (`dm_failed_at`);
- by email as well or instead, to a confirmed address (`email_ready`) only and only where email is set up
  (LSPBOT_SMTP_URL and LSPBOT_MAIL_FROM): for the email-only, those on EMAIL or BOTH, those whose DM failed, and,
  for documents and files alone, those on DOCUMENTS.
A Slack member who chose email but cannot have it (no confirmed address, no SMTP) keeps getting their DMs; someone
who has neither (email-only, or their DM failed, with no email) gets nothing, and `unreachable_members` says why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from store.models import EMAIL_MEMBER_PREFIX, Delivery, Member, Membership, is_email_member_id

LOOKUP_CHUNK = 2000  # ids per query (SQLite's bound-parameter limit is far above this)


class Mail(NamedTuple):
    """Email is set up (LSPBOT_SMTP_URL and LSPBOT_MAIL_FROM): whom it comes from."""

    sender: str


class EmailTo(NamedTuple):
    """The person an email goes to: their lspbot id, member id, name and address, and whether they take optional
    digests by email."""

    user_id: str
    member_id: int
    name: str
    address: str
    digests: bool


class Recipient(NamedTuple):
    """What routing needs of a member (read in one query for many)."""

    member_id: int
    user_id: str  # their lspbot id: a Slack user id or `mail:…`
    name: str
    email: str | None
    email_confirmed_at: dt.datetime | None
    delivery: Delivery
    dm_failed_at: dt.datetime | None
    dm_failed_reason: str | None
    email_digests: bool

    @property
    def dm_reaches(self) -> bool:
        """A Slack user whose DM has not failed for good (Member.in_slack says only whether they are a Slack user)."""
        return not is_email_member_id(self.user_id) and self.dm_failed_at is None

    @property
    def email_ready(self) -> bool:
        return bool(self.email) and self.email_confirmed_at is not None


class Route(NamedTuple):
    """Where one message to one person goes: their Slack DM, an address, or neither (`why`)."""

    slack: bool
    email: str | None
    why: str = ""  # why neither, for someone who cannot be reached


_COLUMNS = (Member.id, Member.slack_user_id, Member.display_name, Member.email, Member.email_confirmed_at,
            Member.delivery, Member.dm_failed_at, Member.dm_failed_reason, Member.email_digests)


def recipients(*, session: Session, user_ids: Iterable[str]) -> dict[str, Recipient]:
    """The members with these lspbot ids, by id (an id with no member is left out)."""
    wanted = sorted(set(user_ids))
    found: dict[str, Recipient] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start:start + LOOKUP_CHUNK]
        for row in session.execute(select(*_COLUMNS).where(Member.slack_user_id.in_(chunk))):
            found[row[1]] = Recipient(*row)
    return found


def route(recipient: Recipient | None, user_id: str, *, document: bool, mail: bool) -> Route:
    """Where a message (`document`: a document or file) to `user_id` goes; `mail`: whether email is set up."""
    if recipient is None:  # not a member (an admin, someone trying the bot): their DM, as before
        return Route(not is_email_member_id(user_id), None, "" if not is_email_member_id(user_id) else "no member")
    can_email = mail and recipient.email_ready
    delivery = recipient.delivery
    if not recipient.dm_reaches:
        if can_email:
            return Route(False, recipient.email)
        return Route(False, None, unreachable_reason(recipient, mail))
    wants_email = delivery in (Delivery.EMAIL, Delivery.BOTH) or (document and delivery == Delivery.DOCUMENTS)
    email = recipient.email if wants_email and can_email else None
    return Route(not (email and delivery == Delivery.EMAIL), email)


def unreachable_reason(recipient: Recipient, mail: bool) -> str:
    """Why someone outside Slack (or whose DM failed) gets nothing: no address, none confirmed, no email set up."""
    reasons = []
    if not is_email_member_id(recipient.user_id) and recipient.dm_failed_at is not None:
        reasons.append(f"Slack DM failed ({recipient.dm_failed_reason or 'refused'})")
    if not recipient.email:
        reasons.append("no email address")
    elif recipient.email_confirmed_at is None:
        reasons.append("no address confirmed")
    if not mail:
        reasons.append("email not set up")
    return "; ".join(reasons)


class Unreachable(NamedTuple):
    """A member of a board who gets nothing, and why."""

    user_id: str
    name: str
    why: str


def unreachable_members(*, session: Session, board_id: int, mail: bool) -> list[Unreachable]:
    """The board's members no message can reach (email-only or with a failed DM, and no usable email), by name."""
    rows = session.execute(_outside_slack(board_id, *_COLUMNS))
    out = []
    for row in rows:
        recipient = Recipient(*row)
        where = route(recipient, recipient.user_id, document=False, mail=mail)
        if not where.slack and not where.email:
            out.append(Unreachable(recipient.user_id, recipient.name, where.why))
    return sorted(out, key=lambda u: u.name.lower())


def outside_slack(*, session: Session, board_id: int) -> list[str]:
    """The lspbot ids of the board's current members who are not in Slack (email-only, or Slack refused their DM
    for good): what the board's channel is told, they are told as their DMs go."""
    return list(session.scalars(_outside_slack(board_id, Member.slack_user_id).order_by(Member.id)))


def _outside_slack(board_id: int, *columns: Any) -> Select[Any]:
    """`columns` of the board's current members outside Slack: email-only, or with a DM Slack refused for good."""
    return (select(*columns).join(Membership, Membership.member_id == Member.id)
            .where(Membership.board_id == board_id, Membership.left_at.is_(None),
                   or_(Member.slack_user_id.startswith(EMAIL_MEMBER_PREFIX), Member.dm_failed_at.is_not(None))))


class FileHome(NamedTuple):
    """A stored file's size and the board whose pack or paper it is (where a link to it can point)."""

    size: int
    board_id: int | None
    slug: str | None


def file_home(*, session: Session, file_id: int) -> FileHome | None:
    """How large a stored file is and which board's pack or paper it is (None: no such file)."""
    from store.models import AgendaPack, Board, Paper, StoredFile

    size = session.scalar(select(StoredFile.size).where(StoredFile.id == file_id))
    if size is None:
        return None
    for holder in (AgendaPack, Paper):
        row = session.execute(select(Board.id, Board.slug).join(holder, holder.board_id == Board.id)
                              .where(holder.file_id == file_id).limit(1)).first()
        if row is not None:
            return FileHome(int(size), row[0], row[1])
    return FileHome(int(size), None, None)
