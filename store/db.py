"""Engines, sessions and schema migrations."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
READ_ONLY = "lspbot_read_only"  # execution option: the transaction only reads


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine; SQLite files get WAL mode, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every sqlite test
            dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below drive transactions
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
            # SQLite's lower() folds ASCII only: names compared case-insensitively ("École" and "ÉCOLE", an
            # organisation typed twice) must fold as Python's str.lower() does, and as PostgreSQL's does.
            dbapi_conn.create_function("lower", 1, _lower, deterministic=True)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover
            # BEGIN IMMEDIATE takes the write lock up front, so two writers queue
            # instead of failing with "database is locked" on upgrade from a read.
            # A unit of work that only reads (read_scope) takes no lock: in WAL mode it never waits.
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextlib.contextmanager
def read_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work that only reads: on SQLite it takes no write lock, so it never queues behind a writer
    (nor holds one up); anything it writes is rolled back."""
    session = factory()
    try:
        session.connection(execution_options={READ_ONLY: True})
        yield session
    finally:
        session.rollback()
        session.close()


@contextlib.contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def lock_rows(session: Session, model: Any, *conditions: Any) -> list[int]:
    """Lock the rows of `model` matching `conditions` until the unit of work ends, before reading the state a change
    is decided on (is #12 still open? is the proposal still pending?), and return their ids. On PostgreSQL this is
    `SELECT id … FOR UPDATE`: a concurrent change of the same rows waits here until the first commits. On SQLite a
    writing unit of work already holds the database's write lock from its BEGIN IMMEDIATE, so it is serial there
    as it is.

    Read the rows after this, in a statement of its own with `fresh()`: a statement that waited for the lock sees
    the row the other change wrote, but not rows of other tables joined to it (PostgreSQL re-checks the locked
    row only), so the lock is taken alone."""
    stmt = select(model.id).where(*conditions)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt))


def fresh(stmt: Any) -> Any:
    """`stmt` reading its rows again even if the session already holds them (after `lock_rows`)."""
    return stmt.execution_options(populate_existing=True)


def upsert_insert(session: Session, table: Any) -> Any:
    """An INSERT for the session's dialect that can take `on_conflict_do_nothing` / `on_conflict_do_update`."""
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database schema up to date (idempotent)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with migration_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


@contextlib.contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for migrations. On SQLite, foreign keys are off while it lasts, as
    SQLite's own procedure for changing a table asks (a table others refer to is rebuilt, and with them on its
    DROP would cascade to the rows that refer to it), and checked whole before the commit."""
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection if engine.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")  # outside any transaction, where SQLite honours it
        try:
            with conn.begin():
                yield conn
                if raw is not None:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration left rows referring to nothing: {broken[:5]}")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def current_revision(engine: Engine) -> str | None:
    """The applied revision(s), comma-separated; None on an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ", ".join(sorted(heads)) or None
