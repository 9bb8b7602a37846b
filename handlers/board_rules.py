"""A board's domain rules shared by the handlers and the jobs: the working-day calendar and the board's
configuration (each job setting's type, range and default).

Holidays come from the `holidays` package (default England and Wales, `GB-ENG`: the same bank holidays
as `GB-WLS`). Times of day are wall-clock times in the board's zone, so 09:00 stays 09:00 across the
summer-time changes (08:00 UTC in summer, 09:00 UTC in winter in London).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from handlers.base import InvalidInput
from handlers.dates import WEEKDAYS
from handlers.record_settings import QuorumRule, parse_day_of_year, parse_minute_format, parse_quorum, quorum_rule
from store import meetings
from store.models import Meeting
from store.models.views import BoardView

# ---------------------------------------------------------------- the working-day calendar


@functools.lru_cache(maxsize=256)
def holiday_calendar(code: str, year: int) -> frozenset[dt.date]:
    """The public holidays of `code` (`GB-ENG`, `IE`, `none`) in `year`."""
    if code.lower() == "none":
        return frozenset()
    country, _, subdiv = code.upper().partition("-")
    found = holidays.country_holidays(country, subdiv=subdiv or None, years=year)
    return frozenset(found.keys())


@functools.lru_cache(maxsize=256)
def holiday_name(code: str, day: dt.date) -> str:
    """The name of the public holiday of `code` on `day` (`Good Friday`), or "" if it is none."""
    if code.lower() == "none":
        return ""
    country, _, subdiv = code.upper().partition("-")
    return holidays.country_holidays(country, subdiv=subdiv or None, years=day.year).get(day) or ""


class WorkingCalendar:
    """Which days are working days for a board: weekends and the public holidays of its country are skipped."""

    def __init__(self, holiday_code: str = "GB-ENG") -> None:
        self.holiday_code = holiday_code

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in holiday_calendar(self.holiday_code, day.year)

    def why_not_working(self, day: dt.date) -> str | None:
        """`a Saturday`, `a bank holiday (Good Friday)`, or None on a working day."""
        if day.weekday() >= 5:
            return f"a {day:%A}"
        if day in holiday_calendar(self.holiday_code, day.year):
            return f"a bank holiday ({holiday_name(self.holiday_code, day)})"
        return None

    def next_working_day(self, day: dt.date) -> dt.date:
        """`day` itself if it is a working day, else the first one after it."""
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def previous_working_day(self, day: dt.date) -> dt.date:
        """`day` itself if it is a working day, else the last one before it."""
        while not self.is_working_day(day):
            day -= dt.timedelta(days=1)
        return day

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        """The working day `count` working days after (or, negative, before) `day`."""
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        while remaining:
            day += dt.timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day


class EveryDay(WorkingCalendar):
    """A calendar on which every day counts: for housekeeping jobs that tell nobody anything."""

    def __init__(self) -> None:
        super().__init__("none")

    def is_working_day(self, day: dt.date) -> bool:
        return True


def at_local(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """`time` on `day` in `tz`, as an aware UTC instant (a time skipped by the spring change moves forward)."""
    local = dt.datetime.combine(day, time, tz)
    # zoneinfo keeps non-existent wall times as given; normalise through UTC and back.
    return local.astimezone(dt.UTC)


def next_meeting(*, session: Any, board: BoardView, now: dt.datetime) -> Meeting | None:
    """The board's "next meeting", the same in every command: once a meeting has started (its start time on the
    board's clock), the next meeting is the following one; a meeting without a time is next for all its day."""
    today = now.astimezone(ZoneInfo(board.timezone)).date()
    return meetings.first_not_started(session=session, board_id=board.id, today=today, now=now)


# ---------------------------------------------------------------- the settings' types and ranges

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


def _yes_no(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("yes", "y", "true", "on", "1"):
        return True
    if lowered in ("no", "n", "false", "off", "0"):
        return False
    raise InvalidInput(f"`{raw}` is not yes or no.")


def _holidays(raw: str) -> str:
    """A country code with an optional subdivision (GB-ENG, GB-SCT, IE, FR), or `none`."""
    code = raw.strip().upper()
    if code == "NONE":
        return "none"
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
    """One board setting: its key, default, parser (which checks its range) and what it means."""

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
    SettingSpec("vice_chairs_max", 1, _int_between(1, 10), "how many vice-chairs the board may have at once"),
    SettingSpec("quorum", "none", parse_quorum,
                "what makes a meeting quorate: `members:1/3` (or `40%`, or `5`), `orgs:3`, `chair:yes` (the chair or "
                "a vice-chair there), any of them; `none`: no quorum"),
    SettingSpec("quorum_warning_time", "09:00", _time,
                "time of day of the warning, the working day before a meeting, that the replies so far make it "
                "inquorate"),
    SettingSpec("interests_ask_day", "start", parse_day_of_year,
                "day each member is asked to confirm their register of interests: `start` (the first working day of "
                "the board's year) or a day like `09-01` (the first working day on or after it)"),
    SettingSpec("interests_ask_time", "09:00", _time, "time of day of the yearly ask about interests"),
    SettingSpec("purge_time", "09:00", _time,
                "time of day of the daily purge of delivered messages' content (the outbox is shared by every board)"),
    SettingSpec("minute_format", "LSP/{yy}/{n}", parse_minute_format,
                "a minute's number: {initials} (the board's), {yy} or {yyyy} (the meeting's year), {n} (the running "
                "number in that year; {nn}, {nnn}: 2 or 3 digits at least)"),
    SettingSpec("minutes_due_days", 5, _int_between(1, 30),
                "working days after a meeting by which its minutes are to be circulated"),
    SettingSpec("minutes_time", "09:00", _time,
                "time of day of the reminder to circulate the minutes (and the chair's note when they are late)"),
    SettingSpec("close_meetings_time", "23:30", _time,
                "time of day a meeting left open is closed, at the end of its day (every day)"),
    SettingSpec("public", False, _yes_no,
                "whether the board's web pages are public (`yes`: the forward plan, published packs without "
                "confidential items, confirmed minutes, decisions and annual reports); `no`: members only"),
    SettingSpec("publication_days", 5, _int_between(1, 20),
                "clear working days before a meeting its agenda pack is published (the day of publication and the "
                "meeting's day do not count)"),
    SettingSpec("paper_deadline_days", 3, _int_between(0, 20),
                "working days before the pack's publication that papers are due from their authors"),
    SettingSpec("paper_max_mb", 20, _int_between(1, 100), "largest paper accepted, in MB"),
    SettingSpec("papers_chase_time", "09:00", _time, "time of day authors are reminded of papers due"),
)}


# ---------------------------------------------------------------- a board's configuration


@dataclass(frozen=True)
class BoardConfig:
    """A board's job settings with defaults filled in (read-only). Times of day are `HH:MM` in the board's
    zone, weekdays lower-case English names, `holidays` a country(-region) code or `none`."""

    chase_time: str
    chase_lead_days: int
    chase_overdue_every_days: int
    escalate_after: int
    digest_day: str
    holidays: str
    update_request_days: int
    update_second_ask_days: int
    update_request_time: str
    agenda_draft_days: int
    agenda_time: str
    year_start_month: int
    quarterly_deadline_working_days: int
    quarterly_chase_working_days: int
    quarterly_time: str
    missed_run_grace_hours: int
    vice_chairs_max: int
    quorum: str
    quorum_warning_time: str
    interests_ask_day: str
    interests_ask_time: str
    purge_time: str
    minute_format: str
    minutes_due_days: int
    minutes_time: str
    close_meetings_time: str
    public: bool
    publication_days: int
    paper_deadline_days: int
    paper_max_mb: int
    papers_chase_time: str

    def value_of(self, key: str) -> Any:
        """The setting named `key` (one of SETTINGS)."""
        if key not in SETTINGS:
            raise KeyError(key)
        return getattr(self, key)

    def time_of(self, key: str) -> dt.time:
        """The time-of-day setting named `key`, as a time."""
        hour, minute = self.value_of(key).split(":")
        return dt.time(int(hour), int(minute))

    @property
    def quarter_months(self) -> list[int]:
        """The months that start a quarter, e.g. [4, 7, 10, 1]."""
        return [(self.year_start_month - 1 + 3 * k) % 12 + 1 for k in range(4)]

    @property
    def quorum_rule(self) -> QuorumRule:
        """The quorum setting read as a rule (no part set: no quorum)."""
        return quorum_rule(self.quorum)

    @property
    def digest_weekday(self) -> int:
        """The digest day as a weekday number (Monday 0)."""
        return WEEKDAYS.index(self.digest_day)



def board_config(board: BoardView) -> BoardConfig:
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
    return BoardConfig(**values)


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
