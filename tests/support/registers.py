"""A seeded board for the register of interests' and the decisions register's direct tests: two boards, their
people and organisations, on a database per module and backend; each test's unit of work is rolled back."""

from __future__ import annotations


from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clock import FixedClock
from store import boards
from store.models import AuditRecord, Board
from tests.support import direct
from tests.support.direct import Caller, RecordingNotifier
from tests.support.settings import ADMIN, DEFAULT_NOW

CHANNEL, OTHER_CHANNEL = "CREGIST1", "CREGIST2"
CHAIR, SECRETARY, ALICE, BOB, OUTSIDER, OTHER_CHAIR = "URCHAIR", "URSECR", "URALICE", "URBOB", "UROUT", "URCHAIR2"
BOARD, OTHER_BOARD = "Register Board", "Other Register Board"


def seed(caller: Caller) -> None:
    """The board with a chair and secretary (LB Ealing), Alice (Ealing PCT), Bob (Jobcentre Plus (DWP)); the other
    board with Alice on it too."""
    steps = [
        (ADMIN, CHANNEL, "/lsp", f'board create "{BOARD}" chair:<@{CHAIR}|chair> org:"LB Ealing"'),
        (CHAIR, CHANNEL, "/lsp", f'member add <@{SECRETARY}|secretary> org:"LB Ealing" role:secretariat'),
        (CHAIR, CHANNEL, "/lsp", f'member add <@{ALICE}|alice> org:"Ealing PCT"'),
        (CHAIR, CHANNEL, "/lsp", f'member add <@{BOB}|bob> org:"Jobcentre Plus (DWP)"'),
        (ADMIN, OTHER_CHANNEL, "/lsp", f'board create "{OTHER_BOARD}" chair:<@{OTHER_CHAIR}|c2> org:"DWP"'),
        (OTHER_CHAIR, OTHER_CHANNEL, "/lsp", f'member add <@{ALICE}|alice> org:"Ealing PCT"'),
    ]
    for user, channel, command, text in steps:
        caller.as_user(user, channel)(command, text)


def seeded_fixtures() -> tuple[object, object]:
    """A register module's `sessions` and `session` fixtures, on the boards of `seed` (see
    `direct.seeded_fixtures`)."""
    return direct.seeded_fixtures(seed, channel=CHANNEL, label="registers")


def as_alice(session: Session) -> Caller:
    """Alice in the board's channel; `.as_user(...)` for the others."""
    return Caller(session, FixedClock(DEFAULT_NOW), RecordingNotifier(), ALICE, CHANNEL)


def board_named(session: Session, name: str = BOARD) -> Board:
    board = boards.get_by_name(session=session, name=name)
    assert board is not None
    return board


def audit_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditRecord)) or 0
