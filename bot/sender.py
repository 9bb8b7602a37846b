"""Drains the outbox to Slack: retries 429s after Retry-After, backs off on 5xx and lost connections."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.slack_api import Delivery, DeliveryError
from store import db
from store import outbox as outbox_store

log = logging.getLogger("lspbot.sender")

MAX_ATTEMPTS = 8
LEASE = dt.timedelta(seconds=60)


def backoff(attempts: int) -> float:
    """Seconds before retry number `attempts` after a server or connection error: 2, 4, 8... capped at 5 min."""
    return float(min(2 ** max(attempts, 1), 300))


class OutboxSender:
    """Claims due messages in batches and delivers them in order, one target at a time."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        delivery: Delivery,
        clock: Clock,
        *,
        batch: int = 50,
        max_attempts: int = MAX_ATTEMPTS,
        on_sent: Callable[[int], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.delivery = delivery
        self.clock = clock
        self.batch = batch
        self.max_attempts = max_attempts
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.on_sent = on_sent

    def wake(self) -> None:
        self._wake.set()

    def drain_once(self) -> int:
        """Deliver one claimed batch; the number of messages handled."""
        now = self.clock.now()
        with db.session_scope(self.sessions) as session:
            claimed = [
                (m.id, m.target_kind, m.target, m.payload, m.attempts)
                for m in outbox_store.claim(session=session, now=now, limit=self.batch, lease=LEASE)
            ]
        blocked: set[tuple[str, str]] = set()
        handled = 0
        for message_id, kind, target, payload, attempts in claimed:
            if (kind, target) in blocked:
                # Keep order: a later message to a target waits behind the one that failed.
                with db.session_scope(self.sessions) as session:
                    outbox_store.release(session=session, message_ids=[message_id], at=self.clock.now() + dt.timedelta(seconds=1))
                continue
            try:
                sent = self.delivery.deliver(kind, target, payload)
            except DeliveryError as exc:
                blocked.add((kind, target))
                self._record_failure(message_id, attempts, exc)
            else:
                with db.session_scope(self.sessions) as session:
                    outbox_store.mark_sent(session=session, message_id=message_id, now=self.clock.now(),
                                           channel=sent.channel, ts=sent.ts)
                if self.on_sent:
                    self.on_sent(message_id)
            handled += 1
        return handled

    def _record_failure(self, message_id: int, attempts: int, exc: DeliveryError) -> None:
        with db.session_scope(self.sessions) as session:
            if exc.retry_after is None or attempts + 1 >= self.max_attempts:
                log.warning("outbox message %s failed: %s", message_id, exc)
                outbox_store.mark_failed(session=session, message_id=message_id, error=str(exc))
            else:
                delay = exc.retry_after if exc.retry_after > 0 else backoff(attempts + 1)
                log.info("outbox message %s: %s; retrying in %.0fs", message_id, exc, delay)
                outbox_store.mark_retry(session=session, message_id=message_id,
                                        at=self.clock.now() + dt.timedelta(seconds=delay), error=str(exc))

    def drain(self, *, max_rounds: int | None = None) -> int:
        """Drain until nothing is due now; the number handled."""
        total, rounds = 0, 0
        while max_rounds is None or rounds < max_rounds:
            handled = self.drain_once()
            total += handled
            rounds += 1
            if handled == 0:
                break
        return total

    def run_forever(self, poll: float = 2.0) -> None:
        while not self._stop.is_set():
            try:
                handled = self.drain_once()
            except Exception:  # the database may be away; keep the thread alive and try again
                log.exception("outbox drain failed; retrying")
                handled = 0
            if handled == 0:
                self._wake.wait(poll)
                self._wake.clear()

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.run_forever, name="outbox-sender", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)
