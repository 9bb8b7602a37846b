"""close-meetings: every day late (`close_meetings_time`, default 23:30, board time), a meeting left open is closed
once its day is over (the day of the meeting, or the day it was opened if later), as `/meeting end` would close it:
items deferred or not reached go to the next meeting's plan. The secretariat (or, with none, the chair) is told.

It runs every day, weekends and holidays included: a meeting may be held on any day.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.base import Clock
from handlers.meeting_mode import SCHEDULER, close_meeting
from handlers.meeting_view import item_title
from jobs.base import JobReport
from store import boards
from store import meeting_record as record_store
from store.models import Role
from store.models.views import BoardView
from store.outbox import Outbox


def close_meetings(session: Session, clock: Clock, outbox: Outbox, board: BoardView) -> JobReport:
    """Close the board's meeting left open at the end of its day, and tell the secretariat."""
    now = clock.now()
    zone = ZoneInfo(board.timezone)
    today = now.astimezone(zone).date()
    report = JobReport()
    for record in record_store.open_records(session=session, board_id=board.id):
        meeting = record.meeting
        if today < max(meeting.date, record.opened_at.astimezone(zone).date()):
            continue
        locked = record_store.lock_record(session=session, record=record)
        if locked is None:
            continue
        closed = close_meeting(session, outbox, board, locked, by=SCHEDULER, now=now)
        data = {"board": board.name, "date": meeting.date,
                "counts": [{"outcome": k, "count": v} for k, v in closed.counts.items()],
                "carried": [f"“{item_title(i)}” ({why})" for i, why in closed.carried]
                if closed.next_meeting is not None else []}
        told = boards.members_with_roles(session=session, board_id=board.id, roles=(Role.SECRETARIAT,)) or \
            boards.members_with_roles(session=session, board_id=board.id, roles=(Role.CHAIR,))
        for member in told:
            outbox.to_user(member.slack_user_id, "slack/meeting_closed_by_job.json.j2", data,
                           key=f"meeting-closed:{meeting.id}:{member.id}")
        report.say(f"closed the meeting of {meeting.date:%a %-d %b %Y}, left open at the end of its day")
    if not report.lines:
        report.say("no meeting left open")
    return report
