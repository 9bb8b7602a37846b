"""Reports and agendas at scale: the quarterly report, the agenda draft (Block Kit) and the Word agenda over a board
with up to 1,000,000 actions in its history.

    .venv/bin/python -m bench.bench_scale_reports [--sizes 100000,1000000] [--runs 7] [--database-url URL]

For each size, fills a new database (a SQLite file, or a PostgreSQL database created on the server of
`--database-url` and dropped afterwards) with one board's history: 40 partner organisations, 40 members and 20
who have left (their actions still count for the organisation they represented) and one with no organisation, a
meeting every five weeks from January 2010 to the agenda's meeting on 10 October 2019, and N actions raised
evenly over those ten years, each with its history as the bot writes it (closed ones with a "done" or "dropped"
audit record and history entry, one in ten redated, one in two hundred closed, reopened and closed again). A
board's open actions do not grow with its history: about 1,100 are open (the most recent, and a hundred stale ones
from earlier years), 200 were raised at the previous meeting, 5% have no due date. Then, interleaved run by run
with a reference (a bare SQL count of the board's actions by status, which reads every one of them), it times:

- the quarterly report (`/lsp report quarter` for the last complete quarter: the figures and the Block Kit reply);
- the agenda draft: compiling the agenda and rendering the Block Kit draft (10 reviewed actions and a count);
- the Word agenda: compiling the agenda and rendering the .docx (every reviewed action in its table) and the .md.

It prints p50 and p95 of each, its ratio to the reference, the SQL statements each one ran (counted with a
`before_cursor_execute` listener) and its peak Python memory (tracemalloc, one run apart from the timed ones,
as tracemalloc slows allocation). It exits non-zero when a goal is missed or a statement count differs between
sizes. Goals at the largest size: report < 1 s and < 200 MiB, Block Kit draft < 100 ms, Word agenda < 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, event, func, insert, select, text

from bench.figures import percentile
from bench.scratch import scratch_database
from bot.render.documents import DocumentRenderer
from bot.render.environment import Renderer
from handlers.agenda_compile import agenda_data, compile_agenda
from handlers.base import Document
from handlers.reports import quarter_report_data
from store import db
from store import performance as perf_store
from store.models import (
    Action,
    AgendaProposal,
    Board,
    Meeting,
    Member,
    Membership,
    Organisation,
    PartnerUpdate,
    PerformanceKind,
    PlanItem,
    Rag,
    Role,
)
from store.quarters import Quarter, year_start_month

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2019, 9, 20, 9, 0, tzinfo=LONDON)
HISTORY_START = dt.date(2010, 1, 4)
PREVIOUS, MEETING, FOLLOWING = dt.date(2019, 7, 15), dt.date(2019, 10, 10), dt.date(2020, 1, 20)
ORGANISATIONS, LEFT, PLAN_ITEMS, RAISED, RECENT_OPEN, STALE_OPEN = 40, 20, 50, 200, 1000, 100
BATCH = 20_000
GOALS_MS = {"report": 1000.0, "blockkit": 100.0, "docx": 1000.0}
GOAL_REPORT_MIB = 200.0
LABELS = {"reference": "reference: SQL count by status", "report": "quarterly report (figures + Block Kit)",
          "blockkit": "agenda draft (Block Kit)", "docx": "Word agenda (.docx + .md)"}


def _utc(day: dt.date, minutes: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), LONDON).astimezone(dt.UTC) + dt.timedelta(minutes=minutes)


def fill(url: str, n: int) -> int:
    """Create the board and its history; the id of the meeting whose agenda is drafted."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = db.make_session_factory(engine)
    now = NOW.astimezone(dt.UTC)
    with db.session_scope(sessions) as s:
        board = Board(name="LSP Executive", channel_id="CBENCH1", timezone="Europe/London", settings={},
                      created_at=_utc(HISTORY_START, 0))
        s.add(board)
        s.flush()
        orgs = [Organisation(board_id=board.id, name=f"Partner organisation {i:02d}") for i in range(ORGANISATIONS)]
        s.add_all(orgs)
        s.flush()
        members = [Member(slack_user_id=f"UB{i:05d}", display_name=f"Member {i:02d}")
                   for i in range(ORGANISATIONS + LEFT + 1)]
        s.add_all(members)
        s.flush()
        for i, member in enumerate(members):
            s.add(Membership(board_id=board.id, member_id=member.id, role=Role.CHAIR if i == 0 else Role.MEMBER,
                             organisation_id=orgs[i % ORGANISATIONS].id if i < ORGANISATIONS + LEFT else None,
                             left_at=_utc(dt.date(2015, 1, 1), i) if ORGANISATIONS <= i < ORGANISATIONS + LEFT else None))
        days = [HISTORY_START + dt.timedelta(days=35 * k) for k in range((PREVIOUS - HISTORY_START).days // 35)]
        meetings = [Meeting(board_id=board.id, date=d, venue="Perceval House", created_at=now) for d in days]
        meetings += [Meeting(board_id=board.id, date=PREVIOUS, venue="TBC", created_at=now,
                             starts_at=dt.datetime.combine(PREVIOUS, dt.time(10), LONDON)),
                     Meeting(board_id=board.id, date=MEETING, venue="Perceval House", created_at=now,
                             starts_at=dt.datetime.combine(MEETING, dt.time(10), LONDON)),
                     Meeting(board_id=board.id, date=FOLLOWING, venue="TBC", created_at=now)]
        s.add_all(meetings)
        s.flush()
        meeting, previous = meetings[-2], meetings[-3]
        kinds = ["for decision", "for discussion", "for information", "presentation", "standing item"]
        s.execute(insert(PlanItem), [
            dict(board_id=board.id, ref=i + 1, meeting_id=meeting.id, title=f"Forward plan item {i + 1}: "
                 + "a report on the borough plan's progress " * 2, lead=f"Partner organisation {i % 40:02d}/DWP",
                 lead_links=[], kind=kinds[i % 5], position=i, created_at=now, updated_at=now)
            for i in range(PLAN_ITEMS)])
        s.execute(insert(AgendaProposal), [
            dict(board_id=board.id, ref=i + 1, meeting_id=meeting.id, title=f"Proposal {i + 1}", lead="",
                 lead_links=[], proposer_id=members[i + 1].id, status="approved", created_at=now) for i in range(3)])
        s.execute(insert(PartnerUpdate), [
            dict(board_id=board.id, meeting_id=meeting.id, organisation_id=org.id, author_id=members[i].id,
                 text=f"Update from partner {i:02d}: " + "progress on the shared priorities this quarter. " * 6,
                 submitted_at=now, first_submitted_at=now, late=False) for i, org in enumerate(orgs)])
        for k in range(12):  # the Borough Plan's outcomes, each with its returns for the last four quarters
            item = perf_store.create_item(session=s, board_id=board.id, kind=PerformanceKind.OUTCOME,
                                          name=f"Outcome {k + 1}", created_by="UB00000", now=now,
                                          lead_organisation=orgs[k])
            for quarter in ("2018-Q3", "2018-Q4", "2019-Q1") + (("2019-Q2",) if k % 3 else ()):
                perf_store.submit_return(session=s, item=item, quarter=quarter, rag=list(Rag)[k % 3],
                                         commentary="On track with the partners' plans.", author=members[k], now=now)
        board.next_action_ref = n + 1
        board_id, meeting_id, previous_id = board.id, meeting.id, previous.id
        member_ids = [m.id for m in members]
        meeting_days = [(m.date, m.id) for m in meetings[:-3]]
    _fill_actions(engine, n, board_id, previous_id, member_ids, meeting_days)
    engine.dispose()
    return meeting_id


ACTION_COLUMNS = ("id", "board_id", "ref", "owner_id", "due_date", "text", "status", "meeting_id", "created_by_id",
                  "created_at", "updated_at", "closed_at")
AUDIT_COLUMNS = ("at", "actor", "entity", "entity_id", "operation", "before", "after")
UPDATE_COLUMNS = ("action_id", "author_id", "kind", "note", "created_at")


def _fill_actions(engine: Engine, n: int, board_id: int, previous_id: int, member_ids: list[int],
                  meeting_days: list[tuple[dt.date, int]]) -> None:
    """N actions raised evenly from HISTORY_START to NOW, with their audit records and history entries, inserted
    a batch at a time through the driver, as the driver takes them (action i has id i + 1: the database is new)."""
    sqlite = engine.dialect.name == "sqlite"
    stamp: Callable[[dt.datetime], Any] = (lambda t: f"{t:%Y-%m-%d %H:%M:%S.%f}") if sqlite else (lambda t: t)
    span = (NOW.date() - HISTORY_START).days
    day_of = [HISTORY_START + dt.timedelta(days=i * span // n) for i in range(n)]
    recent = sum(1 for d in day_of if d >= dt.date(2019, 4, 1))
    open_every, stale_every = max(1, recent // RECENT_OPEN), max(1, (n - recent) // STALE_OPEN)
    first_raised = next(i for i in range(n) if day_of[i] >= PREVIOUS)
    author, meeting_index, last = member_ids[0], 0, NOW.astimezone(dt.UTC) - dt.timedelta(hours=1)
    for first in range(0, n, BATCH):
        actions: list[tuple[Any, ...]] = []
        audit: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        for i in range(first, min(n, first + BATCH)):
            created_day, created, action_id = day_of[i], _utc(day_of[i], i % 480), i + 1
            while meeting_index + 1 < len(meeting_days) and meeting_days[meeting_index + 1][0] <= created_day:
                meeting_index += 1
            raised = first_raised <= i < first_raised + RAISED
            is_open = (i >= n - recent and i % open_every == 0) or (i < n - recent and i % stale_every == 13) \
                or (raised and i % 2 == 0)
            due = None if i % 20 == 0 else created_day + dt.timedelta(days=14 + (i * 13) % 100)
            status = "open" if is_open else "dropped" if i % 10 == 0 else "done"
            closed = None if is_open else min(created + dt.timedelta(days=1 + (i * 7) % 120, hours=3), last)
            meeting_id = previous_id if raised else (
                meeting_days[meeting_index][1] if i % 2 == 0 and created_day < PREVIOUS else None)
            owner = member_ids[(i * 7) % len(member_ids)]
            due_text = due.isoformat() if due else None
            actions.append((action_id, board_id, action_id, owner, due_text if sqlite else due,
                            f"Action {action_id}: follow up the partnership work", status, meeting_id, author,
                            stamp(created), stamp(closed or created), stamp(closed) if closed else None))
            state = f'{{"text": "Action {action_id}", "owner_id": {owner}, "due_date": {json.dumps(due_text)}, '
            opened = state + '"status": "open"}'
            if i % 10 == 3 and due is not None and created + dt.timedelta(days=5) < (closed or last):
                earlier = (due - dt.timedelta(days=30)).isoformat()
                audit.append((stamp(created + dt.timedelta(days=5)), "UB00000", "action", action_id, "redate",
                              opened.replace(due_text or "", earlier), opened))
                updates.append((action_id, author, "redated", f"Due date changed from {earlier} to {due_text}",
                                stamp(created + dt.timedelta(days=5))))
            if closed is None:
                updates.append((action_id, author, "progress", "Met the partners; report due next month",
                                stamp(created + dt.timedelta(days=1))))
                continue
            if i % 200 == 7 and created + dt.timedelta(days=3) < closed:
                done = state + '"status": "done"}'
                audit.append((stamp(created + dt.timedelta(days=2)), "UB00000", "action", action_id, "done", opened,
                              done))
                audit.append((stamp(created + dt.timedelta(days=3)), "UB00000", "action", action_id, "reopen", done,
                              opened))
            audit.append((stamp(closed), "UB00000", "action", action_id, status, opened,
                          state + f'"status": "{status}"}}'))
            updates.append((action_id, author, status, "" if i % 3 else "Done with the partners", stamp(closed)))
        with engine.begin() as conn:
            _write(conn, "actions", ACTION_COLUMNS, actions)
            _write(conn, "audit_log", AUDIT_COLUMNS, audit)
            _write(conn, "action_updates", UPDATE_COLUMNS, updates)
    if not sqlite:  # the ids were given: the sequence moves past them; and the planner's statistics, as autovacuum
        # would gather them on a live database after so many rows (SQLite has none unless ANALYZE is run: none here)
        with engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('actions', 'id'), (SELECT max(id) FROM actions))"))
            conn.execute(text("ANALYZE"))


def _write(conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Insert rows through the driver (executemany on SQLite, COPY on PostgreSQL): a million rows in seconds."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                             rows)
        return
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)



def measure(url: str, meeting_id: int, runs: int) -> dict[str, dict[str, Any]]:
    """Each kind's timings (ms), statement count and peak memory (MiB), interleaved with the reference."""
    engine = db.make_engine(url, timeouts=db.Timeouts(statement=600, idle_in_transaction=600))  # code before can be slow
    sessions = db.make_session_factory(engine)
    statements = [0]
    event.listen(engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1))
    renderer, documents = Renderer(), DocumentRenderer()
    today = NOW.date()

    def run(kind: str) -> Callable[[], object]:
        def go() -> object:
            with db.session_scope(sessions) as s:
                meeting = s.get(Meeting, meeting_id)
                board = s.get(Board, meeting.board_id)
                statements[0] = 0
                if kind == "reference":
                    return s.execute(select(Action.status, func.count()).where(Action.board_id == board.id)
                                     .group_by(Action.status)).all()
                if kind == "report":
                    quarter = Quarter.reported_on(today, year_start_month(board.settings))
                    data = quarter_report_data(session=s, board=board, quarter=quarter, today=today)
                    return renderer("slack/report_quarter.json.j2", data)
                agenda = compile_agenda(s, board, meeting, today)
                data = dict(agenda_data(agenda), published=False, version=None, word_attached=False)
                if kind == "blockkit":
                    return renderer("slack/agenda_draft.json.j2", data)
                return documents.render(Document("agenda", data, "agenda"))
        return go

    kinds = ("reference", "report", "blockkit", "docx")
    results: dict[str, dict[str, Any]] = {k: {"ms": []} for k in kinds}
    for r in range(runs + 1):  # the first warms caches and templates, and is not counted
        for kind in kinds:
            start = time.perf_counter()
            out = run(kind)()
            elapsed = (time.perf_counter() - start) * 1000
            if r:
                results[kind]["ms"].append(elapsed)
            results[kind]["statements"] = statements[0]
            if kind == "blockkit":
                results[kind]["blocks"] = len(out["blocks"])  # type: ignore[index]
            if kind == "docx":
                results[kind]["bytes"] = len(out[0].content)  # type: ignore[index]
    for kind in kinds:
        tracemalloc.start()
        run(kind)()
        results[kind]["mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    with engine.connect() as conn:
        results["reference"]["counts"] = dict(conn.execute(select(Action.status, func.count()).group_by(Action.status)).all())
    engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="numbers of actions, comma-separated")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database-url", help="a PostgreSQL URL; a new database is created on its server per size "
                                               "and dropped afterwards (default: a new SQLite file)")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",")]
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, {platform.system()} "
          f"{platform.release()}; database: {(args.database_url or 'sqlite').split(':')[0]}; {args.runs} runs per size")
    by_size: dict[int, dict[str, dict[str, Any]]] = {}
    for n in sizes:
        with scratch_database(args.database_url, f"reports_{n}") as url:
            start = time.perf_counter()
            meeting_id = fill(url, n)
            filled = time.perf_counter() - start
            by_size[n] = results = measure(url, meeting_id, args.runs)
        counts = results["reference"]["counts"]
        print(f"\n{n:,} actions (filled in {filled:.1f} s): "
              + ", ".join(f"{status.value if hasattr(status, 'value') else status} {c:,}" for status, c in counts.items())
              + f"; Block Kit draft {results['blockkit']['blocks']} blocks, .docx {results['docx']['bytes']:,} bytes")
        reference = statistics.median(results["reference"]["ms"])
        for kind, r in results.items():
            p50, p95 = statistics.median(r["ms"]), percentile(r["ms"], 95)
            print(f"  {LABELS[kind]:<40} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  x{p50 / reference:6.2f} of reference  "
                  f"{r['statements']:3d} statements  peak {r['mib']:7.1f} MiB")
    largest = by_size[max(sizes)]
    missed = []
    for kind, goal in GOALS_MS.items():
        p50 = statistics.median(largest[kind]["ms"])
        if p50 >= goal:
            missed.append(f"{LABELS[kind]}: p50 {p50:.0f} ms, goal < {goal:.0f} ms")
    if largest["report"]["mib"] >= GOAL_REPORT_MIB:
        missed.append(f"quarterly report: peak {largest['report']['mib']:.0f} MiB, goal < {GOAL_REPORT_MIB:.0f} MiB")
    for kind in GOALS_MS:
        counts = {n: by_size[n][kind]["statements"] for n in sizes}
        if len(set(counts.values())) > 1:
            missed.append(f"{LABELS[kind]}: statements grow with N: {counts}")
    print("\n" + ("\n".join(f"NOT met: {m}" for m in missed) if missed else
                  f"every goal met at {max(sizes):,} actions; statements the same at every size"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
