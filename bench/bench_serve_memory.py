"""Memory of `lspbot serve`: idle, and over many requests, at 100,000 actions.

    .venv/bin/python -m bench.bench_serve_memory [--requests 100000] [--database-url URL] [--expired-seen N] [--probe]

Fills a database as bench/bench_http.py does (100,000 actions, 2,000 members, 20 boards), starts `lspbot serve`
(its scheduler and outbox sender included, as deployed) and reads its resident set size (VmRSS in
/proc/<pid>/status) once it has been idle a few seconds. Then sends `--requests` signed slash commands over one
kept-alive connection, the commands of bench/bench_http.py in turn (`/action add`, `/action list` mine, all and
overdue, `/action done`, `/update`, `/plan`), and reads the RSS after each tenth of them. Goals (issue 14): idle
< 100 MiB; no growth: the RSS after the last tenth at most 5% above the RSS after the first (the first tenth
warms the caches: compiled statements and templates, the connection pool). Exits 1 on a miss. Each sample says
where the RSS is (anonymous, file-backed, shared), the threads, the connections to a SQLite file and its files'
sizes; `--expired-seen` makes the seen-set's purge delete from the first request, `--probe` adds SQLite's own heap.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from bench.bench_http import Client, commands, fill, refusal, serve_env, start
from store import db
from store.models import SeenRequest

MIB = 1024 * 1024
IDLE_GOAL_MIB = 100.0
GROWTH_GOAL = 0.05
SERVE = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", "0"]
PROBED = [sys.executable, "-m", "bench.serve_probe", *SERVE[3:]]


def rss(pid: int) -> int:
    """The process's resident set size in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def expire(url: str, count: int) -> None:
    """Record `count` seen requests whose signing window closed an hour ago."""
    closed = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(SeenRequest), [{"key": hashlib.sha256(b"%d" % i).hexdigest(), "expires_at": closed}
                                           for i in range(count)])
    engine.dispose()


def breakdown(pid: int, url: str, probe: Path | None) -> str:
    """Where the resident set is (anonymous memory, mapped files, shared memory such as SQLite's WAL index), the
    process's threads, its open connections to the database file and, on SQLite, the database's files' sizes."""
    rollup = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        rollup[key] = int(value.split()[0]) * 1024
    threads = next(line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                   if line.startswith("Threads:"))
    out = (f"anon {rollup.get('Anonymous', 0) / MIB:.1f}, file {rollup.get('Pss_File', 0) / MIB:.1f}, "
           f"shmem {rollup.get('Pss_Shmem', 0) / MIB:.1f} MiB; {threads} threads")
    if url.startswith("sqlite:///"):
        db = Path(url.removeprefix("sqlite:///"))
        fds = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                fds += Path(fd).resolve() == db
            except OSError:
                pass
        sizes = ", ".join(f"{suffix or 'db'} {Path(f'{db}{suffix}').stat().st_size / MIB:.1f}"
                          for suffix in ("", "-wal", "-shm") if Path(f"{db}{suffix}").exists())
        out += f"; {fds} connections to the file; {sizes} MiB"
    if probe is not None and probe.exists():
        used, cache = (int(n) for n in probe.read_text().split())
        out += f"; SQLite's heap {used / MIB:.1f} MiB, of it page cache {cache / MIB:.1f}"
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    parser.add_argument("--expired-seen", type=int, default=0, metavar="N",
                        help="N seen requests whose signing window has closed, as after a server has run longer than "
                             "the window: its purge deletes from the first request, not only five minutes in")
    parser.add_argument("--probe", action="store_true",
                        help="run serve under bench/serve_probe.py and print SQLite's own heap in each sample")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='lspbot-bench-')) / 'bench.db'}"
    people = fill(url)
    if args.expired_seen:
        expire(url, args.expired_seen)

    from tests.support.fake_slack import FakeSlack

    fake = FakeSlack().start()
    env = serve_env(url, fake.url)
    probe = None
    if args.probe:
        probe = Path(tempfile.mkdtemp(prefix="lspbot-probe-")) / "sqlite-heap"
        env["LSPBOT_BENCH_PROBE"] = str(probe)
    proc, port = start(PROBED if args.probe else SERVE, env)
    missed: list[str] = []
    try:
        time.sleep(args.idle_seconds)
        idle = rss(proc.pid)
        print(f"idle after {args.idle_seconds:.0f} s: {idle / MIB:.1f} MiB (goal < {IDLE_GOAL_MIB:.0f} MiB) "
              f"({breakdown(proc.pid, url, probe)})", flush=True)
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
                      f"{samples[-1] / MIB:.1f} MiB ({breakdown(proc.pid, url, probe)})", flush=True)
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
