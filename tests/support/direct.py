"""Handlers called directly, without HTTP or Bolt: a `Request` on a session, and a notifier that keeps what it gets."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.render.pack import PackBuilder
from handlers.base import Clock, Reply, Request
from handlers.links import Links
from handlers.catalogue import REGISTRY
from handlers.registry import dispatch
from store import db
from tests.support.databases import backends, make_database
from tests.support.settings import ADMIN, DEFAULT_NOW


@dataclass
class Sent:
    """One message a handler asked to send."""

    kind: str  # "user", "channel", "update" or "file"
    target: str
    template: str
    data: dict[str, Any]
    key: str | None = None
    thread_of: str | None = None  # the key of the post whose thread it goes into


@dataclass
class RecordingNotifier:
    """The `Notifier` a handler sends through, keeping each message instead of queueing it in the outbox."""

    sent: list[Sent] = field(default_factory=list)
    links: Links = field(default_factory=lambda: Links("https://lsp.example.org", "a test key"))
    mail: Any = None  # store.outbox.Mail: email set up (None: not)
    libreoffice: str | None = None  # the soffice the packs are built with (None: the one on the PATH)
    packs: list[Any] = field(default_factory=list)  # the specs of the packs built (handlers.pack_spec.PackSpec)

    def to_user(self, user_id: str, template: str, data: dict[str, Any], *, key: str | None = None) -> None:
        self.sent.append(Sent("user", user_id, template, data))

    def to_channel(self, channel_id: str, template: str, data: dict[str, Any], *, key: str | None = None,
                   thread_of: str | None = None) -> None:
        self.sent.append(Sent("channel", channel_id, template, data, key, thread_of))

    def update_message(self, channel_id: str, ts: str, template: str, data: dict[str, Any], *,
                       key: str | None = None, of: str | None = None) -> None:
        self.sent.append(Sent("update", f"{channel_id}/{ts or of}", template, data, key))

    def file_to_user(self, user_id: str, filename: str, content: bytes, *, title: str = "",
                     key: str | None = None) -> None:
        self.sent.append(Sent("file", user_id, filename, {"title": title, "size": len(content)}))

    def stored_file_to_user(self, user_id: str, file_id: int, filename: str, *, title: str = "", comment: str = "",
                            key: str | None = None) -> None:
        self.sent.append(Sent("file", user_id, filename, {"title": title, "file_id": file_id, "comment": comment},
                              key))

    def stored_file_to_channel(self, channel_id: str, file_id: int, filename: str, *, title: str = "",
                               comment: str = "", key: str | None = None) -> None:
        self.sent.append(Sent("file", channel_id, filename, {"title": title, "file_id": file_id, "comment": comment},
                              key))

    def build_pack(self, spec: Any) -> Any:
        """A real pack (bot/render/pack.py), with `libreoffice` as LSPBOT_LIBREOFFICE would give it."""
        self.packs.append(spec)
        return PackBuilder(self.libreoffice).build(spec)

    def document_to_user(self, user_id: str, document: Any, *, key: str) -> None:
        self.sent.extend(Sent("file", user_id, f"{document.basename}.{f}", {"title": document.title,
                                                                            "document": document})
                         for f in ("docx", "md"))

    def document_to_users(self, recipients: Sequence[tuple[str, str]], document: Any) -> None:
        for user_id, key in recipients:
            self.document_to_user(user_id, document, key=key)

    def document_to_channel(self, channel_id: str, document: Any, *, key: str,
                            formats: tuple[str, ...] = ("docx",)) -> None:
        self.sent.extend(Sent("file", channel_id, f"{document.basename}.{f}", {"title": document.title})
                         for f in formats)

    def to_email(self, user_id: str, template: str, data: dict[str, Any], *, key: str,
                 unconfirmed_ok: bool = False, subject: str = "") -> bool:
        self.sent.append(Sent("email", user_id, template, data, key))
        return True

    def email_confirmation(self, user_id: str, link: str, *, key: str, board: str | None = None,
                           by: str = "", days: int = 14) -> bool:
        return self.to_email(user_id, "email/confirm_address", {"link": link, "board": board, "by": by}, key=key,
                             unconfirmed_ok=True)

    def to_board_outside_slack(self, board_id: int, template: str, data: dict[str, Any], *, key: str) -> None:
        self.sent.append(Sent("outside", f"board:{board_id}", template, data, key))

    def stored_file_to_board_outside_slack(self, board_id: int, file_id: int, filename: str, *, title: str = "",
                                           key: str) -> None:
        self.sent.append(Sent("outside-file", f"board:{board_id}", filename, {"title": title, "file_id": file_id},
                              key))

    def document_to_board_outside_slack(self, board_id: int, document: Any, *, key: str) -> None:
        self.sent.append(Sent("outside-file", f"board:{board_id}", document.basename, {"title": document.title}, key))

    def markdown(self, document: Any) -> str:
        return ""

    def to(self, target: str) -> list[Sent]:
        """What was sent to one person or channel, in order."""
        return [s for s in self.sent if s.target == target]


@dataclass
class Caller:
    """Runs slash commands through the registry's dispatcher as one person, in one channel, on one session."""

    session: Session
    clock: Clock
    notify: RecordingNotifier
    user_id: str
    channel_id: str | None
    admins: frozenset[str] = frozenset({ADMIN})

    def request(self, text: str = "", **values: Any) -> Request:
        return Request(session=self.session, clock=self.clock, user_id=self.user_id, channel_id=self.channel_id,
                       text=text, notify=self.notify, admins=self.admins, values=values)

    def __call__(self, command: str, text: str = "") -> Reply:
        """`command` (`/action`) with `text`, routed, checked and parsed by its declaration, then handled."""
        return dispatch(REGISTRY, command, self.request(text))

    def as_user(self, user_id: str, channel_id: str | None = None) -> Caller:
        return Caller(self.session, self.clock, self.notify, user_id,
                      self.channel_id if channel_id is None else channel_id, self.admins)


def seeded_sessions(backend: str, tmp_path_factory: pytest.TempPathFactory, seed: Callable[[Caller], None], *,
                    channel: str, label: str) -> Iterator[sessionmaker[Session]]:
    """A migrated database on `backend` with what `seed` does (as the admin, in `channel`) committed: a module's
    `sessions` fixture yields from it, so the module's tests share one seeded database per backend."""
    database = make_database(backend, tmp_path_factory.mktemp(label), migrated=True)
    engine = db.make_engine(database.url)
    factory = db.make_session_factory(engine)
    with db.session_scope(factory) as session:
        seed(Caller(session, FixedClock(DEFAULT_NOW), RecordingNotifier(), ADMIN, channel))
    yield factory
    engine.dispose()
    database.drop()


def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One test's unit of work, rolled back after it so every test starts from the seeded data."""
    session = sessions()
    yield session
    session.rollback()
    session.close()
    assert sessions.kw["bind"].pool.checkedout() == 0, "a database connection was leaked"


def seeded_fixtures(seed: Callable[[Caller], None], *, channel: str, label: str) -> tuple[Any, Any]:
    """A test module's `sessions` fixture (a migrated database per module and backend, with what `seed` does
    committed: `seeded_sessions`) and its `session` fixture (one test's unit of work on it, rolled back after:
    `unit_of_work`). The module assigns both: `sessions, session = seeded_fixtures(_seed, channel=…, label=…)`."""

    @pytest.fixture(scope="module", params=backends(), name="sessions")
    def sessions(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
        yield from seeded_sessions(request.param, tmp_path_factory, seed, channel=channel, label=label)

    @pytest.fixture(name="session")
    def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
        yield from unit_of_work(sessions)

    return sessions, session
