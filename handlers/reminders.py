"""Chasing action owners: the reminder cadence, the reminder message's data, and its four buttons.

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

from handlers import access
from handlers.actions import EDITORS, close_action, record_progress
from handlers.base import Conflict, Forbidden, InvalidInput, NotFound, Reply, Request
from handlers.board_settings import board_config
from handlers.ids import ActionId, CallbackId
from handlers.registry import Button, Form, Who
from handlers.parsing import check_text, parse_id
from store import audit, boards
from store import reminders as reminder_store
from store.models import Action, ActionChase, ActionStatus, Role

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


def due_words(due: dt.date, today: dt.date) -> tuple[str, int]:
    """('soon' | 'today' | 'overdue', days) for how an action stands."""
    if due > today:
        return "soon", (due - today).days
    if due == today:
        return "today", 0
    return "overdue", (today - due).days


def message_key(board_id: int, member_id: int, occasion: dt.datetime) -> str:
    """The outbox key of one owner's reminder on one occasion."""
    return f"chase:{board_id}:{member_id}:{occasion.astimezone(dt.timezone.utc):%Y-%m-%dT%H:%MZ}"


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
            "items": items[:MAX_WITH_BUTTONS], "more": items[MAX_WITH_BUTTONS:], "total": len(items)}


# ---------------------------------------------------------------- the buttons


def _parse_value(req: Request) -> tuple[int, str]:
    raw = str(req.values.get("value") or req.values.get("private_metadata") or "")
    action_part, _, key = raw.partition("|")
    action_id = parse_id(action_part)
    if action_id is None:
        raise InvalidInput("That button is out of date. Use `/action list mine` instead.")
    return action_id, key.split("|")[0]


def _load(req: Request) -> tuple[access.Actor, Action, str]:
    action_id, key = _parse_value(req)
    found = reminder_store.actions_with_chase(session=req.session, action_ids=[action_id])
    if not found:
        raise NotFound("That action no longer exists.")
    action = found[0][0]
    actor = access.actor_for(req, action.board)
    if not actor.may_edit_action(action):
        raise Forbidden(f"Only {action.owner.display_name} (the owner), the chair, the vice-chair or the "
                        f"secretariat can change #{action.ref}.")
    return actor, action, key


def _answer(req: Request, action: Action, response: str) -> ActionChase:
    state = reminder_store.chase_for_update(session=req.session, action_id=action.id)
    state.response = response
    state.response_at = req.now()
    return state


def refresh_reminder(req: Request, key: str, channel_id: str | None, ts: str | None) -> None:
    """Queue a `chat.update` of the reminder so its buttons show what was done."""
    if not key or not channel_id or not ts:
        return
    ids = reminder_store.actions_in_message(session=req.session, message_key=key)
    pairs = reminder_store.actions_with_chase(session=req.session, action_ids=ids)
    if not pairs:
        return
    board = pairs[0][0].board
    today = req.today(board.timezone)
    items = [chase_item(action_id=a.id, ref=a.ref, text=a.text, due=a.due_date or today, today=today, key=key,
                        status=a.status.value, chase=c, owner_id=a.owner_id) for a, c in pairs]
    req.notify.update_message(channel_id, ts, CHASE_TEMPLATE, chase_message(
        board=board.name, owner_slack_id=pairs[0][0].owner.slack_user_id, items=items, today=today))


def _ack(text: str) -> Reply:
    return Reply("slack/reminder_ack.json.j2", {"text": text})


def _stale(req: Request, action: Action, key: str, why: str = "") -> Reply:
    """A click on a button whose action has moved on: nothing changes; the reminder is redrawn to show where
    things stand, and the clicker is told politely."""
    refresh_reminder(req, key, req.values.get("channel_id"), req.values.get("message_ts"))
    why = why or f"#{action.ref} is already {action.status.value}"
    return Reply("slack/reminder_ack.json.j2", {"text": f"{why}, so nothing has changed. Thank you."}, show=True)


def handle_chase_done(req: Request) -> Reply:
    """Done: close the action (as `/action done` does) and mark it in the reminder."""
    actor, action, key = _load(req)
    if action.status != ActionStatus.OPEN:
        return _stale(req, action, key)
    close_action(req, actor, action, ActionStatus.DONE, "")
    _answer(req, action, "done")
    refresh_reminder(req, key, req.values.get("channel_id"), req.values.get("message_ts"))
    return _ack(f"Closed #{action.ref}.")


def handle_chase_update_open(req: Request) -> Reply:
    """Add update: the modal asking for a progress note (the listener opens it)."""
    actor, action, key = _load(req)
    if action.status != ActionStatus.OPEN:
        return _stale(req, action, key)
    metadata = "|".join([str(action.id), key, req.values.get("channel_id") or "", req.values.get("message_ts") or ""])
    return Reply("slack/reminder_ack.json.j2", {"text": f"Add an update on #{action.ref}."}, open_modal={
        "template": "slack/reminder_update_modal.json.j2",
        "data": {"ref": action.ref, "text": action.text, "board": action.board.name, "metadata": metadata}})


def handle_chase_update_submit(req: Request) -> Reply:
    """The modal's progress note, recorded through `record_progress` like `/action update`."""
    actor, action, _ = _load(req)
    _, key, channel_id, ts = (str(req.values.get("private_metadata") or "").split("|") + ["", "", "", ""])[:4]
    note = check_text(str(req.values.get("note") or ""), "progress note")
    if action.status != ActionStatus.OPEN:
        raise Conflict(f"#{action.ref} is already {action.status.value}.")
    record_progress(req, actor, action, note)
    _answer(req, action, "update")
    refresh_reminder(req, key, channel_id or None, ts or None)
    return _ack(f"Progress noted on #{action.ref}.")


def handle_chase_snooze(req: Request) -> Reply:
    """Snooze a week: the next reminder comes a week later than it would have; the due date stays."""
    actor, action, key = _load(req)
    if action.status != ActionStatus.OPEN:
        return _stale(req, action, key)
    if action.due_date is None:
        raise Conflict(f"#{action.ref} has no due date, so there is no reminder to snooze.")
    config = board_config(action.board)
    today = req.today(action.board.timezone)
    upcoming = max(next_reminder_date(today, action.due_date, config.chase_lead_days,
                                      config.chase_overdue_every_days), today)
    state = _answer(req, action, "snooze")
    state.snoozed_until = upcoming + dt.timedelta(days=7)
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="action", entity_id=action.id,
                 operation="snooze", after={"snoozed_until": state.snoozed_until.isoformat()})
    refresh_reminder(req, key, req.values.get("channel_id"), req.values.get("message_ts"))
    return _ack(f"Snoozed #{action.ref}: no reminder before {state.snoozed_until:%a %-d %b}.")


def handle_chase_not_mine(req: Request) -> Reply:
    """Not mine: tell the secretariat (or the chair, if there is none) and stop chasing this owner."""
    actor, action, key = _load(req)
    if actor.member is None or actor.member.id != action.owner_id:
        raise Forbidden(f"Only {action.owner.display_name} can say #{action.ref} is not theirs.")
    if action.status != ActionStatus.OPEN:
        return _stale(req, action, key)
    chase = reminder_store.get_chase(session=req.session, action_id=action.id)
    if chase is not None and chase.response == "not_mine" and chase.disowned_by == action.owner_id:
        return _stale(req, action, key, f"The secretariat already knows #{action.ref} is not yours")
    state = _answer(req, action, "not_mine")
    state.disowned_by = action.owner_id
    recipients = boards.members_with_roles(session=req.session, board_id=action.board_id, roles=(Role.SECRETARIAT,)) \
        or boards.members_with_roles(session=req.session, board_id=action.board_id, roles=(Role.CHAIR,))
    today = req.today(action.board.timezone)
    for person in recipients:
        req.notify.to_user(person.slack_user_id, "slack/reminder_not_mine.json.j2", {
            "board": action.board.name, "ref": action.ref, "text": action.text, "owner_id": action.owner.slack_user_id,
            "due": action.due_date, "today": today})
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="action", entity_id=action.id,
                 operation="not_mine", after={"owner": action.owner.slack_user_id})
    refresh_reminder(req, key, req.values.get("channel_id"), req.values.get("message_ts"))
    return _ack(f"Told the secretariat that #{action.ref} is not yours.")


# ---------------------------------------------------------------- declarations

BUTTONS = (
    Button(ActionId.ACTION_DONE, handle_chase_done, "close the action from its reminder", narrower=EDITORS,
           success="quiet"),
    Button(ActionId.ACTION_ADD_UPDATE, handle_chase_update_open, "open a form to log progress", narrower=EDITORS,
           success="quiet"),
    Button(ActionId.ACTION_SNOOZE, handle_chase_snooze, "no reminder about it for a week", narrower=EDITORS,
           success="quiet"),
    Button(ActionId.ACTION_NOT_MINE, handle_chase_not_mine, "tell the chair and secretariat it is not yours",
           narrower="the action's owner only", success="quiet"),
)
FORMS = (
    Form(CallbackId.CHASE_UPDATE, handle_chase_update_submit, "a progress note from a reminder",
         default_field="note_block", narrower=EDITORS),
)
