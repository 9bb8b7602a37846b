"""`/plan`: the forward plan shown, and what its commands share (dates, times, kinds, references, a meeting's data).

The commands that change it are in handlers/meetings.py (cadence, meetings) and handlers/plan_items.py
(items, standing items); the CSV and the calendar feed in handlers/plan_io.py and handlers/plan_ics.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from handlers.base import (
    InvalidInput,
    NotFound,
    Reply,
    Request,
    UsageError,
)
from handlers.board_rules import board_config, next_meeting
from handlers.dates import EXAMPLES as DATE_EXAMPLES
from handlers.dates import DateParseError, parse_date
from handlers.parsing import Parsed, refuse_stray
from handlers.registry import Command, Handler, Kind, Option, Topic, Who
from handlers.zones import time_label, viewer_zone
from store import audit, meetings
from store import plan as plan_store
from store.meetings import MeetingLine
from store.models import ItemKind, Meeting, PlanItem
from store.models.views import BoardView
from store.quarters import is_year

OPTIONS = ("board", "venue", "host", "theme", "time", "lead", "kind", "author", "every", "from", "duration")
DATE_OPTIONS = ("from",)  # options whose value is a date, which may be several words unquoted
CADENCE_PRESETS = {
    "monthly": "FREQ=MONTHLY;BYDAY=+2TH",
    "bimonthly": "FREQ=MONTHLY;BYMONTH=1,3,5,7,9,11;BYDAY=+2TH",
    "quarterly": "FREQ=MONTHLY;BYMONTH=1,4,7,10;BYDAY=+2TH",
}
KIND_WORDS = {
    "decision": ItemKind.DECISION, "for decision": ItemKind.DECISION,
    "discussion": ItemKind.DISCUSSION, "for discussion": ItemKind.DISCUSSION,
    "information": ItemKind.INFORMATION, "info": ItemKind.INFORMATION, "for information": ItemKind.INFORMATION,
    "noting": ItemKind.INFORMATION,
    "presentation": ItemKind.PRESENTATION,
    "standing": ItemKind.STANDING, "standing item": ItemKind.STANDING,
}
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$", re.IGNORECASE)
_PLAN_REF = re.compile(r"^#?[Pp]?(\d{1,9})$")
STANDING_REF = re.compile(r"^#?[Ss]?(\d{1,9})$")
DEFAULT_DURATION = 120
VIEW_LIMIT = 6


USAGE = [
    "/plan [all | 2020]",
    '/plan meeting add 10 October 2019 10:00 venue:"Perceval House" host:"LB Ealing" theme:"Skills"',
    "/plan generate 2020",
    '/plan cadence quarterly time:10:00 venue:"TBC"',
    '/plan item add 2019-10-10 "LSP Annual Report for Scrutiny" lead:"LB Ealing" kind:decision',
    "/plan item move P3 2020-01-20",
    "/plan item drop P3",
    '/plan standing add "Borough Plan Performance Update" lead:"LB Ealing" [every:2]',
    "/plan ics",
]
# ---------------------------------------------------------------- shared helpers


def parse_time(text: str) -> dt.time:
    """`10:00`, `10.30`, `10am`, `2:30pm`."""
    m = _TIME.match(text.strip())
    if not m:
        raise InvalidInput(f"“{text}” is not a time. Use 24-hour `14:30` or `2:30pm`.", field="time")
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            raise InvalidInput(f"“{text}” is not a time.", field="time")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise InvalidInput(f"“{text}” is not a time.", field="time")
    return dt.time(hour, minute)


def is_time(text: str) -> bool:
    m = _TIME.match(text.strip())
    return bool(m and (m.group(2) or m.group(3)))


def parse_kind(text: str) -> ItemKind:
    kind = KIND_WORDS.get(" ".join(text.lower().split()))
    if kind is None:
        raise InvalidInput(f"“{text}” is not a kind of item. Use one of: " + ", ".join(k.value for k in ItemKind) + ".",
                           field="kind")
    return kind


def parse_meeting_date(req: Request, board: BoardView, phrase: str) -> dt.date:
    today = req.today(board.timezone)

    def upcoming() -> dt.date | None:
        found = next_meeting(session=req.session, board=board, now=req.now())
        return found.date if found else None

    try:
        return parse_date(phrase, today, upcoming, year_start_month=board_config(board).year_start_month)
    except DateParseError as exc:
        raise InvalidInput(f"I couldn't read “{exc.phrase}” as a date: {exc.reason}.",
                           examples=exc.examples or DATE_EXAMPLES, field="date") from exc


def parse_option_date(req: Request, board: BoardView, key: str, phrase: str) -> dt.date:
    """A date given as an option (`for:9 January 2020`, `from:next meeting`): the words after the option up to
    the next option or quoted text. If they are not a date but their beginning is, which words were meant is
    not clear: refused, showing the option with the date in quotes."""
    try:
        return parse_meeting_date(req, board, phrase)
    except InvalidInput:
        words = phrase.split()
        for n in range(len(words) - 1, 0, -1):
            prefix = " ".join(words[:n])
            try:
                parse_meeting_date(req, board, prefix)
            except InvalidInput:
                continue
            raise UsageError(f"I couldn't read “{phrase}” after `{key}:` as a date. If the date is “{prefix}”, put it "
                             f"in quotes, `{key}:\"{prefix}\"`, and the title in quotes: "
                             f"“{' '.join(words[n:])}” is not part of the date.",
                             examples=[f'{key}:"{prefix}"']) from None
        raise


def quoted_title(parsed: Parsed, example: str) -> str | None:
    """The title when it is given in quotes (the first quoted word); other words beside it are refused."""
    for i, tok in enumerate(parsed.args):
        if tok.quoted:
            refuse_stray(parsed.args[:i] + parsed.args[i + 1:], parsed.options, example=example)
            return tok.value
    return None


def existing_meeting(req: Request, board: BoardView, day: dt.date, *, future: bool = True) -> Meeting:
    """The board's meeting on `day`; refused if there is none, or (by default) if it has passed."""
    meeting = meetings.get_by_date(session=req.session, board_id=board.id, date=day)
    if meeting is None:
        raise NotFound(f"{board.name} has no meeting on {day:%A %-d %B %Y}. Add it first with `/plan meeting add`.",
                       examples=[f"/plan meeting add {day.isoformat()}"])
    if future and day < req.today(board.timezone):
        raise InvalidInput(f"The meeting on {day:%A %-d %B %Y} has already taken place; its plan can't change now.")
    return meeting


def local_time(meeting: Meeting | MeetingLine, tz: str) -> dt.time | None:
    return meeting.starts_at.astimezone(ZoneInfo(tz)).time() if meeting.starts_at else None


def starts_at(day: dt.date, at: dt.time | None, tz: str) -> dt.datetime | None:
    """`at` on `day` on the board's clock. A time the clocks skip (spring) or pass twice (autumn) is refused
    with the reason: the meeting's start would otherwise be a guess."""
    if at is None:
        return None
    zone = ZoneInfo(tz)
    local = dt.datetime.combine(day, at, zone)
    back = local.astimezone(dt.UTC).astimezone(zone)
    when = f"{at:%H:%M} on {day:%A %-d %B %Y}"
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise InvalidInput(f"{when} does not exist on the board's clock ({tz}): the clocks go forward that night "
                           f"and skip it. Choose a time outside the hour they skip.", field="time")
    if local.replace(fold=1).utcoffset() != local.utcoffset():
        raise InvalidInput(f"{when} happens twice on the board's clock ({tz}): the clocks go back that night, so "
                           "it is ambiguous. Choose a time outside the hour they repeat.", field="time")
    return local


def meeting_data(meeting: Meeting | MeetingLine, board: BoardView) -> dict[str, Any]:
    at = local_time(meeting, board.timezone)
    return {
        "id": meeting.id,
        "date": meeting.date,
        "time": at.strftime("%H:%M") if at else None,
        "starts_at": meeting.starts_at,
        "venue": meeting.venue or "TBC",
        "host": meeting.host_organisation.name if meeting.host_organisation else None,
        "theme": meeting.theme,
    }


@dataclass
class PlannedItem:
    """An item as the plan shows it: planned for the meeting, or standing."""

    ref: str
    title: str
    lead: str
    kind: str
    standing: bool = False
    report_author: str | None = None
    links: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)  # carried over from earlier meetings
    paper: bool = False  # the item needs a paper
    paper_author: str | None = None  # the member who writes it (chased)
    private_reason: str | None = None  # confidential (exempt information): the category given
    urgent: str | None = None  # taken as urgent after the pack's publication: the chair's reason

    @property
    def carried(self) -> str:
        """Where it was carried from: "deferred from 15 July 2019", "… (not reached)"; "" if it was not."""
        return carried_label(self.history)


def carried_label(history: list[dict[str, Any]]) -> str:
    """The last carry of an item's history in words: "deferred from 15 July 2019" (or "… (not reached)")."""
    if not history:
        return ""
    last = history[-1]
    try:
        day = dt.date.fromisoformat(str(last.get("from")))
    except ValueError:
        return ""
    return f"deferred from {day:%-d %B %Y}" + (" (not reached)" if last.get("why") == "not reached" else "")


def planned_items(req_session: Any, board: BoardView, meeting_list: Sequence[Meeting | MeetingLine]
                  ) -> dict[int, list[PlannedItem]]:
    """Each meeting's items: its own first, then standing items not already there under the same title."""
    ids = [m.id for m in meeting_list]
    own = plan_store.plan_lines(session=req_session, meeting_ids=ids)
    standing = plan_store.standing_for_meetings(session=req_session, board_id=board.id, meetings=meeting_list)
    out: dict[int, list[PlannedItem]] = {}
    for mid in ids:
        rows = [PlannedItem(f"P{i.ref}", i.title, i.lead, i.kind, False, i.report_author, i.lead_links,
                            i.history or [], paper=i.paper_required, paper_author=i.paper_author,
                            private_reason=(i.private_reason or "confidential") if i.private else None,
                            urgent=i.urgent_reason)
                for i in own[mid]]
        titles = {r.title.lower() for r in rows}
        rows += [PlannedItem(f"S{s.ref}", s.title, s.lead, s.kind, True, None, s.lead_links)
                 for s in standing.get(mid, []) if s.title.lower() not in titles]
        out[mid] = rows
    return out


def item_data(item: PlannedItem) -> dict[str, Any]:
    return {"ref": item.ref, "title": item.title, "lead": item.lead, "kind": item.kind, "standing": item.standing,
            "report_author": item.report_author, "carried": item.carried, "paper": item.paper,
            "paper_author": item.paper_author, "private_reason": item.private_reason, "urgent": item.urgent,
            "linked": [link["name"] for link in item.links if link.get("name") and link["name"] != link.get("text")]}


def record_change(req: Request, entity: str, entity_id: int, operation: str, before: dict | None, after: dict | None) -> None:
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity=entity, entity_id=entity_id,
                 operation=operation, before=before, after=after)


def item_snapshot(item: PlanItem) -> dict[str, Any]:
    return {"ref": item.ref, "title": item.title, "lead": item.lead, "kind": item.kind,
            "meeting": item.meeting.date.isoformat() if item.meeting else None,
            "paper": bool(item.paper_required), "paper_author_id": item.paper_author_id, "private": bool(item.private),
            "private_reason": item.private_reason, "urgent": item.urgent_reason}


def meeting_snapshot(meeting: Meeting) -> dict[str, Any]:
    return {"date": meeting.date.isoformat(), "starts_at": meeting.starts_at.astimezone(dt.UTC).isoformat()
            if meeting.starts_at else None,
            "venue": meeting.venue, "host_organisation_id": meeting.host_organisation_id, "theme": meeting.theme}


def every_label(every: int) -> str:
    """`every meeting`, `every 2nd meeting`, `every 3rd meeting`..."""
    if every <= 1:
        return "every meeting"
    suffix = "th" if 10 <= every % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(every % 10, "th")
    return f"every {every}{suffix} meeting"


def parse_plan_ref(token: str, pattern: re.Pattern[str] = _PLAN_REF, what: str = "plan item", example: str = "P3") -> int:
    m = pattern.match(token.strip())
    if not m:
        raise UsageError(f"`{token}` is not a {what} reference.", examples=[example])
    return int(m.group(1))


# ---------------------------------------------------------------- view


def handle_plan_show(req: Request) -> Reply:
    """The next meetings with their items, leads and locations (or a year's, or all to come)."""
    parsed, board, actor = req.parsed, req.board, req.actor
    today = req.today(board.timezone)
    scope = parsed.args[0].value.lower() if parsed.args else ""
    if is_year(scope):
        found = meetings.lines_between(session=req.session, board_id=board.id, start=dt.date(int(scope), 1, 1),
                                       end=dt.date(int(scope), 12, 31))
        title = f"Forward plan {scope}"
        total = len(found)
    elif scope in ("", "all"):
        found = meetings.lines_between(session=req.session, board_id=board.id, start=today)
        total = len(found)
        if scope == "":
            found = found[:VIEW_LIMIT]
        title = "Forward plan"
    else:
        raise UsageError(f"`/plan {scope}` is not a command I know.", examples=USAGE)
    items = planned_items(req.session, board, found)
    cad = plan_store.cadence(board)
    viewer = viewer_zone(req)  # the plan is the requester's alone: times on their clock, the venue's beside it
    return Reply("slack/plan.json.j2", {
        "title": title, "board": board.name, "total": total,
        "meetings": [dict(meeting_data(m, board), items=[item_data(i) for i in items[m.id]],
                          time=time_label(m.starts_at, board.timezone, viewer)) for m in found],
        "can_edit": actor.manages_board, "cadence": cad.get("rrule"),
        "has_standing": any(i.standing for shown in items.values() for i in shown),
    })


# ---------------------------------------------------------------- declarations

OPTIONS_PHRASED = tuple(Option(name, Kind.PHRASE if name in DATE_OPTIONS else Kind.TEXT)
                        for name in OPTIONS if name != "board")
PLAIN_OPTIONS = tuple(Option(name) for name in OPTIONS if name != "board")  # `from:` one word, but for standing items


def plan_change(words: tuple[str, ...], handler: Handler, doing: str, *, usage: str, summary: str,
                aliases: tuple[tuple[str, ...], ...] = (), options: tuple[Option, ...] = PLAIN_OPTIONS,
                narrower: str = "") -> Command:
    """A `/plan` command that changes the plan: the chair, vice-chair, secretariat and admins."""
    return Command("/plan", words, handler, aliases=aliases, who=Who.MANAGERS, doing=doing, parsed=True,
                   options=options, usage=usage, summary=summary, narrower=narrower)


TOPIC = Topic("plan", "Forward plan", aliases=("plans",),
              note="Only the chair, vice-chair and secretariat change the plan; everyone on the board can read it.")

COMMANDS = (
    Command("/plan", ("show",), handle_plan_show, aliases=((),), fallback=True, parsed=True, options=PLAIN_OPTIONS,
            read_only=True,
            usage=USAGE[0], summary="the next meetings with their items, leads and venues"),
)
