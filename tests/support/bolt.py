"""The Bolt app in-process: an executor that runs the after-ack (lazy) listeners at once, inside the test."""

from __future__ import annotations

from concurrent.futures import Executor, Future


class Inline(Executor):
    """Runs a submitted function at once (Bolt's after-ack listeners, so each example finishes in the test)."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed back through the future, as a pool would
            future.set_exception(exc)
        return future
