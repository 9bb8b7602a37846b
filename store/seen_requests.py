"""The seen-set of requests from Slack: whether one is seen for the first time (one insert into a unique index,
shared by every replica through the database), and the purge of those whose signing window has closed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from store.db import dialect_insert
from store.models import SeenRequest


@dataclass(frozen=True)
class _Insert:
    """first_sight's INSERT for one dialect, compiled once: its SQL, the driver's parameter style, and the bind
    processor of `expires_at` (the value stored exactly as SQLAlchemy would store it)."""

    sql: str
    positional: bool
    expires_at: Callable[[Any], Any] | None

    def params(self, key: str, expires_at: dt.datetime) -> tuple[Any, ...] | dict[str, Any]:
        value = self.expires_at(expires_at) if self.expires_at is not None else expires_at
        return (key, value) if self.positional else {"key": key, "expires_at": value}


_INSERTS: dict[str, _Insert] = {}


def _insert_for(dialect: Dialect) -> _Insert:
    found = _INSERTS.get(dialect.name)
    if found is None:
        table = SeenRequest.__table__
        stmt = (dialect_insert(dialect.name, table).on_conflict_do_nothing(index_elements=["key"])
                .returning(table.c.key))
        compiled = stmt.compile(dialect=dialect)
        if compiled.positional and compiled.positiontup != ["key", "expires_at"]:
            raise RuntimeError(f"the seen-set's insert binds {compiled.positiontup}")  # its SQL changed shape
        found = _INSERTS[dialect.name] = _Insert(str(compiled), bool(compiled.positional),
                                                 table.c.expires_at.type._cached_bind_processor(dialect))
    return found


def first_sight(engine: Engine, *, key: str, expires_at: dt.datetime) -> bool:
    """Record a request's key; True the first time, False if it was recorded before (by any replica).

    One statement: INSERT … ON CONFLICT DO NOTHING into the primary key, returning the key only when the row was
    inserted, committed on its own. Every request from Slack runs it, so it goes to the driver as it is: on a
    connection of the pool that commits each statement (SQLite's, and db.make_seen_engine's on PostgreSQL),
    compiled once, without SQLAlchemy's connection, execution context and result around it, which cost several
    times the insert. A driver's error comes out as SQLAlchemy's (an OperationalError when the database cannot be
    reached), and a connection found broken is not given out again."""
    insert = _insert_for(engine.dialect)
    params = insert.params(key, expires_at)
    dbapi_error = engine.dialect.loaded_dbapi.Error
    try:
        raw = engine.raw_connection()
    except dbapi_error as exc:
        raise DBAPIError.instance(None, None, exc, dbapi_error, dialect=engine.dialect) from exc
    cursor = None
    try:
        cursor = raw.cursor()
        cursor.execute(insert.sql, params)
        first = cursor.fetchone() is not None
        raw.commit()  # nothing to do on a connection in autocommit; the insert kept on any other
        return first
    except dbapi_error as exc:
        broken = engine.dialect.is_disconnect(exc, raw.dbapi_connection, cursor)
        if broken:
            raw.invalidate(exc)
        raise DBAPIError.instance(insert.sql, params, exc, dbapi_error, connection_invalidated=broken,
                                  dialect=engine.dialect) from exc
    finally:
        if cursor is not None and raw.is_valid:
            cursor.close()
        raw.close()


def purge_expired(*, session: Session, now: dt.datetime, limit: int = 10_000) -> int:
    """Delete at most `limit` keys whose signing window closed before `now` (by the index on expires_at); how many."""
    expired = select(SeenRequest.key).where(SeenRequest.expires_at < now).limit(limit).scalar_subquery()
    result = session.execute(delete(SeenRequest).where(SeenRequest.key.in_(expired)))
    return int(getattr(result, "rowcount", 0) or 0)
