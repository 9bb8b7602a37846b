"""A short load test, so a regression shows: signed slash commands and button clicks at 50 a second for
3 seconds from this process (bench/load_client.py, the same generator as bench/bench_load.py), against
`lspbot serve` on SQLite and against two replicas on PostgreSQL. Zero errors, and every write a reply
confirmed is in the database. No timing is asserted here; docs/benchmarks.md has the figures."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bench import load_client
from bot.runtime import is_database_unavailable
from store import db
from store.models import Board
from tests.support.databases import make_database
from tests.support.fake_slack import FakeSlack
from tests.support.integrity import consistency_problems
from tests.support.server import ServerProcess, start_server
from tests.support.settings import ADMIN, SIGNING_SECRET

RATE, SECONDS = 50, 3


def test_50_requests_a_second_for_3_seconds(server: ServerProcess, fake_slack: FakeSlack):
    replicas = [server]
    if server.database_url.startswith("postgresql"):
        replicas.append(start_server(server.database_url, fake_slack.url, migrate=False))
    try:
        bases = [s.base_url for s in replicas]
        scenario = load_client.prepare(bases, SIGNING_SECRET, server.database_url, members=10, clickable=RATE * SECONDS // 5,
                                       response_url=fake_slack.url + "respond", admin=ADMIN)
        results = load_client.send(bases, load_client.mix(scenario, RATE * SECONDS), SIGNING_SECRET, RATE)
    finally:
        for extra in replicas[1:]:
            extra.stop()
    errors = [(r.planned.kind, r.planned.label, r.error) for r in results if r.error]
    assert errors == [], errors[:5]
    figures = load_client.summary(results)
    assert figures["sent"] == RATE * SECONDS and all(figures["by_kind"].values()), figures
    assert load_client.missing_writes(server.database_url, results) == []
    assert consistency_problems(server.database_url) == []
    refusals = [c for c in fake_slack.calls() if c.method.startswith("respond")]
    assert refusals == [], "a click was answered with a refusal"


def test_a_read_never_queues_behind_a_writer(database):
    """On SQLite every unit of work takes the write lock at BEGIN, so writers queue rather than deadlock;
    a read-only one (db.read_scope: the time-zone lookup after each command, /healthz) takes none."""
    engine = db.make_engine(database.url)
    db.upgrade(engine)
    sessions = db.make_session_factory(engine)
    got: list[int] = []
    try:
        with db.session_scope(sessions) as writer:
            writer.add(Board(name="Written, not committed", channel_id="CWRITTEN", timezone="Europe/London",
                             settings={}, created_at=dt.datetime.now(dt.UTC)))
            writer.flush()

            def read() -> None:
                with db.read_scope(sessions) as reader:
                    got.append(reader.scalar(select(func.count()).select_from(Board)))

            thread = threading.Thread(target=read, daemon=True)
            thread.start()
            thread.join(5)  # behind the writer it would wait for the busy timeout (30 s)
            assert got == [0], "the read waited for the writer"
    finally:
        engine.dispose()


def test_a_writer_that_cannot_have_the_lock_is_told_the_database_is_unavailable(tmp_path):
    """A unit of work whose BEGIN IMMEDIATE finds SQLite's write lock held past the busy timeout fails with
    SQLAlchemy's OperationalError, as a statement's failure would: the request is answered "temporarily
    unavailable" (runtime.is_database_unavailable), not as an unexpected error. (SQLite only: its BEGIN is sent on
    the driver's connection, outside SQLAlchemy's handling of the driver's errors.)"""
    engine = db.make_engine(make_database("sqlite", tmp_path, migrated=True).url)
    sessions = db.make_session_factory(engine)
    holder = sqlite3.connect(engine.url.database or "", isolation_level=None)
    try:
        with engine.connect() as conn:  # the pool's one connection waits 50 ms for a lock, not 30 s
            conn.exec_driver_sql("PRAGMA busy_timeout = 50")
            conn.commit()
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError) as refused, db.session_scope(sessions) as session:
            session.execute(select(func.count()).select_from(Board))
        assert "locked" in str(refused.value.orig)
        assert is_database_unavailable(refused.value)
    finally:
        holder.close()
        engine.dispose()
