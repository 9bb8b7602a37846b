"""The action form: `/action add` with no text, "Create action from message", and the form's submission.

The submission goes through `create_action` with the same checks as the command: the author must sit
on the board, the owner too, and the due date may not be in the past. A refusal names the field at fault.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from handlers import access, actions, forms, mentions
from handlers.action_input import parse_due, resolve_member
from handlers.base import InvalidInput, Reply, Request
from handlers.ids import CallbackId
from handlers.member_ref import member_select_options
from handlers.parsing import MAX_TEXT, parse_id, slack_unescape
from handlers.registry import Form, Shortcut, Who, help_reply
from store import boards
from store.models import Board, MeetingItem
from store.models.views import BoardView

TEMPLATE = "slack/action_modal.json.j2"
FIELD_TEXT, FIELD_OWNER, FIELD_DUE, FIELD_MEETING, FIELD_BOARD = "text", "owner", "due", "meeting", "board"
FIELDS = (FIELD_TEXT, FIELD_OWNER, FIELD_DUE, FIELD_MEETING, FIELD_BOARD)
_SLACK_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>|<(https?://[^>]+)>")
_SLACK_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_SLACK_SPECIAL = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>|<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_PERMALINK = re.compile(r"^https://[A-Za-z0-9.-]+/archives/[A-Z0-9]+/p\d+(\?[^\s<>|]*)?$")


def open_action_modal(req: Request, *, text: str = "", owner_id: str | None = None,
                      source: dict[str, Any] | None = None) -> Reply:
    """The form to record an action, pre-filled; the reply is the command help, shown if Slack can't open it."""
    board, choices = forms.board_choices(req)
    data = form_data(req, board, choices, text=text, owner_id=owner_id or req.user_id, source=source)
    return replace(help_reply(actions.TOPIC, actions.COMMANDS), open_modal={"template": TEMPLATE, "data": data})


def form_data(req: Request, board: BoardView | None, choices: list[Board], *, text: str, owner_id: str,
              source: dict[str, Any] | None, permalink: str = "") -> dict[str, Any]:
    """Template data of the form: for one board, or with a board picker and each board's meetings grouped."""
    shown = [board] if board is not None else choices
    groups = [{"board": b.name, "options": forms.meeting_options(req, b, past=2, future=5)} for b in shown]
    return {
        "board": {"id": board.id, "name": board.name} if board is not None else None,
        "boards": [{"id": b.id, "name": b.name} for b in choices],
        "meeting_groups": [g for g in groups if g["options"]],
        "text": text[:MAX_TEXT],
        "owner_id": owner_id,
        # the board's members to choose from, where some are reached by email alone (else Slack's user picker)
        "owner_options": member_select_options(req.session, board) if board is not None else None,
        "source": source,
        "permalink": permalink,
        "fields": {"text": FIELD_TEXT, "owner": FIELD_OWNER, "due": FIELD_DUE, "meeting": FIELD_MEETING,
                   "board": FIELD_BOARD},
    }


def handle_action_modal_submit(req: Request) -> Reply:
    """Record the action the form describes; the confirmation goes to the author's DM (the form closes)."""
    meta = forms.metadata(req)
    board = forms.chosen_board(req, meta, FIELD_BOARD)
    actor = access.actor_for(req, board)
    access.require_member(actor)
    text = mentions.typed_text(req.session, str(req.values.get(FIELD_TEXT) or ""), "action text")
    owner_id = req.values.get(FIELD_OWNER) or req.user_id
    owner = resolve_member(req, board, f"<@{owner_id}>")
    due = parse_due(req, board, str(req.values[FIELD_DUE])) if req.values.get(FIELD_DUE) else None
    meeting = forms.chosen_meeting(req, board, req.values.get(FIELD_MEETING), FIELD_MEETING)
    permalink = str(meta.get("permalink") or "")
    if permalink and (len(permalink) > 500 or not _PERMALINK.match(permalink)):
        raise InvalidInput("The link to the message is not one of Slack's.", field=FIELD_TEXT)
    item = _meeting_item(req, board, meta)  # opened from an item's Add action in the meeting's thread
    reply = actions.create_action(req, actor, board, text=text, owner=owner, due=due,
                                  meeting_id=item.meeting_id if item else meeting.id if meeting else None,
                                  permalink=permalink or None, meeting_item_id=item.id if item else None)
    req.notify.to_user(req.user_id, reply.template, reply.data)
    return reply


def _meeting_item(req: Request, board: BoardView, meta: dict[str, Any]) -> MeetingItem | None:
    """The meeting's item a form opened by its Add action button was for (one of the board's)."""
    item_id = parse_id(meta.get("meeting_item_id"))
    item = req.session.get(MeetingItem, item_id) if item_id else None
    return item if item is not None and item.board_id == board.id else None


# ---------------------------------------------------------------- "Create action from message"


def handle_action_from_message(req: Request) -> Reply:
    """The message shortcut: the form pre-filled with the message's text, owned by its author if they are on
    the board (else by whoever used the shortcut). The transport adds the message's permalink to the form."""
    message = str(req.values.get("message_text") or "")
    author = str(req.values.get("message_user") or "")
    board, _ = forms.board_choices(req)
    owner_id = author if board is not None and _on_board(req, board, author) else req.user_id
    source = {"channel_id": req.values.get("channel_id") or "", "ts": req.values.get("message_ts") or "",
              "author_id": author}
    return open_action_modal(req, text=message_to_text(req, message), owner_id=owner_id, source=source)


def _on_board(req: Request, board: BoardView, user_id: str) -> bool:
    member = boards.get_member(session=req.session, slack_user_id=user_id) if user_id else None
    return member is not None and boards.get_membership(session=req.session, board_id=board.id,
                                                        member_id=member.id) is not None


def message_to_text(req: Request, text: str) -> str:
    """A Slack message as plain text for the form: mentions as @name, links as `label (url)`, entities decoded."""

    def person(match: re.Match[str]) -> str:
        member = boards.get_member(session=req.session, slack_user_id=match.group(1))
        return "@" + (member.display_name if member else (match.group(2) or match.group(1)))

    text = _SLACK_MENTION.sub(person, text)
    text = _SLACK_SPECIAL.sub(lambda m: "@" + (m.group(1) or m.group(2) or "group"), text)
    text = _SLACK_LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(1) else m.group(3), text)
    return slack_unescape(text).strip()


def with_permalink(modal: dict[str, Any], permalink: str) -> dict[str, Any]:
    """The form again, now carrying the message's permalink (stored on the action when it is recorded)."""
    return {"template": modal["template"], "data": dict(modal["data"], permalink=permalink)}


# ---------------------------------------------------------------- declarations

FORMS = (
    Form(CallbackId.ACTION_ADD, handle_action_modal_submit, "record an action", default_field=FIELD_TEXT,
         fields=FIELDS, who=Who.MEMBERS, opened_by="/action add", opener=open_action_modal),
)
SHORTCUTS = (
    Shortcut(CallbackId.ACTION_FROM_MESSAGE, handle_action_from_message,
             "Create action from message: the action form, filled in from the message"),
)
