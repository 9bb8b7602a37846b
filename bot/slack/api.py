"""The Slack Web API client and message delivery: direct-message channels, pacing, error classes."""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

# The delivery types every transport shares, defined apart so the email transport needs nothing of Slack's; named
# here too, where the sender and the tests have always found them.
from bot.delivery import Delivered, Delivery, DeliveryError, Pacer  # noqa: E402,F401

# Answers from Slack that no retry will change: the message is marked failed with the reason.
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "user_not_found", "not_in_channel", "account_inactive", "is_archived",
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "cannot_dm_bot",
    "user_disabled", "restricted_action", "invalid_auth", "not_authed", "token_revoked",
    "missing_scope", "channel_is_archived", "too_many_attachments", "invalid_arguments",
    # conversations.open: a person the bot may not see, or an external one it may not DM (Slack Connect)
    "user_not_visible", "invalid_user_combination",
})


# Seconds a call made before the ack (opening a modal with the trigger_id) may take: Slack waits 3 seconds
# for the ack and the trigger expires with them, so a slow Slack must not hold the answer past that.
IN_REQUEST_TIMEOUT = 2


def make_client(token: str | None, base_url: str, *, retries: bool = True, timeout: float = 10) -> WebClient:
    """A WebClient for `SLACK_API_URL`; interactive calls retry 429s and dropped connections briefly."""
    client = WebClient(token=token, base_url=base_url, timeout=timeout)
    if not retries:
        client.retry_handlers = []
    else:
        client.retry_handlers = [ConnectionErrorRetryHandler(max_retry_count=1), RateLimitErrorRetryHandler(max_retry_count=1)]
    return client


class WindowLimiter:
    """At most `calls` calls in any `seconds` seconds, as Slack counts a method tier (thread-safe).

    Slack's tiers are so many calls a minute, with bursts tolerated but not promised; a token bucket lets its
    burst plus a minute's refill through in one minute, more than the tier. This keeps when each of the last
    `calls` calls ended and lets the next start only `seconds` after the oldest of them ended: from a call's end
    (Slack has counted it by then) to a later one's start (Slack has not yet seen it), so calls `calls` apart are
    at least `seconds` apart at Slack's end whatever the network's delays. `delay` lets the sender do other work
    instead of waiting here.
    """

    def __init__(self, calls: int, seconds: float, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.calls = calls
        self.seconds = seconds
        self._sleep = sleep
        self._monotonic = monotonic
        self._ended: deque[float] = deque()  # when the calls still in the window ended, oldest first
        self._in_flight = 0
        self._lock = threading.Lock()

    def delay(self) -> float:
        """Seconds before a call may start (0 if now)."""
        with self._lock:
            return self._delay(self._monotonic())

    def _delay(self, now: float) -> float:
        while self._ended and self._ended[0] + self.seconds <= now:
            self._ended.popleft()
        if len(self._ended) + self._in_flight < self.calls:
            return 0.0
        return self._ended[0] + self.seconds - now if self._ended else self.seconds

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait until a call may start, and count it in the window from when the block ends, however it ends."""
        while True:
            with self._lock:
                wait = self._delay(self._monotonic())
                if wait <= 0:
                    self._in_flight += 1
                    break
            self._sleep(wait)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._ended.append(self._monotonic())


class SlackDelivery:
    """Posts outbox messages with slack-sdk: opens DMs (cached), paces per channel, classifies errors."""

    def __init__(self, client: WebClient, pacer: Pacer | None = None, *, dm_channels: dict[str, str] | None = None,
                 open_limiter: WindowLimiter | None = None) -> None:
        self.client = client
        self.pacer = pacer or Pacer()
        # conversations.open is Tier 3: 50 calls a minute, its floor, held to any 60 s. DM channels are cached
        # (and seeded from the database), so a person's DM is opened once.
        self.open_limiter = open_limiter or WindowLimiter(calls=50, seconds=60.0)
        self._dm_channels: dict[str, str] = dict(dm_channels or {})
        self._lock = threading.Lock()

    def dm_channel_known(self, user_id: str) -> str | None:
        with self._lock:
            return self._dm_channels.get(user_id)

    def _dm_channel(self, user_id: str) -> str:
        with self._lock:
            cached = self._dm_channels.get(user_id)
        if cached:
            return cached
        with self.open_limiter.slot():
            response = self._call(self.client.conversations_open, users=user_id)
        channel = response["channel"]["id"]
        with self._lock:
            self._dm_channels[user_id] = channel
        return channel

    @staticmethod
    def pace_key(target_kind: str, target: str) -> str:
        return f"{target_kind}:{target}"

    def delay_for(self, target_kind: str, target: str) -> float:
        """Seconds before a message to this target may go: its pace, and for a person whose DM is not open yet
        conversations.open's limit (the sender sends to ready targets meanwhile, instead of waiting here)."""
        pace = self.pacer.delay(self.pace_key(target_kind, target))
        if target_kind == "user" and self.dm_channel_known(target) is None:
            return max(pace, self.open_limiter.delay())
        return pace

    def hold(self, target_kind: str, target: str, seconds: float) -> None:
        self.pacer.hold(self.pace_key(target_kind, target), seconds)

    def worst_case(self, target_kind: str, target: str, payload: dict[str, Any]) -> float:
        """The longest one `deliver` of this message can take from now, from the client's timeout: the wait
        for the target (`delay_for`), for a DM not yet opened the conversations.open call, then each call of the
        method (a file upload makes three)."""
        timeout = float(self.client.timeout)
        seconds = self.delay_for(target_kind, target)
        if target_kind == "user" and self.dm_channel_known(target) is None:
            seconds += timeout
        calls = 3 if payload.get("_method") == "files.upload" else 1
        return seconds + calls * timeout

    def deliver(self, target_kind: str, target: str, payload: dict[str, Any]) -> Delivered:
        channel = self._dm_channel(target) if target_kind == "user" else target
        method = payload.get("_method", "chat.postMessage")
        body = {k: v for k, v in payload.items() if not k.startswith("_")}
        if method == "files.upload":  # a stored file's bytes, read by the sender, or the file queued whole
            body["_content"] = payload.get("_content") or bytes.fromhex(body.pop("content_hex", ""))
        with self.pacer.slot(self.pace_key(target_kind, target)):
            return self._send(method, channel, body)

    def _send(self, method: str, channel: str, body: dict[str, Any]) -> Delivered:
        if method == "chat.postMessage":
            response = self._call(self.client.chat_postMessage, channel=channel, **body)
            return Delivered(channel=response.get("channel", channel), ts=response.get("ts"))
        if method == "chat.update":
            response = self._call(self.client.chat_update, channel=body.pop("channel", channel), **body)
            return Delivered(channel=response.get("channel"), ts=response.get("ts"))
        if method == "files.upload":
            response = self._call(
                self.client.files_upload_v2,
                channel=channel,
                filename=body["filename"],
                content=body["_content"],
                title=body.get("title"),
                initial_comment=body.get("initial_comment"),
            )
            return Delivered(channel=channel, ts=None)
        raise DeliveryError(f"unknown method {method}", retry_after=None)

    @staticmethod
    def _call(fn: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except SlackApiError as exc:
            response = exc.response
            status = getattr(response, "status_code", 0)
            error = response.get("error", "") if hasattr(response, "get") else ""
            if status == 429 or error == "ratelimited":
                headers = getattr(response, "headers", None) or {}
                try:
                    retry = float(headers.get("Retry-After", headers.get("retry-after", 1)) or 1)
                except ValueError:
                    retry = 1.0
                raise DeliveryError("ratelimited (HTTP 429)", retry_after=max(retry, 1.0), rate_limited=True) from exc
            if status >= 500:
                raise DeliveryError(f"HTTP {status}", retry_after=0.0) from exc
            if error in PERMANENT_ERRORS:
                raise DeliveryError(error, retry_after=None) from exc
            raise DeliveryError(error or f"HTTP {status}", retry_after=0.0) from exc
        except (OSError, TimeoutError, http.client.HTTPException) as exc:  # refused, reset, timed out, cut short
            raise DeliveryError(f"{exc.__class__.__name__}: {exc}", retry_after=0.0) from exc


# ---------------------------------------------------------------- files shared with the bot

MAX_DOWNLOAD = 100 * 1024 * 1024 + 1  # beyond the largest paper a board accepts: enough to know it is too large
DOWNLOAD_TIMEOUT = 60


class FileUnavailable(Exception):
    """A file could not be fetched from Slack (the message says why, for the person who sent it)."""


def file_host_trusted(url: str, client: WebClient) -> bool:
    """Whether the bot's token may go with a request to `url`: Slack's own hosts (https), or the host of the Web
    API the client speaks to (a test's fake)."""
    parts = urllib.parse.urlparse(url)
    api = urllib.parse.urlparse(client.base_url)
    if parts.hostname and parts.hostname == api.hostname and parts.port == api.port and parts.scheme == api.scheme:
        return True
    return parts.scheme == "https" and bool(parts.hostname) and (parts.hostname or "").endswith(".slack.com")


class _KeepTokenOnSlack(urllib.request.HTTPRedirectHandler):
    """Follows a download's redirects, but sends the bot's token on only to Slack's own hosts (a redirect to a
    storage host carries its own signature)."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and not file_host_trusted(newurl, self.client):
            new.remove_header("Authorization")
        return new


def download_file(client: WebClient, file_id: str, *, limit: int = MAX_DOWNLOAD) -> tuple[dict[str, Any], bytes]:
    """A file shared with the bot: its record (files.info: name, size, mimetype) and its bytes, read from
    `url_private` with the bot's token (Authorization: Bearer; the files:read scope), at most `limit` bytes."""
    try:
        info = client.files_info(file=file_id)["file"]
    except SlackApiError as exc:
        raise FileUnavailable(f"Slack said {exc.response.get('error', 'no')}") from None
    except Exception as exc:  # noqa: BLE001 - the network: the person is told, the form can be sent again
        raise FileUnavailable(f"Slack did not answer: {type(exc).__name__}") from None
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    if not url or not file_host_trusted(url, client):
        raise FileUnavailable("Slack gave no address to download it from")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    opener = urllib.request.build_opener(_KeepTokenOnSlack(client))
    try:
        with opener.open(request, timeout=DOWNLOAD_TIMEOUT) as answer:
            content = answer.read(limit)
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise FileUnavailable(f"the download failed: {exc}") from None
    return info, content
