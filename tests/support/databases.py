"""Test databases on SQLite and PostgreSQL: which backends run, fresh databases copied from a migrated one, rows."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sqlite3
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


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
    atexit.register(template.drop)
    engine = db.make_engine(template.url)
    db.upgrade(engine)
    engine.dispose()
    _TEMPLATES[backend] = make_url(template.url).database
    return _TEMPLATES[backend]


def make_database(backend: str, tmp_path: Path, *, migrated: bool = False) -> TestDatabase:
    """A fresh database: a SQLite file, or a new PostgreSQL database on the CI server; empty, or (`migrated`)
    a copy of one at the current schema."""
    if backend == "sqlite":
        if migrated:
            shutil.copyfile(_template(backend), tmp_path / "lspbot.db")
        return TestDatabase(url=f"sqlite:///{tmp_path / 'lspbot.db'}", backend="sqlite")
    admin_url = _pg_admin_url()
    name = f"lspbot_t_{uuid.uuid4().hex[:12]}"
    template = f' TEMPLATE "{_template(backend)}"' if migrated else ""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{template}'))
    except Exception as exc:  # CI must reach its database: fail, never skip
        admin.dispose()
        pytest.fail(f"cannot create a PostgreSQL test database at {make_url(admin_url).render_as_string()}: {exc}")
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return TestDatabase(url=url, backend="postgresql", _drop=drop)


def db_rows(database_url: str, sql: str, **params: Any) -> list[tuple]:
    """Read rows straight from the database the server writes to."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()

