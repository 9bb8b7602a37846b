"""The names of members who are not in Slack (`mail:…` ids), for whoever renders a message that mentions one: a
Slack mention (`<@U…>`) shows Slack's own name for its person, but an email-only member has none in Slack. An email
names everyone, Slack members too (by their display name here), as it has no Slack to do it.

Rendering reads the resolver in NAMES (bot.render's `mention`); the outbox sets it to one on its own session while
it renders (so a member added in the same unit of work is named), and the runtime's renderer falls back to one of
its own for replies rendered after the unit of work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Member, is_email_member_id

NameOf = Callable[[str], "str | None"]

NAMES: ContextVar[NameOf | None] = ContextVar("lspbot_names", default=None)


def email_member_name(*, session: Session, user_id: str) -> str | None:
    """The display name of the email-only member with this id (None for any other id, or no such member)."""
    if not is_email_member_id(user_id):
        return None
    return session.scalar(select(Member.display_name).where(Member.slack_user_id == user_id))


def member_name(*, session: Session, user_id: str) -> str | None:
    """The display name of the member with this lspbot id, a Slack user's or an email-only member's (an email
    names Slack members too, where Slack would show its own name for a mention)."""
    return session.scalar(select(Member.display_name).where(Member.slack_user_id == user_id))


def session_names(session: Session) -> NameOf:
    """A resolver on `session` of every member's name, remembering what it has looked up (for one unit of work)."""
    known: dict[str, str | None] = {}

    def name_of(user_id: str) -> str | None:
        if user_id not in known:
            known[user_id] = member_name(session=session, user_id=user_id)
        return known[user_id]

    return name_of


@contextmanager
def naming(name_of: NameOf | None) -> Iterator[None]:
    """Render with `name_of` naming email-only members (unless a resolver is set already)."""
    if name_of is None or NAMES.get() is not None:
        yield
        return
    token = NAMES.set(name_of)
    try:
        yield
    finally:
        NAMES.reset(token)
