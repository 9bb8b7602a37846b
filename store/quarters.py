"""Quarters of a board's reporting year (the UK financial year by default: April to March).

A quarter is labelled by the calendar year in which its reporting year starts and its
number within that year: with an April start, `2019-Q1` is April-June 2019 and `2019-Q4`
is January-March 2020; with a January start the labels are plain calendar quarters.
The start month is a board setting, `Board.settings["year_start_month"]` (1-12, default 4).

A quarterly return reports on a quarter that has ended: the returns asked for in July (the first
working day of 2019-Q2) are those for 2019-Q1, April-June. `Quarter.reported_on(day)` is that quarter.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta

DEFAULT_YEAR_START_MONTH = 4
YEAR_START_SETTING = "year_start_month"

_FORMS = (
    re.compile(r"^(?P<year>\d{4})\s*[-/ ]?\s*q(?P<q>[1-4])$"),  # 2019-Q2, 2019Q2, 2019 Q2
    re.compile(r"^q(?P<q>[1-4])\s*[-/ ]?\s*(?P<year>\d{4})$"),  # Q2 2019, Q2-2019
    re.compile(r"^(?P<year>\d{4})/(?P<next>\d{2})\s*[- ]?\s*q(?P<q>[1-4])$"),  # 2019/20 Q2
    re.compile(r"^q(?P<q>[1-4])\s*[- ]?\s*(?P<year>\d{4})/(?P<next>\d{2})$"),  # Q2 2019/20
)
EXAMPLES = ("2019-Q2", "Q2 2019", "2019/20 Q2")
YEARS = range(1900, 3000)  # the years a board reports on; a date of year 0 or past 9999 does not exist


def is_year(text: str) -> bool:
    """Four ASCII digits naming a year in YEARS (`0000`, `²²²²` and `9999` are not)."""
    return bool(re.fullmatch(r"[0-9]{4}", text)) and int(text) in YEARS


def year_start_month(settings: dict[str, Any] | None) -> int:
    """The board's first month of the reporting year, from its settings (default April)."""
    value = (settings or {}).get(YEAR_START_SETTING, DEFAULT_YEAR_START_MONTH)
    try:
        month = int(value)
    except (TypeError, ValueError):
        return DEFAULT_YEAR_START_MONTH
    return month if 1 <= month <= 12 else DEFAULT_YEAR_START_MONTH


@dataclass(frozen=True, order=True)
class Quarter:
    """One quarter of a reporting year that starts in `start_month`."""

    year: int
    number: int
    start_month: int = DEFAULT_YEAR_START_MONTH

    @classmethod
    def containing(cls, day: dt.date, start_month: int = DEFAULT_YEAR_START_MONTH) -> Quarter:
        """The quarter a date falls in."""
        months = (day.year * 12 + day.month - 1) - start_month + 1  # months since January of year 0 of the year
        year, offset = divmod(months, 12)
        return cls(year, offset // 3 + 1, start_month)

    @classmethod
    def reported_on(cls, day: dt.date, start_month: int = DEFAULT_YEAR_START_MONTH) -> Quarter:
        """The quarter whose returns are reported on a date: the last one complete before it (on 16 July
        2019, April-June 2019), not the one in progress."""
        return cls.containing(day, start_month).shift(-1)

    @classmethod
    def parse(cls, text: str, start_month: int = DEFAULT_YEAR_START_MONTH) -> Quarter:
        """`2019-Q2`, `2019Q2`, `Q2 2019`, `2019/20 Q2`; ValueError otherwise."""
        cleaned = re.sub(r"\s+", " ", text.strip().lower())
        for form in _FORMS:
            m = form.match(cleaned)
            if m is None:
                continue
            if not is_year(m.group("year")):
                raise ValueError(f"{text!r}: {m.group('year')} is not a year a board reports on")
            year = int(m.group("year"))
            nxt = m.groupdict().get("next")
            if nxt is not None and int(nxt) != (year + 1) % 100:
                raise ValueError(f"{text!r}: {year}/{nxt} is not a year and the one after it")
            return cls(year, int(m.group("q")), start_month)
        raise ValueError(f"{text!r} is not a quarter")

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.start_month, 1) + relativedelta(months=3 * (self.number - 1))

    @property
    def end(self) -> dt.date:
        """The last day of the quarter."""
        return self.start + relativedelta(months=3, days=-1)

    def shift(self, quarters: int) -> Quarter:
        index = self.year * 4 + self.number - 1 + quarters
        return Quarter(index // 4, index % 4 + 1, self.start_month)

    def previous(self, count: int) -> list[Quarter]:
        """The `count` quarters before this one, oldest first."""
        return [self.shift(-n) for n in range(count, 0, -1)]

    @property
    def year_label(self) -> str:
        """`2019/20` for a year that straddles two calendar years, `2019` otherwise."""
        return str(self.year) if self.start_month == 1 else f"{self.year}/{(self.year + 1) % 100:02d}"

    @property
    def short(self) -> str:
        """`Q2 2019/20`."""
        return f"Q{self.number} {self.year_label}"

    @property
    def months(self) -> str:
        """`Jul–Sep 2019`."""
        start, end = self.start, self.end
        if start.year == end.year:
            return f"{start:%b}–{end:%b %Y}"
        return f"{start:%b %Y}–{end:%b %Y}"

    @property
    def title(self) -> str:
        """`Q2 2019/20 (Jul–Sep 2019)`."""
        return f"{self.short} ({self.months})"

    def __str__(self) -> str:
        return self.label


def year_quarters(year: int, start_month: int = DEFAULT_YEAR_START_MONTH) -> list[Quarter]:
    """The four quarters of the reporting year that starts in `year`."""
    return [Quarter(year, n, start_month) for n in range(1, 5)]


def year_bounds(year: int, start_month: int = DEFAULT_YEAR_START_MONTH) -> tuple[dt.date, dt.date]:
    """First and last day of the reporting year that starts in `year`."""
    quarters = year_quarters(year, start_month)
    return quarters[0].start, quarters[-1].end
