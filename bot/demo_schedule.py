"""The demo's scheduler: the board left alone for a quarter, with the clock walked through every job's run
times, printing day by day the chases, update requests, agenda draft and quarterly reminders it receives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.console import Console, payload_to_text
from bot.runtime import Runtime
from bot.scheduler import RunResult, simulate
from bot.sender import OutboxSender
from bot.slack_api import Delivered

LONDON = ZoneInfo("Europe/London")
MAX_LINES = 9


class DigestDelivery:
    """Prints each delivered message in a few lines (the demo would otherwise scroll for pages)."""

    def __init__(self, out: TextIO, names: Callable[[str], str]) -> None:
        self.out = out
        self.names = names

    def deliver(self, target_kind: str, target: str, payload: dict[str, Any]) -> Delivered:
        where = f"DM to @{self.names(target)}" if target_kind == "user" else f"post in #{target}"
        if payload.get("_method") == "files.upload":
            self.out.write(f"    📎 {where}: {payload.get('filename')}\n")
            return Delivered(channel=target, ts=None)
        lines = payload_to_text(payload, self.names).splitlines()
        shown = lines[:MAX_LINES] + ([f"… ({len(lines) - MAX_LINES} more lines)"] if len(lines) > MAX_LINES else [])
        body = "\n    │ ".join(shown)
        self.out.write(f"    ┌ {where}\n    │ {body}\n    └\n")
        return Delivered(channel=target, ts=None)


def run_schedule_demo(runtime: Runtime, console: Console, out: TextIO, clock: FixedClock,
                      start: dt.date = dt.date(2019, 7, 17), end: dt.date = dt.date(2019, 10, 24)) -> list[RunResult]:
    """Walk the controlled clock from `start` to `end` through every job's run times; print what goes out."""
    out.write(f"\n— The board is left alone from {start:%-d %B} to {end:%-d %B %Y}. The clock moves on to each "
              "working day's run of the four jobs (09:00 London, weekends and bank holidays skipped); "
              "this is what the scheduler sends, day by day —\n")
    sender = OutboxSender(runtime.sessions, DigestDelivery(out, console.name_of), runtime.clock)
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
    out.write(f"\n{ran} job runs on {len({r.occasion.date() for r in results})} working days; messages on "
              f"{len(shown_day)} of them. Running any of them again sends nothing new.\n")
    clock.set(was)
    return results
