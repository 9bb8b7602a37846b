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
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, OffsetClock, SystemClock
from bot.render.documents import DocumentRenderer, check_template
from bot.render.environment import Renderer
from bot.render.templates import TemplateFolders, load_templates
from bot.settings import Settings
from handlers.base import Attachment, Document, DomainError, Reply, Request
from handlers.parsing import clean_text
from handlers.router import SLASH_COMMANDS, handle_command
from store import db
from store.outbox import Outbox

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
    # Set by the console: what its commands queue is held for it (no sender takes it) and delivered by it.
    outbox_hold: dt.timedelta | None = None

    def outbox(self, session: Session) -> Outbox:
        """The notifier of one unit of work."""
        return Outbox(session, self.renderer, self.clock.now, hold=self.outbox_hold, retention=self.outbox_retention)

    @property
    def outbox_retention(self) -> dt.timedelta:
        """How long delivered messages' payloads are kept (LSPBOT_OUTBOX_RETENTION_DAYS)."""
        return dt.timedelta(days=self.settings.outbox_retention_days)

    def close(self) -> None:
        self.engine.dispose()


def build_runtime(settings: Settings, *, clock: Clock | None = None, migrate: bool | None = None) -> Runtime:
    """Connect to the database (bringing a SQLite file up to date) and build the shared parts."""
    engine = db.make_engine(settings.database_url)
    if migrate is None:
        migrate = engine.dialect.name == "sqlite"
    if migrate:
        db.upgrade(engine)
    if clock is None:
        clock = OffsetClock(settings.now) if settings.now else SystemClock()
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=db.make_session_factory(engine),
        renderer=renderer_for(settings),
        clock=clock,
    )


def renderer_for(settings: Settings) -> Renderer:
    """Messages and documents from the shipped templates and those of LSPBOT_TEMPLATES_DIR that replace them (each
    broken one is logged, one line naming the file and the error, and the shipped one used instead)."""
    templates = TemplateFolders()
    if settings.templates_dir is not None:
        templates = load_templates(settings.templates_dir, check_template)
    return Renderer(templates=templates, documents=DocumentRenderer(templates))


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


def is_database_unavailable(exc: BaseException) -> bool:
    """A lost or refused database connection (as opposed to a bug)."""
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def error_outcome(runtime: Runtime, title: str, message: str, examples: list[str] | None = None) -> Outcome:
    payload = runtime.renderer("slack/error.json.j2", {"title": title, "message": message, "examples": examples or []})
    return Outcome(payload=payload, ok=False)


def run_in_unit_of_work(
    runtime: Runtime,
    work: Callable[[Session, Outbox], Reply],
    *,
    what: str,
) -> Outcome:
    """Run domain work in one transaction, render its reply, commit; turn refusals into error replies."""
    queued: list[str] = []
    try:
        with db.session_scope(runtime.sessions) as session:
            outbox = runtime.outbox(session)
            reply = work(session, outbox)
            payload = runtime.renderer(reply.template, reply.data)
            queued = outbox.keys
    except DomainError as exc:
        refused = error_outcome(runtime, exc.title, exc.message, exc.examples)
        refused.error = exc
        return refused
    except Exception as exc:
        if is_database_unavailable(exc):
            log.warning("database unavailable during %s: %s", what, exc.__class__.__name__)
            return error_outcome(
                runtime,
                "Temporarily unavailable",
                "The board's database could not be reached just now, so nothing was changed. "
                "Please try again in a minute.",
            )
        incident = uuid.uuid4().hex[:8]
        log.exception("unexpected error in %s (incident %s)", what, incident)
        return error_outcome(
            runtime, "Something went wrong on our side", f"Nothing was changed. Quote incident {incident} to your secretariat."
        )
    if queued:
        runtime.wake_sender()
    return Outcome(payload=payload, in_channel=reply.in_channel, attachments=reply.attachments,
                   open_modal=reply.open_modal, documents=reply.documents, show=reply.show, queued=queued)


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
        req = Request(
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
