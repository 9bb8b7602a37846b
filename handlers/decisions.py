"""`/lsp decisions [text | year | organisation]`: the board's decisions register, from the items of its meetings
that have an outcome (meeting mode records them), newest first. The same rows go to `lspbot decisions export`
and into the quarterly and annual reports."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy.orm import Session

from handlers import access
from handlers.base import InvalidInput, NotFound, Reply, Request
from handlers.ids import ActionId
from handlers.links import Links
from handlers.parsing import parse_id
from handlers.registry import Button, Command, Kind, Option, refusal
from store import boards
from store import decisions as decision_store
from store.decisions import DecisionRow
from store.models import Organisation
from store.models.views import BoardView

PAGE = 20  # decisions on one page of `/lsp decisions`
MAX_FILTER = 200
USAGE = "/lsp decisions [text | year | organisation] [page:2]"
_YEAR = re.compile(r"^(19|20)\d\d$")
_PARTS = re.compile(r"\s*(?:/|&|,|\+|\band\b)\s*", re.IGNORECASE)


def decision_text(row: DecisionRow) -> str:
    """What the board decided: the decision's wording, or the outcome itself ("Noted", "Deferred")."""
    return (row.decision or "").strip() or row.outcome.capitalize()


def decision_data(row: DecisionRow) -> dict[str, Any]:
    """One decision for the templates and the export."""
    return {"minute": row.minute_number or "", "date": row.date, "title": row.title, "lead": row.lead,
            "outcome": row.outcome, "decision": decision_text(row), "board": row.board}


def decisions_between(session: Session, board: BoardView, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """The board's decisions at meetings from `start` to `end` (a report's period), oldest first."""
    rows = decision_store.decisions(session=session, board_id=board.id, start=start, end=end)
    return [decision_data(r) for r in reversed(rows)]


def _abbreviations(org: Organisation) -> set[str]:
    return {a.strip().casefold() for a in re.findall(r"\(([^)]+)\)", org.name)}


def _named_organisation(orgs: list[Organisation], text: str) -> Organisation | None:
    """The board's organisation `text` names, by its name or the abbreviation in brackets in it (`DWP`)."""
    wanted = " ".join(text.split()).casefold()
    return next((o for o in orgs if o.name.casefold() == wanted or wanted in _abbreviations(o)), None)


class _LeadMatcher:
    """Whether a decision's lead is an organisation: named in the lead (by name or abbreviation), linked by the
    plan item it came from, or a member (named, or linked) who represents it on the board."""

    def __init__(self, session: Session, board: BoardView, org: Organisation) -> None:
        self.org = org
        self.names = {org.name.casefold(), *_abbreviations(org)}
        self.member_orgs = decision_store.member_organisations(session=session, board_id=board.id)
        self.members = decision_store.member_names(session=session, board_id=board.id)

    def __call__(self, row: DecisionRow) -> bool:
        for link in row.lead_links:
            if link.get("kind") == "organisation" and link.get("id") == self.org.id:
                return True
            if link.get("kind") == "member" and self.member_orgs.get(link.get("id", 0)) == self.org.id:
                return True
        for part in (p.casefold() for p in _PARTS.split(row.lead) if p.strip()):
            if part in self.names or self.member_orgs.get(self.members.get(part, 0)) == self.org.id:
                return True
        return False


def decision_list(session: Session, board: BoardView, wanted: str, page: int, links: Links | None = None) -> Reply:
    """One page of the board's decisions, filtered by a year, an organisation of the board or free text."""
    wanted = " ".join(wanted.split())
    if len(wanted) > MAX_FILTER:
        raise InvalidInput(f"Look for at most {MAX_FILTER} characters.", examples=[USAGE])
    rows: list[DecisionRow]
    said = ""
    org = _named_organisation([o for o, _ in boards.organisations(session=session, board_id=board.id)], wanted) \
        if wanted else None
    if _YEAR.match(wanted):
        year = int(wanted)
        rows = decision_store.decisions(session=session, board_id=board.id, start=dt.date(year, 1, 1),
                                        end=dt.date(year, 12, 31))
        said = f"in {year}"
    elif org is not None:
        matches = _LeadMatcher(session, board, org)
        rows = [r for r in decision_store.decisions(session=session, board_id=board.id) if matches(r)]
        said = f"led by {org.name}"
    else:
        rows = decision_store.decisions(session=session, board_id=board.id, text=wanted or None)
        said = f"mentioning “{wanted}”" if wanted else ""
    first = (page - 1) * PAGE
    if page > 1 and first >= len(rows):
        last = max(1, -(-len(rows) // PAGE))
        raise NotFound(f"There is no page {page}: the list has {len(rows)} decision{'s' if len(rows) != 1 else ''}, "
                       f"{last} page{'s' if last != 1 else ''} of {PAGE}.",
                       examples=[f"/lsp decisions {wanted} page:{last}".replace("  ", " ")])
    shown = rows[first:first + PAGE]
    more = None
    if first + PAGE < len(rows):
        more = {"value": f"{board.id}|{page + 1}|{wanted}",
                "command": " ".join(p for p in ("/lsp decisions", wanted, f"page:{page + 1}") if p)}
    return Reply("slack/decisions.json.j2", {
        "board": board.name, "filter": said, "page": page, "first": first + 1, "total": len(rows), "more": more,
        "decisions": [dict(decision_data(r), page=links.meeting(board.slug, r.date) if links is not None else None)
                      for r in shown],
        "register": links.board(board.slug) + "decisions/" if links is not None else None})


def handle_decisions(req: Request) -> Reply:
    """`/lsp decisions [text | year | organisation] [page:N]`: the decisions register, newest first."""
    wanted = " ".join(a.value for a in req.parsed.args)
    return decision_list(req.session, req.board, wanted, int(req.parsed.options.get("page") or 1), req.notify.links)


def handle_decisions_more(req: Request) -> Reply:
    """The "More" button under the decisions register: its value is `<board id>|<page>|<filter>`."""
    board_text, _, rest = str(req.values.get("value") or "").partition("|")
    page_text, _, wanted = rest.partition("|")
    board_id, page = parse_id(board_text), parse_id(page_text)
    board = boards.get(session=req.session, board_id=board_id) if board_id else None
    if board is None or page is None:
        raise NotFound("That list is no longer there. Type `/lsp decisions` again.")
    actor = access.actor_for(req, board)
    if not MORE.who.allows(actor):
        raise refusal(MORE, actor)
    return decision_list(req.session, board, wanted, page, req.notify.links)


# ---------------------------------------------------------------- declarations

COMMANDS = (
    Command("/lsp", ("decisions",), handle_decisions, aliases=(("decision",),), topic="meeting", parsed=True,
            read_only=True,
            options=(Option("page", Kind.NUMBER, low=1, high=10_000, help="a page of the list after the first"),),
            usage=USAGE, summary=f"the decisions register: minute, date, item, decision and lead, newest first, "
                                 f"{PAGE} to a page; a year, an organisation of the board or words to look for",
            examples=("/lsp decisions 2019", "/lsp decisions Ealing PCT", "/lsp decisions apprenticeships")),
)

MORE = Button(ActionId.DECISIONS_MORE, handle_decisions_more, "the next page of the decisions register")
BUTTONS = (MORE,)
