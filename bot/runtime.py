"""The running bot's parts, built once, and the edge where a request becomes a unit of work."""

from __future__ import annotations

import datetime as dt

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, OffsetClock, SystemClock
from bot.health import DatabaseHealth
from bot.render.documents import DocumentRenderer, check_template
from bot.render.environment import Renderer
from bot.render.templates import TemplateFolders, load_templates
from bot.settings import Settings
from handlers.base import Attachment, Document, DomainError, Later, Reply, Request
from handlers.links import Links
from handlers.parsing import clean_text
from handlers.router import SLASH_COMMANDS, handle_command
from store import db
from store.names import NameOf, email_member_name, naming
from store.outbox import Mail, Outbox

log = logging.getLogger("lspbot")


@dataclass
class Runtime:
    """Settings, database, renderer and clock: what every transport and job shares."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    renderer: Renderer
    clock: Clock
    wake_sender: Callable[[], None] = field(default=lambda: None)
    workspace_url: str = ""  # https://<workspace>.slack.com/, from auth.test once known (links to messages)
    # When Slack was last asked the time zone of someone it could not be kept for (no member record, no zone):
    # they are not asked again for a while, so their every command does not cost a users.info call.
    zone_lookups: dict[str, dt.datetime] = field(default_factory=dict)
    # The time zones this process knows to be on members' records, and when it learnt each (bot/slack/people.py):
    # a command from someone in it has nothing to look up after its ack.
    known_zones: dict[str, tuple[str, dt.datetime]] = field(default_factory=dict)
    # Set by the console: what its commands queue is held for it (no sender takes it) and delivered by it.
    outbox_hold: dt.timedelta | None = None
    health: DatabaseHealth = field(default_factory=DatabaseHealth)
    # The outbox's clock, of when a message is due and when a claim on it runs out: the real one in a running bot
    # (LSPBOT_NOW moves `clock` only, so a process restarted with it neither holds back what its predecessor
    # queued nor sees its claims last longer); `clock` itself when a test or the demo sets one.
    outbox_clock_: Clock | None = None
    # A request's unit of work gives up after waiting this many seconds for the database (PostgreSQL)
    request_timeout: float | None = None
    # The seen-set's own engine on PostgreSQL (db.make_seen_engine); None: `engine` serves it
    seen_engine_: Engine | None = None

    @property
    def seen_engine(self) -> Engine:
        """The engine of the HTTP gate's seen-set insert."""
        return self.seen_engine_ or self.engine

    @property
    def outbox_clock(self) -> Clock:
        return self.outbox_clock_ or self.clock

    def outbox(self, session: Session) -> Outbox:
        """The notifier of one unit of work."""
        return Outbox(session, self.renderer, self.clock.now, hold=self.outbox_hold, due_now=self.outbox_clock.now,
                      retention=self.outbox_retention, links=self.links, mail=self.mail)

    @property
    def mail(self) -> Mail | None:
        """Email, where it is set up (LSPBOT_SMTP_URL and LSPBOT_MAIL_FROM both): else nothing goes by email."""
        if self.settings.smtp_url and self.settings.mail_from:
            return Mail(self.settings.mail_from)
        return None

    @property
    def links(self) -> Links:
        """The addresses lspbot sends (on LSPBOT_PUBLIC_URL) and the key of members' signed links."""
        return Links(self.settings.public_url, self.settings.link_secret, configured=self.settings.public_url_set)

    @property
    def outbox_retention(self) -> dt.timedelta:
        """How long delivered messages' payloads are kept (LSPBOT_OUTBOX_RETENTION_DAYS)."""
        return dt.timedelta(days=self.settings.outbox_retention_days)

    def forget_connections(self) -> None:
        """PostgreSQL: drop every connection the pools keep, as an outage begins. A server that restarted or
        failed over took them all with it, and a connection used within `Timeouts.ping_after_idle` of its going
        would be given out unpinged when it is back, failing its request: the pools start afresh instead."""
        for engine in {self.engine, self.seen_engine}:
            if engine.dialect.name == "postgresql":
                engine.dispose()

    def close(self) -> None:
        if self.seen_engine_ is not None:
            self.seen_engine_.dispose()
        self.engine.dispose()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def build_runtime(settings: Settings, *, clock: Clock | None = None, migrate: bool | None = None,
                  check_schema: bool = False) -> Runtime:
    """Connect to the database (bringing a SQLite file up to date) and build the shared parts. `check_schema`:
    raise db.SchemaMismatch (one line) unless the schema is the one this code needs (`lspbot serve`, `scheduler`)."""
    engine = db.make_engine(settings.database_url, timeouts=settings.db_timeouts)
    if migrate is None:
        migrate = engine.dialect.name == "sqlite"
    try:
        if check_schema:
            db.check_schema(engine, upgrading=migrate)
        if migrate and db.current_revision(engine) != db.head_revision():
            db.upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    outbox_clock = None  # a clock given (tests, the demo) governs the leases too
    if clock is None:
        clock = OffsetClock(settings.now) if settings.now else SystemClock()
        outbox_clock = SystemClock()
    sessions = db.make_session_factory(engine, files_dir=settings.papers_dir)
    renderer = renderer_for(settings)
    renderer.names = names_in(sessions)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        renderer=renderer,
        clock=clock,
        request_timeout=settings.db_request_timeout,
        outbox_clock_=outbox_clock,
        seen_engine_=db.make_seen_engine(settings.database_url, timeouts=settings.db_timeouts),
    )
    runtime.health.on_outage = runtime.forget_connections
    return runtime


def names_in(sessions: sessionmaker[Session]) -> NameOf:
    """Email-only members' names for what is rendered outside a unit of work (a reply, after it has committed)."""
    def name_of(user_id: str) -> str | None:
        with db.session_scope(sessions) as session:
            return email_member_name(session=session, user_id=user_id)

    return name_of


def renderer_for(settings: Settings) -> Renderer:
    """Messages and documents from the shipped templates and those of LSPBOT_TEMPLATES_DIR that replace them (each
    broken one is logged, one line naming the file and the error, and the shipped one used instead)."""
    templates = TemplateFolders()
    if settings.templates_dir is not None:
        templates = load_templates(settings.templates_dir, check_template)
    return Renderer(templates=templates, documents=DocumentRenderer(templates), libreoffice=settings.libreoffice)


@dataclass
class Outcome:
    """A rendered reply, ready for any transport."""

    payload: dict[str, Any]
    in_channel: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    ok: bool = True
    open_modal: dict[str, Any] | None = None
    documents: list[Document] = field(default_factory=list)  # to render and send after the ack
    error: DomainError | None = None  # the refusal behind a failed outcome (modals show it on its field)
    show: bool = False  # shown to the clicker even where a button's message updates itself
    queued: list[str] = field(default_factory=list)  # the keys of the messages it queued in the outbox
    later: list[Later] = field(default_factory=list)  # work to run after the ack (run_later)


def is_database_unavailable(exc: BaseException) -> bool:
    """A lost, refused or silent database connection, or no connection free in time (as opposed to a bug)."""
    return isinstance(exc, OperationalError | PoolTimeout) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def unavailable_outcome(runtime: Runtime) -> Outcome:
    return error_outcome(
        runtime,
        "Temporarily unavailable",
        "The board's database could not be reached just now, so nothing was changed. Please try again in a minute.",
    )


def error_outcome(runtime: Runtime, title: str, message: str, examples: list[str] | None = None) -> Outcome:
    payload = runtime.renderer("slack/error.json.j2", {"title": title, "message": message, "examples": examples or []})
    return Outcome(payload=payload, ok=False)


def run_in_unit_of_work(
    runtime: Runtime,
    work: Callable[[Session, Outbox], Reply],
    *,
    what: str,
) -> Outcome:
    """Run domain work in one transaction, render its reply, commit; turn refusals into error replies.

    On PostgreSQL it may spend `runtime.request_timeout` seconds in all waiting for the database, connecting and
    COMMIT included: a database that does not answer in time gets the connection closed (the transaction dies with it, and no COMMIT is ever
    sent on it) and the person a "temporarily unavailable" reply. While the database is known to be down (the
    health probe runs) that reply comes at once."""
    if runtime.health.fail_fast:
        log.debug("database unavailable: %s refused without trying", what)
        return unavailable_outcome(runtime)
    queued: list[str] = []
    committing = False
    try:
        with db.deadline(runtime.request_timeout), db.session_scope(runtime.sessions, one_request=True) as session:
            outbox = runtime.outbox(session)
            reply = work(session, outbox)
            with naming(outbox.names):  # members named on this unit of work's session (SQLite: no second one)
                payload = runtime.renderer(reply.template, reply.data)
            queued = outbox.keys
            session.flush()  # every change sent: from here on only the COMMIT can fail
            committing = True
    except DomainError as exc:
        refused = error_outcome(runtime, exc.title, exc.message, exc.examples)
        refused.error = exc
        return refused
    except Exception as exc:
        if is_database_unavailable(exc):
            runtime.health.failed(what, exc)
            if committing:  # the COMMIT went, or may have gone: whether it was applied is not known
                return error_outcome(
                    runtime,
                    "Not confirmed",
                    "The board's database stopped answering as the change was being saved, so it may or may not "
                    "have been saved. Please check before trying again.",
                )
            return unavailable_outcome(runtime)
        incident = uuid.uuid4().hex[:8]
        log.exception("unexpected error in %s (incident %s)", what, incident)
        return error_outcome(
            runtime, "Something went wrong on our side", f"Nothing was changed. Quote incident {incident} to your secretariat."
        )
    runtime.health.succeeded()
    if queued:
        runtime.wake_sender()
    return Outcome(payload=payload, in_channel=reply.in_channel, attachments=reply.attachments,
                   open_modal=reply.open_modal, documents=reply.documents, show=reply.show, queued=queued,
                   later=reply.later)


def handler_request(runtime: Runtime, session: Session, outbox: Outbox, *, user_id: str, channel_id: str | None,
                    text: str = "", values: dict[str, Any] | None = None, user_name: str | None = None) -> Request:
    """The request a handler gets from any transport (Slack, the console, an answer link's form): the person, the
    unit of work, the clock, the bot's admins, the text and form values cleaned as typed text is."""
    return Request(
        session=session,
        clock=runtime.clock,
        user_id=user_id,
        channel_id=channel_id,
        text=clean_text(text or ""),
        notify=outbox,
        admins=runtime.settings.admins,
        default_timezone=runtime.settings.timezone,
        user_name=user_name,
        values={k: clean_text(v) if isinstance(v, str) else v for k, v in (values or {}).items()},
    )


def run_handler(
    runtime: Runtime,
    handler: Callable[[Request], Reply],
    *,
    user_id: str,
    channel_id: str | None,
    text: str = "",
    values: dict[str, Any] | None = None,
    user_name: str | None = None,
    what: str | None = None,
) -> Outcome:
    """Run any handler (a command, a button, a modal submission) as `user_id` in `channel_id`."""

    def work(session: Session, outbox: Outbox) -> Reply:
        req = handler_request(runtime, session, outbox, user_id=user_id, channel_id=channel_id, text=text,
                              values=values, user_name=user_name)
        reply = handler(req)
        for attachment in reply.attachments:
            # Files go out after the ack, through the outbox, into the requester's DM with the bot.
            outbox.file_to_user(user_id, attachment.filename, attachment.content, title=attachment.title)
        return reply

    return run_in_unit_of_work(runtime, work, what=what or getattr(handler, "__name__", "handler"))


def run_command(
    runtime: Runtime,
    command: str,
    *,
    user_id: str,
    channel_id: str | None,
    text: str,
    user_name: str | None = None,
) -> Outcome:
    """Run one slash command as `user_id` in `channel_id`."""
    if command not in SLASH_COMMANDS:
        return error_outcome(runtime, "Unknown command", f"{command} is not an lspbot command.", ["/lsp help"])

    def handle(req: Request) -> Reply:
        return handle_command(command, req)

    return run_handler(runtime, handle, user_id=user_id, channel_id=channel_id, text=text, user_name=user_name,
                       what=command)


def send_documents(runtime: Runtime, user_id: str, documents: list[Document]) -> list[str]:
    """Render documents and queue them as files to the user's DM (after the ack); the keys of what was queued."""
    try:
        files = [a for document in documents for a in runtime.renderer.documents(document)]
    except Exception:
        incident = uuid.uuid4().hex[:8]
        logging.getLogger("lspbot.documents").exception("could not render documents for %s (incident %s)", user_id,
                                                        incident)
        with db.session_scope(runtime.sessions) as session:
            outbox = runtime.outbox(session)
            outbox.to_user(user_id, "slack/error.json.j2", {
                "title": "Something went wrong on our side", "examples": [],
                "message": f"The documents could not be produced. Quote incident {incident} to your secretariat."})
        runtime.wake_sender()
        return outbox.keys
    with db.session_scope(runtime.sessions) as session:
        outbox = runtime.outbox(session)
        for attachment in files:
            outbox.file_to_user(user_id, attachment.filename, attachment.content, title=attachment.title)
    runtime.wake_sender()
    return outbox.keys


def run_later(runtime: Runtime, user_id: str, channel_id: str | None, later: list[Later],
              fetch: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = None) -> list[str]:
    """Run the work a handler left for after the ack (`handlers.base.Later`), each in its own unit of work as the
    same person; a refusal or failure goes to their DM. The keys of what was queued.

    `fetch` is the transport's way to download the Slack files a `Later` names (bot/slack/files.py): its answer
    (`fetched` or `fetch_error`) is added to the work's values. A transport without one never gets such work."""
    keys: list[str] = []
    for work in later:
        what = getattr(work.handler, "__name__", "later")
        values = work.values
        if work.files:
            if fetch is None:
                raise ValueError(f"{what} needs Slack files downloaded, which this transport cannot do")
            values = {**values, **fetch(work.files)}
        outcome = run_handler(runtime, work.handler, user_id=user_id, channel_id=channel_id, values=values,
                              what=what)
        keys += outcome.queued
        if not outcome.ok:
            blocks = outcome.payload.get("blocks") or []
            with db.session_scope(runtime.sessions) as session:
                outbox = runtime.outbox(session)
                outbox.to_user(user_id, "slack/error.json.j2", {
                    "title": outcome.error.title if outcome.error else "Something went wrong on our side",
                    "message": outcome.error.message if outcome.error else _said(blocks, outcome.payload),
                    "examples": outcome.error.examples if outcome.error else []})
            keys += outbox.keys
    if keys:
        runtime.wake_sender()
    return keys


def _said(blocks: list[dict[str, Any]], payload: dict[str, Any]) -> str:
    """The words of a rendered error reply (its incident number), for saying it again in a DM."""
    texts = [b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict) and b["text"].get("text")]
    return texts[-1] if texts else str(payload.get("text") or "It could not be done.")
