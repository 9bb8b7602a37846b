"""Shared plumbing for buttons and modals: turn a Slack payload into a handler call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.runtime import Outcome, Runtime, run_handler
from handlers.base import Reply, Request


def block_action_values(body: dict[str, Any]) -> dict[str, Any]:
    """What a handler needs from a `block_actions` payload: the button's value and where its message is."""
    action = (body.get("actions") or [{}])[0]
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    return {
        "action_id": action.get("action_id"),
        "value": action.get("value") or (action.get("selected_option") or {}).get("value"),
        "channel_id": channel,
        "message_ts": container.get("message_ts") or (body.get("message") or {}).get("ts"),
        "trigger_id": body.get("trigger_id"),
        "view_id": (body.get("view") or {}).get("id"),
    }


def run_block_action(runtime: Runtime, handler: Callable[[Request], Reply], body: dict[str, Any]) -> Outcome:
    """Run a button's handler as the member who clicked it."""
    values = block_action_values(body)
    return run_handler(runtime, handler, user_id=(body.get("user") or {}).get("id", ""),
                       channel_id=values["channel_id"], values=values,
                       user_name=(body.get("user") or {}).get("username"))


def view_state_values(view: dict[str, Any]) -> dict[str, Any]:
    """Flatten a submitted view's state to {action_id: value} (text, dates, users, selects)."""
    out: dict[str, Any] = {}
    for block in (view.get("state") or {}).get("values", {}).values():
        for action_id, element in block.items():
            kind = element.get("type")
            if kind == "plain_text_input":
                out[action_id] = element.get("value") or ""
            elif kind == "datepicker":
                out[action_id] = element.get("selected_date")
            elif kind == "users_select":
                out[action_id] = element.get("selected_user")
            elif kind in ("static_select", "external_select", "radio_buttons"):
                out[action_id] = (element.get("selected_option") or {}).get("value")
            elif kind == "checkboxes":
                out[action_id] = [o.get("value") for o in element.get("selected_options") or []]
            else:
                out[action_id] = element.get("value")
    out["private_metadata"] = view.get("private_metadata") or ""
    return out
