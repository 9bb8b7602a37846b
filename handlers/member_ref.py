"""A member named in a command where a Slack mention would be, for members who are not in Slack: their name in
quotes after @ (`@"Jane Smith"`, among the board's members, case aside) or their email address
(`jane.smith@nhs.net`). Slack's own mentions (`<@U123|jane>`) and `@name` are read by handlers.action_input."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from handlers.base import InvalidInput
from store import boards
from store import emails as email_store
from store.models import Member
from store.models.views import BoardView

# `@"Jane Smith"` (or with curly quotes, as typed), which the tokenizer keeps as one token (handlers.parsing)
NAME_MENTION_RE = re.compile(r'^@["\u201c\u201d](.+)["\u201d]$', re.DOTALL)
# what reads as an email address typed in a command (email-validator checks one being given to a member)
ADDRESS_RE = re.compile(r"^[^\s@<>\"]+@[^\s@<>\"]+\.[^\s@<>\"]+$")
# a member's lspbot id wrapped as a mention (`<@mail:0123456789>`): what a form's select of members sends back
ID_MENTION_RE = re.compile(r"^<@(mail:[0-9a-f]{10})>$")


def is_member_reference(token: str) -> bool:
    """Whether a token names a member in one of these ways (a quoted name after @, an address, a form's id)."""
    token = token.strip()
    return bool(NAME_MENTION_RE.match(token) or ADDRESS_RE.match(token) or ID_MENTION_RE.match(token))


def members_named(session: Session, board: BoardView, name: str) -> list[Member]:
    """The board's current members with this display name (case and spacing aside)."""
    wanted = " ".join(name.split()).casefold()
    return [m.member for m in boards.list_members(session=session, board_id=board.id)
            if " ".join(m.member.display_name.split()).casefold() == wanted]


def member_referred_to(session: Session, board: BoardView, token: str, *, field: str = "owner") -> Member | None:
    """The member a quoted name, an address or a form's id names (None for a token that is none of these). A name
    shared by two of the board's members is refused with both; a name or address no one has is refused."""
    token = token.strip()
    if m := ID_MENTION_RE.match(token):
        return boards.get_member(session=session, slack_user_id=m.group(1))
    if m := NAME_MENTION_RE.match(token):
        name = " ".join(m.group(1).split())
        found = members_named(session, board, name)
        if len(found) > 1:
            listed = "; ".join(f.display_name + (f" ({org.name})" if (org := f.organisation_on(board.id)) else "")
                               for f in found)
            raise InvalidInput(f"{len(found)} members of {board.name} are called “{name}”: {listed}. Name one by "
                               "their email address, or mention them.", field=field)
        if not found:
            raise InvalidInput(f"No member of {board.name} is called “{name}”. `/lsp member list` shows who is on it.",
                               field=field)
        return found[0]
    if ADDRESS_RE.match(token):
        member = email_store.member_with_email(session=session, email=token)
        if member is None:
            raise InvalidInput(f"No member has the address {token}. `/lsp member list` shows who is on "
                               f"{board.name}.", field=field)
        return member
    return None


def typed_reference(member: Member) -> str:
    """How to name a member in a command as one types it: `@"Jane Smith"`, or their address where the name has a
    quote in it (a Slack member is mentioned: `<@U123>`)."""
    if member.in_slack:
        return f"<@{member.slack_user_id}>"
    if '"' not in member.display_name or not member.email:
        return f'@"{member.display_name}"'
    return member.email


SELECT_LIMIT = 100  # Slack's limit on a static select's options


def member_select_options(session: Session, board: BoardView) -> list[dict[str, str]] | None:
    """A form's choice of the board's current members, `{"text": "Name — Organisation", "value": lspbot id}` by
    name, when the board has members reached by email alone (Slack's user picker cannot show them); None when it
    has none, so the form keeps Slack's user picker."""
    rows = boards.list_members(session=session, board_id=board.id)
    if not any(not m.member.in_slack for m in rows):
        return None
    rows.sort(key=lambda m: (m.member.display_name.casefold(), m.member.id))
    return [{"text": m.member.display_name + (f" — {m.organisation.name}" if m.organisation else ""),
             "value": m.member.slack_user_id} for m in rows[:SELECT_LIMIT]]
