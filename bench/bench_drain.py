"""Benchmark: the outbox sender within Slack's limits, channel posts with DMs to new people alongside.

The fake Slack enforces one message a second per channel (`enforce_channel_rate(1.0)`: HTTP 429 to a post less
than a second after the last one to that channel) and a strict window on `conversations.open`, Tier 3's 50 calls in
any 60 seconds (`enforce_method_window`: HTTP 429 to the 51st). Two runs, one after the other, on the same
machine and database:

- mixed: `--per-channel` posts to each of `--channels` channels, and two DMs to each of `--people` people whose
  DM is not open yet, queued among the first rounds of channel posts;
- reference: the same channel posts alone.

Each run is the real sender (`OutboxSender` + `SlackDelivery` with their defaults, as `lspbot serve` builds
them) running its thread until the fake has every message. Time is real: the runs take about
`--per-channel` seconds each (a minute by default, long enough for the DMs to need a second window of
`conversations.open`). Printed: each channel's rate (posts after its first, over the time from its first to its
last as the fake saw them) as a fraction of the allowed 1 message/s, the HTTP 429 answers per method, and whether
every message arrived once and in order. Exits non-zero when a goal is missed: in the mixed run every channel at
>= 0.9 of the allowed rate, no 429 in either run, everything delivered once and in order.

    .venv/bin/python -m bench.bench_drain [--channels 10] [--per-channel 60] [--people 70] [--database URL]
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
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.clock import SystemClock
from bot.services.sender import OutboxSender
from bot.slack.api import Pacer, SlackDelivery, make_client
from store import db
from store import outbox as outbox_store

GOAL_RATE = 0.9  # of the allowed 1 message/s per channel
OPEN_LIMIT, OPEN_WINDOW = 50, 60.0  # conversations.open: Tier 3, 50 calls a minute, held to any 60 s here
PEOPLE_PER_ROUND = 10  # DMs are queued with the first rounds of channel posts, ten people a round


@dataclass
class Run:
    name: str
    seconds: float
    rates: list[float]  # per channel, of the allowed 1 message/s
    limited: Counter[str]  # HTTP 429 answers by method
    problems: list[str]  # messages missing, twice, or out of order
    dms: int
    opens: int


def queue(sessions: Any, run: str, channels: int, per_channel: int, people: int) -> dict[str, list[str]]:
    """Queue the run's messages; the texts each channel (and DM channel) should get, in order."""
    expected: dict[str, list[str]] = defaultdict(list)
    now = dt.datetime.now(dt.UTC)
    with db.session_scope(sessions) as session:
        def enqueue(kind: str, target: str, channel: str, text: str) -> None:
            outbox_store.enqueue(session=session, key=f"{run}:{text}", target_kind=kind, target=target,
                                 payload={"text": text}, now=now)
            expected[channel].append(text)

        for n in range(per_channel):
            for c in range(channels):
                enqueue("channel", f"C{run.upper()}{c:03d}", f"C{run.upper()}{c:03d}", f"{run} post {n} to {c}")
            for p in range(n * PEOPLE_PER_ROUND, min(people, (n + 1) * PEOPLE_PER_ROUND)):
                user = f"U{run.upper()}{p:03d}"
                for k in range(2):  # two DMs each: the second must follow the first
                    enqueue("user", user, "D" + user[1:], f"{run} dm {k} to {p}")
    return expected


def drain(sessions: Any, fake: Any, run: str, channels: int, per_channel: int, people: int, batch: int) -> Run:
    fake.reset()
    expected = queue(sessions, run, channels, per_channel, people)
    total = sum(map(len, expected.values()))
    sender = OutboxSender(sessions, SlackDelivery(make_client("xoxb-bench", fake.url, retries=False), Pacer()),
                          SystemClock(), batch=batch)
    started = time.perf_counter()
    deadline = time.monotonic() + per_channel * 3 + 180  # far beyond the slowest sender seen
    sender.start()
    try:
        while len(fake.messages()) < total and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        sender.stop()
    seconds = time.perf_counter() - started
    calls = fake.calls()
    got: dict[str, list[str]] = defaultdict(list)
    at: dict[str, list[float]] = defaultdict(list)
    for call in fake.messages():
        got[call.params["channel"]].append(call.params["text"])
        at[call.params["channel"]].append(call.at)
    problems = [f"{channel}: got {got.get(channel, [])[:5]}..., expected {texts[:5]}..."
                for channel, texts in expected.items() if got.get(channel) != texts]
    rates = [(len(ts) - 1) / (ts[-1] - ts[0]) for channel, ts in at.items() if channel.startswith("C") and len(ts) > 1]
    return Run(run, seconds, rates, Counter(c.method for c in calls if c.status == 429), problems,
               dms=sum(len(texts) for channel, texts in got.items() if channel.startswith("D")),
               opens=sum(1 for c in calls if c.method == "conversations.open" and c.status == 200))


def report(run: Run, channels: int, per_channel: int, people: int) -> None:
    limited = ", ".join(f"{method} {n}" for method, n in sorted(run.limited.items())) or "none"
    print(f"{run.name}: {channels} channels x {per_channel} posts"
          + (f", {2 * people} DMs to {people} new people" if people else "") + f", drained in {run.seconds:.1f} s")
    print(f"  per-channel rate / allowed 1 message/s: mean {statistics.mean(run.rates):.3f}, "
          f"min {min(run.rates):.3f}")
    if people:
        print(f"  DMs delivered {run.dms} / {2 * people}; conversations.open answered {run.opens}")
    print(f"  HTTP 429 answers: {limited}")
    print(f"  delivered once, in order: {'yes' if not run.problems else 'NO: ' + '; '.join(run.problems[:3])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--per-channel", type=int, default=60)
    parser.add_argument("--people", type=int, default=70, help="new people, two DMs each (mixed run)")
    parser.add_argument("--batch", type=int, default=50, help="messages claimed at a time (lspbot serve's default)")
    parser.add_argument("--database", help="a PostgreSQL URL of an empty database (default: a new SQLite file)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.support.fake_slack import FakeSlack

    url = args.database or f"sqlite:///{tempfile.mkdtemp(prefix='lspbot-bench-drain-')}/bench.db"
    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = db.make_session_factory(engine)
    fake = FakeSlack().start()
    fake.enforce_channel_rate(1.0)
    fake.enforce_method_window("conversations.open", OPEN_LIMIT, OPEN_WINDOW)
    print(f"machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}; {url.split(':', 1)[0]}")
    try:
        mixed = drain(sessions, fake, "mixed", args.channels, args.per_channel, args.people, args.batch)
        report(mixed, args.channels, args.per_channel, args.people)
        reference = drain(sessions, fake, "alone", args.channels, args.per_channel, 0, args.batch)
        report(reference, args.channels, args.per_channel, 0)
    finally:
        fake.stop()
        engine.dispose()
    ratio = min(mixed.rates) / min(reference.rates)
    print(f"mixed min rate / reference min rate: {ratio:.3f}")
    missed = []
    if min(mixed.rates) < GOAL_RATE:
        missed.append(f"a channel posted at {min(mixed.rates):.3f} of the allowed rate with DMs alongside "
                      f"(goal >= {GOAL_RATE})")
    if mixed.limited or reference.limited:
        missed.append(f"HTTP 429 answers: {sum(mixed.limited.values()) + sum(reference.limited.values())} (goal 0)")
    if mixed.problems or reference.problems:
        missed.append("messages missing, twice or out of order")
    for miss in missed:
        print(f"MISSED: {miss}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
