"""The Home tab: published when a member opens it, and again when they page through their actions.

Both are acknowledged at once; the Home tab is built and published by a lazy listener after the ack
(views.publish), with the member's time zone looked up from Slack each time they open it.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack.home import publish_home
from bot.slack.listeners.interactions import user_of
from bot.runtime import Runtime
from handlers.registry import Registry
from handlers.parsing import parse_id


def register(app: App, runtime: Runtime, registry: Registry) -> None:
    app.event("app_home_opened")(ack=_ack, lazy=[_opened(runtime)])
    for declared in registry.buttons:  # the Home tab's paging: no handler, the Home tab is published again
        if declared.handler is None and declared.where == "home":
            app.action(declared.action_id)(ack=_ack, lazy=[_paged(runtime)])


def _ack(ack: Ack) -> None:
    ack()


def _opened(runtime: Runtime):
    def publish_on_open(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") == "home" and event.get("user"):
            publish_home(runtime, client, event["user"], refresh_zone=True)

    return publish_on_open


def _paged(runtime: Runtime):
    def publish_page(body: dict[str, Any], client: WebClient) -> None:
        raw = ((body.get("actions") or [{}])[0]).get("value") or "0"
        page = parse_id(raw) or 0  # nonsense (or a page past the end) is answered with a page that exists
        publish_home(runtime, client, user_of(body)[0], page=page)

    return publish_page
