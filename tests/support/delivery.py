"""The outbox from the tests' side: messages queued in-process, a sender to drain them, and what was sent."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.services.sender import OutboxSender
from bot.slack.api import Pacer, SlackDelivery, make_client
from store import db
from store import outbox as outbox_store
from store.models import OutboxMessage
from tests.support.databases import db_rows
from tests.support.fake_slack import FakeSlack
from tests.support.server import ServerProcess
from tests.support.settings import BOT_TOKEN
from tests.support.waiting import wait_until


def queue(runtime_or_sessions, messages: list[tuple[str, str]], now: dt.datetime, prefix: str = "m") -> None:
    """Queue plain messages (channel, text) straight into the outbox, keyed by their text."""
    sessions = getattr(runtime_or_sessions, "sessions", runtime_or_sessions)
    with db.session_scope(sessions) as session:
        for channel, text in messages:
            outbox_store.enqueue(session=session, key=f"{prefix}:{text}", target_kind="channel", target=channel,
                                 payload={"text": text}, now=now)


def delivered(fake: FakeSlack) -> dict[str, list[str]]:
    """Texts that reached the fake, in arrival order, per channel."""
    out: dict[str, list[str]] = defaultdict(list)
    for call in fake.messages():
        out[call.params["channel"]].append(call.params["text"])
    return out


def sender_for(runtime: Runtime, fake: FakeSlack, clock: FixedClock, interval: float = 0.0) -> OutboxSender:
    """An outbox sender in-process, delivering to the fake Slack without retries, paced `interval` seconds."""
    delivery = SlackDelivery(make_client(BOT_TOKEN, fake.url, retries=False), Pacer(interval))
    return OutboxSender(runtime.sessions, delivery, clock)


class SimulatedTime:
    """One time for the sender, its pacing, conversations.open's limit and the fake Slack, read from the test's
    clock: it passes only when one of them sleeps, so a minute of Slack's limits takes no wall time."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock

    def monotonic(self) -> float:
        return self.clock.now().timestamp()

    def sleep(self, seconds: float) -> None:
        # The clock counts microseconds: a wait of less than one still moves it on, so it ends.
        self.clock.advance(dt.timedelta(microseconds=max(1, math.ceil(seconds * 1_000_000))))


def drain_with_time(sender: OutboxSender, runtime: Runtime, clock: FixedClock, rounds: int = 30) -> None:
    """Drain, moving the clock on so that retries fall due, until nothing is pending."""
    for _ in range(rounds):
        sender.drain()
        with db.session_scope(runtime.sessions) as session:
            if not outbox_store.pending_count(session=session):
                return
        clock.advance(dt.timedelta(seconds=5))
    raise AssertionError("the outbox never drained")


def sent_message(server: ServerProcess, key: str) -> tuple[str, str]:
    """(channel, ts) Slack gave the outbox message with this key (recorded just after delivery)."""
    def sent() -> tuple[str, str] | None:
        rows = db_rows(server.database_url, "SELECT slack_channel, slack_ts FROM outbox WHERE key = :k AND "
                       "status = 'sent'", k=key)
        return rows[0] if rows and rows[0][1] else None

    return wait_until(sent, 10, interval=0.02, what=f"outbox message {key} to be sent")


def sent_row(server: ServerProcess, target: str, like: str) -> tuple[str, str, dict[str, Any]]:
    """(channel, ts, payload) of the sent outbox message to `target` whose key starts with `like`."""
    rows = wait_until(lambda: db_rows(server.database_url, "SELECT slack_channel, slack_ts, payload FROM outbox "
                                      "WHERE target = :t AND key LIKE :k AND status = 'sent' ORDER BY id DESC",
                                      t=target, k=like + "%"),
                      10, interval=0.02, what=f"a sent {like} message to {target}")
    channel, ts, payload = rows[0]
    return channel, ts, payload if isinstance(payload, dict) else json.loads(payload)


def queued_files(server: ServerProcess, target: str) -> dict[str, bytes]:
    """The files queued in the outbox for one person (their DM) or channel, by file name: the bytes that are sent."""
    rows = db_rows(server.database_url, "SELECT payload FROM outbox WHERE target = :t ORDER BY id", t=target)
    return {p["filename"]: bytes.fromhex(p["content_hex"]) for p in
            (json.loads(x[0]) if isinstance(x[0], str) else x[0] for x in rows)
            if p.get("_method") == "files.upload"}


def queued_since(runtime: Runtime, since_id: int = 0) -> list[OutboxMessage]:
    """The outbox's messages after `since_id`, oldest first (what a job or command just queued)."""
    with db.session_scope(runtime.sessions) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.id > since_id)
                                    .order_by(OutboxMessage.id)))


def last_queued_id(runtime: Runtime) -> int:
    """The id of the outbox's newest message (0 when it is empty), to read what comes after it."""
    rows = queued_since(runtime)
    return rows[-1].id if rows else 0
