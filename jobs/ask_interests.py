"""ask-interests: once a year each member of a board is asked, in a DM, to confirm or update their entries on
the board's register of interests (a "Confirm, no change" button, and how to declare or remove one).

The ask goes on the board's `interests_ask_day`: by default `start`, the first working day of the board's year
(`year_start_month`, 1 April unless set), or the first working day on or after a day such as `09-01`. If the
bot was down that day, its next run within five working days asks instead; a member who joins in those days
is asked too. Once per member and year (the reminder log's and the outbox's key), so a rerun asks no one twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy.orm import Session

from handlers.base import Clock
from handlers.interests import ask_data
from jobs.base import BoardDay, JobReport
from store import boards, reminder_log
from store import interests as interest_store
from store.models import Interest
from store.models.views import BoardView
from store.outbox import Outbox

TEMPLATE = "slack/interests_ask.json.j2"
CATCH_UP_WORKING_DAYS = 5  # how late an ask missed while the bot was down still goes


def ask_day(day: BoardDay, year: int) -> dt.date:
    """The day of `year`'s ask: the first working day on or after the board's setting's day in that year."""
    setting = day.config.interests_ask_day
    if setting == "start":
        first = dt.date(year, day.config.year_start_month, 1)
    else:
        month, mday = (int(part) for part in setting.split("-"))
        first = dt.date(year, month, mday)
    return day.calendar.next_working_day(first)


def ask_interests(session: Session, clock: Clock, outbox: Outbox, board: BoardView) -> JobReport:
    """Ask each member to confirm their register of interests, once a year on the board's day."""
    day = BoardDay.of(board, clock)
    report = JobReport()
    year = next((y for y in (day.today.year, day.today.year - 1) if ask_day(day, y) <= day.today), None)
    if year is None or day.today > day.calendar.add_working_days(ask_day(day, year), CATCH_UP_WORKING_DAYS):
        report.say("no ask about interests due today")
        return report
    asked = 0
    register: dict[int, list[Interest]] = defaultdict(list)  # the board's register read once, by member
    for entry in interest_store.current_on_board(session=session, board_id=board.id):
        register[entry.member_id].append(entry)
    for membership in boards.list_members(session=session, board_id=board.id):
        member = membership.member
        key = f"interests-ask:{board.id}:{member.id}:{year}"
        if not reminder_log.log_reminder(session=session, key=key, board_id=board.id, kind="interests-ask",
                                         occasion=day.today, now=day.now, member_id=member.id, detail=str(year),
                                         message_key=key):
            continue
        outbox.to_user(member.slack_user_id, TEMPLATE, ask_data(board, member, register[member.id], year), key=key)
        asked += 1
    report.say(f"asked {asked} member{'s' if asked != 1 else ''} to confirm their interests ({year})" if asked
               else f"every member has been asked about their interests this year ({year})")
    return report
