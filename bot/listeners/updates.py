"""The partner-update and quarterly-return forms: the buttons that open them and their submissions.

A submission is checked by the same handler code as the slash command. A refusal comes back on the
form itself (`response_action: errors`, on the field at fault); an accepted one closes the form and
the confirmation arrives in the member's DM through the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.listeners.commands import open_modal
from bot.listeners.interactions import run_block_action, view_state_values
from bot.runtime import Outcome, Runtime, run_handler
from handlers import performance, updates
from handlers.base import Reply, Request
from handlers.ids import ActionId, CallbackId

log = logging.getLogger("lspbot.updates")
MAX_ERROR = 150  # Slack shows at most this much of a field error


def register(app: App, runtime: Runtime) -> None:
    app.action(ActionId.PARTNER_UPDATE_OPEN.value)(_open_button(runtime, updates.handle_update_button))
    app.action(ActionId.QUARTERLY_RETURN_OPEN.value)(_open_button(runtime, performance.handle_return_button))
    app.view(CallbackId.PARTNER_UPDATE.value)(
        _submitted(runtime, updates.handle_update_modal_submit, default_field=updates.MODAL_TEXT,
                   fields=(updates.MODAL_TEXT,)))
    app.view(CallbackId.QUARTERLY_RETURN.value)(
        _submitted(runtime, performance.handle_return_modal_submit, default_field=performance.FIELD_COMMENTARY,
                   fields=(performance.FIELD_ITEM, performance.FIELD_RAG, performance.FIELD_COMMENTARY)))


def _open_button(runtime: Runtime, handler: Callable[[Request], Reply]):
    def on_click(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        outcome = run_block_action(runtime, handler, body)
        if outcome.ok and outcome.open_modal and open_modal(runtime, client, body.get("trigger_id"),
                                                            outcome.open_modal):
            return
        try:
            respond(text=outcome.payload.get("text", ""), blocks=outcome.payload.get("blocks"),
                    response_type="ephemeral", replace_original=False)
        except Exception:
            log.warning("could not answer a form button", exc_info=True)

    on_click.__name__ = f"on_{handler.__name__}"
    return on_click


def field_errors(outcome: Outcome, default_field: str, fields: tuple[str, ...]) -> dict[str, str]:
    """`{block_id: message}` for a refused submission: on the field the refusal names, else the default one."""
    error = outcome.error
    field = error.field if error is not None and error.field in fields else default_field
    message = error.message if error is not None else outcome.payload.get("text", "")
    if len(message) > MAX_ERROR:
        message = message[: MAX_ERROR - 1] + "…"
    return {field: message}


def _submitted(runtime: Runtime, handler: Callable[[Request], Reply], *, default_field: str,
               fields: tuple[str, ...]):
    def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = body.get("user") or {}
        outcome = run_handler(runtime, handler, user_id=user.get("id", ""), channel_id=None,
                              values=view_state_values(view), user_name=user.get("username") or user.get("name"))
        if outcome.ok:
            ack()
        else:
            ack(response_action="errors", errors=field_errors(outcome, default_field, fields))

    on_submit.__name__ = f"on_{handler.__name__}"
    return on_submit
