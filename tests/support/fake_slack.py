"""A real HTTP server standing in for the Slack Web API: records every call, answers in Slack's shape.

It can be told to answer `ok: false`, HTTP 429 with Retry-After, or 5xx for the next calls of a
method, to enforce Slack's one-message-a-second-per-channel pace, and to hold a method to a strict number of
calls in any window of so many seconds (a method's tier, `enforce_method_window`). Both are off by default;
the time they go by is `time.monotonic` unless the fake is given another clock (a test's simulated time). Block Kit is checked against
Slack's documented limits so a message Slack would reject is rejected here too, and every block and view
is parsed with `slack_sdk.models` (an unknown field, a wrong type or an overlong text fails the call).
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
import urllib.parse
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from tests.support.waiting import wait_until

MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_VIEW = 100
MAX_SECTION_TEXT = 3000
MAX_OPTION_TEXT = 75  # Block Kit option objects: text at most 75 characters
MAX_OPTIONS = 100  # a select menu's options (and option groups)
MAX_BUTTON_VALUE = 2000
MAX_ID = 255  # action_id, block_id
MAX_PRIVATE_METADATA = 3000


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    delayed: float = 0.0  # how long the fake held its answer back (`FakeSlackState.delay` when the call came)


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None


@dataclass
class MethodWindow:
    """At most `limit` calls of a method answered in any `seconds` seconds: the times of those answered."""

    limit: int
    seconds: float
    answered: deque[float] = field(default_factory=deque)

    def refuse(self, at: float) -> int | None:
        """None if a call at `at` fits in the window (and counts it), else the Retry-After, in whole seconds,
        until the oldest call in the window has left it."""
        while self.answered and self.answered[0] <= at - self.seconds:
            self.answered.popleft()
        if len(self.answered) < self.limit:
            self.answered.append(at)
            return None
        return max(1, math.ceil(self.answered[0] + self.seconds - at))


@dataclass
class FakeSlackState:
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, deque[Failure]] = field(default_factory=lambda: defaultdict(deque))
    channel_interval: float = 0.0  # >0: answer 429 when a channel is posted to faster than this
    last_post: dict[str, float] = field(default_factory=dict)
    windows: dict[str, MethodWindow] = field(default_factory=dict)  # method: its strict window, if enforced
    monotonic: Callable[[], float] = time.monotonic  # the time calls are stamped with and limits go by
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (method, reason) of Block Kit refused
    lock: threading.Lock = field(default_factory=threading.Lock)
    ts_counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    delay: float = 0.0
    socket_mode_url: str | None = None  # what apps.connections.open answers; None: the method is not scripted
    files: dict[str, tuple[dict[str, Any], bytes]] = field(default_factory=dict)  # id: (files.info's file, bytes)


def check_blocks(blocks: Any, limit: int) -> str | None:
    """Slack's documented limits; the error Slack would give, or None."""
    if blocks is None:
        return None
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not isinstance(blocks, list) or len(blocks) > limit:
        return "invalid_blocks"
    for block in blocks:
        if not isinstance(block, dict) or "type" not in block:
            return "invalid_blocks"
        text = block.get("text")
        if isinstance(text, dict) and len(text.get("text", "")) > (150 if block["type"] == "header" else MAX_SECTION_TEXT):
            return "invalid_blocks"
        if block["type"] == "actions" and len(block.get("elements", [])) > 25:
            return "invalid_blocks"
        if block["type"] == "context" and len(block.get("elements", [])) > 10:
            return "invalid_blocks"
        if len(block.get("fields", [])) > 10:
            return "invalid_blocks"
    return None


def _dropped_keys(sent: Any, parsed: Any, path: str = "") -> list[str]:
    """Keys of `sent` that the SDK's parse left out: fields Slack does not know in that place."""
    if isinstance(sent, dict) and isinstance(parsed, dict):
        missing = [f"{path}.{k}" for k in sent if k not in parsed]
        return missing + [m for k in sent if k in parsed for m in _dropped_keys(sent[k], parsed[k], f"{path}.{k}")]
    if isinstance(sent, list) and isinstance(parsed, list):
        if len(sent) != len(parsed):
            return [f"{path}[]"]
        return [m for i, (a, b) in enumerate(zip(sent, parsed, strict=True)) for m in _dropped_keys(a, b, f"{path}[{i}]")]
    return []


def _limits(node: Any) -> str | None:
    """Documented limits the SDK does not check: options, ids, button values."""
    if isinstance(node, dict):
        for key in ("action_id", "block_id"):
            if isinstance(node.get(key), str) and len(node[key]) > MAX_ID:
                return f"{key} longer than {MAX_ID}"
        if node.get("type") == "button" and len(str(node.get("value", ""))) > MAX_BUTTON_VALUE:
            return "button value too long"
        for key in ("options", "option_groups"):
            if isinstance(node.get(key), list) and len(node[key]) > MAX_OPTIONS:
                return f"more than {MAX_OPTIONS} {key}"
        if "value" in node and isinstance(node.get("text"), dict) and node["text"].get("type") == "plain_text" \
                and "action_id" not in node and len(node["text"].get("text", "")) > MAX_OPTION_TEXT:
            return f"option text longer than {MAX_OPTION_TEXT}"
        return next((e for e in map(_limits, node.values()) if e), None)
    if isinstance(node, list):
        return next((e for e in map(_limits, node) if e), None)
    return None


def sdk_check_blocks(blocks: Any) -> str | None:
    """Parse every block with `slack_sdk.models`; the reason it is not valid Block Kit, or None."""
    if blocks is None:
        return None
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    for index, raw in enumerate(blocks):
        try:
            parsed = Block.parse(raw)
            if parsed is None:
                return f"block {index}: unknown type {raw.get('type') if isinstance(raw, dict) else raw!r}"
            as_sent = parsed.to_dict()
        except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as exc:
            return f"block {index}: {exc}"
        dropped = _dropped_keys(raw, as_sent)
        if dropped:
            return f"block {index}: unknown fields {dropped}"
        problem = _limits(raw)
        if problem:
            return f"block {index}: {problem}"
    return None


def sdk_check_view(view: dict[str, Any]) -> str | None:
    """Parse a view (modal or Home tab) with `slack_sdk.models.views.View`, blocks included."""
    if view.get("type") not in ("modal", "home"):
        return f"view type {view.get('type')!r}"
    if len(view.get("private_metadata") or "") > MAX_PRIVATE_METADATA:
        return "private_metadata too long"
    try:
        View(**view).to_dict()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as exc:
        return str(exc)
    return sdk_check_blocks(view.get("blocks") or [])


def check_message(message: dict[str, Any]) -> str | None:
    """A message's Block Kit as Slack would judge it (chat.*, a response URL, a slash command's answer in its
    ack): Slack's documented limits, then every block parsed with `slack_sdk.models`; the reason, or None."""
    return check_blocks(message.get("blocks"), MAX_BLOCKS_MESSAGE) or sdk_check_blocks(message.get("blocks"))


def check_view(view: dict[str, Any]) -> str | None:
    """A view (views.*, or a `response_action: update|push` ack) as Slack would judge it; the reason, or None."""
    return check_blocks(view.get("blocks", []), MAX_BLOCKS_VIEW) or sdk_check_view(view)


def check_ack(body: dict[str, Any]) -> str | None:
    """The body of an HTTP acknowledgement as Slack would judge it: a message (a slash command's answer), or a
    view submission's `response_action` (`errors`: {block_id: message}; `update`/`push`: a view; `clear`)."""
    action = body.get("response_action")
    if action is None:
        return check_message(body)
    if action == "errors":
        errors = body.get("errors")
        if not isinstance(errors, dict) or not errors:
            return "response_action errors without errors"
        for block_id, message in errors.items():
            if not isinstance(block_id, str) or not block_id or len(block_id) > MAX_ID:
                return f"errors: block_id {block_id!r}"
            if not isinstance(message, str) or not message.strip():
                return f"errors: an empty message for {block_id!r}"
        return None
    if action in ("update", "push"):
        view = body.get("view")
        return check_view(view) if isinstance(view, dict) else f"response_action {action} without a view"
    return None if action == "clear" else f"response_action {action!r}"


class FakeSlack:
    """Start with `FakeSlack().start()`; `url` is what SLACK_API_URL should be."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.state = FakeSlackState(monotonic=monotonic)
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def start(self) -> FakeSlack:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ---- scripting
    def fail_next(self, method: str, *, status: int = 200, error: str | None = None, retry_after: int | None = None,
                  times: int = 1) -> None:
        with self.state.lock:
            for _ in range(times):
                self.state.failures[method].append(Failure(status=status, error=error, retry_after=retry_after))

    def enforce_channel_rate(self, interval: float) -> None:
        self.state.channel_interval = interval

    def enforce_method_window(self, method: str, limit: int, seconds: float) -> None:
        """Answer HTTP 429 (Retry-After: until the oldest call leaves the window) to a call of `method` that
        would make more than `limit` answered in any `seconds` seconds; `limit` 0 stops enforcing it."""
        with self.state.lock:
            if limit:
                self.state.windows[method] = MethodWindow(limit, seconds)
            else:
                self.state.windows.pop(method, None)

    def serve_socket_mode(self, url: str | None) -> None:
        """Answer apps.connections.open with this WebSocket URL (None: stop); `reset` leaves it."""
        self.state.socket_mode_url = url

    def add_user(self, user_id: str, **profile: Any) -> None:
        self.state.users[user_id] = profile

    def add_file(self, name: str, content: bytes, mimetype: str = "application/octet-stream") -> dict[str, Any]:
        """A file shared in the workspace: Slack's file object (what a file input's state or a message carries),
        its bytes served at its `url_private` to a request with a bot token, its record by files.info."""
        with self.state.lock:
            file_id = f"F{len(self.state.files) + 1:08d}"
            port, quoted = self.server.server_address[1], urllib.parse.quote(name)
            info = {"id": file_id, "name": name, "title": name, "mimetype": mimetype, "filetype": name.rsplit(".", 1)[-1],
                    "size": len(content), "url_private": f"http://127.0.0.1:{port}/files-pri/T0LSP-{file_id}/{quoted}",
                    "url_private_download": f"http://127.0.0.1:{port}/files-pri/T0LSP-{file_id}/download/{quoted}"}
            self.state.files[file_id] = (info, content)
        return dict(info)

    # ---- inspection
    def calls(self, method: str | None = None) -> list[Call]:
        with self.state.lock:
            return [c for c in self.state.calls if method is None or c.method == method]

    def messages(self) -> list[Call]:
        """Successful chat.postMessage calls."""
        return [c for c in self.calls("chat.postMessage") if c.status == 200 and c.params.get("_ok", True)]

    def invalid(self) -> list[tuple[str, str]]:
        """(method, reason) of every call refused because its Block Kit was not valid."""
        with self.state.lock:
            return list(self.state.invalid)

    def reset(self) -> None:
        with self.state.lock:
            self.state.invalid.clear()
            self.state.calls.clear()
            self.state.failures.clear()
            self.state.last_post.clear()
            for window in self.state.windows.values():
                window.answered.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until `count` successful calls of `method` arrived (the app sends after its ack)."""
        def succeeded() -> list[Call]:
            return [c for c in self.calls(method) if c.status == 200 and c.params.get("_ok", True)]

        def enough() -> list[Call] | None:
            got = succeeded()
            return got if len(got) >= count else None

        return wait_until(enough, timeout, interval=0.02, what=lambda: f"{count} {method} calls, got "
                          f"{len(succeeded())}: {[c.params for c in self.calls()]}")


class _Handler(BaseHTTPRequestHandler):
    state: FakeSlackState
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _serve_file(self) -> None:
        """A file's bytes at its url_private, as Slack serves them: to a bot token only (else a sign-in page)."""
        file_id = self.path.split("/files-pri/", 1)[-1].split("/", 1)[0].removeprefix("T0LSP-")
        auth = self.headers.get("Authorization") or ""
        with self.state.lock:
            found = self.state.files.get(file_id)
            self.state.calls.append(Call(method="files-pri", params={"file": file_id, "_auth": auth},
                                         at=self.state.monotonic()))
        if found is not None and auth.startswith("Bearer xoxb-"):
            data, ctype, status = found[1], found[0]["mimetype"], 200
        else:
            data, ctype, status = b"<html>Sign in to Slack</html>", "text/html", 200 if found is not None else 404
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        if self.path.startswith("/files-pri/"):
            self._serve_file()
            return
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        method = self.path.split("/api/", 1)[-1].strip("/")
        ctype = self.headers.get("Content-Type", "")
        params: dict[str, Any] = {}
        if "json" in ctype and raw:
            params = json.loads(raw)
        elif "multipart" in ctype or method == "upload":  # a file's bytes (a .docx is not text)
            params = {"_multipart_bytes": len(raw)}
        elif raw:
            params = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode(), keep_blank_values=True).items()}
        params.update({k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query).items()})
        if self.headers.get("Authorization"):
            params["_auth"] = self.headers["Authorization"]
        status, body, headers = self._answer(method, params)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        st = self.state
        delayed = st.delay
        if delayed:
            time.sleep(delayed)
        with st.lock:
            call = Call(method=method, params=params, at=st.monotonic(), delayed=delayed)
            st.calls.append(call)
            failure = st.failures[method].popleft() if st.failures.get(method) else None
            if failure is not None:
                call.status = failure.status
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                if failure.status == 429:
                    params["_ok"] = False
                    return 429, {"ok": False, "error": "ratelimited"}, headers
                params["_ok"] = False
                return failure.status, {"ok": False, "error": failure.error or "internal_error"}, headers
            window = st.windows.get(method)
            retry_after = window.refuse(call.at) if window else None
            if retry_after is not None:
                call.status = 429
                params["_ok"] = False
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
            channel = params.get("channel")
            if method in ("chat.postMessage", "chat.postEphemeral") and st.channel_interval and channel:
                last = st.last_post.get(channel)
                if last is not None and call.at - last < st.channel_interval:
                    call.status = 429
                    params["_ok"] = False
                    return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
                st.last_post[channel] = call.at
            ts = f"{int(time.time())}.{next(st.ts_counter):06d}"
        if method == "apps.connections.open" and st.socket_mode_url:
            if not str(params.get("_auth", "")).startswith("Bearer xapp-"):  # an app-level token, not the bot's
                params["_ok"] = False
                return 200, {"ok": False, "error": "not_allowed_token_type"}, {}
            return 200, {"ok": True, "url": st.socket_mode_url}, {}
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update") or method.startswith("respon"):
            reason = check_message(params)
            if reason:
                params["_ok"] = False
                params["_invalid"] = reason
                with st.lock:
                    st.invalid.append((method, reason))
                return 200, {"ok": False, "error": "invalid_blocks"}, {}
            if not params.get("text") and not params.get("blocks"):
                params["_ok"] = False
                return 200, {"ok": False, "error": "no_text"}, {}
        if method in ("views.publish", "views.open", "views.update", "views.push"):
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else (view or {})
            reason = check_view(view)
            if reason:
                params["_ok"] = False
                params["_invalid"] = reason
                with st.lock:
                    st.invalid.append((method, reason))
                return 200, {"ok": False, "error": "invalid_blocks" if reason == "invalid_blocks" else "invalid_arguments"}, {}
            return 200, {"ok": True, "view": {"id": "V" + ts.replace(".", ""), **view}}, {}
        answers: dict[str, dict[str, Any]] = {
            "auth.test": {"ok": True, "url": "https://lsp.slack.com/", "team": "LSP", "user": "lspbot",
                          "team_id": "T0LSP", "user_id": "UBOT", "bot_id": "BBOT"},
            "chat.postMessage": {"ok": True, "channel": channel, "ts": ts, "message": {"text": params.get("text")}},
            "chat.postEphemeral": {"ok": True, "message_ts": ts},
            "chat.update": {"ok": True, "channel": channel, "ts": params.get("ts")},
            "chat.getPermalink": {"ok": True, "permalink": "https://lsp.slack.com/archives/"
                                  f"{channel}/p{str(params.get('message_ts') or ts).replace('.', '')}"},
            "conversations.open": {"ok": True, "channel": {"id": "D" + str(params.get("users", "X"))[1:]}},
            "users.info": {"ok": True, "user": {"id": params.get("user"), "name": params.get("user"),
                                                "tz": st.users.get(params.get("user", ""), {}).get("tz", "Europe/London"),
                                                "profile": {"display_name": params.get("user")}}},
            "files.getUploadURLExternal": {"ok": True, "upload_url": f"http://127.0.0.1:{self.server.server_address[1]}/api/upload",
                                           "file_id": "F" + ts.replace(".", "")},
            "upload": {"ok": True},
            "files.completeUploadExternal": {"ok": True, "files": [{"id": "F1", "title": params.get("files", "")}]},
        }
        if method == "files.info":
            with st.lock:
                known = st.files.get(str(params.get("file") or ""))
            if known is None:
                params["_ok"] = False
                return 200, {"ok": False, "error": "file_not_found"}, {}
            return 200, {"ok": True, "file": known[0]}, {}
        body = answers.get(method, {"ok": True})
        if method == "upload":
            return 200, body, {}
        return 200, body, {}
