"""What every transport's delivery shares (Slack's, bot.slack.api; email's, bot.email.smtp): the answer of a
delivery, its failure (to retry, or never), the protocol the outbox sender drives, and per-target pacing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol


class DeliveryError(Exception):
    """A delivery attempt failed. `retry_after` is seconds to wait (0: back off), or None if it can never
    succeed; `rate_limited` marks Slack's HTTP 429, which says nothing against the message itself."""

    def __init__(self, message: str, retry_after: float | None, *, rate_limited: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.rate_limited = rate_limited


@dataclass
class Delivered:
    channel: str | None
    ts: str | None


class Delivery(Protocol):
    def deliver(self, target_kind: str, target: str, payload: dict[str, Any]) -> Delivered: ...


class Pacer:
    """At most one message per `interval` seconds per channel, as Slack asks (thread-safe).

    The interval runs from when a post's answer came back (Slack has counted the post by then) to the next
    post's start (Slack has not seen it yet), so two posts to a channel are at least `interval` apart at Slack's
    end whatever the network's delays: a slow answer delays the next post instead of bringing it closer.
    `delay` lets the sender pick a channel that is ready instead of sleeping on a busy one; `hold` pushes a
    channel back after a 429's Retry-After.
    """

    def __init__(self, interval: float = 1.0, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._sleep = sleep
        self._monotonic = monotonic
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def delay(self, channel: str) -> float:
        """Seconds until `channel` may be posted to (0 if now)."""
        with self._lock:
            return max(0.0, self._next.get(channel, 0.0) - self._monotonic())

    def hold(self, channel: str, seconds: float) -> None:
        with self._lock:
            self._next[channel] = max(self._next.get(channel, 0.0), self._monotonic() + seconds)

    @contextmanager
    def slot(self, channel: str) -> Iterator[None]:
        """Wait for `channel`'s turn; the next turn comes `interval` after the block ends, however it ends."""
        with self._lock:
            now = self._monotonic()
            at = max(now, self._next.get(channel, 0.0))
            self._next[channel] = at + self.interval
        if at > now:
            self._sleep(at - now)
        try:
            yield
        finally:
            with self._lock:
                self._next[channel] = max(self._next[channel], self._monotonic() + self.interval)
