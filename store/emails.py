"""Members' email addresses: who has one, setting and confirming it, and how a member wants to be reached.

An address is stored as email-validator normalised it (handlers.member_email checks it); it is unique among
members, compared without regard to case. Nothing but its confirmation goes to an address until the link in that
confirmation is followed (`confirm_email`), and changing the address undoes a confirmation."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import EMAIL_MEMBER_PREFIX, Delivery, Member


def new_email_member_id() -> str:
    """A fresh id for a member reached by email alone: `mail:` and ten random hex digits."""
    return EMAIL_MEMBER_PREFIX + secrets.token_hex(5)


def member_with_email(*, session: Session, email: str) -> Member | None:
    """The member who has this address (case aside), if any."""
    return session.scalar(select(Member).where(func.lower(Member.email) == email.lower()).limit(1))


def create_email_member(*, session: Session, email: str, display_name: str) -> Member:
    """A new member reached by email alone (a `mail:` id), their address not yet confirmed."""
    while True:
        member_id = new_email_member_id()
        if session.scalar(select(Member.id).where(Member.slack_user_id == member_id)) is None:
            break
    member = Member(slack_user_id=member_id, display_name=display_name, email=email, email_confirmed_at=None,
                    delivery=Delivery.EMAIL)
    session.add(member)
    session.flush()
    return member


def set_email(*, session: Session, member: Member, email: str | None) -> bool:
    """Give a member this address (None: none); True if it is another address than theirs, which undoes any
    confirmation (the same address written differently keeps it). A Slack member without an address is reached in
    Slack alone."""
    other = (member.email or "").lower() != (email or "").lower()
    member.email = email
    if other:
        member.email_confirmed_at = None
    if email is None and member.in_slack:
        member.delivery = Delivery.SLACK
    session.flush()
    return other


def set_delivery(*, session: Session, member: Member, delivery: Delivery) -> bool:
    """How a member is reached; True if it changed."""
    if member.delivery == delivery:
        return False
    member.delivery = delivery
    session.flush()
    return True


def slack_reaches_again(*, session: Session, member: Member) -> dt.datetime | None:
    """Forget that Slack refused a DM to the member for good (they have shown they are in Slack again); when it had,
    or None if it had not."""
    failed = member.dm_failed_at
    if failed is not None:
        member.dm_failed_at, member.dm_failed_reason = None, None
        session.flush()
    return failed


def confirm_email(*, session: Session, member_id: int, email: str, now: dt.datetime) -> bool:
    """Confirm a member's address from its confirmation link: True if `email` is their address (now confirmed, or
    confirmed already), False if they have another address now (or none, or no such member) — the link went to an
    address since changed. The caller records it in the audit trail."""
    member = session.get(Member, member_id)
    if member is None or not member.email or member.email.lower() != email.lower():
        return False
    if member.email_confirmed_at is None:
        member.email_confirmed_at = now
        session.flush()
    return True
