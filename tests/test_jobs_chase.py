"""chase-actions in-process with a controlled clock: the cadence day by day across a month with a bank
holiday and the spring summer-time change, one DM per owner, idempotent re-runs, escalation and digest."""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections import defaultdict
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.render.environment import Renderer
from bot.runtime import Runtime, run_command
from bot.services.scheduler import run_due, run_job
from handlers.chase import CHASE_TEMPLATE, chase_item, chase_message
from jobs.base import collector_paused
from jobs.registry import JOBS
from store import boards, db, reminder_log
from store.models import Action, ActionChase, OutboxMessage, ReminderLog
from tests.support.delivery import last_queued_id, queued_since
from tests.support.settings import ADMIN, LONDON
from tests.support.slack_requests import blocks_text

CHANNEL = "CJOBS1"
CHAIR, SECRETARY, ALICE, BOB = "UCHAIR1", "USECRET1", "UALICE1", "UBOB1"


@dataclass
class Board:
    runtime: Runtime
    clock: FixedClock
    board_id: int

    def command(self, user: str, command: str, text: str) -> str:
        outcome = run_command(self.runtime, command, user_id=user, channel_id=CHANNEL, text=text)
        assert outcome.ok, blocks_text(outcome.payload)
        return blocks_text(outcome.payload)

    def add_action(self, text: str, owner: str, due: str) -> None:
        self.command(CHAIR, "/action", f"add {text} <@{owner}|{owner.lower()}> by {due}")

    def run(self, at: dt.datetime, *, how: str = "schedule"):
        self.clock.set(at)
        return run_job(self.runtime, JOBS["chase-actions"], self.board_id, at, how=how)

    def queued(self, since_id: int = 0) -> list[OutboxMessage]:
        return queued_since(self.runtime, since_id)

    def last_id(self) -> int:
        return last_queued_id(self.runtime)


@pytest.fixture
def chase_board(runtime: Runtime, clock: FixedClock) -> Board:
    clock.set(dt.datetime(2019, 3, 18, 10, 0, tzinfo=LONDON))
    board = Board(runtime, clock, 0)
    board.command(ADMIN, "/lsp", f'board create "Chase Board" chair:<@{CHAIR}|chair> org:"LB Ealing"')
    for user, role in ((SECRETARY, "secretariat"), (ALICE, "member"), (BOB, "member")):
        board.command(CHAIR, "/lsp", f'member add <@{user}|{user.lower()}> org:"Partner {user}" role:{role}')
    with db.session_scope(runtime.sessions) as session:
        board.board_id = boards.get_by_channel(session=session, channel_id=CHANNEL).id
    return board


def dm_texts(messages: list[OutboxMessage]) -> dict[str, str]:
    return {m.target: blocks_text(m.payload) for m in messages if m.key.startswith("chase:")}


def test_cadence_day_by_day_across_a_bank_holiday_and_summer_time(chase_board: Board):
    b = chase_board
    b.add_action("Report on the Northolt pilot", ALICE, "2019-04-03")    # #1: due after the clocks go forward
    b.add_action("Book the Easter venue", ALICE, "2019-04-19")           # #2: due on Good Friday
    b.add_action("Send the minutes", BOB, "2019-03-25")                  # #3: due on the first day
    b.add_action("Far-off review", BOB, "2019-06-28")                    # #4: never due this month
    start = dt.datetime(2019, 3, 25, 0, 0, tzinfo=LONDON)
    end = dt.datetime(2019, 4, 30, 23, 59, tzinfo=LONDON)
    with db.session_scope(b.runtime.sessions) as session:
        trigger = JOBS["chase-actions"].trigger(boards.get(session=session, board_id=b.board_id))
    fire_times = trigger.fire_times(start, end)
    days = [f.astimezone(LONDON).date() for f in fire_times]
    # Working days only: no weekends, no Good Friday (19 Apr) or Easter Monday (22 Apr).
    assert all(d.weekday() < 5 for d in days)
    assert dt.date(2019, 4, 19) not in days and dt.date(2019, 4, 22) not in days
    assert dt.date(2019, 4, 18) in days and dt.date(2019, 4, 23) in days
    # 09:00 in London either side of the change on Sunday 31 March: 09:00 GMT, then 08:00 UTC.
    assert all(f.astimezone(LONDON).time() == dt.time(9, 0) for f in fire_times)
    utc_hours = {f.astimezone(LONDON).date(): f.astimezone(dt.UTC).hour for f in fire_times}
    assert utc_hours[dt.date(2019, 3, 29)] == 9 and utc_hours[dt.date(2019, 4, 1)] == 8

    sent: dict[dt.date, dict[str, str]] = {}
    for fire in fire_times:
        before = b.last_id()
        b.run(fire)
        texts = dm_texts(b.queued(before))
        if texts:
            sent[fire.astimezone(LONDON).date()] = texts
    alice_days = sorted(d for d, t in sent.items() if ALICE in t)
    bob_days = sorted(d for d, t in sent.items() if BOB in t)
    # Bob's #3 every 7 days while overdue; the one due on Easter Monday goes on the Tuesday.
    assert bob_days == [dt.date(2019, 3, 25), dt.date(2019, 4, 1), dt.date(2019, 4, 8), dt.date(2019, 4, 15),
                        dt.date(2019, 4, 23), dt.date(2019, 4, 29)]
    assert "due today" in sent[dt.date(2019, 3, 25)][BOB]
    assert "overdue by 7 days" in sent[dt.date(2019, 4, 1)][BOB]
    assert alice_days == [
        dt.date(2019, 4, 1),   # #1 due in 2 days (its "3 days before" fell on Sunday)
        dt.date(2019, 4, 3),   # #1 due today
        dt.date(2019, 4, 10),  # #1 overdue by 7 days
        dt.date(2019, 4, 16),  # #2 due in 3 days
        dt.date(2019, 4, 17),  # #1 overdue by 14 days
        dt.date(2019, 4, 23),  # #2's due date was Good Friday: first working day after Easter Monday
        dt.date(2019, 4, 24),  # #1 overdue by 21 days: third overdue reminder, escalated
        dt.date(2019, 4, 26),  # #2 overdue by 7 days (counted from Good Friday)
    ]
    assert "due in 2 days" in sent[dt.date(2019, 4, 1)][ALICE] and "Report on the Northolt pilot" in sent[dt.date(2019, 4, 1)][ALICE]
    assert "due today" in sent[dt.date(2019, 4, 3)][ALICE]
    assert "overdue by 7 days" in sent[dt.date(2019, 4, 10)][ALICE]
    assert "due in 3 days" in sent[dt.date(2019, 4, 16)][ALICE] and "Book the Easter venue" in sent[dt.date(2019, 4, 16)][ALICE]
    assert "Report on the Northolt pilot" not in sent[dt.date(2019, 4, 16)][ALICE]
    assert "overdue by 4 days" in sent[dt.date(2019, 4, 23)][ALICE]
    assert "overdue by 7 days" in sent[dt.date(2019, 4, 26)][ALICE] and "Book the Easter venue" in sent[dt.date(2019, 4, 26)][ALICE]
    assert "Far-off review" not in str(sent)

    # Bob's #3 had its third overdue reminder on 15 April: escalated into the digest of that week
    # (Monday 15th), to the chair and the secretary, and again the next working week, once a week.
    with db.session_scope(b.runtime.sessions) as session:
        digests = list(session.scalars(select(OutboxMessage).where(OutboxMessage.key.startswith("digest:"))
                                       .order_by(OutboxMessage.id)))
        chase3 = session.scalars(select(ActionChase).order_by(ActionChase.action_id)).all()
    weeks = defaultdict(set)
    for m in digests:
        weeks[m.key.split(":")[2]].add(m.target)
    assert set(weeks) == {"2019-W16", "2019-W17", "2019-W18"}
    assert all(targets == {CHAIR, SECRETARY} for targets in weeks.values())
    first = blocks_text(digests[0].payload)
    assert "#3" in first and "Send the minutes" in first and "overdue by 21 days" in first
    assert "Report on the Northolt pilot" in blocks_text(digests[-1].payload)  # escalated on 24 April
    escalated = {c.action_id: c.escalated_on for c in chase3}
    assert escalated[3] == dt.date(2019, 4, 15) and escalated[1] == dt.date(2019, 4, 24)


def test_one_dm_per_owner_and_a_second_run_sends_nothing_new(chase_board: Board):
    b = chase_board
    for i in range(5):
        b.add_action(f"Alice's task {i}", ALICE, f"2019-03-{20 + i}")
    b.add_action("Bob's only task", BOB, "2019-03-21")
    at = dt.datetime(2019, 3, 21, 9, 0, tzinfo=LONDON)
    result = b.run(at)
    assert result.ran and result.queued == 2
    dms = dm_texts(b.queued())
    assert set(dms) == {ALICE, BOB}
    assert all(f"Alice's task {i}" in dms[ALICE] for i in range(5))
    assert "overdue by 1 day" in dms[ALICE] and "due today" in dms[ALICE] and "due in 3 days" in dms[ALICE]
    assert "5 actions" in dms[ALICE]
    before = b.last_id()
    again = b.run(at, how="manual")  # a second run for the same moment
    assert again.ran and again.queued == 0 and b.queued(before) == []
    scheduled = b.run(at)  # and the scheduler itself does not run an occasion twice
    assert not scheduled.ran
    later = b.run(at + dt.timedelta(hours=5), how="manual")  # later the same day: nothing new either
    assert later.queued == 0


def test_a_reminder_is_logged_once_by_its_message_with_the_actions_it_listed_in_order(chase_board: Board):
    b = chase_board
    for i, day in enumerate((24, 20, 22)):
        b.add_action(f"Alice's task {i}", ALICE, f"2019-03-{day}")
    b.add_action("Bob's only task", BOB, "2019-03-21")
    b.run(dt.datetime(2019, 3, 21, 9, 0, tzinfo=LONDON))
    dms = {m.target: m for m in b.queued() if m.key.startswith("chase:")}
    with db.session_scope(b.runtime.sessions) as session:
        logged = {r.key: r for r in session.scalars(select(ReminderLog).where(ReminderLog.kind == "chase"))}
        assert set(logged) == {dms[ALICE].key, dms[BOB].key}
        alice = logged[dms[ALICE].key]
        assert (alice.message_key, alice.action_id, alice.detail) == (dms[ALICE].key, None, "3")
        listed = reminder_log.actions_in_message(session=session, message_key=dms[ALICE].key)
        refs = {a.id: a.ref for a in session.scalars(select(Action).where(Action.id.in_(listed)))}
        assert [refs[i] for i in listed] == [2, 3, 1]  # as the message lists them: soonest due first
        assert reminder_log.delivered_reminders_of(session=session, action_id=listed[0]) == []  # not sent yet


def test_the_collector_pause_nests_and_leaves_the_collector_as_it_found_it():
    assert gc.isenabled()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block is still under way
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # off before, so off after
    finally:
        gc.enable()


def test_missed_run_is_caught_up_once_within_grace(chase_board: Board):
    b = chase_board
    b.add_action("Catch me", ALICE, "2019-03-22")
    # The bot was down over 09:00 on Friday 22 March and came back at 11:30: one run, as at 09:00.
    b.clock.set(dt.datetime(2019, 3, 22, 11, 30, tzinfo=LONDON))
    results = [r for r in run_due(b.runtime, job_ids=["chase-actions"]) if r.ran]
    assert [(r.occasion.astimezone(LONDON).hour, r.queued) for r in results] == [(9, 1)]
    assert run_due(b.runtime, job_ids=["chase-actions"]) == []  # not again
    # Back only on Monday 25th at 10:00: Friday's occasion is long past grace; Monday's 09:00 runs once.
    b.clock.set(dt.datetime(2019, 3, 25, 16, 0, tzinfo=LONDON))
    b.command(CHAIR, "/lsp", "board set missed_run_grace_hours 2")
    assert run_due(b.runtime, job_ids=["chase-actions"]) == []  # 09:00 is 7 hours ago: beyond a 2-hour grace


def test_board_settings_change_the_cadence_and_are_for_the_chair(chase_board: Board):
    b = chase_board
    out = b.command(CHAIR, "/lsp", "board set chase_lead_days 5")
    assert "chase_lead_days" in out and "*5*" in out
    refused = run_command(b.runtime, "/lsp", user_id=ALICE, channel_id=CHANNEL, text="board set chase_lead_days 1")
    assert not refused.ok and "Only the chair" in blocks_text(refused.payload)
    bad = run_command(b.runtime, "/lsp", user_id=CHAIR, channel_id=CHANNEL, text="board set chase_time 25:00")
    assert not bad.ok and "not a time of day" in blocks_text(bad.payload)
    unknown = run_command(b.runtime, "/lsp", user_id=CHAIR, channel_id=CHANNEL, text="board set nonsense 1")
    assert not unknown.ok and "not a board setting" in blocks_text(unknown.payload)
    b.command(CHAIR, "/lsp", "board set chase_time 08:30")
    b.command(CHAIR, "/lsp", "board set holidays GB-SCT")
    listing = b.command(ALICE, "/lsp", "board settings")
    assert "08:30" in listing and "GB-SCT" in listing
    b.add_action("Early bird", ALICE, "2019-03-25")
    # Five days ahead now: Wednesday 20 March, at 08:30.
    with db.session_scope(b.runtime.sessions) as session:
        trigger = JOBS["chase-actions"].trigger(boards.get(session=session, board_id=b.board_id))
    fire = trigger.first_at_or_after(dt.datetime(2019, 3, 20, 0, 0, tzinfo=LONDON))
    assert fire.astimezone(LONDON).time() == dt.time(8, 30)
    b.run(fire)
    assert "due in 5 days" in dm_texts(b.queued())[ALICE]


def test_dry_run_changes_nothing(chase_board: Board):
    b = chase_board
    b.add_action("Dry task", BOB, "2019-03-21")
    at = dt.datetime(2019, 3, 21, 9, 0, tzinfo=LONDON)
    result = run_job(b.runtime, JOBS["chase-actions"], b.board_id, at, how="manual", dry_run=True)
    assert [m["target"] for m in result.messages] == [BOB]
    assert "Dry task" in blocks_text(result.messages[0]["payload"])
    assert b.queued() == [] or all(not m.key.startswith("chase:") for m in b.queued())
    assert b.run(at).queued == 1  # the real run still sends it


def digests_from_daily_runs(b: Board, first: dt.date, last: dt.date) -> list[OutboxMessage]:
    """Run chase-actions at each of its times from `first` to `last` (inclusive); the digests it queued."""
    with db.session_scope(b.runtime.sessions) as session:
        trigger = JOBS["chase-actions"].trigger(boards.get(session=session, board_id=b.board_id))
    start = dt.datetime.combine(first, dt.time(0, 0), LONDON)
    for fire in trigger.fire_times(start, dt.datetime.combine(last, dt.time(23, 0), LONDON)):
        b.run(fire)
    with db.session_scope(b.runtime.sessions) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.key.startswith("digest:"))
                                    .order_by(OutboxMessage.id)))


def test_digest_day_is_a_working_weekday_and_a_holiday_digest_goes_on_the_next_working_day(chase_board: Board):
    b = chase_board
    for day in ("saturday", "Sun"):
        refused = run_command(b.runtime, "/lsp", user_id=CHAIR, channel_id=CHANNEL, text=f"board set digest_day {day}")
        assert not refused.ok and "weekend day" in blocks_text(refused.payload) and "Monday to Friday" in blocks_text(refused.payload)
    b.command(CHAIR, "/lsp", "board set digest_day friday")
    b.command(CHAIR, "/lsp", "board set escalate_after 1")
    # Due Friday 29 March: overdue by 7 days on Friday 5 April, its first overdue reminder, so escalated then.
    b.add_action("Chase the Easter rota", BOB, "2019-03-29")
    digests = digests_from_daily_runs(b, dt.date(2019, 3, 25), dt.date(2019, 4, 30))
    sent_on = sorted({m.created_at.astimezone(LONDON).date() for m in digests})
    # Good Friday (19 April) and Easter Monday are holidays: that week's digest goes on Tuesday 23rd, and the
    # next week's on its Friday as usual.
    assert sent_on == [dt.date(2019, 4, 5), dt.date(2019, 4, 12), dt.date(2019, 4, 23), dt.date(2019, 4, 26)]
    assert {m.target for m in digests} == {CHAIR, SECRETARY} and len(digests) == 8


def test_an_action_escalated_midweek_waits_for_the_digest_day(chase_board: Board):
    b = chase_board
    b.command(CHAIR, "/lsp", "board set digest_day friday")
    b.command(CHAIR, "/lsp", "board set escalate_after 1")
    # Due Monday 1 April: its first overdue reminder (so its escalation) is on Monday 8 April.
    b.add_action("Escalated on a Monday", BOB, "2019-04-01")
    digests = digests_from_daily_runs(b, dt.date(2019, 4, 1), dt.date(2019, 4, 16))
    assert sorted({m.created_at.astimezone(LONDON).date() for m in digests}) == [dt.date(2019, 4, 12)]


def test_a_catch_up_happens_only_on_the_day_of_its_occasion_and_before_the_evening(chase_board: Board):
    b = chase_board
    refused = run_command(b.runtime, "/lsp", user_id=CHAIR, channel_id=CHANNEL, text="board set missed_run_grace_hours 72")
    assert not refused.ok and "use 1 to 12" in blocks_text(refused.payload)
    b.command(CHAIR, "/lsp", "board set missed_run_grace_hours 12")
    b.add_action("Late-day task", ALICE, "2019-03-22")

    def caught_up(at: dt.datetime) -> list[tuple[str, int]]:
        b.clock.set(at)
        return [(r.occasion.astimezone(LONDON).strftime("%a %H:%M"), r.queued)
                for r in run_due(b.runtime, job_ids=["chase-actions"]) if r.ran]

    # Friday 22 March's 09:00 run was missed: not caught up at 20:30 that evening, though within 12 hours ...
    assert caught_up(dt.datetime(2019, 3, 22, 20, 30, tzinfo=LONDON)) == []
    # ... but at 19:30 it is.
    assert caught_up(dt.datetime(2019, 3, 22, 19, 30, tzinfo=LONDON)) == [("Fri 09:00", 1)]
    # A run at 16:00 missed on Friday 29 March is not caught up at 03:00 on Saturday, 11 hours later.
    b.command(CHAIR, "/lsp", "board set chase_time 16:00")
    b.add_action("Friday afternoon task", BOB, "2019-03-29")
    assert caught_up(dt.datetime(2019, 3, 30, 3, 0, tzinfo=LONDON)) == []
    # A run on time is never held back, whatever the hour.
    b.command(CHAIR, "/lsp", "board set chase_time 21:00")
    assert caught_up(dt.datetime(2019, 3, 29, 21, 0, 30, tzinfo=LONDON)) == [("Fri 21:00", 2)]  # Alice and Bob


def test_a_due_date_on_a_sunday_is_confirmed_with_what_the_reminders_then_do(chase_board: Board):
    """The confirmation of a due date on a non-working day tells the truth about the chase: nothing on the day
    itself, and the first working day after it finds the action overdue (the date is never moved)."""
    b = chase_board
    b.clock.set(dt.datetime(2019, 3, 20, 10, 0, tzinfo=LONDON))
    said = b.command(CHAIR, "/action", f"add File the return <@{ALICE}|ualice1> by 31 March 2019")
    assert "Sunday 31 March 2019 — not a working day" in said
    assert "on Monday 1 April the action shows as overdue" in said and "Friday 29 March" in said
    sent: dict[dt.date, str] = {}
    for day in range(28, 33):
        at = dt.datetime(2019, 3, 1, 9, 0, tzinfo=LONDON) + dt.timedelta(days=day - 1)
        before = b.last_id()
        b.run(at)
        texts = dm_texts(b.queued(before))
        if ALICE in texts:
            sent[at.date()] = texts[ALICE]
    assert sorted(sent) == [dt.date(2019, 3, 28), dt.date(2019, 4, 1)]  # nothing at the weekend
    assert "overdue" not in sent[dt.date(2019, 3, 28)] and "overdue" in sent[dt.date(2019, 4, 1)]


def test_a_reminder_lists_each_action_with_its_answer_and_buttons_until_answered_for_good():
    """The actions' blocks are built in Python (chase_blocks) and spliced into the template's message: the same
    blocks, keys in the same order, as when the template wrote them."""
    today, key = dt.date(2019, 7, 17), "chase:1:7:2019-07-17T08:00Z"
    snoozed = ActionChase(action_id=2, response="snooze", snoozed_until=dt.date(2019, 7, 26))
    items = [chase_item(action_id=1, ref=1, text="Send <the> minutes & notes", due=today - dt.timedelta(days=3),
                        today=today, key=key),
             chase_item(action_id=2, ref=2, text="Book the room", due=today, today=today, key=key, chase=snoozed),
             chase_item(action_id=3, ref=3, text="Draft the plan", due=today, today=today, key=key, status="done")]
    payload = Renderer().message(CHASE_TEMPLATE, chase_message(board="Board", owner_slack_id="U7", items=items,
                                                               today=today))

    def buttons(action_id: int) -> list[dict[str, object]]:
        value = f"{action_id}|{key}"
        return [{"type": "button", "action_id": "action_done", "style": "primary",
                 "text": {"type": "plain_text", "text": "Done"}, "value": value},
                {"type": "button", "action_id": "action_add_update", "text": {"type": "plain_text", "text": "Add update"},
                 "value": value},
                {"type": "button", "action_id": "action_snooze", "text": {"type": "plain_text", "text": "Snooze a week"},
                 "value": value},
                {"type": "button", "action_id": "action_not_mine", "text": {"type": "plain_text", "text": "Not mine"},
                 "value": value}]

    expected = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*#1* Send &lt;the&gt; minutes &amp; notes\n"
                                                               ":warning: *overdue by 3 days* (was due Sun 14 Jul 2019)"}},
        {"type": "actions", "block_id": "chase_1", "elements": buttons(1)},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*#2* Book the room\n:date: *due today* (Wed 17 Jul 2019)\n"
                                                               ":zzz: Snoozed: no reminder before Fri 26 Jul 2019 "
                                                               "(still due Wed 17 Jul 2019)."}},
        {"type": "actions", "block_id": "chase_2", "elements": buttons(2)},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*#3* Draft the plan\n:date: *due today* (Wed 17 Jul 2019)\n"
                                                               ":white_check_mark: *Done* — closed, thank you."}},
    ]
    assert json.dumps(payload["blocks"][2:-1]) == json.dumps(expected)
    assert [b["type"] for b in payload["blocks"]] == ["header", "section", *(b["type"] for b in expected), "context"]
