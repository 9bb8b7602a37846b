"""HTTP benchmark: signed /action add and /action list against `lspbot serve` with 100,000 actions.

    .venv/bin/python -m bench.bench_http [--requests 2000] [--database-url URL]

Fills a database with 100,000 actions over 20 boards and 2,000 members, starts `lspbot serve` as a
subprocess, and sends signed slash commands from this (second) process, one new TCP connection per
request as Slack makes them. In the same run it measures three references served by the same waitress
server: a plain WSGI app that only checks the signature (the floor), a bare Bolt app whose listener only
acks with default settings, and the same with process_before_response=True. Prints p50, p99 and the
ratio of each to the floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import http.client
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from sqlalchemy import insert

from bench import reference_apps
from store import db
from store.models import Action, ActionStatus, Board, Member, Membership, Organisation, Role

ROOT = Path(__file__).resolve().parent.parent
BOARDS, MEMBERS, ACTIONS = 20, 2000, 100_000


def fill(url: str) -> list[tuple[str, str]]:
    """Create the data set; returns (user id, channel id) of each member."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    rnd = random.Random(7)
    with engine.begin() as conn:
        conn.execute(insert(Board), [{"id": b + 1, "name": f"Board {b + 1}", "channel_id": f"CBENCH{b + 1:03d}",
                                      "timezone": "Europe/London", "settings": {}, "created_at": now,
                                      "next_action_ref": ACTIONS // BOARDS + 1} for b in range(BOARDS)])
        conn.execute(insert(Organisation), [{"id": b * 40 + i + 1, "board_id": b + 1, "name": f"Partner {i + 1}"}
                                            for b in range(BOARDS) for i in range(40)])
        conn.execute(insert(Member), [{"id": m + 1, "slack_user_id": f"UBENCH{m + 1:05d}", "display_name": f"Member {m + 1}"}
                                      for m in range(MEMBERS)])
        per_board = MEMBERS // BOARDS
        conn.execute(insert(Membership), [{"board_id": m // per_board + 1, "member_id": m + 1,
                                           "organisation_id": (m // per_board) * 40 + m % 40 + 1,
                                           "role": Role.CHAIR if m % per_board == 0 else Role.MEMBER}
                                          for m in range(MEMBERS)])
        rows = []
        for i in range(ACTIONS):
            board = i % BOARDS
            owner = board * per_board + rnd.randrange(per_board) + 1
            status = ActionStatus.OPEN if rnd.random() < 0.6 else ActionStatus.DONE
            rows.append({"board_id": board + 1, "ref": i // BOARDS + 1, "text": f"Benchmark action {i}",
                         "owner_id": owner, "created_by_id": owner, "status": status,
                         "due_date": today + dt.timedelta(days=rnd.randrange(-60, 120)),
                         "created_at": now, "updated_at": now})
            if len(rows) == 10_000:
                conn.execute(insert(Action), rows)
                rows = []
        if rows:
            conn.execute(insert(Action), rows)
    engine.dispose()
    return [(f"UBENCH{m + 1:05d}", f"CBENCH{m // (MEMBERS // BOARDS) + 1:03d}") for m in range(MEMBERS)]


def start(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise SystemExit(f"server did not start: {cmd}")
    return proc, int(line.strip().rsplit(":", 1)[-1])


def signed(secret: str, form: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    body = urllib.parse.urlencode(form).encode()
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
                  "X-Slack-Signature": sig}


def measure(port: int, secret: str, make_form, n: int) -> list[float]:
    """Sequential requests, a new connection each; latencies in ms."""
    out = []
    for i in range(n):
        body, headers = signed(secret, make_form(i))
        t0 = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/slack/events", body, headers)
        resp = conn.getresponse()
        resp.read()
        conn.close()
        elapsed = (time.perf_counter() - t0) * 1000
        if resp.status != 200:
            raise SystemExit(f"HTTP {resp.status} from port {port}: {resp.read()[:200]!r} for {make_form.__name__}")
        out.append(elapsed)
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lspbot-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    t0 = time.perf_counter()
    people = fill(url)
    print(f"filled {ACTIONS:,} actions, {MEMBERS:,} members, {BOARDS} boards in {time.perf_counter() - t0:.1f}s ({url.split(':')[0]})")

    from tests.support.fake_slack import FakeSlack

    fake = FakeSlack().start()
    secret = reference_apps.SECRET
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LSPBOT_"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": fake.url,
                "DATABASE_URL": url, "LSPBOT_LOG_LEVEL": "WARNING"})
    rnd = random.Random(11)

    def form(text_for):
        def make(i: int) -> dict[str, str]:
            user, channel = people[rnd.randrange(len(people))]
            return {"command": "/action", "text": text_for(i), "user_id": user, "channel_id": channel,
                    "team_id": "T0", "trigger_id": "1.2.3", "response_url": "https://hooks.slack.com/x"}
        return make

    add_form = form(lambda i: f"add Benchmark follow-up {i} by Friday")
    list_form = form(lambda i: "list")
    results: dict[str, list[float]] = {}
    servers = [
        ("floor (signature check only)", [sys.executable, "-m", "bench.reference_apps", "floor"], [("ack", add_form)]),
        ("bare Bolt, default settings", [sys.executable, "-m", "bench.reference_apps", "bolt-default"], [("ack", add_form)]),
        ("bare Bolt, process_before_response", [sys.executable, "-m", "bench.reference_apps", "bolt-pbr"], [("ack", add_form)]),
        ("lspbot", [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", "0"],
         [("/action add", add_form), ("/action list", list_form)]),
    ]
    for name, cmd, cases in servers:
        proc, port = start(cmd, env)
        try:
            for label, make in cases:
                measure(port, secret, make, 50)  # warm up
                key = name if label == "ack" else f"{name} {label}"
                results[key] = measure(port, secret, make, args.requests)
        finally:
            proc.terminate()
            proc.wait(10)
    fake.stop()
    floor = statistics.median(results["floor (signature check only)"])
    print(f"\n{args.requests} sequential requests each, new connection per request, {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'server':45} {'p50 ms':>8} {'p99 ms':>8} {'p50/floor':>10} {'p99/floor':>10}")
    for key, values in results.items():
        p50, p99 = pct(values, 50), pct(values, 99)
        print(f"{key:45} {p50:8.2f} {p99:8.2f} {p50 / floor:10.1f} {p99 / floor:10.1f}")


if __name__ == "__main__":
    main()
