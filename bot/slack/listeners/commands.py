"""Slash commands: each one runs its handler inside the 3-second window and answers in the ack.

A reply may also ask for a modal (opened with the command's trigger_id before the ack) and for
documents, which are rendered and sent after the ack so Slack never waits on them; the person's time zone is
looked up after the ack too, the first time this process sees them. Either is handed to the after-ack executor
only when there is something to do: most commands leave nothing behind them (no Bolt lazy listener, which would
copy the whole request for every command).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack.listeners.interactions import open_modal
from bot.slack.people import known_timezone, remember_timezone
from bot.runtime import Outcome, Runtime, is_database_unavailable, run_command, run_later, send_documents
from handlers.base import Document, Later
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


def register(app: App, runtime: Runtime, after_ack: Executor) -> None:
    """One listener for every slash command, first among the app's listeners. Bolt tries listeners in turn, each
    matcher with its arguments built afresh, so one that matches any of ours at once costs a command one match
    instead of one per command registered before it."""
    app.command(_ANY_OF_OURS)(_listener(runtime, after_ack))


# Bolt searches the command's name with it: anchored at both ends, so `/actionx` is not `/action`.
_ANY_OF_OURS = re.compile(r"\A(?:" + "|".join(re.escape(name) for name in SLASH_COMMANDS) + r")\Z")


def _listener(runtime: Runtime, after_ack: Executor):
    def on_command(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        payload = answer_command(runtime, client, after_ack, body)
        if payload is None:
            ack()
        else:
            ack(**payload)

    return on_command


def answer_command(runtime: Runtime, client: WebClient, after_ack: Executor,
                   body: dict[str, Any]) -> dict[str, Any] | None:
    """Run one of our slash commands from Slack's body: the ack's body (None for an empty ack: the command's form
    was opened), with what follows the ack handed to `after_ack`. Bolt's listener runs it (Socket Mode), and so
    does the HTTP gate in front of Bolt (bot/slack/web.py), which has checked the request already."""
    user_id = body.get("user_id", "")
    outcome = run_command(
        runtime,
        body["command"],
        user_id=user_id,
        channel_id=body.get("channel_id"),
        text=slack_unescape(body.get("text", "")),  # as typed: Slack escapes &, < and >
        user_name=body.get("user_name"),
    )
    opened = outcome.ok and outcome.open_modal is not None and open_modal(
        runtime, client, body.get("trigger_id"), outcome.open_modal) is not None
    documents = outcome.documents if outcome.ok and not opened else []
    later = outcome.later if outcome.ok and not opened else []
    if documents or later or (user_id and known_timezone(runtime, user_id) is None):
        after_ack.submit(_logged(_after_command), runtime, client, user_id, documents, later, body.get("channel_id"))
    return None if opened else ack_payload(outcome)


def _after_command(runtime: Runtime, client: WebClient, user_id: str, documents: list[Document],
                   later: list[Later] | None = None, channel_id: str | None = None) -> None:
    """Documents, the work left for after the ack (building a pack), then (once per person) their time zone, so
    later replies show times as they read them."""
    if documents:
        send_documents(runtime, user_id, documents)
    if later:
        run_later(runtime, user_id, channel_id, later)
    remember_timezone(runtime, client, user_id)


def _logged(work: Callable[..., None]) -> Callable[..., None]:
    """`work` with its failure logged (an executor would keep it in a future nobody reads): the database being
    away is one line (the health probe reports the outage), anything else a traceback."""

    def run(*args: Any) -> None:
        try:
            work(*args)
        except Exception as exc:
            if is_database_unavailable(exc):
                log.warning("after-ack work skipped, the database is unavailable: %s", work.__name__)
            else:
                log.exception("after-ack work failed: %s", work.__name__)

    return run
