"""The proposal form: `/agenda add` with no text opens it; its submission is checked like the command."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from handlers import access, agenda, forms
from handlers.base import InvalidInput, NotFound, Reply, Request
from handlers.ids import CallbackId
from handlers.registry import Form, Who, help_reply
from handlers.parsing import check_text

TEMPLATE = "slack/agenda_add_modal.json.j2"
FIELD_TITLE, FIELD_LEAD, FIELD_MEETING, FIELD_BOARD = "title", "lead", "meeting", "board"
FIELDS = (FIELD_TITLE, FIELD_LEAD, FIELD_MEETING, FIELD_BOARD)


def open_agenda_add_modal(req: Request) -> Reply:
    """The form to propose an item for one of the board's coming meetings (the next one chosen already)."""
    board, choices = forms.board_choices(req)
    shown = [board] if board is not None else choices
    groups = [{"board": b.name, "options": forms.meeting_options(req, b, future=8)} for b in shown]
    groups = [g for g in groups if g["options"]]
    if not groups:
        names = board.name if board is not None else "None of your boards"
        raise NotFound(f"{names} has no meeting planned. The chair or secretariat adds one with "
                       "`/plan meeting add <date>`.")
    data: dict[str, Any] = {
        "board": {"id": board.id, "name": board.name} if board is not None else None,
        "boards": [{"id": b.id, "name": b.name} for b in choices],
        "meeting_groups": groups,
        "fields": {"title": FIELD_TITLE, "lead": FIELD_LEAD, "meeting": FIELD_MEETING, "board": FIELD_BOARD},
    }
    return replace(help_reply(agenda.TOPIC, agenda.COMMANDS), open_modal={"template": TEMPLATE, "data": data})


def handle_agenda_add_submit(req: Request) -> Reply:
    """Propose the item the form describes; the confirmation goes to the proposer's DM (the form closes)."""
    meta = forms.metadata(req)
    board = forms.chosen_board(req, meta, FIELD_BOARD)
    member = access.require_member(access.actor_for(req, board))
    title = check_text(str(req.values.get(FIELD_TITLE) or ""), "title")
    lead = check_text(str(req.values.get(FIELD_LEAD)), "lead") if str(req.values.get(FIELD_LEAD) or "").strip() else ""
    if len(lead) > 300:
        raise InvalidInput("A lead can be at most 300 characters.", field=FIELD_LEAD)
    meeting = forms.chosen_meeting(req, board, req.values.get(FIELD_MEETING), FIELD_MEETING, future=True)
    if meeting is None:
        raise InvalidInput("Choose the meeting.", field=FIELD_MEETING)
    reply = agenda.propose(req, board, member, title, lead, meeting)
    req.notify.to_user(req.user_id, reply.template, reply.data)
    return reply


# ---------------------------------------------------------------- declarations

FORMS = (
    Form(CallbackId.AGENDA_ADD, handle_agenda_add_submit, "propose an agenda item", default_field=FIELD_TITLE,
         fields=FIELDS, who=Who.MEMBERS, opened_by="/agenda add", opener=open_agenda_add_modal),
)
