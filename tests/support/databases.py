"""Test databases on SQLite and PostgreSQL: which backends run, fresh databases copied from a migrated one, rows."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool


def _pg_admin_url() -> str | None:
    url = os.environ.get("LSPBOT_TEST_DATABASE_URL")
    if not url and os.environ.get("CI") == "true":
        pytest.fail("CI=true but LSPBOT_TEST_DATABASE_URL is not set: the PostgreSQL tests must run in CI")
    return url


def backends() -> list[str]:
    """The backends the database tests run on: SQLite, and PostgreSQL when the tests have one (always in CI)."""
    return ["sqlite", "postgresql"] if os.environ.get("LSPBOT_TEST_DATABASE_URL") or os.environ.get("CI") == "true" else ["sqlite"]


@dataclass
class TestDatabase:
    """A database made for a test, and how to drop it."""

    __test__ = False  # not a test class: pytest collects Test* names

    url: str
    backend: str
    _drop: Any = None

    def drop(self) -> None:
        if self._drop:
            self._drop()


_TEMPLATES: dict[str, str] = {}  # backend -> a database at the current schema, made once per test process


def _template(backend: str) -> str:
    """A database migrated once per test process (a SQLite file, or a PostgreSQL database) to copy fresh ones from:
    a copy costs a fraction of running every migration again."""
    if backend in _TEMPLATES:
        return _TEMPLATES[backend]
    from store import db

    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="lspbot-template-"))
        atexit.register(shutil.rmtree, folder, True)
        engine = db.make_engine(f"sqlite:///{folder / 'template.db'}")
        db.upgrade(engine)
        engine.dispose()
        with contextlib.closing(sqlite3.connect(folder / "template.db")) as conn:  # one self-contained file to copy
            conn.execute("PRAGMA journal_mode=DELETE")
        _TEMPLATES[backend] = str(folder / "template.db")
        return _TEMPLATES[backend]
    template = make_database(backend, Path(tempfile.gettempdir()))
    _AT_THE_END.append(template.drop)
    engine = db.make_engine(template.url)
    db.upgrade(engine)
    engine.dispose()
    _TEMPLATES[backend] = make_url(template.url).database
    return _TEMPLATES[backend]


def make_database(backend: str, tmp_path: Path, *, migrated: bool = False) -> TestDatabase:
    """A fresh database: a SQLite file, or a PostgreSQL database on the CI server; empty, or (`migrated`)
    at the current schema with no rows. A migrated PostgreSQL database is one emptied after an earlier test
    when there is one (emptying costs milliseconds; creating and dropping a database costs about a second)."""
    if backend == "sqlite":
        if migrated:
            shutil.copyfile(_template(backend), tmp_path / "lspbot.db")
        return TestDatabase(url=f"sqlite:///{tmp_path / 'lspbot.db'}", backend="sqlite")
    admin_url = _pg_admin_url()
    if migrated:
        template = _template(backend)
        if _EMPTIED:
            return _reusable(_EMPTIED.pop(), admin_url)
        return _reusable(_create_postgresql(admin_url, f' TEMPLATE "{template}"'), admin_url)
    name = _create_postgresql(admin_url, "")
    return TestDatabase(url=_pg_url(admin_url, name), backend="postgresql", _drop=lambda: _drop_postgresql(admin_url, name))


_EMPTIED: list[str] = []  # migrated PostgreSQL databases emptied after their test, for the next one
_SHAPES: dict[str, str] = {}  # database name -> the fingerprint of its schema


def _pg_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _create_postgresql(admin_url: str, template: str) -> str:
    name = f"lspbot_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{template}'))
    except Exception as exc:  # CI must reach its database: fail, never skip
        pytest.fail(f"cannot create a PostgreSQL test database at {make_url(admin_url).render_as_string()}: {exc}")
    finally:
        admin.dispose()
    return name


def _drop_postgresql(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


_SHAPE_SQL = text(
    "SELECT md5(coalesce(string_agg(x, ';' ORDER BY x), '')) FROM ("
    " SELECT table_name || '.' || column_name || ':' || data_type || ':' || is_nullable || ':' ||"
    "  coalesce(column_default, '') AS x FROM information_schema.columns WHERE table_schema = 'public'"
    " UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'"
    " UNION ALL SELECT conname || pg_get_constraintdef(oid) FROM pg_constraint"
    "  WHERE connamespace = 'public'::regnamespace"
    " UNION ALL SELECT version_num FROM alembic_version) AS shape"
)


def _reusable(name: str, admin_url: str) -> TestDatabase:
    """A migrated PostgreSQL database that goes back to `_EMPTIED` after its test, emptied, when its schema is
    still the one it was made with (a test that changed it has it dropped instead)."""
    url = _pg_url(admin_url, name)
    if name not in _SHAPES:
        _SHAPES[name] = _shape(url)

    def give_back() -> None:
        if name in _EMPTIED:  # given back already: twice in the list, it would go to two tests at once
            return
        if _empty(url, _SHAPES[name], admin_url, name):
            _EMPTIED.append(name)
        else:
            _SHAPES.pop(name, None)
            _drop_postgresql(admin_url, name)

    return TestDatabase(url=url, backend="postgresql", _drop=give_back)


def _shape(url: str) -> str:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return str(conn.execute(_SHAPE_SQL).scalar_one())
    finally:
        engine.dispose()


def _empty(url: str, shape: str, admin_url: str, name: str) -> bool:
    """Delete every row (the schema's version kept) children first, and start every sequence again at 1; False
    when the schema is no longer `shape`. Connections a test left open are closed first."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name "
                              "AND pid <> pg_backend_pid()"), {"name": name})
    finally:
        admin.dispose()
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            if conn.execute(_SHAPE_SQL).scalar_one() != shape:
                return False
            for table in _children_first(conn):
                conn.execute(text(f'DELETE FROM "{table}"'))
            conn.execute(text("SELECT setval(c.oid::regclass, 1, false) FROM pg_class c "
                              "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"))
        return True
    finally:
        engine.dispose()


_ORDER: list[str] = []  # the migrated schema's tables, each before those it refers to (alembic_version left out)


def _children_first(conn: Connection) -> list[str]:
    if not _ORDER:
        tables = MetaData()
        tables.reflect(conn)
        _ORDER.extend(t.name for t in reversed(tables.sorted_tables) if t.name != "alembic_version")
    return _ORDER


_AT_THE_END: list[Callable[[], None]] = []  # drops of this process's PostgreSQL templates


def drop_leftovers() -> None:
    """Drop this process's PostgreSQL databases kept for reuse, and its templates: called when the test session
    finishes (pytest_sessionfinish: test worker processes end without running atexit handlers)."""
    admin_url = os.environ.get("LSPBOT_TEST_DATABASE_URL")
    while admin_url and _EMPTIED:
        name = _EMPTIED.pop()
        _SHAPES.pop(name, None)
        _drop_postgresql(admin_url, name)
    while _AT_THE_END:
        _AT_THE_END.pop()()
    _TEMPLATES.pop("postgresql", None)


atexit.register(drop_leftovers)


def db_rows(database_url: str, sql: str, **params: Any) -> list[tuple]:
    """Read rows straight from the database the server writes to."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()
