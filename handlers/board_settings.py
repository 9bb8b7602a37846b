"""Per-board timings and cadences of the scheduled jobs, and `/lsp board set <key> <value>` (admins, chair)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from handlers.base import InvalidInput, Reply, Request, UsageError
from store import audit
from store import performance as perf_store
from store.models import Board

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse_int(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise InvalidInput(f"`{raw}` is not a whole number.") from None
        if not low <= value <= high:
            raise InvalidInput(f"`{raw}` is out of range: use {low} to {high}.")
        return value

    parse_int.bounds = (low, high)  # type: ignore[attr-defined]  # for values stored under a wider range
    return parse_int


def _time(raw: str) -> str:
    m = _TIME.match(raw.strip())
    if not m:
        raise InvalidInput(f"`{raw}` is not a time of day. Use 24-hour HH:MM, like 09:00.")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def _weekday(raw: str) -> str:
    lowered = raw.strip().lower()
    for day in WEEKDAYS:
        if len(lowered) >= 3 and day.startswith(lowered):
            return day
    raise InvalidInput(f"`{raw}` is not a day of the week.")


def _working_weekday(raw: str) -> str:
    """Monday to Friday: the jobs run on working days only, so a weekend day would never come."""
    day = _weekday(raw)
    if WEEKDAYS.index(day) >= 5:
        raise InvalidInput(f"`{raw}` is a weekend day, and the jobs run on working days only, so nothing would "
                           "ever be sent on it. Use Monday to Friday (a holiday moves it to the next working day).")
    return day


def _holidays(raw: str) -> str:
    """A country code with an optional subdivision (GB-ENG, GB-SCT, IE, FR), or `none`."""
    code = raw.strip().upper()
    if code == "NONE":
        return "none"
    from jobs.calendar import holiday_calendar

    try:
        holiday_calendar(code, 2020)
    except (KeyError, NotImplementedError, ValueError):
        raise InvalidInput(
            f"`{raw}` is not a country (and region) the holidays calendar knows. "
            "Use an ISO code such as GB-ENG, GB-SCT, GB-NIR, IE, or `none`."
        ) from None
    return code


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: Any
    parse: Callable[[str], Any]
    meaning: str


SETTINGS: dict[str, SettingSpec] = {s.key: s for s in (
    SettingSpec("chase_time", "09:00", _time, "time of day (board's zone) the chase-actions job runs"),
    SettingSpec("chase_lead_days", 3, _int_between(0, 60), "days before the due date of the first reminder"),
    SettingSpec("chase_overdue_every_days", 7, _int_between(1, 60), "days between reminders while overdue"),
    SettingSpec("escalate_after", 3, _int_between(1, 20), "overdue reminders after which an action is escalated"),
    SettingSpec("digest_day", "monday", _working_weekday, "weekday of the escalation digest to chair and secretariat"),
    SettingSpec("holidays", "GB-ENG", _holidays, "public holidays skipped as non-working days (country-region)"),
    SettingSpec("update_request_days", 7, _int_between(1, 60), "days before a meeting partners are asked for updates"),
    SettingSpec("update_second_ask_days", 2, _int_between(0, 30), "days before a meeting of the second ask (0: none)"),
    SettingSpec("update_request_time", "09:00", _time, "time of day of the update requests"),
    SettingSpec("agenda_draft_days", 10, _int_between(1, 60), "days before a meeting the agenda draft goes to the chair"),
    SettingSpec("agenda_time", "09:00", _time, "time of day the agenda draft is compiled"),
    SettingSpec("year_start_month", 4, _int_between(1, 12),
                "first month of the reporting year; quarters start every 3 months from it (4: April, July, October, "
                "January); fixed once the board holds quarterly returns"),
    SettingSpec("quarterly_deadline_working_days", 15, _int_between(1, 40),
                "working days after a quarter's first working day that returns are due (at most 40, so the "
                "chase and the summary fall in the same quarter)"),
    SettingSpec("quarterly_chase_working_days", 5, _int_between(0, 30),
                "working days before the deadline of the chase of missing returns"),
    SettingSpec("quarterly_time", "09:00", _time, "time of day of the quarterly reminders"),
    SettingSpec("missed_run_grace_hours", 6, _int_between(1, 12),
                "a run missed while the bot was down still happens on return within this many hours, "
                "the same day before 20:00"),
)}


@dataclass(frozen=True)
class BoardConfig:
    """A board's job settings with defaults filled in (read-only)."""

    values: dict[str, Any]

    def __getattr__(self, key: str) -> Any:
        try:
            return self.values[key]
        except KeyError:
            raise AttributeError(key) from None

    def time_of(self, key: str) -> dt.time:
        hour, minute = self.values[key].split(":")
        return dt.time(int(hour), int(minute))

    @property
    def quarter_months(self) -> list[int]:
        """The months that start a quarter, e.g. [4, 7, 10, 1]."""
        start = int(self.values["year_start_month"])
        return [(start - 1 + 3 * k) % 12 + 1 for k in range(4)]

    @property
    def digest_weekday(self) -> int:
        return WEEKDAYS.index(self.values["digest_day"])


def board_config(board: Board) -> BoardConfig:
    """The board's settings over the defaults. A number stored when its range was wider is brought to the
    nearest allowed value (a grace of 24 hours is read as 12, not as the default 6); a weekday stored before
    weekends were refused is read as the Monday after; anything else malformed falls back to the default."""
    stored = board.settings or {}
    values: dict[str, Any] = {}
    for key, spec in SETTINGS.items():
        raw = stored.get(key)
        if raw is None:
            values[key] = spec.default
            continue
        try:
            values[key] = spec.parse(str(raw))
        except InvalidInput:
            values[key] = _stored_under_older_rules(spec, raw)
    return BoardConfig(values)


def _stored_under_older_rules(spec: SettingSpec, raw: Any) -> Any:
    bounds = getattr(spec.parse, "bounds", None)
    if bounds is not None:
        try:
            return min(max(int(str(raw)), bounds[0]), bounds[1])
        except ValueError:
            return spec.default
    if spec.parse is _working_weekday:
        try:
            _weekday(str(raw))
        except InvalidInput:
            return spec.default
        return "monday"  # a weekend day: the first working weekday after it
    return spec.default


def handle_board_set(req: Request) -> Reply:
    """`/lsp board set <key> <value> [board:"Name"]` (admins and the chair)."""
    parsed, board = req.parsed, req.board
    if len(parsed.args) < 2:
        raise UsageError("Name a setting and its new value.", examples=[
            "/lsp board set chase_lead_days 5", "/lsp board set chase_time 08:30", "/lsp board settings"])
    key = parsed.args[0].value.lower().replace("-", "_")
    spec = SETTINGS.get(key)
    if spec is None:
        raise InvalidInput(f"`{key}` is not a board setting. `/lsp board settings` lists them.",
                           examples=sorted(SETTINGS)[:4])
    raw = " ".join(a.value for a in parsed.args[1:])
    value = spec.default if raw.lower() == "default" else spec.parse(raw)
    if key == "year_start_month" and value != board_config(board).year_start_month:
        _refuse_year_change_with_returns(req, board, int(value))
    before = dict(board.settings or {})
    after = dict(before)
    if value == spec.default:
        after.pop(key, None)
    else:
        after[key] = value
    board.settings = after  # a new dict, so the JSON column is written
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="board", entity_id=board.id,
                 operation="settings", before={key: before.get(key)}, after={key: after.get(key)})
    return Reply("slack/reminder_settings.json.j2", {
        "board": board.name, "changed": key, "settings": _rows(board)})


def _refuse_year_change_with_returns(req: Request, board: Board, month: int) -> None:
    """A quarterly return is stored under its quarter's label (`2019-Q2`), read with the board's start month:
    moving the start month would move every stored return to three other months, so it is refused while
    the board has any."""
    count = perf_store.count_returns(session=req.session, board_id=board.id)
    if not count:
        return
    current = calendar.month_name[board_config(board).year_start_month]
    returns = f"{count} quarterly return" + ("s" if count != 1 else "")
    raise InvalidInput(
        f"{board.name} already holds {returns}, each filed under a quarter of a year that starts in {current}. "
        f"With the year starting in {calendar.month_name[month]}, every one of them would count for a different "
        "three months, so the start month can only change on a board with no quarterly returns.")


def handle_board_settings(req: Request) -> Reply:
    """`/lsp board settings`: every job setting, its value and default (members)."""
    board = req.board
    return Reply("slack/reminder_settings.json.j2", {"board": board.name, "changed": None, "settings": _rows(board)})


def _rows(board: Board) -> list[dict[str, Any]]:
    config = board_config(board)
    return [{"key": key, "value": str(config.values[key]), "default": str(spec.default),
             "changed": config.values[key] != spec.default, "meaning": spec.meaning}
            for key, spec in SETTINGS.items()]
