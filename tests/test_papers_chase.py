"""chase-papers in-process with a controlled clock: the authors of papers still missing for the meeting of Thursday
10 October 2019 (pack published Wednesday 2 October, papers due Friday 27 September) are reminded once in the three
working days before, on the day and every working day after, one DM a day each with "Send the paper"; the
secretariat gets the overdue list once a day from Monday 30 September; a paper that arrives, or the pack's
publication, ends it."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from bot.clock import FixedClock
from bot.runtime import Runtime, run_command
from bot.services.scheduler import run_job
from handlers.papers import submit_paper
from jobs.registry import JOBS
from store import boards, db, files, packs
from store import plan as plan_store
from store.models import OutboxMessage
from tests.support.delivery import last_queued_id, queued_since
from tests.support.settings import ADMIN, LONDON
from tests.support.slack_requests import blocks_text

CHANNEL = "CPAPCHASE"
CHAIR, SECRETARY, ALICE, BOB = "UPCCHAIR", "UPCSECR", "UPCALICE", "UPCBOB"


class Board:
    def __init__(self, runtime: Runtime, clock: FixedClock) -> None:
        self.runtime, self.clock, self.board_id = runtime, clock, 0

    def command(self, user: str, command: str, text: str) -> str:
        outcome = run_command(self.runtime, command, user_id=user, channel_id=CHANNEL, text=text)
        assert outcome.ok, blocks_text(outcome.payload)
        return blocks_text(outcome.payload)

    def run(self, day: str, *, how: str = "schedule") -> list[OutboxMessage]:
        at = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(9, 0), LONDON)
        self.clock.set(at)
        before = last_queued_id(self.runtime)
        run_job(self.runtime, JOBS["chase-papers"], self.board_id, at, how=how)
        return queued_since(self.runtime, before)


@pytest.fixture
def chased(runtime: Runtime, clock: FixedClock) -> Board:
    b = Board(runtime, clock)
    b.command(ADMIN, "/lsp", f'board create "Paper Chase Board" chair:<@{CHAIR}|chair> org:"LB Ealing"')
    for user, role in ((SECRETARY, "secretariat"), (ALICE, "member"), (BOB, "member")):
        b.command(CHAIR, "/lsp", f'member add <@{user}|{user[3:].lower()}> org:"Partner {user}" role:{role}')
    b.command(CHAIR, "/plan", "meeting add 2019-10-10 10:00")
    b.command(CHAIR, "/plan", f'item add 2019-10-10 "Skills strategy" lead:"LB Ealing" paper:yes author:<@{ALICE}|alice>')
    b.command(CHAIR, "/plan", f'item add 2019-10-10 "Youth offer" lead:"LB Ealing" paper:yes author:<@{ALICE}|alice>')
    b.command(CHAIR, "/plan", f'item add 2019-10-10 "Policing plan" lead:"LB Ealing" paper:yes author:<@{BOB}|bob>')
    b.command(CHAIR, "/plan", 'item add 2019-10-10 "Any other business" lead:"LB Ealing"')
    with db.session_scope(runtime.sessions) as session:
        b.board_id = boards.get_by_channel(session=session, channel_id=CHANNEL).id
    return b


def to(messages: list[OutboxMessage]) -> dict[str, str]:
    return {m.target: blocks_text(m.payload) for m in messages}


def test_before_on_and_after_the_deadline_once_a_day_with_escalation(chased: Board) -> None:
    b = chased
    assert b.run("2019-09-23") == []  # Monday: more than three working days before the deadline
    tuesday = b.run("2019-09-24")  # three working days before Friday 27: the one reminder before
    sent = to(tuesday)
    assert set(sent) == {ALICE, BOB}
    assert "P1" in sent[ALICE] and "P2" in sent[ALICE] and "P3" not in sent[ALICE]
    assert "due by Friday 27 September 2019 (in 3 working days)" in sent[ALICE]
    alice = next(m for m in tuesday if m.target == ALICE)
    buttons = [b["accessory"] for b in alice.payload["blocks"] if "accessory" in b]
    assert [x["action_id"] for x in buttons] == ["paper_upload_open", "paper_upload_open"]
    assert b.run("2019-09-24", how="manual") == []  # a second run the same day sends nothing
    assert b.run("2019-09-25") == [] and b.run("2019-09-26") == []  # one reminder before the day, not one a day
    friday = to(b.run("2019-09-27"))
    assert set(friday) == {ALICE, BOB} and "due today" in friday[BOB]
    monday = b.run("2019-09-30")
    sent = to(monday)
    assert set(sent) == {ALICE, BOB, SECRETARY}
    assert "overdue by 1 working day" in sent[ALICE]
    assert "3 papers overdue" in sent[SECRETARY] and "bob" in sent[SECRETARY]
    assert b.run("2019-09-30", how="manual") == []

    # alice's P1 arrives: from the next day she is reminded of P2 only
    with db.session_scope(b.runtime.sessions) as session:
        board = boards.get(session=session, board_id=b.board_id)
        item = plan_store.get_item(session=session, board_id=b.board_id, ref=1)
        assert board is not None and item is not None
        submit_paper(session=session, notify=b.runtime.outbox(session), board=board, item=item,
                     filename="skills.pdf", content=b"%PDF-1.4 skills", pages=2, submitted_by="cli", submitter=None,
                     actor=None, now=b.clock.now())
    sent = to(b.run("2019-10-01"))
    assert "P2" in sent[ALICE] and "P1" not in sent[ALICE] and "overdue by 2 working days" in sent[ALICE]
    assert "2 papers overdue" in sent[SECRETARY]

    # the pack is published: the chase stops
    with db.session_scope(b.runtime.sessions) as session:
        item = plan_store.get_item(session=session, board_id=b.board_id, ref=2)
        assert item is not None
        stored = files.put(session=session, content=b"%PDF-1.4 pack", content_type="application/pdf",
                           now=b.clock.now())
        pack = packs.save(session=session, board_id=b.board_id, meeting_id=item.meeting_id, number=0,
                          audience=packs.PUBLIC, file=stored, filename="pack.pdf", pages=1, contents=[], separate=[],
                          now=b.clock.now())
        pack.published_at = b.clock.now()
    assert b.run("2019-10-02") == []


def test_at_most_one_dm_a_day_per_author_across_days(chased: Board) -> None:
    b = chased
    counts: Counter[tuple[str, str]] = Counter()
    day = dt.date(2019, 9, 20)
    while day <= dt.date(2019, 10, 9):
        for message in b.run(day.isoformat()):
            counts[(message.target, day.isoformat())] += 1
        day += dt.timedelta(days=1)
    assert counts and max(counts.values()) == 1
    alice_days = sorted(d for (who, d) in counts if who == ALICE)
    # before (once), on the deadline, then every working day until the meeting (the pack never published here)
    assert alice_days == ["2019-09-24", "2019-09-27", "2019-09-30", "2019-10-01", "2019-10-02", "2019-10-03",
                          "2019-10-04", "2019-10-07", "2019-10-08", "2019-10-09"]
    assert sorted(d for (who, d) in counts if who == SECRETARY)[0] == "2019-09-30"
