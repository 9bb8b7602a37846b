"""The board the fuzz tests poke at: its channel, chair and member, and its set-up on a fresh database."""

from __future__ import annotations

from bot.runtime import Runtime, run_command
from store import db
from store.models import AuditRecord
from tests.support.settings import ADMIN

CHANNEL = "CPROP01"
CHAIR = "UPCHAIR1"
MEMBER = "UPMEMB1"


def ensure_board(runtime: Runtime) -> None:
    """The board of `setup_board`, made on the first example (hypothesis runs every example on the same database)."""
    with db.session_scope(runtime.sessions) as session:
        fresh = session.query(AuditRecord).count() == 0
    if fresh:
        setup_board(runtime)


def setup_board(runtime: Runtime) -> None:
    """A board with a member, an action, a meeting and its item, a standing item, a proposal, an outcome, a project."""
    for user, command, text in (
            (ADMIN, "/lsp", f'board create "Prop" chair:<@{CHAIR}|c> org:"LB Ealing"'),
            (CHAIR, "/lsp", f'member add <@{MEMBER}|m> org:"Org"'),
            (MEMBER, "/action", "add An action to poke at"),
            (CHAIR, "/plan", "meeting add 2019-09-12 10:00"),
            (CHAIR, "/plan", 'item add 2019-09-12 "Skills strategy" lead:"LB Ealing"'),
            (CHAIR, "/plan", 'standing add "Borough Plan Performance Update" lead:"LB Ealing"'),
            (MEMBER, "/agenda", 'add "Youth services"'),
            (CHAIR, "/lsp", 'outcome add "Skills outcome" lead:"Org"'),
            (CHAIR, "/lsp", f'project add "Southall joined-up approach" lead:<@{MEMBER}|m>')):
        outcome = run_command(runtime, command, user_id=user, channel_id=CHANNEL, text=text)
        assert outcome.ok, (command, text, outcome.payload.get("text"))
