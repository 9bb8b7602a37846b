"""The Bolt app in-process: an executor that runs the after-ack (lazy) listeners at once, inside the test, and a
request handed to the app's WSGI callable without a server."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future
from typing import Any

from tests.support.slack_requests import HttpResult


class Inline(Executor):
    """Runs a submitted function at once (Bolt's after-ack listeners, so each example finishes in the test)."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed back through the future, as a pool would
            future.set_exception(exc)
        return future


class CountingInline(Inline):
    """An `Inline` that counts what it was given (the after-ack work a command leaves, the seen-set's purges)."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn, /, *args, **kwargs):
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


def call_wsgi(wsgi: Callable[..., Iterable[bytes]], body: bytes, headers: dict[str, str], *,
              method: str = "POST", path: str = "/slack/events") -> HttpResult:
    """One request through the app's WSGI callable (bot/slack/web.py: the gate, then Bolt) in-process, as waitress
    would hand it over; an exception raised out of it (which waitress would turn into a 500 and a traceback)
    fails the test."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key] = value
    started: list[tuple[str, list[tuple[str, str]]]] = []
    data = b"".join(wsgi(environ, lambda status, hdrs, *_: started.append((status, hdrs))))
    status, hdrs = started[0]
    return HttpResult(int(status.split()[0]), data, dict(hdrs))
