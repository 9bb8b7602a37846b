"""Benchmark: `/action list all`, `/action list overdue` (and `mine`) and the chase job at 1,000,000 actions.

For each size (default 100,000 then 1,000,000) a new database is filled in a few seconds by one
`INSERT … SELECT` from a recursive series (SQLite: a new file; PostgreSQL: a database created on the server
of `--database-url` and dropped afterwards): one board, 2,000 members, N actions of which one in ten has no
due date and one in 25 is closed; three owners in four have due dates spread over -60..+300 days, the
others only 10..300 days ahead (as in bench_chase).

Then, in process:

- the list handler as the command runs it (`handlers.actions.action_list`: its queries, the page's data and
  the Block Kit rendering), interleaved round by round with a reference: a bare indexed
  `SELECT … ORDER BY due_date LIMIT 40` of the same page on the same session, so a busy machine slows both;
  goal p50 < 5 ms at the largest size (for `mine` too);
- the chase-actions job as the scheduler runs it (`run_job`), goal < 3 s at the largest size;
- the SQL statements each issues (SQLAlchemy `before_cursor_execute`), which must not grow with N.

Exits 1 when a goal is missed or a statement count differs between the sizes.

    .venv/bin/python -m bench.bench_scale_lists [--sizes 100000 1000000] [--rounds 200]
    .venv/bin/python -m bench.bench_scale_lists --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (BigInteger, Column, Date, Engine, Integer, MetaData, String, Table, case, cast, event, insert, literal, null, select, text)

from bench.figures import percentile
from bench.scratch import scratch_database
from bot.clock import FixedClock
from bot.runtime import Runtime, build_runtime
from bot.services.scheduler import run_job
from bot.settings import load_settings
from handlers import access
from handlers.actions import action_list
from handlers.base import Request
from jobs.registry import JOBS
from store import db
from store.models import Action, ActionStatus, Board, Member, Membership, Organisation, Role
from store.outbox import Outbox

LONDON = ZoneInfo("Europe/London")
AT = dt.datetime(2019, 7, 17, 9, 0, tzinfo=LONDON)  # a Wednesday
LIST_GOAL_MS = 5.0
CHASE_GOAL_S = 3.0
PAGE = 40  # handlers.actions.LIST_PAGE
LISTS = ("all", "overdue", "mine")  # as member 1, who owns one action in 2,000
FILLING = db.Timeouts(statement=600.0, idle_in_transaction=600.0)  # a million rows in one statement, on a busy machine


# ---------------------------------------------------------------- the data set


def fill(engine: Engine, actions: int, owners: int) -> None:
    """One board, `owners` members and `actions` actions, written by the database itself from a series."""
    db.upgrade(engine)
    now = AT - dt.timedelta(days=90)
    today = AT.date()
    days = Table("bench_days", MetaData(), Column("n", Integer, primary_key=True), Column("d", Date),
                 prefixes=["TEMPORARY"])
    with engine.begin() as conn:
        conn.execute(insert(Board), [{"id": 1, "name": "Bench Board", "channel_id": "CBENCH",
                                      "timezone": "Europe/London", "settings": {}, "created_at": now,
                                      "next_action_ref": actions + 1}])
        conn.execute(insert(Organisation), [{"id": i + 1, "board_id": 1, "name": f"Partner {i + 1}"} for i in range(40)])
        conn.execute(insert(Member), [{"id": m + 1, "slack_user_id": f"UB{m + 1:06d}", "display_name": f"Member {m + 1}"}
                                      for m in range(owners)])
        conn.execute(insert(Membership), [{"board_id": 1, "member_id": m + 1, "organisation_id": m % 40 + 1,
                                           "role": Role.CHAIR if m == 0 else Role.MEMBER} for m in range(owners)])
        days.create(conn)
        conn.execute(insert(days), [{"n": n, "d": today + dt.timedelta(days=n - 60)} for n in range(361)])
        series = select(literal(0, Integer).label("i")).cte("series", recursive=True)
        series = series.union_all(select(series.c.i + 1).where(series.c.i < actions - 1))
        i = series.c.i
        owner = i % owners + 1
        lap = i // owners  # which round of the owners (so each owner has undated and closed ones)
        spread = cast(i, BigInteger) * 7919 % 360  # a day of -60..+299, scattered
        offset = case((owner > owners * 3 // 4, 70 + spread % 290), else_=spread)
        due = case((lap % 10 == 9, null()), else_=select(days.c.d).where(days.c.n == offset).scalar_subquery())
        status = case((lap % 25 == 3, literal(ActionStatus.DONE.value)), else_=literal(ActionStatus.OPEN.value))
        conn.execute(insert(Action).from_select(
            ["board_id", "ref", "text", "owner_id", "created_by_id", "status", "due_date", "created_at", "updated_at"],
            select(literal(1), i + 1, literal("Benchmark action ") + cast(i, String) + literal(" for the partnership"),
                   owner, literal(1), status, due, literal(now), literal(now)).select_from(series)))
        days.drop(conn)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))  # as autovacuum soon would; SQLite has none unless asked, as lspbot never does


# ---------------------------------------------------------------- measuring


class Statements:
    """Counts the SQL statements an engine sends."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def during(self, work: Callable[[], Any]) -> int:
        before = self.count
        work()
        return self.count - before


def list_once(runtime: Runtime, request: Request, scope: str) -> dict[str, Any]:
    """What `/action list <scope>` does once the board and the actor are known: the handler and its rendering."""
    reply = action_list(request, request.board, request.actor, scope, 1)
    return runtime.renderer.message(reply.template, reply.data)


def reference_once(runtime: Runtime, request: Request, scope: str) -> list[Any]:
    """A bare indexed query of a page of the same size: what any list must cost at least."""
    stmt = (select(Action.id, Action.ref, Action.text, Action.due_date, Action.owner_id)
            .where(Action.board_id == 1, Action.status == ActionStatus.OPEN, Action.due_date.is_not(None))
            .order_by(Action.due_date).limit(PAGE))
    if scope == "overdue":
        stmt = stmt.where(Action.due_date < AT.date())
    if scope == "mine":
        stmt = stmt.where(Action.owner_id == 1)
    return request.session.execute(stmt).all()



def measure_lists(runtime: Runtime, counter: Statements, rounds: int) -> dict[str, Any]:
    """p50/p90 of each list and of its reference, interleaved; the statements of one list command."""
    out: dict[str, Any] = {}
    with db.read_scope(runtime.sessions) as session:
        board = session.get(Board, 1)
        assert board is not None
        request = Request(session=session, clock=runtime.clock, user_id="UB000001", channel_id="CBENCH", text="",
                          notify=Outbox(session, runtime.renderer, runtime.clock.now))
        request.on_board(board, access.actor_for(request, board))
        shown = {scope: list_once(runtime, request, scope) for scope in LISTS}  # warm: caches, plans
        times: dict[str, list[float]] = {f"{kind}:{scope}": [] for kind in ("list", "ref") for scope in LISTS}
        for _ in range(rounds):
            for scope in LISTS:
                for kind, work in (("list", list_once), ("ref", reference_once)):
                    started = time.perf_counter()
                    work(runtime, request, scope)
                    times[f"{kind}:{scope}"].append((time.perf_counter() - started) * 1000)
        for scope in LISTS:
            out[scope] = {
                "p50": statistics.median(times[f"list:{scope}"]), "p90": percentile(times[f"list:{scope}"], 90),
                "ref_p50": statistics.median(times[f"ref:{scope}"]), "ref_p90": percentile(times[f"ref:{scope}"], 90),
                "statements": counter.during(lambda scope=scope: list_once(runtime, request, scope)),
                "footer": next((b["elements"][0]["text"] for b in shown[scope]["blocks"] if b["type"] == "context"), ""),
            }
    return out


def measure_chase(runtime: Runtime, counter: Statements) -> dict[str, Any]:
    """One chase-actions run as the scheduler makes it: seconds, statements, DMs queued."""
    before = counter.count
    started = time.perf_counter()
    result = run_job(runtime, JOBS["chase-actions"], 1, AT, how="schedule")
    return {"seconds": time.perf_counter() - started, "statements": counter.count - before, "dms": result.queued}


def measure(url: str, actions: int, owners: int, rounds: int) -> dict[str, Any]:
    engine = db.make_engine(url, timeouts=FILLING)
    started = time.perf_counter()
    fill(engine, actions, owners)
    filled = time.perf_counter() - started
    engine.dispose()
    settings = load_settings({"DATABASE_URL": url, "SLACK_BOT_TOKEN": "xoxb-bench"}, env_file=None)
    runtime = build_runtime(settings, clock=FixedClock(AT), migrate=False)
    try:
        counter = Statements(runtime.engine)
        lists = measure_lists(runtime, counter, rounds)
        chase = measure_chase(runtime, counter)
    finally:
        runtime.close()
    return {"fill": filled, "lists": lists, "chase": chase}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--owners", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=200, help="interleaved rounds of each list and its reference")
    parser.add_argument("--database-url", help="a PostgreSQL server (any database on it; a new one is made per size)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f}; {backend}")
    results: dict[int, dict[str, Any]] = {}
    for size in args.sizes:
        with scratch_database(args.database_url, f"lists_{size}") as url:
            results[size] = figures = measure(url, size, args.owners, args.rounds)
        print(f"\n{size:,} actions, {args.owners:,} owners (filled in {figures['fill']:.1f} s):")
        for scope in LISTS:
            f = figures["lists"][scope]
            print(f"  /action list {scope:<8} p50 {f['p50']:6.2f} ms  p90 {f['p90']:6.2f} ms  | bare indexed page "
                  f"p50 {f['ref_p50']:5.2f} ms  p90 {f['ref_p90']:5.2f} ms  | ratio {f['p50'] / f['ref_p50']:5.1f}x"
                  f"  | {f['statements']} statements  | {f['footer']!r}")
        c = figures["chase"]
        print(f"  chase-actions run        {c['seconds']:6.2f} s   {c['statements']} statements, {c['dms']:,} DMs queued")
    failures = []
    largest = results[max(args.sizes)]
    for scope in LISTS:
        if largest["lists"][scope]["p50"] >= LIST_GOAL_MS:
            failures.append(f"/action list {scope}: p50 {largest['lists'][scope]['p50']:.2f} ms (goal < {LIST_GOAL_MS} ms)")
    if largest["chase"]["seconds"] >= CHASE_GOAL_S:
        failures.append(f"chase-actions: {largest['chase']['seconds']:.2f} s (goal < {CHASE_GOAL_S} s)")
    counts = {size: ([r["lists"][s]["statements"] for s in LISTS], r["chase"]["statements"])
              for size, r in results.items()}
    if len({repr(c) for c in counts.values()}) > 1:
        failures.append(f"statement counts differ between sizes: {counts}")
    print("\nstatements (lists: " + ", ".join(LISTS) + "; chase) by size: "
          + ", ".join(f"{size:,}: {c}" for size, c in counts.items()))
    for failure in failures:
        print(f"MISSED: {failure}")
    print("all goals met" if not failures else f"{len(failures)} goal(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
