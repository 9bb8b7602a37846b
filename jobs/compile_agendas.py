"""compile-agendas: `agenda_draft_days` (default 10) before each meeting, the agenda draft is compiled
(by the agenda's own compiler) and sent to the chair with Publish / Regenerate buttons, with the Word
and Markdown files in the same DM.

The draft goes on the last working day on or before that day; if the bot was down then, on its next
run before the meeting. Once per meeting.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from handlers.agenda import agenda_document
from handlers.agenda_compile import compile_agenda
from handlers.base import Clock
from jobs.base import BoardDay, JobReport
from store import boards, meetings
from store import reminder_log
from store.models import Board, Role
from store.outbox import Outbox

TEMPLATE = "slack/agenda_draft.json.j2"


def compile_agendas(session: Session, clock: Clock, outbox: Outbox, board: Board) -> JobReport:
    """Send the chair the agenda draft of each meeting that is now `agenda_draft_days` away."""
    day = BoardDay.of(board, clock)
    report = JobReport()
    lead = day.config.agenda_draft_days
    upcoming = meetings.list_between(session=session, board_id=board.id, start=day.today + dt.timedelta(days=1),
                                     end=day.today + dt.timedelta(days=lead + 7))
    chairs = boards.members_with_roles(session=session, board_id=board.id, roles=(Role.CHAIR,))
    for meeting in upcoming:
        send_on = day.calendar.previous_working_day(meeting.date - dt.timedelta(days=lead))
        if day.today < send_on or not chairs:
            continue
        key = f"agenda-draft:{meeting.id}"
        if not reminder_log.log_reminder(session=session, key=key, board_id=board.id, kind="agenda-draft",
                                           occasion=day.today, now=day.now, detail=meeting.date.isoformat(),
                                           message_key=key):
            continue
        document = agenda_document(compile_agenda(session, board, meeting, day.today))
        for chair in chairs:
            outbox.to_user(chair.slack_user_id, TEMPLATE, dict(document.data, version=None), key=f"{key}:{chair.id}")
        outbox.document_to_users([(chair.slack_user_id, f"{key}:{chair.id}") for chair in chairs], document)
        report.say(f"sent the agenda draft for {meeting.date:%a %-d %b %Y} to the chair")
    if not report.lines:
        report.say("no agenda draft due today")
    return report
