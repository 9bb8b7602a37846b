"""What every handler receives and returns, and the errors it may raise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.links import Links
from handlers.pack_spec import BuiltPack, PackSpec
from store.models import Action, Role
from store.models.views import BoardView, MembershipView, MemberView


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class Notifier(Protocol):
    """Queues messages for delivery after the handler's transaction commits (store.outbox.Outbox)."""

    links: Links  # the addresses messages carry (LSPBOT_PUBLIC_URL), and members' signed links
    mail: Any  # store.outbox.Mail where email is set up, else None (email members then cannot be reached)

    def to_user(self, user_id: str, template: str, data: dict[str, Any], *, key: str | None = None) -> None: ...

    def to_email(self, user_id: str, template: str, data: dict[str, Any], *, key: str,
                 unconfirmed_ok: bool = False, subject: str = "") -> bool: ...

    def email_confirmation(self, user_id: str, link: str, *, key: str, board: str | None = None,
                           by: str = "", days: int = 14) -> bool: ...

    def to_board_outside_slack(self, board_id: int, template: str, data: dict[str, Any], *, key: str) -> None: ...

    def stored_file_to_board_outside_slack(self, board_id: int, file_id: int, filename: str, *, title: str = "",
                                           key: str) -> None: ...

    def document_to_board_outside_slack(self, board_id: int, document: Document, *, key: str) -> None: ...

    def to_channel(self, channel_id: str, template: str, data: dict[str, Any], *, key: str | None = None,
                   thread_of: str | None = None) -> None:
        """Post into a channel; `thread_of` names (by key) an earlier post to it whose thread this one goes into."""
        ...

    def update_message(self, channel_id: str, ts: str, template: str, data: dict[str, Any], *,
                       key: str | None = None, of: str | None = None) -> None:
        """Update a message the bot posted; with `ts` empty, the post whose outbox key is `of`."""
        ...

    def file_to_user(self, user_id: str, filename: str, content: bytes, *, title: str = "",
                     key: str | None = None) -> None: ...

    def stored_file_to_user(self, user_id: str, file_id: int, filename: str, *, title: str = "", comment: str = "",
                            key: str | None = None) -> None:
        """Upload a file kept in the store (store.files) into the user's DM, by its id (a pack, a paper)."""
        ...

    def stored_file_to_channel(self, channel_id: str, file_id: int, filename: str, *, title: str = "",
                               comment: str = "", key: str | None = None) -> None:
        """Upload a file kept in the store into a channel, by its id."""
        ...

    def build_pack(self, spec: PackSpec) -> BuiltPack:
        """The agenda pack's PDF built from its description (bot/render/pack.py; LibreOffice for Word papers)."""
        ...

    def document_to_user(self, user_id: str, document: Document, *, key: str) -> None:
        """Render a document and post its files (Word, Markdown) into the user's DM."""
        ...

    def document_to_users(self, recipients: Sequence[tuple[str, str]], document: Document) -> None:
        """Render a document once and post its files into each DM of `recipients`, (user id, key) pairs."""
        ...

    def document_to_channel(self, channel_id: str, document: Document, *, key: str,
                            formats: tuple[str, ...] = ("docx",)) -> None:
        """Render a document and post its files of the given formats (the Word version) into a channel."""
        ...

    def markdown(self, document: Document) -> str:
        """The Markdown of a document, for a record kept with what is sent (a published agenda)."""
        ...


MANAGING_ROLES = (Role.CHAIR, Role.VICE_CHAIR, Role.SECRETARIAT)


@dataclass
class Actor:
    """The person behind a request, as seen from one board."""

    board: BoardView
    member: MemberView | None
    membership: MembershipView | None
    is_admin: bool
    left: bool = False  # was on the board and was taken off it

    @property
    def not_on_board(self) -> str:
        """Why someone not on the board may not act there: never there, or no longer."""
        if self.left:
            return (f"You are no longer on {self.board.name}, so this is not yours to act on any more. If that is a "
                    "mistake, its chair or secretariat can add you back with `/lsp member add`.")
        return f"You are not a member of {self.board.name}. Ask its chair or secretariat to add you."

    @property
    def role(self) -> Role | None:
        return self.membership.role if self.membership else None

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    @property
    def manages_board(self) -> bool:
        """Chair, vice-chair, secretariat, or an admin."""
        return self.is_admin or self.role in MANAGING_ROLES

    @property
    def is_chair(self) -> bool:
        return self.is_admin or self.role == Role.CHAIR

    def may_edit_action(self, action: Action) -> bool:
        """The owner, the chair, the vice-chair, the secretariat or an admin."""
        if self.manages_board:
            return True
        return self.member is not None and self.is_member and action.owner_id == self.member.id


@dataclass
class Token:
    value: str
    raw: str
    quoted: bool = False
    start: int = 0
    end: int = 0
    after_option: str | None = None  # the option whose unquoted value this unquoted word directly follows


@dataclass
class Parsed:
    """Positional tokens and `key:value` options."""

    args: list[Token] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    """A command as the domain sees it: who, where, what, when, and the unit of work."""

    session: Session
    clock: Clock
    user_id: str
    channel_id: str | None
    text: str
    notify: Notifier
    admins: frozenset[str] = frozenset()
    default_timezone: str = "Europe/London"
    user_name: str | None = None
    values: dict[str, Any] = field(default_factory=dict)  # form values from a modal, if any
    rest: str = ""  # a command's text after its subcommand words (and its `board:` option)
    parsed: Parsed = field(default_factory=Parsed)  # `rest` read for the command's declared options
    _board: BoardView | None = None
    _actor: Actor | None = None

    def on_board(self, board: BoardView, actor: Actor) -> None:
        """Set by the dispatcher: the board the command acts on, and the person as that board sees them."""
        self._board, self._actor = board, actor

    @property
    def chosen_board(self) -> BoardView | None:
        """The board the dispatcher resolved, if it did (a form opened for a `board:` named with the command)."""
        return self._board

    @property
    def board(self) -> BoardView:
        if self._board is None:
            raise RuntimeError("the command is not declared as acting on a board")
        return self._board

    @property
    def actor(self) -> Actor:
        if self._actor is None:
            raise RuntimeError("the command is not declared as acting on a board")
        return self._actor

    @property
    def is_admin(self) -> bool:
        return self.user_id in self.admins

    def now(self) -> dt.datetime:
        return self.clock.now()

    def today(self, timezone: str | None = None) -> dt.date:
        return self.clock.now().astimezone(ZoneInfo(timezone or self.default_timezone)).date()


@dataclass
class Attachment:
    """A file to send with a reply (a document, a calendar)."""

    filename: str
    content: bytes
    title: str = ""


@dataclass
class Chart:
    """A chart for a document: its kind (what bot/render/charts.py draws), file name and data."""

    kind: str
    filename: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Document:
    """A document described as data: its template name (`templates/docs/<template>.docx` makes the Word version,
    `<template>.md.j2` the Markdown, both from `data`), the files' base name, a title and its charts (.png).
    A Word file's properties carry the board's name as its title, the document's title as its subject, and
    "lspbot" as its author.

    Handlers and jobs gather the data; bot/render makes the files. For a command that is after the ack, so slow
    rendering (Word, matplotlib) never holds up Slack's 3-second acknowledgement.
    """

    template: str
    data: dict[str, Any]
    basename: str
    title: str = ""
    charts: list[Chart] = field(default_factory=list)
    board: str = ""


@dataclass
class Later:
    """Work a handler leaves for after Slack's acknowledgement, for what takes seconds (building the agenda pack,
    downloading a paper): `handler` runs as the same person, in a unit of work of its own, with `values` as its
    form values; it says what it has to say through its notifier (its reply is not shown), and a refusal goes to
    the person's DM.

    `files` are Slack files ({"id", "name", "size"}) a form's submission carries: the transport downloads them
    before `handler` runs and adds to its values `fetched` (each file's id, name, content, pages, mimetype) or
    `fetch_error` (why one could not be). Only Slack's transport can: no command of the console or the CLI leaves
    such work."""

    handler: Callable[[Request], Reply]
    values: dict[str, Any] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Reply:
    """A template name and its data; the transport renders and sends it."""

    template: str
    data: dict[str, Any] = field(default_factory=dict)
    in_channel: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    open_modal: dict[str, Any] | None = None  # a view to open instead of (or before) replying
    documents: list[Document] = field(default_factory=list)  # rendered and sent as files after the ack
    show: bool = False  # a button whose message updates itself still shows this reply (a stale click's answer)
    later: list[Later] = field(default_factory=list)  # run after the ack (see `Later`)


class DomainError(Exception):
    """An expected refusal: shown to the user as an ephemeral error, nothing written."""

    title = "Sorry, that didn't work"

    def __init__(self, message: str, *, examples: tuple[str, ...] | list[str] = (), field: str | None = None,
                 title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title:  # a heading that fits this refusal better than its kind's
            self.title = title
        self.examples = list(examples)
        self.field = field


class UsageError(DomainError):
    title = "Not quite"


class InvalidInput(DomainError):
    title = "That needs fixing"


class NotFound(DomainError):
    title = "Not found"


class Forbidden(DomainError):
    title = "Not allowed"


class Conflict(DomainError):
    title = "Already done"
