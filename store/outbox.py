"""The outbox: messages written with the state they report, delivered later by the sender.

Rows are due from `next_attempt_at` and claimed with a lease (`claimed_until`), both on the outbox's
clock, the real one (`LSPBOT_NOW` moves the bot's clock, of `created_at` and `sent_at`, not the
outbox's), by a process named in `claimed_by`. On PostgreSQL the claim uses
`SELECT ... FOR UPDATE SKIP LOCKED`, so several replicas drain one table without
sending a row twice; on SQLite the write lock taken by `BEGIN IMMEDIATE` does the same.
A process killed while holding a lease leaves its rows to be claimed again when the
lease runs out, or at once by a process that knows it dead (its successor on the same host):
at most the message in flight at the kill can go twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol, cast

from sqlalchemy import CursorResult, and_, case, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from store.db import upsert_insert
from store.models import OutboxMessage, OutboxStatus
from store.names import naming, session_names

DEFAULT_RETENTION = dt.timedelta(days=90)  # how long a delivered message's payload is kept (LSPBOT_OUTBOX_RETENTION_DAYS)
PURGED: dict[str, Any] = {"purged": True}  # the payload of a message whose content is no longer kept

CLAIM_LOCK_KEY = int.from_bytes(hashlib.sha256(b"lspbot:outbox-claim").digest()[:8], "big", signed=True)


class File(Protocol):
    """A rendered file (handlers.base.Attachment)."""

    filename: str
    content: bytes
    title: str


class Render(Protocol):
    """What renders for the outbox (bot.render.Renderer): a Slack message from a template and its data, and a
    document (handlers.base.Document) into its files or its Markdown."""

    def __call__(self, template: str, data: dict[str, Any]) -> dict[str, Any]: ...

    def documents(self, document: Any) -> Sequence[File]: ...

    def markdown(self, document: Any) -> str: ...

    def build_pack(self, spec: Any) -> Any:
        """The agenda pack's PDF (handlers.pack_spec.PackSpec in, BuiltPack out)."""
        ...


EMAIL = "email"  # the target kind of an email: its target is the address, its payload bot.email.compose's
FILE_ID = "_file_id"  # a files.upload payload's stored file (store.files), read by the sender as it uploads it


class QueuedMessage(NamedTuple):
    """A message to queue: to a user's DM or a channel, the template and its data, and its outbox key."""

    target_kind: str  # "user" or "channel"
    target: str
    template: str
    data: dict[str, Any]
    key: str


class ClaimedMessage(NamedTuple):
    """A message claimed for delivery, detached from the session that claimed it."""

    id: int
    target_kind: str
    target: str
    payload: dict[str, Any]
    attempts: int


class PostedMessage(NamedTuple):
    """Where Slack put a message the bot posted."""

    channel: str
    ts: str


class MessageState(NamedTuple):
    """Where a message stands: sent, failed (and why) or pending (until when)."""

    id: int
    status: OutboxStatus
    last_error: str | None
    next_attempt_at: dt.datetime


class Outbox:
    """Queues rendered messages in the caller's transaction (the handlers' and jobs' notifier)."""

    def __init__(self, session: Session, render: Render, now: Callable[[], dt.datetime], *,
                 hold: dt.timedelta | None = None, due_now: Callable[[], dt.datetime] | None = None,
                 retention: dt.timedelta = DEFAULT_RETENTION, links: Any = None) -> None:
        self._session = session
        self.links = links  # handlers.links.Links: the addresses messages carry (LSPBOT_PUBLIC_URL)
        self.retention = retention  # how long delivered payloads are kept (the purge-outbox job)
        self._render_message = render
        self._names = session_names(session)  # email-only members named in what it renders
        self._now = now
        self._due_now = due_now or now  # the outbox's clock (the real one in a running bot)
        # Held: queued as claimed for this long, so no sender takes them; the one that queued them delivers them
        # itself (the console, which prints its own messages and leaves everyone else's to the bot).
        self._hold = hold
        self.queued = 0
        self.keys: list[str] = []  # of the messages queued (a key queued before is not queued again)

    def to_user(self, user_id: str, template: str, data: dict[str, Any], *, key: str | None = None) -> None:
        self._enqueue("user", user_id, template, data, key)

    def to_channel(self, channel_id: str, template: str, data: dict[str, Any], *, key: str | None = None,
                   thread_of: str | None = None) -> None:
        """Queue a post into a channel; `thread_of`: the key of an earlier post to the same channel, whose thread
        this one goes into (its `thread_ts` is filled in by the sender once that post has gone)."""
        payload = self._render(template, data)
        if thread_of:
            payload = dict(payload, _thread_of=thread_of)
        self._enqueue_payload("channel", channel_id, payload, key or f"adhoc:{uuid.uuid4()}")

    def update_message(self, channel_id: str, ts: str, template: str, data: dict[str, Any], *,
                       key: str | None = None, of: str | None = None) -> None:
        """Queue a `chat.update` of a message the bot posted (so a clicked button shows the new state). Without its
        `ts` (not known yet), `of` names the post by its key, and the sender fills in where Slack put it."""
        payload = dict(self._render(template, data), _method="chat.update", channel=channel_id, ts=ts)
        if of and not ts:
            payload["_ts_of"] = of
        self._enqueue_payload("channel", channel_id, payload, key or f"update:{uuid.uuid4()}")

    def file_to_user(self, user_id: str, filename: str, content: bytes, *, title: str = "",
                     key: str | None = None) -> None:
        """Queue a file upload into the user's DM with the bot."""
        payload = {"_method": "files.upload", "filename": filename, "content_hex": content.hex(),
                   "title": title or filename}
        self._enqueue_payload("user", user_id, payload, key or f"file:{uuid.uuid4()}")

    def stored_file_to_user(self, user_id: str, file_id: int, filename: str, *, title: str = "", comment: str = "",
                            key: str | None = None) -> None:
        """Queue an upload into the user's DM of a file kept in the store (store.files), by its id: the payload
        names it, and the sender reads its bytes as it uploads it (a pack of many megabytes is not copied into
        the outbox)."""
        self._enqueue_payload("user", user_id, stored_upload(file_id, filename, title, comment),
                              key or f"file:{uuid.uuid4()}")

    def stored_file_to_channel(self, channel_id: str, file_id: int, filename: str, *, title: str = "",
                               comment: str = "", key: str | None = None) -> None:
        """`stored_file_to_user` into a channel."""
        self._enqueue_payload("channel", channel_id, stored_upload(file_id, filename, title, comment),
                              key or f"file:{uuid.uuid4()}")

    def _render(self, template: str, data: dict[str, Any]) -> dict[str, Any]:
        with naming(self._names):
            return self._render_message(template, data)

    def build_pack(self, spec: Any) -> Any:
        """The agenda pack built from its description (handlers.pack_spec.PackSpec → BuiltPack)."""
        return self._render_message.build_pack(spec)

    def document_to_user(self, user_id: str, document: Any, *, key: str) -> None:
        """Render a document (handlers.base.Document: Word, Markdown, charts) and queue its files into the user's DM,
        each keyed `<key>:<what follows the document's base name>` (`<key>:docx`, `<key>:md`)."""
        self.document_to_users([(user_id, key)], document)

    def document_to_users(self, recipients: Sequence[tuple[str, str]], document: Any) -> None:
        """`document_to_user` for each (user id, key) of `recipients`, the document rendered once for them all."""
        files = self._render_message.documents(document)
        for user_id, key in recipients:
            for file in files:
                suffix = file.filename.removeprefix(document.basename).lstrip(".-") or file.filename
                self.file_to_user(user_id, file.filename, file.content, title=file.title, key=f"{key}:{suffix}")

    def document_to_channel(self, channel_id: str, document: Any, *, key: str,
                            formats: tuple[str, ...] = ("docx",)) -> None:
        """Render a document and queue its files of the given formats (by default the Word version alone) as uploads
        into a channel, each keyed `<key>:<format>`."""
        for file in self._render_message.documents(document):
            suffix = file.filename.removeprefix(document.basename).lstrip(".-") or file.filename
            if suffix in formats:
                payload = {"_method": "files.upload", "filename": file.filename, "content_hex": file.content.hex(),
                           "title": file.title or file.filename}
                self._enqueue_payload("channel", channel_id, payload, f"{key}:{suffix}")

    def markdown(self, document: Any) -> str:
        """The Markdown of a document (handlers.base.Document), for a record kept with what is sent."""
        return self._render_message.markdown(document)

    def many(self, messages: Sequence[QueuedMessage]) -> None:
        """Queue many messages in one statement."""
        if not messages:
            return
        rows = [dict(key=key, target_kind=kind, target=target, payload=self._render(template, data))
                for kind, target, template, data, key in messages]
        keys = enqueue_many(session=self._session, rows=rows, now=self._now(), hold=self._hold,
                            due=self._due_now())
        self.queued += len(keys)
        self.keys.extend(keys)

    def _enqueue(self, kind: str, target: str, template: str, data: dict[str, Any], key: str | None) -> None:
        self._enqueue_payload(kind, target, self._render(template, data), key or f"adhoc:{uuid.uuid4()}")

    def _enqueue_payload(self, kind: str, target: str, payload: dict[str, Any], key: str) -> None:
        if enqueue(session=self._session, key=key, target_kind=kind, target=target, payload=payload, now=self._now(),
                   hold=self._hold, due=self._due_now()):
            self.queued += 1
            self.keys.append(key)


def stored_upload(file_id: int, filename: str, title: str = "", comment: str = "") -> dict[str, Any]:
    """The payload of an upload of a stored file: its id, not its bytes."""
    payload: dict[str, Any] = {"_method": "files.upload", FILE_ID: file_id, "filename": filename,
                               "title": title or filename}
    if comment:
        payload["initial_comment"] = comment
    return payload


def enqueue(
    *, session: Session, key: str, target_kind: str, target: str, payload: dict[str, Any], now: dt.datetime,
    hold: dt.timedelta | None = None, due: dt.datetime | None = None,
) -> bool:
    """Insert a message unless one with the same key exists; True if inserted. `now`: when it was queued (the bot's
    clock); `due`: from when it may be sent (the outbox's clock; default `now`). `hold`: inserted as claimed for
    that long (by whoever queues it, who delivers it)."""
    values = dict(
        key=key,
        target_kind=target_kind,
        target=target,
        payload=payload,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=due or now,
        created_at=now,
        claimed_until=(due or now) + hold if hold else None,
    )
    stmt = upsert_insert(session, OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["key"])
    # RETURNING, not rowcount: SQLAlchemy 2.1 reports no rowcount for an INSERT on PostgreSQL.
    return session.execute(stmt.returning(OutboxMessage.id)).first() is not None


def enqueue_many(*, session: Session, rows: Sequence[dict[str, Any]], now: dt.datetime,
                 hold: dt.timedelta | None = None, due: dt.datetime | None = None) -> list[str]:
    """Insert messages (dicts with key, target_kind, target, payload) in one executemany statement,
    skipping keys already queued; the keys inserted."""
    if not rows:
        return []
    table = OutboxMessage.__table__
    queued = set(session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_([r["key"] for r in rows]))))
    params = [dict(row, status=OutboxStatus.PENDING, attempts=0, next_attempt_at=due or now, created_at=now,
                   claimed_until=(due or now) + hold if hold else None)
              for row in rows if row["key"] not in queued]
    if params:
        # One executemany (no RETURNING, so no batching into pages); a key queued meanwhile is skipped.
        session.connection().execute(upsert_insert(session, table).on_conflict_do_nothing(index_elements=["key"]), params)
    return [p["key"] for p in params]


def exists(*, session: Session, key: str) -> bool:
    return (session.scalar(select(func.count()).where(OutboxMessage.key == key)) or 0) > 0


def claim(*, session: Session, now: dt.datetime, limit: int, lease: dt.timedelta,
          only: Sequence[int] | None = None, claimant: str | None = None,
          is_dead: Callable[[str], bool] | None = None) -> list[ClaimedMessage]:
    """Claim up to `limit` due messages, oldest first, for `claimant` until the lease ends.

    `now` is on the outbox's clock (the real one in a running bot, so that a process restarted with an earlier
    `LSPBOT_NOW` neither holds back what its predecessor queued nor sees its claims last longer). A claim by a
    process `is_dead` says has ended counts as run out.
    A message waits while an earlier one to the same target is still pending and either waiting for
    its retry or claimed by another worker, so each DM and channel gets its messages in order.
    `only`: these messages, and any earlier ones to their targets (which must go first)."""
    dead: list[str] = []
    if is_dead is not None:
        holders = session.scalars(
            select(OutboxMessage.claimed_by).distinct()
            .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.claimed_until >= now,
                   OutboxMessage.claimed_by.is_not(None)))
        dead = [holder for holder in holders if holder and is_dead(holder)]
    earlier = aliased(OutboxMessage)
    waiting_behind = (
        select(earlier.id)
        .where(
            earlier.target_kind == OutboxMessage.target_kind,
            earlier.target == OutboxMessage.target,
            earlier.status == OutboxStatus.PENDING,
            earlier.id < OutboxMessage.id,
            or_(earlier.next_attempt_at > now,
                and_(earlier.claimed_until >= now, or_(earlier.claimed_by.is_(None), earlier.claimed_by.not_in(dead)))
                if dead else earlier.claimed_until >= now),
        )
        .exists()
    )
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now,
                *([OutboxMessage.claimed_by.in_(dead)] if dead else [])),
            ~waiting_behind,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if only is not None:
        mine = aliased(OutboxMessage)
        ahead_of_mine = (
            select(mine.id)
            .where(mine.id.in_(list(only)), mine.target_kind == OutboxMessage.target_kind,
                   mine.target == OutboxMessage.target, mine.id > OutboxMessage.id)
            .exists()
        )
        stmt = stmt.where(or_(OutboxMessage.id.in_(list(only)), ahead_of_mine))
    if session.get_bind().dialect.name == "postgresql":
        # One claim at a time across replicas (the lock ends with this transaction): a replica claiming
        # alongside another would not see the other's uncommitted claim on an earlier message to the same
        # target and could send a later one first. (On SQLite, BEGIN IMMEDIATE already serialises claims.)
        session.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK_KEY)))
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(session.scalars(stmt))
    for row in rows:
        row.claimed_until = now + lease
        row.claimed_by = claimant
    session.flush()
    return [ClaimedMessage(row.id, row.target_kind, row.target, row.payload, row.attempts) for row in rows]


class ThreadParent(NamedTuple):
    """Where a reply's parent post stands: sent (with where Slack put it), failed, or still to go."""

    status: OutboxStatus | None  # None: no message has that key
    ts: str | None


def thread_parent(*, session: Session, key: str) -> ThreadParent:
    """The post a threaded reply (`_thread_of` in its payload) goes under, by its key."""
    row = session.execute(select(OutboxMessage.status, OutboxMessage.slack_ts).where(OutboxMessage.key == key)).first()
    return ThreadParent(row[0], row[1]) if row is not None else ThreadParent(None, None)


def posted(*, session: Session, keys: Sequence[str]) -> dict[str, PostedMessage]:
    """Where Slack put the messages with these keys that have been sent, by key."""
    if not keys:
        return {}
    return {key: PostedMessage(cast(str, channel), cast(str, ts)) for key, channel, ts in session.execute(
        select(OutboxMessage.key, OutboxMessage.slack_channel, OutboxMessage.slack_ts)
        .where(OutboxMessage.key.in_(list(keys)), OutboxMessage.status == OutboxStatus.SENT,
               OutboxMessage.slack_channel.is_not(None), OutboxMessage.slack_ts.is_not(None)))}


def mark_sent(*, session: Session, message_id: int, now: dt.datetime, channel: str | None, ts: str | None) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        # A message purged while in flight (its person erased as it went) keeps no record of where it went.
        .values(status=OutboxStatus.SENT, sent_at=now, claimed_until=None, claimed_by=None,
                slack_channel=case((OutboxMessage.purged_at.is_(None), channel), else_=None),
                slack_ts=case((OutboxMessage.purged_at.is_(None), ts), else_=None),
                attempts=OutboxMessage.attempts + 1, last_error=None)
    )


def mark_retry(*, session: Session, message_id: int, at: dt.datetime, error: str, count_attempt: bool = True) -> None:
    """Try again at `at`; a rate-limit answer (count_attempt=False) does not use up the message's attempts."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(next_attempt_at=at, claimed_until=None, claimed_by=None,
                attempts=OutboxMessage.attempts + (1 if count_attempt else 0), last_error=error[:2000])
    )


def mark_failed(*, session: Session, message_id: int, error: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=OutboxStatus.FAILED, claimed_until=None, claimed_by=None, attempts=OutboxMessage.attempts + 1,
                last_error=error[:2000])
    )


def release(*, session: Session, message_ids: Sequence[int], at: dt.datetime) -> None:
    """Give back claimed rows unsent (held behind an earlier message to the same target)."""
    if message_ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(message_ids)))
            .values(claimed_until=None, claimed_by=None, next_attempt_at=at)
        )


def purge_payloads(*, session: Session, before: dt.datetime, now: dt.datetime) -> int:
    """Empty the payload (and error text) of every message sent before `before`, and of every failed message
    created before it; the rows stay, with their key, target, status and where Slack put them, so a key is never
    queued again and a posted message can still be updated. How many were purged."""
    stmt = (update(OutboxMessage)
            .where(OutboxMessage.purged_at.is_(None),
                   or_((OutboxMessage.status == OutboxStatus.SENT) & (OutboxMessage.sent_at < before),
                       (OutboxMessage.status == OutboxStatus.FAILED) & (OutboxMessage.created_at < before)))
            .values(payload=PURGED, last_error=None, purged_at=now))
    return cast(CursorResult[Any], session.execute(stmt, execution_options={"synchronize_session": False})).rowcount or 0


def list_messages(
    *, session: Session, statuses: tuple[OutboxStatus, ...] | None = None, limit: int = 100
) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if statuses:
        stmt = stmt.where(OutboxMessage.status.in_(statuses))
    return list(session.scalars(stmt))


def retry_failed(*, session: Session, now: dt.datetime, ids: Sequence[int] | None = None) -> int:
    """Put failed messages back in the queue, due at once (by `now`, or by when they were last due if that is
    earlier, for a sender whose clock is behind this one's); the number requeued. A purged one stays failed."""
    stmt = update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.purged_at.is_(None))
    if ids:
        stmt = stmt.where(OutboxMessage.id.in_(list(ids)))
    due = case((OutboxMessage.next_attempt_at < now, OutboxMessage.next_attempt_at), else_=now)
    result = cast(CursorResult[Any], session.execute(
        stmt.values(status=OutboxStatus.PENDING, next_attempt_at=due, claimed_until=None, claimed_by=None, attempts=0)
    ))
    return result.rowcount or 0


def ids_for_keys(*, session: Session, keys: Sequence[str]) -> list[int]:
    """The ids of the messages with these keys."""
    if not keys:
        return []
    return list(session.scalars(select(OutboxMessage.id).where(OutboxMessage.key.in_(list(keys))).order_by(OutboxMessage.id)))


def files_waiting(*, session: Session) -> set[int]:
    """The stored files (store.files) that uploads not yet delivered, or failed and not yet purged, still name."""
    payloads = session.scalars(select(OutboxMessage.payload).where(
        OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.FAILED)), OutboxMessage.purged_at.is_(None)))
    return {int(p[FILE_ID]) for p in payloads if isinstance(p, dict) and isinstance(p.get(FILE_ID), int)}


def pending_with_keys(*, session: Session, keys: Sequence[str]) -> list[ClaimedMessage]:
    """The messages with these keys still pending, oldest first (those a console queued, held for it)."""
    if not keys:
        return []
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.key.in_(list(keys)),
                                                       OutboxMessage.status == OutboxStatus.PENDING)
                           .order_by(OutboxMessage.id))
    return [ClaimedMessage(row.id, row.target_kind, row.target, row.payload, row.attempts) for row in rows]


def states(*, session: Session, ids: Sequence[int]) -> list[MessageState]:
    """Where each of these messages stands."""
    if not ids:
        return []
    return [MessageState(*row) for row in session.execute(
        select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.last_error, OutboxMessage.next_attempt_at)
        .where(OutboxMessage.id.in_(list(ids))).order_by(OutboxMessage.id))]


def pending_count(*, session: Session) -> int:
    return session.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)) or 0


def status_counts(*, session: Session) -> dict[OutboxStatus, int]:
    """How many messages are pending, sent and failed."""
    return {status: count for status, count in session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))}
