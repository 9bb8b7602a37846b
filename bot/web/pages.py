"""The board's pages: the forward plan, meetings, decisions, reports, members."""

from __future__ import annotations

from flask import Flask

from bot.runtime import Runtime


def register(app: Flask, runtime: Runtime) -> None:
    """Add the pages' routes."""
