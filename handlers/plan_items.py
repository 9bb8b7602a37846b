"""`/plan item add|move|drop`, `/plan standing add|drop`: the forward plan's items and its standing items."""

from __future__ import annotations



from handlers import mentions
from handlers.base import Conflict, InvalidInput, NotFound, Reply, Request, UsageError
from handlers.parsing import Parsed, refuse_stray
from handlers.plan import (
    OPTIONS_PHRASED,
    PlannedItem,
    USAGE,
    STANDING_REF,
    item_snapshot,
    every_label,
    existing_meeting,
    item_data,
    meeting_data,
    parse_kind,
    parse_meeting_date,
    parse_option_date,
    parse_plan_ref,
    plan_change,
    quoted_title,
    record_change,
)
from store import plan as plan_store
from store.models import Board, ItemKind, PlanItem


# ---------------------------------------------------------------- items


def _split_date_and_title(parsed: Parsed) -> tuple[str, str]:
    """`<date words> "<title>"`; without quotes, one date word then the title. Words after a quoted title are
    refused (`kind:standing item` would otherwise add "item" to it)."""
    for i, tok in enumerate(parsed.args):
        if tok.quoted:
            refuse_stray(parsed.args[i + 1:], parsed.options, example=USAGE[4])
            return " ".join(t.value for t in parsed.args[:i]), tok.value
    if len(parsed.args) < 2:
        raise UsageError("Give a date and a title.", examples=USAGE[4:5])
    return parsed.args[0].value, " ".join(t.value for t in parsed.args[1:])


def handle_item_add(req: Request) -> Reply:
    parsed, board = req.parsed, req.board
    date_text, title = _split_date_and_title(parsed)
    if not date_text:
        raise UsageError("For which meeting? Put its date before the title.", examples=USAGE[4:5])
    title = mentions.typed_text(req.session, title, "title")
    if len(title) > 300:
        raise InvalidInput("A title can be at most 300 characters.", field="title")
    day = parse_meeting_date(req, board, date_text)
    meeting = existing_meeting(req, board, day)
    kind = parse_kind(parsed.options["kind"]) if parsed.options.get("kind") else ItemKind.DISCUSSION
    lead = mentions.plain_names(req.session, parsed.options.get("lead", "")).strip()[:300]
    if not lead:
        raise UsageError("Who leads this item? Give the lead as on the plan: an organisation, a member or both.",
                         examples=[f'/plan item add {day.isoformat()} "{title[:60]}" lead:"LB Ealing/DWP"'])
    author = parsed.options.get("author", "").strip()[:200] or None
    if plan_store.find_item(session=req.session, meeting_id=meeting.id, title=title):
        raise Conflict(f"“{title}” is already on the plan for {day:%-d %B %Y}.", title="Already planned")
    item = plan_store.add_item(session=req.session, board_id=board.id, meeting=meeting, title=title, lead=lead,
                               lead_links=plan_store.link_lead(session=req.session, board=board, lead=lead),
                               kind=kind.value, now=req.now(), report_author=author)
    record_change(req, "plan_item", item.id, "create", None, item_snapshot(item))
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "item", "change": "added",
                                             "item": item_data(_planned(item)),
                                             "meeting": meeting_data(meeting, board)})


def _planned(item: PlanItem) -> PlannedItem:
    return PlannedItem(f"P{item.ref}", item.title, item.lead, item.kind, False, item.report_author, item.lead_links,
                       item.history or [])


def _load_item(req: Request) -> tuple[Board, PlanItem, Parsed]:
    parsed, board = req.parsed, req.board
    if not parsed.args:
        raise UsageError("Which item? Give its reference.", examples=["P3"])
    ref = parse_plan_ref(parsed.args[0].value)
    item = plan_store.get_item(session=req.session, board_id=board.id, ref=ref)
    if item is None:
        raise NotFound(f"There is no item P{ref} on the forward plan of {board.name}.")
    return board, item, parsed


def handle_item_move(req: Request) -> Reply:
    board, item, parsed = _load_item(req)
    if len(parsed.args) < 2:
        raise UsageError("Move it to which meeting?", examples=[f"/plan item move P{item.ref} 2020-01-20"])
    if item.meeting.date < req.today(board.timezone):
        raise InvalidInput(f"P{item.ref} was on the agenda of a meeting that has taken place; it can't move now.")
    day = parse_meeting_date(req, board, " ".join(a.value for a in parsed.args[1:]))
    meeting = existing_meeting(req, board, day)
    if meeting.id == item.meeting_id:
        raise Conflict(f"P{item.ref} is already planned for {day:%-d %B %Y}.", title="Already planned")
    before = item_snapshot(item)
    plan_store.move_item(session=req.session, item=item, meeting=meeting, now=req.now())
    record_change(req, "plan_item", item.id, "move", before, item_snapshot(item))
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "item", "change": "moved",
                                             "item": item_data(_planned(item)),
                                             "meeting": meeting_data(meeting, board)})


def handle_item_drop(req: Request) -> Reply:
    board, item, _ = _load_item(req)
    if item.meeting.date < req.today(board.timezone):
        raise InvalidInput(f"P{item.ref} was on the agenda of a meeting that has taken place; it stays on record.")
    before = item_snapshot(item)
    data = item_data(_planned(item))
    meeting = meeting_data(item.meeting, board)
    plan_store.drop_item(session=req.session, item=item)
    record_change(req, "plan_item", item.id, "drop", before, None)
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "item", "change": "dropped",
                                             "item": data, "meeting": meeting})


def handle_standing_add(req: Request) -> Reply:
    """Declare an item that appears at every meeting (or every Nth) from today or `from:<date>`."""
    parsed, board = req.parsed, req.board
    title = quoted_title(parsed, USAGE[7])
    title = mentions.typed_text(req.session, title if title is not None else " ".join(a.value for a in parsed.args), "title")
    if len(title) > 300:
        raise InvalidInput("A title can be at most 300 characters.", field="title")
    every_text = parsed.options.get("every", "1").lower().removesuffix("th").removesuffix("nd").removesuffix("rd")
    if not (every_text.isascii() and every_text.isdigit()) or not 1 <= int(every_text) <= 12:
        raise InvalidInput("`every:` is a number of meetings from 1 to 12, like every:2.", field="every")
    starts_on = parse_option_date(req, board, "from", parsed.options["from"]) if parsed.options.get("from") \
        else req.today(board.timezone)
    kind = parse_kind(parsed.options["kind"]) if parsed.options.get("kind") else ItemKind.STANDING
    lead = mentions.plain_names(req.session, parsed.options.get("lead", "")).strip()[:300]
    if any(s.title.lower() == title.lower() for s in plan_store.standing_items(session=req.session, board_id=board.id)):
        raise Conflict(f"“{title}” is already a standing item.", title="Already a standing item")
    item = plan_store.add_standing(session=req.session, board_id=board.id, title=title, lead=lead,
                                   lead_links=plan_store.link_lead(session=req.session, board=board, lead=lead),
                                   kind=kind.value, every=int(every_text), starts_on=starts_on, now=req.now())
    record_change(req, "standing_item", item.id, "create", None, {"title": title, "lead": lead, "every": item.every})
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "standing", "change": "added",
                                             "item": {"ref": f"S{item.ref}", "title": title, "lead": lead,
                                                      "kind": item.kind, "every": every_label(item.every),
                                                      "starts_on": starts_on, "report_author": None}})


def handle_standing_drop(req: Request) -> Reply:
    parsed, board = req.parsed, req.board
    if not parsed.args:
        raise UsageError("Which standing item?", examples=["/plan standing drop S1"])
    ref = parse_plan_ref(parsed.args[0].value, STANDING_REF, "standing item", "S1")
    item = plan_store.get_standing(session=req.session, board_id=board.id, ref=ref)
    if item is None:
        raise NotFound(f"There is no standing item S{ref} on {board.name}.")
    data = {"ref": f"S{item.ref}", "title": item.title, "lead": item.lead, "kind": item.kind, "every": every_label(item.every),
            "starts_on": item.starts_on, "report_author": None}
    plan_store.drop_standing(session=req.session, item=item)
    record_change(req, "standing_item", item.id, "drop", {"title": item.title}, None)
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "standing", "change": "dropped",
                                             "item": data})


# ---------------------------------------------------------------- declarations

COMMANDS = (
    plan_change(("item", "add"), handle_item_add, "change the forward plan", usage=USAGE[4],
                summary="put an item on a meeting's forward plan"),
    plan_change(("item", "move"), handle_item_move, "change the forward plan", usage=USAGE[5],
                summary="move an item to another meeting"),
    plan_change(("item", "drop"), handle_item_drop, "change the forward plan", aliases=(("item", "remove"),),
                usage=USAGE[6], summary="take an item off the plan"),
    plan_change(("standing", "add"), handle_standing_add, "change the forward plan", options=OPTIONS_PHRASED,
                usage=USAGE[7], summary="an item at every (or every Nth) meeting"),
    plan_change(("standing", "drop"), handle_standing_drop, "change the forward plan",
                aliases=(("standing", "remove"),), usage="/plan standing drop S1", summary="stop a standing item"),
)
