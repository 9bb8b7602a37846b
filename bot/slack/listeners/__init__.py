"""Bolt listeners grouped by kind, each module exposing `register(app, runtime)`."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import agenda, commands, reminders
from bot.slack.listeners import updates
from bot.slack.listeners import actions, home
from bot.runtime import Runtime


def register(app: App, runtime: Runtime) -> None:
    commands.register(app, runtime)
    agenda.register(app, runtime)
    reminders.register(app, runtime)
    updates.register(app, runtime)
    actions.register(app, runtime)
    home.register(app, runtime)
