"""Slash commands: each one runs its handler inside the 3-second window and answers in the ack."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

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
        app.command(name)(_listener(runtime, name))


def _listener(runtime: Runtime, name: str):
    def on_command(ack: Ack, body: dict[str, Any]) -> None:
        outcome = run_command(
            runtime,
            name,
            user_id=body.get("user_id", ""),
            channel_id=body.get("channel_id"),
            text=body.get("text", ""),
            user_name=body.get("user_name"),
        )
        ack(**ack_payload(outcome))

    on_command.__name__ = f"on_{name.strip('/')}_command"
    return on_command
