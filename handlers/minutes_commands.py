"""`/meeting minutes …`: show, edit (a form, or the text typed), circulate, confirm, correct, and list the versions
of a held meeting's minutes (the work itself is in handlers.minutes)."""

from __future__ import annotations

import json
import re
from typing import Any
from zoneinfo import ZoneInfo

from handlers import access, forms, mentions
from handlers.base import InvalidInput, NotFound, Reply, Request, UsageError
from handlers.ids import CallbackId
from handlers.minutes import (
    NOTE,
    TEMPLATE,
    circulate_minutes,
    confirm_minutes,
    correct_minute,
    edit_minute,
    may_circulate,
    meeting_page,
    name_of,
    refuse_if_confirmed,
)
from handlers.minutes_data import minutes_document, view_data
from handlers.plan import parse_meeting_date, parse_option_date
from handlers.registry import Command, Form, Kind, Option, Who
from store import boards, meetings
from store import meeting_record as record_store
from store import minutes as minutes_store
from store.models import Meeting, MeetingItem, MeetingRecord
from store.models.views import BoardView

MAX_MINUTE = 3000
_MINUTE = re.compile(r"^[A-Za-z0-9/\-._]{1,40}$")
EDIT = '/meeting minutes edit LSP/19/23 "The board noted the report."'


def _minuted(req: Request, board: BoardView, phrase: str) -> tuple[MeetingRecord, Meeting]:
    """The meeting a date names (by default the last one with minutes) and its record."""
    if not phrase.strip():
        today = req.today(board.timezone)
        found = [(r, m) for r, m in minutes_store.minuted_records(session=req.session, board_id=board.id)
                 if m.date <= today]
        if not found:
            raise NotFound(f"{board.name} has no minutes yet: they are drafted when a meeting held with "
                           "`/meeting start` ends.")
        return found[0]
    day = parse_meeting_date(req, board, phrase)
    meeting = meetings.get_by_date(session=req.session, board_id=board.id, date=day)
    record = record_store.record_of(session=req.session, meeting_id=meeting.id) if meeting else None
    if meeting is None or record is None or record.minutes_status is None:
        raise NotFound(f"{board.name} has no minutes of a meeting on {day:%A %-d %B %Y}.",
                       examples=["/meeting minutes"])
    return record, meeting


def _minute(req: Request, board: BoardView, token: str, verb: str) -> tuple[MeetingItem, MeetingRecord, Meeting]:
    """The item a minute number names, on this board; another board's number or an unknown one is refused."""
    if not _MINUTE.match(token):
        tail = ' "<the correction>"' if verb == "correct" else ""
        raise UsageError(f"`{token[:40]}` is not a minute number.",
                         examples=[f"/meeting minutes {verb} LSP/19/23{tail}"])
    found = minutes_store.items_by_minute(session=req.session, minute_number=token)
    mine = next((i for i in found if i.board_id == board.id), None)
    if mine is None:
        others = [boards.get_existing(session=req.session, board_id=i.board_id).name for i in found]
        elsewhere = f" {token} is a minute of {others[0]}: name that board with `board:\"{others[0]}\"`." \
            if others else ""
        raise NotFound(f"There is no minute {token} in the minutes of {board.name}.{elsewhere}",
                       examples=[f"/meeting minutes versions {req.today(board.timezone).isoformat()}"])
    record = record_store.record_of(session=req.session, meeting_id=mine.meeting_id)
    assert record is not None  # an item with a minute number belongs to a minuted meeting
    return mine, record, mine.meeting


def _split(req: Request) -> tuple[str, str]:
    """The first word (a minute number) and the text after it, quoted or not."""
    args = req.parsed.args
    if not args:
        raise UsageError("Which minute? Give its number.", examples=[EDIT])
    return args[0].value, " ".join(a.value for a in args[1:])


def _latest_reply(req: Request, record: MeetingRecord, meeting: Meeting) -> Reply:
    latest = minutes_store.latest_version(session=req.session, meeting_id=meeting.id)
    if latest is None:
        raise NotFound(f"The meeting on {meeting.date:%-d %B %Y} has no minutes yet.")
    page = meeting_page(req.notify, meeting)
    data = dict(view_data(latest.content, latest.version, latest.kind), intro="show", web_url=page)
    return Reply(TEMPLATE, data, documents=[minutes_document(latest.content, latest.version, latest.kind, page)])


def handle_minutes_show(req: Request) -> Reply:
    """`/meeting minutes [date]`: a meeting's minutes, latest version (Word and Markdown in the DM)."""
    record, meeting = _minuted(req, req.board, " ".join(a.value for a in req.parsed.args))
    return _latest_reply(req, record, meeting)


def handle_minutes_edit(req: Request) -> Reply:
    """`/meeting minutes edit LSP/19/23 ["<text>"]`: with text, the minute's new text; alone, the form."""
    board = req.board
    token, text = _split(req)
    item, record, meeting = _minute(req, board, token, "edit")
    if not text.strip():
        refuse_if_confirmed(req.session, record, meeting,
                            f'/meeting minutes correct {item.minute_number} "<the correction>"')
        modal = {"template": "slack/minutes_edit_modal.json.j2",
                 "data": {"minute": item.minute_number, "title": item.title or "", "text": item.summary or "",
                          "metadata": json.dumps({"item": item.id})}}
        return Reply(NOTE, {"text": (f"{item.minute_number} reads: “{(item.summary or '')[:2000]}”. To change it "
                                     f"here, type `/meeting minutes edit {item.minute_number} \"<the new text>\"`.")},
                     open_modal=modal)
    text = _text(req, text, "minute")
    version = edit_minute(req.session, req.notify, record, meeting, item, text, "", req.user_id, req.now())
    return Reply(NOTE, {"icon": ":pencil2:", "text": (
        f"{item.minute_number} edited: version {version.version} of the minutes of {meeting.date:%-d %B %Y}.")})


def _text(req: Request, text: str, what: str) -> str:
    text = mentions.typed_text(req.session, text, what)
    if len(text) > MAX_MINUTE:
        raise InvalidInput(f"A {what} can be at most {MAX_MINUTE:,} characters.", field="text")
    return text


def handle_minutes_edit_submission(req: Request) -> Reply:
    """The edit form saved: the minute's new text, as a new version."""
    item_id = forms.metadata(req).get("item")
    item = req.session.get(MeetingItem, item_id) if isinstance(item_id, int) else None
    if item is None or item.minute_number is None:
        raise NotFound("That minute no longer exists.")
    board = boards.get_existing(session=req.session, board_id=item.board_id)
    access.require_manager(access.actor_for(req, board), "edit the minutes")
    record = record_store.record_of(session=req.session, meeting_id=item.meeting_id)
    assert record is not None
    text = _text(req, str(req.values.get("text") or ""), "minute")
    note = str(req.values.get("note") or "").strip()[:500]
    version = edit_minute(req.session, req.notify, record, item.meeting, item, text, note, req.user_id, req.now())
    return Reply(NOTE, {"icon": ":pencil2:", "text": f"{item.minute_number} saved as version {version.version}."})


def handle_minutes_circulate(req: Request) -> Reply:
    """`/meeting minutes circulate [date]`: send the minutes to every member of the board."""
    may_circulate(req)
    record, meeting = _minuted(req, req.board, " ".join(a.value for a in req.parsed.args))
    version = circulate_minutes(req.session, req.notify, req.board, record, meeting, req.user_id, req.now())
    return Reply(NOTE, {"icon": ":mailbox_with_mail:", "text": (
        f"Circulated the minutes of {meeting.date:%-d %B %Y} (version {version.version}) to every member of "
        f"{req.board.name}.")})


def handle_minutes_confirm(req: Request) -> Reply:
    """`/meeting minutes confirm <date>` (the chair): confirm and lock a meeting's minutes."""
    phrase = " ".join(a.value for a in req.parsed.args)
    if not phrase:
        raise UsageError("Which meeting's minutes? Give its date.", examples=["/meeting minutes confirm 2019-09-12"])
    record, meeting = _minuted(req, req.board, phrase)
    open_now = record_store.open_record(session=req.session, board_id=req.board.id)
    at = open_now.meeting if open_now is not None and open_now.meeting_id != meeting.id else None
    version = confirm_minutes(req.session, req.notify, req.board, record, meeting, req.user_id, req.now(),
                              at_meeting=at)
    return Reply(NOTE, {"icon": ":lock:", "text": (
        f"Confirmed the minutes of {meeting.date:%-d %B %Y} (version {version.version}); they are now locked.")})


def handle_minutes_correct(req: Request) -> Reply:
    """`/meeting minutes correct LSP/19/23 "<text>" [at:<date>]`: a correction of confirmed minutes, recorded at a
    later meeting (the one open now, or the one `at:` names)."""
    board = req.board
    token, text = _split(req)
    if not text.strip():
        raise UsageError("Say what the correction is, in quotes.",
                         examples=['/meeting minutes correct LSP/19/23 "Apologies from Ealing PCT, not present"'])
    item, record, meeting = _minute(req, board, token, "correct")
    text = _text(req, text, "correction")
    if "at" in req.parsed.options:
        day = parse_option_date(req, board, "at", req.parsed.options["at"])
        at = meetings.get_by_date(session=req.session, board_id=board.id, date=day)
        if at is None or not meeting.date < day <= req.today(board.timezone):
            raise InvalidInput(f"A correction is recorded at a meeting held after {meeting.date:%-d %B %Y}, up to "
                               f"today: {board.name} has none on {day:%-d %B %Y}.", field="at")
    else:
        open_now = record_store.open_record(session=req.session, board_id=board.id)
        if open_now is None or open_now.meeting.date <= meeting.date:
            raise InvalidInput("A correction is recorded at a later meeting: while it is open, or name it with "
                               "`at:<date>`.", examples=[f'/meeting minutes correct {item.minute_number} "…" '
                                                        "at:2019-10-10"])
        at = open_now.meeting
    version = correct_minute(req.session, req.notify, record, meeting, item, text, at, req.user_id, req.now())
    return Reply(NOTE, {"icon": ":memo:", "text": (
        f"Correction to {item.minute_number} recorded at the meeting of {at.date:%-d %B %Y} (version "
        f"{version.version}); it is shown beside the original minute.")})


def handle_minutes_versions(req: Request) -> Reply:
    """`/meeting minutes versions [date]`: every version of a meeting's minutes."""
    board = req.board
    record, meeting = _minuted(req, board, " ".join(a.value for a in req.parsed.args))
    tz = ZoneInfo(board.timezone)
    rows: list[dict[str, Any]] = [
        {"version": v.version, "kind": v.kind, "at": v.created_at.astimezone(tz).strftime("%-d %b %Y %H:%M"),
         "by": name_of(req.session, v.created_by), "note": v.note or ""}
        for v in minutes_store.versions_of(session=req.session, meeting_id=meeting.id)]
    return Reply("slack/minutes_versions.json.j2", {"board": board.name, "date": meeting.date,
                                                    "status": record.minutes_status, "versions": rows})


USAGE = (
    "/meeting minutes [date]",
    '/meeting minutes edit LSP/19/23 ["<text>"]',
    "/meeting minutes circulate [date]",
    "/meeting minutes confirm <date>",
    '/meeting minutes correct LSP/19/23 "<text>" [at:<date>]',
    "/meeting minutes versions [date]",
)

COMMANDS = (
    Command("/meeting", ("minutes",), handle_minutes_show, parsed=True, open_ended=True, read_only=True,
            topic="meeting", usage=USAGE[0], summary="a meeting's minutes, latest version (by default the last "
            "meeting's), with the Word and Markdown files in your DM"),
    Command("/meeting", ("minutes", "edit"), handle_minutes_edit, who=Who.MANAGERS, doing="edit the minutes",
            parsed=True, topic="meeting", usage=USAGE[1], summary="edit a minute's text while the minutes are not "
            "confirmed: a form, or the text typed; each save is a new version"),
    Command("/meeting", ("minutes", "circulate"), handle_minutes_circulate, who=Who.MANAGERS,
            doing="circulate the minutes", narrower="the chair, the secretariat and admins", parsed=True,
            topic="meeting", usage=USAGE[2], summary="send the minutes (the last meeting's, or the date's) to every "
            "member, Word and Markdown attached"),
    Command("/meeting", ("minutes", "confirm"), handle_minutes_confirm, who=Who.CHAIR, doing="confirm the minutes",
            parsed=True, topic="meeting", usage=USAGE[3], summary="confirm a meeting's minutes: they are locked, "
            "and record who confirmed them, when, and at which meeting", examples=("/meeting minutes confirm "
                                                                                   "2019-09-12",)),
    Command("/meeting", ("minutes", "correct"), handle_minutes_correct, who=Who.MANAGERS,
            doing="correct the minutes", parsed=True, options=(Option("at", Kind.PHRASE),), topic="meeting",
            usage=USAGE[4], summary="record a correction of confirmed minutes at a later meeting (the one open, or "
            "`at:`), shown beside the original minute"),
    Command("/meeting", ("minutes", "versions"), handle_minutes_versions, parsed=True, read_only=True,
            topic="meeting", usage=USAGE[5], summary="every version of a meeting's minutes: drafted, edited, "
            "circulated, confirmed, corrected"),
)

FORMS = (
    Form(CallbackId.MINUTES_EDIT, handle_minutes_edit_submission, "a minute's new text (opened by `/meeting "
         "minutes edit`)", default_field="text", fields=("text", "note"), who=Who.MANAGERS),
)
