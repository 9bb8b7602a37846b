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
from store import meetings
from store.models import Board, Meeting

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


def next_meeting(*, session: Any, board: Board, now: dt.datetime) -> Meeting | None:
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


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_MINUTE_YEARS = {"yy": lambda year: f"{year % 100:02d}", "yyyy": lambda year: f"{year:04d}"}
_MINUTE_NUMBERS = {"n": "{}", "nn": "{:02d}", "nnn": "{:03d}"}
_MINUTE_TEXT = re.compile(r"^[A-Za-z0-9/\-._ ]*$")


def _minute_format(raw: str) -> str:
    """A minute number's pattern: `{initials}` (the board's), `{yy}` or `{yyyy}`, and `{n}` (`{nn}`, `{nnn}`: at
    least 2 or 3 digits), among letters, digits and / - . _ — one year and one number, so every minute's
    number is the board's own."""
    value = raw.strip()
    names = _PLACEHOLDER.findall(value)
    unknown = [n for n in names if n not in (*_MINUTE_YEARS, *_MINUTE_NUMBERS, "initials")]
    if unknown:
        raise InvalidInput(f"`{{{unknown[0]}}}` is not a placeholder of a minute number. Use {{initials}}, {{yy}} or "
                           "{yyyy}, and {n} (or {nn}, {nnn}), like LSP/{yy}/{n}.")
    if sum(n in _MINUTE_YEARS for n in names) != 1 or sum(n in _MINUTE_NUMBERS for n in names) != 1:
        raise InvalidInput(f"`{raw}` needs one year ({{yy}} or {{yyyy}}) and one running number ({{n}}): the "
                           "number starts again each year, so both make a minute's number the board's own. "
                           "Like LSP/{yy}/{n}.")
    if not _MINUTE_TEXT.match(_PLACEHOLDER.sub("", value)) or len(value) > 30:
        raise InvalidInput(f"`{raw}` may hold only letters, digits, / - . _ and the placeholders, at most 30 "
                           "characters. Like LSP/{yy}/{n}.")
    return value


def minute_number(pattern: str, board_name: str, year: int, seq: int) -> str:
    """A minute's number from the board's `minute_format`: `LSP/{yy}/{n}` → `LSP/19/23`."""
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z0-9]+", board_name)).upper() or "B"

    def fill(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _MINUTE_YEARS:
            return _MINUTE_YEARS[name](year)
        if name in _MINUTE_NUMBERS:
            return _MINUTE_NUMBERS[name].format(seq)
        return initials

    return _PLACEHOLDER.sub(fill, pattern)
# ---------------------------------------------------------------- quorum


@dataclass(frozen=True)
class QuorumRule:
    """What makes a meeting quorate (`members:1/3 orgs:3 chair:yes`): at least `members_count` members, or that
    share (`members_share` as (numerator, denominator)) of the board's members; at least `orgs` organisations;
    the chair or a vice-chair present. Every part given must hold. No part: no quorum is set."""

    members_count: int | None = None
    members_share: tuple[int, int] | None = None
    orgs: int | None = None
    chair: bool = False

    @property
    def is_set(self) -> bool:
        return bool(self.members_count or self.members_share or self.orgs or self.chair)

    def members_needed(self, of: int) -> int:
        """How many of `of` counted members must be there (0 if the rule sets no number)."""
        if self.members_count:
            return self.members_count
        if self.members_share:
            num, den = self.members_share
            return -(-of * num // den)  # rounded up: a third of 10 is 4
        return 0

    def share_words(self) -> str:
        """The share of members in words (`a third`, `40%`, `2/5`), or "" for a number of members or none."""
        if not self.members_share:
            return ""
        num, den = self.members_share
        named = {(1, 2): "half", (1, 3): "a third", (2, 3): "two thirds", (1, 4): "a quarter",
                 (3, 4): "three quarters", (1, 1): "all"}.get((num, den))
        return named or (f"{num}%" if den == 100 else f"{num}/{den}")

    def members_words(self) -> str:
        """`a third of members`, `40% of members`, `5 members`, or ""."""
        if self.members_count:
            return f"{self.members_count} member{'s' if self.members_count != 1 else ''}"
        return f"{self.share_words()} of members" if self.members_share else ""

    def __str__(self) -> str:
        parts = []
        if self.members_count:
            parts.append(f"members:{self.members_count}")
        elif self.members_share:
            num, den = self.members_share
            parts.append(f"members:{num}%" if den == 100 else f"members:{num}/{den}")
        if self.orgs:
            parts.append(f"orgs:{self.orgs}")
        if self.chair:
            parts.append("chair:yes")
        return " ".join(parts) or "none"


QUORUM_EXAMPLES = ["/lsp board set quorum members:1/3 orgs:3 chair:yes", "/lsp board set quorum members:5",
                   "/lsp board set quorum none"]
_QUORUM_PARTS = {"members": "members", "orgs": "orgs", "organisations": "orgs", "organizations": "orgs",
                 "chair": "chair"}


def quorum_rule(raw: str) -> QuorumRule:
    """`members:1/3 orgs:3 chair:yes` (any of the parts, in any order; `members:` a share `1/3`, a percentage
    `40%` or a number `5`), or `none`: the board's quorum. Refused with the reason if any part is wrong."""
    text = " ".join(raw.replace(",", " ").split()).lower()
    if text in ("none", "off", "no", ""):
        return QuorumRule()
    found: dict[str, str] = {}
    for word in text.split():
        key, sep, value = word.partition(":")
        part = _QUORUM_PARTS.get(key)
        if not sep or part is None:
            raise InvalidInput(f"`{word}` is not part of a quorum. Use `members:`, `orgs:` and `chair:`, or `none`.",
                               examples=QUORUM_EXAMPLES)
        if part in found:
            raise InvalidInput(f"`{part}:` is given twice.", examples=QUORUM_EXAMPLES)
        found[part] = value
    rule: dict[str, Any] = {}
    if "members" in found:
        rule.update(_quorum_members(found["members"]))
    if "orgs" in found:
        value = found["orgs"]
        if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 100:
            raise InvalidInput(f"`orgs:{value}` must be a whole number of organisations from 1 to 100.",
                               examples=QUORUM_EXAMPLES)
        rule["orgs"] = int(value)
    if "chair" in found:
        if found["chair"] not in ("yes", "no"):
            raise InvalidInput(f"`chair:{found['chair']}` must be `yes` (the chair or a vice-chair must be there) "
                               "or `no`.", examples=QUORUM_EXAMPLES)
        rule["chair"] = found["chair"] == "yes"
    return QuorumRule(**rule)


def _quorum_members(value: str) -> dict[str, Any]:
    wrong = InvalidInput(f"`members:{value}` must be a share of the members (`1/3`, `1/2`), a percentage (`40%`) "
                         "or a number of members (`5`).", examples=QUORUM_EXAMPLES)
    if value.endswith("%"):
        number = value[:-1]
        if not (number.isascii() and number.isdigit()) or not 1 <= int(number) <= 100:
            raise InvalidInput(f"`members:{value}`: a percentage goes from 1% to 100%.", examples=QUORUM_EXAMPLES)
        return {"members_share": (int(number), 100)}
    if "/" in value:
        num, _, den = value.partition("/")
        if not all(p.isascii() and p.isdigit() for p in (num, den)) or not num or not den:
            raise wrong
        if not 0 < int(num) <= int(den) <= 100:
            raise InvalidInput(f"`members:{value}`: a share goes from more than none to all (`1/3`, `2/3`, `1/1`).",
                               examples=QUORUM_EXAMPLES)
        return {"members_share": (int(num), int(den))}
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 500:
        raise wrong
    return {"members_count": int(value)}


def _quorum(raw: str) -> str:
    """A quorum setting in its one written form (`members:1/3 orgs:3 chair:yes`, or `none`)."""
    return str(quorum_rule(raw))


_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")


def _day_of_year(raw: str) -> str:
    """`start` (the first working day of the board's year), or a day of the year as `MM-DD` or `1 September`."""
    text = " ".join(raw.strip().lower().split())
    if text in ("start", "year start", "year_start"):
        return "start"
    m = _MONTH_DAY.match(text)
    try:
        day = dt.date(2019, int(m.group(1)), int(m.group(2))) if m else dt.datetime.strptime(text, "%d %B").date()
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput(f"`{raw}` is not a day of the year. Use `start` (the first working day of the board's "
                           "year), or a day like `09-01` or `1 September` (29 February is not in every year).")
    return f"{day:%m-%d}"


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
    SettingSpec("quorum", "none", _quorum,
                "what makes a meeting quorate: `members:1/3` (or `40%`, or `5`), `orgs:3`, `chair:yes` (the chair or "
                "a vice-chair there), any of them; `none`: no quorum"),
    SettingSpec("quorum_warning_time", "09:00", _time,
                "time of day of the warning, the working day before a meeting, that the replies so far make it "
                "inquorate"),
    SettingSpec("interests_ask_day", "start", _day_of_year,
                "day each member is asked to confirm their register of interests: `start` (the first working day of "
                "the board's year) or a day like `09-01` (the first working day on or after it)"),
    SettingSpec("interests_ask_time", "09:00", _time, "time of day of the yearly ask about interests"),
    SettingSpec("purge_time", "09:00", _time,
                "time of day of the daily purge of delivered messages' content (the outbox is shared by every board)"),
    SettingSpec("minute_format", "LSP/{yy}/{n}", _minute_format,
                "a minute's number: {initials} (the board's), {yy} or {yyyy} (the meeting's year), {n} (the running "
                "number in that year; {nn}, {nnn}: 2 or 3 digits at least)"),
    SettingSpec("minutes_due_days", 5, _int_between(1, 30),
                "working days after a meeting by which its minutes are to be circulated"),
    SettingSpec("minutes_time", "09:00", _time,
                "time of day of the reminder to circulate the minutes (and the chair's note when they are late)"),
    SettingSpec("close_meetings_time", "23:30", _time,
                "time of day a meeting left open is closed, at the end of its day (every day)"),
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
