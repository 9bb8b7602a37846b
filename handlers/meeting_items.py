"""What happens to each item at the meeting: its outcome and decision, notes, declarations of interest, and the
buttons on its message in the meeting's thread (Declaration, Outcome, Add action, Note) with their forms.

A button's value is `<meeting id>|<item number>`; a form carries the same in its private_metadata."""

from __future__ import annotations

import json
from typing import Any

from handlers import access, action_forms, forms, mentions
from handlers.action_input import names_a_member, resolve_member
from handlers.base import Forbidden, InvalidInput, NotFound, Reply, Request, UsageError
from handlers.ids import ActionId, CallbackId
from handlers.meeting_view import NOTE_TEMPLATE, OUTCOMES, item_number, item_of, item_title, open_meeting, show_item
from handlers.minutes import confirm_previous_minutes
from handlers.parsing import check_text, parse_id
from handlers.registry import Button, Command, Form, Kind, Option, Who
from store import audit, boards
from store import meeting_record as record_store
from store.models import MeetingItem, MeetingRecord, Outcome
from store.models.views import BoardView

ITEM_EXAMPLE = '/meeting item 4 agreed "Partners sign the LSP commitment"'
NOTE_EXAMPLE = "/meeting note 4 Partners asked for the figures by ward"
DECLARE_EXAMPLE = '/meeting declare @bob item:4 "Trustee of Southall Community Alliance" left:yes'
MAX_DECISION = 3000


# ---------------------------------------------------------------- outcome


def record_outcome(req: Request, board: BoardView, record: MeetingRecord, item: MeetingItem, outcome: str,
                   decision: str) -> Reply:
    """Give an item its outcome (and the decision's wording), and show it on the item's message."""
    if outcome not in OUTCOMES:
        raise InvalidInput(f"“{outcome}” is not an outcome: use one of {', '.join(OUTCOMES)}.",
                           examples=[ITEM_EXAMPLE, "/meeting item 5 deferred"], field="outcome")
    decision = mentions.typed_text(req.session, decision, "decision") if decision.strip() else ""
    if len(decision) > MAX_DECISION:
        raise InvalidInput(f"The decision can be at most {MAX_DECISION:,} characters.", field="decision")
    before = {"outcome": item.outcome, "decision": item.decision}
    record_store.set_outcome(item=item, outcome=outcome, decision=decision or None, by=req.user_id, now=req.now())
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="meeting_item", entity_id=item.id,
                 operation="outcome", before=before, after={"outcome": outcome, "decision": decision or None})
    confirmed = ""
    if item.key == "action_review" and outcome in (Outcome.AGREED.value, Outcome.AMENDED.value):
        # "Minutes of the last meeting" agreed: the previous meeting's minutes are confirmed (and locked) here
        version = confirm_previous_minutes(req.session, req.notify, board, record.meeting, req.user_id, req.now())
        confirmed = " The minutes of the last meeting are confirmed." if version is not None else ""
    show_item(req.session, req.notify, record, item)
    said = f": “{decision}”" if decision else ""
    return Reply(NOTE_TEMPLATE, {"icon": ":ballot_box_with_check:",
                                 "text": f"Item {item.number}, {item_title(item)}: {outcome}{said}.{confirmed}"})


def _outcome_words(words: list[str]) -> tuple[str, int]:
    """The outcome the first words name (`agreed as amended` takes three), and how many words it took."""
    lowered = [w.lower() for w in words]
    for outcome in sorted(OUTCOMES, key=lambda o: -len(o.split())):
        n = len(outcome.split())
        if lowered[:n] == outcome.split():
            return outcome, n
    return (lowered[0] if lowered else ""), 1


def handle_meeting_item(req: Request) -> Reply:
    """`/meeting item 4 agreed "…"`, `/meeting item 5 deferred`."""
    board = req.board
    args = req.parsed.args
    if len(args) < 2:
        raise UsageError("Say the item's number and its outcome.", examples=[ITEM_EXAMPLE, "/meeting item 5 deferred"])
    record = open_meeting(req, board)
    item = item_of(req, record, item_number(args[0].raw, ITEM_EXAMPLE))
    outcome, used = _outcome_words([a.value for a in args[1:] if not a.quoted])
    if outcome not in OUTCOMES:
        raise InvalidInput(f"“{args[1].value}” is not an outcome: use one of {', '.join(OUTCOMES)}.",
                           examples=[ITEM_EXAMPLE, "/meeting item 5 deferred"], field="outcome")
    decision = " ".join(a.value for a in args[1 + used:])
    return record_outcome(req, board, record, item, outcome, decision)


# ---------------------------------------------------------------- notes


def add_note(req: Request, record: MeetingRecord, item: MeetingItem, text: str) -> Reply:
    text = check_text(mentions.typed_text(req.session, text, "note"), "note")
    note = record_store.add_note(session=req.session, item=item, author=req.user_id, text=text, now=req.now())
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="meeting_note", entity_id=note.id,
                 operation="create", after={"item": item.number, "text": text})
    show_item(req.session, req.notify, record, item)
    return Reply(NOTE_TEMPLATE, {"icon": ":memo:", "text": f"Noted on item {item.number}, {item_title(item)}."})


def handle_meeting_note(req: Request) -> Reply:
    """`/meeting note 4 <text>`."""
    board = req.board
    number, _, text = req.rest.strip().partition(" ")
    if not number or not text.strip():
        raise UsageError("Say the item's number and the note.", examples=[NOTE_EXAMPLE])
    record = open_meeting(req, board)
    return add_note(req, record, item_of(req, record, item_number(number, NOTE_EXAMPLE)), text)


# ---------------------------------------------------------------- declarations


def declare(req: Request, board: BoardView, record: MeetingRecord, item: MeetingItem, who: str, interest: str,
            left_room: bool) -> Reply:
    """Record an interest declared against an item (by a member, or someone named who is not one)."""
    interest = check_text(mentions.typed_text(req.session, interest, "interest"), "interest")
    member = resolve_member(req, board, who) if names_a_member(who) or who.startswith("@") else None
    name = member.display_name if member is not None else who.strip().strip('"')
    if not name:
        raise UsageError("Say who declares the interest.", examples=[DECLARE_EXAMPLE])
    row = record_store.add_declaration(session=req.session, item=item, member_id=member.id if member else None,
                                       name=name[:200], interest=interest, left_room=left_room, by=req.user_id,
                                       now=req.now())
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="declaration", entity_id=row.id,
                 operation="create", after={"item": item.number, "name": name, "interest": interest,
                                            "left_room": left_room})
    show_item(req.session, req.notify, record, item)
    left = " They left the room for it." if left_room else ""
    return Reply(NOTE_TEMPLATE, {"icon": ":raised_hand:", "text": (
        f"{name} declared an interest in item {item.number}, {item_title(item)}: “{interest}”.{left}")})


def handle_meeting_declare(req: Request) -> Reply:
    """`/meeting declare @x item:4 "<interest>" [left:yes]`."""
    board = req.board
    parsed = req.parsed
    if len(parsed.args) < 2:
        raise UsageError("Say who, which item, and the interest.", examples=[DECLARE_EXAMPLE])
    record = open_meeting(req, board)
    item = item_of(req, record, int(parsed.options["item"]))
    who, interest = parsed.args[0], " ".join(a.value for a in parsed.args[1:])
    return declare(req, board, record, item, who.value if who.quoted else who.raw, interest,
                   parsed.options.get("left") == "yes")


# ---------------------------------------------------------------- the item's buttons and forms


def _button_item(req: Request, raw: Any, doing: str) -> tuple[BoardView, MeetingRecord, MeetingItem]:
    """The item a button or form names (`<meeting id>|<number>`), of a meeting still open, for a manager."""
    meeting_ref, _, number = str(raw or "").partition("|")
    meeting_id, item_no = parse_id(meeting_ref), parse_id(number)
    record = record_store.record_of(session=req.session, meeting_id=meeting_id) if meeting_id else None
    item = record_store.item_by_number(session=req.session, meeting_id=record.meeting_id, number=item_no) \
        if record is not None and item_no else None
    if record is None or item is None:
        raise NotFound("That item is no longer on a meeting's agenda.")
    board = boards.get_existing(session=req.session, board_id=record.board_id)
    actor = access.actor_for(req, board)
    if not actor.manages_board:
        raise Forbidden(f"Only the chair, vice-chair or secretariat of {board.name} can {doing}.")
    if record.closed_at is not None:
        raise InvalidInput(f"The meeting of {record.meeting.date:%-d %B %Y} has ended, so its items can't change "
                           "here any more.", field="outcome")
    return board, record, item


def _form(template: str, record: MeetingRecord, item: MeetingItem, board: BoardView, **extra: Any) -> Reply:
    data = {"metadata": json.dumps({"item": f"{record.meeting_id}|{item.number}"}), "board": board.name,
            "item": {"number": item.number, "title": item_title(item), "outcome": item.outcome or "",
                     "decision": item.decision or ""}, "outcomes": OUTCOMES, **extra}
    return Reply(NOTE_TEMPLATE, {"text": f"Item {item.number}: fill in the form."},
                 open_modal={"template": template, "data": data})


def handle_outcome_button(req: Request) -> Reply:
    board, record, item = _button_item(req, req.values.get("value"), "record outcomes")
    return _form("slack/meeting_outcome_modal.json.j2", record, item, board)


def handle_note_button(req: Request) -> Reply:
    board, record, item = _button_item(req, req.values.get("value"), "take notes")
    return _form("slack/meeting_note_modal.json.j2", record, item, board)


def handle_declaration_button(req: Request) -> Reply:
    board, record, item = _button_item(req, req.values.get("value"), "record declarations")
    members = sorted(boards.list_members(session=req.session, board_id=board.id),
                     key=lambda m: m.member.display_name.lower())
    options = [{"text": m.member.display_name[:75], "value": m.member.slack_user_id} for m in members][:100]
    return _form("slack/meeting_declaration_modal.json.j2", record, item, board, members=options)


def handle_add_action_button(req: Request) -> Reply:
    """The action form, for the meeting and this item (carried in its private_metadata)."""
    board, record, item = _button_item(req, req.values.get("value"), "record actions from the meeting")
    req.on_board(board, access.actor_for(req, board))
    opened = action_forms.open_action_modal(req)
    modal = opened.open_modal or {}
    data = dict(modal.get("data") or {}, meeting_item={"id": item.id, "number": item.number,
                                                       "title": item_title(item)})
    return Reply(NOTE_TEMPLATE, {"text": f"Item {item.number}: fill in the action form."},
                 open_modal={"template": modal.get("template"), "data": data})


def handle_outcome_submission(req: Request) -> Reply:
    board, record, item = _button_item(req, forms.metadata(req).get("item"), "record outcomes")
    outcome = str(req.values.get("outcome") or "")
    if not outcome:
        raise InvalidInput("Choose the outcome.", field="outcome")
    return record_outcome(req, board, record, item, outcome, str(req.values.get("decision") or ""))


def handle_note_submission(req: Request) -> Reply:
    _, record, item = _button_item(req, forms.metadata(req).get("item"), "take notes")
    text = str(req.values.get("note") or "")
    if not text.strip():
        raise InvalidInput("Write the note.", field="note")
    return add_note(req, record, item, text)


def handle_declaration_submission(req: Request) -> Reply:
    board, record, item = _button_item(req, forms.metadata(req).get("item"), "record declarations")
    who = str(req.values.get("member") or "")
    if not who:
        raise InvalidInput("Choose who declares the interest.", field="member")
    interest = str(req.values.get("interest") or "")
    if not interest.strip():
        raise InvalidInput("Say what the interest is.", field="interest")
    return declare(req, board, record, item, f"<@{who}>", interest, "yes" in (req.values.get("left_room") or []))


# ---------------------------------------------------------------- declarations

COMMANDS = (
    Command("/meeting", ("item",), handle_meeting_item, who=Who.MANAGERS, doing="record outcomes", parsed=True,
            usage='/meeting item <number> agreed|agreed as amended|noted|deferred|withdrawn ["decision"]',
            summary="an item's outcome, with the decision's wording", examples=(ITEM_EXAMPLE,
                                                                                "/meeting item 5 deferred")),
    Command("/meeting", ("note",), handle_meeting_note, who=Who.MANAGERS, doing="take notes",
            usage="/meeting note <number> <text>", summary="a note against an item (for its minute)",
            examples=(NOTE_EXAMPLE,)),
    Command("/meeting", ("declare",), handle_meeting_declare, who=Who.MANAGERS, doing="record declarations",
            parsed=True, options=(Option("item", Kind.NUMBER, required=True, low=1, high=999, help="the item's number"),
                                  Option("left", Kind.CHOICE, choices=("yes", "no"))),
            usage='/meeting declare @member item:<number> "<interest>" [left:yes]',
            summary="an interest declared against an item, and whether they left the room",
            examples=(DECLARE_EXAMPLE,)),
)
BUTTONS = (
    Button(ActionId.MEETING_DECLARATION, handle_declaration_button, "open the form for a declaration on an item",
           who=Who.MANAGERS),
    Button(ActionId.MEETING_OUTCOME, handle_outcome_button, "open the form for an item's outcome", who=Who.MANAGERS),
    Button(ActionId.MEETING_ADD_ACTION, handle_add_action_button, "open the action form for an item",
           who=Who.MANAGERS),
    Button(ActionId.MEETING_NOTE, handle_note_button, "open the form for a note on an item", who=Who.MANAGERS),
)
FORMS = (
    Form(CallbackId.MEETING_OUTCOME_MODAL, handle_outcome_submission, "an item's outcome and decision",
         default_field="outcome", fields=("outcome", "decision"), who=Who.MANAGERS),
    Form(CallbackId.MEETING_NOTE_MODAL, handle_note_submission, "a note on an item", default_field="note",
         fields=("note",), who=Who.MANAGERS),
    Form(CallbackId.MEETING_DECLARATION_MODAL, handle_declaration_submission, "a declaration of interest on an item",
         default_field="interest", fields=("member", "interest", "left_room"), who=Who.MANAGERS),
)
