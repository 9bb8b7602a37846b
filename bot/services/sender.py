"""Drains the outbox to Slack, losing nothing and sending nothing twice.

- Rows are claimed in batches (`FOR UPDATE SKIP LOCKED` on PostgreSQL) with a lease, so several
  replicas share the table without sending a row twice; a claim skips a target whose earlier message
  is waiting or held elsewhere, so each DM and channel gets its messages in order.
- One thread sends, one message at a time: a process killed mid-drain has at most the one message in
  flight unconfirmed, and only that one can go twice (after its lease runs out). Every message is marked
  sent in its own transaction the moment Slack confirms it.
- Pacing: the thread sends to whichever claimed target is ready (one message a second per channel; for a
  person whose DM is not open yet, also conversations.open's limit) instead of sleeping on a busy one. It
  sleeps through short waits only: when every target it holds must wait longer (a tier's window is full), it
  gives the batch back, each message due when its target will be ready, and claims afresh, so what is queued
  behind those messages to other targets goes meanwhile. HTTP 429 waits for Retry-After without using up the
  message's attempts; 5xx answers and lost connections back off (2, 4, 8 ... seconds); a message
  that keeps failing, or that Slack refuses outright, is marked failed with the error
  (`lspbot outbox list`, `lspbot outbox retry`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter, OrderedDict, defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.health import DatabaseHealth
from bot.runtime import is_database_unavailable
from bot.slack.api import Delivery, DeliveryError
from store import db
from store import outbox as outbox_store
from store import dm_channels as dm_channel_store
from store import files as files_store
from store.models import OutboxStatus
from store.outbox import EMAIL, FILE_ID, ClaimedMessage, MessageState

log = logging.getLogger("lspbot.sender")

MAX_ATTEMPTS = 8
LEASE = dt.timedelta(seconds=60)
# A message is sent from a batch only if its delivery, at its slowest (the delivery's `worst_case`, from the
# client's timeouts), ends this many seconds before the batch's lease does (its sent mark is written, and
# replicas' clocks may differ a little): past the lease another replica may claim it and send it again.
LEASE_SAFETY = 5.0
DEFAULT_WORST_CASE = 30.0  # a delivery that cannot say how long it may take
# The longest wait the sender sleeps through holding its batch (a channel's pace is about a second); a longer
# one, it gives the batch back and claims again, so that messages it has not claimed are not held up behind it.
HOLD_BATCH_FOR = 2.0
# Called in the unit of work that marks a message failed for good: (session, the message, the error) → a note
# for the error as `lspbot outbox list` shows it, or None. A Slack DM to someone who cannot be DMed goes to them
# by email instead (bot.services.deliveries).
FailedHook = Callable[[Session, ClaimedMessage, str], "str | None"]


def _host() -> str:
    """This machine, and the process namespace on it (two containers on one host are two hosts here)."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return f"{socket.gethostname()}/{namespace}"


HOST = _host()
PROCESS_TOKEN = uuid.uuid4().hex[:12]  # tells this process from an earlier one that had the same pid


def claimant_is_gone(claimant: str) -> bool:
    """Whether the process that claimed messages as `claimant` (host:pid:token) is known to have ended: one on this
    host whose pid is not running, or that had this process's pid before it. A process elsewhere, or a pid now
    running something else, is not known to have ended: its claims run out with their lease."""
    parts = claimant.rsplit(":", 2)  # the host may hold colons, the pid and token do not
    if len(parts) != 3 or parts[0] != HOST or not parts[1].isdigit():
        return False
    pid, token = int(parts[1]), parts[2]
    if pid == os.getpid():
        return token != PROCESS_TOKEN
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # running, as another user
        return False
    return False


def with_file_content(sessions: sessionmaker[Session], payload: dict[str, Any]) -> dict[str, Any]:
    """An upload of a stored file (`_file_id`, store.outbox.stored_upload) with its bytes read from the store, as
    `_content` (a delivery uploads those rather than the `content_hex` of a file queued whole); an email's
    attachments that name stored files (bot.email.compose) each with theirs."""
    with db.session_scope(sessions) as session:
        def read(part: dict[str, Any]) -> dict[str, Any]:
            return dict(part, _content=files_store.read_by_id(session=session, file_id=int(part[FILE_ID])))

        if payload.get(FILE_ID) is not None:
            payload = read(payload)
        if stored_attachments(payload):
            payload = dict(payload, attachments=[read(a) if a.get(FILE_ID) is not None else a
                                                 for a in payload["attachments"]])
    return payload


def stored_attachments(payload: dict[str, Any]) -> bool:
    """Whether an email's attachments name stored files (read as it is sent)."""
    return any(isinstance(a, dict) and a.get(FILE_ID) is not None for a in payload.get("attachments") or ())


def backoff(attempts: int) -> float:
    """Seconds before retry number `attempts` after a server or connection error: 2, 4, 8... capped at 5 min."""
    return float(min(2 ** max(attempts, 1), 300))


@dataclass
class DeliveryOutcome:
    """What became of some messages: how many went, which failed and why, how many are still pending."""

    sent: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (message id, Slack's error)
    pending: int = 0

    @classmethod
    def of(cls, rows: Sequence[MessageState]) -> DeliveryOutcome:
        out = cls()
        for row in rows:
            if row.status == OutboxStatus.SENT:
                out.sent += 1
            elif row.status == OutboxStatus.FAILED:
                out.failed.append((row.id, row.last_error or "unknown error"))
            else:
                out.pending += 1
        return out

    def reasons(self) -> str:
        """The failures grouped by reason: `channel_not_found ×2, HTTP 500 ×1`."""
        counts = Counter(error for _, error in self.failed)
        return ", ".join(f"{error} ×{n}" for error, n in counts.most_common())


class OutboxSender:
    """Claims due messages in batches and delivers them in order per target, ready targets first."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        delivery: Delivery,
        clock: Clock,
        *,
        batch: int = 50,
        max_attempts: int = MAX_ATTEMPTS,
        lease: dt.timedelta = LEASE,
        on_sent: Callable[[int], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        health: DatabaseHealth | None = None,
        outbox_clock: Clock | None = None,
        worker: str | None = None,
        sleep: Callable[[float], object] | None = None,
        on_failed: FailedHook | None = None,
    ) -> None:
        self.sessions = sessions
        self.delivery = delivery
        self.clock = clock
        # When messages are due and claims run out: the real clock in a running bot, whatever LSPBOT_NOW says
        # (`clock`, the bot's, stamps sent_at)
        self.outbox_clock = outbox_clock or clock
        self.batch = batch
        self.max_attempts = max_attempts
        self.lease = lease
        self.worker = worker or f"{HOST}:{os.getpid()}:{PROCESS_TOKEN}"  # claimed_by
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._monotonic = monotonic
        self._sleep = sleep or self._stop.wait  # the time `monotonic` goes by passes (stop cuts it short)
        self.on_sent = on_sent
        self.on_failed = on_failed
        self.health = health or DatabaseHealth()

    def wake(self) -> None:
        self._wake.set()

    # ------------------------------------------------------------ one batch

    def drain_once(self, only: Sequence[int] | None = None) -> int:
        """Claim one batch (of `only` these messages and those ahead of them, if given) and deliver it; the
        number of messages attempted."""
        claimed_at = self._monotonic()  # before the claim: the lease runs from no later than this
        with db.session_scope(self.sessions) as session:
            claimed = outbox_store.claim(session=session, now=self.outbox_clock.now(), limit=self.batch,
                                         lease=self.lease, only=only, claimant=self.worker, is_dead=claimant_is_gone)
        if not claimed:
            return 0
        lease_ends = claimed_at + self.lease.total_seconds()
        queues: OrderedDict[tuple[str, str], deque[ClaimedMessage]] = OrderedDict()
        for message in claimed:
            queues.setdefault((message.target_kind, message.target), deque()).append(message)
        handled = 0
        while queues and not self._stop.is_set():
            target, wait = self._next_ready(queues)
            queue = queues[target]
            if wait > HOLD_BATCH_FOR or not self.may_send(queue[0], lease_ends):
                break  # the rest are released below, to be claimed afresh
            if wait > 0:
                self._sleep(wait)
                continue
            message = queue.popleft()
            ok = self._deliver_one(message)
            handled += 1
            if not queue or not ok:
                # After a failure the target's later messages wait behind it (released below).
                del queues[target]
                if not ok and queue:
                    self._release([m.id for m in queue])
        self._release_until_ready(queues)
        return handled

    def may_send(self, message: ClaimedMessage, lease_ends: float) -> bool:
        """Whether `message`, its target's pace waited for, is sure to be done (sent or given up) before the
        batch's lease ends at `lease_ends` (on the monotonic clock), however slow Slack is."""
        worst_case = getattr(self.delivery, "worst_case", None)
        longest = worst_case(message.target_kind, message.target, message.payload) if worst_case else DEFAULT_WORST_CASE
        return self._monotonic() + longest + LEASE_SAFETY <= lease_ends

    def _next_ready(self, queues: OrderedDict[tuple[str, str], deque[ClaimedMessage]]) -> tuple[tuple[str, str], float]:
        """The first target (in claim order) that may be sent to now, else the one ready soonest."""
        delay_for = getattr(self.delivery, "delay_for", None)
        best, best_wait = next(iter(queues)), float("inf")
        for target in queues:
            wait = delay_for(*target) if delay_for else 0.0
            if wait <= 0:
                return target, 0.0
            if wait < best_wait:
                best, best_wait = target, wait
        return best, best_wait

    def _deliver_one(self, message: ClaimedMessage) -> bool:
        message_id, kind, target, payload, attempts = message
        if payload.get("_thread_of") or payload.get("_ts_of"):
            resolved = self._placed(message)
            if resolved is None:
                return False
            payload = resolved
        if kind == EMAIL:
            payload = dict(payload, _outbox_id=message_id)  # its Message-ID, the same on every attempt
        if payload.get(FILE_ID) is not None or stored_attachments(payload):
            try:
                payload = with_file_content(self.sessions, payload)
            except files_store.MissingFile as exc:  # a papers folder not mounted (yet): tried again, then failed
                self._record_failure(message, DeliveryError(str(exc), retry_after=0.0))
                return False
        try:
            sent = self.delivery.deliver(kind, target, payload)
        except DeliveryError as exc:
            self._record_failure(message, exc)
            return False
        with db.session_scope(self.sessions) as session:
            outbox_store.mark_sent(session=session, message_id=message_id, now=self.clock.now(),
                                   channel=sent.channel, ts=sent.ts)
            if kind == "user" and sent.channel:
                dm_channel_store.remember_dm_channel(session=session, slack_user_id=target, channel_id=sent.channel)
        if self.on_sent:
            self.on_sent(message_id)
        return True

    def _placed(self, message: ClaimedMessage) -> dict[str, Any] | None:
        """A payload that names an earlier post by its key, with where Slack put that post: a reply in its thread
        (`_thread_of`: its `thread_ts`) or an update of it (`_ts_of`: its `ts`). That post went to the same channel
        earlier, so the outbox's order has sent it (or given up on it) first: one that failed fails this message;
        one still to go (queued by an older process in another order) makes it wait."""
        field, key = ("thread_ts", message.payload["_thread_of"]) if message.payload.get("_thread_of") \
            else ("ts", message.payload["_ts_of"])
        with db.session_scope(self.sessions) as session:
            parent = outbox_store.thread_parent(session=session, key=str(key))
        if parent.status == OutboxStatus.SENT and parent.ts:
            return dict(message.payload, **{field: parent.ts})
        if parent.status == OutboxStatus.PENDING:
            self._record_failure(message, DeliveryError("the post it names has not gone yet", retry_after=2.0))
        else:
            said = "replies to" if field == "thread_ts" else "updates"
            self._record_failure(message, DeliveryError(f"the post it {said} was not sent", retry_after=None))
        return None

    def _release(self, message_ids: list[int]) -> None:
        if message_ids:
            with db.session_scope(self.sessions) as session:
                outbox_store.release(session=session, message_ids=message_ids, at=self.outbox_clock.now())

    def _release_until_ready(self, queues: OrderedDict[tuple[str, str], deque[ClaimedMessage]]) -> None:
        """Give back what a batch did not send; a target's messages that must wait longer than a batch is held
        are due when it will be ready, so claims meanwhile pass them by (and the messages behind them to the same
        target) for targets that are ready."""
        if not queues:
            return
        delay_for = getattr(self.delivery, "delay_for", None)
        now = self.outbox_clock.now()
        due: defaultdict[dt.datetime, list[int]] = defaultdict(list)
        for target, queue in queues.items():
            wait = delay_for(*target) if delay_for else 0.0
            due[now + dt.timedelta(seconds=wait) if wait > HOLD_BATCH_FOR else now].extend(m.id for m in queue)
        with db.session_scope(self.sessions) as session:
            for at, message_ids in due.items():
                outbox_store.release(session=session, message_ids=message_ids, at=at)

    def _record_failure(self, message: ClaimedMessage, exc: DeliveryError) -> None:
        message_id, kind, target, _, attempts = message
        with db.session_scope(self.sessions) as session:
            if exc.retry_after is None:
                log.warning("outbox message %s failed for good: %s", message_id, exc)
                self._mark_failed(session, message, str(exc))
            elif exc.rate_limited:
                hold = getattr(self.delivery, "hold", None)
                if hold:
                    hold(kind, target, exc.retry_after)
                log.info("outbox message %s: rate limited; retrying in %.0fs", message_id, exc.retry_after)
                outbox_store.mark_retry(session=session, message_id=message_id, count_attempt=False,
                                        at=self.outbox_clock.now() + dt.timedelta(seconds=exc.retry_after),
                                        error=str(exc))
            elif attempts + 1 >= self.max_attempts:
                log.warning("outbox message %s failed after %d attempts: %s", message_id, attempts + 1, exc)
                self._mark_failed(session, message, str(exc))
            else:
                delay = exc.retry_after if exc.retry_after > 0 else backoff(attempts + 1)
                log.info("outbox message %s: %s; retrying in %.0fs", message_id, exc, delay)
                outbox_store.mark_retry(session=session, message_id=message_id,
                                        at=self.outbox_clock.now() + dt.timedelta(seconds=delay), error=str(exc))

    def _mark_failed(self, session: Session, message: ClaimedMessage, error: str) -> None:
        """Mark a message failed, and do in the same unit of work what its failure calls for (`on_failed`); if
        that breaks, the message is marked failed all the same (a broken hook must not send it for ever)."""
        note = None
        if self.on_failed:
            try:
                with session.begin_nested():
                    note = self.on_failed(session, message, error)
            except Exception as exc:
                if is_database_unavailable(exc):
                    raise
                log.exception("outbox message %s: what its failure calls for could not be done", message.id)
        outbox_store.mark_failed(session=session, message_id=message.id,
                                 error=f"{error} ({note})" if note else error)

    # ------------------------------------------------------------ loops

    def drain(self, *, max_rounds: int | None = None, only: Sequence[int] | None = None) -> int:
        """Drain until nothing is due now; the number handled."""
        total, rounds = 0, 0
        while max_rounds is None or rounds < max_rounds:
            handled = self.drain_once(only)
            total += handled
            rounds += 1
            if handled == 0:
                break
        return total

    def deliver_all(self, ids: Sequence[int], *, timeout: float = 120.0,
                    sleep: Callable[[float], None] = time.sleep) -> DeliveryOutcome:
        """Deliver these messages (and any queued before them to the same person or channel), waiting out
        retries, until none of them is pending or `timeout` seconds pass (`lspbot jobs run` delivers what it
        queued before it exits); what became of them."""
        deadline = self._monotonic() + timeout
        while True:
            if ids:
                self.drain(only=ids)
            with db.session_scope(self.sessions) as session:
                rows = outbox_store.states(session=session, ids=ids)
            outcome = DeliveryOutcome.of(rows)
            if not outcome.pending or self._monotonic() >= deadline:
                return outcome
            next_at = min(row.next_attempt_at for row in rows if row.status == OutboxStatus.PENDING)
            wait = (next_at - self.outbox_clock.now()).total_seconds()
            sleep(min(max(wait, 0.05), max(deadline - self._monotonic(), 0.05), 5.0))

    def run_forever(self, poll: float = 2.0) -> None:
        while not self._stop.is_set():
            try:
                handled = self.drain_once()
            except Exception as exc:  # the database may be away; keep the thread alive and try again
                if is_database_unavailable(exc):
                    self.health.failed("the outbox sender", exc)  # the outage is logged once, not per drain
                else:
                    log.exception("outbox drain failed; retrying")
                handled = 0
            else:
                self.health.succeeded()
            if handled == 0:
                self._wake.wait(poll)
                self._wake.clear()

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.run_forever, name="outbox-sender", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)


def build_sender(runtime: Any, *, pacer_interval: float | None = None, batch: int = 50) -> OutboxSender:
    """The sender of a running bot: to Slack with the slack-sdk client without its own retries (the outbox
    retries), DM channels seeded from the database; emails by SMTP (bot.services.deliveries); a DM Slack refuses
    for good because its person cannot be DMed turned into an email (handlers.dm_failures)."""
    from bot.services.deliveries import DeliveryByKind, dm_failure_handler, email_delivery
    from bot.slack.api import Pacer, SlackDelivery, make_client

    settings = runtime.settings
    with db.session_scope(runtime.sessions) as session:
        known = dm_channel_store.dm_channels(session=session)
    pacer = Pacer(pacer_interval) if pacer_interval is not None else None
    slack = SlackDelivery(make_client(settings.slack_bot_token, settings.slack_api_url, retries=False),
                          pacer, dm_channels=known)
    delivery = DeliveryByKind(slack, {EMAIL: email_delivery(runtime)})
    sender = OutboxSender(runtime.sessions, delivery, runtime.clock, batch=batch, health=runtime.health,
                          outbox_clock=runtime.outbox_clock, on_failed=dm_failure_handler(runtime))
    runtime.wake_sender = sender.wake
    return sender
