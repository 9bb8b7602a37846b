"""What a database holds, for the reliability tests: row counts, invariants and open write transactions.

Row counts of every table, the invariants that say nothing was half-written, and whether a write
transaction is open right now (to land a SIGKILL in one).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

from store.models import Base
from tests.support.waiting import wait_until

TABLES = [t.name for t in Base.metadata.sorted_tables]


@contextmanager
def connect(database_url: str) -> Iterator[Connection]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def table_counts(database_url: str | None = None, *, conn: Connection | None = None) -> dict[str, int]:
    """Rows in every table of the schema (audit_log and the outbox included)."""
    if conn is None:
        with connect(database_url) as own:
            return table_counts(conn=own)
    sql = " UNION ALL ".join(f"SELECT '{name}', count(*) FROM {name}" for name in TABLES)
    return {name: count for name, count in conn.execute(text(sql))}


def changed_tables(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {name: (before[name], after[name]) for name in before if before[name] != after[name]}


def consistency_problems(database_url: str) -> list[str]:
    """Invariants a torn write would break; an empty list when the state is whole."""
    problems: list[str] = []
    with connect(database_url) as conn:
        if conn.dialect.name == "sqlite":
            check = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
            if check != "ok":
                problems.append(f"sqlite integrity_check: {check}")
            for row in conn.exec_driver_sql("PRAGMA foreign_key_check"):
                problems.append(f"foreign key broken: {tuple(row)}")

        def rows(sql: str, **params: Any) -> list[tuple]:
            return [tuple(r) for r in conn.execute(text(sql), params)]

        for board, next_ref, top in rows(
                "SELECT b.id, b.next_action_ref, max(a.ref) FROM boards b JOIN actions a ON a.board_id = b.id "
                "GROUP BY b.id, b.next_action_ref"):
            if top is not None and next_ref <= top:
                problems.append(f"board {board}: next_action_ref {next_ref} not above its highest ref {top}")
        for board, ref, n in rows("SELECT board_id, ref, count(*) FROM actions GROUP BY board_id, ref HAVING count(*) > 1"):
            problems.append(f"board {board}: action ref {ref} used {n} times")
        # Every action created through a command carries its audit record, written in the same transaction.
        for (action_id,) in rows(
                "SELECT a.id FROM actions a WHERE EXISTS (SELECT 1 FROM audit_log l WHERE l.entity = 'action') "
                "AND NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.entity = 'action' AND l.entity_id = a.id "
                "AND l.operation = 'create')"):
            problems.append(f"action {action_id} has no audit record of its creation")
        for (entity_id,) in rows(
                "SELECT l.entity_id FROM audit_log l WHERE l.entity = 'action' AND l.operation = 'create' "
                "AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.id = l.entity_id)"):
            problems.append(f"audit record of action {entity_id}, which does not exist")
        for key, status in rows("SELECT key, status FROM outbox WHERE status NOT IN ('pending', 'sent', 'failed') "
                                "OR (status = 'sent' AND sent_at IS NULL)"):
            problems.append(f"outbox {key}: status {status} without its send time")
    return problems


@contextmanager
def write_watch(database_url: str) -> Iterator[Callable[[], bool]]:
    """A probe that says whether another connection holds an open write transaction right now (SQLite's
    write lock, or a PostgreSQL backend that has been given a transaction id), to land a kill inside one."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        def locked() -> bool:
            conn = sqlite3.connect(url.database, timeout=0, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError:
                return True
            finally:
                conn.close()

        yield locked
        return
    with connect(database_url) as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        probe = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL")
        yield lambda: bool(conn.execute(probe).scalar())


def wait_for_orphaned_writes(database_url: str, timeout: float = 10.0) -> None:
    """After a client is killed, wait until no write transaction of another connection is left open: PostgreSQL
    finishes one whose COMMIT had already reached it (or rolls it back) only when it notices the socket closed,
    so what a test reads straight after the kill could still change. SQLite's lock goes with the process."""
    with write_watch(database_url) as writing:
        wait_until(lambda: not writing(), timeout=timeout, what="the killed process's open transaction to end")
