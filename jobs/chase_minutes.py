"""chase-minutes: minutes are to be circulated within `minutes_due_days` working days of the meeting (default 5).
On the working day before that deadline the secretariat is reminded of minutes still a draft; once it has passed,
the chair is told they are late. Each once per meeting (the reminder log's key, and the outbox's)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from handlers.base import Clock
from jobs.base import BoardDay, JobReport
from store import boards, reminder_log
from store import minutes as minutes_store
from store.models import Role
from store.models.views import BoardView
from store.outbox import Outbox

TEMPLATE = "slack/minutes_chase.json.j2"


def chase_minutes(session: Session, clock: Clock, outbox: Outbox, board: BoardView) -> JobReport:
    """Remind the secretariat the working day before drafted minutes are due to be circulated; tell the chair
    when they are late."""
    day = BoardDay.of(board, clock)
    report = JobReport()
    secretariat = boards.members_with_roles(session=session, board_id=board.id, roles=(Role.SECRETARIAT,))
    chairs = boards.members_with_roles(session=session, board_id=board.id, roles=(Role.CHAIR,))
    for _record, meeting in minutes_store.uncirculated(session=session, board_id=board.id):
        due = day.calendar.add_working_days(meeting.date, day.config.minutes_due_days)
        late = day.today > due
        if not late and day.today < day.calendar.add_working_days(due, -1):
            continue
        kind = "minutes-late" if late else "minutes-due"
        people = chairs if late else (secretariat or chairs)
        key = f"{kind}:{meeting.id}"
        if not people or not reminder_log.log_reminder(session=session, key=key, board_id=board.id, kind=kind,
                                                       occasion=day.today, now=day.now,
                                                       detail=meeting.date.isoformat(), message_key=key):
            continue
        data = {"board": board.name, "date": meeting.date, "due": due, "late": late,
                "days_late": (day.today - due).days}
        for person in people:
            outbox.to_user(person.slack_user_id, TEMPLATE, data, key=f"{key}:{person.id}")
        who = "the chair: late" if late else "the secretariat: due"
        report.say(f"told {who} the minutes of {meeting.date:%a %-d %b %Y} (due {due:%a %-d %b})")
    if not report.lines:
        report.say("no minutes to chase today")
    return report
