"""A board left alone for a quarter: every job on its working day and hour, once each, with a controlled clock."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.runtime import Runtime, run_command
from bot.services.scheduler import run_due, simulate
from store import boards, db, meetings
from store import performance as performance_store
from store import updates as update_store
from store.models import OutboxMessage, PerformanceKind, Rag
from tests.support.settings import ADMIN, LONDON
from tests.support.slack_requests import blocks_text

CHANNEL = "CQUARTER1"
CHAIR, SECRETARY, ALICE, BOB = "UQCHAIR1", "UQSEC1", "UQALICE1", "UQBOB1"


def command(runtime: Runtime, user: str, command: str, text: str) -> None:
    outcome = run_command(runtime, command, user_id=user, channel_id=CHANNEL, text=text)
    assert outcome.ok, blocks_text(outcome.payload)


@pytest.fixture
def quarter_board(runtime: Runtime, clock: FixedClock) -> int:
    clock.set(dt.datetime(2019, 9, 2, 10, 0, tzinfo=LONDON))
    command(runtime, ADMIN, "/lsp", f'board create "Quarter Board" chair:<@{CHAIR}|chair> org:"LB Ealing"')
    command(runtime, CHAIR, "/lsp", f'member add <@{SECRETARY}|secretary> org:"LB Ealing" role:secretariat')
    command(runtime, CHAIR, "/lsp", f'member add <@{ALICE}|alice> org:"Ealing PCT" role:member')
    command(runtime, CHAIR, "/lsp", f'member add <@{BOB}|bob> org:"Metropolitan Police" role:member')
    with db.session_scope(runtime.sessions) as session:
        board = boards.get_by_channel(session=session, channel_id=CHANNEL)
        meetings.create(session=session, board_id=board.id, date=dt.date(2019, 10, 10),
                        starts_at=dt.datetime(2019, 10, 10, 10, 0, tzinfo=LONDON), venue="Southall Library",
                        now=clock.now())
        pct = boards.find_organisation(session=session, board_id=board.id, name="Ealing PCT")
        performance_store.create_item(session=session, board_id=board.id, kind=PerformanceKind.OUTCOME,
                                      name="Healthier lives", created_by=CHAIR, now=clock.now(), lead_organisation=pct)
        performance_store.create_item(session=session, board_id=board.id, kind=PerformanceKind.PROJECT,
                                      name="Data sharing", created_by=CHAIR, now=clock.now(),
                                      lead_member=boards.get_member(session=session, slack_user_id=BOB))
        return board.id


def sent(runtime: Runtime) -> list[OutboxMessage]:
    with db.session_scope(runtime.sessions) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_quarter_left_alone(runtime: Runtime, clock: FixedClock, quarter_board: int):
    by_day: dict[dt.date, list[OutboxMessage]] = defaultdict(list)
    seen = 0

    def collect(result) -> None:
        nonlocal seen
        rows = sent(runtime)
        for m in rows[seen:]:
            by_day[result.occasion.astimezone(LONDON).date()].append(m)
        seen = len(rows)

    # Alice's organisation sends its update on Saturday 5 October; Bob returns his project on 14 October.
    simulate(runtime, clock, dt.datetime(2019, 9, 16, tzinfo=LONDON), dt.datetime(2019, 10, 4, 23, 0, tzinfo=LONDON),
             on_run=collect)
    with db.session_scope(runtime.sessions) as session:
        meeting = meetings.get_by_date(session=session, board_id=quarter_board, date=dt.date(2019, 10, 10))
        alice = boards.get_member(session=session, slack_user_id=ALICE)
        update_store.submit(session=session, meeting=meeting, organisation=alice.organisation_on(quarter_board), author=alice,
                            text="Flu clinics booked", now=dt.datetime(2019, 10, 5, 12, tzinfo=LONDON), late=False)
    simulate(runtime, clock, dt.datetime(2019, 10, 5, tzinfo=LONDON), dt.datetime(2019, 10, 14, 8, 0, tzinfo=LONDON),
             on_run=collect)
    with db.session_scope(runtime.sessions) as session:
        item = performance_store.get_item_by_name(session=session, board_id=quarter_board, name="Data sharing")
        performance_store.submit_return(session=session, item=item, quarter="2019-Q2", rag=Rag.AMBER,
                                        commentary="Protocol drafted", now=dt.datetime(2019, 10, 14, 8, tzinfo=LONDON),
                                        author=boards.get_member(session=session, slack_user_id=BOB))
    simulate(runtime, clock, dt.datetime(2019, 10, 14, 8, 30, tzinfo=LONDON),
             dt.datetime(2019, 12, 31, 23, 0, tzinfo=LONDON), on_run=collect)

    def days_with(prefix: str) -> list[dt.date]:
        return sorted(d for d, ms in by_day.items() if any(m.key.startswith(prefix) for m in ms))

    # The agenda draft: 10 days before Thursday 10 October is Monday 30 September, to the chair, with files.
    assert days_with("agenda-draft:") == [dt.date(2019, 9, 30)]
    draft = [m for m in by_day[dt.date(2019, 9, 30)] if m.key.startswith("agenda-draft:")]
    assert {m.target for m in draft} == {CHAIR}
    assert sorted(m.payload.get("_method", "chat.postMessage") for m in draft) == ["chat.postMessage", "files.upload", "files.upload"]
    draft_text = blocks_text(next(m.payload for m in draft if "blocks" in m.payload))
    assert "Quarter Board" in draft_text
    buttons = [e["action_id"] for m in draft if "blocks" in m.payload for b in m.payload["blocks"]
               if b["type"] == "actions" for e in b["elements"]]
    assert "agenda_publish" in buttons and "agenda_regenerate" in buttons

    # Partner updates: everyone asked on Thursday 3 October; the second ask on Tuesday 8 October skips Alice,
    # whose organisation had sent its update.
    assert days_with("update-ask:") == [dt.date(2019, 10, 3), dt.date(2019, 10, 8)]
    first = {m.target for m in by_day[dt.date(2019, 10, 3)] if m.key.startswith("update-ask:")}
    second = {m.target for m in by_day[dt.date(2019, 10, 8)] if m.key.startswith("update-ask:")}
    assert first == {CHAIR, SECRETARY, ALICE, BOB} and second == {CHAIR, SECRETARY, BOB}
    ask = next(m for m in by_day[dt.date(2019, 10, 3)] if m.target == BOB and m.key.startswith("update-ask:"))
    assert "Metropolitan Police" in blocks_text(ask.payload) and "Thursday 10 October 2019" in blocks_text(ask.payload)
    assert ask.payload["blocks"][1]["elements"][0]["action_id"] == "partner_update_open"
    assert "Reminder" in blocks_text(next(m for m in by_day[dt.date(2019, 10, 8)] if m.target == BOB).payload)

    # Quarterly returns for Q2 2019/20 (July-September, the quarter just ended): notice and DMs on Tuesday
    # 1 October (the first working day of the next), due by Tuesday 22 October (15 working days on), a chase
    # on 15 October of those still missing, the summary on the 23rd.
    assert days_with("quarterly:") == [dt.date(2019, 10, 1), dt.date(2019, 10, 15), dt.date(2019, 10, 23)]
    opening = by_day[dt.date(2019, 10, 1)]
    assert {(m.target_kind, m.target) for m in opening if m.key.startswith("quarterly:")} == {
        ("channel", CHANNEL), ("user", ALICE), ("user", BOB)}
    notice = blocks_text(next(m for m in opening if m.target == CHANNEL).payload)
    assert "Q2 2019/20 (Jul–Sep 2019)" in notice and "Tuesday 22 October 2019" in notice
    assert "Healthier lives" in notice and "Q3 2019/20" not in notice
    chase = [m for m in by_day[dt.date(2019, 10, 15)] if m.key.startswith("quarterly:")]
    assert [m.target for m in chase] == [ALICE]  # Bob's return is in
    assert "Reminder" in blocks_text(chase[0].payload) and "Healthier lives" in blocks_text(chase[0].payload)
    summary = [m for m in by_day[dt.date(2019, 10, 23)] if m.key.startswith("quarterly:")]
    assert [m.target for m in summary] == [CHAIR]
    text = blocks_text(summary[0].payload)
    assert "1 return in, 1 missing" in text and "Data sharing" in text and "AMBER" in text and "Healthier lives" in text

    # Nothing on a weekend or a bank holiday (Christmas), and nothing twice.
    assert all(d.weekday() < 5 for d in by_day)
    assert dt.date(2019, 12, 25) not in by_day and dt.date(2019, 12, 26) not in by_day
    keys = [m.key for m in sent(runtime)]
    assert len(keys) == len(set(keys))
    # Running every job again for the last moment sends nothing new.
    before = len(keys)
    clock.set(dt.datetime(2019, 12, 31, 9, 30, tzinfo=LONDON))
    run_due(runtime)
    assert len(sent(runtime)) == before


@pytest.mark.parametrize("holidays", ["GB-ENG", "GB-SCT", "IE"])
def test_the_longest_deadline_allowed_still_has_its_summary_inside_the_quarter(holidays):
    """quarterly_deadline_working_days is at most 40: the summary (the working day after the deadline, sent up
    to a week late) must fall in the quarter the reminders run in, or it would never be sent."""
    from handlers.base import InvalidInput
    from handlers.board_rules import SETTINGS, BoardConfig, WorkingCalendar, board_config
    from jobs.base import BoardDay
    from jobs.quarterly_reminders import quarter_dates
    from store.models import Board

    assert SETTINGS["quarterly_deadline_working_days"].parse("40") == 40
    with pytest.raises(InvalidInput):
        SETTINGS["quarterly_deadline_working_days"].parse("41")
    board = Board(name="B", channel_id="C", timezone="Europe/London",
                  settings={"quarterly_deadline_working_days": 40, "holidays": holidays, "year_start_month": 4})
    config: BoardConfig = board_config(board)
    calendar = WorkingCalendar(config.holidays)
    for year in range(2019, 2031):
        for month in (1, 4, 7, 10):
            start = dt.date(year, month, 1)
            day = BoardDay(now=dt.datetime(year, month, 1, 9, tzinfo=LONDON), today=start, config=config,
                           calendar=calendar)
            dates = quarter_dates(day)
            assert calendar.add_working_days(dates.summary, 5) <= dates.window.end, (start, dates)
