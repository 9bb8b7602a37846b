"""Chasing action owners: the reminder cadence and the reminder message's data, shared by the chase job,
the reminder's buttons and the commands that close an action (its delivered reminders are redrawn).

The cadence of an action with due date D, lead N days and overdue interval W (board settings):

    stage 1  "due soon"   from D - N
    stage 2  "due today"  from D
    stage 2+k "overdue"   from D + k*W   (k = 1, 2, ...)

A run on day T sends the highest stage whose date is on or before T, if it is higher than the last
stage sent; stages skipped while the bot was down, at a weekend or on a bank holiday are coalesced into
that one reminder. A snooze holds reminders back until a week after the next one was due; it never
changes D. After `escalate_after` reminders sent while overdue the action is escalated.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from handlers.base import Request
from handlers.board_rules import WorkingCalendar, board_config
from store import chase as chase_store
from store import reminder_log
from store.models import ActionChase
from store.models.views import BoardView

CHASE_TEMPLATE = "slack/chase_actions.json.j2"
MAX_WITH_BUTTONS = 20  # 2 blocks an action; Slack allows 50 blocks a message


def chase_stage(today: dt.date, due: dt.date, lead_days: int, every_days: int) -> int:
    """The cadence stage an action due on `due` has reached on `today` (0: none yet)."""
    if today >= due:
        return 2 + (today - due).days // every_days
    if lead_days and today >= due - dt.timedelta(days=lead_days):
        return 1
    return 0


def stage_date(stage: int, due: dt.date, lead_days: int, every_days: int) -> dt.date:
    """The first day of a stage."""
    if stage <= 1:
        return due - dt.timedelta(days=lead_days)
    return due + dt.timedelta(days=(stage - 2) * every_days)


def next_reminder_date(today: dt.date, due: dt.date, lead_days: int, every_days: int) -> dt.date:
    """When the next reminder after today's would fall due."""
    stage = chase_stage(today, due, lead_days, every_days)
    return stage_date(max(stage + 1, 1 if lead_days else 2), due, lead_days, every_days)


def non_working_due_note(board: BoardView, due: dt.date) -> str | None:
    """What the reminders do with a due date on a weekend or bank holiday of the board's calendar, or None on a
    working day. The chase job runs on working days only and never moves a due date: nothing is sent on the day,
    and the first working day after it finds the action overdue."""
    calendar = WorkingCalendar(board_config(board).holidays)
    if calendar.is_working_day(due):
        return None
    after = calendar.next_working_day(due)
    before = calendar.previous_working_day(due)
    return (f"{due:%A %-d %B %Y} — not a working day. Reminders are not moved to a working day: none is sent on "
            f"the day, and on {after:%A %-d %B} the action shows as overdue. If you meant the working day before, "
            f"set it to {before:%A %-d %B}.")


def due_words(due: dt.date, today: dt.date) -> tuple[str, int]:
    """('soon' | 'today' | 'overdue', days) for how an action stands."""
    if due > today:
        return "soon", (due - today).days
    if due == today:
        return "today", 0
    return "overdue", (today - due).days


def message_key(board_id: int, member_id: int, occasion: dt.datetime) -> str:
    """The outbox key of one owner's reminder on one occasion."""
    return f"chase:{board_id}:{member_id}:{occasion.astimezone(dt.UTC):%Y-%m-%dT%H:%MZ}"


def chase_item(*, action_id: int, ref: int, text: str, due: dt.date, today: dt.date, key: str,
               status: str = "open", chase: ActionChase | None = None, owner_id: int | None = None) -> dict[str, Any]:
    """Template data for one action in a reminder."""
    kind, days = due_words(due, today)
    response = None
    if status != "open":
        response = status
    elif chase is not None and chase.response:
        response = chase.response
        if response == "not_mine" and chase.disowned_by != owner_id:
            response = None  # reassigned since: it is theirs again
    return {
        "action_id": action_id, "ref": ref, "text": text, "due": due, "kind": kind, "days": days,
        "response": response, "snoozed_until": chase.snoozed_until if chase else None,
        "value": f"{action_id}|{key}",
    }


def chase_message(*, board: str, owner_slack_id: str, items: list[dict[str, Any]], today: dt.date) -> dict[str, Any]:
    """Template data for one owner's reminder."""
    return {"board": board, "owner_id": owner_slack_id, "today": today,
            "items": items[:MAX_WITH_BUTTONS], "more": items[MAX_WITH_BUTTONS:], "total": len(items),
            "overdue": sum(1 for i in items if i["kind"] == "overdue")}


# ---------------------------------------------------------------- the buttons


def refresh_reminder(req: Request, key: str, channel_id: str | None, ts: str | None) -> None:
    """Queue a `chat.update` of the reminder so its buttons show what was done."""
    if not key or not channel_id or not ts:
        return
    ids = reminder_log.actions_in_message(session=req.session, message_key=key)
    pairs = chase_store.actions_with_chase(session=req.session, action_ids=ids)
    if not pairs:
        return
    board = pairs[0].action.board
    today = req.today(board.timezone)
    items = [chase_item(action_id=a.id, ref=a.ref, text=a.text, due=a.due_date or today, today=today, key=key,
                        status=a.status.value, chase=c, owner_id=a.owner_id) for a, c in pairs]
    req.notify.update_message(channel_id, ts, CHASE_TEMPLATE, chase_message(
        board=board.name, owner_slack_id=pairs[0].action.owner.slack_user_id, items=items, today=today))
