"""chase-actions: each working day, one direct message per owner listing their actions that need attention,
and once a week a digest of escalated actions to the chair and the secretariat.

The cadence itself is described in handlers/chase.py. The run reads every candidate action in one
query and writes chase state, reminder log and messages in one statement each, so its statement count
does not grow with the number of actions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy.orm import Session

from handlers.base import Clock
from handlers.chase import CHASE_TEMPLATE, chase_item, chase_message, chase_stage, message_key
from jobs.base import BoardDay, JobReport, collector_paused
from store import boards, reach, reminder_log
from store import chase as chase_store
from store.models import Role
from store.models.views import BoardView
from store.outbox import Outbox, QueuedMessage

DIGEST_TEMPLATE = "slack/digest_escalated.json.j2"


def chase_actions(session: Session, clock: Clock, outbox: Outbox, board: BoardView) -> JobReport:
    """Remind owners of actions due soon, due today or overdue; escalate and digest the persistently overdue."""
    day = BoardDay.of(board, clock)
    report = JobReport()
    if not day.calendar.is_working_day(day.today):
        report.say(f"{day.today:%a %-d %b %Y} is not a working day: nobody chased.")
        return report
    with collector_paused():  # a run at 1,000,000 actions makes about a million objects
        _chase(session, outbox, board, day, report)
    _weekly_digest(session, outbox, board, day, report)
    return report


def _chase(session: Session, outbox: Outbox, board: BoardView, day: BoardDay, report: JobReport) -> None:
    """One direct message to each owner with actions that have reached a new stage of their cadence."""
    lead = day.config.chase_lead_days
    every = day.config.chase_overdue_every_days
    escalate_after = day.config.escalate_after
    today = day.today
    candidates = chase_store.chase_candidates(session=session, board_id=board.id,
                                                 horizon=today + dt.timedelta(days=lead))
    on_board = boards.member_ids_on(session=session, board_id=board.id)
    by_owner: dict[int, list[tuple[chase_store.ChaseCandidate, int]]] = defaultdict(list)
    states: list[chase_store.ChaseState] = []
    escalated_now = 0
    for c in candidates:
        if c.owner_id not in on_board:
            continue  # the owner has left the board: never chased; the chair's digest and Home show the action
        same_due = c.chased_due == c.due
        if c.disowned_by is not None and c.disowned_by == c.owner_id:
            continue  # the owner said "not mine"; the secretariat has been told
        stage = chase_stage(today, c.due, lead, every)
        if stage == 0 or (same_due and stage <= c.stage):
            continue
        snoozed = c.snoozed_until if same_due else None
        if snoozed is not None and today < snoozed:
            continue
        overdue_sent = (c.overdue_reminders if same_due else 0) + (1 if today > c.due else 0)
        escalated = c.escalated_on if same_due else None
        if escalated is None and overdue_sent >= escalate_after:
            escalated = today
            escalated_now += 1
        states.append(chase_store.ChaseState(c.action_id, c.due, stage, overdue_sent, today, snoozed, escalated,
                                             c.disowned_by))
        by_owner[c.owner_id].append((c, stage))

    logs: list[reminder_log.Reminder] = []  # one row per message, keyed by it
    listed: list[reminder_log.ListedAction] = []  # and the actions it lists, in order
    messages: list[QueuedMessage] = []
    counts = {"soon": 0, "today": 0, "overdue": 0}
    for owner_id, entries in by_owner.items():
        key = message_key(board.id, owner_id, day.now)
        items = []
        for position, (c, _stage) in enumerate(entries):
            item = chase_item(action_id=c.action_id, ref=c.ref, text=c.text, due=c.due, today=today, key=key)
            counts[item["kind"]] += 1
            items.append(item)
            listed.append((key, position, c.action_id))
        logs.append(reminder_log.Reminder(key, board.id, "chase", None, owner_id, today, str(len(entries)), key,
                                          day.now))
        owner = entries[0][0]
        messages.append(QueuedMessage(
            "user", owner.owner_slack_id, CHASE_TEMPLATE,
            chase_message(board=board.name, owner_slack_id=owner.owner_slack_id, items=items, today=today), key))
    chase_store.save_chase_states(session=session, rows=states)
    reminder_log.log_reminders(session=session, rows=logs, listed=listed)
    outbox.many(messages)
    if messages:
        report.say(f"chased {len(messages)} owner(s) about {len(states)} action(s): {counts['soon']} due soon, "
                   f"{counts['today']} due today, {counts['overdue']} overdue"
                   + (f"; {escalated_now} newly escalated" if escalated_now else ""))
    else:
        report.say("no action needs a reminder today")


def digest_day_due(today: dt.date, digest_weekday: int) -> dt.date:
    """The most recent digest day: this week's if today is on or after it, else last week's."""
    return today - dt.timedelta(days=(today.weekday() - digest_weekday) % 7)


def _weekly_digest(session: Session, outbox: Outbox, board: BoardView, day: BoardDay, report: JobReport) -> None:
    """Escalated actions to chair and secretariat on the digest day, or on the first working day after it
    when it is a holiday (even in the next week); on no other day."""
    digest_day = digest_day_due(day.today, day.config.digest_weekday)
    if day.today != day.calendar.next_working_day(digest_day):
        return
    orphaned = chase_store.orphaned_actions(session=session, board_id=board.id)
    left = {a.id for a in orphaned}
    escalated = [e for e in chase_store.escalated_actions(session=session, board_id=board.id) if e.action.id not in left]
    unreachable = reach.unreachable_members(session=session, board_id=board.id, mail=outbox.mail is not None)
    if not escalated and not orphaned and not unreachable:
        return
    year, week, _ = digest_day.isocalendar()
    key = f"digest:{board.id}:{year}-W{week:02d}"  # the digest day's week: one digest per digest day
    if not reminder_log.log_reminder(session=session, key=key, board_id=board.id, kind="digest",
                                       occasion=day.today, now=day.now, detail=str(len(escalated) + len(orphaned))):
        return  # the digest of this digest day has gone already
    rows = [{"ref": a.ref, "text": a.text, "owner_id": a.owner.slack_user_id, "due": a.due_date,
             "days": (day.today - a.due_date).days if a.due_date else 0, "reminders": c.overdue_reminders,
             "disowned": c.disowned_by == a.owner_id} for a, c in escalated]
    left_rows = [{"ref": a.ref, "text": a.text, "owner_name": a.owner.display_name, "due": a.due_date,
                  "days": max((day.today - a.due_date).days, 0) if a.due_date else 0} for a in orphaned]
    recipients = boards.members_with_roles(session=session, board_id=board.id, roles=(Role.CHAIR, Role.SECRETARIAT))
    for person in recipients:
        outbox.to_user(person.slack_user_id, DIGEST_TEMPLATE,
                       {"board": board.name, "actions": rows, "left": left_rows,
                        "escalate_after": day.config.escalate_after,
                        "unreachable": [u._asdict() for u in unreachable]},
                       key=f"{key}:{person.id}")
    report.say(f"escalation digest of {len(rows)} action(s)" + (f" and {len(left_rows)} whose owner left the board"
               if left_rows else "") + (f", {len(unreachable)} member(s) who cannot be reached" if unreachable else "")
               + f" to {len(recipients)} (chair and secretariat)")
