"""Events about people: a profile changed in Slack (`user_change`), which may carry a new time zone."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.runtime import Runtime
from bot.slack.people import profile_changed


def register(app: App, runtime: Runtime) -> None:
    @app.event("user_change")
    def on_user_change(event: dict[str, Any]) -> None:
        """Acknowledged once the new zone is recorded (one short UPDATE, inside Slack's 3 seconds)."""
        user = event.get("user") or {}
        profile_changed(runtime, user.get("id") or "", user.get("tz"))
