"""Benchmark: chase-actions over 100,000 open actions for 2,000 owners.

Fills a new SQLite file (or the PostgreSQL database given with --database) with one board, 2,000
members and N open actions (default 100,000): three owners in four have due dates spread over -60..+300
days, the rest only far-off ones (so not every owner needs a reminder). Then runs the job as the
scheduler would, and reports the wall time, the DMs queued against the owners who need one (counted
independently), and the SQL statements it issued (SQLAlchemy `before_cursor_execute` events), for a
smaller data set too, to show the count does not grow with the number of actions. Finally the DMs are
delivered to the fake Slack, which answers at once (Slack's latency and pacing excluded), and counted there.

    .venv/bin/python -m bench.bench_chase [--actions 100000] [--owners 2000] [--database URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, insert, select

from bot.clock import FixedClock
from bot.runtime import build_runtime
from bot.services.scheduler import run_job
from bot.services.sender import OutboxSender
from bot.settings import load_settings
from bot.slack.api import Pacer, SlackDelivery, WindowLimiter, make_client
from jobs.registry import JOBS
from store import db
from store.models import Action, ActionStatus, Board, Member, Membership, Organisation, OutboxMessage, Role

LONDON = ZoneInfo("Europe/London")
AT = dt.datetime(2019, 7, 17, 9, 0, tzinfo=LONDON)  # a Wednesday


def fill(url: str, actions: int, owners: int) -> int:
    """The data set; returns how many owners need a reminder at AT (computed from the rows themselves)."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    now = AT - dt.timedelta(days=90)
    today = AT.date()
    rnd = random.Random(11)
    needing: set[int] = set()
    with engine.begin() as conn:
        conn.execute(insert(Board), [{"id": 1, "name": "Bench Board", "channel_id": "CBENCH", "timezone": "Europe/London",
                                      "settings": {}, "created_at": now, "next_action_ref": actions + 1}])
        conn.execute(insert(Organisation), [{"id": i + 1, "board_id": 1, "name": f"Partner {i + 1}"} for i in range(40)])
        conn.execute(insert(Member), [{"id": m + 1, "slack_user_id": f"UB{m + 1:06d}", "display_name": f"Member {m + 1}"}
                                      for m in range(owners)])
        conn.execute(insert(Membership), [{"board_id": 1, "member_id": m + 1, "organisation_id": m % 40 + 1,
                                           "role": Role.CHAIR if m == 0 else Role.MEMBER} for m in range(owners)])
        rows = []
        for i in range(actions):
            owner = i % owners + 1
            far_only = owner > owners * 3 // 4
            due = today + dt.timedelta(days=rnd.randrange(10, 300) if far_only else rnd.randrange(-60, 300))
            if due <= today + dt.timedelta(days=3):
                needing.add(owner)
            rows.append({"board_id": 1, "ref": i + 1, "text": f"Benchmark action {i} for the partnership",
                         "owner_id": owner, "created_by_id": 1, "status": ActionStatus.OPEN, "due_date": due,
                         "created_at": now, "updated_at": now})
            if len(rows) == 20_000:
                conn.execute(insert(Action), rows)
                rows = []
        if rows:
            conn.execute(insert(Action), rows)
    engine.dispose()
    return len(needing)


def measure(url: str, actions: int, owners: int) -> dict[str, float]:
    expected = fill(url, actions, owners)
    env = {"DATABASE_URL": url, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_API_URL": os.environ.get("SLACK_API_URL", "")}
    settings = load_settings({k: v for k, v in env.items() if v}, env_file=None)
    clock = FixedClock(AT)
    runtime = build_runtime(settings, clock=clock, migrate=False)
    statements = {"n": 0}

    @event.listens_for(runtime.engine, "before_cursor_execute")
    def count(*_args):  # noqa: ANN002
        statements["n"] += 1

    job = JOBS["chase-actions"]
    started = time.perf_counter()
    result = run_job(runtime, job, 1, AT, how="schedule")
    elapsed = time.perf_counter() - started
    first_statements = statements["n"]
    statements["n"] = 0
    again_started = time.perf_counter()
    again = run_job(runtime, job, 1, AT, how="manual")
    again_elapsed = time.perf_counter() - again_started
    with db.session_scope(runtime.sessions) as session:
        dms = session.scalar(select(func.count()).where(OutboxMessage.key.like("chase:%"))) or 0
        reminded = session.scalar(select(func.count()).select_from(Action).where(Action.due_date <= AT.date() + dt.timedelta(days=3))) or 0
    out = {"seconds": elapsed, "dms": dms, "expected": expected, "statements": first_statements, "queued": result.queued,
           "again_queued": again.queued, "again_seconds": again_elapsed, "again_statements": statements["n"],
           "reminded_actions": reminded, "runtime": runtime}
    return out


def deliver(runtime, slack_url: str) -> tuple[float, int]:
    """Drain the queued DMs to the fake Slack (no pacing: the fake enforces none here); (seconds, delivered)."""
    delivery = SlackDelivery(make_client("xoxb-bench", slack_url, retries=False), Pacer(0.0),
                             open_limiter=WindowLimiter(calls=10**9, seconds=60))
    sender = OutboxSender(runtime.sessions, delivery, runtime.clock, batch=500)
    started = time.perf_counter()
    sender.drain()
    return time.perf_counter() - started, 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--owners", type=int, default=2_000)
    parser.add_argument("--database", help="a PostgreSQL URL of an empty database (default: a new SQLite file)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.support.fake_slack import FakeSlack

    print(f"machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs")
    rows = []
    for actions in (args.actions // 10, args.actions):
        if args.database and actions != args.actions:
            continue  # one PostgreSQL database: the full size only
        url = args.database or f"sqlite:///{tempfile.mkdtemp(prefix='lspbot-bench-chase-')}/bench.db"
        figures = measure(url, actions, args.owners)
        rows.append((actions, figures))
        print(f"\n{actions:,} open actions, {args.owners:,} owners ({url.split(':', 1)[0]}):")
        print(f"  chase-actions run:   {figures['seconds']:.2f} s  (goal < 3 s)")
        print(f"  DMs queued:          {figures['dms']:,}  owners who need one: {figures['expected']:,}"
              f"  ({'equal' if figures['dms'] == figures['expected'] else 'DIFFERENT'})")
        print(f"  SQL statements:      {figures['statements']}")
        print(f"  second run, same moment: {figures['again_queued']} queued, {figures['again_statements']} statements, "
              f"{figures['again_seconds']:.2f} s")
        if actions == args.actions:
            fake = FakeSlack().start()
            try:
                seconds, _ = deliver(figures["runtime"], fake.url)
                got = len({c.params["channel"] for c in fake.messages()})
                print(f"  delivered to the fake Slack: {len(fake.messages()):,} DMs to {got:,} owners in {seconds:.1f} s")
            finally:
                fake.stop()
        figures["runtime"].close()
    if len(rows) == 2:
        small, big = rows[0][1]["statements"], rows[1][1]["statements"]
        print(f"\nstatement count {small} at {rows[0][0]:,} actions, {big} at {rows[1][0]:,}: "
              f"{'independent of the number of actions' if small == big else 'GROWS with the actions'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
