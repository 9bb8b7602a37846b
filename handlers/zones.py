"""Times as each person sees them: their own Slack time zone first, the board's beside it where the two differ."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.base import Request
from store import boards


def valid_zone(name: str | None) -> str | None:
    """An IANA zone name we can use, or None (Slack's `tz` is one; anything else is ignored)."""
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def zone_city(name: str) -> str:
    """`Europe/London` -> `London`, `America/New_York` -> `New York`, `UTC` -> `UTC`."""
    return name.rsplit("/", 1)[-1].replace("_", " ")


def viewer_zone(req: Request) -> str | None:
    """The zone of the person asking: given with the request (the Home tab fetches it), else cached on their
    member record from Slack's `users.info`; None when not known yet."""
    given = valid_zone(req.values.get("timezone"))
    if given:
        return given
    if req.chosen_board is not None:  # the dispatcher has read their record already
        member = req.actor.member
    else:
        member = boards.get_member(session=req.session, slack_user_id=req.user_id)
    return valid_zone(member.timezone) if member is not None else None


def time_label(starts_at: dt.datetime | None, board_zone: str, viewer: str | None) -> str | None:
    """`10:00`, or `18:00 your time (10:00 in London)` when the viewer's clock shows another time.

    A meeting an ocean away may fall on another day for the viewer: the day is then named too."""
    if starts_at is None:
        return None
    at_board = starts_at.astimezone(ZoneInfo(board_zone))
    if not viewer or viewer == board_zone:
        return f"{at_board:%H:%M}"
    mine = starts_at.astimezone(ZoneInfo(viewer))
    if mine.replace(tzinfo=None) == at_board.replace(tzinfo=None):
        return f"{at_board:%H:%M}"
    day = f" {mine:%a %-d %b}" if mine.date() != at_board.date() else ""
    return f"{mine:%H:%M}{day} your time ({at_board:%H:%M} in {zone_city(board_zone)})"
