"""The buttons of an action reminder (Done, Add update, Snooze a week, Not mine) and the update modal.

Each click runs its handler as the person who clicked; the handler queues a `chat.update` of the
reminder through the outbox, so the message itself shows what was done. Refusals come back to the
clicker as an ephemeral reply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.listeners.interactions import run_block_action, view_state_values
from bot.runtime import Runtime, run_handler
from handlers import reminders
from handlers.base import Reply, Request
from handlers.ids import ActionId, CallbackId

log = logging.getLogger("lspbot.reminders")


def register(app: App, runtime: Runtime) -> None:
    app.action(ActionId.ACTION_DONE.value)(_button(runtime, reminders.handle_chase_done))
    app.action(ActionId.ACTION_ADD_UPDATE.value)(_button(runtime, reminders.handle_chase_update_open))
    app.action(ActionId.ACTION_SNOOZE.value)(_button(runtime, reminders.handle_chase_snooze))
    app.action(ActionId.ACTION_NOT_MINE.value)(_button(runtime, reminders.handle_chase_not_mine))
    app.view(CallbackId.CHASE_UPDATE.value)(_update_submitted(runtime))


def _button(runtime: Runtime, handler: Callable[[Request], Reply]):
    def on_click(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        outcome = run_block_action(runtime, handler, body)
        if outcome.ok and outcome.open_modal:
            try:
                client.views_open(trigger_id=body["trigger_id"],
                                  view=runtime.renderer(outcome.open_modal["template"], outcome.open_modal["data"]))
            except Exception:
                log.warning("could not open the update modal", exc_info=True)
            return
        if not outcome.ok:
            try:
                respond(text=outcome.payload.get("text", ""), blocks=outcome.payload.get("blocks"),
                        response_type="ephemeral", replace_original=False)
            except Exception:
                log.warning("could not show a reminder button's refusal", exc_info=True)

    on_click.__name__ = f"on_{handler.__name__}"
    return on_click


def _update_submitted(runtime: Runtime):
    def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        outcome = run_handler(runtime, reminders.handle_chase_update_submit,
                              user_id=(body.get("user") or {}).get("id", ""), channel_id=None,
                              values=view_state_values(view), user_name=(body.get("user") or {}).get("username"))
        if outcome.ok:
            ack()
        else:
            ack(response_action="errors", errors={"note_block": outcome.payload.get("text", "")[:150]})

    return on_submit
