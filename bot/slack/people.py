"""What Slack knows about a person that the bot keeps: their time zone (`users.info`), cached on their member record.

Each process also remembers whose zone it has seen on a record (`Runtime.known_zones`), so that a command from
them needs no look-up at all: the record is read again once `KNOWN_FOR` has passed, and at once when Slack says
the person changed their profile (`user_change`, which also records the new zone). Looking a zone up is only
ever done after an acknowledgement (on the after-ack executor, or while building the Home tab), never inside one.
"""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient

from bot.runtime import Runtime
from handlers.zones import valid_zone
from store import boards, db

log = logging.getLogger("lspbot.people")
ASK_AGAIN_AFTER = dt.timedelta(hours=6)
KNOWN_FOR = dt.timedelta(hours=1)  # how long a zone seen on a record is taken as still there without reading it


def known_timezone(runtime: Runtime, user_id: str) -> str | None:
    """The zone this process saw on the person's record within `KNOWN_FOR`, without reading it again; else None."""
    known = runtime.known_zones.get(user_id)
    if known is None or runtime.clock.now() - known[1] >= KNOWN_FOR:
        return None
    return known[0]


def _learn(runtime: Runtime, user_id: str, zone: str) -> None:
    runtime.known_zones[user_id] = (zone, runtime.clock.now())


def cached_timezone(runtime: Runtime, user_id: str) -> str | None:
    with db.read_scope(runtime.sessions) as session:
        member = boards.get_member(session=session, slack_user_id=user_id)
        return valid_zone(member.timezone) if member is not None else None


def remember_timezone(runtime: Runtime, client: WebClient, user_id: str, *, refresh: bool = False) -> str | None:
    """The person's time zone: the cached one, or (when there is none, or `refresh`) Slack's, cached for next time.

    A Slack failure is logged and answered with the cached zone (None if there is none)."""
    if not user_id:
        return None
    if not refresh and (known := known_timezone(runtime, user_id)):
        return known
    cached = cached_timezone(runtime, user_id)
    if cached and not refresh:
        _learn(runtime, user_id, cached)
        return cached
    now = runtime.clock.now()
    asked = runtime.zone_lookups.setdefault(user_id, now)  # atomic: two commands at once ask Slack once
    if asked is not now:
        if not refresh and now - asked < ASK_AGAIN_AFTER:
            return cached  # asked lately, and nothing could be kept: not again yet
        runtime.zone_lookups[user_id] = now
    try:
        zone = valid_zone((client.users_info(user=user_id).get("user") or {}).get("tz"))
    except Exception:  # a lookup that fails leaves times in the board's zone; nothing else depends on it
        log.warning("could not look up the time zone of %s", user_id, exc_info=True)
        return cached
    if zone and zone == cached:
        _learn(runtime, user_id, zone)
    elif zone:
        with db.session_scope(runtime.sessions) as session:
            kept = boards.set_timezone(session=session, slack_user_id=user_id, timezone=zone)
        if kept:
            runtime.zone_lookups.pop(user_id, None)
            _learn(runtime, user_id, zone)
    return zone or cached


def profile_changed(runtime: Runtime, user_id: str, timezone: str | None) -> None:
    """Slack's `user_change`: the person's new zone recorded (if they have a member record), and forgotten by this
    process, so that their next command reads their record again."""
    runtime.known_zones.pop(user_id, None)
    zone = valid_zone(timezone)
    if user_id and zone:
        with db.session_scope(runtime.sessions) as session:
            boards.set_timezone(session=session, slack_user_id=user_id, timezone=zone)
