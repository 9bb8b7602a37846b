"""How much of an oversized body `lspbot serve` lets in before refusing it.

    .venv/bin/python -m bench.bench_body_limit [--claim-mib 200] [--runs 3]

Starts `lspbot serve` on a new SQLite file (the fake Slack in this process), then, `--runs` times, opens a
connection, sends headers claiming `--claim-mib` MiB and writes the body as fast as the socket takes it until the
server answers or closes. Prints the bytes that left the client before the answer (the client's and the server's
socket buffers included: waitress itself reads none of the body once it has seen the Content-Length) and the
answer's status line.
"""

from __future__ import annotations

import argparse
import select
import socket
import tempfile
import time
import urllib.parse
from pathlib import Path

from tests.support.fake_slack import FakeSlack
from tests.support.server import start_server


def send_oversized(base_url: str, claimed: int) -> tuple[int, bytes, float]:
    """Send headers claiming `claimed` bytes of body (a signed-looking request), then the body as fast as the
    socket takes it until the server answers or closes (30 s at most). (Bytes sent before the answer, the
    answer's first line, seconds.) Shared with tests/test_http_security.py."""
    url = urllib.parse.urlsplit(base_url)
    head = (f"POST /slack/events HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/x-www-form-urlencoded"
            f"\r\nContent-Length: {claimed}\r\nX-Slack-Request-Timestamp: {int(time.time())}\r\n"
            f"X-Slack-Signature: v0={'0' * 64}\r\n\r\n").encode()
    chunk = b"x" * 65536
    sent, answer = 0, b""
    t0 = time.monotonic()
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        deadline = t0 + 30
        while sent < claimed and b"\r\n\r\n" not in answer and time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock], [], 1)
            try:
                if readable:
                    data = sock.recv(65536)
                    if not data:
                        break
                    answer += data
                elif writable:
                    sent += sock.send(chunk[:claimed - sent])
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        seconds = time.monotonic() - t0
        sock.setblocking(True)
        while b"\r\n\r\n" not in answer:  # the answer, if the connection was not reset before it was read
            try:
                data = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not data:
                break
            answer += data
    return sent, answer.split(b"\r\n", 1)[0], seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claim-mib", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    fake = FakeSlack().start()
    server = start_server(f"sqlite:///{Path(tempfile.mkdtemp()) / 'limit.db'}", fake.url)
    try:
        for run in range(args.runs):
            sent, status, seconds = send_oversized(server.base_url, args.claim_mib * 1024 * 1024)
            print(f"run {run + 1}: {sent:,} bytes sent of {args.claim_mib * 1024 * 1024:,} claimed, then "
                  f"{status.decode(errors='replace')!r} after {seconds * 1000:.0f} ms")
    finally:
        server.stop()
        fake.stop()


if __name__ == "__main__":
    main()
