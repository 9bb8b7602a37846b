"""Reading what a member typed about an action: `<text> [@owner] [by <date>]`, dates and people."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from handlers.base import InvalidInput, Request, UsageError
from handlers.board_rules import board_config
from handlers.board_rules import next_meeting as next_meeting_of
from handlers.dates import EXAMPLES as DATE_EXAMPLES
from handlers.dates import DateParseError, parse_date
from handlers.member_ref import ADDRESS_RE, NAME_MENTION_RE, is_member_reference, member_referred_to
from handlers.parsing import PLAIN_MENTION_RE, Token, mention_id, tokenize, whole_quoted
from store import boards
from store import emails as email_store
from store.models import Member
from store.models.views import BoardView

_DATE_LEAD_WORDS = {"by", "due", "before"}
_IN_PHRASE = re.compile(r"^(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)$", re.I)
_UNIT = re.compile(r"^(day|week|fortnight|month|year)s?$", re.I)


def parse_due(req: Request, board: BoardView, phrase: str) -> dt.date:
    """A due date from a phrase, in the board's zone; not in the past."""
    today = req.today(board.timezone)

    def next_meeting() -> dt.date | None:
        found = next_meeting_of(session=req.session, board=board, now=req.now())
        return found.date if found else None

    phrase = re.sub(r"^(by|due|before)\s+", "", phrase.strip(), flags=re.I)
    try:
        due = parse_date(phrase, today, next_meeting, year_start_month=board_config(board).year_start_month)
    except DateParseError as exc:
        raise InvalidInput(
            f"I couldn't read “{exc.phrase}” as a date: {exc.reason}.", examples=exc.examples or DATE_EXAMPLES,
            field="due",
        ) from exc
    if due < today:
        raise InvalidInput(
            f"“{phrase}” is {due:%A %-d %B %Y}, which is in the past.", examples=DATE_EXAMPLES, field="due"
        )
    return due


def names_a_member(token: str) -> bool:
    """Whether a token reads as a person: a Slack mention, `@name`, `@"Full Name"` or an email address."""
    return bool(mention_id(token) or PLAIN_MENTION_RE.match(token) or is_member_reference(token))


def resolve_member(req: Request, board: BoardView, token: str, *, field: str = "owner") -> Member:
    """A member of the board from `<@U123|name>`, `<@U123>`, `@U123`, `@name`, `@"Full Name"` (members reached by
    email among them) or an email address."""
    user_id = mention_id(token)
    member = None
    if user_id:
        member = boards.get_member(session=req.session, slack_user_id=user_id)
    elif is_member_reference(token):
        member = member_referred_to(req.session, board, token, field=field)
    elif m := PLAIN_MENTION_RE.match(token):
        name = m.group(1)
        member = boards.get_member(session=req.session, slack_user_id=name) or boards.find_member_by_name(
            session=req.session, name=name, board_id=board.id
        )
    else:
        raise UsageError(f"`{token}` is not a person. Mention them, like @bob, or name a member by email as "
                         '@"Jane Smith" or by their address.')
    if member is None or boards.get_membership(session=req.session, board_id=board.id, member_id=member.id) is None:
        shown = (member.display_name if member else user_id) if user_id or member else token
        raise InvalidInput(
            f"{shown} is not a member of {board.name}. Add them first with `/lsp member add`.", field=field
        )
    return member


def resolve_former_member(req: Request, board: BoardView, token: str) -> Member | None:
    """Someone taken off the board, from a mention, `@name`, `@"Full Name"` or an address (None when the token
    names no such person)."""
    user_id = mention_id(token)
    member = None
    if user_id:
        member = boards.get_member(session=req.session, slack_user_id=user_id)
    elif m := NAME_MENTION_RE.match(token.strip()):
        member = boards.find_member_by_name(session=req.session, name=" ".join(m.group(1).split()))
    elif ADDRESS_RE.match(token.strip()):
        member = email_store.member_with_email(session=req.session, email=token.strip())
    elif m := PLAIN_MENTION_RE.match(token):
        member = boards.get_member(session=req.session, slack_user_id=m.group(1)) or boards.find_member_by_name(
            session=req.session, name=m.group(1))
    if member is not None and boards.left_board(session=req.session, board_id=board.id, member_id=member.id):
        return member
    return None


def split_add_text(text: str, owns_address: Callable[[str], bool] = lambda address: False
                   ) -> tuple[str, str | None, str | None]:
    """`<text> [@owner] [by <date>]` into (text, owner token, date phrase); the owner may be `@"Full Name"`, or an
    email address that `owns_address` says is a member's (any other address at the end is part of the text)."""
    tokens = tokenize(text)
    owner: str | None = None
    due: str | None = None
    for _ in range(2):
        if not tokens:
            break
        last = tokens[-1]
        if owner is None and not last.quoted and names_a_member(last.raw) and (
                not ADDRESS_RE.match(last.raw) or owns_address(last.raw)):
            owner = last.raw
            tokens = tokens[:-1]
            continue
        if due is None:
            cut = _date_clause_start(tokens)
            if cut is not None:
                due = " ".join(t.raw for t in tokens[cut:])
                tokens = tokens[:cut]
                continue
        break
    if len(tokens) == 1 and tokens[0].quoted:
        body = tokens[0].value
    else:
        body = text[tokens[0].start : tokens[-1].end] if tokens else ""
        body = _strip_outer_quotes(body) if tokens else ""
    return body.strip(), owner, due


def _strip_outer_quotes(body: str) -> str:
    """Text typed wholly in quotes as what it means (inner quotes kept, `\\"` a quote); anything else as typed."""
    return whole_quoted(body.strip()) or body.strip()


def _date_clause_start(tokens: list[Token]) -> int | None:
    """Index where a trailing `by <date>` / `in 2 weeks` clause starts, if there is one."""
    n = len(tokens)
    # "in 2 weeks", "in a fortnight"
    if n >= 3 and tokens[-3].raw.lower() == "in" and _IN_PHRASE.match(tokens[-2].raw) and _UNIT.match(tokens[-1].raw):
        return n - 3
    # "in 2 weeks time", "in two weeks' time"
    if (n >= 4 and tokens[-1].raw.lower() == "time" and tokens[-4].raw.lower() == "in"
            and _IN_PHRASE.match(tokens[-3].raw) and _UNIT.match(tokens[-2].raw.rstrip("'’"))):
        return n - 4
    if n >= 2 and tokens[-2].raw.lower() == "in" and tokens[-1].raw.lower() in ("a fortnight", "fortnight"):
        return n - 2
    for i in range(n - 2, max(-1, n - 7), -1):
        tok = tokens[i]
        word = tok.raw.lower()
        if tok.quoted or word not in _DATE_LEAD_WORDS:
            continue
        if i > 0:
            return i
        # At the very start only a whole date is one: "/action add by Friday" has no text and is refused
        # for it; "By Friday confirm the venue" and "Due diligence on the venue" are text.
        if word == "by" and _is_date(" ".join(t.raw for t in tokens)):
            return i
    return None


def _is_date(phrase: str) -> bool:
    """Whether a phrase reads as a due date at all (whether it is past is for later)."""
    reference = dt.date(2000, 1, 3)
    try:
        parse_date(phrase, reference, next_meeting=lambda: reference)
    except DateParseError:
        return False
    return True
