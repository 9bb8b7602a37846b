"""The forward plan as an iCalendar feed (`/plan ics`, `lspbot plan export --ics`, a public board's
/b/<slug>/meetings.ics and each member's secret feed): one event per meeting, with a UID that never changes, a
SEQUENCE that counts the changes of its date, time and venue, and a link to the meeting's page. `/plan ics feed`
sends a member the address of their own feed, `/plan ics feed reset` revokes it and sends a new one."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.base import Attachment, Reply, Request
from handlers.links import Links
from handlers.plan import DEFAULT_DURATION, USAGE, meeting_data, planned_items
from handlers.registry import Command, Who
from store import feeds, meetings
from store import plan as plan_store
from store.models import AuditRecord, Meeting
from store.models.views import BoardView


def event_uid(board: BoardView, meeting_id: int) -> str:
    """A UID that stays the same for a meeting however often the calendar is exported or the meeting changes,
    and differs between installations: the board's Slack channel id (fixed for the board's life) is in it."""
    return f"meeting-{meeting_id}.board-{board.id}.{board.channel_id}@lspbot"


_SCHEDULE_FIELDS = ("date", "starts_at", "venue")


@dataclass
class EventRevision:
    """How often a meeting's date, time or venue changed (the event's SEQUENCE) and when it last changed."""

    sequence: int
    last_modified: dt.datetime


def event_revisions(session: Session, found: list[Meeting]) -> dict[int, EventRevision]:
    """Read from the meetings' audit records: every change of date, time or venue counts once, so exporting twice
    gives the same SEQUENCE and a calendar replaces an invitation only when the meeting really moved."""
    out = {m.id: EventRevision(0, m.created_at) for m in found}
    if not found:
        return out
    rows = session.execute(
        select(AuditRecord.entity_id, AuditRecord.at, AuditRecord.before, AuditRecord.after)
        .where(AuditRecord.entity == "meeting", AuditRecord.entity_id.in_(list(out)))
        .order_by(AuditRecord.id)
    )
    for meeting_id, at, before, after in rows:
        revision = out[meeting_id]
        revision.last_modified = max(revision.last_modified, at)
        if before and after and any(before.get(k) != after.get(k) for k in _SCHEDULE_FIELDS):
            revision.sequence += 1
    return out


def meeting_end(start: dt.datetime, duration: dt.timedelta, zone: ZoneInfo) -> dt.datetime:
    """The start plus the duration as an instant, shown on the board's clock. Wall-clock arithmetic across a
    change of the clocks would make a meeting an hour too long or short, or end at a time the clock skips; an end
    in the hour the autumn change repeats is given in UTC, since a calendar reads a repeated local time as its
    first occurrence (RFC 5545)."""
    end = (start.astimezone(dt.UTC) + duration).astimezone(zone)
    if end.replace(fold=1 - end.fold).utcoffset() != end.utcoffset():
        return end.astimezone(dt.UTC)
    return end


def plan_ics(session: Session, board: BoardView, now: dt.datetime, *, links: Links | None = None,
             public: bool = False) -> tuple[bytes, int]:
    """Every meeting of the board as one VEVENT each, times in the board's zone with its VTIMEZONE.

    DTSTAMP and LAST-MODIFIED are the meeting's last change (its own record or one of its items), not the time of
    the export, so the same plan exports to the same file; SEQUENCE counts changes of date, time or venue, which
    is what Outlook reads to let an updated invitation replace the one it has. With `links`, each event carries
    its meeting page's address (URL and a line of the description). `public`: the confidential items are left
    out (titles and all), for the feed anyone can read."""
    found = meetings.list_between(session=session, board_id=board.id, start=dt.date(1900, 1, 1))
    items = planned_items(session, board, found)
    own = plan_store.items_for_meetings(session=session, meeting_ids=[m.id for m in found])
    revisions = event_revisions(session, found)
    duration = dt.timedelta(minutes=int(plan_store.cadence(board).get("duration") or DEFAULT_DURATION))
    import icalendar  # loaded by the first calendar made, not by every process that loads the commands

    cal = icalendar.Calendar()
    cal.add("prodid", "-//lspbot//forward plan//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{board.name} meetings")
    cal.add("x-wr-timezone", board.timezone)
    for meeting in found:
        info: dict[str, Any] = meeting_data(meeting, board)
        event = icalendar.Event()
        revision = revisions[meeting.id]
        shown_own = [i for i in own[meeting.id] if not (public and i.private)]
        hidden = {f"P{i.ref}" for i in own[meeting.id] if public and i.private}
        changed = max([revision.last_modified] + [i.updated_at for i in shown_own])
        event.add("uid", event_uid(board, meeting.id))
        event.add("dtstamp", changed)
        event.add("last-modified", changed)
        event.add("sequence", revision.sequence)
        if meeting.starts_at is not None:
            zone = ZoneInfo(board.timezone)
            event.add("dtstart", meeting.starts_at.astimezone(zone))
            event.add("dtend", meeting_end(meeting.starts_at, duration, zone))
        else:
            event.add("dtstart", meeting.date)
            event.add("dtend", meeting.date + dt.timedelta(days=1))
        event.add("summary", f"{board.name}" + (f": {meeting.theme}" if meeting.theme else ""))
        location = info["venue"] + (f" (host: {info['host']})" if info["host"] else "")
        event.add("location", location)
        lines = [f"- {i.title}" + (f" — lead: {i.lead}" if i.lead else "") + f" ({i.kind})"
                 + (" [confidential: members only]" if i.private_reason else "")
                 for i in items[meeting.id] if i.ref not in hidden]
        description = "Forward plan:\n" + "\n".join(lines) if lines else "Forward plan: no items yet."
        if links is not None:
            page = links.meeting(board.slug, meeting.date)
            event.add("url", page)
            description += f"\n\nMeeting page: {page}"
        event.add("description", description)
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical(), len(found)


# ---------------------------------------------------------------- /plan ics


def handle_plan_ics(req: Request) -> Reply:
    """The board's meetings as an iCalendar file, sent to the requester."""
    board = req.board
    content, count = plan_ics(req.session, board, req.now(), links=req.notify.links)
    filename = re.sub(r"[^A-Za-z0-9]+", "-", board.name).strip("-").lower() + "-meetings.ics"
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "ics", "count": count,
                                             "filename": filename},
                 attachments=[Attachment(filename, content, f"{board.name} meetings")])


def handle_plan_ics_feed(req: Request) -> Reply:
    """The address of the member's own calendar feed of the board, by DM: made the first time, the same one after."""
    feed = feeds.issue(session=req.session, board_id=req.board.id, member_id=_member_id(req), now=req.now())
    return _send_feed(req, feed.token, reset=False)


def handle_plan_ics_feed_reset(req: Request) -> Reply:
    """Revoke the member's feed (its old address stops working) and send them a new one."""
    feed = feeds.reset(session=req.session, board_id=req.board.id, member_id=_member_id(req), now=req.now())
    return _send_feed(req, feed.token, reset=True)


def _member_id(req: Request) -> int:
    member = req.actor.member
    if member is None:  # the declaration lets only the board's members in
        raise RuntimeError("a feed for someone with no member record")
    return member.id


def _send_feed(req: Request, token: str, *, reset: bool) -> Reply:
    board, links = req.board, req.notify.links
    data = {"what": "feed", "board": board.name, "url": links.member_calendar(board.slug, token), "reset": reset,
            "configured": links.configured}
    req.notify.to_user(req.user_id, "slack/web_links.json.j2", data)
    return Reply("slack/web_links.json.j2", {"what": "sent", "board": board.name,
                                             "thing": "a new address of your calendar feed" if reset
                                             else "the address of your calendar feed"})


COMMANDS = (
    Command("/plan", ("ics",), handle_plan_ics, usage=USAGE[8], summary="the meetings as a calendar file, in your DM",
            topic="plan"),
    Command("/plan", ("ics", "feed"), handle_plan_ics_feed, who=Who.MEMBERS, doing="have a calendar feed",
            usage="/plan ics feed", summary="the address of your own calendar feed of the meetings, by DM, to "
            "subscribe to once in Outlook or Google Calendar", topic="plan", bare=True),
    Command("/plan", ("ics", "feed", "reset"), handle_plan_ics_feed_reset, who=Who.MEMBERS,
            doing="have a calendar feed", usage="/plan ics feed reset",
            summary="stop your calendar feed's address working and send you a new one", topic="plan", bare=True),
)
