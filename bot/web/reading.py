"""A web request's reading of the database: one unit of work that only reads, for the pages and the feeds alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.runtime import Runtime, is_database_unavailable
from store import db


class DatabaseAway(Exception):
    """A web request's read found the database unavailable (already told to the health probe)."""


@contextmanager
def reading(runtime: Runtime, what: str) -> Iterator[Any]:
    """A web request's unit of work, which only reads. The database being unavailable becomes DatabaseAway (each
    area answers it in its own way: an HTML page, a calendar's plain text), and the health probe hears of it."""
    try:
        with db.read_scope(runtime.sessions) as session:
            yield session
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        runtime.health.failed(what, exc)
        raise DatabaseAway(what) from exc
