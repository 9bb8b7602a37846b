"""warn-inquorate in-process with a controlled clock: the working day before each meeting (a Monday's on the
Friday, a Tuesday after a bank holiday's on the Friday before it), only when the replies make it inquorate, and
only once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.clock import FixedClock
from bot.runtime import Runtime, run_command, run_handler
from bot.services.scheduler import run_job
from handlers import attendance
from handlers.board_rules import WorkingCalendar
from jobs.registry import JOBS
from store import boards, db
from store.models import Meeting
from tests.support.delivery import queued_since
from tests.support.settings import ADMIN, LONDON
from tests.support.slack_requests import blocks_text

CHANNEL = "CWARN1"
CHAIR, VICE, SECRETARY, ALICE, BOB = "UWCHAIR", "UWVICE", "UWSECR", "UWALICE", "UWBOB"
JOB = JOBS["warn-inquorate"]


def command(runtime: Runtime, user: str, command: str, text: str) -> None:
    outcome = run_command(runtime, command, user_id=user, channel_id=CHANNEL, text=text)
    assert outcome.ok, blocks_text(outcome.payload)


def setup_board(runtime: Runtime, clock: FixedClock) -> int:
    """A board with a quorum of half the members, 2 organisations and the chair or vice-chair; meetings on
    Tuesday 27 August 2019 (the day after the summer bank holiday), Monday 9 September and Thursday 12 September."""
    clock.set(dt.datetime(2019, 8, 1, 10, 0, tzinfo=LONDON))
    command(runtime, ADMIN, "/lsp", f'board create "Warn Board" chair:<@{CHAIR}|chair> org:"LB Ealing"')
    for user, org, role in ((VICE, "LB Ealing", "vice-chair"), (SECRETARY, "LB Ealing", "secretariat"),
                            (ALICE, "Ealing PCT", "member"), (BOB, "Metropolitan Police", "member")):
        command(runtime, CHAIR, "/lsp", f'member add <@{user}|{user.lower()}> org:"{org}" role:{role}')
    for day in ("2019-08-27", "2019-09-09", "2019-09-12"):
        command(runtime, CHAIR, "/plan", f"meeting add {day} 10:00")
    command(runtime, CHAIR, "/lsp", "board set quorum members:1/2 orgs:2 chair:yes")
    with db.session_scope(runtime.sessions) as session:
        board = boards.get_by_channel(session=session, channel_id=CHANNEL)
        assert board is not None
        ids = dict(session.execute(select(Meeting.date, Meeting.id).where(Meeting.board_id == board.id)).all())
        board_id = board.id
    # For the 9 September meeting only Alice replies; for the 12th the vice-chair and Bob come and the chair
    # sends a colleague: quorate.
    for user, handler, day in ((ALICE, attendance.handle_attending_button, dt.date(2019, 9, 9)),
                               (VICE, attendance.handle_attending_button, dt.date(2019, 9, 12)),
                               (BOB, attendance.handle_attending_button, dt.date(2019, 9, 12)),
                               (ALICE, attendance.handle_apologies_button, dt.date(2019, 9, 12))):
        outcome = run_handler(runtime, handler, user_id=user, channel_id=CHANNEL, values={"value": str(ids[day])})
        assert outcome.ok, outcome.payload
    return board_id


def warnings_by_day(runtime: Runtime, clock: FixedClock, board_id: int, first: dt.date, last: dt.date):
    """{day: [(recipient, text)]} of the warnings queued by the job's scheduled run at 09:00 on each working day."""
    out = {}
    day = first
    while day <= last:
        at = dt.datetime.combine(day, dt.time(9, 0), LONDON)
        if WorkingCalendar("GB-ENG").is_working_day(day):  # the job's trigger fires on working days only
            since = max((m.id for m in queued_since(runtime, 0)), default=0)
            clock.set(at)
            run_job(runtime, JOB, board_id, at, how="schedule")
            sent = [(m.target, blocks_text(m.payload)) for m in queued_since(runtime, since)
                    if m.key.startswith("warn-inquorate:")]
            if sent:
                out[day] = sent
        day += dt.timedelta(days=1)
    return out


def test_warned_once_on_the_working_day_before_only_when_inquorate(runtime: Runtime, clock: FixedClock):
    board_id = setup_board(runtime, clock)
    found = warnings_by_day(runtime, clock, board_id, dt.date(2019, 8, 19), dt.date(2019, 9, 12))
    # Friday 23 August for Tuesday the 27th (Monday the 26th is a bank holiday); Friday 6 September for Monday
    # the 9th; nothing for the 12th, which the replies make quorate.
    assert sorted(found) == [dt.date(2019, 8, 23), dt.date(2019, 9, 6)]
    for day, meeting in ((dt.date(2019, 8, 23), "Tuesday 27 August 2019"), (dt.date(2019, 9, 6), "Monday 9 September 2019")):
        assert sorted(target for target, _ in found[day]) == [CHAIR, SECRETARY]  # not the vice-chair, not members
        text = found[day][0][1]
        assert f"the *Warn Board* meeting on *{meeting}* will not be quorate" in text
        assert "neither the chair nor a vice-chair" in text
    friday = found[dt.date(2019, 9, 6)][0][1]
    assert "1 of the 2 members needed (half of 4)" in friday and "1 of the 2 organisations needed" in friday
    assert "4 members have not replied yet: if they come, it will be quorate" in friday

    # Run again by hand on the day: the reminder log stops a second warning.
    at = dt.datetime(2019, 9, 6, 15, 0, tzinfo=LONDON)
    clock.set(at)
    since = max((m.id for m in queued_since(runtime, 0)), default=0)
    result = run_job(runtime, JOB, board_id, at, how="manual")
    assert result.ran and not [m for m in queued_since(runtime, since) if m.key.startswith("warn-inquorate:")]


def test_no_warning_without_a_quorum(runtime: Runtime, clock: FixedClock):
    board_id = setup_board(runtime, clock)
    command(runtime, CHAIR, "/lsp", "board set quorum none")
    at = dt.datetime(2019, 9, 6, 9, 0, tzinfo=LONDON)
    clock.set(at)
    result = run_job(runtime, JOB, board_id, at, how="schedule")
    assert result.report.lines == ["no quorum is set for this board"] and result.queued == 0


def test_the_request_for_updates_carries_the_reply_buttons(runtime: Runtime, clock: FixedClock):
    board_id = setup_board(runtime, clock)
    at = dt.datetime(2019, 9, 5, 9, 0, tzinfo=LONDON)  # a week before the meeting of Thursday 12 September
    clock.set(at)
    run_job(runtime, JOBS["request-updates"], board_id, at, how="schedule")
    with db.session_scope(runtime.sessions) as session:
        meeting = session.scalar(select(Meeting.id).where(Meeting.board_id == board_id,
                                                          Meeting.date == dt.date(2019, 9, 12)))
    asks = [m for m in queued_since(runtime, 0) if m.key.startswith(f"update-ask:{meeting}:first:")]
    assert asks
    for ask in asks:
        buttons = [(e["action_id"], e["value"]) for b in ask.payload["blocks"] if b["type"] == "actions"
                   for e in b["elements"]]
        assert buttons[1:] == [("meeting_attending", str(meeting)), ("meeting_apologies", str(meeting)),
                               ("meeting_substitute", str(meeting))]
