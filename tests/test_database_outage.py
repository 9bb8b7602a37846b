"""The database goes away for a while and comes back, under a running `lspbot serve` on PostgreSQL.

A TCP proxy of the test's own sits between the server and the shared PostgreSQL (which other tests are
using, so it is never stopped): cutting the proxy resets every connection and refuses new ones, as a
stopped database would. Meanwhile commands answer with a clear temporary error and write nothing,
/healthz says 503; once it is back, requests work again, the scheduler takes its lock back, the sender
delivers what is queued, and the state is whole. Holding the proxy keeps every connection open but
forwards nothing, as a hung server or a silent network would: commands still answer within Slack's
3 seconds, /healthz within one, and a transaction cut off half-way is never committed.
(PostgreSQL only: SQLite is a file, not a server.)
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.runtime import build_runtime
from store import db, seen_requests
from tests.support.databases import backends, db_rows, make_database
from tests.support.fake_slack import FakeSlack
from tests.support.integrity import changed_tables, consistency_problems, table_counts, wait_for_orphaned_writes
from tests.support.server import start_server
from tests.support.settings import ADMIN, settings_for
from tests.support.slack_requests import SlackUser, http
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import wait_until

ELECTED = "this replica now runs the scheduled jobs"
DEPOSED = "lost the scheduler lock"


@pytest.mark.parametrize("backend", [b for b in backends() if b == "postgresql"])
def test_database_away_and_back(backend: str, fake_slack: FakeSlack, tmp_path: Path):
    database = make_database(backend, tmp_path)
    real = make_url(database.url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432).start()
    via_proxy = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    log = tmp_path / "serve.log"
    server = start_server(via_proxy, fake_slack.url, log_path=log, args=("--leader-poll", "0.3"))
    admin = SlackUser(server.base_url, ADMIN, "COUTAGE1")
    chair = admin.as_user("UOUTCHR1")
    try:
        r = admin.command("/lsp", 'board create "Outage" chair:<@UOUTCHR1|chair> org:"LB Ealing"')
        assert "now runs in this channel" in r.text, r.text
        r = chair.command("/lsp", 'member add <@UOUTMEM1|m> org:"Ealing PCT"')
        assert "joined" in r.text, r.text
        assert "recorded" in chair.command("/action", "add Before the outage").text
        wait_until(lambda: ELECTED in log.read_text(), what="the scheduler lock")
        fake_slack.wait_for("chat.postMessage", 2)  # the welcome DMs
        before = table_counts(database.url)

        proxy.cut()
        for text in ("add During the outage <@UOUTMEM1|m>", "list all", "done #1"):
            r = chair.command("/action", text)
            assert r.status == 200 and "Temporarily unavailable" in r.text and "try again" in r.text, (text, r.text)
        health = http("GET", server.base_url + "/healthz")
        assert health.status == 503 and health.json() == {"ok": False, "database": "unavailable"}
        wait_until(lambda: DEPOSED in log.read_text(), what="the scheduler to stand down")
        assert changed_tables(before, table_counts(database.url)) == {}, "something was written while away"

        proxy.restore()
        wait_until(lambda: http("GET", server.base_url + "/healthz").status == 200, what="/healthz to recover")
        r = chair.command("/action", "add After the outage <@UOUTMEM1|m>")
        assert r.status == 200 and "recorded" in r.text, r.text
        assert "Before the outage" in chair.command("/action", "list all").text
        wait_until(lambda: log.read_text().count(ELECTED) >= 2, what="the scheduler to take its lock back")
        dm = fake_slack.wait_for("chat.postMessage", 3)[-1]  # the sender works again
        assert "After the outage" in str(dm.params.get("blocks"))
    finally:
        server.stop()
        proxy.stop()
    texts = [t for (t,) in db_rows(database.url, "SELECT text FROM actions ORDER BY ref")]
    assert texts == ["Before the outage", "After the outage"]
    assert consistency_problems(database.url) == []
    assert "Traceback" not in log.read_text(), "an outage is a warning in the log, not a crash"
    database.drop()


HELD_COMMANDS = 15


@pytest.mark.parametrize("backend", [b for b in backends() if b == "postgresql"])
def test_a_database_that_stops_answering(backend: str, fake_slack: FakeSlack, tmp_path: Path):
    """The proxy holds everything from the moment a command has sent its INSERT (the server has begun the
    transaction and written in it); 15 commands sent at once meanwhile."""
    database = make_database(backend, tmp_path, migrated=True)
    real = make_url(database.url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432).start()
    via_proxy = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    log = tmp_path / "serve.log"
    server = start_server(via_proxy, fake_slack.url, log_path=log, migrate=False)  # a copy of a migrated database
    admin = SlackUser(server.base_url, ADMIN, "CHUNG001")
    chair = admin.as_user("UHUNGCHR")
    answers: list[tuple[float, int, str]] = []
    try:
        assert "now runs in this channel" in admin.command("/lsp", 'board create "Hung" chair:<@UHUNGCHR|c> org:"O"').text
        assert "recorded" in chair.command("/action", "add Before the hang").text
        before = table_counts(database.url)

        proxy.hold_after(b"INSERT INTO actions")

        def send(n: int) -> None:
            started = time.monotonic()
            r = chair.command("/action", f"add Held {n}")
            answers.append((time.monotonic() - started, r.status, r.text))

        threads = [threading.Thread(target=send, args=(n,)) for n in range(HELD_COMMANDS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(15)
        started = time.monotonic()
        health = http("GET", server.base_url + "/healthz")
        health_took = time.monotonic() - started
        assert health.status == 503 and health_took < 1.0, (health.status, health_took)
        held_for = time.monotonic()
        time.sleep(1.2)  # still held: the probe keeps failing, and logs nothing more
        proxy.release()
        wait_until(lambda: http("GET", server.base_url + "/healthz").status == 200, what="/healthz to recover")
        wait_for_orphaned_writes(database.url)
        changed = changed_tables(before, table_counts(database.url))
        # The seen-set records requests received (a replay of one is dropped whatever became of it), not changes.
        changed.pop("seen_requests", None)
        assert changed == {}, "a command told it failed was written"
        r = chair.command("/action", "add After the hang")
        assert r.status == 200 and "recorded" in r.text, r.text
    finally:
        server.stop()
        proxy.stop()
    slowest = max(took for took, _, _ in answers)
    print(f"{len(answers)} commands answered in at most {slowest:.2f} s; /healthz in {health_took:.3f} s; "
          f"held for {time.monotonic() - held_for:.1f} s")
    assert len(answers) == HELD_COMMANDS
    for took, status, text in answers:
        assert status == 200 and "Temporarily unavailable" in text and took < 2.5, (took, status, text)
    texts = [t for (t,) in db_rows(database.url, "SELECT text FROM actions ORDER BY ref")]
    assert texts == ["Before the hang", "After the hang"]
    assert consistency_problems(database.url) == []
    text = log.read_text()
    assert "Traceback" not in text
    errors = re.findall(r" ERROR [\w.]+: (.*)", text)
    assert len(errors) == 2, errors
    assert errors[0].startswith("database unavailable") and errors[1].startswith("database available again"), errors
    database.drop()


@pytest.mark.parametrize("backend", [b for b in backends() if b == "postgresql"])
def test_a_connection_dropped_while_idle_in_the_pool(backend: str, tmp_path: Path):
    """The server drops a pooled connection while it sits idle (as a restart or a failover would). Once it has been
    idle `ping_after_idle` seconds it is pinged at checkout and replaced, so the request that gets it never sees
    the loss; one used more recently than that goes out unpinged, its statement fails as a lost connection (the
    "temporarily unavailable" a request answers), and the next checkout has a new one."""
    database = make_database(backend, tmp_path)
    admin = create_engine(database.url, isolation_level="AUTOCOMMIT")
    try:
        for ping_after_idle, replaced_unseen in ((0.0, True), (3600.0, False)):
            engine = db.make_engine(database.url, timeouts=db.Timeouts(ping_after_idle=ping_after_idle),
                                    pool_size=1, max_overflow=0)
            try:
                with engine.connect() as conn:
                    first = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
                with admin.connect() as conn:  # the server ends it while it is idle in the pool
                    assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(first)})").scalar()
                gone = f"SELECT 1 FROM pg_stat_activity WHERE pid = {int(first)}"
                wait_until(lambda sql=gone: not db_rows(database.url, sql), what="the dropped connection gone")
                if replaced_unseen:
                    with engine.connect() as conn:
                        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != first
                else:
                    with pytest.raises(OperationalError) as lost, engine.connect() as conn:
                        conn.exec_driver_sql("SELECT 1")
                    assert lost.value.connection_invalidated
                    with engine.connect() as conn:
                        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != first
            finally:
                engine.dispose()
    finally:
        admin.dispose()
        database.drop()


@pytest.mark.parametrize("backend", [b for b in backends() if b == "postgresql"])
def test_an_outage_drops_the_connections_the_pools_keep(backend: str, tmp_path: Path):
    """Connections used a moment before the server went (too recently to be pinged when they are next taken) are
    not given out after it: the first failure anything reports drops every connection the pools keep, the
    seen-set's and the main one, so the first request after a short outage gets a new connection."""
    database = make_database(backend, tmp_path, migrated=True)
    runtime = build_runtime(settings_for(database.url))
    admin = create_engine(database.url, isolation_level="AUTOCOMMIT")
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    try:
        assert seen_requests.first_sight(runtime.seen_engine, key="before", expires_at=expires)
        with runtime.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        with admin.connect() as conn:  # the server ends them, as a restart would (a pool keeps each one)
            ended = conn.exec_driver_sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                         "WHERE datname = current_database() AND pid <> pg_backend_pid()").scalar()
        assert ended == 2
        runtime.health.failed("a test", OperationalError("SELECT 1", {}, ConnectionError("server closed")))
        assert seen_requests.first_sight(runtime.seen_engine, key="after", expires_at=expires)
        with runtime.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        runtime.close()
        admin.dispose()
        database.drop()
