"""Waiting for work another process or thread does after an acknowledgement: one `wait_until` for every test."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = 30.0, what: str | Callable[[], str] = "condition",
               interval: float = 0.05) -> T:
    """Poll `predicate` every `interval` seconds until it returns something truthy, and return that; after
    `timeout` seconds fail with an AssertionError naming `what` (a callable is asked at the timeout, so the
    message can show what there was instead)."""
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what() if callable(what) else what}")
