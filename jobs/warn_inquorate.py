"""warn-inquorate: the working day before each meeting (on the board's calendar: a Monday meeting is warned on
the Friday, a bank holiday skipped), if the replies so far make the meeting inquorate by the board's `quorum`
setting, the chair and the secretariat are told, once, what is short.

Nothing is sent for a board without a quorum, or when the replies make the meeting quorate. A run missed while
the bot was down is made good on its next run before the meeting. Each warning is logged per meeting (and each
DM has its own outbox key), so it never goes twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from handlers.attendance import expected_attendance
from handlers.base import Clock
from jobs.base import BoardDay, JobReport
from store import boards, meetings, reminder_log
from store.models import Role
from store.models.views import BoardView
from store.outbox import Outbox

TEMPLATE = "slack/attendance_warning.json.j2"


def warning_key(meeting_id: int) -> str:
    """The reminder-log key of a meeting's warning (its DMs' outbox keys add the member)."""
    return f"warn-inquorate:{meeting_id}"


def warn_inquorate(session: Session, clock: Clock, outbox: Outbox, board: BoardView) -> JobReport:
    """Warn the chair and secretariat of each meeting tomorrow (next working day) that looks inquorate."""
    day = BoardDay.of(board, clock)
    report = JobReport()
    if not day.config.quorum_rule.is_set:
        report.say("no quorum is set for this board")
        return report
    upcoming = meetings.list_between(session=session, board_id=board.id, start=day.today + dt.timedelta(days=1),
                                     end=day.today + dt.timedelta(days=14))
    for meeting in upcoming:
        if day.today < day.calendar.add_working_days(meeting.date, -1):
            continue
        expected = expected_attendance(session, board, meeting)
        if expected.quorum.quorate:
            report.say(f"the meeting on {meeting.date:%a %-d %b %Y} is expected to be quorate")
            continue
        key = warning_key(meeting.id)
        if not reminder_log.log_reminder(session=session, key=key, board_id=board.id, kind="warn-inquorate",
                                           occasion=day.today, now=day.now, detail=meeting.date.isoformat(),
                                           message_key=key):
            continue
        people = boards.members_with_roles(session=session, board_id=board.id, roles=(Role.CHAIR, Role.SECRETARIAT))
        data = {"board": board.name, "meeting_date": meeting.date, "reasons": expected.quorum.reasons,
                "words": expected.quorum.rule_words, "no_reply": len(expected.no_reply),
                "if_all_come": expected.if_all_come.quorate}
        for person in people:
            outbox.to_user(person.slack_user_id, TEMPLATE, data, key=f"{key}:{person.id}")
        report.say(f"warned {len(people)} (chair and secretariat) that the meeting on {meeting.date:%a %-d %b %Y} "
                   f"looks inquorate: {'; '.join(expected.quorum.reasons)}")
    if not report.lines:
        report.say("no meeting to warn about today")
    return report
