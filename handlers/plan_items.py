"""`/plan item add|move|drop|paper|private|urgent`, `/plan standing add|drop`: the forward plan's items and its
standing items.

An item may need a paper (`paper:yes`, written by `author:@x`, chased by the chase-papers job), be confidential
(`private:yes reason:"…"`, the Schedule 12A category of exempt information: left out of everything public), and,
once the meeting's pack has been published, come in only as urgent, with the chair's reason (the minutes record
it)."""

from __future__ import annotations

from handlers import mentions
from handlers.action_input import resolve_member
from handlers.base import Actor, Conflict, Forbidden, InvalidInput, NotFound, Reply, Request, UsageError
from handlers.member_ref import is_member_reference
from handlers.parsing import Parsed, refuse_stray
from handlers.plan import (
    OPTIONS_PHRASED,
    PLAIN_OPTIONS,
    STANDING_REF,
    USAGE,
    PlannedItem,
    every_label,
    existing_meeting,
    item_data,
    item_snapshot,
    meeting_data,
    parse_kind,
    parse_meeting_date,
    parse_option_date,
    parse_plan_ref,
    plan_change,
    quoted_title,
    record_change,
)
from handlers.registry import Option
from store import boards, packs
from store import plan as plan_store
from store.models import ItemKind, Meeting, Member, PlanItem, Role
from store.models.views import BoardView

ITEM_OPTIONS = PLAIN_OPTIONS + (Option("paper"), Option("private"), Option("reason"), Option("urgent"))
MOVE_OPTIONS = PLAIN_OPTIONS + (Option("urgent"),)
YES, NO = ("yes", "y", "true", "on"), ("no", "n", "false", "off", "none")
MAX_REASON = 500
URGENT_DECIDERS = (Role.CHAIR, Role.VICE_CHAIR)


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
    raw_author = parsed.options.get("author", "").strip()
    named = _member_named(req, board, raw_author) if is_member_reference(raw_author) else None
    author = (named.display_name if named else mentions.plain_names(req.session, raw_author)).strip()[:200] or None
    lead_links = plan_store.link_lead(session=req.session, board=board, lead=lead)
    paper = _yes_no(parsed.options["paper"], "paper") if parsed.options.get("paper") else False
    private = _yes_no(parsed.options["private"], "private") if parsed.options.get("private") else False
    reason = _reason(parsed.options.get("reason"))
    if private and not reason:
        raise UsageError("Why is it confidential? Give the category of exempt information (Schedule 12A) as "
                         "`reason:`.", examples=[f'/plan item add {day.isoformat()} "{title[:40]}" lead:"…" '
                                                 'private:yes reason:"Information about an individual"'])
    if reason and not private:
        raise UsageError("`reason:` goes with `private:yes` (a confidential item's exempt-information category).",
                         examples=['private:yes reason:"Commercially sensitive information"'])
    paper_author = _paper_author(req, board, raw_author, parsed.options.get("lead", "")) if paper else None
    if paper and paper_author is None:
        raise UsageError("Who writes the paper? Name its author as `author:@someone` on the board (or give a lead "
                         "who is a member of the board).",
                         examples=[f'/plan item add {day.isoformat()} "{title[:40]}" lead:"…" paper:yes author:@alex'])
    if paper_author is None and raw_author:
        paper_author = _member_named(req, board, raw_author)
    urgent = _urgent_reason(req, meeting, parsed.options.get("urgent"))
    if plan_store.find_item(session=req.session, meeting_id=meeting.id, title=title):
        raise Conflict(f"“{title}” is already on the plan for {day:%-d %B %Y}.", title="Already planned")
    item = plan_store.add_item(session=req.session, board_id=board.id, meeting=meeting, title=title, lead=lead,
                               lead_links=lead_links, kind=kind.value, now=req.now(), report_author=author)
    item.paper_required, item.private = paper, private
    item.paper_author_id = paper_author.id if paper_author else None
    item.paper_author = paper_author
    item.private_reason, item.urgent_reason = reason, urgent
    record_change(req, "plan_item", item.id, "create", None, item_snapshot(item))
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "item", "change": "added",
                                             "item": item_data(_planned(item)),
                                             "meeting": meeting_data(meeting, board)})


def _planned(item: PlanItem) -> PlannedItem:
    return PlannedItem(f"P{item.ref}", item.title, item.lead, item.kind, False, item.report_author, item.lead_links,
                       item.history or [], paper=item.paper_required,
                       paper_author=item.paper_author.display_name if item.paper_author else None,
                       private_reason=item.private_reason if item.private else None, urgent=item.urgent_reason)


def _yes_no(text: str, key: str) -> bool:
    word = text.strip().lower()
    if word in YES:
        return True
    if word in NO:
        return False
    raise InvalidInput(f"`{key}:` is yes or no, not “{text}”.", field=key)


def _reason(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    reason = " ".join(text.split())
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"A reason can be at most {MAX_REASON} characters.", field="reason")
    return reason


def _member_named(req: Request, board: BoardView, text: str) -> Member | None:
    """The board member `text` mentions (`<@U123>`), or names as `@"Full Name"` or by address, if it names one."""
    found = mentions.mentioned_members(req.session, board.id, text)
    if not found and is_member_reference(text.strip()):
        return resolve_member(req, board, text.strip(), field="author")
    return found[0] if found else None


def _paper_author(req: Request, board: BoardView, author: str, lead: str) -> Member | None:
    """Who writes an item's paper: the member `author:` mentions; else the lead, where the lead is a member (named
    by mention or as the plan links it)."""
    found = _member_named(req, board, author) or _member_named(req, board, lead)
    if found is not None:
        return found
    for link in plan_store.link_lead(session=req.session, board=board,
                                     lead=mentions.plain_names(req.session, lead)):
        if link.get("kind") == "member" and link.get("id"):
            member = req.session.get(Member, link["id"])
            if member is not None and boards.get_membership(session=req.session, board_id=board.id,
                                                            member_id=member.id) is not None:
                return member
    return None


def _may_take_urgent(actor: Actor) -> bool:
    return actor.role in URGENT_DECIDERS


def _urgent_reason(req: Request, meeting: Meeting, given: str | None) -> str | None:
    """An item added to a meeting whose pack is published must be taken as urgent, by the chair or a vice-chair,
    with a reason; before publication `urgent:` is not needed and refused."""
    published = packs.published_main(session=req.session, meeting_id=meeting.id) is not None
    reason = _reason(given)
    if not published:
        if reason:
            raise UsageError(f"The agenda pack for {meeting.date:%-d %B %Y} is not published yet, so the item needs "
                             "no urgency: add it without `urgent:`.")
        return None
    if not _may_take_urgent(req.actor):
        raise Forbidden(f"The agenda pack for {meeting.date:%-d %B %Y} has been published. Only the chair or a "
                        "vice-chair can add an item now, as urgent, with the reason (`urgent:\"…\"`).")
    if not reason:
        raise UsageError(f"The agenda pack for {meeting.date:%-d %B %Y} has been published: an item added now is "
                         "urgent business. Give the reason the chair takes it as urgent (the minutes record it).",
                         examples=['urgent:"Grant deadline falls before the next meeting"'])
    return reason


def _load_item(req: Request) -> tuple[BoardView, PlanItem, Parsed]:
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
    urgent = _urgent_reason(req, meeting, parsed.options.get("urgent"))  # onto a published agenda: urgent only
    before = item_snapshot(item)
    plan_store.move_item(session=req.session, item=item, meeting=meeting, now=req.now())
    if urgent:
        item.urgent_reason = urgent
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


def _item_done(req: Request, board: BoardView, item: PlanItem, change: str) -> Reply:
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "item", "change": change,
                                             "item": item_data(_planned(item)),
                                             "meeting": meeting_data(item.meeting, board)})


def _not_past(req: Request, board: BoardView, item: PlanItem) -> None:
    if item.meeting.date < req.today(board.timezone):
        raise InvalidInput(f"P{item.ref} was on the agenda of a meeting that has taken place; it stays on record.")


def handle_item_paper(req: Request) -> Reply:
    """`/plan item paper P4 @x`: the item needs a paper, written by @x; `/plan item paper P4 none`: it needs none."""
    board, item, parsed = _load_item(req)
    if len(parsed.args) != 2:
        raise UsageError("Who writes the paper? Name a member of the board, or `none` if the item needs no paper.",
                         examples=[f"/plan item paper P{item.ref} @alex", f"/plan item paper P{item.ref} none"])
    _not_past(req, board, item)
    before = item_snapshot(item)
    who = parsed.args[1].value.strip()
    if who.lower() in NO:
        item.paper_required, item.paper_author_id, item.paper_author = False, None, None
        change = "marked as needing no paper"
    else:
        author = _member_named(req, board, who)
        if author is None:
            raise InvalidInput(f"{mentions.plain_names(req.session, who)} is not a member of {board.name}: a paper's "
                               "author is someone the board can chase. Mention them, like @alex.", field="author")
        item.paper_required, item.paper_author_id, item.paper_author = True, author.id, author
        item.report_author = author.display_name[:200]
        change = f"given a paper by {author.display_name}"
    item.updated_at = req.now()
    record_change(req, "plan_item", item.id, "paper", before, item_snapshot(item))
    return _item_done(req, board, item, change)


def handle_item_private(req: Request) -> Reply:
    """`/plan item private P4 reason:"…"`: confidential (exempt information); `/plan item private P4 no`: public."""
    board, item, parsed = _load_item(req)
    _not_past(req, board, item)
    before = item_snapshot(item)
    word = parsed.args[1].value if len(parsed.args) > 1 else ""
    reason = _reason(parsed.options.get("reason"))
    if word and word.lower() in NO:
        if reason:
            raise UsageError("An item made public again needs no reason.", examples=[f"/plan item private P{item.ref} no"])
        item.private, item.private_reason = False, None
        change = "made public"
    else:
        if word and word.lower() not in YES or len(parsed.args) > 2:
            raise UsageError("Give the reason it is confidential, or `no` to make it public again.",
                             examples=[f'/plan item private P{item.ref} reason:"Information about an individual"',
                                       f"/plan item private P{item.ref} no"])
        if not reason:
            raise UsageError("Why is it confidential? Give the category of exempt information (Schedule 12A).",
                             examples=[f'/plan item private P{item.ref} reason:"Information about an individual"'])
        item.private, item.private_reason = True, reason
        change = "made confidential"
    item.updated_at = req.now()
    record_change(req, "plan_item", item.id, "private", before, item_snapshot(item))
    return _item_done(req, board, item, change)


def handle_item_urgent(req: Request) -> Reply:
    """`/plan item urgent P7 reason:"…"`: the chair (or a vice-chair) takes an item as urgent business."""
    board, item, parsed = _load_item(req)
    if not _may_take_urgent(req.actor):
        raise Forbidden(f"Only the chair or a vice-chair of {board.name} can take an item as urgent.")
    if len(parsed.args) > 1:
        refuse_stray(parsed.args[1:], parsed.options, example=f'/plan item urgent P{item.ref} reason:"…"')
    _not_past(req, board, item)
    reason = _reason(parsed.options.get("reason"))
    if not reason:
        raise UsageError("Why is it urgent? The minutes record the reason.",
                         examples=[f'/plan item urgent P{item.ref} reason:"Grant deadline falls before the next '
                                   'meeting"'])
    before = item_snapshot(item)
    item.urgent_reason, item.updated_at = reason, req.now()
    record_change(req, "plan_item", item.id, "urgent", before, item_snapshot(item))
    return _item_done(req, board, item, "taken as urgent")


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
    plan_change(("item", "add"), handle_item_add, "change the forward plan", options=ITEM_OPTIONS,
                usage=USAGE[4] + ' [paper:yes author:@alex] [private:yes reason:"…"] [urgent:"…"]',
                summary="put an item on a meeting's forward plan (`paper:yes author:@x`: it needs a paper; "
                        "`private:yes reason:\"…\"`: confidential; after the pack is published, only the chair or a "
                        "vice-chair, with `urgent:\"<reason>\"`)"),
    plan_change(("item", "paper"), handle_item_paper, "change the forward plan",
                usage="/plan item paper P4 @alex | none",
                summary="the item needs a paper, written by this member (chased before the deadline), or none"),
    plan_change(("item", "private"), handle_item_private, "change the forward plan", options=ITEM_OPTIONS,
                usage='/plan item private P4 reason:"Information about an individual" | no',
                summary="make an item confidential (exempt information: left out of everything public), or public"),
    plan_change(("item", "urgent"), handle_item_urgent, "take an item as urgent", options=ITEM_OPTIONS,
                usage='/plan item urgent P7 reason:"Grant deadline before the next meeting"',
                summary="take an item added after the pack's publication as urgent business, with the reason",
                narrower="the chair or a vice-chair"),
    plan_change(("item", "move"), handle_item_move, "change the forward plan", usage=USAGE[5], options=MOVE_OPTIONS,
                summary="move an item to another meeting (to one whose pack is published: only the chair or a "
                        "vice-chair, with `urgent:\"<reason>\"`)"),
    plan_change(("item", "drop"), handle_item_drop, "change the forward plan", aliases=(("item", "remove"),),
                usage=USAGE[6], summary="take an item off the plan"),
    plan_change(("standing", "add"), handle_standing_add, "change the forward plan", options=OPTIONS_PHRASED,
                usage=USAGE[7], summary="an item at every (or every Nth) meeting"),
    plan_change(("standing", "drop"), handle_standing_drop, "change the forward plan",
                aliases=(("standing", "remove"),), usage="/plan standing drop S1", summary="stop a standing item"),
)
