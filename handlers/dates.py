"""Natural due dates: `Friday`, `next Friday`, `15 July`, `2019-07-15`, `in 2 weeks`, `end of month`, `end of March`,
`mid-April`, `next week`, `Q1`...

python-dateutil's parser reads absolute dates well but silently misreads relative
phrases (`in 2 weeks` becomes the 2nd of this month), so relative phrases are matched
first by the small grammar below, built on `relativedelta`; only what is left goes to
`dateutil.parser` with day-first (British) ordering and a guard against stray words.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from dateutil import parser as du_parser
from dateutil.relativedelta import relativedelta

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY_ABBR = {d[:3]: i for i, d in enumerate(WEEKDAYS)} | {d: i for i, d in enumerate(WEEKDAYS)}
_WEEKDAY_ABBR |= {"tue": 1, "tues": 1, "wed": 2, "weds": 2, "thu": 3, "thur": 3, "thurs": 3}
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
_UNITS = {"day": "days", "week": "weeks", "fortnight": "fortnights", "month": "months", "year": "years"}

EXAMPLES = ("Friday", "next Friday", "15 July", "2019-07-15", "in 2 weeks", "end of month", "next meeting")
YEAR_EXAMPLES = ("31 March {year}", "end of March {year}", "{year}-03-31")


RECENT_PAST_DAYS = 92  # a day and month without a year, this far back at most, is this year's


class DateParseError(ValueError):
    """The phrase is not a date we understand."""

    def __init__(self, phrase: str, reason: str = "not a date I understand",
                 examples: tuple[str, ...] | None = None) -> None:
        super().__init__(f"{phrase!r}: {reason}")
        self.phrase = phrase
        self.reason = reason
        self.examples = examples  # what to say instead, when the usual examples would not help


def _normalise(phrase: str) -> str:
    text = phrase.strip().lower().rstrip(".")
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"^(by|on|before|due) ", "", text)


def _end_of_month(today: dt.date) -> dt.date:
    return today + relativedelta(day=31)


def _quarter_end(today: dt.date) -> dt.date:
    month = ((today.month - 1) // 3 + 1) * 3
    return dt.date(today.year, month, 1) + relativedelta(day=31)


EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2999, 12, 31)  # a board's dates; 9999-12-31 + a day overflows


def _month_number(word: str) -> int | None:
    """1-12 for a month's name or its abbreviation of three letters or more."""
    if len(word) < 3:
        return None
    for i, month in enumerate(_MONTHS[:12]):
        if month.startswith(word):
            return i + 1
    return 9 if word == "sept" else None


def _coming(today: dt.date, make: Callable[[int], dt.date], year: str | None) -> dt.date:
    """The day `make(year)` of the given year; without one, read as `15 July` is: this year's unless it is more
    than RECENT_PAST_DAYS back (then next year's)."""
    if year:
        return make(int(year))
    day = make(today.year)
    return day if day >= today - dt.timedelta(days=RECENT_PAST_DAYS) else make(today.year + 1)


def _quarter_end_of_board(today: dt.date, quarter: int, year_start_month: int) -> dt.date:
    """The last day of the board's quarter `quarter` (1-4) that has not ended before `today`."""
    first_month = (year_start_month - 1 + 3 * (quarter - 1)) % 12 + 1
    for year in (today.year - 1, today.year, today.year + 1):
        end = dt.date(year, first_month, 1) + relativedelta(months=2, day=31)
        if end >= today:
            return end
    raise AssertionError("a quarter ends within a year")  # pragma: no cover


def _not_a_day(phrase: str, text: str) -> None:
    """Refuse, with the reason, a day that does not exist in its month (`31/02`, `29 February 2019`)."""
    day = month = year = None
    if m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?", text):
        day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
    elif m := re.fullmatch(r"(?:[a-z]+,? )?(\d{1,2})(?:st|nd|rd|th)? (?:of )?([a-z]+),?(?: (\d{4}))?", text):
        day, month, year = int(m.group(1)), _month_number(m.group(2)), m.group(3)
    elif m := re.fullmatch(r"(?:[a-z]+,? )?([a-z]+) (\d{1,2})(?:st|nd|rd|th)?,?(?: (\d{4}))?", text):
        day, month, year = int(m.group(2)), _month_number(m.group(1)), m.group(3)
    if day is None or month is None or not 1 <= month <= 12:
        return
    name = _MONTHS[month - 1].capitalize()
    if month == 2 and day == 29:
        if year and not calendar.isleap(int(year)):
            raise DateParseError(phrase, f"{year} is not a leap year, so February has 28 days")
        return
    longest = 29 if month == 2 else calendar.monthrange(2001, month)[1]
    if day > longest or day == 0:
        days = "28 days (29 in a leap year)" if month == 2 else f"{longest} days"
        raise DateParseError(phrase, f"{name} has {days}, so there is no {day} {name}")


def parse_date(
    phrase: str,
    today: dt.date,
    next_meeting: Callable[[], dt.date | None] | None = None,
    *,
    year_start_month: int = 4,
) -> dt.date:
    """Turn a natural phrase into a date, relative to `today` in the board's time zone, from 1900 to 2999.
    `Q1` and `end of Q1` are the board's quarters, counted from `year_start_month`."""
    day = _read_date(phrase, today, next_meeting, year_start_month)
    if not EARLIEST <= day <= LATEST:
        raise DateParseError(phrase, f"{day.year} is not a year a board plans for")
    return day


def _read_date(phrase: str, today: dt.date, next_meeting: Callable[[], dt.date | None] | None,
               year_start_month: int = 4) -> dt.date:
    text = _normalise(phrase)
    if not text:
        raise DateParseError(phrase, "no date given")
    if re.fullmatch(r"(?:the )?(?:end of )?(?:the )?(\d{4})", text):
        year = re.findall(r"\d{4}", text)[0]
        raise DateParseError(phrase, f"a year alone is not a date: say which day of {year}",
                             tuple(e.format(year=year) for e in YEAR_EXAMPLES))
    if m := re.fullmatch(r"(?:(?:the )?end of )?(?:the )?q([1-4])", text):
        return _quarter_end_of_board(today, int(m.group(1)), year_start_month)
    if m := re.fullmatch(r"(?:the )?(end|mid|middle)(?: of |-| |- )(?:the )?([a-z]+)(?: (\d{4}))?", text):
        month = _month_number(m.group(2))
        if month is not None:
            if m.group(1) == "end":
                return _coming(today, lambda y: dt.date(y, month, 1) + relativedelta(day=31), m.group(3))
            return _coming(today, lambda y: dt.date(y, month, 15), m.group(3))
    if text == "next week":  # the Friday of next week (Monday-start weeks), like "end of next week"
        return today + dt.timedelta(days=7 - today.weekday() + 4)
    if text == "today":
        return today
    if text == "tomorrow":
        return today + dt.timedelta(days=1)
    if text in ("next meeting", "the next meeting"):
        found = next_meeting() if next_meeting else None
        if found is None:
            raise DateParseError(phrase, "the board has no future meeting in its plan")
        return found
    if m := re.fullmatch(r"(?:the )?end of (?:the )?(week|month|quarter|year)", text):
        unit = m.group(1)
        if unit == "week":
            return today + dt.timedelta(days=(4 - today.weekday()) % 7)  # Friday of this week
        if unit == "month":
            return _end_of_month(today)
        if unit == "quarter":
            return _quarter_end(today)
        return dt.date(today.year, 12, 31)
    if m := re.fullmatch(r"end of next (week|month)", text):
        if m.group(1) == "week":
            return today + dt.timedelta(days=(4 - today.weekday()) % 7 + 7)
        return _end_of_month(today + relativedelta(months=1, day=1))
    if m := re.fullmatch(r"(?:in )?(\d+|[a-z]+) (day|week|fortnight|month|year)s?['’]?(?: time)?", text):
        count_word = m.group(1)
        count = int(count_word) if count_word.isdigit() else _NUMBER_WORDS.get(count_word)
        if count is None or count > 520:
            raise DateParseError(phrase)
        unit = _UNITS[m.group(2)]
        if unit == "fortnights":
            return today + relativedelta(weeks=2 * count)
        return today + relativedelta(**{unit: count})
    if m := re.fullmatch(r"(this |next |this coming )?([a-z]+)", text):
        day = _WEEKDAY_ABBR.get(m.group(2))
        if day is not None:
            ahead = (day - today.weekday()) % 7 or 7  # a bare weekday is the next one after today
            if (m.group(1) or "").strip() == "next":
                # "next Friday" is the Friday of next week (Monday-start weeks).
                monday_next = today + dt.timedelta(days=7 - today.weekday())
                return monday_next + dt.timedelta(days=day)
            return today + dt.timedelta(days=ahead)
        if m.group(2) == "month" and m.group(1) == "next ":
            return today + relativedelta(months=1)
    return _parse_absolute(phrase, text, today)


def parse_absolute_date(phrase: str, today: dt.date | None = None) -> dt.date:
    """A date written out: `2019-07-15`, `15/07/2019` (day first), `15 July 2019`, `Monday 15th July 2019`, from 1900
    to 2999. Without `today` the year is required; with it, `15 July` is the coming one (or one at most
    RECENT_PAST_DAYS back) and `the 15th` is in this month."""
    day = _parse_absolute(phrase, _normalise(phrase), today)
    if not EARLIEST <= day <= LATEST:
        raise DateParseError(phrase, f"{day.year} is not a year a board plans for")
    return day


def _parse_absolute(phrase: str, text: str, today: dt.date | None) -> dt.date:
    """The one reading of absolute dates (see parse_absolute_date)."""
    if not re.search(r"\d", text):
        raise DateParseError(phrase)
    _not_a_day(phrase, text)
    # Only words that can belong to a date; anything else means dateutil would be guessing.
    words = re.findall(r"[a-z]+", text)
    allowed = {"st", "nd", "rd", "th", "of", "the"}
    has_month = False
    for w in words:
        if w in allowed or w in _WEEKDAY_ABBR:
            continue
        if not any(month.startswith(w) and len(w) >= 3 for month in _MONTHS):
            raise DateParseError(phrase)
        has_month = True
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    british = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    has_year = bool(re.search(r"\b\d{4}\b|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", text))
    if today is None and not iso and not british and not (has_year and has_month):
        raise DateParseError(phrase, "not a date with its year, like 2019-07-15")
    try:
        if iso:
            return dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        if british:
            return dt.date(int(british.group(3)), int(british.group(2)), int(british.group(1)))
        default = dt.datetime(today.year, today.month, 1) if today else dt.datetime(2000, 1, 1)
        parsed = du_parser.parse(text, dayfirst=True, default=default).date()
    except (ValueError, OverflowError) as exc:
        raise DateParseError(phrase) from exc
    if today is None or has_year:
        return parsed
    if parsed.year != today.year:
        raise DateParseError(phrase)  # e.g. "32 July" read as the year 2032
    if parsed < today - dt.timedelta(days=RECENT_PAST_DAYS):
        # "15 January" said in December means next January; "15 July" said on 16 July means yesterday
        # (a due date there is refused as past; `/agenda draft 15 July` finds the meeting just held).
        parsed = parsed + relativedelta(years=1)
    return parsed


_MONTHS = [
    "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december", "sept",
]


MOMENT = dt.timedelta(minutes=2)  # a change this recent was made "a moment ago"


def ago(now: dt.datetime, at: dt.datetime, zone: str) -> str:
    """When a change was made, as a reply tells someone whose own change came second: "a moment ago",
    "5 minutes ago", or "on 3 July 2019 at 10:05" (in `zone`)."""
    since = now - at
    if since < MOMENT:
        return "a moment ago"
    if since < dt.timedelta(hours=1):
        return f"{since.seconds // 60} minutes ago"
    return f"on {at.astimezone(ZoneInfo(zone)):%-d %B %Y at %H:%M}"
