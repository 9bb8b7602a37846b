"""`/lsp org`: the partner organisations of a board, and the check that keeps a near-miss spelling of a known one
("Met Police" for "Metropolitan Police") from being added as a second organisation."""

from __future__ import annotations

import re

from sqlalchemy import select

from handlers.base import InvalidInput, Reply, Request
from handlers.registry import Command, Option
from store import boards
from store.models import Organisation

NEW_ORG = Option("new_org", choices=("yes",), help="add the organisation as typed even if a known one looks like it "
                                                   "(`new_org:yes`)")

_PUNCTUATION = re.compile(r"[^\w\s]")


def _words(name: str) -> list[str]:
    """A name folded for comparison: case, `&` as `and`, punctuation and extra spaces dropped."""
    folded = re.sub(r"[.'’]", "", name.casefold().replace("&", " and "))  # C.C.G. is CCG, St. is St
    return _PUNCTUATION.sub(" ", folded).split()


def looks_like(typed: str, known: str) -> bool:
    """Whether `typed` is a near-miss spelling of `known`: the same words once case, `&`/`and`, punctuation and
    spaces are set aside, or the same number of words with each (of three letters or more) the start of the
    other's ("Met Police" / "Metropolitan Police")."""
    a, b = _words(typed), _words(known)
    if not a or a == b:
        return bool(a)
    if len(a) != len(b):
        return False
    return all(x == y or (x.isalpha() and y.isalpha() and min(len(x), len(y)) >= 3
                          and (x.startswith(y) or y.startswith(x))) for x, y in zip(a, b, strict=True))


def organisation_named(req: Request, name: str, *, field: str = "org", option: str = "org") -> Organisation:
    """The organisation a command names: the known one of that name (case and spaces aside), else a new one,
    unless the name nearly matches a known one: then "Did you mean …?", and `new_org:yes` adds it as typed."""
    name = " ".join(name.split())
    known = boards.find_organisation(session=req.session, name=name)
    if known is not None:
        return known
    if (req.parsed.options.get("new_org") or "").lower() != "yes":
        close = [o.name for o in req.session.scalars(select(Organisation).order_by(Organisation.name))
                 if looks_like(name, o.name)]
        if close:
            said = " or ".join(f"“{c}”" for c in close[:3])
            raise InvalidInput(
                f"Did you mean {said}? “{name}” is not an organisation I know, but it looks like one. Give the known "
                "name exactly, or add `new_org:yes` to add “" + name + "” as a new organisation.", field=field,
                examples=[_retyped(req, option, f'{option}:"{close[0]}"'),
                          _retyped(req, option, f'{option}:"{name}" new_org:yes')])
    return boards.get_or_create_organisation(session=req.session, name=name)


def _retyped(req: Request, option: str, replacement: str) -> str:
    """The `/lsp` command as typed with its `option:` replaced (just the replacement if it can't be found)."""
    pattern = re.compile(rf'(?<!\S){option}:(?:"[^"]*"|“[^”]*”|\S+)', re.IGNORECASE)
    if pattern.search(req.text) is None:
        return replacement
    return "/lsp " + pattern.sub(lambda _: replacement, req.text, count=1).strip()


def handle_org_list(req: Request) -> Reply:
    """The organisations represented on this board, with how many of its members each has."""
    counts: dict[str, int] = {}
    for membership in boards.list_members(session=req.session, board_id=req.board.id):
        org = membership.member.organisation
        if org is not None:
            counts[org.name] = counts.get(org.name, 0) + 1
    return Reply("slack/org_list.json.j2", {
        "board": req.board.name,
        "organisations": [{"name": n, "members": counts[n]} for n in sorted(counts, key=str.casefold)],
    })


# ---------------------------------------------------------------- declarations

COMMANDS = (
    Command("/lsp", ("org", "list"), handle_org_list, aliases=(("orgs",), ("organisations",)), bare=True,
            usage="/lsp org list", summary="the partner organisations on the board"),
)
