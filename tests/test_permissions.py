"""Who may do what: every slash command and subcommand, and every button, against every role, allowed or
refused, and a refusal writes nothing (every table counted before and after, audit_log and the outbox included).

Each case runs in-process through `run_command` (the same edge `lspbot serve` uses) inside a savepoint
of an outer transaction that is rolled back afterwards, so every case starts from the same board. A
command or subcommand the routers know (tests/catalogue.py reads them from the code) without a row
here fails the test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

from slack_bolt import BoltRequest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.app import create_app
from bot.runtime import Outcome, Runtime, run_command
from bot.slack_api import make_client
from handlers.base import Forbidden
from handlers.ids import ActionId
from handlers.router import COMMANDS
from store import db
from store.models import Action, AgendaProposal, Board, Meeting
from tests.catalogue import uncovered
from tests.conftest import ADMIN, BOT_TOKEN, sign
from tests.fake_slack import FakeSlack
from tests.integrity import changed_tables, table_counts
from tests.test_fuzz_payloads import Inline

CHANNEL = "CPERM01"
PEOPLE = {
    "non-member": "UNONMEM1",
    "member": "UMEMBER1",
    "owner": "UOWNER01",  # a member who owns action #1, proposed A1 and leads the project
    "vice-chair": "UVICE001",
    "secretariat": "USECRET1",
    "chair": "UCHAIR01",
    "admin": ADMIN,
}
ROLES = tuple(PEOPLE)
MEMBERS = frozenset({"member", "owner", "vice-chair", "secretariat", "chair"})
READERS = MEMBERS | {"admin"}
MANAGERS = frozenset({"vice-chair", "secretariat", "chair", "admin"})
EDITORS = MANAGERS | {"owner"}  # of action #1
CHAIR = frozenset({"chair", "admin"})
EVERYONE = frozenset(ROLES)
DECIDERS = frozenset({"vice-chair", "secretariat", "chair"})  # decisions are recorded against a member
LEADS = frozenset({"owner", "vice-chair", "secretariat", "chair"})  # of the project's quarterly return


@dataclasses.dataclass(frozen=True)
class Case:
    command: str
    text: str
    allowed: frozenset[str]
    channel: str = CHANNEL

    @property
    def id(self) -> str:
        return f"{self.command} {self.text}".strip()


CASES = [
    # /lsp
    Case("/lsp", "help", EVERYONE),
    Case("/lsp", "", EVERYONE),
    Case("/lsp", 'board create "Second Board" chair:<@UCHAIR02|c2>', frozenset({"admin"}), channel="CPERM02"),
    Case("/lsp", 'member add <@UNEWBIE1|newbie> org:"Ealing PCT"', MANAGERS),
    Case("/lsp", 'member add <@UNEWBIE1|newbie> org:"Ealing PCT" role:chair', frozenset({"admin"})),
    Case("/lsp", "member list", READERS),
    Case("/lsp", "member ls", READERS),
    Case("/lsp", "member remove <@UMEMBER1>", MANAGERS),
    Case("/lsp", "member remove <@UCHAIR01>", frozenset({"admin"})),
    Case("/lsp", "board set chase_time 10:00", CHAIR),
    Case("/lsp", "board settings", READERS),
    Case("/lsp", 'outcome add "Fewer NEETs" lead:"Ealing PCT"', MANAGERS),
    Case("/lsp", "outcome list", READERS),
    Case("/lsp", "outcomes", READERS),
    Case("/lsp", 'project add "Northolt hub" lead:<@UMEMBER1|m> "Venue agreed by 30 September 2019"', MANAGERS),
    Case("/lsp", "project list", READERS),
    Case("/lsp", "projects ls", READERS),
    Case("/lsp", "report quarter 2019-Q1", READERS),
    Case("/lsp", "report annual 2019", CHAIR),
    # /action
    Case("/action", "help", EVERYONE),
    Case("/action", "add Check the figures by Friday", MEMBERS),
    Case("/action", "list all", READERS),
    Case("/action", "show #1", READERS),
    Case("/action", "update #1 Drafted, with legal now", EDITORS),
    Case("/action", "done #1 Signed off", EDITORS),
    Case("/action", "reassign #1 <@UMEMBER1|m>", EDITORS),
    Case("/action", "due #1 2019-08-30", EDITORS),
    Case("/action", "drop #1 Overtaken by events", EDITORS),
    Case("/action", "reopen #2", EDITORS),
    # /plan
    Case("/plan", "help", EVERYONE),
    Case("/plan", "", READERS),
    Case("/plan", "show all", READERS),
    Case("/plan", "cadence quarterly time:10:00", MANAGERS),
    Case("/plan", "generate 2020", MANAGERS),
    Case("/plan", 'meeting add 2019-11-14 10:00 venue:"Southall"', MANAGERS),
    Case("/plan", 'meeting edit 2019-09-12 venue:"Town Hall"', MANAGERS),
    Case("/plan", 'item add 2019-09-12 "Annual report" lead:"LB Ealing" kind:decision', MANAGERS),
    Case("/plan", "item move P1 2019-10-10", MANAGERS),
    Case("/plan", "item drop P1", MANAGERS),
    Case("/plan", "item remove P1", MANAGERS),
    Case("/plan", 'standing add "Safeguarding" lead:"LB Ealing"', MANAGERS),
    Case("/plan", "standing drop S1", MANAGERS),
    Case("/plan", "standing remove S1", MANAGERS),
    Case("/plan", "ics", READERS),
    Case("/plan", 'item drop P1 board:"Perm Board"', MANAGERS, channel="DDIRECT1"),  # from a DM, naming the board
    Case("/plan", 'item drop P1 board:"Perm Board"', MANAGERS, channel="COTHER01"),
    # /agenda
    Case("/agenda", "help", EVERYONE),
    Case("/agenda", 'add "Youth services" lead:"Ealing PCT"', MEMBERS),
    Case("/agenda", 'propose "Youth services"', MEMBERS),
    Case("/agenda", "proposals all", READERS),
    Case("/agenda", "approve A1", DECIDERS),
    Case("/agenda", "decline A1 Covered under the Borough Plan update", DECIDERS),
    Case("/agenda", "draft", MANAGERS),
    Case("/agenda", "publish", MANAGERS),
    # /update
    Case("/update", "help", EVERYONE),
    Case("/update", "Our news for the board", MEMBERS),
    Case("/update", "", MEMBERS),
    Case("/update", "list", READERS),
    Case("/update", "ls", READERS),
    Case("/update", 'quarterly "Southall" rag:green Partners mapped', LEADS),
    Case("/update", "quarterly", LEADS),
]
ALIASES = {  # other words for a subcommand that has its row (same handler)
    "/action": {"new": "add", "ls": "list", "note": "update", "close": "done"},
    "/lsp": {"q": "quarter", "quarterly": "quarter", "year": "annual", "yearly": "annual"},
}


def test_every_command_and_subcommand_has_a_row():
    assert set(COMMANDS) == {c.command for c in CASES}, "a slash command without permission rows"
    for command in COMMANDS:
        texts = [c.text for c in CASES if c.command == command]
        assert not uncovered(command, texts, ALIASES.get(command)), f"{command}: subcommands without a row"


def _run(runtime: Runtime, command: str, text: str, user: str, channel: str = CHANNEL) -> Outcome:
    return run_command(runtime, command, user_id=user, channel_id=channel, text=text, user_name=user.lower())


def _ok(runtime: Runtime, command: str, text: str, user: str) -> None:
    outcome = _run(runtime, command, text, user)
    assert outcome.ok, (command, text, outcome.payload.get("text"))


def build_board(runtime: Runtime) -> None:
    """A board with one person in every role, a meeting with a plan item, a standing item, a pending
    proposal, an open and a closed action, an outcome and a project."""
    p = PEOPLE
    _ok(runtime, "/lsp", f'board create "Perm Board" chair:<@{p["chair"]}|chair> org:"LB Ealing"', ADMIN)
    for role, org, as_role in (("vice-chair", "LB Ealing", "vice-chair"), ("secretariat", "LB Ealing", "secretariat"),
                               ("member", "Ealing PCT", "member"), ("owner", "Metropolitan Police", "member")):
        _ok(runtime, "/lsp", f'member add <@{p[role]}|{role}> org:"{org}" role:{as_role}', p["chair"])
    _ok(runtime, "/plan", "cadence quarterly time:10:00", p["chair"])
    _ok(runtime, "/plan", 'meeting add 2019-09-12 10:00 venue:"Perceval House"', p["chair"])
    _ok(runtime, "/plan", "meeting add 2019-10-10", p["chair"])
    _ok(runtime, "/plan", 'item add 2019-09-12 "Skills strategy" lead:"LB Ealing"', p["chair"])
    _ok(runtime, "/plan", 'standing add "Borough Plan Performance Update" lead:"LB Ealing"', p["chair"])
    _ok(runtime, "/agenda", 'add "Youth violence" lead:"Metropolitan Police"', p["owner"])
    _ok(runtime, "/action", "add Circulate the minutes by Friday", p["owner"])
    _ok(runtime, "/action", "add Book the room", p["owner"])
    _ok(runtime, "/action", "done #2", p["owner"])
    _ok(runtime, "/lsp", 'outcome add "Skills outcome" lead:"Metropolitan Police"', p["chair"])
    _ok(runtime, "/lsp", f'project add "Southall joined-up approach" lead:<@{p["owner"]}|owner>', p["chair"])


@contextmanager
def rolled_back(runtime: Runtime) -> Iterator[tuple[Runtime, object]]:
    """The runtime on one connection whose outer transaction is rolled back at the end; each unit of
    work commits into a savepoint, so a case sees exactly what a real request would."""
    conn = runtime.engine.connect()
    outer = conn.begin()
    sessions = sessionmaker(bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
    try:
        yield dataclasses.replace(runtime, sessions=sessions), conn
    finally:
        outer.rollback()
        conn.close()


def check_role(runtime: Runtime, conn, case: Case, role: str) -> str | None:
    """Run `case` as `role`; a description of what was wrong, or None."""
    before = table_counts(conn=conn)
    outcome = _run(runtime, case.command, case.text, PEOPLE[role], case.channel)
    changed = changed_tables(before, table_counts(conn=conn))
    if role in case.allowed:
        if not outcome.ok:
            return f"{role} was refused: {outcome.payload.get('text')}"
        return None
    if outcome.ok:
        return f"{role} was allowed (wrote {changed})"
    if not isinstance(outcome.error, Forbidden):
        return f"{role} was refused, but not for permission: {outcome.payload.get('text')}"
    if changed:
        return f"{role} was refused but {changed} changed"
    return None


def test_every_command_against_every_role(runtime: Runtime):
    build_board(runtime)
    problems = []
    for case in CASES:
        for role in ROLES:
            with rolled_back(runtime) as (scoped, conn):
                problem = check_role(scoped, conn, case, role)
            if problem:
                problems.append(f"{case.id!r}: {problem}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- buttons


@dataclasses.dataclass(frozen=True)
class Button:
    action_id: ActionId
    value: str  # a key of the board's rows (see row_ids) or a literal
    allowed: frozenset[str]
    where: str = "message"  # "message", "home" (the Home tab) or "modal" (an element on a form)


BUTTONS = [
    Button(ActionId.ACTION_DONE, "action|", EDITORS),
    Button(ActionId.ACTION_ADD_UPDATE, "action|", EDITORS),
    Button(ActionId.ACTION_SNOOZE, "action|", EDITORS),
    Button(ActionId.ACTION_NOT_MINE, "action|", frozenset({"owner"})),
    Button(ActionId.PARTNER_UPDATE_OPEN, "board", MEMBERS),
    Button(ActionId.QUARTERLY_RETURN_OPEN, "board", LEADS),
    Button(ActionId.AGENDA_APPROVE, "proposal", DECIDERS),
    Button(ActionId.AGENDA_DECLINE, "proposal", DECIDERS),
    Button(ActionId.AGENDA_PUBLISH, "meeting", MANAGERS),
    Button(ActionId.AGENDA_REGENERATE, "meeting", MANAGERS),
    Button(ActionId.HOME_PAGE_NEXT, "1", EVERYONE, where="home"),  # one's own Home tab
    Button(ActionId.HOME_PAGE_PREVIOUS, "0", EVERYONE, where="home"),
    Button(ActionId.ACTION_MODAL_BOARD, "board", EVERYONE, where="modal"),  # redraws a form; writes nothing
]
REFUSALS = ("Not allowed", "Not quite", "Not found", "Already done", "That needs fixing", "Sorry, that didn't work",
            "Something went wrong", "Temporarily unavailable")


def test_every_button_has_a_row():
    assert {b.action_id for b in BUTTONS} == set(ActionId), "a button without permission rows"


def row_ids(runtime: Runtime) -> dict[str, int]:
    with db.session_scope(runtime.sessions) as session:
        return {
            "action": session.scalar(select(Action.id).where(Action.ref == 1)),
            "board": session.scalar(select(Board.id)),
            "proposal": session.scalar(select(AgendaProposal.id)),
            "meeting": session.scalar(select(Meeting.id).where(Meeting.date == dt.date(2019, 9, 12))),
        }


def click(button: Button, user: str, ids: dict[str, int], response_url: str) -> str:
    """A signed `block_actions` body as Slack sends it for a click by `user`."""
    key, _, rest = button.value.partition("|")
    value = f"{ids[key]}|{rest}" if key in ids and "|" in button.value else str(ids.get(key, button.value))
    payload = {"type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": "T0LSP"},
               "team": {"id": "T0LSP"}, "api_app_id": "A0LSP", "trigger_id": "1.2.3", "response_url": response_url,
               "actions": [{"action_id": button.action_id.value, "block_id": "b", "type": "button", "value": value,
                            "action_ts": "1.2"}]}
    if button.where == "message":
        payload.update(channel={"id": CHANNEL}, container={"type": "message", "channel_id": CHANNEL,
                                                           "message_ts": "1.000001"})
    else:
        payload["view"] = {"id": "V1", "type": button.where, "private_metadata": "", "state": {"values": {}}}
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def test_every_button_against_every_role(runtime: Runtime, fake_slack: FakeSlack):
    """Each click through the Bolt app and its listeners (after-ack work inline), in a rolled-back savepoint;
    a refusal is the "Not allowed" answer sent back to the clicker, and it writes nothing."""
    build_board(runtime)
    ids = row_ids(runtime)
    app = create_app(runtime, client=make_client(BOT_TOKEN, fake_slack.url, timeout=2), listener_executor=Inline())
    own_sessions = runtime.sessions
    problems = []
    for button in BUTTONS:
        for role in ROLES:
            body = click(button, PEOPLE[role], ids, fake_slack.url + "respond")
            with rolled_back(runtime) as (scoped, conn):
                runtime.sessions = scoped.sessions  # the listeners hold this runtime: point it at the savepoint
                try:
                    fake_slack.reset()
                    before = table_counts(conn=conn)
                    response = app.dispatch(BoltRequest(body=body, headers={
                        "content-type": "application/x-www-form-urlencoded",
                        **{k.lower(): v for k, v in sign(body.encode()).items()}}))
                    changed = changed_tables(before, table_counts(conn=conn))
                finally:
                    runtime.sessions = own_sessions
            answers = " ".join(str(c.params.get("text", "")) + str(c.params.get("view", ""))
                               for c in fake_slack.calls() if c.method != "auth.test")
            refusal = next((r for r in REFUSALS if r in answers), None)
            name = f"{button.action_id.value} as {role}"
            if response.status not in (200, 404):
                problems.append(f"{name}: HTTP {response.status}")
            elif role in button.allowed and refusal:
                problems.append(f"{name}: refused ({refusal}): {answers[:160]}")
            elif role not in button.allowed and refusal != "Not allowed":
                problems.append(f"{name}: allowed (answered {answers[:120]!r}, wrote {changed})")
            elif role not in button.allowed and changed:
                problems.append(f"{name}: refused but {changed} changed")
    assert not problems, "\n".join(problems)
