"""The SQL an engine's connections send, seen by the driver itself: beneath SQLAlchemy, so a statement sent on a
raw connection (the seen-set's insert) is seen too. SQLite's trace callback; on PostgreSQL, libpq's trace of
the protocol (each Parse or simple Query message). Connections are traced from their checkout to their checkin
while the block runs."""

from __future__ import annotations

import tempfile
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, event


class DriverStatements:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sent: list[str] = []
        self._files: dict[int, Any] = {}

    def __enter__(self) -> DriverStatements:
        event.listen(self.engine, "checkout", self._checkout)
        event.listen(self.engine, "checkin", self._checkin)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        event.remove(self.engine, "checkout", self._checkout)
        event.remove(self.engine, "checkin", self._checkin)

    def _checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if self.engine.dialect.name == "sqlite":
            dbapi_connection.set_trace_callback(self.sent.append)
            return
        import psycopg

        trace = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
        self._files[id(dbapi_connection)] = trace
        dbapi_connection.pgconn.trace(trace.fileno())
        dbapi_connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE)

    def _checkin(self, dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is None:  # invalidated: nothing to read
            return
        if self.engine.dialect.name == "sqlite":
            dbapi_connection.set_trace_callback(None)
            return
        trace = self._files.pop(id(dbapi_connection), None)
        if trace is None:
            return
        dbapi_connection.pgconn.untrace()
        trace.seek(0)
        for line in trace:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 4 and fields[0] == "F" and fields[2] in ("Parse", "Query"):
                # Parse: ` "<name>" "<sql>" <parameters>…`; Query: ` "<sql>"`
                quoted = fields[3].split('"', 3 if fields[2] == "Parse" else 1)[-1]
                self.sent.append(quoted.rsplit('"', 1)[0])
        trace.close()
