"""The calendar feeds: a public board's /b/<slug>/meetings.ics and each member's secret feed."""

from __future__ import annotations

from flask import Flask

from bot.runtime import Runtime


def register(app: Flask, runtime: Runtime) -> None:
    """Add the feeds' routes."""
