"""A TCP proxy on 127.0.0.1 in front of a server, to take the database away from one process and give it back.

The server (the shared PostgreSQL) keeps running for every other test meanwhile.

`cut()` drops every open connection and refuses new ones, as a stopped server would; `restore()` listens
again on the same port. `hold()` keeps every connection open and accepts new ones but forwards nothing either
way, as a hung server or a silent network would (the kernel still acknowledges what is sent, so TCP
keepalives and `tcp_user_timeout` see nothing wrong); `release()` forwards again, what was held included.
"""

from __future__ import annotations

import socket
import struct
import threading
import time


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.connections = 0  # accepted in all
        self._flowing = threading.Event()  # cleared while held
        self._flowing.set()
        self._hold_after: bytes | None = None
        self._reserved: socket.socket | None = None  # the port, bound but not listening, while cut

    def _bind(self) -> socket.socket:
        """The proxy's port, bound (a cut's connections may take a moment to let go of it)."""
        deadline = time.monotonic() + 5
        while True:
            bound = socket.socket()
            bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                bound.bind(("127.0.0.1", self.port))
                return bound
            except OSError:
                bound.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def start(self) -> TcpProxy:
        listener, self._reserved = self._reserved or self._bind(), None
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), name="tcp-proxy-accept", daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed by cut() or stop()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    client.close()
                    upstream.close()
                    return
                self._open |= {client, upstream}
                self.connections += 1
            for a, b, outbound in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pump, args=(a, b, outbound), name="tcp-proxy-pump", daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, outbound: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                self._flowing.wait()  # held: keep what arrived (a closed socket too) until released
                if not data:
                    break
                sink.sendall(data)
                if outbound and self._hold_after is not None and self._hold_after in data:
                    self._hold_after = None
                    self.hold()
        except OSError:
            pass
        finally:
            self._drop(source, sink)

    def _drop(self, *sockets: socket.socket, reset: bool = False) -> None:
        """Close sockets; `reset` sends RST (no FIN, no TIME_WAIT: nothing is left holding the port)."""
        with self._lock:
            for s in sockets:
                self._open.discard(s)
        for s in sockets:
            try:
                if reset:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.shutdown(socket.SHUT_RDWR)  # wakes the pump blocked in recv(), whose return frees the socket
            except OSError:
                pass
            s.close()

    def cut(self) -> None:
        """The database goes away: open connections are reset, new ones refused. The port stays bound (not
        listening, so a connection is refused) for `restore()`: closed, it could be taken meanwhile as another
        connection's local port."""
        with self._lock:
            listener, self._listener = self._listener, None
            open_now = list(self._open)
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # stops listening now: close() alone waits for accept() to return
            except OSError:
                pass
            listener.close()
        self._drop(*open_now, reset=True)
        if listener is not None:
            self._reserved = self._bind()

    def hold(self) -> None:
        """The database stops answering: connections stay open, new ones are accepted, nothing is forwarded."""
        self._flowing.clear()

    def hold_after(self, marker: bytes) -> None:
        """Hold from the moment a client has sent `marker` (forwarded; its answer is held): a transaction the server
        has begun and written in, whose client then hears nothing."""
        self._hold_after = marker

    def release(self) -> None:
        """Forward again, starting with what was held."""
        self._flowing.set()

    def restore(self) -> None:
        """The database is back, on the same port."""
        self.start()

    def stop(self) -> None:
        self.cut()
        if self._reserved is not None:
            self._reserved.close()
            self._reserved = None
        self._flowing.set()  # let held pumps see their sockets closed
