"""The action form (from `/action add` with no text, or the "Create action from message" shortcut) and
its submission.

The shortcut is acknowledged at once; after the ack the form opens pre-filled with the message, then
the message's permalink is fetched (chat.getPermalink, else built from the workspace's address when Slack
will not answer for that channel) and the open form is updated to carry it (views.update), so the action
keeps a link back to where it was raised.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.slack.home import workspace_url
from bot.slack.listeners.interactions import answer, open_modal, render_modal, user_of
from bot.runtime import Runtime, run_handler
from handlers import action_forms
from handlers.home import message_link
from handlers.registry import Handler, Registry

log = logging.getLogger("lspbot.actions")
_OUTCOME = "lspbot_shortcut"


def register(app: App, runtime: Runtime, registry: Registry) -> None:
    """The message shortcuts: acknowledged at once, their form opened and then given the message's link."""
    for shortcut in registry.shortcuts:
        app.shortcut(shortcut.callback_id)(ack=_ack_shortcut(runtime, shortcut.handler),
                                                lazy=[_open_form(runtime)])


def message_of(body: dict[str, Any]) -> dict[str, str]:
    """Where the message of a `message_action` payload is, who wrote it and what it says."""
    message = body.get("message") or {}
    return {"channel_id": (body.get("channel") or {}).get("id") or "",
            "message_ts": body.get("message_ts") or message.get("ts") or "",
            "message_user": message.get("user") or "", "message_text": message.get("text") or "",
            "message_files": [{"id": f.get("id"), "name": f.get("name") or f.get("title") or "",
                               "size": f.get("size") or 0, "mimetype": f.get("mimetype") or ""}
                              for f in message.get("files") or [] if isinstance(f, dict)]}


def _ack_shortcut(runtime: Runtime, handler: Handler):
    def ack_shortcut(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        values = message_of(body)
        user_id, user_name = user_of(body)
        outcome = run_handler(runtime, handler, user_id=user_id,
                              channel_id=values["channel_id"] or None, values=values, user_name=user_name)
        context[_OUTCOME] = {"ok": outcome.ok, "payload": outcome.payload, "open_modal": outcome.open_modal}
        ack()

    return ack_shortcut


def _open_form(runtime: Runtime):
    def open_form(body: dict[str, Any], client: WebClient, context: BoltContext, respond: Any = None) -> None:
        done = context.get(_OUTCOME) or {}
        modal = done.get("open_modal")
        opened = open_modal(runtime, client, body.get("trigger_id"), modal) if done.get("ok") and modal else None
        if opened is None:
            answer(done.get("payload") or {}, body, client, respond)
            return
        if "permalink" not in modal["data"]:  # a form that keeps no link to the message (the paper form)
            return
        link = _permalink(runtime, client, body)
        if not link:  # the form works without the link; the action is just not tied to the message
            return
        try:
            view = opened.get("view") or {}
            client.views_update(view_id=view.get("id"), hash=view.get("hash"),
                                view=render_modal(runtime, action_forms.with_permalink(modal, link)))
        except Exception:
            log.warning("could not add the message's permalink to the action form", exc_info=True)

    return open_form


def _permalink(runtime: Runtime, client: WebClient, body: dict[str, Any]) -> str:
    """The message's permalink from chat.getPermalink; where Slack will not give one (a private channel or a DM
    the bot is not in), the same link built from the workspace's address; '' if neither is known."""
    where = message_of(body)
    if not where["channel_id"] or not where["message_ts"]:
        return ""
    try:
        return str(client.chat_getPermalink(channel=where["channel_id"], message_ts=where["message_ts"])["permalink"])
    except Exception:
        log.info("chat.getPermalink refused; building the message's link from the workspace's address", exc_info=True)
    workspace = workspace_url(runtime, client)
    if not workspace:
        return ""
    thread_ts = str((body.get("message") or {}).get("thread_ts") or "") or None
    return message_link(workspace, where["channel_id"], where["message_ts"], thread_ts)
