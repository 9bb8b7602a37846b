"""The answer links' pages for the tests: the bot's WSGI app (the Slack gate, the board's pages and /a/…) on this
test's runtime and clock, served by waitress in a thread, and a board with an email-only partner on it."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from bot.runtime import Runtime, run_command
from handlers.links import Answer
from store import db
from store.models import Action, Board, Delivery, Meeting, Member
from tests.support.settings import ADMIN

CHANNEL = "CANSWER1"
CHAIR, SECRETARY, JANE, BOB, CAROL = "UACHAIR1", "UASECR1", "UAJANE1", "UABOB1", "UACAROL1"
JANE_MAIL_ID = "mail:00000000ab"  # an email-only member's id
JANE_EMAIL = "jane.smith@nhs.net"
PREVIOUS = dt.date(2019, 7, 10)  # held before the tests' clock (16 July 2019)
NEXT = dt.date(2019, 9, 12)


@dataclass
class AnswerBoard:
    """The board's ids: its members (Jane by email only), the next meeting, actions and a project Jane leads."""

    board_id: int
    slug: str
    jane: int
    bob: int
    chair: int
    carol: int
    next_meeting: int
    jane_action: int
    bob_action: int


@contextmanager
def serving(wsgi: Any) -> Iterator[str]:
    """`wsgi` served by waitress (as `lspbot serve` serves it) on a free port, in a thread; its base URL."""
    from waitress.server import create_server

    server = create_server(wsgi, host="127.0.0.1", port=0, threads=4, ident="lspbot")
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except (OSError, ValueError):  # its sockets closed under its loop as it stops
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, name="answer-pages", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stopping.set()
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(5)


def seed_answer_board(runtime: Runtime) -> AnswerBoard:
    """A board chaired in Slack, with a secretary, Jane Smith of Ealing CCG (by email only, her address confirmed),
    Carol of the same organisation, and Bob; a meeting held on PREVIOUS that raised Jane's and Bob's actions, the
    next on NEXT; a project Jane leads."""
    for user, command, text in (
            (ADMIN, "/lsp", f'board create "Answers Board" chair:<@{CHAIR}|chair> org:"LB Ealing"'),
            (CHAIR, "/lsp", f'member add <@{SECRETARY}|sec> org:"LB Ealing" role:secretariat'),
            (CHAIR, "/lsp", f'member add <@{JANE}|jane> org:"Ealing CCG"'),
            (CHAIR, "/lsp", f'member add <@{CAROL}|carol> org:"Ealing CCG"'),
            (CHAIR, "/lsp", f'member add <@{BOB}|bob> org:"Metropolitan Police"'),
            (JANE, "/action", "add Draft the skills report by 2019-08-01"),
            (BOB, "/action", "add Share the police data by 2019-08-01"),
            (CHAIR, "/plan", f"meeting add {NEXT.isoformat()} 10:00"),
            (CHAIR, "/lsp", f'project add "Skills pathway" lead:<@{JANE}|jane>')):
        outcome = run_command(runtime, command, user_id=user, channel_id=CHANNEL, text=text)
        assert outcome.ok, (command, text, outcome.payload.get("text"))
    with db.session_scope(runtime.sessions) as s:
        board = s.scalars(select(Board).where(Board.channel_id == CHANNEL)).one()
        held = Meeting(board_id=board.id, date=PREVIOUS, venue="Perceval House", created_at=runtime.clock.now())
        s.add(held)
        s.flush()
        member = {m.slack_user_id: m for m in s.scalars(select(Member))}
        jane = member[JANE]
        jane.slack_user_id, jane.display_name, jane.email = JANE_MAIL_ID, "Jane Smith", JANE_EMAIL
        jane.email_confirmed_at, jane.delivery = runtime.clock.now(), Delivery.EMAIL
        member[CAROL].display_name, member[BOB].display_name = "Carol Jones", "Bob Stone"
        actions = {a.owner_id: a for a in s.scalars(select(Action).where(Action.board_id == board.id))}
        for action in actions.values():
            action.meeting_id = held.id
        nxt = s.scalars(select(Meeting).where(Meeting.board_id == board.id, Meeting.date == NEXT)).one()
        return AnswerBoard(board.id, board.slug, jane.id, member[BOB].id, member[CHAIR].id, member[CAROL].id, nxt.id,
                           actions[jane.id].id, actions[member[BOB].id].id)


def answer_path(runtime: Runtime, kind: Answer, member_id: int, object_id: int, *, at: dt.datetime | None = None,
                email: str | None = None) -> str:
    """The path of an answer link (`/a/<token>`), signed now (or at `at`)."""
    when = at or runtime.clock.now()
    return urlsplit(runtime.links.answer(kind, member_id, object_id, lambda: when, email=email)).path
