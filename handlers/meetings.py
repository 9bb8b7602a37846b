"""`/plan cadence`, `/plan meeting add|edit`, `/plan generate`: the board's meetings and how often it meets."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from dateutil.rrule import rrulestr

from handlers import access, mentions
from handlers.base import Conflict, InvalidInput, NotFound, Reply, Request, UsageError
from handlers.board_rules import WorkingCalendar, board_config
from handlers.ids import ActionId
from handlers.organisations import NEW_ORG, organisation_named
from handlers.parsing import check_text, parse_id
from handlers.plan import (
    CADENCE_PRESETS,
    PLAIN_OPTIONS,
    USAGE,
    is_time,
    meeting_data,
    meeting_snapshot,
    parse_meeting_date,
    parse_time,
    plan_change,
    record_change,
    starts_at,
)
from handlers.registry import Button, Kind, Option, Who, read_options, refusal
from store import boards, meetings
from store import plan as plan_store
from store.models import Meeting
from store.models.views import BoardView

# ---------------------------------------------------------------- meetings

CADENCE_EXAMPLES = ["/plan cadence quarterly", "/plan cadence monthly time:10:00",
                    "/plan cadence FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"]


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
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
            # dateutil's own words ("not enough values to unpack") mean nothing to a board: say what is understood.
            raise InvalidInput(f"“{rule_text}” is not a cadence I know. Say {', '.join(CADENCE_PRESETS)}, or give an "
                               "iCalendar recurrence rule (RRULE), such as FREQ=WEEKLY;INTERVAL=2;BYDAY=TH for every "
                               "other Thursday.", examples=CADENCE_EXAMPLES) from exc
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
    board = plan_store.set_cadence(session=req.session, board=board, values=values)
    record_change(req, "board", board.id, "cadence", before, plan_store.cadence(board))
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "cadence",
                                             "cadence": plan_store.cadence(board)})


def _host(req: Request, name: str) -> int:
    """The hosting organisation, from the board's list: a new name is added to it, one that nearly matches an
    organisation on it is asked about ("Did you mean …?", `new_org:yes` to add it as typed)."""
    return organisation_named(req, check_text(name, "host")[:200], field="host", option="host").id


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
    theme = mentions.typed_text(req.session, parsed.options["theme"], "theme")[:300] if "theme" in parsed.options else None
    meeting = meetings.get_by_date(session=req.session, board_id=board.id, date=day)
    why = WorkingCalendar(board_config(board).holidays).why_not_working(day)
    if meeting is None and why and parsed.options.get("force") != "yes":
        return _confirm_non_working_day(req, board, day, why)
    host_id = _host(req, parsed.options["host"]) if parsed.options.get("host") else None
    if meeting is not None:
        if at is None and venue is None and host_id is None and theme is None:
            raise Conflict(f"{board.name} already has a meeting on {day:%A %-d %B %Y}. Give a time, venue, host or "
                           "theme to change it.", title="Already planned", examples=[f'/plan meeting add {day.isoformat()} venue:"Southall"'])
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
        record_change(req, "meeting", meeting.id, "update", before, meeting_snapshot(meeting))
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
        record_change(req, "meeting", meeting.id, "create", None, meeting_snapshot(meeting))
        change = "added"
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "meeting", "change": change,
                                             "meeting": meeting_data(meeting, board)})


_CONFIRM_VALUE_LIMIT = 2000  # Slack's limit on a button's value


def _confirm_non_working_day(req: Request, board: BoardView, day: dt.date, why: str) -> Reply:
    """Ask before adding a meeting on a weekend or bank holiday: a button that adds it, or `force:yes`."""
    text = f"{req.rest.strip()} force:yes"
    value = f"{board.id}|{text}"
    return Reply("slack/plan_confirm.json.j2", {
        "board": board.name, "date": day, "why": why, "command": f"/plan meeting add {text}",
        "value": value if len(value) <= _CONFIRM_VALUE_LIMIT else None,
    })


def handle_meeting_confirm_button(req: Request) -> Reply:
    """"Add it anyway": the `/plan meeting add` that asked, run again with `force:yes` by whoever may change the
    meetings of the board the button names."""
    board_id, _, text = str(req.values.get("value") or "").partition("|")
    board_key = parse_id(board_id)  # digits within a row id's range, else no board
    board = boards.get(session=req.session, board_id=board_key) if board_key else None
    if board is None:
        raise NotFound("That board no longer exists.")
    actor = access.actor_for(req, board)
    if not MEETING_ADD.who.allows(actor):
        raise refusal(MEETING_ADD, actor)
    req.on_board(board, actor)
    req.rest = text
    req.parsed = read_options(MEETING_ADD, text)
    if req.parsed.options.get("force") != "yes":
        raise InvalidInput("That button has lost what it was for. Type the command again.")
    return handle_meeting_add(req)


def cadence_dates(board: BoardView, year: int) -> list[dt.date]:
    """The dates the board's recurrence rule gives in a year."""
    rule = plan_store.cadence(board).get("rrule")
    if not rule:
        raise UsageError(f"{board.name} has no meeting cadence yet. Set one first.", examples=USAGE[3:4])
    start = dt.datetime(year, 1, 1)
    occurrences = rrulestr(rule, dtstart=start).between(start, dt.datetime(year, 12, 31, 23, 59), inc=True)
    return [o.date() for o in occurrences]


def _holdings(found: list[tuple[str, int]]) -> str:
    """`2 plan items, 1 published agenda`."""
    return ", ".join(f"{n} {what}" if n == 1 else f"{n} {what.replace('action ', 'actions ', 1)}"
                     if what.startswith("action ") else f"{n} {what}s" for what, n in found)


def handle_plan_generate(req: Request) -> Reply:
    """Lay out a year of meetings from the cadence, each on a working day of the board's calendar (a date on a
    weekend or bank holiday moves to the next working day, and the reply says so). Run again after the cadence
    changed, it replaces the meetings it laid out before that are still to come and hold nothing (no plan items,
    proposals, published agenda, partner updates or actions raised at them); those that hold something are kept
    and reported. Meetings added by hand, and past ones, are left alone."""
    parsed, board = req.parsed, req.board
    if len(parsed.args) != 1 or not re.fullmatch(r"\d{4}", parsed.args[0].value):
        raise UsageError("Which year?", examples=["/plan generate 2020"])
    year = int(parsed.args[0].value)
    today, now = req.today(board.timezone), req.now()
    if not today.year - 1 <= year <= today.year + 10:
        raise InvalidInput(f"{year} is too far from {today.year} to plan.", field="year")
    cad = plan_store.cadence(board)
    at = parse_time(cad["time"]) if cad.get("time") else None
    venue = cad.get("venue") or "TBC"
    calendar = WorkingCalendar(board_config(board).holidays)
    wanted: dict[dt.date, tuple[dt.date, str | None]] = {}  # the day laid -> (the cadence's date, why it moved)
    for cadence_day in cadence_dates(board, year):
        wanted.setdefault(calendar.next_working_day(cadence_day), (cadence_day, calendar.why_not_working(cadence_day)))

    to_come = [m for m in meetings.list_between(session=req.session, board_id=board.id,
                                                start=max(dt.date(year, 1, 1), today), end=dt.date(year, 12, 31))
               if m.date > today or m.starts_at is None or m.starts_at > now]
    generated = meetings.generated_ids(session=req.session, meeting_ids=[m.id for m in to_come])
    holding = meetings.contents(session=req.session, meeting_ids=[m.id for m in to_come])
    removed: list[dt.date] = []
    held: list[dict[str, Any]] = []
    for meeting in to_come:
        if meeting.id not in generated or meeting.date in wanted:
            continue
        if meeting.id in holding:
            held.append({"date": meeting.date, "holds": _holdings(holding[meeting.id])})
            continue
        record_change(req, "meeting", meeting.id, "delete", meeting_snapshot(meeting), None)
        removed.append(meeting.date)
        meetings.delete(session=req.session, meeting=meeting)

    created: list[Meeting] = []
    moved: list[dict[str, Any]] = []
    kept: list[dt.date] = []
    past: list[dt.date] = []
    for day, (cadence_day, why) in sorted(wanted.items()):
        if day < today:
            past.append(day)
        elif meetings.get_by_date(session=req.session, board_id=board.id, date=day) is not None:
            kept.append(day)
        else:
            created.append(meetings.create(session=req.session, board_id=board.id, date=day,
                                           starts_at=starts_at(day, at, board.timezone), venue=venue, now=now))
            if day != cadence_day:
                moved.append({"from": cadence_day, "to": day, "why": why})
    if not created and not removed:
        raise Conflict(title="Nothing to add", message=f"Nothing to add: the cadence gives {len(kept) + len(past)} dates in {year}, "
                       f"{len(kept)} already planned and {len(past)} already past."
                       + (" Kept though the cadence no longer gives them, for what they hold: "
                          + "; ".join(f"{h['date']:%a %-d %b %Y} ({h['holds']})" for h in held) + "." if held else ""))
    for meeting in created:
        req.session.refresh(meeting)
        record_change(req, "meeting", meeting.id, meetings.GENERATED, None, meeting_snapshot(meeting))
    return Reply("slack/plan_done.json.j2", {"board": board.name, "what": "generated", "year": year,
                                             "meetings": [meeting_data(m, board) for m in created],
                                             "kept": kept, "past": past, "moved": moved, "removed": removed,
                                             "held": held})


# ---------------------------------------------------------------- declarations

FORCE = Option("force", Kind.CHOICE, choices=("yes",),
               help="`force:yes` adds a meeting on a weekend or bank holiday without asking")
MEETING_ADD = plan_change(("meeting", "add"), handle_meeting_add, "change the meetings", aliases=(("meeting", "edit"),),
                          usage=USAGE[1], options=(*PLAIN_OPTIONS, FORCE, NEW_ORG),
                          summary="add a meeting, or change one (`meeting edit`); on a weekend or bank holiday it "
                                  "asks first (a button) unless given `force:yes`")
COMMANDS = (
    MEETING_ADD,
    plan_change(("generate",), handle_plan_generate, "change the meetings", usage=USAGE[2],
                summary="a year's meetings from the cadence, on working days; again after a cadence change, it "
                        "replaces the ones it laid out that are still empty"),
    plan_change(("cadence",), handle_plan_cadence, "set the meeting cadence", usage=USAGE[3],
                options=(*(o for o in PLAIN_OPTIONS if o.name != "duration"),
                         Option("duration", Kind.NUMBER, low=15, high=600, help="minutes")),
                summary="how often the board meets, when and where"),
)
BUTTONS = (
    Button(ActionId.PLAN_MEETING_CONFIRM, handle_meeting_confirm_button,
           "add a meeting on a weekend or bank holiday after all", who=Who.MANAGERS, success="replace"),
)
