"""The scheduler itself: the working-day trigger as APScheduler calls it, and APScheduler running the jobs
with a catch-up of the run missed while the bot was down."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.clock import FixedClock
from bot.runtime import Runtime, run_command
from bot.services.scheduler import JobScheduler
from handlers.board_rules import WorkingCalendar
from jobs.registry import JOBS
from jobs.triggers import WorkingDayTrigger
from store import db
from store.models import JobRun, OutboxMessage
from tests.support.settings import ADMIN, LONDON
from tests.support.slack_requests import blocks_text
from tests.support.waiting import wait_until

UTC = dt.UTC


def test_trigger_as_apscheduler_calls_it_across_summer_time_and_bank_holidays():
    trigger = WorkingDayTrigger(dt.time(9, 0), "Europe/London", WorkingCalendar("GB-ENG"))
    # Friday 25 October 2019, 10:00: next is Monday 28th at 09:00 GMT (the clocks went back on Sunday).
    first = trigger.get_next_fire_time(None, dt.datetime(2019, 10, 25, 10, 0, tzinfo=LONDON))
    assert first == dt.datetime(2019, 10, 28, 9, 0, tzinfo=UTC)
    # After Friday 24 May 2019 08:00 UTC (09:00 BST) comes Tuesday 28th: Monday 27th is the spring bank holiday.
    nxt = trigger.get_next_fire_time(dt.datetime(2019, 5, 24, 8, 0, tzinfo=UTC), dt.datetime(2019, 5, 24, 8, 0, 1, tzinfo=UTC))
    assert nxt == dt.datetime(2019, 5, 28, 8, 0, tzinfo=UTC)
    # Given a previous fire time long ago, it answers the missed one after it (APScheduler coalesces them).
    missed = trigger.get_next_fire_time(dt.datetime(2019, 7, 1, 8, 0, tzinfo=UTC), dt.datetime(2019, 7, 5, 12, 0, tzinfo=UTC))
    assert missed == dt.datetime(2019, 7, 2, 8, 0, tzinfo=UTC)
    assert trigger.latest_at_or_before(dt.datetime(2019, 4, 23, 7, 0, tzinfo=UTC),
                                       not_before=dt.datetime(2019, 4, 17, tzinfo=UTC)) == dt.datetime(2019, 4, 18, 8, 0, tzinfo=UTC)
    scotland = WorkingDayTrigger(dt.time(9, 0), "Europe/London", WorkingCalendar("GB-SCT"))
    assert scotland.first_at_or_after(dt.datetime(2019, 8, 5, tzinfo=LONDON)).date() == dt.date(2019, 8, 6)  # Scottish August holiday
    assert "working days at 09:00 Europe/London" in str(trigger)


def test_apscheduler_runs_the_missed_occasion_once_on_start(runtime: Runtime, clock: FixedClock):
    channel = "CSCHED1"
    for user, text in ((ADMIN, 'board create "Sched Board" chair:<@USCHAIR1|chair> org:"LB Ealing"'),
                       ("USCHAIR1", 'member add <@USALICE1|alice> org:"Ealing PCT"'),
                       # every job at 09:00 (close-meetings runs late by default, past the same-day catch-up)
                       ("USCHAIR1", "board set close_meetings_time 09:00")):
        assert run_command(runtime, "/lsp", user_id=user, channel_id=channel, text=text).ok
    assert run_command(runtime, "/action", user_id="USCHAIR1", channel_id=channel,
                       text="add Send the figures <@USALICE1|alice> by 2019-07-18").ok
    # The bot was down over 09:00 on Wednesday 17 July and starts again at 11:00.
    clock.set(dt.datetime(2019, 7, 17, 11, 0, tzinfo=LONDON))
    scheduler = JobScheduler(runtime, sync_every=3600)
    scheduler.start()
    try:
        def every_job_ran() -> bool:
            with db.session_scope(runtime.sessions) as session:
                return len(session.scalars(select(JobRun)).all()) >= len(JOBS)

        # not too often: each look takes SQLite's write lock, which the scheduler needs
        wait_until(every_job_ran, 15, interval=0.3, what="every job's catch-up run")
        assert scheduler.running and scheduler.leader.is_leader  # SQLite: the single process runs the jobs
        apjobs = {j.id: j for j in scheduler._scheduler.get_jobs()}
        assert {f"{job_id}@1" for job_id in JOBS} <= set(apjobs)
        assert isinstance(apjobs["chase-actions@1"].trigger, WorkingDayTrigger)
        assert apjobs["chase-actions@1"].coalesce and apjobs["chase-actions@1"].misfire_grace_time == 6 * 3600
        scheduler.sync()  # a second look finds nothing left to run
    finally:
        scheduler.stop()
    with db.session_scope(runtime.sessions) as session:
        runs = list(session.scalars(select(JobRun).order_by(JobRun.id)))
        dms = list(session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("chase:%"))))
    assert sorted(r.job_id for r in runs) == sorted(JOBS)
    assert {(r.occasion.astimezone(LONDON).isoformat(), r.how) for r in runs} == {("2019-07-17T09:00:00+01:00", "catch-up")}
    assert [m.target for m in dms] == ["USALICE1"] and "due tomorrow" in blocks_text(dms[0].payload)
    assert not scheduler.running


def test_settings_stored_under_wider_ranges_are_read_as_the_nearest_allowed_value():
    """Ranges narrowed since a board stored its settings: the stored value is brought into range, not dropped."""
    from handlers.board_rules import board_config
    from store.models import Board

    def read(key, value):
        return getattr(board_config(Board(settings={key: value})), key)

    assert read("missed_run_grace_hours", 24) == 12 and read("missed_run_grace_hours", 0) == 1
    assert read("quarterly_deadline_working_days", 45) == 40
    assert read("quarterly_deadline_working_days", 20) == 20
    assert read("digest_day", "saturday") == "monday" and read("digest_day", "friday") == "friday"
    assert read("chase_lead_days", "many") == 3 and read("digest_day", "someday") == "monday"  # defaults
