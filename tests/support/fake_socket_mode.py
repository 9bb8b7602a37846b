"""A real WebSocket server standing in for Slack's Socket Mode endpoint (the `url` apps.connections.open gives).

Like Slack, it greets each connection with a `hello` message, sends envelopes (`slash_commands`,
`interactive`, `events_api`) with an `envelope_id`, and records what the app sends back: the acks
(`{"envelope_id": ..., "payload": {...}}`), keyed by envelope id. A connection whose ticket is not the one
this server handed out is closed, as Slack closes a stale link.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from tests.support.waiting import wait_until


class FakeSocketMode:
    """Start with `FakeSocketMode().start()`; give `url` to the fake Web API's apps.connections.open."""

    def __init__(self, app_id: str = "A0LSP") -> None:
        self.app_id = app_id
        self.ticket = uuid.uuid4().hex
        self.server = serve(self._session, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._lock = threading.Lock()
        self._connections: list[ServerConnection] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.received: list[dict[str, Any]] = []  # every message from the app, acks included, in order

    @property
    def url(self) -> str:
        port = self.server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket={self.ticket}&app_id={self.app_id}"

    def start(self) -> FakeSocketMode:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)

    # ---- the connection, on the server's thread
    def _session(self, conn: ServerConnection) -> None:
        if f"ticket={self.ticket}" not in (conn.request.path if conn.request else ""):
            conn.close(1008, "invalid ticket")
            return
        with self._lock:
            self._connections.append(conn)
        conn.send(json.dumps({
            "type": "hello", "num_connections": len(self._connections),
            "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }))
        try:
            for raw in conn:
                message = json.loads(raw)
                with self._lock:
                    self.received.append(message)
                    if "envelope_id" in message:
                        self.acks[message["envelope_id"]] = message
        except (ConnectionClosed, ValueError):
            pass
        finally:
            with self._lock:
                self._connections.remove(conn)

    # ---- scripting
    def connected(self) -> int:
        """How many connections the app holds open now."""
        with self._lock:
            return len(self._connections)

    def send(self, envelope_type: str, payload: dict[str, Any], *, accepts_response_payload: bool,
             **extra: Any) -> str:
        """Send an envelope on the newest connection, as Slack does; its envelope id."""
        envelope_id = str(uuid.uuid4())
        envelope = {"envelope_id": envelope_id, "payload": payload, "type": envelope_type,
                    "accepts_response_payload": accepts_response_payload, **extra}
        with self._lock:
            if not self._connections:
                raise AssertionError("the app is not connected")
            conn = self._connections[-1]
        conn.send(json.dumps(envelope))
        return envelope_id

    def slash_command(self, form: dict[str, str]) -> str:
        """A slash command: its form fields as a JSON object; the reply may come back in the ack."""
        return self.send("slash_commands", form, accepts_response_payload=True)

    def interactive(self, payload: dict[str, Any]) -> str:
        """An interaction (block_actions, view_submission, shortcut): only a view_submission's ack may carry a reply."""
        return self.send("interactive", payload, accepts_response_payload=payload.get("type") == "view_submission")

    def event(self, payload: dict[str, Any]) -> str:
        """An Events API `event_callback`."""
        return self.send("events_api", payload, accepts_response_payload=False, retry_attempt=0, retry_reason="")

    # ---- inspection
    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Block until the app acknowledged the envelope; the ack."""
        def ack() -> dict[str, Any] | None:
            with self._lock:
                return self.acks.get(envelope_id)

        return wait_until(ack, timeout, interval=0.02, what=lambda: f"the ack of envelope {envelope_id}; "
                          f"the app sent {self.received}")
