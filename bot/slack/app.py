"""create_app(): the Bolt app, its client and its listeners."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient

from bot.slack import listeners
from bot.runtime import Runtime
from bot.slack.api import IN_REQUEST_TIMEOUT, make_client

log = logging.getLogger("lspbot")


def create_app(runtime: Runtime, *, client: WebClient | None = None, verify_token: bool = True,
               listener_executor: Executor | None = None) -> App:
    """The Bolt app. Replies go back in the ack (process_before_response) so nothing waits on a thread hand-off.

    `listener_executor` runs what follows an ack (Bolt's lazy listeners, and the commands' own after-ack work):
    a pool of 10 threads, as Bolt's default, unless given."""
    settings = runtime.settings
    after_ack = listener_executor or ThreadPoolExecutor(max_workers=10, thread_name_prefix="lspbot-after-ack")
    client = client or make_client(settings.slack_bot_token, settings.slack_api_url, timeout=IN_REQUEST_TIMEOUT)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret,
        process_before_response=True,
        token_verification_enabled=verify_token,
        # Slack's signature is checked once, by the HTTP gate in front of Bolt (bot/slack/web.py), with the same
        # slack_sdk verifier; Socket Mode needs none. The gate may re-encode a body it has verified (see
        # bot/slack/payloads.py), which Bolt's own check would refuse.
        request_verification_enabled=False,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("lspbot.bolt"),
        listener_executor=after_ack,
    )
    listeners.register(app, runtime, after_ack)

    @app.error
    def on_error(error: Exception, body: dict, logger: logging.Logger) -> None:
        logger.error("unhandled error in a Slack listener: %s", error.__class__.__name__, exc_info=error)

    return app


__all__ = ["create_app", "BoltError"]
