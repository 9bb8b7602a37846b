"""The Slack Web API client and message delivery: direct-message channels, pacing, error classes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

# Answers from Slack that no retry will change: the message is marked failed with the reason.
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "user_not_found", "not_in_channel", "account_inactive", "is_archived",
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "cannot_dm_bot",
    "user_disabled", "restricted_action", "invalid_auth", "not_authed", "token_revoked",
    "missing_scope", "channel_is_archived", "too_many_attachments", "invalid_arguments",
})


def make_client(token: str | None, base_url: str, *, retries: bool = True, timeout: int = 10) -> WebClient:
    """A WebClient for `SLACK_API_URL`; interactive calls retry 429s and dropped connections briefly."""
    client = WebClient(token=token, base_url=base_url, timeout=timeout)
    if not retries:
        client.retry_handlers = []
    else:
        client.retry_handlers = [ConnectionErrorRetryHandler(max_retry_count=1), RateLimitErrorRetryHandler(max_retry_count=1)]
    return client


class DeliveryError(Exception):
    """A delivery attempt failed. `retry_after` is seconds to wait, or None if it can never succeed."""

    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Delivered:
    channel: str | None
    ts: str | None


class Delivery(Protocol):
    def deliver(self, target_kind: str, target: str, payload: dict[str, Any]) -> Delivered: ...


class Pacer:
    """At most one message a second per channel, as Slack asks (thread-safe)."""

    def __init__(self, interval: float = 1.0, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._sleep = sleep
        self._monotonic = monotonic
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str) -> None:
        with self._lock:
            now = self._monotonic()
            at = max(now, self._next.get(channel, 0.0))
            self._next[channel] = at + self.interval
        if at > now:
            self._sleep(at - now)


class SlackDelivery:
    """Posts outbox messages with slack-sdk: opens DMs (cached), paces per channel, classifies errors."""

    def __init__(self, client: WebClient, pacer: Pacer | None = None) -> None:
        self.client = client
        self.pacer = pacer or Pacer()
        self._dm_channels: dict[str, str] = {}
        self._lock = threading.Lock()

    def _dm_channel(self, user_id: str) -> str:
        with self._lock:
            cached = self._dm_channels.get(user_id)
        if cached:
            return cached
        response = self._call(self.client.conversations_open, users=user_id)
        channel = response["channel"]["id"]
        with self._lock:
            self._dm_channels[user_id] = channel
        return channel

    def deliver(self, target_kind: str, target: str, payload: dict[str, Any]) -> Delivered:
        channel = self._dm_channel(target) if target_kind == "user" else target
        self.pacer.wait(channel)
        method = payload.get("_method", "chat.postMessage")
        body = {k: v for k, v in payload.items() if not k.startswith("_")}
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
                content=bytes.fromhex(body["content_hex"]),
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
            if status == 429:
                retry = float(response.headers.get("Retry-After", response.headers.get("retry-after", 1)) or 1)
                raise DeliveryError("ratelimited", retry_after=max(retry, 1.0)) from exc
            if status >= 500:
                raise DeliveryError(f"HTTP {status}", retry_after=0.0) from exc
            if error in PERMANENT_ERRORS:
                raise DeliveryError(error, retry_after=None) from exc
            raise DeliveryError(error or f"HTTP {status}", retry_after=0.0) from exc
        except (OSError, TimeoutError) as exc:  # connection refused, reset, timed out
            raise DeliveryError(f"{exc.__class__.__name__}: {exc}", retry_after=0.0) from exc
