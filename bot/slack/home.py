"""Publishing a member's Home tab (views.publish), always after an acknowledgement."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from bot.slack.people import remember_timezone
from bot.runtime import Runtime, run_handler
from handlers import home

log = logging.getLogger("lspbot.home")


def workspace_url(runtime: Runtime, client: WebClient) -> str:
    """The workspace's address (auth.test, asked once per process), for links to messages; '' if unknown."""
    if not runtime.workspace_url:
        try:
            runtime.workspace_url = str(client.auth_test().get("url") or "")
        except Exception:
            log.warning("could not learn the workspace's address", exc_info=True)
    return runtime.workspace_url


def home_view(runtime: Runtime, user_id: str, *, timezone: str | None, page: int = 0, notice: str = "",
              workspace: str = "") -> dict[str, Any]:
    """The Home view of a member; a refusal or a fault becomes a Home view saying so, never a failure."""
    outcome = run_handler(runtime, home.handle_home, user_id=user_id, channel_id=None, what="home",
                          values={"page": page, "notice": notice, "timezone": timezone, "workspace_url": workspace})
    if outcome.ok:
        return outcome.payload
    return {"type": "home", "blocks": outcome.payload.get("blocks") or [
        {"type": "section", "text": {"type": "mrkdwn", "text": outcome.payload.get("text") or "Please try again."}}]}


def publish_home(runtime: Runtime, client: WebClient, user_id: str, *, page: int = 0, notice: str = "",
                 refresh_zone: bool = False) -> bool:
    """Build and publish the member's Home tab (their time zone looked up first); False if Slack refused."""
    zone = remember_timezone(runtime, client, user_id, refresh=refresh_zone)
    view = home_view(runtime, user_id, timezone=zone, page=page, notice=notice,
                     workspace=workspace_url(runtime, client))
    try:
        client.views_publish(user_id=user_id, view=view)
    except Exception:
        log.warning("could not publish the Home tab of %s", user_id, exc_info=True)
        return False
    return True
