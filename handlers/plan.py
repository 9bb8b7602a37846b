"""`/plan`: the board's cadence, meetings, forward-plan items and standing items."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from handlers.base import (
    Conflict,
    InvalidInput,
    NotFound,
    Reply,
    Request,
    UsageError,
)
from handlers.dates import EXAMPLES as DATE_EXAMPLES
from handlers.dates import DateParseError, parse_date
from handlers.registry import Command, Handler, Kind, Option, Topic, Who
from handlers.parsing import Parsed, check_text, refuse_stray
from handlers.zones import time_label, viewer_zone
from store import audit, boards, meetings
from store import plan as plan_store
from store.models import Board, ItemKind, Meeting, PlanItem
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
_STANDING_REF = re.compile(r"^#?[Ss]?(\d{1,9})$")
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


def parse_meeting_date(req: Request, board: Board, phrase: str) -> dt.date:
    today = req.today(board.timezone)

    def upcoming() -> dt.date | None:
        found = meetings.next_meeting(session=req.session, board_id=board.id, after=today)
        return found.date if found else None

    try:
        return parse_date(phrase, today, upcoming)
    except DateParseError as exc:
        raise InvalidInput(f"I couldn't read “{exc.phrase}” as a date: {exc.reason}.", examples=DATE_EXAMPLES,
                           field="date") from exc


def parse_option_date(req: Request, board: Board, key: str, phrase: str) -> dt.date:
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


def existing_meeting(req: Request, board: Board, day: dt.date, *, future: bool = True) -> Meeting:
    """The board's meeting on `day`; refused if there is none, or (by default) if it has passed."""
    meeting = meetings.get_by_date(session=req.session, board_id=board.id, date=day)
    if meeting is None:
        raise NotFound(f"{board.name} has no meeting on {day:%A %-d %B %Y}. Add it first with `/plan meeting add`.",
                       examples=[f"/plan meeting add {day.isoformat()}"])
    if future and day < req.today(board.timezone):
        raise InvalidInput(f"The meeting on {day:%A %-d %B %Y} has already taken place; its plan can't change now.")
    return meeting


def local_time(meeting: Meeting, tz: str) -> dt.time | None:
    return meeting.starts_at.astimezone(ZoneInfo(tz)).time() if meeting.starts_at else None


def starts_at(day: dt.date, at: dt.time | None, tz: str) -> dt.datetime | None:
    return dt.datetime.combine(day, at, ZoneInfo(tz)) if at else None


def meeting_data(meeting: Meeting, board: Board) -> dict[str, Any]:
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


def planned_items(req_session: Any, board: Board, meeting_list: list[Meeting]) -> dict[int, list[PlannedItem]]:
    """Each meeting's items: its own first, then standing items not already there under the same title."""
    ids = [m.id for m in meeting_list]
    own = plan_store.items_for_meetings(session=req_session, meeting_ids=ids)
    standing = plan_store.standing_for_meetings(session=req_session, board_id=board.id, meetings=meeting_list)
    out: dict[int, list[PlannedItem]] = {}
    for mid in ids:
        rows = [PlannedItem(f"P{i.ref}", i.title, i.lead, i.kind, False, i.report_author, i.lead_links)
                for i in own.get(mid, [])]
        titles = {r.title.lower() for r in rows}
        rows += [PlannedItem(f"S{s.ref}", s.title, s.lead, s.kind, True, None, s.lead_links)
                 for s in standing.get(mid, []) if s.title.lower() not in titles]
        out[mid] = rows
    return out


def item_data(item: PlannedItem) -> dict[str, Any]:
    return {"ref": item.ref, "title": item.title, "lead": item.lead, "kind": item.kind, "standing": item.standing,
            "report_author": item.report_author,
            "linked": [link["name"] for link in item.links if link.get("name") and link["name"] != link.get("text")]}


def _audit(req: Request, entity: str, entity_id: int, operation: str, before: dict | None, after: dict | None) -> None:
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity=entity, entity_id=entity_id,
                 operation=operation, before=before, after=after)


def _item_snapshot(item: PlanItem) -> dict[str, Any]:
    return {"ref": item.ref, "title": item.title, "lead": item.lead, "kind": item.kind,
            "meeting": item.meeting.date.isoformat() if item.meeting else None}


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
        found = meetings.list_between(session=req.session, board_id=board.id, start=dt.date(int(scope), 1, 1),
                                      end=dt.date(int(scope), 12, 31))
        title = f"Forward plan {scope}"
        total = len(found)
    elif scope in ("", "all"):
        found = meetings.list_between(session=req.session, board_id=board.id, start=today)
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


# ---------------------------------------------------------------- meetings


def handle_plan_cadence(req: Request) -> Reply:
    """Set the recurrence rule (a preset or an RFC 5545 RRULE), default time, venue and length."""
    parsed, board = req.parsed, req.board
    values: dict[str, Any] = {}
    if parsed.args:
        rule_text = " ".join(a.value for a in parsed.args).strip()
        rule = CADENCE_PRESETS.get(rule_text.lower(), rule_text)
        if rule.upper().startswith("RRULE:"):
            rule = rule[6:]
        try:
            rrulestr(rule, dtstart=dt.datetime(2020, 1, 1))
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"“{rule_text}” is not a recurrence rule: {exc}.",
                               examples=["quarterly", "monthly", "FREQ=MONTHLY;BYMONTH=1,4,7,10;BYDAY=+3MO"]) from exc
        values["rrule"] = rule.upper()
    if "time" in parsed.options:
        values["time"] = parse_time(parsed.options["time"]).strftime("%H:%M")
    if "venue" in parsed.options:
        values["venue"] = check_text(parsed.options["venue"], "venue")[:200]
    if "duration" in parsed.options:  # checked against its declaration: whole minutes, 15 to 600
        values["duration"] = int(parsed.options["duration"])
    if not values:
        raise UsageError("Give a cadence, a time, a venue or a duration.", examples=USAGE[3:4])
    before = plan_store.cadence(board)
    plan_store.set_cadence(session=req.session, board=board, values=values)
    _audit(req, "board", board.id, "cadence", before, plan_store.cadence(board))
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "cadence",
                                             "cadence": plan_store.cadence(board)})


def _host(req: Request, name: str) -> int:
    org = boards.find_organisation(session=req.session, name=name)
    if org is None:
        raise InvalidInput(f"“{name}” is not an organisation I know. Hosts are partner organisations of the board's "
                           "members (`/lsp member list`).", field="host")
    return org.id


def handle_meeting_add(req: Request) -> Reply:
    """Add a meeting, or change the time, venue, host or theme of one already planned."""
    parsed, board = req.parsed, req.board
    args = [a.value for a in parsed.args]
    time_text = parsed.options.get("time")
    if args and is_time(args[-1]) and len(args) > 1:
        time_text = args.pop()
    if not args:
        raise UsageError("Which date?", examples=USAGE[1:2])
    day = parse_meeting_date(req, board, " ".join(args))
    if day < req.today(board.timezone):
        raise InvalidInput(f"{day:%A %-d %B %Y} is in the past.", field="date")
    at = parse_time(time_text) if time_text else None
    venue = check_text(parsed.options["venue"], "venue")[:200] if "venue" in parsed.options else None
    host_id = _host(req, parsed.options["host"]) if parsed.options.get("host") else None
    theme = check_text(parsed.options["theme"], "theme")[:300] if "theme" in parsed.options else None
    meeting = meetings.get_by_date(session=req.session, board_id=board.id, date=day)
    if meeting is not None:
        if at is None and venue is None and host_id is None and theme is None:
            raise Conflict(f"{board.name} already has a meeting on {day:%A %-d %B %Y}. Give a time, venue, host or "
                           "theme to change it.", examples=[f'/plan meeting add {day.isoformat()} venue:"Southall"'])
        before = meeting_snapshot(meeting)
        if at is not None:
            meeting.starts_at = starts_at(day, at, board.timezone)
        if venue is not None:
            meeting.venue = venue
        if host_id is not None:
            meeting.host_organisation_id = host_id
        if theme is not None:
            meeting.theme = theme
        req.session.flush()
        req.session.refresh(meeting)
        _audit(req, "meeting", meeting.id, "update", before, meeting_snapshot(meeting))
        change = "changed"
    else:
        cad = plan_store.cadence(board)
        if at is None and cad.get("time"):
            at = parse_time(cad["time"])
        meeting = meetings.create(session=req.session, board_id=board.id, date=day,
                                  starts_at=starts_at(day, at, board.timezone),
                                  venue=venue or cad.get("venue") or "TBC", now=req.now(),
                                  host_organisation_id=host_id, theme=theme)
        req.session.refresh(meeting)
        _audit(req, "meeting", meeting.id, "create", None, meeting_snapshot(meeting))
        change = "added"
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "meeting", "change": change,
                                             "meeting": meeting_data(meeting, board)})


def cadence_dates(board: Board, year: int) -> list[dt.date]:
    """The dates the board's recurrence rule gives in a year."""
    rule = plan_store.cadence(board).get("rrule")
    if not rule:
        raise UsageError(f"{board.name} has no meeting cadence yet. Set one first.", examples=USAGE[3:4])
    start = dt.datetime(year, 1, 1)
    occurrences = rrulestr(rule, dtstart=start).between(start, dt.datetime(year, 12, 31, 23, 59), inc=True)
    return [o.date() for o in occurrences]


def handle_plan_generate(req: Request) -> Reply:
    """Lay out a year of meetings from the cadence; dates already planned or past are left alone."""
    parsed, board = req.parsed, req.board
    if len(parsed.args) != 1 or not re.fullmatch(r"\d{4}", parsed.args[0].value):
        raise UsageError("Which year?", examples=["/plan generate 2020"])
    year = int(parsed.args[0].value)
    today = req.today(board.timezone)
    if not today.year - 1 <= year <= today.year + 10:
        raise InvalidInput(f"{year} is too far from {today.year} to plan.", field="year")
    cad = plan_store.cadence(board)
    at = parse_time(cad["time"]) if cad.get("time") else None
    created: list[Meeting] = []
    kept: list[dt.date] = []
    past: list[dt.date] = []
    for day in cadence_dates(board, year):
        if day < today:
            past.append(day)
        elif meetings.get_by_date(session=req.session, board_id=board.id, date=day) is not None:
            kept.append(day)
        else:
            created.append(meetings.create(session=req.session, board_id=board.id, date=day,
                                           starts_at=starts_at(day, at, board.timezone),
                                           venue=cad.get("venue") or "TBC", now=req.now()))
    if not created:
        raise Conflict(f"Nothing to add: the cadence gives {len(kept) + len(past)} dates in {year}, "
                       f"{len(kept)} already planned and {len(past)} already past.")
    for meeting in created:
        req.session.refresh(meeting)
        _audit(req, "meeting", meeting.id, "create", None, meeting_snapshot(meeting))
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "generated", "year": year,
                                             "meetings": [meeting_data(m, board) for m in created],
                                             "kept": kept, "past": past})


# ---------------------------------------------------------------- items


def _split_date_and_title(parsed: Parsed) -> tuple[str, str]:
    """`<date words> "<title>"`; without quotes, one date word then the title. Words after a quoted title are
    refused (`kind:standing item` would otherwise add "item" to it)."""
    for i, tok in enumerate(parsed.args):
        if tok.quoted:
            refuse_stray(parsed.args[i + 1:], parsed.options, example=USAGE[4])
            return " ".join(t.value for t in parsed.args[:i]), tok.value
    if len(parsed.args) < 2:
        raise UsageError("Give a date and a title.", examples=USAGE[4:5])
    return parsed.args[0].value, " ".join(t.value for t in parsed.args[1:])


def handle_item_add(req: Request) -> Reply:
    parsed, board = req.parsed, req.board
    date_text, title = _split_date_and_title(parsed)
    if not date_text:
        raise UsageError("For which meeting? Put its date before the title.", examples=USAGE[4:5])
    title = check_text(title, "title")
    if len(title) > 300:
        raise InvalidInput("A title can be at most 300 characters.", field="title")
    day = parse_meeting_date(req, board, date_text)
    meeting = existing_meeting(req, board, day)
    kind = parse_kind(parsed.options["kind"]) if parsed.options.get("kind") else ItemKind.DISCUSSION
    lead = parsed.options.get("lead", "").strip()[:300]
    if not lead:
        raise UsageError("Who leads this item? Give the lead as on the plan: an organisation, a member or both.",
                         examples=[f'/plan item add {day.isoformat()} "{title[:60]}" lead:"LB Ealing/DWP"'])
    author = parsed.options.get("author", "").strip()[:200] or None
    if plan_store.find_item(session=req.session, meeting_id=meeting.id, title=title):
        raise Conflict(f"“{title}” is already on the plan for {day:%-d %B %Y}.")
    item = plan_store.add_item(session=req.session, board_id=board.id, meeting=meeting, title=title, lead=lead,
                               lead_links=plan_store.link_lead(session=req.session, board=board, lead=lead),
                               kind=kind.value, now=req.now(), report_author=author)
    _audit(req, "plan_item", item.id, "create", None, _item_snapshot(item))
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "item", "change": "added",
                                             "item": item_data(_planned(item)),
                                             "meeting": meeting_data(meeting, board)})


def _planned(item: PlanItem) -> PlannedItem:
    return PlannedItem(f"P{item.ref}", item.title, item.lead, item.kind, False, item.report_author, item.lead_links)


def _load_item(req: Request) -> tuple[Board, PlanItem, Parsed]:
    parsed, board = req.parsed, req.board
    if not parsed.args:
        raise UsageError("Which item? Give its reference.", examples=["P3"])
    ref = parse_plan_ref(parsed.args[0].value)
    item = plan_store.get_item(session=req.session, board_id=board.id, ref=ref)
    if item is None:
        raise NotFound(f"There is no item P{ref} on the forward plan of {board.name}.")
    return board, item, parsed


def handle_item_move(req: Request) -> Reply:
    board, item, parsed = _load_item(req)
    if len(parsed.args) < 2:
        raise UsageError("Move it to which meeting?", examples=[f"/plan item move P{item.ref} 2020-01-20"])
    if item.meeting.date < req.today(board.timezone):
        raise InvalidInput(f"P{item.ref} was on the agenda of a meeting that has taken place; it can't move now.")
    day = parse_meeting_date(req, board, " ".join(a.value for a in parsed.args[1:]))
    meeting = existing_meeting(req, board, day)
    if meeting.id == item.meeting_id:
        raise Conflict(f"P{item.ref} is already planned for {day:%-d %B %Y}.")
    before = _item_snapshot(item)
    plan_store.move_item(session=req.session, item=item, meeting=meeting, now=req.now())
    _audit(req, "plan_item", item.id, "move", before, _item_snapshot(item))
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "item", "change": "moved",
                                             "item": item_data(_planned(item)),
                                             "meeting": meeting_data(meeting, board)})


def handle_item_drop(req: Request) -> Reply:
    board, item, _ = _load_item(req)
    if item.meeting.date < req.today(board.timezone):
        raise InvalidInput(f"P{item.ref} was on the agenda of a meeting that has taken place; it stays on record.")
    before = _item_snapshot(item)
    data = item_data(_planned(item))
    meeting = meeting_data(item.meeting, board)
    plan_store.drop_item(session=req.session, item=item)
    _audit(req, "plan_item", item.id, "drop", before, None)
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "item", "change": "dropped",
                                             "item": data, "meeting": meeting})


def handle_standing_add(req: Request) -> Reply:
    """Declare an item that appears at every meeting (or every Nth) from today or `from:<date>`."""
    parsed, board = req.parsed, req.board
    title = quoted_title(parsed, USAGE[7])
    title = check_text(title if title is not None else " ".join(a.value for a in parsed.args), "title")
    if len(title) > 300:
        raise InvalidInput("A title can be at most 300 characters.", field="title")
    every_text = parsed.options.get("every", "1").lower().removesuffix("th").removesuffix("nd").removesuffix("rd")
    if not (every_text.isascii() and every_text.isdigit()) or not 1 <= int(every_text) <= 12:
        raise InvalidInput("`every:` is a number of meetings from 1 to 12, like every:2.", field="every")
    starts_on = parse_option_date(req, board, "from", parsed.options["from"]) if parsed.options.get("from") \
        else req.today(board.timezone)
    kind = parse_kind(parsed.options["kind"]) if parsed.options.get("kind") else ItemKind.STANDING
    lead = parsed.options.get("lead", "").strip()[:300]
    if any(s.title.lower() == title.lower() for s in plan_store.standing_items(session=req.session, board_id=board.id)):
        raise Conflict(f"“{title}” is already a standing item.")
    item = plan_store.add_standing(session=req.session, board_id=board.id, title=title, lead=lead,
                                   lead_links=plan_store.link_lead(session=req.session, board=board, lead=lead),
                                   kind=kind.value, every=int(every_text), starts_on=starts_on, now=req.now())
    _audit(req, "standing_item", item.id, "create", None, {"title": title, "lead": lead, "every": item.every})
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "standing", "change": "added",
                                             "item": {"ref": f"S{item.ref}", "title": title, "lead": lead,
                                                      "kind": item.kind, "every": every_label(item.every),
                                                      "starts_on": starts_on, "report_author": None}})


def handle_standing_drop(req: Request) -> Reply:
    parsed, board = req.parsed, req.board
    if not parsed.args:
        raise UsageError("Which standing item?", examples=["/plan standing drop S1"])
    ref = parse_plan_ref(parsed.args[0].value, _STANDING_REF, "standing item", "S1")
    item = plan_store.get_standing(session=req.session, board_id=board.id, ref=ref)
    if item is None:
        raise NotFound(f"There is no standing item S{ref} on {board.name}.")
    data = {"ref": f"S{item.ref}", "title": item.title, "lead": item.lead, "kind": item.kind, "every": every_label(item.every),
            "starts_on": item.starts_on, "report_author": None}
    plan_store.drop_standing(session=req.session, item=item)
    _audit(req, "standing_item", item.id, "drop", {"title": item.title}, None)
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "standing", "change": "dropped",
                                             "item": data})


# ---------------------------------------------------------------- calendar


# ---------------------------------------------------------------- declarations

_OPTIONS = tuple(Option(name, Kind.PHRASE if name in DATE_OPTIONS else Kind.TEXT) for name in OPTIONS if name != "board")
_PLAIN = tuple(Option(name) for name in OPTIONS if name != "board")  # `from:` one word, as only standing items read it


def _changes(words: tuple[str, ...], handler: Handler, doing: str, *, usage: str, summary: str,
             aliases: tuple[tuple[str, ...], ...] = (), options: tuple[Option, ...] = _PLAIN) -> Command:
    """A command that changes the plan: the chair, vice-chair, secretariat and admins."""
    return Command("/plan", words, handler, aliases=aliases, who=Who.MANAGERS, doing=doing, parsed=True,
                   options=options, usage=usage, summary=summary)


TOPIC = Topic("plan", "Forward plan", aliases=("plans",),
              note="Only the chair, vice-chair and secretariat change the plan; everyone on the board can read it.")

COMMANDS = (
    Command("/plan", ("show",), handle_plan_show, aliases=((),), fallback=True, parsed=True, options=_PLAIN,
            usage=USAGE[0], summary="the next meetings with their items, leads and venues"),
    _changes(("meeting", "add"), handle_meeting_add, "change the meetings", aliases=(("meeting", "edit"),),
             usage=USAGE[1], summary="add a meeting, or change one (`meeting edit`)"),
    _changes(("generate",), handle_plan_generate, "change the meetings", usage=USAGE[2],
             summary="a year's meetings from the cadence"),
    _changes(("cadence",), handle_plan_cadence, "set the meeting cadence", usage=USAGE[3],
             options=(*(o for o in _PLAIN if o.name != "duration"),
                      Option("duration", Kind.NUMBER, low=15, high=600, help="minutes")),
             summary="how often the board meets, when and where"),
    _changes(("item", "add"), handle_item_add, "change the forward plan", usage=USAGE[4],
             summary="put an item on a meeting's forward plan"),
    _changes(("item", "move"), handle_item_move, "change the forward plan", usage=USAGE[5],
             summary="move an item to another meeting"),
    _changes(("item", "drop"), handle_item_drop, "change the forward plan", aliases=(("item", "remove"),),
             usage=USAGE[6], summary="take an item off the plan"),
    _changes(("standing", "add"), handle_standing_add, "change the forward plan", options=_OPTIONS,
             usage=USAGE[7], summary="an item at every (or every Nth) meeting"),
    _changes(("standing", "drop"), handle_standing_drop, "change the forward plan",
             aliases=(("standing", "remove"),), usage="/plan standing drop S1", summary="stop a standing item"),
)
