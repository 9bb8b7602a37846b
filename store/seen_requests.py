"""The seen-set of requests from Slack: whether one is seen for the first time (one insert into a unique index,
shared by every replica through the database), and the purge of those whose signing window has closed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from store.db import upsert_insert
from store.models import SeenRequest

_FIRST_SIGHT: dict[str, Any] = {}  # first_sight's INSERT by dialect, built once: building it cost a third of running it


def first_sight(*, session: Session | Connection, key: str, expires_at: dt.datetime) -> bool:
    """Record a request's key; True the first time, False if it was recorded before (by any replica).

    One statement: INSERT … ON CONFLICT DO NOTHING (PostgreSQL) or INSERT OR IGNORE (SQLite) into the primary key,
    returning the key only when the row was inserted. Every request runs it, so the HTTP gate runs it on a bare
    connection, without an ORM session."""
    dialect = (session.get_bind() if isinstance(session, Session) else session).dialect.name
    stmt = _FIRST_SIGHT.get(dialect)
    if stmt is None:
        stmt = _FIRST_SIGHT[dialect] = upsert_insert(session, SeenRequest.__table__).on_conflict_do_nothing(
            index_elements=["key"]).returning(SeenRequest.key)
    return session.execute(stmt, {"key": key, "expires_at": expires_at}).first() is not None


def purge_expired(*, session: Session, now: dt.datetime, limit: int = 10_000) -> int:
    """Delete at most `limit` keys whose signing window closed before `now` (by the index on expires_at); how many."""
    expired = select(SeenRequest.key).where(SeenRequest.expires_at < now).limit(limit).scalar_subquery()
    result = session.execute(delete(SeenRequest).where(SeenRequest.key.in_(expired)))
    return int(getattr(result, "rowcount", 0) or 0)
