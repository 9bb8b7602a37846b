"""The APScheduler trigger of every job: a wall-clock time in the board's zone on each working day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger

from handlers.board_rules import WorkingCalendar, at_local

_TINY = dt.timedelta(microseconds=1)


class WorkingDayTrigger(BaseTrigger):
    """Fires at `at` (board time) on working days: weekends and the board's public holidays skipped."""

    def __init__(self, at: dt.time, timezone: str, calendar: WorkingCalendar) -> None:
        self.at = at
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self.calendar = calendar

    def get_next_fire_time(self, previous_fire_time: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
        """The first fire time at or after `now` (or, after a previous fire, the one following it, so
        APScheduler can see runs it missed and coalesce them)."""
        start = min(now, previous_fire_time + _TINY) if previous_fire_time else now
        return self.first_at_or_after(start)

    def first_at_or_after(self, start: dt.datetime) -> dt.datetime:
        day = start.astimezone(self.tz).date()
        while True:
            if self.calendar.is_working_day(day):
                fire = at_local(day, self.at, self.tz)
                if fire >= start:
                    return fire
            day += dt.timedelta(days=1)

    def latest_at_or_before(self, moment: dt.datetime, *, not_before: dt.datetime) -> dt.datetime | None:
        """The last fire time in [not_before, moment], if any: the one occasion a catch-up runs."""
        day = moment.astimezone(self.tz).date()
        while True:
            fire = at_local(day, self.at, self.tz)
            if fire < not_before:
                return None
            if fire <= moment and self.calendar.is_working_day(day):
                return fire
            day -= dt.timedelta(days=1)

    def fire_times(self, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
        """Every fire time in [start, end] (the demo and tests walk a quarter with these)."""
        out: list[dt.datetime] = []
        fire = self.first_at_or_after(start)
        while fire <= end:
            out.append(fire)
            fire = self.first_at_or_after(fire + _TINY)
        return out

    def __str__(self) -> str:
        if type(self.calendar).is_working_day is not WorkingCalendar.is_working_day:
            return f"every day at {self.at:%H:%M} {self.timezone}"
        return f"working days at {self.at:%H:%M} {self.timezone} (holidays: {self.calendar.holiday_code})"

    def __repr__(self) -> str:
        return f"<WorkingDayTrigger {self}>"
