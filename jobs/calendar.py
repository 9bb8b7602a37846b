"""Working days: weekends and the public holidays of a board's country are skipped.

Holidays come from the `holidays` package (default England and Wales, `GB-ENG`: the same bank holidays
as `GB-WLS`). Times of day are wall-clock times in the board's zone, so 09:00 stays 09:00 across the
summer-time changes (08:00 UTC in summer, 09:00 UTC in winter in London).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import holidays


@functools.lru_cache(maxsize=256)
def holiday_calendar(code: str, year: int) -> frozenset[dt.date]:
    """The public holidays of `code` (`GB-ENG`, `IE`, `none`) in `year`."""
    if code.lower() == "none":
        return frozenset()
    country, _, subdiv = code.upper().partition("-")
    found = holidays.country_holidays(country, subdiv=subdiv or None, years=year)
    return frozenset(found.keys())


class WorkingCalendar:
    """Which days are working days for a board."""

    def __init__(self, holiday_code: str = "GB-ENG") -> None:
        self.holiday_code = holiday_code

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in holiday_calendar(self.holiday_code, day.year)

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

    def working_days(self, start: dt.date, end: dt.date) -> Iterator[dt.date]:
        """Working days from `start` to `end` inclusive."""
        day = start
        while day <= end:
            if self.is_working_day(day):
                yield day
            day += dt.timedelta(days=1)


def at_local(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """`time` on `day` in `tz`, as an aware UTC instant (a time skipped by the spring change moves forward)."""
    local = dt.datetime.combine(day, time, tz)
    # zoneinfo keeps non-existent wall times as given; normalise through UTC and back.
    return local.astimezone(dt.timezone.utc)
