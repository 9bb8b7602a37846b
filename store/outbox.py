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

from sqlalchemy import Connection, CursorResult, and_, case, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from store import reach
from store.outbox_email import EMAIL, LARGE_FILE, EmailRouting, email_key
from store.reach import EmailTo, Mail
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

    def email(self, template: str, data: dict[str, Any], message: dict[str, Any], to: EmailTo, *, links: Any,
              now: Callable[[], dt.datetime]) -> dict[str, Any] | None:
        """The email (bot.email.compose's payload) of a Slack message rendered from `template` and `data` to one
        person, their answer links made with `links` on `now`; None for an optional digest they have stopped."""
        ...

    def email_direct(self, template: str, data: dict[str, Any], to: EmailTo, *, subject: str, links: Any,
                     now: Callable[[], dt.datetime]) -> dict[str, Any]:
        """An email of its own (`email/<stem>`, no Slack message behind it)."""
        ...

    def email_files(self, files: Sequence[dict[str, Any]], to: EmailTo, *, title: str, note: str = "",
                    board: str | None = None, link: str | None = None) -> dict[str, Any]:
        """Files by email ({"filename", "content_hex"} or {"filename", "_file_id"}) with a covering note, or `link`
        in their place (too large to attach)."""
        ...


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


class Outbox(EmailRouting):
    """Queues rendered messages in the caller's transaction (the handlers' and jobs' notifier)."""

    def __init__(self, session: Session, render: Render, now: Callable[[], dt.datetime], *,
                 hold: dt.timedelta | None = None, due_now: Callable[[], dt.datetime] | None = None,
                 retention: dt.timedelta = DEFAULT_RETENTION, links: Any = None, mail: Mail | None = None) -> None:
        self._session = session
        self.links = links  # handlers.links.Links: the addresses messages carry (LSPBOT_PUBLIC_URL)
        self.mail = mail  # None: email is not set up, and nothing goes by email (store.reach)
        self.retention = retention  # how long delivered payloads are kept (the purge-outbox job)
        self._render_message = render
        # Whom DMs go to, by lspbot id (None: no such member), read once per unit of work (store.reach).
        self._recipients: dict[str, reach.Recipient | None] = {}
        self._outside: dict[int, list[str]] = {}  # each board's members outside Slack, read once (store.reach)
        names = session_names(session)
        # Members' names in what it renders and in emails (those looked up for routing are known already).
        self.names = lambda user_id: (r.name if (r := self._recipients.get(user_id)) else names(user_id))
        self._now = now
        self._due_now = due_now or now  # the outbox's clock (the real one in a running bot)
        # Held: queued as claimed for this long, so no sender takes them; the one that queued them delivers them
        # itself (the console, which prints its own messages and leaves everyone else's to the bot).
        self._hold = hold
        self.queued = 0
        self.keys: list[str] = []  # of the messages queued (a key queued before is not queued again)

    def to_user(self, user_id: str, template: str, data: dict[str, Any], *, key: str | None = None) -> None:
        """Queue a message to a person: into their Slack DM, by email (keyed `<key>:email`), or both, as they are
        reached (store.reach); to someone who cannot be reached, nothing (store.reach.unreachable_members)."""
        key = key or f"adhoc:{uuid.uuid4()}"
        where = self._route(user_id)
        if not where.slack and not where.email:
            return
        payload = self._render(template, data)
        if where.slack:
            self._enqueue_payload("user", user_id, payload, key)
        if where.email:
            email = self._email(user_id, where.email, template, data, payload)
            if email is not None:
                self._enqueue_payload(EMAIL, where.email, email, email_key(key))

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
        """Queue a file upload into the user's DM with the bot (or by email, attached, as they are reached)."""
        key = key or f"file:{uuid.uuid4()}"
        where = self._route(user_id, document=True)
        if where.slack:
            self._slack_file(user_id, filename, content, title, key)
        if where.email:
            self._email_files(user_id, where.email, [{"filename": filename, "content_hex": content.hex()}],
                              title=title or filename, key=key)

    def _slack_file(self, user_id: str, filename: str, content: bytes, title: str, key: str) -> None:
        payload = {"_method": "files.upload", "filename": filename, "content_hex": content.hex(),
                   "title": title or filename}
        self._enqueue_payload("user", user_id, payload, key)

    def stored_file_to_user(self, user_id: str, file_id: int, filename: str, *, title: str = "", comment: str = "",
                            key: str | None = None) -> None:
        """Queue an upload into the user's DM of a file kept in the store (store.files), by its id: the payload
        names it, and the sender reads its bytes as it uploads it (a pack of many megabytes is not copied into
        the outbox). By email: attached (the sender reads it likewise), or, over LARGE_FILE, a signed link into the
        board's pages in its place."""
        key = key or f"file:{uuid.uuid4()}"
        where = self._route(user_id, document=True)
        if where.slack:
            self._enqueue_payload("user", user_id, stored_upload(file_id, filename, title, comment), key)
        if where.email:
            home = reach.file_home(session=self._session, file_id=file_id)
            link = None
            if home is not None and home.size > LARGE_FILE and home.board_id is not None and home.slug \
                    and self.links is not None and getattr(self.links, "secret", None):
                recipient = self._recipients[user_id]
                link = self.links.member_entry(home.slug, home.board_id, recipient.member_id if recipient else 0,
                                               self._now)
            self._email_files(user_id, where.email, [{"filename": filename, FILE_ID: file_id}],
                              title=title or filename, note=comment, link=link, key=key)

    def stored_file_to_channel(self, channel_id: str, file_id: int, filename: str, *, title: str = "",
                               comment: str = "", key: str | None = None) -> None:
        """`stored_file_to_user` into a channel."""
        self._enqueue_payload("channel", channel_id, stored_upload(file_id, filename, title, comment),
                              key or f"file:{uuid.uuid4()}")

    def _render(self, template: str, data: dict[str, Any]) -> dict[str, Any]:
        with naming(self.names):
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
        self._lookup([user_id for user_id, _ in recipients])
        for user_id, key in recipients:
            where = self._route(user_id, document=True)
            if where.slack:
                for file in files:
                    suffix = file.filename.removeprefix(document.basename).lstrip(".-") or file.filename
                    self._slack_file(user_id, file.filename, file.content, file.title, f"{key}:{suffix}")
            if where.email:  # one email, every file attached
                self._email_files(user_id, where.email,
                                  [{"filename": f.filename, "content_hex": f.content.hex()} for f in files],
                                  title=getattr(document, "title", "") or document.basename, key=key)

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
        """Queue many messages in one statement (each to a user routed as `to_user` routes it: their people read
        in one query)."""
        if not messages:
            return
        self._lookup([m.target for m in messages if m.target_kind == "user"])
        mail = self.mail is not None
        rows = []
        for kind, target, template, data, key in messages:
            if kind != "user":
                rows.append(dict(key=key, target_kind=kind, target=target, payload=self._render(template, data)))
                continue
            where = reach.route(self._recipients[target], target, document=False, mail=mail)
            if not where.slack and not where.email:
                continue
            payload = self._render(template, data)
            if where.slack:
                rows.append(dict(key=key, target_kind=kind, target=target, payload=payload))
            if where.email and (email := self._email(target, where.email, template, data, payload)) is not None:
                rows.append(dict(key=email_key(key), target_kind=EMAIL, target=where.email, payload=email))
        keys = enqueue_many(session=self._session, rows=rows, now=self._now(), hold=self._hold,
                            due=self._due_now())
        self.queued += len(keys)
        self.keys.extend(keys)

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
    connection = session.connection()
    return connection.execute(_enqueue_statement(connection), values).first() is not None


_ENQUEUE: dict[str, Any] = {}  # by dialect


def _enqueue_statement(connection: Connection) -> Any:
    """The INSERT of one message that skips a key queued before, built once for the connection's dialect and run
    on it as Core (building it, and the ORM's handling of it, cost several times the statement). RETURNING, not
    rowcount, says whether it went in: SQLAlchemy 2.1 reports no rowcount for an INSERT on PostgreSQL."""
    name = connection.dialect.name
    if name not in _ENQUEUE:
        _ENQUEUE[name] = (upsert_insert(connection, OutboxMessage).on_conflict_do_nothing(index_elements=["key"])
                          .returning(OutboxMessage.id))
    return _ENQUEUE[name]


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
