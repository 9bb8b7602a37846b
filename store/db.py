"""Engines, sessions and schema migrations."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    FromClause,
    MetaData,
    Table,
    bindparam,
    create_engine,
    event,
    inspect,
    make_url,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import Date

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
READ_ONLY = "lspbot_read_only"  # execution option: the transaction only reads
ONE_REQUEST = "lspbot_one_request"  # a session's info: its unit of work is one request's handler and ends with it


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


class local_date(GenericFunction[dt.date]):  # noqa: N801 - used as a SQL function: local_date(column, zone)
    """The day a UTC time column fell on in a time zone, e.g. `local_date(Action.closed_at, "Europe/London")`, so
    a query can compare it with a date column (PostgreSQL's `timezone()`; SQLite's is `_local_date` below)."""

    type = Date()
    inherit_cache = True


@compiles(local_date, "postgresql")
def _local_date_postgresql(element: local_date, compiler: SQLCompiler, **kw: Any) -> str:
    stamp, zone = element.clauses
    return f"CAST(timezone(CAST({compiler.process(zone, **kw)} AS TEXT), {compiler.process(stamp, **kw)}) AS DATE)"


def _local_date(stamp: str | None, zone: str) -> str | None:
    """SQLite's `local_date(column, zone)`: the column holds naive UTC text (see models.UTCDateTime)."""
    if stamp is None:
        return None
    return dt.datetime.fromisoformat(stamp).replace(tzinfo=dt.UTC).astimezone(ZoneInfo(zone)).date().isoformat()


@dataclass(frozen=True)
class Timeouts:
    """How long lspbot waits for PostgreSQL (seconds). A server that stops answering, or a network that goes silent,
    costs a request at most `request` and any other unit of work at most `statement` + `GRACE`; nothing waits for ever.

    - `connect`: to open a connection (libpq's connect_timeout; 2 at the least).
    - `statement`: the server cancels a statement running longer (statement_timeout), and the client stops waiting
      for any one answer `GRACE` seconds later.
    - `idle_in_transaction`: the server ends a session left idle inside a transaction this long, so a client that gave
      up (or vanished) cannot leave locks held (idle_in_transaction_session_timeout).
    - `keepalive`: TCP keepalives start after this much silence, and unacknowledged data gives up after about three
      times as long (tcp_user_timeout): a dead peer or a cut network is noticed by both ends.
    - `request`: what one Slack request's unit of work may spend waiting for the database in all (`deadline`),
      connecting and COMMIT included.
    - `ping_after_idle`: a pooled connection that has been idle this long is pinged before it is given out, and
      replaced if the server has gone from under it (a restart, a failover); one used more recently is given out
      as it is (see `_ping_when_idle`).
    """

    connect: int = 2
    statement: float = 30.0
    idle_in_transaction: float = 60.0
    keepalive: int = 10
    request: float = 2.0
    ping_after_idle: float = 1.0

    GRACE = 5.0

    def connect_args(self) -> dict[str, Any]:
        """libpq connection parameters."""
        interval = max(1, self.keepalive // 3)
        return {
            "connect_timeout": max(2, self.connect),
            "keepalives": 1,
            "keepalives_idle": self.keepalive,
            "keepalives_interval": interval,
            "keepalives_count": 3,
            "tcp_user_timeout": (self.keepalive + 3 * interval) * 1000,
            "options": f"-c statement_timeout={int(self.statement * 1000)} "
                       f"-c idle_in_transaction_session_timeout={int(self.idle_in_transaction * 1000)}",
        }


_deadline = threading.local()


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Within this block (on this thread) the time spent waiting for PostgreSQL, connecting, the pool's pre-ping and
    COMMIT included, may add up to `seconds` (the work in between, rendering included, does not count): a call
    that would go past it gives up, the connection is closed (so a transaction that had begun is rolled back by
    the server, and nothing more is sent on it) and OperationalError raised. None: no deadline."""
    outer = getattr(_deadline, "budget", None)
    if seconds is not None:
        _deadline.budget = seconds if outer is None else min(outer, seconds)
    try:
        yield
    finally:
        _deadline.budget = outer


def time_left() -> float | None:
    """Seconds of waiting for the database left to this thread's deadline; None without one."""
    return getattr(_deadline, "budget", None)


def _spend(seconds: float) -> None:
    if getattr(_deadline, "budget", None) is not None:
        _deadline.budget -= seconds


def _postgresql_connection_class(timeouts: Timeouts) -> Any:
    """A psycopg connection that never waits for an answer longer than the deadline (or, without one, than the
    statement timeout and its grace): past it the connection is closed and OperationalError raised."""
    import psycopg
    from psycopg import errors

    background = timeouts.statement + timeouts.GRACE

    class DeadlineConnection(psycopg.Connection):
        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            left = time_left()
            limit = background if left is None else max(min(left, background), 0.001)
            started = time.monotonic()
            try:
                return super().wait(gen, interval=interval, timeout=limit if timeout is None else min(timeout, limit))
            except errors._WaitTimeout:
                # The protocol stopped half-way: the connection is in an unknown state, so it is closed, and no
                # COMMIT can follow on it (a transaction the server had begun is rolled back when it sees it gone).
                self.pgconn.finish()
                raise psycopg.OperationalError(
                    f"the database did not answer within {limit:.1f} s (connection closed)") from None
            finally:
                _spend(time.monotonic() - started)

    return DeadlineConnection


def make_engine(url: str, *, timeouts: Timeouts | None = None, flush_each_commit: bool = True, **kwargs) -> Engine:
    """Create an engine; SQLite files get WAL mode, foreign keys and a busy timeout; PostgreSQL connections get
    `timeouts` (the defaults unless given). `flush_each_commit=False` (PostgreSQL): a COMMIT answers before the
    server has flushed its write-ahead log to disk (synchronous_commit off); see `make_seen_engine`."""
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
            dbapi_conn.create_function("local_date", 2, _local_date, deterministic=True)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover
            # BEGIN IMMEDIATE takes the write lock up front, so two writers queue
            # instead of failing with "database is locked" on upgrade from a read.
            # A unit of work that only reads (read_scope) takes no lock: in WAL mode it never waits.
            # Sent on the driver's connection: every unit of work begins here, and SQLAlchemy's execution of a
            # statement (its context, result and events) cost several times the BEGIN itself.
            # SQLAlchemy runs this outside its handling of the driver's errors, so a BEGIN that fails ("database
            # is locked" past the busy timeout, a disk error) is made SQLAlchemy's OperationalError here, as a
            # statement's would be: the request is told the database is unavailable.
            begin = "BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE"
            try:
                conn.connection.dbapi_connection.execute(begin)
            except sqlite3.Error as exc:
                raise DBAPIError.instance(begin, None, exc, sqlite3.Error, dialect=conn.dialect) from exc

        return engine
    timeouts = timeouts or Timeouts()
    pooled = kwargs.get("poolclass") is None
    if pooled:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
        kwargs.setdefault("pool_timeout", timeouts.request)  # a request does not queue for a connection longer
    connect_args = timeouts.connect_args()
    # No JIT: past jit_above_cost (a report's queries over a long history) it spends hundreds of milliseconds
    # compiling a query that runs in tens.
    connect_args["options"] += " -c jit=off"
    if not flush_each_commit:
        connect_args["options"] += " -c synchronous_commit=off"
    if given := make_url(url).query.get("options"):  # the URL's own server options come after ours
        connect_args["options"] += f" {given if isinstance(given, str) else ' '.join(given)}"
    connect_args.update(kwargs.pop("connect_args", {}))
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    if pooled and not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine, timeouts.ping_after_idle)
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        connection_class = _postgresql_connection_class(timeouts)

        @event.listens_for(engine, "do_connect")
        def _connect(_dialect, _record, cargs, cparams):
            left = time_left()
            if left is not None and left <= 0:
                import psycopg

                raise psycopg.OperationalError("the request's deadline passed before the database could be reached")
            started = time.monotonic()
            try:
                return connection_class.connect(*cargs, **cparams)
            finally:
                _spend(time.monotonic() - started)

    return engine


def _ping_when_idle(engine: Engine, after: float) -> None:
    """Ping a pooled connection before giving it out if it has been idle `after` seconds or more, as SQLAlchemy's
    pool_pre_ping does before every checkout: a connection the server dropped while it sat in the pool (a restart,
    a failover, an idle timeout on the way) is replaced (InvalidatePoolError makes the pool connect afresh, and
    replace every connection it kept from before) instead
    of failing the request that gets it. A connection used within the last `after` seconds was answering then, so
    it goes out as it is: under load each request checks out two connections, and a ping each was a round trip
    and about a tenth of a command's CPU. A server that goes away in that moment fails the statement instead,
    which the request answers as "temporarily unavailable", and SQLAlchemy replaces the connection."""
    dbapi_error = engine.dialect.loaded_dbapi.Error

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_from"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_from = record.info.get("idle_from")
        if idle_from is None or time.monotonic() - idle_from < after:  # new, or used a moment ago
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except dbapi_error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                # The server went away (a restart, a failover): every connection kept from before it is gone too,
                # so the pool replaces them all, as pool_pre_ping does.
                raise InvalidatePoolError("the connection was dropped while idle in the pool") from exc
            raise


SEEN_POOL_SIZE = 4  # connections the HTTP gate keeps for the seen-set's insert (each holds one for one statement)


def make_seen_engine(url: str, *, timeouts: Timeouts | None = None) -> Engine | None:
    """PostgreSQL: the engine of the seen-set's insert (one statement, committed on its own, at every request from
    Slack), whose commits do not wait for the write-ahead log to reach the disk. That wait (an fdatasync) was most
    of the insert's time, and the insert's durability does not need it: the log is one sequence, so the COMMIT of
    any change the request then makes, which does wait, flushes the insert with it; the server writes the rest
    within a fraction of a second. What a crash could lose in between is the record of a request that changed
    nothing in the database, whose replay would change nothing there either (at most a form opened again).
    SQLite: None (its WAL is not synced at each commit; the main engine serves)."""
    if url.startswith("sqlite"):
        return None
    return make_engine(url, timeouts=timeouts, flush_each_commit=False, pool_size=SEEN_POOL_SIZE,
                       isolation_level="AUTOCOMMIT")  # its one statement is a transaction of its own


def make_session_factory(engine: Engine, *, files_dir: Path | None = None) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit. `files_dir`: the folder stored files (papers,
    packs) are kept in (LSPBOT_PAPERS_DIR), which store.files reads from each session's `info`; None keeps them in
    the database."""
    return sessionmaker(engine, expire_on_commit=False, info={FILES_DIR: files_dir})


FILES_DIR = "files_dir"  # the key of a session's `info` naming the stored files' folder


@contextlib.contextmanager
def read_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work that only reads: on SQLite it takes no write lock, so it never queues behind a writer
    (nor holds one up); anything it writes is rolled back."""
    session = factory()
    try:
        read_only(session)
        yield session
    finally:
        session.rollback()
        session.close()


def read_only(session: Session) -> None:
    """Mark a unit of work that has not sent a statement yet as one that only reads: on SQLite it begins without
    the write lock, so it never queues behind a writer (a command that only lists, declared `read_only`). One
    already begun is left as it is.

    On PostgreSQL, in a unit of work that is one request's alone (`session_scope(..., one_request=True)`), its
    statements run in autocommit, each a transaction of its own: under READ COMMITTED each statement takes its own
    snapshot anyway, so the BEGIN and COMMIT around them were two round trips that bought nothing. In a unit of
    work that more may follow into (a test's, running several commands) it stays one transaction, so that what
    comes later is not committed statement by statement."""
    if not session.in_transaction():
        options: dict[str, Any] = {READ_ONLY: True}
        bind = session.get_bind()  # a Connection when the session joins a transaction already begun (tests)
        if session.info.get(ONE_REQUEST) and isinstance(bind, Engine) and bind.dialect.name == "postgresql":
            options["isolation_level"] = "AUTOCOMMIT"
        session.connection(execution_options=options)


def only_reads(session: Session) -> bool:
    """Whether the unit of work was marked as one that only reads."""
    return bool(session.connection().get_execution_options().get(READ_ONLY))


@contextlib.contextmanager
def session_scope(factory: sessionmaker[Session], *, one_request: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception. `one_request`: it runs one request's
    handler and nothing after it (see `read_only`)."""
    session = factory()
    if one_request:
        session.info[ONE_REQUEST] = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def lock_rows(session: Session, model: Any, *conditions: Any) -> None:
    """Lock the rows of `model` matching `conditions` until the unit of work ends, before reading the state a change
    is decided on (is #12 still open? is the proposal still pending?). On PostgreSQL this is `SELECT id … FOR
    UPDATE`: a concurrent change of the same rows waits here until the first commits. On SQLite a writing unit of
    work already holds the database's write lock from its BEGIN IMMEDIATE, so it is serial there as it is, and
    nothing is sent (a SELECT there locked nothing more and cost a statement).

    Read the rows after this, in a statement of its own with `fresh()`: a statement that waited for the lock sees
    the row the other change wrote, but not rows of other tables joined to it (PostgreSQL re-checks the locked
    row only), so the lock is taken alone."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(model.id).where(*conditions).with_for_update())


def lock_row(session: Session, model: Any, row_id: int) -> None:
    """`lock_rows` of one row by its id, by a statement built once a model (changes pending in the unit of work
    sent first, as `lock_rows`'s query sends them)."""
    if session.get_bind().dialect.name == "postgresql":
        session.flush()
        session.connection().execute(_lock_by_id(model.__table__), {"id": row_id})


@functools.cache
def _lock_by_id(table: Any) -> Any:
    return select(table.c.id).where(table.c.id == bindparam("id")).with_for_update()


def fresh(stmt: Any) -> Any:
    """`stmt` reading its rows again even if the session already holds them (after `lock_rows`)."""
    return stmt.execution_options(populate_existing=True)


def upsert_insert(session: Session | Connection, table: Any) -> Any:
    """An INSERT for the session's (or connection's) dialect that can take `on_conflict_do_nothing` /
    `on_conflict_do_update`."""
    bind = session.get_bind() if isinstance(session, Session) else session
    return dialect_insert(bind.dialect.name, table)


def dialect_insert(dialect: str, table: Any) -> Any:
    """`upsert_insert` for a dialect named ("postgresql", "sqlite")."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def insert_rows(session: Session, table: FromClause, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                key: Sequence[str], update: Sequence[str] = ()) -> None:
    """Insert rows (tuples of `columns`' values, in that order) in one statement, however many: a row whose `key`
    columns match a row there updates that row's `update` columns, or, with none, is left out.

    The rows go to the driver as they are, not as one set of named parameters each: SQLAlchemy's work per row
    (its parameter dictionaries and type processing) cost as much as the database's own. Each column's values
    (scalars: dates, times, numbers, text) are converted by its type's bind processor, column by column, so they
    are stored exactly as SQLAlchemy stores them.
    SQLite, in process, takes one executemany. PostgreSQL runs an executemany as a bind and execute per row, so there
    the rows are copied (COPY, binary) into a temporary table made for them, dropped at the commit, and inserted from
    it by one `INSERT … SELECT`: three statements, whatever the number of rows."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    # a column's values repeat (a run's date, its time): each distinct one is converted once
    rows = converted_once(rows, processors)
    stmt = upsert_insert(session, table)
    if dialect.name == "postgresql":
        stage = _copy_to_stage(connection, table, columns, rows)
        stmt = stmt.from_select(list(columns), select(*(stage.c[c] for c in columns)))
    stmt = (stmt.on_conflict_do_update(index_elements=list(key), set_={c: stmt.excluded[c] for c in update}) if update
            else stmt.on_conflict_do_nothing(index_elements=list(key)))
    if dialect.name == "postgresql":
        connection.execute(stmt)
        return
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
    order = [columns.index(name) for name in compiled.positiontup or []]  # the statement's order of parameters
    if order != list(range(len(columns))):
        rows = [tuple(row[i] for i in order) for row in rows]
    connection.exec_driver_sql(compiled.string, rows if isinstance(rows, list) else list(rows))


def converted_once(rows: Sequence[Sequence[Any]], processors: Sequence[Callable[[Any], Any] | None]
                   ) -> Sequence[Sequence[Any]]:
    """Rows with each column's values passed through its processor (a type's bind or result conversion, or None),
    each distinct value converted once: a big batch has the same few hundred dates in a hundred thousand rows."""
    if not rows or not any(processors):
        return rows
    by_column: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for i, process in enumerate(processors):
        if process is not None:
            converted = {v: process(v) for v in set(by_column[i])}
            by_column[i] = list(map(converted.__getitem__, by_column[i]))
    return list(zip(*by_column, strict=True))


def select_rows(session: Session, stmt: Select[*tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows of a Core SELECT as the driver gives them (plain tuples), each column's values then converted by its
    type's result processor once per distinct value (SQLite's dates are text: a big result has the same few hundred
    in a hundred thousand rows). For a big result SQLAlchemy's rows and their processing cost twice the driver's
    fetch."""
    result = session.connection().execute(stmt)
    try:  # the DBAPI cursor behind the result, read before SQLAlchemy makes a row of anything
        rows: list[tuple[Any, ...]] = list(result.cursor.fetchall())
    finally:
        result.close()
    dialect = session.get_bind().dialect
    processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in stmt.selected_columns]
    rows = cast(list[tuple[Any, ...]], converted_once(rows, processors))
    return rows


_stages = itertools.count()


def _copy_to_stage(connection: Connection, table: FromClause, columns: Sequence[str],
                   rows: Sequence[Sequence[Any]]) -> Table:
    """A temporary table of `columns` (as `table` has them; dropped at the commit) holding `rows`, copied in binary:
    psycopg's COPY writes rows in C, where its arrays and parameters are built in Python."""
    stage = Table(f"lspbot_stage_{next(_stages)}", MetaData(), *(Column(c, table.c[c].type) for c in columns))
    names = ", ".join(dialect_quote(connection, c) for c in columns)
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {stage.name} ON COMMIT DROP AS "
                               f"SELECT {names} FROM {table.description} WITH NO DATA")
    raw: Any = connection.connection.dbapi_connection  # psycopg's own connection, in the same transaction
    dialect = connection.dialect
    known = [raw.adapters.types.get(re.sub(r"\(.*\)", "", str(table.c[c].type.dialect_impl(dialect).compile(
        dialect=dialect))).lower()) for c in columns]  # VARCHAR(200) -> varchar, and its type's OID
    binary = all(known)  # else as text, which needs no types (a type psycopg does not know by that name)
    with raw.cursor() as cursor, cursor.copy(f"COPY {stage.name} ({names}) FROM STDIN"
                                             + (" (FORMAT BINARY)" if binary else "")) as copy:
        if binary:
            copy.set_types([t.oid for t in known])
        for row in rows:
            copy.write_row(row)
    return stage


def dialect_quote(connection: Connection, name: str) -> str:
    """A column's name as the connection's SQL writes it."""
    return connection.dialect.identifier_preparer.quote(name)


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # Alembic is loaded when migrations are looked at, not by every command

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database schema up to date (idempotent)."""
    from alembic import command

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


# The last migration, which the code's models match. Read by every command and `lspbot serve` as it starts, without
# loading Alembic and its scripts (a tenth of a second) when the database is already there; tests/test_migrations.py
# checks it is the head of store/migrations/versions.
HEAD = "0018_reminder_actions_unchecked"


def current_revision(engine: Engine) -> str | None:
    """The applied revision(s), comma-separated; None on an empty database (Alembic's own table, read directly)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        heads = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    return ", ".join(sorted(heads)) or None


class SchemaMismatch(Exception):
    """The database's schema is not the one this code needs; the message is one line saying what to do."""


def head_revision() -> str:
    """The revision this code's migrations end at."""
    return HEAD


@functools.cache
def script_heads() -> str:
    """The heads of the migration scripts, as Alembic reads them (tests check HEAD against it)."""
    from alembic.script import ScriptDirectory

    return ", ".join(sorted(ScriptDirectory.from_config(alembic_config("")).get_heads()))


@functools.cache
def known_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(script.revision for script in ScriptDirectory.from_config(alembic_config("")).walk_revisions())


def check_schema(engine: Engine, *, upgrading: bool = False) -> None:
    """Raise SchemaMismatch unless the database is at this code's head revision (`upgrading`: unless it is at a
    revision this code knows, or empty, so that `upgrade` can bring it there)."""
    current = current_revision(engine)
    needed = head_revision()
    if current == needed:
        return
    unknown = sorted(set((current or "").split(", ")) - known_revisions() - {""})
    if unknown:
        raise SchemaMismatch(
            f"the database is at revision {current}, which this lspbot does not know (a newer version upgraded it): "
            "run that version, or restore the backup taken before the upgrade")
    if not upgrading:
        raise SchemaMismatch(f"the database is at revision {current or 'none (it is empty)'}, this lspbot needs "
                             f"{needed}: run `lspbot db upgrade`")
