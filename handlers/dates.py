"""Natural due dates: `Friday`, `next Friday`, `15 July`, `2019-07-15`, `in 2 weeks`, `end of month`...

python-dateutil's parser reads absolute dates well but silently misreads relative
phrases (`in 2 weeks` becomes the 2nd of this month), so relative phrases are matched
first by the small grammar below, built on `relativedelta`; only what is left goes to
`dateutil.parser` with day-first (British) ordering and a guard against stray words.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

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


RECENT_PAST_DAYS = 92  # a day and month without a year, this far back at most, is this year's


class DateParseError(ValueError):
    """The phrase is not a date we understand."""

    def __init__(self, phrase: str, reason: str = "not a date I understand") -> None:
        super().__init__(f"{phrase!r}: {reason}")
        self.phrase = phrase
        self.reason = reason


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


def parse_date(
    phrase: str,
    today: dt.date,
    next_meeting: Callable[[], dt.date | None] | None = None,
) -> dt.date:
    """Turn a natural phrase into a date, relative to `today` in the board's time zone, from 1900 to 2999."""
    day = _read_date(phrase, today, next_meeting)
    if not EARLIEST <= day <= LATEST:
        raise DateParseError(phrase, f"{day.year} is not a year a board plans for")
    return day


def _read_date(phrase: str, today: dt.date, next_meeting: Callable[[], dt.date | None] | None) -> dt.date:
    text = _normalise(phrase)
    if not text:
        raise DateParseError(phrase, "no date given")
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
        if m.group(2) in ("week", "month"):
            if m.group(1) == "next ":
                return today + (relativedelta(weeks=1) if m.group(2) == "week" else relativedelta(months=1))
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
