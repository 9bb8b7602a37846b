"""The seen-set's cost per request: the one insert that decides whether a signed request is new, and the purge.

    .venv/bin/python -m bench.bench_seen_requests [--requests 2000]                  # a new SQLite file
    .venv/bin/python -m bench.bench_seen_requests --database-url postgresql+psycopg://…/EMPTY_DB

Migrates the database, fills the seen-set with 30,000 live keys (five minutes of requests at 100 a second), then
times `SeenSet.first_time` (bot/slack/web.py: one INSERT … ON CONFLICT DO NOTHING into the primary key, in its own
transaction, as the HTTP gate runs it) for new keys and for keys seen before, and one purge as a process runs it
every 10 seconds (at most 2,000 expired keys; 1,000 is ten seconds of requests at 100 a second), kept out of the
per-request timings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from bench.figures import percentile
from bot.clock import FixedClock
from bot.runtime import build_runtime
from bot.settings import load_settings
from bot.slack.web import PURGE_AT_MOST, SeenSet
from store import db, seen_requests
from store.models import SeenRequest


def key(n: int, run: str) -> str:
    return hashlib.sha256(f"{run}:{n}".encode()).hexdigest()



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'seen.db'}"
    env = {"DATABASE_URL": url, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench"}
    now = dt.datetime.now(dt.UTC)
    runtime = build_runtime(load_settings(env, env_file=None), clock=FixedClock(now), migrate=True)
    try:
        live = [{"key": key(n, "live"), "expires_at": now + dt.timedelta(seconds=300 - n / 100)} for n in range(30_000)]
        with db.session_scope(runtime.sessions) as session:
            session.execute(insert(SeenRequest), live)
        seen = SeenSet(runtime, FixedClock(now))
        seen.first_time(key(-1, "warm"), int(now.timestamp()))  # the first call of a process purges: not timed
        timings: dict[str, list[float]] = {"new": [], "seen before": []}
        for n in range(args.requests):
            t0 = time.perf_counter()
            assert seen.first_time(key(n, "new"), int(now.timestamp()))
            timings["new"].append((time.perf_counter() - t0) * 1000)
        for n in range(args.requests):
            t0 = time.perf_counter()
            assert not seen.first_time(key(n, "new"), int(now.timestamp()))
            timings["seen before"].append((time.perf_counter() - t0) * 1000)
        expired = [{"key": key(n, "old"), "expires_at": now - dt.timedelta(seconds=1 + n / 100)} for n in range(1000)]
        with db.session_scope(runtime.sessions) as session:
            session.execute(insert(SeenRequest), expired)
        t0 = time.perf_counter()
        with db.session_scope(runtime.sessions) as session:
            gone = seen_requests.purge_expired(session=session, now=now, limit=PURGE_AT_MOST)
        purge_ms = (time.perf_counter() - t0) * 1000
    finally:
        runtime.close()
    print(f"{runtime.engine.dialect.name}: {args.requests} requests each, 30,000 live keys in the table")
    for name, values in timings.items():
        print(f"  {name:12s} p50 {statistics.median(values):.3f} ms  p99 {percentile(values, 99):.3f} ms")
    print(f"  purge of {gone:,} expired keys: {purge_ms:.1f} ms")


if __name__ == "__main__":
    main()
