"""Benchmark: draining the outbox against a fake Slack that enforces one message a second per channel.

Queues `--per-channel` messages to each of `--channels` channels in a new SQLite file (or --database),
points the real sender (OutboxSender + SlackDelivery, as `lspbot serve` builds them) at the fake Slack
with `enforce_channel_rate(1.0)` (it answers HTTP 429 to any post less than a second after the last one
to that channel), and drains. Reports, per channel, the achieved rate (messages after the first, over
the time from the first to the last as the fake saw them) as a fraction of the allowed 1 message/s, the
whole drain's rate against the allowed channels x 1/s, and the number of 429 answers.

    .venv/bin/python -m bench.bench_drain [--channels 10] [--per-channel 12] [--database URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bot.clock import SystemClock
from bot.services.sender import OutboxSender
from bot.slack.api import Pacer, SlackDelivery, make_client
from store import db
from store import outbox as outbox_store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--per-channel", type=int, default=12)
    parser.add_argument("--database", help="a PostgreSQL URL of an empty database (default: a new SQLite file)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.support.fake_slack import FakeSlack

    url = args.database or f"sqlite:///{tempfile.mkdtemp(prefix='lspbot-bench-drain-')}/bench.db"
    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = db.make_session_factory(engine)
    now = dt.datetime.now(dt.UTC)
    with db.session_scope(sessions) as session:
        for n in range(args.per_channel):
            for c in range(args.channels):
                outbox_store.enqueue(session=session, key=f"bench:{c}:{n}", target_kind="channel", target=f"CDRAIN{c:03d}",
                                     payload={"text": f"message {n} to channel {c}"}, now=now)
    fake = FakeSlack().start()
    fake.enforce_channel_rate(1.0)
    try:
        sender = OutboxSender(sessions, SlackDelivery(make_client("xoxb-bench", fake.url, retries=False), Pacer()),
                              SystemClock(), batch=500)
        started = time.perf_counter()
        sender.drain()
        elapsed = time.perf_counter() - started
        calls = fake.calls("chat.postMessage")
    finally:
        fake.stop()
        engine.dispose()
    ok = [c for c in calls if c.status == 200]
    limited = sum(1 for c in calls if c.status == 429)
    per_channel: dict[str, list[float]] = defaultdict(list)
    for call in ok:
        per_channel[call.params["channel"]].append(call.at)
    rates = [(len(ts) - 1) / (ts[-1] - ts[0]) for ts in per_channel.values() if len(ts) > 1]
    total = len(ok)
    print(f"machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs; "
          f"{url.split(':', 1)[0]}")
    print(f"{total} messages to {args.channels} channels delivered in {elapsed:.1f} s; HTTP 429 answers: {limited}")
    print(f"per-channel rate as a fraction of the allowed 1 message/s: mean {statistics.mean(rates):.3f}, "
          f"min {min(rates):.3f} (goal > 0.9)")
    ideal = (args.per_channel - 1) / 1.0
    print(f"whole drain: {total / elapsed:.2f} messages/s against {args.channels} allowed "
          f"({ideal:.0f} s is the least possible for {args.per_channel} a channel; took {elapsed:.1f} s, "
          f"{ideal / elapsed:.3f} of ideal)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
