"""Minutes benchmark: draft a held meeting's minutes from its tables and render them as Block Kit and as a Word
document.

    .venv/bin/python -m bench.bench_minutes [--runs 30] [--database-url URL]

Fills a database with one board of 25 members (one organisation each) and a meeting held in meeting mode
(built with the models, as meeting mode leaves it): 25 people attending (24 members and a substitute for the
member who sent apologies), one officer in attendance, 30 items with outcomes and two notes each, 40 actions
raised against them and 10 declarations of interest. Then times, in process, what the secretariat waits for
when the meeting ends: the minutes' data built from the tables and the Block Kit draft rendered (fitted to
Slack's limits); and the data built and the Word document rendered (with the Markdown beside it). Each run
numbers the items and is rolled back, so every run drafts the same minutes. Prints p50 and p95 of each
against the goals (Block Kit < 100 ms, Word < 300 ms p50) and exits 1 if either is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bench.figures import percentile
from bench.scratch import scratch_database
from bot.render.documents import DocumentRenderer
from bot.render.environment import Renderer
from handlers.minutes_data import draft_content, minutes_document, view_data
from store import db
from store import meeting_record as record_store
from store.models import Board, Meeting, MeetingRecord, Member, Membership, Organisation, Role
from tests.support.held_meeting import hold_meeting

LONDON = ZoneInfo("Europe/London")
MEMBERS, ITEMS, ACTIONS, DECLARATIONS = 25, 30, 40, 10
HELD = dt.date(2019, 10, 10)
NOW = dt.datetime(2019, 10, 10, 12, 0, tzinfo=LONDON)
GOALS = {"blockkit": 100.0, "docx": 300.0}
OUTCOMES = ("agreed", "noted", "agreed as amended", "deferred", "noted", "withdrawn")


def fill(url: str) -> int:
    """The board and its held meeting; the meeting's id."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = db.make_session_factory(engine)
    with db.session_scope(sessions) as s:
        board = Board(name="LSP Executive", channel_id="CBENCHM", timezone="Europe/London", settings={},
                      created_at=NOW)
        s.add(board)
        s.flush()
        for i in range(MEMBERS):
            org = Organisation(board_id=board.id, name=f"Partner organisation {i:02d}")
            member = Member(slack_user_id=f"UM{i:05d}", display_name=f"Member {i:02d}")
            s.add_all([org, member])
            s.flush()
            s.add(Membership(board_id=board.id, member_id=member.id, organisation_id=org.id,
                             role=Role.CHAIR if i == 0 else Role.SECRETARIAT if i == 1 else Role.MEMBER))
        items = [("plan", f"Forward plan item {n}: the borough plan's progress on the shared priorities",
                  f"Partner organisation {n % MEMBERS:02d}", OUTCOMES[n % len(OUTCOMES)],
                  "Partners agree the recommendations of the report, with the changes discussed" if n % 3 == 0
                  else None,
                  [f"The lead presented item {n}. " + "Partners discussed the figures and the next steps. " * 3,
                   "The board asked for a further report at the next meeting."]) for n in range(1, ITEMS + 1)]
        held = hold_meeting(s, board, HELD, now=NOW, items=items, actions=ACTIONS, declarations=DECLARATIONS)
        meeting_id = held.meeting_id
    engine.dispose()
    return meeting_id


def draft_data(s, meeting_id: int) -> tuple[dict, int]:  # type: ignore[no-untyped-def]
    """The minutes' template data built from the tables, as `draft_minutes` builds them (items numbered first)."""
    meeting = s.get(Meeting, meeting_id)
    board = s.get(Board, meeting.board_id)
    record = s.scalars(select(MeetingRecord).where(MeetingRecord.meeting_id == meeting_id)).one()
    items = record_store.items_of(session=s, meeting_id=meeting_id)
    for seq, item in enumerate(items, start=1):
        item.minute_year, item.minute_seq, item.minute_number = 2019, seq, f"LSP/19/{seq}"
    s.flush()
    content = draft_content(s, board, meeting, record, items)
    return content, sum(len(i["actions"]) for i in content["items"])



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", help="a PostgreSQL server (any database on it): the bench makes a database "
                                               "of its own there and drops it after (default: a new SQLite file)")
    args = parser.parse_args(argv)
    with scratch_database(args.database_url, "minutes") as url:
        return measure(url, args.runs)


def measure(url: str, runs: int) -> int:
    """Fill `url`, time the minutes `runs` times, print the figures; 1 if a goal is missed."""
    meeting_id = fill(url)
    engine = db.make_engine(url)
    sessions = db.make_session_factory(engine)
    renderer, documents = Renderer(), DocumentRenderer()
    timings: dict[str, list[float]] = {"blockkit": [], "docx": []}
    sizes: dict[str, int] = {}
    actions = 0
    for run in range(runs + 2):  # the first two warm caches and templates, and are not counted
        for kind in ("blockkit", "docx"):
            s = sessions()
            try:
                start = time.perf_counter()
                content, actions = draft_data(s, meeting_id)
                if kind == "blockkit":
                    payload = renderer("slack/minutes.json.j2", dict(view_data(content, 1, "drafted"), intro="draft"))
                    sizes[kind] = len(payload["blocks"])
                else:
                    files = documents.render(minutes_document(content, 1, "drafted"))
                    sizes[kind] = len(files[0].content)
                elapsed = time.perf_counter() - start
            finally:
                s.rollback()
                s.close()
            if run >= 2:
                timings[kind].append(elapsed * 1000)
    with db.session_scope(sessions) as s:
        items = len(record_store.items_of(session=s, meeting_id=meeting_id))
    engine.dispose()
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; database: {url.split(':')[0]}")
    print(f"data: {items} items, {MEMBERS} members (24 present, 1 apologies with a substitute present), "
          f"{actions} actions raised, {DECLARATIONS} declarations, {runs} runs")
    labels = {"blockkit": f"Block Kit draft ({sizes['blockkit']} blocks)", "docx": f".docx ({sizes['docx']:,} bytes)"}
    missed = False
    for kind, values in timings.items():
        p50, p95 = statistics.median(values), percentile(values, 95)
        met = p50 < GOALS[kind]
        missed |= not met
        print(f"{labels[kind]:<32} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   goal < {GOALS[kind]:.0f} ms "
              f"(x{p50 / GOALS[kind]:.2f}): {'met' if met else 'NOT met'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
