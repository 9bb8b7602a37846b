"""Slash commands: each one runs its handler inside the 3-second window and answers in the ack.

A reply may also ask for a modal (opened with the command's trigger_id before the ack) and for
documents, which a lazy listener renders and sends after the ack so Slack never waits on them.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.documents import send_documents
from bot.runtime import Outcome, Runtime, run_command
from handlers.router import COMMANDS

log = logging.getLogger("lspbot.commands")


def ack_payload(outcome: Outcome) -> dict[str, Any]:
    """The ack body: the rendered reply, ephemeral unless the handler said otherwise."""
    return {
        "response_type": "in_channel" if outcome.in_channel else "ephemeral",
        "text": outcome.payload.get("text", ""),
        "blocks": outcome.payload.get("blocks", []),
    }


def register(app: App, runtime: Runtime) -> None:
    for name in COMMANDS:
        app.command(name)(ack=_listener(runtime, name), lazy=[_documents_after_ack(runtime)])


def _listener(runtime: Runtime, name: str):
    def on_command(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        outcome = run_command(
            runtime,
            name,
            user_id=body.get("user_id", ""),
            channel_id=body.get("channel_id"),
            text=body.get("text", ""),
            user_name=body.get("user_name"),
        )
        if outcome.ok and outcome.open_modal and open_modal(runtime, client, body.get("trigger_id"), outcome.open_modal):
            ack()
            return
        if outcome.ok and outcome.documents:
            context["lspbot_documents"] = outcome.documents  # copied into the lazy listener's request
        ack(**ack_payload(outcome))

    on_command.__name__ = f"on_{name.strip('/')}_command"
    return on_command


def open_modal(runtime: Runtime, client: WebClient, trigger_id: str | None, modal: dict[str, Any]) -> bool:
    """Open a handler's modal ({"template", "data"}) with a trigger; False if Slack refused (the reply says what to type)."""
    if not trigger_id:
        return False
    try:
        client.views_open(trigger_id=trigger_id, view=runtime.renderer(modal["template"], modal["data"]))
    except Exception:
        log.warning("could not open a modal", exc_info=True)
        return False
    return True


def _documents_after_ack(runtime: Runtime):
    def send_documents_after_ack(body: dict[str, Any], context: BoltContext) -> None:
        documents = context.get("lspbot_documents")
        if documents:
            send_documents(runtime, body.get("user_id", ""), documents)

    return send_documents_after_ack
