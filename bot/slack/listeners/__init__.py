"""Bolt listeners grouped by kind, each module exposing `register(app, runtime)`; the commands, buttons,
forms and shortcuts they register are the registry's (handlers/catalogue.py)."""

from __future__ import annotations

from slack_bolt import App

from bot.runtime import Runtime
from bot.slack.listeners import actions, commands, home, interactions
from handlers.catalogue import REGISTRY


def register(app: App, runtime: Runtime) -> None:
    commands.register(app, runtime)
    interactions.register(app, runtime, REGISTRY)
    actions.register(app, runtime, REGISTRY)
    home.register(app, runtime, REGISTRY)
