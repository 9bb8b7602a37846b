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


def _pack_steps(runtime: Runtime, out: TextIO, result: RunResult) -> None:
    """The chair approves the agenda pack the day it is sent; the day it is published, its page's address."""
    from bot.runtime import run_handler
    from handlers import packs
    from store import boards, db
    from store import packs as pack_store
    from store.models import Meeting, Role

    lines = " ".join(result.report.lines)
    with db.session_scope(runtime.sessions) as session:
        waiting = [(m.id, m.board_id) for m in session.query(Meeting).where(Meeting.pack_approved_at.is_(None))
                   if pack_store.of_meeting(session=session, meeting_id=m.id, published=False)]
        chairs = {board_id: boards.members_with_roles(session=session, board_id=board_id, roles=(Role.CHAIR,))
                  for _, board_id in waiting}
        published = [(m.date, m.board.slug) for m in session.query(Meeting)
                     if f"published the agenda pack for {m.date:%a %-d %b %Y}" in lines
                     and pack_store.published_main(session=session, meeting_id=m.id) is not None]
    if "to the chair to approve" in lines:
        for meeting_id, board_id in waiting:
            for chair in chairs[board_id][:1]:
                done = run_handler(runtime, packs.handle_approve_button, user_id=chair.slack_user_id,
                                   channel_id=None, values={"value": str(meeting_id)})
                said = " ".join(b["text"]["text"] for b in done.payload.get("blocks", []) if "text" in b)
                out.write(f"  → {chair.display_name} clicks Approve: {said}\n")
    for day, slug in published:
        if slug:
            out.write(f"  → The pack is on the meeting's web page: {runtime.links.meeting(slug, day)}\n")


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
        if result.job_id == "compile-agendas":
            _pack_steps(runtime, out, result)

    results = simulate(runtime, clock, dt.datetime.combine(start, dt.time(0, 0), LONDON),
                       dt.datetime.combine(end, dt.time(23, 59), LONDON), on_run=show)
    ran = sum(1 for r in results if r.ran)
    out.write(f"\n{ran} job runs on {len({r.occasion.date() for r in results})} days; messages on "
              f"{len(shown_day)} of them. Running any of them again sends nothing new.\n")
    clock.set(was)
    return results
