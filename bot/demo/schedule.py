"""The demo's scheduler: the board left alone for a quarter, with the clock walked through every job's run
times, printing day by day the chases, update requests, agenda draft and quarterly reminders it receives."""

from __future__ import annotations

import datetime as dt
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.console import Console, ConsoleDelivery
from bot.runtime import Runtime
from bot.services.scheduler import RunResult, simulate
from bot.services.sender import OutboxSender

LONDON = ZoneInfo("Europe/London")
MAX_LINES = 9  # each message cut to this many lines: the demo would otherwise scroll for pages


def run_schedule_demo(runtime: Runtime, console: Console, out: TextIO, clock: FixedClock,
                      start: dt.date = dt.date(2019, 7, 17), end: dt.date = dt.date(2019, 10, 24)) -> list[RunResult]:
    """Walk the controlled clock from `start` to `end` through every job's run times; print what goes out."""
    out.write(f"\n— The board is left alone from {start:%-d %B} to {end:%-d %B %Y}. The clock moves on to each "
              "working day's run of the jobs (09:00 London, weekends and bank holidays skipped); "
              "this is what the scheduler sends, day by day —\n")
    sender = OutboxSender(runtime.sessions, ConsoleDelivery(out, console.name_of, indent="    ", max_lines=MAX_LINES), runtime.clock)
    sender.drain()  # anything the earlier steps left queued goes before the clock moves
    was = clock.now()
    shown_day: list[dt.date] = []

    def show(result: RunResult) -> None:
        if not result.queued:
            return
        day = result.occasion.astimezone(LONDON)
        if not shown_day or shown_day[-1] != day.date():
            shown_day.append(day.date())
            out.write(f"\n📅 {day:%A %-d %B %Y}\n")
        out.write(f"  {result.job_id} at {day:%H:%M}: {'; '.join(result.report.lines)}\n")
        sender.drain()

    results = simulate(runtime, clock, dt.datetime.combine(start, dt.time(0, 0), LONDON),
                       dt.datetime.combine(end, dt.time(23, 59), LONDON), on_run=show)
    ran = sum(1 for r in results if r.ran)
    out.write(f"\n{ran} job runs on {len({r.occasion.date() for r in results})} days; messages on "
              f"{len(shown_day)} of them. Running any of them again sends nothing new.\n")
    clock.set(was)
    return results
