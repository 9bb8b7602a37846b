"""`/lsp org`: the partner organisations of a board, and the check that keeps a near-miss spelling of a known one
("Met Police" for "Metropolitan Police") from being added as a second organisation."""

from __future__ import annotations

import difflib
import re

from handlers.base import Conflict, InvalidInput, NotFound, Reply, Request, UsageError
from handlers.parsing import check_text
from handlers.registry import Command, Option, Who
from store import audit, boards
from store.models import Organisation
from store.models.views import BoardView

NEW_ORG = Option("new_org", choices=("yes",), help="add the organisation as typed even if a known one looks like it "
                                                   "(`new_org:yes`)")

_PUNCTUATION = re.compile(r"[^\w\s]")


def _words(name: str) -> list[str]:
    """A name folded for comparison: case, `&` as `and`, punctuation and extra spaces dropped."""
    folded = re.sub(r"[.'’]", "", name.casefold().replace("&", " and "))  # C.C.G. is CCG, St. is St
    return _PUNCTUATION.sub(" ", folded).split()


def _numbers(words: list[str]) -> list[str]:
    return [w for w in words if any(c.isdigit() for c in w)]


def looks_like(typed: str, known: str) -> bool:
    """Whether `typed` is a near-miss spelling of `known`: the same words once case, `&`/`and`, punctuation and
    spaces are set aside; or, with the same number of words, nine tenths the same letters and the same numbers
    ("Metropolitan Polise"), or each word (of three letters or more) the start of the other's ("Met Police" /
    "Metropolitan Police")."""
    a, b = _words(typed), _words(known)
    if not a or a == b:
        return bool(a)
    if len(a) != len(b):
        return False
    if _numbers(a) == _numbers(b) and difflib.SequenceMatcher(None, " ".join(a), " ".join(b)).ratio() >= 0.9:
        return True  # a slip of the keyboard ("Metropolitan Polise"); "Partner 1" and "Partner 10" stay apart
    return all(x == y or (x.isalpha() and y.isalpha() and min(len(x), len(y)) >= 3
                          and (x.startswith(y) or y.startswith(x))) for x, y in zip(a, b, strict=True))


def organisation_named(req: Request, name: str, *, board: BoardView | None = None, field: str = "org",
                       option: str = "org") -> Organisation:
    """The organisation a command names, from the board's own list: the known one of that name (case and spaces
    aside), else a new one, unless the name nearly matches a known one: then "Did you mean …?", and
    `new_org:yes` adds it as typed."""
    board = board or req.board
    name = " ".join(name.split())
    known = boards.find_organisation(session=req.session, board_id=board.id, name=name)
    if known is not None:
        return known
    if (req.parsed.options.get("new_org") or "").lower() != "yes":
        close = _near(req, board, name)
        if close:
            said = " or ".join(f"“{c}”" for c in close[:3])
            raise InvalidInput(
                f"Did you mean {said}? “{name}” is not on {board.name}'s list of organisations, but it looks like "
                "one that is. Give the known name exactly, or add `new_org:yes` to add “" + name + "” as a new "
                "organisation.", field=field,
                examples=[_retyped(req, option, f'{option}:"{close[0]}"'),
                          _retyped(req, option, f'{option}:"{name}" new_org:yes')])
    return boards.get_or_create_organisation(session=req.session, board_id=board.id, name=name)


def _near(req: Request, board: BoardView, name: str, *, leaving_out: int | None = None) -> list[str]:
    """The board's organisations whose names nearly match `name`."""
    return [o.name for o, _ in boards.organisations(session=req.session, board_id=board.id)
            if o.id != leaving_out and looks_like(name, o.name)]


def _retyped(req: Request, option: str, replacement: str) -> str:
    """The `/lsp` command as typed with its `option:` replaced (just the replacement if it can't be found)."""
    pattern = re.compile(rf'(?<!\S){option}:(?:"[^"]*"|“[^”]*”|\S+)', re.IGNORECASE)
    if pattern.search(req.text) is None:
        return replacement
    return "/lsp " + pattern.sub(lambda _: replacement, req.text, count=1).strip()


def handle_org_list(req: Request) -> Reply:
    """The board's list of organisations, with how many of its members represent each."""
    return Reply("slack/org_list.json.j2", {
        "board": req.board.name,
        "organisations": [{"name": org.name, "members": n}
                          for org, n in boards.organisations(session=req.session, board_id=req.board.id)],
    })


def handle_org_rename(req: Request) -> Reply:
    """Rename one of the board's organisations; every record of the board that names it follows."""
    board, args = req.board, req.parsed.args
    if len(args) != 2:
        raise UsageError("Give the organisation's name now and its new name, each in quotes.",
                         examples=['/lsp org rename "Met Police" "Metropolitan Police Service"'])
    old_name = " ".join(args[0].value.split())
    new_name = check_text(" ".join(args[1].value.split()), "organisation")
    if not new_name:
        raise InvalidInput("The new name is empty.", field="org")
    if len(new_name) > 200:
        raise InvalidInput("An organisation name can be at most 200 characters.", field="org")
    org = boards.find_organisation(session=req.session, board_id=board.id, name=old_name)
    if org is None:
        close = _near(req, board, old_name)
        hint = (" Did you mean " + " or ".join(f"“{c}”" for c in close[:3]) + "?") if close else ""
        raise NotFound(f"“{old_name}” is not on {board.name}'s list of organisations.{hint} `/lsp org list` shows "
                       "the list.", examples=[f'/lsp org rename "{close[0]}" "{new_name}"'] if close else
                       ["/lsp org list"])
    if org.name == new_name:
        raise Conflict(f"“{org.name}” is already called that.", title="Nothing to change")
    other = boards.find_organisation(session=req.session, board_id=board.id, name=new_name)
    if other is not None and other.id != org.id:
        raise Conflict(f"“{other.name}” is already on {board.name}'s list. Two organisations can't share a name; "
                       "give the renamed one a name of its own.", title="Name taken")
    if (req.parsed.options.get("new_org") or "").lower() != "yes":
        close = _near(req, board, new_name, leaving_out=org.id)
        if close:
            raise InvalidInput(
                f"“{new_name}” looks like “{close[0]}”, already on the list. Did you mean to rename “{org.name}” "
                f"to something else? Add `new_org:yes` to rename it to “{new_name}” all the same.", field="org",
                examples=[f'/lsp org rename "{org.name}" "{new_name}" new_org:yes'])
    before = org.name
    carried = boards.rename_organisation(session=req.session, organisation=org, name=new_name)
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="organisation", entity_id=org.id,
                 operation="rename", before={"board": board.name, "name": before},
                 after={"name": new_name, **carried})
    counts = [(carried["members"], "member"), (carried["meetings"], "meeting hosted"),
              (carried["updates"], "partner update"), (carried["outcomes"], "outcome led"),
              (carried["leads"], "plan item or proposal led")]
    return Reply("slack/member_note.json.j2", {
        "text": f"“{before}” is now “{new_name}” on {board.name}, in every record that names it.",
        "items": [plural_of(n, what) for n, what in counts if n],
        "hint": "Agendas already published stay as they were published; the next draft uses the new name."})


def plural_of(n: int, what: str) -> str:
    word, _, rest = what.partition(" ")
    return f"{n} {word}{'' if n == 1 else 's'}" + (f" {rest}" if rest else "")


# ---------------------------------------------------------------- declarations

COMMANDS = (
    Command("/lsp", ("org", "list"), handle_org_list, aliases=(("orgs",), ("organisations",)), bare=True,
            usage="/lsp org list", summary="the board's list of partner organisations"),
    Command("/lsp", ("org", "rename"), handle_org_rename,
            who=Who.DECIDERS, doing="rename organisations", parsed=True, options=(NEW_ORG,),
            usage='/lsp org rename "<old>" "<new>"',
            summary="rename one of the board's organisations, everywhere it is named",
            examples=('/lsp org rename "Met Police" "Metropolitan Police Service"',)),
)
