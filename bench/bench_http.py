"""HTTP benchmark: signed slash commands against `lspbot serve` at 100,000 actions, interleaved with the floor.

    .venv/bin/python -m bench.bench_http [--requests 1000] [--database-url URL]

Fills a database (a new SQLite file, or the given empty one) with 100,000 actions over 20 boards and 2,000
members (every member's time zone known, one meeting coming up per board), then starts two servers on the
same waitress server: `lspbot serve` and the floor (bench/reference_apps.py: a plain WSGI app that only checks
the signature). From this process it sends signed slash commands as random members of random boards: `/action
add`, `/action list` (mine, all, overdue), `/action done` (on one of the member's own open actions), `/update`
and `/plan`; and the same signed body to the floor. The cases and two connection modes (a new TCP connection per
request, as Slack makes them, and one kept-alive connection per server) are interleaved in small batches, so a
busy moment of the machine falls on the floor, the commands and both modes alike. Before them, untimed, a `/plan` from every member (a
running bot has seen its members: see `first_sight`) and 20 of each case.

Prints p50 and p99 per command and mode and the ratio of each p50 to the floor's p50 in the same mode. Goals
(issue 14): p50 <= 5x the floor on SQLite and <= 8x on PostgreSQL, p99 < 15 ms. It also counts the SQL
statements each command sends, before the timed runs and after the same first sight of every member, in this
process (the same app, its WSGI callable called directly, a SQLAlchemy `before_cursor_execute` listener on the
engine), at 100,000 actions and at 10,000: they must be the same. Exits 1 when a goal is missed or a reply is
a refusal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event, insert, text

from bench import reference_apps
from bench.load_client import ERROR_MARKS, percentile, sign
from store import db
from store.models import Action, ActionStatus, Board, Meeting, Member, Membership, Organisation, Role

ROOT = Path(__file__).resolve().parent.parent
BOARDS, MEMBERS, ACTIONS = 20, 2000, 100_000
SMALL = 10_000  # the second data set of the statement count (pages of every list still full)
BATCH = 5  # requests of one case in a row before the next case
P50_GOAL = {"sqlite": 5.0, "postgresql": 8.0}  # x the floor
P99_GOAL_MS = 15.0
FLOOR = "floor"


@dataclass
class Person:
    user: str
    channel: str
    open_refs: list[int] = field(default_factory=list)  # their own open actions, for `/action done`


def fill(url: str, actions: int = ACTIONS) -> list[Person]:
    """Create the data set (into an empty database); every member with their board's channel and open actions."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    rnd = random.Random(7)
    per_board = MEMBERS // BOARDS
    people = [Person(f"UBENCH{m + 1:05d}", f"CBENCH{m // per_board + 1:03d}") for m in range(MEMBERS)]
    with engine.begin() as conn:
        conn.execute(insert(Board), [{"id": b + 1, "name": f"Board {b + 1}", "channel_id": f"CBENCH{b + 1:03d}",
                                      "timezone": "Europe/London", "settings": {}, "created_at": now,
                                      "next_action_ref": actions // BOARDS + 1} for b in range(BOARDS)])
        conn.execute(insert(Organisation), [{"id": b * 40 + i + 1, "board_id": b + 1, "name": f"Partner {i + 1}"}
                                            for b in range(BOARDS) for i in range(40)])
        conn.execute(insert(Member), [{"id": m + 1, "slack_user_id": p.user, "display_name": f"Member {m + 1}",
                                       "timezone": "Europe/London"} for m, p in enumerate(people)])
        conn.execute(insert(Membership), [{"board_id": m // per_board + 1, "member_id": m + 1,
                                           "organisation_id": (m // per_board) * 40 + m % 40 + 1,
                                           "role": Role.CHAIR if m % per_board == 0 else Role.MEMBER}
                                          for m in range(MEMBERS)])
        conn.execute(insert(Meeting), [{"board_id": b + 1, "date": today + dt.timedelta(days=14), "venue": "TBC",
                                        "created_at": now} for b in range(BOARDS)])
        rows = []
        for i in range(actions):
            board = i % BOARDS
            owner = board * per_board + rnd.randrange(per_board)
            status = ActionStatus.OPEN if rnd.random() < 0.6 else ActionStatus.DONE
            ref = i // BOARDS + 1
            if status is ActionStatus.OPEN:
                people[owner].open_refs.append(ref)
            rows.append({"board_id": board + 1, "ref": ref, "text": f"Benchmark action {i}",
                         "owner_id": owner + 1, "created_by_id": owner + 1, "status": status,
                         "due_date": today + dt.timedelta(days=rnd.randrange(-60, 120)),
                         "created_at": now, "updated_at": now})
            if len(rows) == 10_000:
                conn.execute(insert(Action), rows)
                rows = []
        if rows:
            conn.execute(insert(Action), rows)
    if engine.dialect.name == "postgresql":
        # What autovacuum would do within a minute of so many rows (PostgreSQL 13 and later vacuum a table after
        # inserts too): statistics for the planner, which without them took another index for the overdue list's
        # count (4.4 ms instead of 0.3), and the visibility map for index-only scans. Before the timed runs, so it
        # does not start in the middle of them. SQLite has no statistics unless asked, as lspbot never does.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return people


def commands(people: list[Person], seed: int = 11) -> dict[str, Callable[[], dict[str, str]]]:
    """Each measured command as a maker of its next form (a random member of a random board)."""
    rnds = iter(random.Random(seed + n) for n in range(10**9))  # one each: the same people at any data size
    count = iter(range(10**9))

    owners = [p for p in people if p.open_refs]

    def any_member(rnd: random.Random) -> Person:
        return rnd.choice(people)

    def an_owner(rnd: random.Random) -> Person:
        """A member with an open action of their own (each action closed once)."""
        person = rnd.choice(owners)
        if len(person.open_refs) == 1:
            owners.remove(person)
        return person

    def form(command: str, text: Callable[[Person], str],
             pick: Callable[[random.Random], Person] = any_member) -> Callable[[], dict[str, str]]:
        rnd = next(rnds)

        def make() -> dict[str, str]:
            person = pick(rnd)
            return {"command": command, "text": text(person), "user_id": person.user, "user_name": person.user.lower(),
                    "channel_id": person.channel, "team_id": "T0", "trigger_id": f"1.{next(count)}.3",
                    "response_url": "https://hooks.slack.com/commands/T0/1/x"}
        return make

    return {
        "/action add": form("/action", lambda p: f"add Benchmark follow-up {next(count)} by Friday"),
        "/action list": form("/action", lambda p: "list"),
        "/action list all": form("/action", lambda p: "list all"),
        "/action list overdue": form("/action", lambda p: "list overdue"),
        "/action done": form("/action", lambda p: f"done #{p.open_refs.pop()}", an_owner),
        "/update": form("/update", lambda p: f"Benchmark update {next(count)}"),
        "/plan": form("/plan", lambda p: ""),
    }


def first_sight(people: list[Person]) -> list[dict[str, str]]:
    """A `/plan` from each member, sent untimed before the measured requests: a process looks up the time zone
    of someone it has not seen yet after the ack, and a running bot has seen its members (the steady state)."""
    return [{"command": "/plan", "text": "", "user_id": p.user, "user_name": p.user.lower(), "channel_id": p.channel,
             "team_id": "T0", "trigger_id": f"0.{n}.3", "response_url": "https://hooks.slack.com/commands/T0/1/x"}
            for n, p in enumerate(people)]


def refusal(body: bytes) -> str:
    """The error mark in a command's reply, if it is one."""
    try:
        shown = json.dumps(json.loads(body), ensure_ascii=False)
    except ValueError:
        return f"not JSON: {body[:80]!r}"
    return next((mark for mark in ERROR_MARKS if mark in shown), "")


class Client:
    """Requests to one server: a new connection each, or one kept alive. Signed POSTs of Slack's forms (`post`), and
    GETs of the web pages (`get`, bench/bench_web.py)."""

    def __init__(self, port: int, *, keep_alive: bool) -> None:
        self.port, self.keep_alive = port, keep_alive
        self.conn: http.client.HTTPConnection | None = None

    def post(self, form: dict[str, str]) -> tuple[float, bytes]:
        body = urllib.parse.urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(reference_apps.SECRET, body)}
        return self.request("POST", "/slack/events", body, headers)

    def get(self, path: str) -> tuple[float, bytes]:
        return self.request("GET", path)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[float, bytes]:
        """One request: milliseconds to the whole answer, and the answer (anything but 200 stops the benchmark)."""
        started = time.perf_counter()
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self.conn.request(method, path, body, headers or {})
        resp = self.conn.getresponse()
        data = resp.read()
        if not self.keep_alive:
            self.conn.close()
            self.conn = None
        elapsed = (time.perf_counter() - started) * 1000
        if resp.status != 200:
            raise SystemExit(f"HTTP {resp.status} for {method} {path} on port {self.port}: {data[:200]!r}")
        return elapsed, data

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def start(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if "listening on" not in line:
        proc.kill()
        raise SystemExit(f"server did not start: {cmd}")
    return proc, int(line.strip().rsplit(":", 1)[-1])


def serve_env(url: str, slack_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LSPBOT_"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": reference_apps.SECRET,
                "SLACK_API_URL": slack_url, "DATABASE_URL": url, "LSPBOT_LOG_LEVEL": "WARNING"})
    return env


LSPBOT = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", "0", "--no-scheduler"]


MODES = {"new connection": False, "keep-alive": True}


def interleaved(floor_port: int, lspbot_port: int, makers: dict[str, Callable[[], dict[str, str]]],
                requests: int) -> dict[str, dict[str, list[float]]]:
    """`requests` of each command and of the floor in each connection mode, BATCH of one case and mode after BATCH
    of the next, so that the modes and cases share every moment of the run; latencies in ms by mode and case."""
    clients = {mode: (Client(floor_port, keep_alive=keep), Client(lspbot_port, keep_alive=keep))
               for mode, keep in MODES.items()}
    out: dict[str, dict[str, list[float]]] = {mode: {FLOOR: [], **{name: [] for name in makers}} for mode in MODES}
    for _ in range(-(-requests // BATCH)):
        for mode, (floor, lspbot) in clients.items():
            cases = [(FLOOR, floor, makers["/action add"]), *((name, lspbot, make) for name, make in makers.items())]
            for name, client, make in cases:
                for _ in range(BATCH):
                    ms, data = client.post(make())
                    if client is lspbot and (why := refusal(data)):
                        raise SystemExit(f"{name} was refused ({why}): {data[:300]!r}")
                    out[mode][name].append(ms)
    for pair in clients.values():
        for client in pair:
            client.close()
    return out


def count_statements(url: str, slack_url: str, people: list[Person], runs: int = 20) -> dict[str, float]:
    """SQL statements per command, sent by the app in this process (its WSGI callable called directly)."""
    from bot.runtime import build_runtime
    from bot.settings import load_settings
    from bot.slack.app import create_app
    from bot.slack.web import make_wsgi
    from tests.support.bolt import Inline, call_wsgi

    runtime = build_runtime(load_settings(serve_env(url, slack_url), env_file=None))
    wsgi = make_wsgi(create_app(runtime, listener_executor=Inline()), runtime)
    sent = 0

    @event.listens_for(runtime.engine, "before_cursor_execute")
    def _count(*_args: object) -> None:
        nonlocal sent
        sent += 1

    def post(form: dict[str, str]) -> None:
        body = urllib.parse.urlencode(form).encode()
        result = call_wsgi(wsgi, body, {"Content-Type": "application/x-www-form-urlencoded",
                                        **sign(reference_apps.SECRET, body)})
        if result.status != 200 or refusal(result.body):
            raise SystemExit(f"{form['command']} {form['text']} was refused in process: {result.body[:300]!r}")

    counts: dict[str, float] = {}
    try:
        for form in first_sight(people):
            post(form)
        for name, make in commands(people, seed=13).items():
            post(make())  # warm: the seen-set's first purge, the pool's first connection
            sent = 0
            for _ in range(runs):
                post(make())
            counts[name] = sent / runs
    finally:
        runtime.close()
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="of each command, in each connection mode")
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--small-database-url", help="a second empty database for the statement count at 1,000 "
                                                     "actions (default: a new SQLite file, or for PostgreSQL none: "
                                                     "the count is then taken at 100,000 only)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lspbot-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    small_url = args.small_database_url or (None if args.database_url else f"sqlite:///{tmp / 'small.db'}")
    backend = url.split(":")[0].split("+")[0]
    started = time.perf_counter()
    people = fill(url)
    print(f"filled {ACTIONS:,} actions, {MEMBERS:,} members, {BOARDS} boards in "
          f"{time.perf_counter() - started:.1f}s ({backend})", flush=True)

    from tests.support.fake_slack import FakeSlack

    fake = FakeSlack().start()
    # Counted first, on both data sets as filled: what a command sends depends on what came before it (an update
    # replacing an earlier one reads it), and both sets see the same people in the same order.
    statements = count_statements(url, fake.url, people)
    small = count_statements(small_url, fake.url, fill(small_url, SMALL)) if small_url else None
    env = serve_env(url, fake.url)
    floor_proc, floor_port = start([sys.executable, "-m", "bench.reference_apps", "floor"], env)
    lspbot_proc, lspbot_port = start(LSPBOT, env)
    makers = commands(people)
    try:
        warm = Client(lspbot_port, keep_alive=True)
        for form in first_sight(people):
            warm.post(form)
        warm.close()
        interleaved(floor_port, lspbot_port, makers, 20)  # warm up
        results = interleaved(floor_port, lspbot_port, makers, args.requests)
    finally:
        for proc in (floor_proc, lspbot_proc):
            proc.terminate()
            proc.wait(10)
    fake.stop()

    missed: list[str] = []
    goal = P50_GOAL[backend]
    print(f"\n{args.requests} requests of each command and of the floor per mode, interleaved {BATCH} at a time; "
          f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"goals: p50 <= {goal:.0f}x the floor, p99 < {P99_GOAL_MS:.0f} ms\n")
    print(f"{'mode':15} {'command':22} {'p50 ms':>8} {'p99 ms':>8} {'p50/floor':>10}")
    for mode, by_case in results.items():
        floor_p50 = percentile(by_case[FLOOR], 50)
        for name, values in by_case.items():
            p50, p99 = percentile(values, 50), percentile(values, 99)
            ratio = p50 / floor_p50
            marks = []
            if name != FLOOR and ratio > goal:
                marks.append(f"p50 over {goal:.0f}x")
            if name != FLOOR and p99 >= P99_GOAL_MS:
                marks.append(f"p99 over {P99_GOAL_MS:.0f} ms")
            missed += [f"{mode} {name}: {m}" for m in marks]
            print(f"{mode:15} {name:22} {p50:8.2f} {p99:8.2f} {ratio:10.1f}  {'MISSED: ' + ', '.join(marks) if marks else ''}")
    print(f"\nSQL statements per command (mean of 20), at {ACTIONS:,} actions"
          + (f" and at {SMALL:,}" if small else ""))
    for name, n in statements.items():
        at_small = f"{small[name]:8.1f}" if small else ""
        print(f"  {name:22} {n:8.1f} {at_small}")
        if small and round(small[name]) != round(n):
            missed.append(f"{name}: {n} statements at {ACTIONS:,} actions, {small[name]} at {SMALL:,}")
    if missed:
        print("\nMISSED:\n  " + "\n  ".join(missed))
        return 1
    print("\nevery goal met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
