"""quarterly-reminders: the quarterly performance returns of a board's outcomes and projects.

Returns report on the quarter that has just ended: in the quarter containing today (quarters start every
three months from `year_start_month`, default April: April, July, October, January) the leads are asked
for the returns of the quarter before it (in July, for April-June). With W the first working day of the
quarter containing today:

    W                                   notice in the board channel, and a DM to each lead of an item
    deadline - quarterly_chase_working_days   a DM to each lead whose items have no return yet
    deadline = W + quarterly_deadline_working_days (working days)
    the working day after the deadline  a summary of returned and missing to the chair (up to a week late)

Each step runs once per quarter (logged under the label of the quarter containing today, as it always
has been, so a step already sent is not sent again); when the bot was down over a step, its next run does
the latest step due instead (the summary supersedes the chase, the chase the notice).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from handlers.base import Clock
from jobs.base import BoardDay, JobReport
from store import boards, reminder_log
from store import performance as performance_store
from store.models import Member, Role
from store.models.views import BoardView
from store.outbox import Outbox
from store.quarters import Quarter

TEMPLATE = "slack/reminder_quarterly.json.j2"
SUMMARY_TEMPLATE = "slack/digest_quarterly_summary.json.j2"


class QuarterDates(NamedTuple):
    """The days of a quarter's returns. The window is the quarter containing the day, in whose first weeks the
    returns for the quarter before it are collected; no chase day when it would fall on or before the first."""

    window: Quarter
    first: dt.date
    chase: dt.date | None
    deadline: dt.date
    summary: dt.date


def quarter_dates(day: BoardDay) -> QuarterDates:
    """The window, first working day, chase day, deadline and summary day of the quarter containing `day`."""
    quarter = Quarter.containing(day.today, day.config.year_start_month)
    first = day.calendar.next_working_day(quarter.start)
    deadline = day.calendar.add_working_days(first, day.config.quarterly_deadline_working_days)
    chase_gap = day.config.quarterly_chase_working_days
    chase = day.calendar.add_working_days(deadline, -chase_gap) if chase_gap else None
    if chase is not None and chase <= first:
        chase = None
    summary = day.calendar.add_working_days(deadline, 1)
    return QuarterDates(quarter, first, chase, deadline, summary)


def _lead_name(item: Any) -> str:
    if item.lead_member is not None:
        return item.lead_member.display_name
    return item.lead_organisation.name if item.lead_organisation is not None else ""


def quarterly_reminders(session: Session, clock: Clock, outbox: Outbox, board: BoardView) -> JobReport:
    """Announce, chase and summarise the quarter's performance returns."""
    day = BoardDay.of(board, clock)
    report = JobReport()
    window, first, chase, deadline, summary = quarter_dates(day)
    quarter = window.shift(-1)  # the quarter the returns report on: the one just ended
    if day.today >= summary:
        # A summary more than a week late (a board set up mid-quarter, a long outage) is news to no one.
        step = "summary" if day.today <= day.calendar.add_working_days(summary, 5) else None
    elif chase is not None and day.today >= chase:
        step = "chase"
    elif day.today >= first:
        step = "open"
    else:
        step = None
    key = f"quarterly:{board.id}:{window.label}:{step}"
    if step is None or day.today > window.end or not reminder_log.log_reminder(
            session=session, key=key, board_id=board.id, kind="quarterly", occasion=day.today, now=day.now,
            detail=step, message_key=key):
        report.say(f"no quarterly reminder today ({quarter.label}: returns due by {deadline:%a %-d %b %Y})")
        return report
    items = performance_store.list_items(session=session, board_id=board.id)
    missing = performance_store.leads_without_return(session=session, board_id=board.id, quarter=quarter.label)
    common: dict[str, Any] = {"board": board.name, "board_id": board.id, "quarter": quarter.title, "quarter_label": quarter.label,
              "deadline": deadline}
    if step == "summary":
        returned = performance_store.returns_for(session=session, board_id=board.id, quarters=[quarter.label])
        missing_ids = {m.item.id for m in missing}
        data = dict(common, returned=[
            {"name": i.name, "lead": _lead_name(i), "rag": returned[(i.id, quarter.label)].rag.value}
            for i in items if (i.id, quarter.label) in returned and i.id not in missing_ids],
            missing=[{"name": m.item.name, "lead": _lead_name(m.item)} for m in missing])
        chairs = boards.members_with_roles(session=session, board_id=board.id, roles=(Role.CHAIR,))
        for chair in chairs:
            outbox.to_user(chair.slack_user_id, SUMMARY_TEMPLATE, data, key=f"{key}:{chair.id}")
        report.say(f"quarterly summary for {quarter.label} to the chair: {len(data['returned'])} in, "
                   f"{len(data['missing'])} missing")
        return report
    if step == "open":
        if items:
            outbox.to_channel(board.channel_id, TEMPLATE, dict(common, step="channel", items=[
                {"name": i.name, "lead": _lead_name(i)} for i in items]), key=f"{key}:channel")
    by_lead: dict[int, tuple[Member, list[dict[str, str]]]] = {}
    for entry in missing:
        for lead in entry.leads:
            by_lead.setdefault(lead.id, (lead, []))[1].append({"name": entry.item.name, "lead": ""})
    for lead, lead_items in by_lead.values():
        outbox.to_user(lead.slack_user_id, TEMPLATE, dict(common, step=step, items=lead_items),
                       key=f"{key}:{lead.id}")
    # A project whose lead has left the board: its return is the secretariat's (the chair's, with none) to send.
    orphans = [{"name": m.item.name, "lead": f"{m.item.lead_member.display_name} (left the board)"}
               for m in missing if not m.leads and m.item.lead_member is not None]
    if orphans:
        covering = boards.members_with_roles(session=session, board_id=board.id, roles=(Role.SECRETARIAT,)) \
            or boards.members_with_roles(session=session, board_id=board.id, roles=(Role.CHAIR,))
        for person in covering:
            outbox.to_user(person.slack_user_id, TEMPLATE, dict(common, step=step, items=orphans, covering=True),
                           key=f"{key}:covering:{person.id}")
        report.say(f"{len(orphans)} return(s) whose lead left the board to {len(covering)} (secretariat)")
    report.say(f"{'notice and ' if step == 'open' and items else ''}{'chase' if step == 'chase' else 'reminder'} of "
               f"{quarter.label} returns (due {deadline:%a %-d %b %Y}) to {len(by_lead)} lead(s)")
    return report
