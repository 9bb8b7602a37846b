"""Slash commands: each one runs its handler inside the 3-second window and answers in the ack.

A reply may also ask for a modal (opened with the command's trigger_id before the ack) and for
documents, which a lazy listener renders and sends after the ack so Slack never waits on them. The
same lazy listener looks up the person's time zone the first time they use a command.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.slack.listeners.interactions import open_modal
from bot.slack.people import remember_timezone
from bot.runtime import Outcome, Runtime, run_command, send_documents
from handlers.parsing import slack_unescape
from handlers.router import SLASH_COMMANDS

log = logging.getLogger("lspbot.commands")


def ack_payload(outcome: Outcome) -> dict[str, Any]:
    """The ack body: the rendered reply, ephemeral unless the handler said otherwise."""
    return {
        "response_type": "in_channel" if outcome.in_channel else "ephemeral",
        "text": outcome.payload.get("text", ""),
        "blocks": outcome.payload.get("blocks", []),
    }


def register(app: App, runtime: Runtime) -> None:
    for name in SLASH_COMMANDS:
        app.command(name)(ack=_listener(runtime, name), lazy=[_after_ack(runtime)])


def _listener(runtime: Runtime, name: str):
    def on_command(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        outcome = run_command(
            runtime,
            name,
            user_id=body.get("user_id", ""),
            channel_id=body.get("channel_id"),
            text=slack_unescape(body.get("text", "")),  # as typed: Slack escapes &, < and >
            user_name=body.get("user_name"),
        )
        if outcome.ok and outcome.open_modal and open_modal(runtime, client, body.get("trigger_id"),
                                                            outcome.open_modal) is not None:
            ack()
            return
        if outcome.ok and outcome.documents:
            context["lspbot_documents"] = outcome.documents  # copied into the lazy listener's request
        ack(**ack_payload(outcome))

    on_command.__name__ = f"on_{name.strip('/')}_command"
    return on_command


def _after_ack(runtime: Runtime):
    def after_command(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        """Documents, then (once per person) their time zone, so later replies show times as they read them."""
        documents = context.get("lspbot_documents")
        if documents:
            send_documents(runtime, body.get("user_id", ""), documents)
        remember_timezone(runtime, client, body.get("user_id", ""))

    return after_command
