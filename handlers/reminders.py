"""The four buttons of an action reminder (Done, Add update, Snooze a week, Not mine) and its update form.

The reminder itself, and its cadence, are handlers/chase.py's.
"""

from __future__ import annotations

import datetime as dt

from handlers import access, mentions
from handlers.actions import EDITORS, close_action, closed_said, record_progress
from handlers.chase import next_reminder_date, refresh_reminder
from handlers.base import Conflict, Forbidden, InvalidInput, NotFound, Reply, Request
from handlers.board_rules import board_config
from handlers.ids import ActionId, CallbackId
from handlers.registry import Button, Form
from handlers.parsing import parse_id
from store import actions as action_store
from store import audit, boards
from store import chase as chase_store
from store.models import Action, ActionChase, ActionStatus, Role

SNOOZE_MAX_DAYS = 92  # the furthest a snooze to a date may run (a quarter)


def _parse_value(req: Request) -> tuple[int, str]:
    raw = str(req.values.get("value") or req.values.get("private_metadata") or "")
    action_part, _, key = raw.partition("|")
    action_id = parse_id(action_part)
    if action_id is None:
        raise InvalidInput("That button is out of date. Use `/action list mine` instead.")
    return action_id, key.split("|")[0]


def _load(req: Request) -> tuple[access.Actor, Action, str]:
    action_id, key = _parse_value(req)
    # Read under a lock held until commit, as `/action done` reads it: a click and a command (or two clicks) at
    # once decide one after the other (see `store.db.lock_rows`).
    action = action_store.get_for_update(session=req.session, action_id=action_id)
    actor = may_answer(req, action)
    assert action is not None
    return actor, action, key


def may_answer(req: Request, action: Action | None) -> access.Actor:
    """The person answering a reminder about `action`, refused unless they may change it (the owner, the chair,
    the vice-chair or the secretariat, while on the board). An answer link's page checks it before showing."""
    if action is None:
        raise NotFound("That action no longer exists.")
    actor = access.actor_for(req, action.board)
    if actor.left and not actor.manages_board:
        raise Forbidden(actor.not_on_board)
    if not actor.may_edit_action(action):
        raise Forbidden(f"Only {action.owner.display_name} (the owner), the chair, the vice-chair or the "
                        f"secretariat can change #{action.ref}.")
    return actor


def _answer(req: Request, action: Action, response: str) -> ActionChase:
    state = chase_store.chase_for_update(session=req.session, action_id=action.id)
    state.response = response
    state.response_at = req.now()
    return state


def _ack(text: str) -> Reply:
    return Reply("slack/reminder_ack.json.j2", {"text": text})


def _stale(req: Request, action: Action, key: str, why: str = "") -> Reply:
    """A click on a button whose action has moved on: nothing changes; the reminder is redrawn to show where
    things stand, and the clicker is told politely."""
    refresh_reminder(req, key, req.values.get("channel_id"), req.values.get("message_ts"))
    why = why or closed_said(req, action)
    return Reply("slack/reminder_ack.json.j2", {"text": f"{why}, so nothing has changed. Thank you."}, show=True)


def handle_chase_done(req: Request) -> Reply:
    """Done: close the action (as `/action done` does) and mark it in the reminder; with a `note` (an answer
    link's form), as `/action done #12 <note>`."""
    actor, action, key = _load(req)
    note = mentions.typed_text(req.session, str(req.values["note"]), "note") if req.values.get("note") else ""
    if action.status != ActionStatus.OPEN:
        return _stale(req, action, key)
    close_action(req, actor, action, ActionStatus.DONE, note)
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
    note = mentions.typed_text(req.session, str(req.values.get("note") or ""), "progress note")
    if action.status != ActionStatus.OPEN:
        raise Conflict(f"{closed_said(req, action)}, so your note was not added.")
    record_progress(req, actor, action, note)
    _answer(req, action, "update")
    refresh_reminder(req, key, channel_id or None, ts or None)
    return _ack(f"Progress noted on #{action.ref}.")


def handle_chase_snooze(req: Request) -> Reply:
    """Snooze a week: the next reminder comes a week later than it would have; the due date stays. With `until`
    (an answer link's form: a date), no reminder before that date."""
    actor, action, key = _load(req)
    if action.status != ActionStatus.OPEN:
        return _stale(req, action, key)
    if action.due_date is None:
        raise Conflict(f"#{action.ref} has no due date, so there is no reminder to snooze.", title="No due date")
    config = board_config(action.board)
    today = req.today(action.board.timezone)
    until = _snooze_until(req, today)
    if until is None:
        upcoming = max(next_reminder_date(today, action.due_date, config.chase_lead_days,
                                          config.chase_overdue_every_days), today)
        until = upcoming + dt.timedelta(days=7)
    state = _answer(req, action, "snooze")
    state.snoozed_until = until
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="action", entity_id=action.id,
                 operation="snooze", after={"snoozed_until": state.snoozed_until.isoformat()})
    refresh_reminder(req, key, req.values.get("channel_id"), req.values.get("message_ts"))
    return _ack(f"Snoozed #{action.ref}: no reminder before {state.snoozed_until:%a %-d %b}.")


def _snooze_until(req: Request, today: dt.date) -> dt.date | None:
    """The date a snooze runs to, when one is given (`until`, YYYY-MM-DD): after today, within SNOOZE_MAX_DAYS."""
    raw = str(req.values.get("until") or "").strip()
    if not raw:
        return None
    try:
        until = dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"“{raw[:20]}” is not a date (like {today + dt.timedelta(days=7):%Y-%m-%d}).",
                           field="until") from None
    if until <= today:
        raise InvalidInput("Choose a date after today.", field="until")
    if until > today + dt.timedelta(days=SNOOZE_MAX_DAYS):
        raise InvalidInput(f"Snooze for at most {SNOOZE_MAX_DAYS} days.", field="until")
    return until


def handle_chase_not_mine(req: Request) -> Reply:
    """Not mine: tell the secretariat (or the chair, if there is none) and stop chasing this owner; with a
    `reason` (an answer link's form), they are told it."""
    actor, action, key = _load(req)
    if actor.member is None or actor.member.id != action.owner_id:
        raise Forbidden(f"Only {action.owner.display_name} can say #{action.ref} is not theirs.")
    reason = mentions.typed_text(req.session, str(req.values["reason"]), "reason") if req.values.get("reason") \
        else ""
    if action.status != ActionStatus.OPEN:
        return _stale(req, action, key)
    chase = chase_store.get_chase(session=req.session, action_id=action.id)
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
            "due": action.due_date, "today": today, "reason": reason})
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="action", entity_id=action.id,
                 operation="not_mine", after={"owner": action.owner.slack_user_id,
                                              **({"reason": reason} if reason else {})})
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
