"""`/update`: partner updates for the board's next meeting (and, via `quarterly`, quarterly returns)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from handlers import access, forms, mentions, performance
from handlers.base import Actor, InvalidInput, NotFound, Reply, Request, UsageError
from handlers.board_rules import next_meeting
from handlers.dates import EXAMPLES as DATE_EXAMPLES
from handlers.dates import DateParseError, parse_date
from handlers.ids import ActionId, CallbackId
from handlers.parsing import parse_id, whole_quoted
from handlers.registry import Button, Command, Form, Topic, Who
from store import audit, boards, meetings
from store import updates as update_store
from store.models import Meeting
from store.models.views import BoardView, OrganisationView

MODAL_TEXT = "update_text"  # block_id and action_id of the modal's text box


def _strip_outer_quotes(text: str) -> str:
    """`"List of events ..."` typed in quotes (to get past the subcommand words) is stored without them."""
    inner = whole_quoted(text.strip())
    return inner.strip() if inner is not None else text


def _upcoming(req: Request, board: BoardView) -> Meeting:
    meeting = next_meeting(session=req.session, board=board, now=req.now())
    if meeting is None:
        raise NotFound(f"{board.name} has no meeting coming up, so there is nothing to send an update for. "
                       "The chair or secretariat can add one with `/plan meeting add`.")
    return meeting


def _organisation_of(actor: Actor) -> OrganisationView:
    """The organisation a member speaks for on the board: their membership's (which the board's lookup read)."""
    organisation = actor.membership.organisation if actor.membership is not None else None
    if organisation is None:
        raise InvalidInput(
            f"Your organisation is not recorded on {actor.board.name}, so I can't tell whose update this is. "
            "Ask the chair or secretariat to set it with `/lsp member add @you org:\"Your organisation\"`."
        )
    return organisation


# ---------------------------------------------------------------- submit


def handle_update_submit(req: Request) -> Reply:
    """Store the sender's organisation's update for the next meeting; no text opens the form."""
    body, board = req.rest, req.board
    access.require_member(req.actor)
    if not body:
        return open_update_modal(req, req.actor)
    body = mentions.typed_text(req.session, _strip_outer_quotes(body), "update")
    return submit_update(req, req.actor, _upcoming(req, board), body)


def submit_update(req: Request, actor: Actor, meeting: Meeting, text: str) -> Reply:
    """Store an update (the command, the form and the scheduler's button all come here)."""
    board, member = actor.board, access.require_member(actor)
    organisation = _organisation_of(actor)
    published = update_store.agenda_published_at(session=req.session, meeting_id=meeting.id)
    late = published is not None and req.now() > published
    entry, previous = update_store.submit(session=req.session, meeting=meeting, organisation=organisation,
                                          author=member, text=text, now=req.now(), late=late)
    audit.record(
        session=req.session, at=req.now(), actor=req.user_id, entity="partner_update", entity_id=entry.id,
        operation="resubmit" if previous else "submit",
        before={"id": previous.id, "text": previous.text} if previous else None,
        after={"meeting": meeting.date.isoformat(), "organisation": organisation.name, "text": text, "late": late},
    )
    return Reply("slack/update_saved.json.j2", {
        "board": board.name,
        "meeting_date": meeting.date,
        "organisation": organisation.name,
        "text": text,
        "late": late,
        "published_at": published,
        "replaced": {"author_id": previous.author_slack_id, "at": previous.submitted_at} if previous else None,
    })


# ---------------------------------------------------------------- the form


def open_update_modal(req: Request, actor: Actor, message: tuple[str, str] | None = None) -> Reply:
    """The partner-update form for the next meeting, prefilled with the organisation's current update.

    `message` is the (channel, ts) of the request for updates whose button opened it: updated once it is sent."""
    board = actor.board
    organisation = _organisation_of(actor)
    meeting = _upcoming(req, board)
    existing = update_store.current(session=req.session, meeting_id=meeting.id, organisation_id=organisation.id)
    data = {
        "board": board.name,
        "meeting_date": meeting.date,
        "organisation": organisation.name,
        "initial": existing.text if existing else "",
        "block_id": MODAL_TEXT,
        "metadata": json.dumps({"board_id": board.id, "meeting_id": meeting.id,
                                **({"channel": message[0], "ts": message[1]} if message else {})}),
    }
    return Reply("slack/update_modal_fallback.json.j2", data, open_modal={"template": "slack/update_modal.json.j2", "data": data})


def handle_update_button(req: Request) -> Reply:
    """The "Send your update" button of a request for updates: its value is the board id."""
    actor = access.actor_for(req, _board_from_value(req, req.values.get("value")))
    access.require_member(actor)
    channel, ts = req.values.get("channel_id"), req.values.get("message_ts")
    return open_update_modal(req, actor, (channel, ts) if channel and ts else None)


def _board_from_value(req: Request, value: Any) -> BoardView:
    board_id = parse_id(value)
    board = boards.get(session=req.session, board_id=board_id) if board_id else None
    if board is None:
        return access.resolve_board(req)
    return board


def handle_update_modal_submit(req: Request) -> Reply:
    """The form's submission: the same checks as the command; the confirmation goes to the sender's DM."""
    meta = forms.metadata(req)
    board = _board_from_value(req, meta.get("board_id"))
    actor = access.actor_for(req, board)
    access.require_member(actor)
    text = req.values.get(MODAL_TEXT) or ""
    if not text.strip():
        raise InvalidInput("Write your organisation's update.", field=MODAL_TEXT)
    text = mentions.typed_text(req.session, text, "update")
    meeting = req.session.get(Meeting, meta["meeting_id"]) if isinstance(meta.get("meeting_id"), int) else None
    if meeting is None or meeting.board_id != board.id or meeting.date < req.today(board.timezone):
        meeting = _upcoming(req, board)
    reply = submit_update(req, actor, meeting, text)
    req.notify.to_user(req.user_id, reply.template, reply.data)
    if isinstance(meta.get("channel"), str) and isinstance(meta.get("ts"), str) and meta["channel"] and meta["ts"]:
        # The request for updates whose button opened the form now says the update is in.
        req.notify.update_message(meta["channel"], meta["ts"], "slack/reminder_update_request.json.j2", {
            "board": board.name, "board_id": board.id, "meeting_id": meeting.id,
            "organisation": reply.data["organisation"],
            "meeting_date": meeting.date, "venue": meeting.venue, "second": False,
            "sent": {"by": req.user_id, "at": req.now()}})
    return reply


# ---------------------------------------------------------------- list


def handle_update_list(req: Request) -> Reply:
    """`/update list [date]`: who has and has not sent an update for the next (or named) meeting."""
    parsed, board = req.parsed, req.board
    if parsed.args:
        meeting = _meeting_on(req, board, " ".join(a.raw for a in parsed.args))
    else:
        meeting = _upcoming(req, board)
    summary = update_store.updates_for_meeting(session=req.session, meeting_id=meeting.id)
    return Reply("slack/update_list.json.j2", {
        "board": board.name,
        "meeting_date": meeting.date,
        "venue": meeting.venue,
        "entries": [e.__dict__ for e in summary.entries],
        "missing": summary.missing,
    })


def _meeting_on(req: Request, board: BoardView, phrase: str) -> Meeting:
    today = req.today(board.timezone)

    def next_date() -> dt.date | None:
        found = next_meeting(session=req.session, board=board, now=req.now())
        return found.date if found else None

    try:
        day = parse_date(phrase, today, next_date)
    except DateParseError as exc:
        raise UsageError(
            f"I couldn't read “{exc.phrase}” as a meeting date: {exc.reason}. "
            "(To send an update that starts with the word “list”, put it in quotes.)",
            examples=["/update list", "/update list 2019-10-10", *DATE_EXAMPLES[:3]],
        ) from exc
    meeting = meetings.get_by_date(session=req.session, board_id=board.id, date=day)
    if meeting is None:
        raise NotFound(f"{board.name} has no meeting on {day:%A %-d %B %Y}.")
    return meeting


# ---------------------------------------------------------------- declarations

TOPIC = Topic("update", "Partner updates and quarterly returns", aliases=("updates",),
              note="In a DM, add `board:\"Name\"` if you sit on several boards. Updates sent after the agenda is "
                   "published are marked late on it. An update that starts with the word list or quarterly goes in "
                   "quotes.")

COMMANDS = (
    Command("/update", (), handle_update_submit, fallback=True, who=Who.MEMBERS, doing="send updates",
            opens_form=True, usage="/update <text>",
            summary="your organisation's update for the board's next meeting (sending again replaces it; the "
                    "earlier one is kept); `/update` alone opens a form with your current update filled in"),
    Command("/update", ("list",), handle_update_list, aliases=(("ls",),), parsed=True, read_only=True,
            usage="/update list [date]",
            summary="who has and hasn't sent an update for the next (or named) meeting"),
    Command("/update", ("quarterly",), performance.handle_quarterly_return, who=Who.MEMBERS,
            doing="send quarterly returns", narrower="the lead of the outcome or project, or the chair, "
            "vice-chair or secretariat", opens_form=True,
            usage='/update quarterly "<outcome or project>" rag:<red|amber|green> <commentary> [quarter:2019-Q1]',
            summary="the return for the quarter just ended (or the quarter named); "
                    "`/update quarterly` alone opens a form with a RAG picker"),
)


# ---------------------------------------------------------------- declarations

BUTTONS = (
    Button(ActionId.PARTNER_UPDATE_OPEN, handle_update_button, "open the partner-update form", who=Who.MEMBERS),
)
FORMS = (
    Form(CallbackId.PARTNER_UPDATE, handle_update_modal_submit, "your organisation's update for the next meeting",
         default_field=MODAL_TEXT, fields=(MODAL_TEXT,), who=Who.MEMBERS, opened_by="/update"),
)
