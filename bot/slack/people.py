"""What Slack knows about a person that the bot keeps: their time zone (`users.info`), cached on their member record.

Only called after an acknowledgement (a lazy listener, or while building the Home tab), never inside one.
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


def cached_timezone(runtime: Runtime, user_id: str) -> str | None:
    with db.read_scope(runtime.sessions) as session:
        member = boards.get_member(session=session, slack_user_id=user_id)
        return valid_zone(member.timezone) if member is not None else None


def remember_timezone(runtime: Runtime, client: WebClient, user_id: str, *, refresh: bool = False) -> str | None:
    """The person's time zone: the cached one, or (when there is none, or `refresh`) Slack's, cached for next time.

    A Slack failure is logged and answered with the cached zone (None if there is none)."""
    cached = cached_timezone(runtime, user_id) if user_id else None
    if not user_id or (cached and not refresh):
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
    if zone and zone != cached:
        with db.session_scope(runtime.sessions) as session:
            kept = boards.set_timezone(session=session, slack_user_id=user_id, timezone=zone)
        if kept:
            runtime.zone_lookups.pop(user_id, None)
    return zone or cached
