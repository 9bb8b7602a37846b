"""Agenda benchmark: compile and render a meeting's agenda as Block Kit and as a Word document.

    .venv/bin/python -m bench.bench_agenda [--runs 30] [--database-url URL]

Fills a database with one board of 40 partner organisations (a member each), a meeting with 50
forward-plan items and 3 approved proposals, the meeting before it, and 2,000 actions on the board
(200 raised at the previous meeting, 1,000 more still open with a progress note each, 40% of the open
ones overdue, the rest closed). Then times, in process, the two things a chair waits for after
`/agenda draft`: compiling the agenda and rendering the Block Kit message (fitted to Slack's limits),
and compiling it and rendering the Word template (with the Markdown beside it). Prints p50 and p95 of each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bench.figures import percentile
from bot.render.documents import DocumentRenderer
from bot.render.environment import Renderer
from handlers.agenda_compile import agenda_data, compile_agenda
from handlers.base import Document
from store import db
from store.models import (
    Action,
    ActionStatus,
    ActionUpdate,
    AgendaProposal,
    Board,
    Meeting,
    Member,
    Membership,
    Organisation,
    PartnerUpdate,
    PlanItem,
    Role,
)

LONDON = ZoneInfo("Europe/London")
ORGANISATIONS, PLAN_ITEMS, ACTIONS, RAISED, OPEN = 40, 50, 2000, 200, 1000
NOW = dt.datetime(2019, 9, 20, 9, 0, tzinfo=LONDON)


def fill(url: str) -> int:
    """Create the board and its data; the id of the meeting to draft."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = db.make_session_factory(engine)
    now = NOW.astimezone(dt.UTC)
    with db.session_scope(sessions) as s:
        board = Board(name="LSP Executive", channel_id="CBENCH1", timezone="Europe/London", settings={},
                      created_at=now)
        s.add(board)
        s.flush()
        members = []
        for i in range(ORGANISATIONS):
            org = Organisation(board_id=board.id, name=f"Partner organisation {i:02d}")
            s.add(org)
            s.flush()
            member = Member(slack_user_id=f"UB{i:05d}", display_name=f"Member {i:02d}")
            s.add(member)
            s.flush()
            role = Role.CHAIR if i == 0 else Role.MEMBER
            s.add(Membership(board_id=board.id, member_id=member.id, role=role, organisation_id=org.id))
            members.append((member, org.id))
        previous = Meeting(board_id=board.id, date=dt.date(2019, 7, 15), venue="TBC", created_at=now,
                           starts_at=dt.datetime(2019, 7, 15, 10, tzinfo=LONDON))
        meeting = Meeting(board_id=board.id, date=dt.date(2019, 10, 10), venue="Perceval House", created_at=now,
                          starts_at=dt.datetime(2019, 10, 10, 10, tzinfo=LONDON))
        following = Meeting(board_id=board.id, date=dt.date(2020, 1, 20), venue="TBC", created_at=now)
        s.add_all([previous, meeting, following])
        s.flush()
        kinds = ["for decision", "for discussion", "for information", "presentation", "standing item"]
        s.execute(insert(PlanItem), [
            dict(board_id=board.id, ref=i + 1, meeting_id=meeting.id, title=f"Forward plan item {i + 1}: "
                 + "a report on the borough plan's progress " * 2, lead=f"Partner organisation {i % 40:02d}/DWP",
                 lead_links=[], kind=kinds[i % 5], position=i, created_at=now, updated_at=now)
            for i in range(PLAN_ITEMS)
        ])
        s.execute(insert(AgendaProposal), [
            dict(board_id=board.id, ref=i + 1, meeting_id=meeting.id, title=f"Proposal {i + 1}", lead="",
                 lead_links=[], proposer_id=members[i + 1][0].id, status="approved", created_at=now)
            for i in range(3)
        ])
        rows = []
        for i in range(ACTIONS):
            is_open = i < RAISED + OPEN and (i >= RAISED or i % 2 == 0)
            due = dt.date(2019, 9, 20) + dt.timedelta(days=(-30 if i % 5 < 2 else 30) + i % 20)
            rows.append(dict(board_id=board.id, ref=i + 1, text=f"Action {i + 1}: follow up the partnership work",
                             owner_id=members[i % ORGANISATIONS][0].id, due_date=due,
                             status=ActionStatus.OPEN if is_open else ActionStatus.DONE,
                             meeting_id=previous.id if i < RAISED else None, created_by_id=members[0][0].id,
                             created_at=now, updated_at=now))
        s.execute(insert(Action), rows)
        board.next_action_ref = ACTIONS + 1
        ids = [a for (a,) in s.execute(Action.__table__.select().with_only_columns(Action.id)
                                       .where(Action.status == ActionStatus.OPEN))]
        s.execute(insert(ActionUpdate), [dict(action_id=a, author_id=members[0][0].id, kind="progress",
                                              note="Met the partners; report due next month", created_at=now)
                                         for a in ids])
        s.execute(insert(PartnerUpdate), [
            dict(board_id=board.id, meeting_id=meeting.id, organisation_id=org_id, author_id=m.id,
                 text=f"Update from partner {i:02d}: " + "progress on the shared priorities this quarter. " * 6,
                 submitted_at=now + dt.timedelta(minutes=i), first_submitted_at=now + dt.timedelta(minutes=i),
                 late=False) for i, (m, org_id) in enumerate(members)])
        meeting_id = meeting.id
    engine.dispose()
    return meeting_id



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    args = parser.parse_args(argv)
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='lspbot-bench-')) / 'bench.db'}"
    meeting_id = fill(url)
    engine = db.make_engine(url)
    sessions = db.make_session_factory(engine)
    renderer = Renderer()
    documents = DocumentRenderer()
    today = NOW.date()
    timings: dict[str, list[float]] = {"blockkit": [], "docx": []}
    sizes: dict[str, int] = {}
    for run in range(args.runs + 2):  # the first two warm caches and templates, and are not counted
        for kind in ("blockkit", "docx"):
            with db.session_scope(sessions) as s:
                meeting = s.get(Meeting, meeting_id)
                board = s.get(Board, meeting.board_id)
                start = time.perf_counter()
                agenda = compile_agenda(s, board, meeting, today)
                data = dict(agenda_data(agenda), published=False, version=None, word_attached=False)
                if kind == "blockkit":
                    payload = renderer("slack/agenda_draft.json.j2", data)
                    sizes[kind] = len(payload["blocks"])
                else:
                    sizes[kind] = len(documents.render(Document("agenda", data, "agenda"))[0].content)
                elapsed = time.perf_counter() - start
            if run >= 2:
                timings[kind].append(elapsed * 1000)
    engine.dispose()
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; database: {url.split(':')[0]}")
    print(f"data: {ORGANISATIONS} organisations, {len(agenda.partner_updates.submitted)} partner updates, "
          f"{PLAN_ITEMS} plan items, {ACTIONS} actions "
          f"({RAISED} raised at the previous meeting, {agenda.review.open_count} open on the agenda), {args.runs} runs")
    goals = {"blockkit": 100, "docx": 300}
    labels = {"blockkit": f"Block Kit draft ({sizes['blockkit']} blocks)",
              "docx": f".docx ({sizes['docx']:,} bytes)"}
    for kind, values in timings.items():
        p50, p95 = statistics.median(values), percentile(values, 95)
        print(f"{labels[kind]:<32} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   goal < {goals[kind]} ms: "
              f"{'met' if p50 < goals[kind] else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
