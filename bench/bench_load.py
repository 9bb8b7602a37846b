"""Load benchmark: signed slash commands and button clicks at a steady rate against `lspbot serve`.

    .venv/bin/python -m bench.bench_load [--rate 100] [--seconds 60]                 # SQLite, one process
    .venv/bin/python -m bench.bench_load --database-url postgresql+psycopg://…/EMPTY_DB --replicas 2

Starts the replicas (`lspbot serve`, scheduler and sender included) on a new SQLite file or the given
empty PostgreSQL database, with the fake Slack in this process; sets up a board of 50 members (one
organisation each) and the actions they will click Done on (untimed); then sends rate x seconds requests
from this process at a fixed rate (bench/load_client.py: six `/action add`, one `/action list`, one
`/update`, two Done clicks in ten; a new connection each, the replicas in turn). Reports errors, latency
percentiles (from the request leaving to the reply read), how late the generator itself ran, and every
confirmed write looked up in the database. Exits 1 if there was an error, a missing write, or p99 >= 300 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import load_client

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-load-signing-secret"


def start(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", "0"],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise SystemExit("lspbot serve did not start")
    return proc, line.strip().rsplit(" ", 1)[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="requests a second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: a new SQLite file)")
    parser.add_argument("--replicas", type=int, default=None, help="lspbot serve processes (default: 1 on SQLite, 2 on PostgreSQL)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.support.fake_slack import FakeSlack

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='lspbot-bench-load-')}/load.db"
    replicas = args.replicas or (2 if url.startswith("postgresql") else 1)
    count = int(args.rate * args.seconds)
    fake = FakeSlack().start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LSPBOT_", "DATABASE_URL"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url,
                "DATABASE_URL": url, "LSPBOT_ADMINS": load_client.ADMIN, "LSPBOT_LOG_LEVEL": "WARNING",
                "LSPBOT_NOW": "2019-07-16T09:30:00+01:00"})
    subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    servers = [start(env) for _ in range(replicas)]
    try:
        bases = [base for _, base in servers]
        t0 = time.perf_counter()
        scenario = load_client.prepare(bases, SECRET, url, members=args.members, clickable=count // 5,
                                       response_url=fake.url + "respond")
        print(f"set up {args.members} members and {count // 5} actions to click in {time.perf_counter() - t0:.1f} s")
        plan = load_client.mix(scenario, count)
        t0 = time.perf_counter()
        results = load_client.send(bases, plan, SECRET, args.rate)
        took = time.perf_counter() - t0
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(10)
        fake.stop()
    figures = load_client.summary(results)
    missing = load_client.missing_writes(url, results)
    refusals = [c for c in fake.calls() if c.method.startswith("respond")]
    print(f"machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs; "
          f"{url.split(':', 1)[0]}, {replicas} replica(s)")
    print(f"sent {figures['sent']} requests in {took:.1f} s ({figures['sent'] / took:.1f}/s): {figures['by_kind']}")
    print(f"errors: {figures['errors']}; confirmed writes missing from the database: {len(missing)}; "
          f"clicks answered with a refusal: {len(refusals)}")
    print(f"latency ms: p50 {figures['p50']:.1f}, p95 {figures['p95']:.1f}, p99 {figures['p99']:.1f}, "
          f"max {figures['max']:.1f}, mean {figures['mean']:.1f}; generator's worst lateness {figures['max_lag']:.1f} ms")
    for kind in ("add", "list", "update", "done"):
        ms = [r.ms for r in results if r.planned.kind == kind]
        print(f"  {kind:7} p50 {load_client.percentile(ms, 50):6.1f}  p99 {load_client.percentile(ms, 99):6.1f}")
    for r in [r for r in results if r.error][:5]:
        print(f"  error: {r.planned.kind} {r.planned.label}: {r.error}")
    ok = figures["errors"] == 0 and not missing and not refusals and figures["p99"] < 300
    print("PASS" if ok else "FAIL", "(zero errors, every write present, p99 < 300 ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
