"""Slack mentions typed inside free text (an action, a note, an update, a title): kept as the person's name.

Stored text never holds `<@U123>`: it would print as a raw id in Word and Markdown, and as a live mention (a
notification) in every message that repeats the text. A mention becomes the name of the person it names."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from handlers.parsing import check_text
from store import boards
from store.models import Member

SLACK_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")


def name_of(session: Session, user_id: str, typed: str | None) -> str:
    """The name to print for a mentioned person: theirs as lspbot knows it, else as Slack sent it, else the id."""
    member = boards.get_member(session=session, slack_user_id=user_id)
    if member is not None and member.display_name and member.display_name != member.slack_user_id:
        return member.display_name
    return (typed or "").strip() or (member.display_name if member else "") or user_id


def plain_names(session: Session, text: str) -> str:
    """`text` with each Slack mention (`<@U123|bob>`, `<@U123>`) replaced by the person's name."""
    return SLACK_MENTION.sub(lambda m: name_of(session, m.group(1), m.group(2)), text)


def mentioned_members(session: Session, board_id: int, text: str) -> list[Member]:
    """The members of a board that `text` mentions, in order, each once (others mentioned are not counted)."""
    found: list[Member] = []
    for m in SLACK_MENTION.finditer(text):
        member = boards.get_member(session=session, slack_user_id=m.group(1))
        if member is None or member in found:
            continue
        if boards.get_membership(session=session, board_id=board_id, member_id=member.id) is not None:
            found.append(member)
    return found


def typed_text(session: Session, text: str, what: str) -> str:
    """Free text as a person typed it (`check_text`), with the people it mentions kept as their names."""
    return check_text(plain_names(session, text), what)
