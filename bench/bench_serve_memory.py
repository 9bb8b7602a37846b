"""Memory of `lspbot serve`: idle, and over many requests, at 100,000 actions.

    .venv/bin/python -m bench.bench_serve_memory [--requests 100000] [--database-url URL]

Fills a database as bench/bench_http.py does (100,000 actions, 2,000 members, 20 boards), starts `lspbot serve`
(its scheduler and outbox sender included, as deployed) and reads its resident set size (VmRSS in
/proc/<pid>/status) once it has been idle a few seconds. Then sends `--requests` signed slash commands over one
kept-alive connection, the commands of bench/bench_http.py in turn (`/action add`, `/action list` mine, all and
overdue, `/action done`, `/update`, `/plan`), and reads the RSS after each tenth of them. Goals (issue 14): idle
< 100 MiB; no growth: the RSS after the last tenth at most 5% above the RSS after the first (the first tenth
warms the caches: compiled statements and templates, the connection pool). Exits 1 on a miss.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_http import Client, commands, fill, refusal, serve_env, start

MIB = 1024 * 1024
IDLE_GOAL_MIB = 100.0
GROWTH_GOAL = 0.05
SERVE = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", "0"]


def rss(pid: int) -> int:
    """The process's resident set size in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='lspbot-bench-')) / 'bench.db'}"
    people = fill(url)

    from tests.support.fake_slack import FakeSlack

    fake = FakeSlack().start()
    proc, port = start(SERVE, serve_env(url, fake.url))
    missed: list[str] = []
    try:
        time.sleep(args.idle_seconds)
        idle = rss(proc.pid)
        print(f"idle after {args.idle_seconds:.0f} s: {idle / MIB:.1f} MiB (goal < {IDLE_GOAL_MIB:.0f} MiB)", flush=True)
        if idle / MIB >= IDLE_GOAL_MIB:
            missed.append(f"idle {idle / MIB:.1f} MiB")
        makers = list(commands(people).values())
        client = Client(port, keep_alive=True)
        tenth = max(1, args.requests // 10)
        samples: list[int] = []
        started = time.perf_counter()
        for i in range(args.requests):
            _, data = client.post(makers[i % len(makers)]())
            if why := refusal(data):
                raise SystemExit(f"request {i} was refused ({why}): {data[:300]!r}")
            if (i + 1) % tenth == 0:
                samples.append(rss(proc.pid))
                print(f"after {i + 1:>7,} requests ({time.perf_counter() - started:5.0f} s): "
                      f"{samples[-1] / MIB:.1f} MiB", flush=True)
        client.close()
    finally:
        proc.terminate()
        proc.wait(10)
        fake.stop()
    growth = samples[-1] / samples[0] - 1
    print(f"growth from the first tenth to the last: {growth * 100:+.1f}% (goal <= {GROWTH_GOAL * 100:.0f}%)")
    if growth > GROWTH_GOAL:
        missed.append(f"growth {growth * 100:+.1f}%")
    if missed:
        print("MISSED: " + ", ".join(missed))
        return 1
    print("every goal met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
