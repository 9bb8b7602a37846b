"""`/lsp interests`: each board's register of interests. Members declare and remove their own entries (the chair,
vice-chair and secretariat may remove anyone's), everyone on the board reads it, and once a year each member is
asked to confirm theirs (jobs/ask_interests.py), with a "Confirm, no change" button.

Declarations against an item at a meeting are meeting mode's (`/meeting declare`), not the register's."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from handlers import access, mentions
from handlers.base import Conflict, Forbidden, InvalidInput, NotFound, Reply, Request, UsageError
from handlers.ids import ActionId
from handlers.parsing import parse_id
from handlers.registry import Button, Command, Kind, Option, Who, refusal
from store import audit, boards
from store import interests as interest_store
from store.models import Interest, InterestKind, Member
from store.models.views import BoardView

KINDS = tuple(k.value for k in InterestKind)
MAX_INTEREST = 500  # characters of one entry
_REF = re.compile(r"^#?[Ii]?(\d{1,9})$")
DECLARE_USAGE = '/lsp interests declare "<interest>" [kind:pecuniary|non-pecuniary|other]'
DECLARE_EXAMPLE = '/lsp interests declare "Trustee of Southall Community Alliance" kind:non-pecuniary'
HOW = ('Add an entry with `/lsp interests declare "<interest>" [kind:pecuniary|non-pecuniary|other]`; '
       "take one off with `/lsp interests remove I3`.")


def entry_data(entry: Interest, timezone: str) -> dict[str, Any]:
    """One entry of the register, for the templates (its dates on the board's clock)."""
    return {"ref": f"I{entry.ref}", "interest": entry.interest, "kind": entry.kind,
            "declared_on": on_clock(entry.declared_at, timezone), "confirmed_on": on_clock(entry.confirmed_at, timezone),
            "removed_on": on_clock(entry.removed_at, timezone), "name": entry.member.display_name}


def on_clock(at: dt.datetime | None, timezone: str) -> dt.date | None:
    """The day of an instant on the board's clock."""
    return at.astimezone(ZoneInfo(timezone)).date() if at else None


# ---------------------------------------------------------------- commands


def handle_interests_mine(req: Request) -> Reply:
    """`/lsp interests`: your entries on the board's register."""
    board, member = req.board, req.actor.member
    entries = interest_store.current_of(session=req.session, board_id=board.id, member_id=member.id) \
        if member is not None and req.actor.is_member else []
    confirmed = interest_store.confirmations(session=req.session, board_id=board.id).get(member.id) \
        if member is not None else None
    return Reply("slack/interests.json.j2", {
        "board": board.name, "mode": "mine", "entries": [entry_data(e, board.timezone) for e in entries],
        "confirmed_on": on_clock(confirmed, board.timezone), "member": req.actor.is_member, "how": HOW})


def handle_interests_declare(req: Request) -> Reply:
    """`/lsp interests declare "<interest>" [kind:…]`: add an entry to your register."""
    board = req.board
    member = access.require_member(req.actor)
    args = req.parsed.args
    quoted = [a for a in args if a.quoted]
    if quoted and len(args) > 1:
        raise UsageError("Put the whole interest in one pair of quotes.", examples=[DECLARE_EXAMPLE])
    text = quoted[0].value if quoted else " ".join(a.value for a in args)
    if not text.strip():
        raise UsageError("What is the interest? Describe it in quotes.", examples=[DECLARE_EXAMPLE])
    text = mentions.typed_text(req.session, text, "interest")
    if len(text) > MAX_INTEREST:
        raise InvalidInput(f"An interest can be at most {MAX_INTEREST} characters (this one is {len(text):,}). "
                           "Describe it briefly: the organisation and your role in it.", examples=[DECLARE_EXAMPLE])
    kind = req.parsed.options.get("kind") or InterestKind.OTHER.value
    for other in interest_store.current_of(session=req.session, board_id=board.id, member_id=member.id):
        if other.interest.casefold() == text.casefold():
            raise Conflict(f"“{text}” is already on your register, as I{other.ref}.", title="Already declared")
    entry = interest_store.declare(session=req.session, board_id=board.id, member=member, interest=text, kind=kind,
                                   now=req.now())
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="interest", entity_id=entry.id,
                 operation="declare", after={"board_id": board.id, "ref": entry.ref, "member": member.slack_user_id,
                                             "interest": text, "kind": kind})
    return Reply("slack/interests.json.j2", {
        "board": board.name, "mode": "declared", "entry": entry_data(entry, board.timezone), "how": HOW})


def parse_interest_ref(raw: str) -> int:
    """`I3` or `3` (or `#3`) as the number of an entry of the register."""
    m = _REF.match(raw.strip())
    if not m:
        raise UsageError(f"`{raw}` is not an entry of the register. Entries are numbered like I3.",
                         examples=["/lsp interests remove I3", "/lsp interests"])
    return int(m.group(1))


def handle_interests_remove(req: Request) -> Reply:
    """`/lsp interests remove <ref>`: take an entry off the register (yours; the chair's side: anyone's)."""
    board, actor = req.board, req.actor
    args = req.parsed.args
    if len(args) != 1:
        raise UsageError("Name one entry to remove, like I3 (`/lsp interests` lists yours).",
                         examples=["/lsp interests remove I3", "/lsp interests"])
    ref = parse_interest_ref(args[0].raw)
    entry = interest_store.get_by_ref(session=req.session, board_id=board.id, ref=ref, for_update=True)
    if entry is None:
        raise NotFound(f"There is no entry I{ref} on {board.name}'s register of interests.",
                       examples=["/lsp interests", "/lsp interests all"])
    own = actor.member is not None and actor.is_member and entry.member_id == actor.member.id
    if not own and not actor.manages_board:
        raise Forbidden(f"I{ref} is {entry.member.display_name}'s entry: only they, or the chair, vice-chair or "
                        f"secretariat of {board.name}, can remove it.")
    if entry.removed_at is not None:
        raise Conflict(f"I{ref} “{entry.interest}” was already removed from the register on "
                       f"{entry.removed_at:%-d %B %Y}.", title="Already removed")
    interest_store.remove(entry=entry, now=req.now())
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="interest", entity_id=entry.id,
                 operation="remove", before={"board_id": board.id, "ref": entry.ref, "interest": entry.interest,
                                             "kind": entry.kind, "member": entry.member.slack_user_id},
                 after={"removed_at": entry.removed_at.isoformat() if entry.removed_at else None})
    data = {"board": board.name, "mode": "removed", "entry": entry_data(entry, board.timezone),
            "owner": None if own else entry.member.display_name, "how": HOW}
    if not own and entry.member.slack_user_id != req.user_id:  # the member hears who took their entry off
        req.notify.to_user(entry.member.slack_user_id, "slack/interests.json.j2",
                           dict(data, mode="removed_by", owner=None, by=req.user_id),
                           key=f"interest-removed:{entry.id}")
    return Reply("slack/interests.json.j2", data)


def register_data(req: Request, board: BoardView) -> dict[str, Any]:
    """The board's register: every current member by organisation, with their entries (or none declared)."""
    entries: dict[int, list[Interest]] = {}
    for entry in interest_store.current_on_board(session=req.session, board_id=board.id):
        entries.setdefault(entry.member_id, []).append(entry)
    confirmed = interest_store.confirmations(session=req.session, board_id=board.id)
    groups: dict[str, list[dict[str, Any]]] = {}
    for m in sorted(boards.list_members(session=req.session, board_id=board.id),
                    key=lambda m: (m.organisation.name.casefold() if m.organisation else "~",
                                   m.member.display_name.casefold())):
        org = m.organisation.name if m.organisation else "No organisation"
        groups.setdefault(org, []).append({
            "user_id": m.member.slack_user_id, "name": m.member.display_name,
            "entries": [entry_data(e, board.timezone) for e in entries.get(m.member_id, [])],
            "confirmed_on": on_clock(confirmed.get(m.member_id), board.timezone)})
    return {"board": board.name, "mode": "all", "organisations": [{"name": k, "members": v} for k, v in groups.items()],
            "count": sum(len(v) for v in entries.values()), "how": HOW}


def handle_interests_all(req: Request) -> Reply:
    """`/lsp interests all`: the board's whole register, by organisation and member."""
    return Reply("slack/interests.json.j2", register_data(req, req.board))


# ---------------------------------------------------------------- the yearly ask and its button


def ask_data(board: BoardView, member: Member, entries: list[Interest], year: int) -> dict[str, Any]:
    """The yearly ask's DM to one member: their entries, the Confirm button's value, how to change them."""
    return {"board": board.name, "board_id": board.id, "year": year, "name": member.display_name,
            "entries": [entry_data(e, board.timezone) for e in entries], "how": HOW}


def handle_confirm_button(req: Request) -> Reply:
    """"Confirm, no change" in the yearly ask: the member's entries (or nothing to declare) confirmed now."""
    board_id = parse_id(req.values.get("value"))
    board = boards.get(session=req.session, board_id=board_id) if board_id else None
    if board is None:
        raise NotFound("That board no longer exists.")
    actor = access.actor_for(req, board)
    if not CONFIRM.who.allows(actor):
        raise refusal(CONFIRM, actor)
    member = access.require_member(actor)
    count = interest_store.confirm(session=req.session, board_id=board.id, member_id=member.id, now=req.now())
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity=interest_store.CONFIRM_ENTITY,
                 entity_id=member.id, operation="confirm", after={"board_id": board.id, "entries": count})
    said = (f"your {count} entr{'ies' if count != 1 else 'y'} on {board.name}'s register of interests "
            f"{'are' if count != 1 else 'is'} confirmed, unchanged") if count else \
        f"you have nothing to declare on {board.name}'s register of interests: confirmed"
    return Reply("slack/interests.json.j2", {"board": board.name, "mode": "confirmed", "text": f"Thanks — {said}.",
                                             "how": HOW})


# ---------------------------------------------------------------- declarations

NARROWER = "its member, or the chair, vice-chair, secretariat or an admin"

COMMANDS = (
    Command("/lsp", ("interests",), handle_interests_mine, aliases=(("interest",),), topic="meeting", read_only=True,
            usage="/lsp interests", summary="your entries on the board's register of interests"),
    Command("/lsp", ("interests", "declare"), handle_interests_declare, aliases=(("interest", "declare"),),
            who=Who.MEMBERS, doing="declare interests", topic="meeting", parsed=True,
            options=(Option("kind", Kind.CHOICE, choices=KINDS, help="pecuniary, non-pecuniary or other"),),
            usage=DECLARE_USAGE, summary="add an entry to your register of interests (kind: other unless said)",
            examples=(DECLARE_EXAMPLE,)),
    Command("/lsp", ("interests", "remove"), handle_interests_remove, aliases=(("interest", "remove"),),
            topic="meeting", parsed=True, narrower=NARROWER, usage="/lsp interests remove I3",
            summary="take an entry off the register (it stays in the register's history)"),
    Command("/lsp", ("interests", "all"), handle_interests_all, aliases=(("interest", "all"),), topic="meeting",
            read_only=True, usage="/lsp interests all",
            summary="the board's register of interests, by organisation and member"),
)

CONFIRM = Button(ActionId.INTERESTS_CONFIRM, handle_confirm_button,
                 "confirm one's register of interests unchanged, in the yearly ask", who=Who.MEMBERS)
BUTTONS = (CONFIRM,)
