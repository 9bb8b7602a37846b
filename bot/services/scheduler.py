"""Runs the jobs: the job wrapper (one transaction per job, board and occasion), catch-up of missed runs,
and APScheduler 3 driving it all on the replica that holds the scheduler lock.

An occasion is a trigger's fire time (09:00 board time on a working day, say). Each (job, board,
occasion) is recorded in job_runs in the same transaction as everything the job writes, so it runs once
however many replicas, restarts and catch-ups see it. A run missed while the bot was down runs once on
return if its occasion is within the board's grace (`missed_run_grace_hours`, 1 to 12) and it is still the
occasion's day before 20:00 in the board's zone; runs missed longer ago are coalesced into that one or
dropped, never replayed one by one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.runtime import Runtime, is_database_unavailable
from bot.services.leader import DEFAULT_POLL, LeaderElection
from handlers.board_rules import board_config
from jobs.base import Job, JobReport
from jobs.registry import JOBS
from store import boards, db, job_runs
from store.models import Board, OutboxMessage
from store.models.views import BoardView
from store.outbox import Outbox

log = logging.getLogger("lspbot.scheduler")

RUNNER = f"{socket.gethostname()}:{os.getpid()}"  # recorded on each job run: which replica ran it
SYNC_EVERY = 60  # seconds between re-reading boards and settings, and looking for missed runs


@dataclass
class RunResult:
    """One job run for one board."""

    job_id: str
    board: str
    occasion: dt.datetime
    ran: bool
    queued: int = 0
    keys: list[str] = field(default_factory=list)  # of the messages queued
    report: JobReport = field(default_factory=JobReport)
    messages: list[dict[str, Any]] = field(default_factory=list)  # dry run: what would be sent


def run_job(runtime: Runtime, job: Job, board_id: int, occasion: dt.datetime, *, how: str = "manual",
            dry_run: bool = False) -> RunResult:
    """Run `job` for one board as if at `occasion`, in one transaction with its job-run record.

    Scheduled and catch-up runs are skipped if the occasion already ran; a manual run goes ahead (the
    reminder log still stops anything being sent twice). A dry run rolls everything back and returns
    the messages it would have queued."""
    session = runtime.sessions()
    try:
        board = session.get(Board, board_id)
        if board is None:
            return RunResult(job.id, f"board {board_id}", occasion, ran=False)
        result = RunResult(job.id, board.name, occasion, ran=True)
        first = job_runs.claim_run(session=session, job_id=job.id, board_id=board_id, occasion=occasion,
                                         how=how, now=runtime.clock.now(), runner=RUNNER)
        if not first and how != "manual":
            session.rollback()
            result.ran = False
            return result
        last_id = session.scalar(select(func.max(OutboxMessage.id))) or 0
        outbox = Outbox(session, runtime.renderer, runtime.clock.now, retention=runtime.outbox_retention,
                        links=runtime.links, mail=runtime.mail)
        result.report = job.run(session, FixedClock(occasion), outbox, board)
        result.queued = outbox.queued
        result.keys = list(outbox.keys)
        job_runs.finish_run(session=session, job_id=job.id, board_id=board_id, occasion=occasion,
                                  queued=outbox.queued, summary="\n".join(result.report.lines))
        if dry_run:
            session.flush()
            result.messages = [
                {"target_kind": m.target_kind, "target": m.target, "payload": m.payload, "key": m.key}
                for m in session.scalars(select(OutboxMessage).where(OutboxMessage.id > last_id).order_by(OutboxMessage.id))
            ]
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    if result.queued and not dry_run:
        runtime.wake_sender()
    return result


# A run missed while the bot was down is caught up only on the day of its occasion (board time) and before
# this hour, so nobody is reminded at night, at the weekend or on a holiday; a run on time is never held back.
CATCH_UP_UNTIL = dt.time(20, 0)
ON_TIME = dt.timedelta(minutes=2)  # a run this soon after its occasion is on time (APScheduler's call, a sync)


def due_occasion(job: Job, board: BoardView, now: dt.datetime) -> dt.datetime | None:
    """The latest occasion of `job` for `board` at or before `now` within the board's grace (and not before
    the board existed), if any; a late one (a catch-up) only on its own day in the board's zone and before
    CATCH_UP_UNTIL there."""
    grace = dt.timedelta(hours=board_config(board).missed_run_grace_hours)
    occasion = job.trigger(board).latest_at_or_before(now, not_before=max(now - grace, board.created_at))
    if occasion is None or now - occasion <= ON_TIME:
        return occasion
    tz = ZoneInfo(board.timezone)
    local_now = now.astimezone(tz)
    if local_now.date() != occasion.astimezone(tz).date() or local_now.time() >= CATCH_UP_UNTIL:
        return None
    return occasion


def run_due(runtime: Runtime, *, how: str = "catch-up", job_ids: list[str] | None = None) -> list[RunResult]:
    """Run every job occasion that is due and has not run (missed while down, or just fallen due)."""
    now = runtime.clock.now()
    with db.session_scope(runtime.sessions) as session:
        todo = []
        for board in boards.list_all(session=session):
            for job in JOBS.values():
                if job_ids and job.id not in job_ids:
                    continue
                occasion = due_occasion(job, board, now)
                if occasion and not job_runs.has_run(session=session, job_id=job.id, board_id=board.id,
                                                           occasion=occasion):
                    todo.append((job, board.id, occasion))
    results = []
    for job, board_id, occasion in todo:
        result = _logged_run(runtime, job, board_id, occasion, how)
        if result is not None:
            results.append(result)
    return results


def _logged_run(runtime: Runtime, job: Job, board_id: int, occasion: dt.datetime, how: str) -> RunResult | None:
    try:
        result = run_job(runtime, job, board_id, occasion, how=how)
    except Exception as exc:
        if is_database_unavailable(exc):  # the outage is logged once; the occasion runs when the database is back
            runtime.health.failed(f"job {job.id}", exc)
        else:
            log.exception("job %s for board %s at %s failed", job.id, board_id, occasion.isoformat())
        return None
    if result.ran:
        log.info("%s ran for %s at %s (%s): %s", job.id, result.board, occasion.isoformat(), how,
                 "; ".join(result.report.lines) or "nothing to do")
    return result


@dataclass
class Upcoming:
    job_id: str
    board: str
    timezone: str
    trigger: str
    next_run: dt.datetime
    last_run: dt.datetime | None


def upcoming(runtime: Runtime) -> list[Upcoming]:
    """Each job's trigger, next run and last run, per board (`lspbot jobs list`)."""
    now = runtime.clock.now()
    out = []
    with db.session_scope(runtime.sessions) as session:
        last = job_runs.last_runs(session=session)
        for board in boards.list_all(session=session):
            for job in JOBS.values():
                trigger = job.trigger(board)
                ran = last.get((job.id, board.id))
                out.append(Upcoming(job.id, board.name, board.timezone, str(trigger), trigger.first_at_or_after(now),
                                    ran.occasion if ran else None))
    return out


class JobScheduler:
    """APScheduler 3 running every job for every board, on whichever replica holds the scheduler lock."""

    def __init__(self, runtime: Runtime, *, leader_poll: float = DEFAULT_POLL, sync_every: float = SYNC_EVERY) -> None:
        self.runtime = runtime
        self.sync_every = sync_every
        self.leader = LeaderElection(runtime.engine, on_elected=self._elected, on_deposed=self._deposed,
                                     poll=leader_poll, timeouts=runtime.settings.db_timeouts, health=runtime.health)
        self._scheduler: BackgroundScheduler | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    def start(self) -> None:
        self.leader.start()

    def stop(self) -> None:
        self.leader.stop()
        self._deposed()

    def _elected(self) -> None:
        with self._lock:
            if self._scheduler is not None:
                return
            scheduler = BackgroundScheduler(timezone=dt.UTC, job_defaults={
                "coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600})
            scheduler.add_job(self.sync, "interval", seconds=self.sync_every, id="lspbot-sync",
                              next_run_time=dt.datetime.now(dt.UTC))
            # Published before start(): the first sync runs at once on APScheduler's thread and looks it up.
            self._scheduler = scheduler
            scheduler.start()
        log.info("scheduler started: %s", ", ".join(JOBS))

    def _deposed(self) -> None:
        with self._lock:
            scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=False)
            log.info("scheduler stopped on this replica")

    def sync(self) -> None:
        """Match APScheduler's jobs to the boards and their settings, then run anything due and not yet run."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        try:
            self._sync(scheduler)
        except Exception as exc:
            if not is_database_unavailable(exc):
                raise
            self.runtime.health.failed("the scheduler's sync", exc)  # logged once; the next sync tries again

    def _sync(self, scheduler: BackgroundScheduler) -> None:
        wanted: dict[str, tuple[Job, int, Any, int]] = {}
        with db.session_scope(self.runtime.sessions) as session:
            for board in boards.list_all(session=session):
                grace = board_config(board).missed_run_grace_hours * 3600
                for job in JOBS.values():
                    wanted[f"{job.id}@{board.id}"] = (job, board.id, job.trigger(board), grace)
        for existing in scheduler.get_jobs():
            if existing.id != "lspbot-sync" and existing.id not in wanted:
                existing.remove()
        for job_key, (job, board_id, trigger, grace) in wanted.items():
            current = scheduler.get_job(job_key)
            if current is not None and str(current.trigger) == str(trigger) and current.misfire_grace_time == grace:
                continue
            scheduler.add_job(self._fire, trigger, args=[job.id, board_id], id=job_key, replace_existing=True,
                              coalesce=True, misfire_grace_time=max(grace, 1), max_instances=1)
        run_due(self.runtime)

    def _fire(self, job_id: str, board_id: int) -> None:
        """APScheduler's call at a fire time: run the occasion that has just fallen due."""
        job = JOBS[job_id]
        with db.session_scope(self.runtime.sessions) as session:
            board = session.get(Board, board_id)
            occasion = due_occasion(job, board, self.runtime.clock.now()) if board else None
        if occasion is not None:
            _logged_run(self.runtime, job, board_id, occasion, "schedule")


def simulate(runtime: Runtime, clock: FixedClock, start: dt.datetime, end: dt.datetime, *,
             on_run: Callable[[RunResult], None] | None = None) -> list[RunResult]:
    """Walk the clock through every job's fire times from `start` to `end` for every board, running each as
    the scheduler would (the demo's simulated quarter, and the tests)."""
    with db.session_scope(runtime.sessions) as session:
        events = sorted(
            (fire, job.id, board.id)
            for board in boards.list_all(session=session)
            for job in JOBS.values()
            for fire in job.trigger(board).fire_times(start, end)
        )
    results = []
    for fire, job_id, board_id in events:
        clock.set(fire)
        result = run_job(runtime, JOBS[job_id], board_id, fire, how="schedule")
        results.append(result)
        if on_run:
            on_run(result)
    return results
