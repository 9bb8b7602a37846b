"""Whether the database answers, as last seen by anything that used it, and a probe that keeps asking.

An outage is logged once: one ERROR line when the first failure is seen and one when the database answers
again, whatever the number of requests, deliveries, scheduler beats and probes that failed in between (each of
those is a DEBUG line). While a probe runs (`lspbot serve`, `lspbot scheduler`), /healthz answers from the state
it keeps, at once, and requests arriving during an outage are answered "temporarily unavailable" without
waiting for the database; the probe notices its return within about a second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, text

from store import db

log = logging.getLogger("lspbot.database")

PROBE_EVERY = 1.0  # seconds between probes
PROBE_TIMEOUT = 1.0  # a probe's own deadline (a new connection may take the connect timeout, 2 s at least)


class DatabaseHealth:
    """The database's state as last seen; logs the start and the end of an outage, once each."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic,
                 on_outage: Callable[[], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self._down_since: float | None = None
        self.probing = False  # a probe keeps the state fresh: requests may trust it
        self.on_outage = on_outage  # called once as an outage begins (Runtime.forget_connections)

    @property
    def up(self) -> bool:
        return self._down_since is None

    @property
    def fail_fast(self) -> bool:
        """Whether a request should be refused without trying the database: it is down, and a probe will say when
        it is back."""
        return self.probing and self._down_since is not None

    def failed(self, where: str, exc: BaseException) -> None:
        """Something could not reach the database."""
        with self._lock:
            starts = self._down_since is None
            if starts:
                self._down_since = self._monotonic()
        if starts:
            log.error("database unavailable (first seen in %s: %s): commands answer \"temporarily unavailable\" "
                      "and /healthz 503 until it is back", where, _reason(exc))
            if self.on_outage is not None:
                try:
                    self.on_outage()
                except Exception as problem:  # the outage is logged and answered whatever this does
                    log.debug("could not drop the pools' connections: %s", _reason(problem))
        else:
            log.debug("database still unavailable in %s: %s", where, _reason(exc))

    def succeeded(self) -> None:
        """Something used the database."""
        if self._down_since is None:
            return
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            log.error("database available again after %.1f s unavailable", self._monotonic() - since)


def _reason(exc: BaseException) -> str:
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {first[0][:200]}" if first else exc.__class__.__name__


class HealthProbe:
    """A thread asking the database `SELECT 1` every `every` seconds, each time within `timeout` seconds."""

    def __init__(self, engine: Engine, health: DatabaseHealth, *, every: float = PROBE_EVERY,
                 timeout: float = PROBE_TIMEOUT) -> None:
        self.engine = engine
        self.health = health
        self.every = every
        self.timeout = timeout
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        try:
            with db.deadline(self.timeout), self.engine.connect() as conn:
                conn.execution_options(**{db.READ_ONLY: True}).execute(text("SELECT 1"))
        except Exception as exc:
            self.health.failed("the health probe", exc)
            return False
        self.health.succeeded()
        return True

    def start(self) -> None:
        self.check()
        self.health.probing = True
        self._thread = threading.Thread(target=self._run, name="database-probe", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.check()

    def stop(self) -> None:
        self.health.probing = False
        self._stop.set()
        if self._thread:
            self._thread.join(self.timeout + 3)
