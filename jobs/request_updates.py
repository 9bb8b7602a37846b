"""request-updates: before each meeting, each member organisation's representatives are asked by DM for
their partner update (a button opens the form); a second ask goes to those whose organisation sent none.

Ask days are the last working day on or before `update_request_days` (default 7) and
`update_second_ask_days` (default 2) before the meeting, so an ask never comes late because of a
weekend. A day missed while the bot was down is made good on its next run, until the meeting; if both
asks fell due meanwhile only the second goes. Each ask is logged per meeting and member, never repeated.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from handlers.base import Clock
from jobs.base import BoardDay, JobReport
from store import meetings, reminder_log
from store import updates as update_store
from store.models.views import BoardView
from store.outbox import Outbox

TEMPLATE = "slack/reminder_update_request.json.j2"


def request_updates(session: Session, clock: Clock, outbox: Outbox, board: BoardView) -> JobReport:
    """Ask for partner updates for the meetings coming up."""
    day = BoardDay.of(board, clock)
    report = JobReport()
    first_days = day.config.update_request_days
    second_days = day.config.update_second_ask_days
    upcoming = meetings.list_between(session=session, board_id=board.id, start=day.today + dt.timedelta(days=1),
                                     end=day.today + dt.timedelta(days=first_days + 7))
    for meeting in upcoming:
        first = day.calendar.previous_working_day(meeting.date - dt.timedelta(days=first_days))
        second = day.calendar.previous_working_day(meeting.date - dt.timedelta(days=second_days)) if second_days else None
        if second is not None and second <= first:
            second = None
        if second is not None and day.today >= second:
            which = "second"
        elif day.today >= first:
            which = "first"
        else:
            continue
        reply_by = day.calendar.previous_working_day(meeting.date - dt.timedelta(days=1))
        asked = 0
        for membership in update_store.members_without_update(session=session, meeting_id=meeting.id):
            member = membership.member
            key = f"update-ask:{meeting.id}:{which}:{member.id}"
            if not reminder_log.log_reminder(session=session, key=key, board_id=board.id, kind="update-request",
                                               occasion=day.today, now=day.now, member_id=member.id, detail=which,
                                               message_key=key):
                continue
            outbox.to_user(member.slack_user_id, TEMPLATE, {
                "board": board.name, "board_id": board.id, "meeting_id": meeting.id, "organisation": membership.organisation.name if membership.organisation else "",
                "meeting_date": meeting.date, "venue": meeting.venue, "reply_by": reply_by,
                "second": which == "second"}, key=key)
            asked += 1
        if asked:
            report.say(f"{'second ask' if which == 'second' else 'asked'} {asked} member(s) for partner updates for "
                       f"the meeting on {meeting.date:%a %-d %b %Y}")
    if not report.lines:
        report.say("no partner updates to ask for today")
    return report
