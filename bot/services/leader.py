"""Which replica runs the scheduled jobs: a PostgreSQL advisory lock, held on a connection of its own.

Each replica tries `pg_try_advisory_lock` every `poll` seconds. The holder keeps its connection open and
checks it on the same beat; if the check fails it stops running jobs at once. When a holder dies its
session ends and PostgreSQL frees the lock: a process that exits or is killed closes its socket, and a
machine that vanishes is noticed by the server's TCP keepalives (set on the session to about 35 s), so
another replica takes over within a minute. A job occasion already run is never run again (job_runs is
unique per occasion), so a brief overlap during a takeover sends nothing twice.

SQLite allows one writer process: there the bot runs as a single process and is always the leader.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from bot.health import DatabaseHealth
from store import db

log = logging.getLogger("lspbot.leader")

LOCK_KEY = int.from_bytes(hashlib.sha256(b"lspbot:scheduler").digest()[:8], "big", signed=True)
DEFAULT_POLL = 10.0


class LeaderElection:
    """Calls `on_elected` when this process becomes the one that runs jobs and `on_deposed` when it stops."""

    def __init__(self, engine: Engine, *, on_elected: Callable[[], None], on_deposed: Callable[[], None],
                 poll: float = DEFAULT_POLL, key: int = LOCK_KEY, timeouts: db.Timeouts | None = None,
                 health: DatabaseHealth | None = None) -> None:
        self.url = engine.url
        self.dialect = engine.dialect.name
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.poll = poll
        self.key = key
        self.timeouts = timeouts
        self.health = health or DatabaseHealth()
        self.is_leader = False
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.dialect != "postgresql":
            log.info("database is SQLite: lspbot runs as a single process, so this process runs the scheduled "
                     "jobs (use PostgreSQL to run several replicas)")
            self._elect()
            return
        # The connect, keepalive and statement timeouts of every connection: a silent database costs a beat at
        # most the statement timeout and its grace, after which this replica stands down.
        self._engine = db.make_engine(self.url.render_as_string(hide_password=False), timeouts=self.timeouts,
                                      poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self._thread = threading.Thread(target=self._run, name="leader-election", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        self._depose()
        if self._engine is not None:
            self._engine.dispose()

    def step(self) -> bool:
        """One beat: try to take the lock, or check that it is still held. True while leader."""
        if self.is_leader:
            if not self._still_held():
                log.warning("lost the scheduler lock (database connection gone): this replica stops running jobs")
                self._depose()
            return self.is_leader
        if self._try_lock():
            log.info("this replica now runs the scheduled jobs (PostgreSQL advisory lock %d)", self.key)
            self._elect()
        return self.is_leader

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # keep electing through database trouble
                log.exception("leader election step failed")
                self._depose()
            self._stop.wait(self.poll)

    def _try_lock(self) -> bool:
        assert self._engine is not None
        try:
            conn = self._engine.connect()
        except Exception as exc:
            self.health.failed("the leader election", exc)  # the outage is logged once, not per beat
            return False
        try:
            # Let the server notice a vanished holder within about 35 s (idle 20 + 3 probes of 5).
            conn.execute(text("SET tcp_keepalives_idle = 20; SET tcp_keepalives_interval = 5; "
                              "SET tcp_keepalives_count = 3"))
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def _still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            # A session-level advisory lock lasts as long as the session: a live connection still holds it.
            self._conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def _elect(self) -> None:
        if not self.is_leader:
            self.is_leader = True
            self.on_elected()

    def _depose(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass
            self._conn = None
        if self.is_leader:
            self.is_leader = False
            self.on_deposed()
