"""What the forms (Slack modals) share: which boards to offer, meetings as options, the form's own metadata."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from handlers import access
from handlers.base import InvalidInput, Request, UsageError
from handlers.parsing import parse_id
from store import boards, meetings
from store.models import Board, Meeting
from store.models.views import BoardView

MAX_OPTION_TEXT = 75  # Slack's limit on an option's text


def board_choices(req: Request) -> tuple[BoardView | None, list[Board]]:
    """The board a form is for (the channel's, or the member's only one) and, when that is not clear
    (a DM, several boards), every board the member sits on to choose from. Refused, as the commands are, to
    anyone not on the board (or on none)."""
    if req.chosen_board is not None:  # named with the command and checked by the dispatcher
        return req.chosen_board, []
    try:
        board = access.resolve_board(req)
    except UsageError:  # several boards and no board channel: the form asks which
        member = boards.get_member(session=req.session, slack_user_id=req.user_id)
        mine = boards.memberships_of(session=req.session, member_id=member.id) if member else []
        return None, sorted((m.board for m in mine), key=lambda b: b.name.lower())
    access.require_member(access.actor_for(req, board))
    return board, []


def meeting_option(meeting: Meeting, tag: str = "") -> dict[str, str]:
    """A meeting as a select option: `Thu 10 Oct 2019 (next)`, its id as the value."""
    text = f"{meeting.date:%a %-d %b %Y}" + (f" ({tag})" if tag else "")
    return {"text": text[:MAX_OPTION_TEXT], "value": str(meeting.id)}


def meeting_options(req: Request, board: BoardView, *, past: int = 0, future: int = 6) -> list[dict[str, str]]:
    """The board's last `past` meetings (up to a month back) and its next `future` ones, in date order."""
    today = req.today(board.timezone)
    options = []
    if past:
        earlier = meetings.list_between(session=req.session, board_id=board.id, start=today - dt.timedelta(days=31),
                                        end=today - dt.timedelta(days=1))[-past:]
        options += [meeting_option(m, "last" if i == len(earlier) - 1 else "") for i, m in enumerate(earlier)]
    upcoming = meetings.list_between(session=req.session, board_id=board.id, start=today)[:future]
    options += [meeting_option(m, "next" if i == 0 else "") for i, m in enumerate(upcoming)]
    return options


def metadata(req: Request) -> dict[str, Any]:
    """The form's `private_metadata` (JSON written by its template), or {}."""
    try:
        meta = json.loads(req.values.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def chosen_board(req: Request, meta: dict[str, Any], field: str = "board") -> BoardView:
    """The board a submitted form is for: the one it was opened for, else the one picked on it."""
    board_id = parse_id(meta.get("board_id") or req.values.get(field))
    board = boards.get(session=req.session, board_id=board_id) if board_id else None
    if board is None:
        raise InvalidInput("Choose the board.", field=field)
    return board


def chosen_meeting(req: Request, board: BoardView, raw: Any, field: str = "meeting", *,
                   future: bool = False) -> Meeting | None:
    """The meeting picked on a form (None if none was), refused unless it is one of the board's."""
    if not raw:
        return None
    meeting_id = parse_id(raw)
    meeting = req.session.get(Meeting, meeting_id) if meeting_id else None
    if meeting is None or meeting.board_id != board.id:
        raise InvalidInput(f"Choose one of {board.name}'s meetings.", field=field)
    if future and meeting.date < req.today(board.timezone):
        raise InvalidInput(f"The meeting on {meeting.date:%A %-d %B %Y} has already taken place.", field=field)
    return meeting
