"""`lspbot jobs list|run`, `lspbot scheduler`, `lspbot outbox list|retry`."""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import threading
from zoneinfo import ZoneInfo

from bot.settings import Settings, SettingsError


def _parse_at(raw: str | None) -> dt.datetime | None:
    if not raw:
        return None
    try:
        return dt.datetime.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"--at: not an ISO date-time such as 2019-07-05T09:00: {raw!r}") from None


def cmd_jobs_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import build_runtime
    from bot.services.scheduler import upcoming
    from jobs.registry import JOBS

    with build_runtime(settings) as runtime:
        rows = upcoming(runtime)
        print("Jobs:")
        for job in JOBS.values():
            print(f"  {job.id:<20} {job.description}")
        if not rows:
            print("\nNo boards yet: jobs run per board once one is created.")
            return 0
        print(f"\n{'JOB':<20} {'BOARD':<24} {'NEXT RUN':<24} {'LAST RUN':<24} TRIGGER")
        for row in rows:
            tz = ZoneInfo(row.timezone)
            nxt = row.next_run.astimezone(tz).strftime("%a %Y-%m-%d %H:%M %Z")
            last = row.last_run.astimezone(tz).strftime("%a %Y-%m-%d %H:%M %Z") if row.last_run else "never"
            print(f"{row.job_id:<20} {row.board[:24]:<24} {nxt:<24} {last:<24} {row.trigger}")
    return 0


def cmd_jobs_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import payload_to_text
    from bot.runtime import build_runtime
    from bot.services.scheduler import run_job
    from bot.services.sender import build_sender
    from jobs.registry import JOBS
    from store import boards, db
    from store import outbox as outbox_store

    job = JOBS.get(args.name)
    if job is None:
        print(f"lspbot: no job {args.name!r}; jobs: {', '.join(JOBS)}", file=sys.stderr)
        return 2
    at = _parse_at(args.at)
    if not args.dry_run:
        settings.require("SLACK_BOT_TOKEN")
    with build_runtime(settings) as runtime:
        with db.session_scope(runtime.sessions) as session:
            if args.board:
                board = boards.get_by_name(session=session, name=args.board)
                if board is None:
                    print(f"lspbot: no board called {args.board!r}", file=sys.stderr)
                    return 2
                targets = [(board.id, board.timezone)]
            else:
                targets = [(b.id, b.timezone) for b in boards.list_all(session=session)]
        if not targets:
            print("No boards: nothing to run.")
            return 0
        sender = None if args.dry_run else build_sender(runtime)
        keys: list[str] = []
        for board_id, tz in targets:
            occasion = runtime.clock.now() if at is None else (at if at.tzinfo else at.replace(tzinfo=ZoneInfo(tz)))
            result = run_job(runtime, job, board_id, occasion, how="manual", dry_run=args.dry_run)
            keys.extend(result.keys)
            local = occasion.astimezone(ZoneInfo(tz))
            print(f"{job.id} for {result.board} as at {local:%a %-d %b %Y %H:%M %Z}"
                  f"{' (dry run: nothing sent, nothing changed)' if args.dry_run else ''}:")
            for line in result.report.lines:
                print(f"  {line}")
            if args.dry_run:
                for m in result.messages:
                    where = f"DM to {m['target']}" if m["target_kind"] == "user" else f"post in {m['target']}"
                    body = payload_to_text(m["payload"], lambda u: u).replace("\n", "\n  │ ")
                    print(f"  ┌ {where}\n  │ {body}\n  └")
            else:
                print(f"  queued {result.queued} message(s)")
        if sender is None:
            return 0
        # Deliver what this run queued (and anything queued before it to the same people), nothing else.
        with db.session_scope(runtime.sessions) as session:
            ids = outbox_store.ids_for_keys(session=session, keys=keys)
        outcome = sender.deliver_all(ids, timeout=args.timeout)
        failed = f"{len(outcome.failed)} failed" + (f" ({outcome.reasons()})" if outcome.failed else "")
        print(f"delivery: {outcome.sent} sent, {failed}, {outcome.pending} still pending")
        if outcome.failed or outcome.pending:
            print("lspbot: not everything this run queued was delivered"
                  + ("; `lspbot outbox list --status failed` shows the failures and `lspbot outbox retry` "
                     "sends them again" if outcome.failed else "")
                  + ("; the running bot sends what is still pending" if outcome.pending else ""), file=sys.stderr)
            return 1
    return 0


def cmd_scheduler(args: argparse.Namespace, settings: Settings) -> int:
    from bot.health import HealthProbe
    from bot.runtime import build_runtime
    from bot.services.scheduler import JobScheduler
    from bot.services.sender import build_sender

    settings.require("SLACK_BOT_TOKEN")
    runtime = build_runtime(settings, check_schema=True)
    probe = HealthProbe(runtime.engine, runtime.health)
    probe.start()
    sender = None if args.no_sender else build_sender(runtime, batch=args.outbox_batch)
    scheduler = JobScheduler(runtime, leader_poll=args.leader_poll, sync_every=args.sync_every)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    if sender:
        sender.start()
    scheduler.start()
    print(f"lspbot scheduler running ({'with' if sender else 'without'} the outbox sender); "
          f"{'PostgreSQL: one replica at a time runs the jobs' if runtime.engine.dialect.name == 'postgresql' else 'SQLite: single process'}",
          flush=True)
    try:
        done.wait()
    finally:
        scheduler.stop()
        if sender:
            sender.stop()
        probe.stop()
        runtime.close()
    return 0


def cmd_outbox_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import build_runtime
    from store import db
    from store import outbox as outbox_store
    from store.models import OutboxStatus
    from store.outbox import EMAIL

    statuses = None if args.status == "all" else (OutboxStatus(args.status),)
    with build_runtime(settings) as runtime:
        with db.session_scope(runtime.sessions) as session:
            rows = outbox_store.list_messages(session=session, statuses=statuses, limit=args.limit)
            counts = outbox_store.status_counts(session=session)
            print("outbox: " + ", ".join(f"{counts.get(s, 0)} {s.value}" for s in OutboxStatus))
            if rows:
                print(f"{'ID':>6} {'STATUS':<8} {'TRIES':>5} {'TO':<16} {'CREATED (UTC)':<17} {'NEXT TRY (UTC)':<17} KEY / ERROR")
            for m in rows:
                to = m.target if m.target_kind == EMAIL else ("@" if m.target_kind == "user" else "#") + m.target
                line = (f"{m.id:>6} {m.status.value:<8} {m.attempts:>5} {to:<16} {m.created_at:%Y-%m-%d %H:%M} "
                        f"{(m.next_attempt_at.strftime('%Y-%m-%d %H:%M') if m.status.value == 'pending' else '-'):<17} {m.key}")
                if m.last_error:
                    line += f"\n{'':>6} error: {m.last_error[:300]}"
                print(line)
    return 0


def cmd_outbox_retry(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import build_runtime
    from store import db
    from store import outbox as outbox_store

    with build_runtime(settings) as runtime:
        with db.session_scope(runtime.sessions) as session:
            count = outbox_store.retry_failed(session=session, now=runtime.outbox_clock.now(), ids=args.ids or None)
        print(f"requeued {count} failed message(s); the running bot (or `lspbot scheduler`) sends them")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    jobs = sub.add_parser("jobs", help="the scheduled jobs")
    jsub = jobs.add_subparsers(dest="jobs_command", required=True)
    jlist = jsub.add_parser("list", help="each job, its trigger, next and last run per board")
    jlist.set_defaults(func=cmd_jobs_list)
    jrun = jsub.add_parser("run", help="run one job now (or as if at --at) and deliver what it queued")
    jrun.add_argument("name", help="chase-actions, request-updates, compile-agendas, quarterly-reminders, "
                                   "ask-interests or purge-outbox")
    jrun.add_argument("--board", metavar="NAME", help="one board (default: every board)")
    jrun.add_argument("--at", metavar="2019-07-05T09:00", help="run as if at this moment (board time if no zone)")
    jrun.add_argument("--dry-run", action="store_true", help="print what would be sent; change nothing")
    jrun.add_argument("--timeout", type=float, default=120.0,
                      help="seconds to keep delivering before exiting (non-zero status if any message it queued "
                           "failed or is still pending)")
    jrun.set_defaults(func=cmd_jobs_run)

    sched = sub.add_parser("scheduler", help="run the scheduled jobs (and the outbox sender) without the HTTP server")
    sched.add_argument("--no-sender", action="store_true", help="leave delivery to `lspbot serve`")
    sched.add_argument("--leader-poll", type=float, default=10.0, metavar="SECONDS",
                       help="how often a standby replica tries to take over the jobs (PostgreSQL)")
    sched.add_argument("--sync-every", type=float, default=60.0, metavar="SECONDS",
                       help="how often boards and settings are re-read and missed runs looked for")
    sched.add_argument("--outbox-batch", type=int, default=50, metavar="N",
                       help="messages the sender claims from the outbox at a time")
    sched.set_defaults(func=cmd_scheduler)

    outbox = sub.add_parser("outbox", help="messages waiting for, or failed in, delivery")
    osub = outbox.add_subparsers(dest="outbox_command", required=True)
    olist = osub.add_parser("list", help="messages, newest first")
    olist.add_argument("--status", choices=["pending", "sent", "failed", "all"], default="all")
    olist.add_argument("--limit", type=int, default=50)
    olist.set_defaults(func=cmd_outbox_list)
    oretry = osub.add_parser("retry", help="put failed messages back in the queue")
    oretry.add_argument("ids", nargs="*", type=int, metavar="ID", help="only these (default: every failed one)")
    oretry.set_defaults(func=cmd_outbox_retry)
