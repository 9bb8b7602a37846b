"""Buttons and the modal of the agenda: Approve / Decline on a proposal, Publish / Regenerate on a draft."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.listeners.interactions import run_block_action, view_state_values
from bot.runtime import Outcome, Runtime, run_handler
from handlers import agenda as agenda_handlers
from handlers.base import Reply, Request
from handlers.ids import ActionId, CallbackId

log = logging.getLogger("lspbot.agenda")


def register(app: App, runtime: Runtime) -> None:
    app.action(ActionId.AGENDA_APPROVE.value)(_button(runtime, agenda_handlers.handle_approve_button))
    app.action(ActionId.AGENDA_DECLINE.value)(_button(runtime, agenda_handlers.handle_decline_button))
    app.action(ActionId.AGENDA_PUBLISH.value)(_button(runtime, agenda_handlers.handle_publish_button))
    app.action(ActionId.AGENDA_REGENERATE.value)(
        _button(runtime, agenda_handlers.handle_regenerate_button, replace_original=True))
    app.view(CallbackId.AGENDA_DECLINE_MODAL.value)(_decline_submitted(runtime))


def answer(outcome: Outcome, body: dict[str, Any], client: WebClient, *, replace_original: bool = False) -> None:
    """Show a button's outcome to the person who clicked: through the response URL, else as an ephemeral."""
    payload = outcome.payload
    try:
        if body.get("response_url"):
            from slack_sdk.webhook import WebhookClient

            WebhookClient(body["response_url"]).send(
                text=payload.get("text", ""), blocks=payload.get("blocks"), response_type="ephemeral",
                replace_original=replace_original and outcome.ok)
        else:
            channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
            client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=payload.get("text", ""),
                                      blocks=payload.get("blocks"))
    except Exception:  # the click itself succeeded; a lost confirmation is logged, not raised
        log.warning("could not show the outcome of an agenda button", exc_info=True)


def _button(runtime: Runtime, handler: Callable[[Request], Reply], *, replace_original: bool = False):
    def on_click(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        outcome = run_block_action(runtime, handler, body)
        if outcome.ok and outcome.open_modal:
            view = runtime.renderer(outcome.open_modal["template"], outcome.open_modal["data"])
            try:
                client.views_open(trigger_id=body["trigger_id"], view=view)
            except Exception:
                log.warning("could not open the agenda modal", exc_info=True)
            return
        answer(outcome, body, client, replace_original=replace_original)

    on_click.__name__ = f"on_{handler.__name__}"
    return on_click


def _decline_submitted(runtime: Runtime):
    def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        outcome = run_handler(runtime, agenda_handlers.handle_decline_submission,
                              user_id=(body.get("user") or {}).get("id", ""), channel_id=None,
                              values=view_state_values(view), user_name=(body.get("user") or {}).get("username"))
        if outcome.ok:
            ack()
        else:
            ack(response_action="errors", errors={"reason": outcome.payload.get("text", "")[:150]})

    return on_submit
