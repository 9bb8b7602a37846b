"""Bolt listeners grouped by kind, each module exposing `register(app, runtime)`; the commands, buttons,
forms and shortcuts they register are the registry's (handlers/catalogue.py)."""

from __future__ import annotations

from concurrent.futures import Executor

from slack_bolt import App

from bot.runtime import Runtime
from bot.slack.listeners import actions, commands, home, interactions, people
from handlers.catalogue import REGISTRY


def register(app: App, runtime: Runtime, after_ack: Executor) -> None:
    """Every listener; `after_ack` runs what follows an acknowledgement."""
    commands.register(app, runtime, after_ack)
    interactions.register(app, runtime, REGISTRY)
    actions.register(app, runtime, REGISTRY)
    home.register(app, runtime, REGISTRY)
    people.register(app, runtime)
