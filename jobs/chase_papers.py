"""chase-papers: each paper still missing from an item of a meeting to come is chased from its author like an
action's owner: once in the `chase_lead_days` working days before the paper deadline (publication date minus
`paper_deadline_days` working days, handlers/publication.py), on the deadline day, and on every working day after it
until the paper arrives or the pack is published. An author gets one DM a day at most, listing all their papers
due, each with "Send the paper" (the paper form). From the first working day after the deadline the secretariat (or,
with none, the chair) gets one message a day listing the overdue papers. The reminder log's keys keep each to once."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from handlers.base import Clock
from handlers.publication import paper_deadline
from jobs.base import BoardDay, JobReport
from store import boards, meetings, packs, papers, reminder_log
from store import plan as plan_store
from store.models import Member, PlanItem, Role
from store.models.views import BoardView
from store.outbox import Outbox

TEMPLATE = "slack/paper_chase.json.j2"
SOON, TODAY, OVERDUE = "soon", "today", "overdue"


def _working_days_between(day: BoardDay, start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end`."""
    count, current = 0, start
    while current < end:
        current += dt.timedelta(days=1)
        count += day.calendar.is_working_day(current)
    return count


def papers_due(session: Session, board: BoardView, day: BoardDay) -> list[tuple[PlanItem, dt.date, str]]:
    """(item, deadline, state) of every paper still missing that is to be chased today: in the lead days before
    its deadline (`soon`), on it (`today`), after it (`overdue`); none once the meeting's pack is published."""
    upcoming = [m for m in meetings.list_between(session=session, board_id=board.id, start=day.today)
                if m.date > day.today]
    if not upcoming:
        return []
    by_meeting = plan_store.items_for_meetings(session=session, meeting_ids=[m.id for m in upcoming])
    wanted = [i for m in upcoming for i in by_meeting.get(m.id, []) if i.paper_required and i.paper_author_id]
    arrived = papers.latest_for_items(session=session, item_ids=[i.id for i in wanted])
    out = []
    for meeting in upcoming:
        deadline = paper_deadline(meeting.date, day.config)
        first = day.calendar.add_working_days(deadline, -day.config.chase_lead_days)
        if day.today < first:
            continue
        items = [i for i in by_meeting.get(meeting.id, []) if i in wanted and i.id not in arrived]
        if not items or packs.published_main(session=session, meeting_id=meeting.id) is not None:
            continue
        state = SOON if day.today < deadline else TODAY if day.today == deadline else OVERDUE
        out += [(i, deadline, state) for i in items]
    return out


def _line(item: PlanItem, deadline: dt.date, state: str, day: BoardDay) -> dict[str, Any]:
    return {"id": item.id, "ref": f"P{item.ref}", "title": item.title, "meeting": item.meeting.date,
            "deadline": deadline, "state": state,
            "days": _working_days_between(day, day.today, deadline) if state == SOON
            else _working_days_between(day, deadline, day.today)}


def chase_papers(session: Session, clock: Clock, outbox: Outbox, board: BoardView) -> JobReport:
    """Remind authors of papers due (before, on and after the deadline) and tell the secretariat of those overdue."""
    day = BoardDay.of(board, clock)
    report = JobReport()
    if not day.calendar.is_working_day(day.today):  # run by hand on a weekend or bank holiday: nobody is chased
        report.say(f"{day.today:%a %-d %b %Y} is not a working day: no papers chased")
        return report
    due = papers_due(session, board, day)
    by_author: dict[int, list[tuple[PlanItem, dt.date, str]]] = defaultdict(list)
    for item, deadline, state in due:
        by_author[item.paper_author_id or 0].append((item, deadline, state))
    for author_id, rows in by_author.items():
        author = session.get(Member, author_id)
        seat = boards.get_membership(session=session, board_id=board.id, member_id=author.id) if author else None
        if author is None or seat is None or seat.left_at is not None:  # no longer on the board: nobody to chase
            continue
        # before the deadline, one reminder in all (not one a day); on and after it, one a day
        rows = [r for r in rows if r[2] != SOON or _first_ask(session, board, r[0], day)]
        if not rows:
            continue
        key = f"papers:{board.id}:{author.id}:{day.today.isoformat()}"
        if not reminder_log.log_reminder(session=session, key=key, board_id=board.id, kind="paper", occasion=day.today,
                                         now=day.now, member_id=author.id, message_key=key,
                                         detail=",".join(f"P{r[0].ref}" for r in rows)):
            continue
        outbox.to_user(author.slack_user_id, TEMPLATE, {"board": board.name, "to": "author",
                                                        "items": [_line(*r, day) for r in rows]}, key=key)
        report.say(f"reminded {author.display_name} of " + ", ".join(f"P{r[0].ref} ({r[2]})" for r in rows))
    overdue = [(i, d, s) for i, d, s in due if s == OVERDUE]
    if overdue:
        _escalate(session, outbox, board, day, overdue, report)
    if not report.lines:
        report.say("no papers to chase today")
    return report


def _first_ask(session: Session, board: BoardView, item: PlanItem, day: BoardDay) -> bool:
    """Whether this is the one reminder before an item's deadline (logged so it is not asked again)."""
    return reminder_log.log_reminder(session=session, key=f"paper-soon:{item.id}", board_id=board.id,
                                     kind="paper-soon", occasion=day.today, now=day.now,
                                     member_id=item.paper_author_id, detail=f"P{item.ref}")


def _escalate(session: Session, outbox: Outbox, board: BoardView, day: BoardDay,
              overdue: list[tuple[PlanItem, dt.date, str]], report: JobReport) -> None:
    people = boards.members_with_roles(session=session, board_id=board.id, roles=(Role.SECRETARIAT,)) or \
        boards.members_with_roles(session=session, board_id=board.id, roles=(Role.CHAIR,))
    key = f"papers-overdue:{board.id}:{day.today.isoformat()}"
    if not people or not reminder_log.log_reminder(session=session, key=key, board_id=board.id, kind="papers-overdue",
                                                   occasion=day.today, now=day.now, message_key=key,
                                                   detail=",".join(f"P{i.ref}" for i, _, _ in overdue)):
        return
    authors = {m.id: m.display_name for m in (session.get(Member, i.paper_author_id) for i, _, _ in overdue) if m}
    lines = [dict(_line(i, d, s, day), author=authors.get(i.paper_author_id or 0, "")) for i, d, s in overdue]
    for person in people:
        outbox.to_user(person.slack_user_id, TEMPLATE, {"board": board.name, "to": "secretariat", "items": lines},
                       key=f"{key}:{person.id}")
    report.say(f"told the secretariat of {len(overdue)} overdue paper(s): " + ", ".join(f"P{i.ref}" for i, _, _ in overdue))
