"""Dates as members type them, and "next meeting", end to end: slash commands run in-process through
`run_command` (the edge `lspbot serve` uses) on every database backend, with a settable clock."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.runtime import Outcome, Runtime, run_command
from store import db
from store.models import Meeting
from tests.support.settings import ADMIN

LONDON = ZoneInfo("Europe/London")
CHANNEL = "CDATES01"
CHAIR, MEMBER = "UDCHAIR1", "UDMEMB01"


def said(outcome: Outcome) -> str:
    """Everything a reply shows, as one string."""
    return json.dumps(outcome.payload, ensure_ascii=False)


def run(runtime: Runtime, command: str, text: str, user: str = CHAIR) -> Outcome:
    return run_command(runtime, command, user_id=user, channel_id=CHANNEL, text=text, user_name=user.lower())


def ok(runtime: Runtime, command: str, text: str, user: str = CHAIR) -> str:
    outcome = run(runtime, command, text, user)
    assert outcome.ok, (command, text, said(outcome))
    return said(outcome)


def refused(runtime: Runtime, command: str, text: str, user: str = CHAIR) -> str:
    outcome = run(runtime, command, text, user)
    assert not outcome.ok, (command, text, said(outcome))
    return said(outcome)


@pytest.fixture
def dated(runtime: Runtime, clock: FixedClock) -> Runtime:
    """A board with a chair and a member (Ealing PCT), at 09:30 on Tuesday 16 July 2019."""
    clock.set(dt.datetime(2019, 7, 16, 9, 30, tzinfo=LONDON))
    ok(runtime, "/lsp", f'board create "Dates Board" chair:<@{CHAIR}|chair> org:"LB Ealing"', ADMIN)
    ok(runtime, "/lsp", f'member add <@{MEMBER}|member> org:"Ealing PCT" role:member')
    return runtime


# ---------------------------------------------------------------- phrases


def test_common_phrases_are_understood_and_confirmed(dated: Runtime, clock: FixedClock):
    assert "Tuesday 31 March 2020" in ok(dated, "/action", "add Publish the strategy by end of March")
    assert "Friday 26 July 2019" in ok(dated, "/action", "add Book the room by next week")
    assert "Tuesday 15 October 2019" in ok(dated, "/action", "add Draft the bid by mid-October")
    # A month just gone reads as this year's, like `15 April` does, and is refused as past.
    assert "Monday 15 April 2019, which is in the past" in refused(dated, "/action", "add Draft the bid by mid-April")
    # Q1 on the board's year: April to June by default, so the coming Q1 ends on 30 June 2020...
    assert "Tuesday 30 June 2020" in ok(dated, "/action", "add Close the fund by end of Q1")
    # ... and on a calendar-year board it is January to March.
    ok(dated, "/lsp", "board set year_start_month 1")
    assert "Tuesday 31 March 2020" in ok(dated, "/action", "add Review the fund by Q1")
    clock.set(dt.datetime(2019, 3, 20, 9, 30, tzinfo=LONDON))
    assert "Monday 15 April 2019" in ok(dated, "/action", "add Draft the bid by mid-April")


def test_days_that_do_not_exist_say_why(dated: Runtime):
    text = refused(dated, "/action", "add Publish the strategy by 31/02")
    assert "February has 28 days (29 in a leap year)" in text and "no 31 February" in text
    text = refused(dated, "/action", "add Publish the strategy by 29 February 2019")
    assert "2019 is not a leap year" in text


def test_a_bare_year_is_refused_with_examples(dated: Runtime):
    text = refused(dated, "/action", "add Renew the compact by 2021")
    assert "a year alone is not a date" in text
    assert "31 March 2021" in text and "end of March 2021" in text and "2021-03-31" in text
    ok(dated, "/action", "add Renew the compact by end of March 2021")


def test_a_due_date_on_a_weekend_or_bank_holiday_is_confirmed_with_what_reminders_do(dated: Runtime,
                                                                                      clock: FixedClock):
    clock.set(dt.datetime(2019, 3, 20, 9, 30, tzinfo=LONDON))
    text = ok(dated, "/action", "add Submit the return by 31 March 2019")
    assert "Sunday 31 March 2019 — not a working day" in text
    assert "on Monday 1 April the action shows as overdue" in text and "Friday 29 March" in text
    text = ok(dated, "/action", "add Send the minutes by 19 April 2019")  # Good Friday
    assert "Friday 19 April 2019 — not a working day" in text and "Tuesday 23 April" in text
    text = ok(dated, "/action", "add Agree the terms by 18 April 2019")
    assert "not a working day" not in text
    text = ok(dated, "/action", "due #3 22 April 2019")  # Easter Monday
    assert "Monday 22 April 2019 — not a working day" in text


# ---------------------------------------------------------------- "next meeting"


def test_next_meeting_is_the_following_one_once_a_meeting_has_started(dated: Runtime, clock: FixedClock):
    ok(dated, "/plan", 'meeting add 2019-09-12 10:00 venue:"Perceval House"')
    ok(dated, "/plan", "meeting add 2019-10-10 10:00")
    clock.set(dt.datetime(2019, 9, 12, 9, 59, tzinfo=LONDON))  # a minute before the meeting starts
    assert "Thursday 12 September 2019" in ok(dated, "/action", "add Bring the figures by next meeting")
    assert "12 September" in ok(dated, "/update", "Two new clinics opened.", MEMBER)
    assert run(dated, "/agenda", "draft").payload["text"] == "Draft agenda — Dates Board, Thursday 12 September 2019"
    assert "12 September" in ok(dated, "/agenda", 'add "Youth services" lead:"Ealing PCT"', MEMBER)

    clock.set(dt.datetime(2019, 9, 12, 10, 0, tzinfo=LONDON))  # it has started: the next is October's
    text = ok(dated, "/action", "add Circulate the slides by next meeting")
    assert "Thursday 10 October 2019" in text and "12 September" not in text
    text = ok(dated, "/update", "A third clinic is planned.", MEMBER)
    assert "10 October" in text and "12 September" not in text
    assert run(dated, "/agenda", "draft").payload["text"] == "Draft agenda — Dates Board, Thursday 10 October 2019"
    text = ok(dated, "/agenda", 'add "Knife crime" lead:"Ealing PCT"', MEMBER)
    assert "10 October" in text and "12 September" not in text
    text = ok(dated, "/plan", 'item add next meeting "Skills strategy" lead:"LB Ealing"')
    assert "10 October" in text and "12 September" not in text


# ---------------------------------------------------------------- times on the board's clock


def test_a_time_the_clocks_skip_or_repeat_is_refused_with_the_reason(dated: Runtime):
    text = refused(dated, "/plan", "meeting add 29 March 2020 01:30 force:yes")
    assert "01:30 on Sunday 29 March 2020 does not exist on the board's clock (Europe/London)" in text
    assert "clocks go forward" in text
    text = refused(dated, "/plan", "meeting add 25 October 2020 01:30 force:yes")
    assert "01:30 on Sunday 25 October 2020 happens twice on the board's clock" in text and "clocks go back" in text
    ok(dated, "/plan", "meeting add 25 October 2020 02:30 force:yes")
    ok(dated, "/plan", "meeting add 29 March 2020 02:30 force:yes")


def test_the_calendar_end_is_the_start_plus_the_duration(dated: Runtime):
    ok(dated, "/plan", "cadence duration:120")
    ok(dated, "/plan", "meeting add 27 October 2019 00:30 force:yes")  # the clocks go back at 02:00 BST
    ok(dated, "/plan", "meeting add 10 October 2019 10:00")
    ok(dated, "/plan", "meeting add 29 March 2020 00:30 force:yes")  # they go forward at 01:00 GMT
    files = run(dated, "/plan", "ics").attachments
    raw = files[0].content.decode()
    events = {e.decoded("dtstart").date(): e for e in icalendar.Calendar.from_ical(files[0].content).walk("VEVENT")}
    for event in events.values():
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(hours=2)
    assert "DTSTART;TZID=Europe/London:20191010T100000" in raw and "DTEND;TZID=Europe/London:20191010T120000" in raw
    assert "DTEND:20191027T013000Z" in raw  # 01:30 GMT: a local 01:30 would be read as the first, BST, one
    assert "DTEND;TZID=Europe/London:20200329T033000" in raw


# ---------------------------------------------------------------- /plan generate


def meeting_dates(runtime: Runtime) -> list[dt.date]:
    with db.session_scope(runtime.sessions) as session:
        return list(session.scalars(select(Meeting.date).order_by(Meeting.date)))


def test_generate_lays_meetings_on_working_days_and_a_second_run_replaces_the_empty_ones(dated: Runtime):
    ok(dated, "/plan", 'cadence FREQ=MONTHLY;BYMONTH=1,4,12;BYMONTHDAY=25 time:10:00 venue:"Perceval House"')
    text = ok(dated, "/plan", "generate 2020")
    assert "3 meetings added for 2020" in text
    assert ("Moved to the next working day: Saturday 25 January 2020 is a Saturday, so the meeting is on "
            "Monday 27 January 2020.") in text
    assert "Saturday 25 April 2020 is a Saturday, so the meeting is on Monday 27 April 2020." in text
    # Christmas Day, then a weekend, then Boxing Day's substitute on Monday 28 December.
    assert ("Friday 25 December 2020 is a bank holiday (Christmas Day), so the meeting is on Tuesday 29 December "
            "2020.") in text
    assert meeting_dates(dated) == [dt.date(2020, 1, 27), dt.date(2020, 4, 27), dt.date(2020, 12, 29)]

    ok(dated, "/plan", 'item add 27 April 2020 "Skills strategy" lead:"LB Ealing"')  # this one now holds an item
    ok(dated, "/plan", "meeting add 5 March 2020 14:00")  # added by hand: never the generator's to replace
    ok(dated, "/plan", "cadence quarterly")  # the second Thursday of January, April, July and October
    text = ok(dated, "/plan", "generate 2020")
    assert "4 meetings added for 2020" in text and "Moved to the next working day" not in text
    assert "Replaced (laid out from the cadence before, holding nothing): Mon 27 Jan 2020, Tue 29 Dec 2020." in text
    assert "Kept though the cadence no longer gives it: Mon 27 Apr 2020, for its 1 plan item." in text
    assert meeting_dates(dated) == [dt.date(2020, 1, 9), dt.date(2020, 3, 5), dt.date(2020, 4, 9),
                                    dt.date(2020, 4, 27), dt.date(2020, 7, 9), dt.date(2020, 10, 8)]
    text = refused(dated, "/plan", "generate 2020")
    assert "Nothing to add" in text and "4 already planned" in text and "Mon 27 Apr 2020 (1 plan item)" in text
