"""Who may do what: every slash command and subcommand, every button, every form and the message shortcut,
against every role, allowed or refused, and a refusal writes nothing (every table counted before and after,
audit_log and the outbox included). Every id the templates and handlers send is an ActionId/CallbackId, and
every one of those has a row here that must reach a listener.

Each case runs in-process through `run_command` (the same edge `lspbot serve` uses) inside a savepoint
of an outer transaction that is rolled back afterwards, so every case starts from the same board. A
command declared in the registry (handlers/catalogue.py) without a row here fails the test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt import BoltRequest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.runtime import Outcome, Runtime, run_command
from bot.slack.api import make_client
from bot.slack.app import create_app
from handlers.base import Forbidden
from handlers.ids import ActionId, CallbackId
from store import db
from store.models import Action, AgendaProposal, Board, Meeting, MeetingItem, PerformanceItem, PerformanceKind, PlanItem
from tests.support.bolt import Inline
from tests.support.catalogue import REGISTRY, SLASH_COMMANDS, uncovered
from tests.support.fake_slack import FakeSlack, check_ack
from tests.support.held_meeting import minuted_meetings
from tests.support.integrity import changed_tables, table_counts
from tests.support.settings import ADMIN, BOT_TOKEN, ROOT
from tests.support.slack_requests import sign

CHANNEL = "CPERM01"
PEOPLE = {
    "non-member": "UNONMEM1",
    "member": "UMEMBER1",
    "owner": "UOWNER01",  # a member who owns action #1, proposed A1, leads the project and declared I1
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
    before: tuple[str, ...] = ()  # commands the chair runs first (in the same rolled-back unit), e.g. OPEN

    @property
    def id(self) -> str:
        return f"{self.command} {self.text}".strip()


OPEN = ("/meeting start 2019-09-12",)  # the meeting of 12 September opened (its item 4 is "Skills strategy")

CASES = [
    # /lsp
    Case("/lsp", "help", EVERYONE),
    Case("/lsp", "", EVERYONE),
    Case("/lsp", 'board create "Second Board" chair:<@UCHAIR02|c2>', frozenset({"admin"}), channel="CPERM02"),
    Case("/lsp", 'member add <@UNEWBIE1|newbie> org:"Ealing PCT"', MANAGERS),
    Case("/lsp", 'member add <@UNEWBIE1|newbie> org:"Ealing PCT" role:chair', CHAIR),  # hands the chair over
    Case("/lsp", "member list", READERS),
    Case("/lsp", "member ls", READERS),
    Case("/lsp", "org list", READERS),
    Case("/lsp", 'org rename "Ealing PCT" "Ealing Primary Care Trust"', DECIDERS),
    Case("/lsp", "orgs", READERS),
    Case("/lsp", "member remove <@UMEMBER1>", MANAGERS),
    Case("/lsp", "member remove <@UOWNER01> handover:<@UMEMBER1|m>", MANAGERS),
    Case("/lsp", "member remove <@UCHAIR01>", frozenset()),  # the only chair: handed over first, never removed
    Case("/lsp", "member erase <@UMEMBER1>", frozenset({"admin"})),  # asks first, writes nothing
    Case("/lsp", "member erase <@UMEMBER1> confirm:yes", frozenset({"admin"})),
    Case("/lsp", "board set chase_time 10:00", CHAIR),
    Case("/lsp", "board set quorum members:1/3 orgs:3 chair:yes", CHAIR),
    Case("/lsp", "board settings", READERS),
    Case("/lsp", "board set public yes", CHAIR),
    Case("/lsp", "web", MEMBERS),
    Case("/lsp", 'member add email:jane.smith@nhs.net name:"Jane Smith" org:"Ealing CCG"', MANAGERS),
    Case("/lsp", "member email <@UMEMBER1|m> m.member@ealing.gov.uk", MANAGERS),
    Case("/lsp", "me", MEMBERS),
    Case("/lsp", "me email me@ealing.gov.uk", MEMBERS),
    Case("/lsp", "me delivery slack", MEMBERS),
    Case("/lsp", 'outcome add "Fewer NEETs" lead:"Ealing PCT"', MANAGERS),
    Case("/lsp", "outcome list", READERS),
    Case("/lsp", "outcomes", READERS),
    Case("/lsp", 'project add "Northolt hub" lead:<@UMEMBER1|m> "Venue agreed by 30 September 2019"', MANAGERS),
    Case("/lsp", "project list", READERS),
    Case("/lsp", "projects ls", READERS),
    Case("/lsp", 'project lead "Southall joined-up approach" <@UMEMBER1|m>', MANAGERS),
    Case("/lsp", 'outcome lead "Skills outcome" "Ealing PCT"', MANAGERS),
    Case("/lsp", "report quarter 2019-Q1", READERS),
    Case("/lsp", "report annual 2019", CHAIR),
    Case("/lsp", "interests", READERS),
    Case("/lsp", 'interests declare "Trustee of Southall Community Alliance" kind:non-pecuniary', MEMBERS),
    Case("/lsp", "interests remove I1", EDITORS),  # the owner's entry
    Case("/lsp", "interests all", READERS),
    Case("/lsp", "decisions", READERS),
    Case("/lsp", "decisions 2019", READERS),
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
    Case("/plan", f'item add 2019-09-12 "Budget" lead:"LB Ealing" paper:yes author:<@{PEOPLE["member"]}|m>',
         MANAGERS),
    Case("/plan", f'item paper P1 <@{PEOPLE["member"]}|m>', MANAGERS),
    Case("/plan", 'item private P1 reason:"Information relating to an individual"', MANAGERS),
    Case("/plan", 'item urgent P1 reason:"Grant deadline before the next meeting"', frozenset({"chair", "vice-chair"})),
    Case("/plan", "item drop P1", MANAGERS),
    Case("/plan", "item remove P1", MANAGERS),
    Case("/plan", 'standing add "Safeguarding" lead:"LB Ealing"', MANAGERS),
    Case("/plan", "standing drop S1", MANAGERS),
    Case("/plan", "standing remove S1", MANAGERS),
    Case("/plan", "ics", READERS),
    Case("/plan", "ics feed", MEMBERS),
    Case("/plan", "ics feed reset", MEMBERS),
    Case("/plan", 'item drop P1 board:"Perm Board"', MANAGERS, channel="DDIRECT1"),  # from a DM, naming the board
    Case("/plan", 'item drop P1 board:"Perm Board"', MANAGERS, channel="COTHER01"),
    # /agenda
    Case("/agenda", "paper P2", EDITORS),
    Case("/agenda", "help", EVERYONE),
    Case("/agenda", 'add "Youth services" lead:"Ealing PCT"', MEMBERS),
    Case("/agenda", 'propose "Youth services"', MEMBERS),
    Case("/agenda", "proposals all", READERS),
    Case("/agenda", "approve A1", DECIDERS),
    Case("/agenda", "decline A1 Covered under the Borough Plan update", DECIDERS),
    Case("/agenda", "draft", MANAGERS),
    Case("/agenda", "publish", MANAGERS),
    Case("/agenda", "pack", MANAGERS),
    Case("/agenda", "pack publish 2019-09-12", CHAIR),
    # /meeting
    Case("/meeting", "help", EVERYONE),
    Case("/meeting", "minutes", READERS),
    Case("/meeting", "minutes 4 July 2019", READERS),
    Case("/meeting", "minutes versions 2019-07-04", READERS),
    Case("/meeting", 'minutes edit LSP/19/9 "The board noted the report."', MANAGERS),
    Case("/meeting", "minutes edit LSP/19/9", MANAGERS),  # opens the form
    Case("/meeting", "minutes circulate", frozenset({"secretariat", "chair", "admin"})),
    Case("/meeting", "minutes confirm 2019-07-11", CHAIR),
    Case("/meeting", 'minutes correct LSP/19/3 "Apologies from Ealing PCT" at:2019-07-11', MANAGERS),
    Case("/meeting", "attendance", READERS),
    Case("/meeting", "reply apologies", MEMBERS),
    Case("/meeting", "attendance 2019-09-12", READERS),
    Case("/meeting", "start 2019-09-12", MANAGERS),
    Case("/meeting", "end", MANAGERS, before=OPEN),
    Case("/meeting", 'attend <@UMEMBER1|m> "Dr Jane Smith (CCG)"', MANAGERS, before=OPEN),
    Case("/meeting", "apologies <@UOWNER01|o>", MANAGERS, before=OPEN),
    Case("/meeting", 'item 4 agreed "Partners adopt the skills strategy"', MANAGERS, before=OPEN),
    Case("/meeting", "note 4 Partners asked for figures by ward", MANAGERS, before=OPEN),
    Case("/meeting", 'declare <@UMEMBER1|m> item:4 "Governor of Ealing College" left:yes', MANAGERS, before=OPEN),
    Case("/action", "add Check the skills figures item:4", MEMBERS, before=OPEN),
    # /update
    Case("/update", "help", EVERYONE),
    Case("/update", "Our news for the board", MEMBERS),
    Case("/update", "", MEMBERS),
    Case("/update", "list", READERS),
    Case("/update", "ls", READERS),
    Case("/update", 'quarterly "Southall" rag:green Partners mapped', LEADS),
    Case("/update", "quarterly", LEADS),
]


def test_every_command_and_subcommand_has_a_row():
    assert set(SLASH_COMMANDS) == {c.command for c in CASES}, "a slash command without permission rows"
    for command in SLASH_COMMANDS:
        texts = [c.text for c in CASES if c.command == command]
        assert not uncovered(command, texts), f"{command}: declared commands without a row"


def _run(runtime: Runtime, command: str, text: str, user: str, channel: str = CHANNEL) -> Outcome:
    return run_command(runtime, command, user_id=user, channel_id=channel, text=text, user_name=user.lower())


def _ok(runtime: Runtime, command: str, text: str, user: str) -> None:
    outcome = _run(runtime, command, text, user)
    assert outcome.ok, (command, text, outcome.payload.get("text"))


def build_board(runtime: Runtime) -> None:
    """A board with one person in every role, a meeting with a plan item, a standing item, a pending
    proposal, an open and a closed action, an outcome, a project and an entry on the register of interests."""
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
    _ok(runtime, "/plan", f'item add 2019-10-10 "Budget" lead:"LB Ealing" paper:yes author:<@{p["owner"]}|owner>',
        p["chair"])  # P2: a paper the owner writes
    _ok(runtime, "/agenda", 'add "Youth violence" lead:"Metropolitan Police"', p["owner"])
    _ok(runtime, "/action", "add Circulate the minutes by Friday", p["owner"])
    _ok(runtime, "/action", "add Book the room", p["owner"])
    _ok(runtime, "/action", "done #2", p["owner"])
    _ok(runtime, "/lsp", 'outcome add "Skills outcome" lead:"Metropolitan Police"', p["chair"])
    _ok(runtime, "/lsp", f'project add "Southall joined-up approach" lead:<@{p["owner"]}|owner>', p["chair"])
    with db.session_scope(runtime.sessions) as session:
        minuted_meetings(session, runtime.outbox(session), runtime.clock.now())
    _ok(runtime, "/lsp", 'interests declare "Governor, Featherstone High School"', p["owner"])


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
    for line in case.before:
        command, _, text = line.partition(" ")
        _ok(runtime, command, text, PEOPLE["chair"])
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
    before: tuple[str, ...] = ()  # commands the chair runs first (in the same rolled-back unit)


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
    Button(ActionId.PACK_APPROVE, "meeting", frozenset({"chair", "vice-chair", "admin"})),
    Button(ActionId.PACK_PREVIEW, "meeting", MANAGERS),
    Button(ActionId.PLAN_MEETING_CONFIRM, "board|2019-09-14 10:00 force:yes", MANAGERS),  # a Saturday
    Button(ActionId.ACTION_OWNER_CHOSEN, "board|UOWNER01||Agree the protocol with Vera and Owen", MEMBERS),
    Button(ActionId.ACTION_LIST_MORE, "board|all|1", READERS),
    Button(ActionId.INTERESTS_CONFIRM, "board", MEMBERS),
    Button(ActionId.DECISIONS_MORE, "board|1|", READERS),
    Button(ActionId.MEETING_PRESENCE, "meeting", MANAGERS, before=OPEN),
    Button(ActionId.MEETING_DECLARATION, "meeting|4", MANAGERS, before=OPEN),
    Button(ActionId.MEETING_OUTCOME, "meeting|4", MANAGERS, before=OPEN),
    Button(ActionId.MEETING_ADD_ACTION, "meeting|4", MANAGERS, before=OPEN),
    Button(ActionId.MEETING_NOTE, "meeting|4", MANAGERS, before=OPEN),
    Button(ActionId.HOME_PAGE_NEXT, "1", EVERYONE, where="home"),  # one's own Home tab
    Button(ActionId.HOME_PAGE_PREVIOUS, "0", EVERYONE, where="home"),
    Button(ActionId.MEETING_ATTENDING, "meeting", MEMBERS),  # each member for themselves
    Button(ActionId.MEETING_APOLOGIES, "meeting", MEMBERS),
    Button(ActionId.MEETING_SUBSTITUTE, "meeting", MEMBERS),
    Button(ActionId.PAPER_UPLOAD_OPEN, "paper_item", EDITORS),  # the paper's author (the owner) and the managers
]
REFUSALS = ("Not allowed", "Not quite", "Not found", "Already done", "That needs fixing", "Sorry, that didn't work",
            "Something went wrong", "Temporarily unavailable")


def refusal_heading(answers: str) -> str | None:
    """The heading of an error reply in `answers` (`:warning: *Already planned*`), whatever words it uses."""
    m = re.search(r":warning: \*([^*]+)\*", answers)
    return m.group(1) if m else None


def test_every_button_has_a_row():
    assert {b.action_id for b in BUTTONS} == set(ActionId), "a button without permission rows"


def row_ids(runtime: Runtime) -> dict[str, int]:
    with db.session_scope(runtime.sessions) as session:
        return {
            "action": session.scalar(select(Action.id).where(Action.ref == 1)),
            "board": session.scalar(select(Board.id)),
            "proposal": session.scalar(select(AgendaProposal.id)),
            "meeting": session.scalar(select(Meeting.id).where(Meeting.date == dt.date(2019, 9, 12))),
            "project": session.scalar(select(PerformanceItem.id).where(PerformanceItem.kind == PerformanceKind.PROJECT)),
            "minute": session.scalar(select(MeetingItem.id).where(MeetingItem.minute_number == "LSP/19/9")),
            "paper_item": session.scalar(select(PlanItem.id).where(PlanItem.paper_required.is_(True))),
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


def dispatch(app, runtime: Runtime, fake_slack: FakeSlack, body: str, before: tuple[str, ...] = ()):
    """One signed interaction through the Bolt app and its listeners (after-ack work inline), in a rolled-back
    savepoint (after the chair's `before` commands): Bolt's response, the tables it changed, and what was said
    back through Slack."""
    own_sessions = runtime.sessions
    with rolled_back(runtime) as (scoped, conn):
        runtime.sessions = scoped.sessions  # the listeners hold this runtime: point it at the savepoint
        try:
            for line in before:
                command, _, text = line.partition(" ")
                _ok(runtime, command, text, PEOPLE["chair"])
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
    if response.status == 200 and response.body:  # the ack itself, held to what Slack accepts
        assert check_ack(json.loads(response.body)) is None, response.body
    return response, changed, answers


def bolt_app(runtime: Runtime, fake_slack: FakeSlack):
    return create_app(runtime, client=make_client(BOT_TOKEN, fake_slack.url, timeout=2), listener_executor=Inline())


def test_every_button_against_every_role(runtime: Runtime, fake_slack: FakeSlack):
    """Each click through the Bolt app and its listeners (after-ack work inline), in a rolled-back savepoint;
    a refusal is the "Not allowed" answer sent back to the clicker, and it writes nothing. Every button has
    a listener: a click nobody listens for (Bolt's 404) fails."""
    build_board(runtime)
    ids = row_ids(runtime)
    app = bolt_app(runtime, fake_slack)
    problems = []
    for button in BUTTONS:
        for role in ROLES:
            body = click(button, PEOPLE[role], ids, fake_slack.url + "respond")
            response, changed, answers = dispatch(app, runtime, fake_slack, body, button.before)
            refusal = next((r for r in REFUSALS if r in answers), None) or refusal_heading(answers)
            name = f"{button.action_id.value} as {role}"
            if response.status != 200:
                problems.append(f"{name}: HTTP {response.status}")
            elif role in button.allowed and refusal:
                problems.append(f"{name}: refused ({refusal}): {answers[:160]}")
            elif role not in button.allowed and refusal != "Not allowed":
                problems.append(f"{name}: allowed (answered {answers[:120]!r}, wrote {changed})")
            elif role not in button.allowed and changed:
                problems.append(f"{name}: refused but {changed} changed")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- every id the app emits


_INPUT_OR_INTERACTIVE = re.compile(r'"(element|elements|accessory)"\s*:')
_ID_IN_TEMPLATE = re.compile(r'"(action_id|callback_id)"\s*:\s*(\S[^,}\n]*)')


def _form_field(source: str, at: int) -> bool:
    """Whether the `action_id` at `at` belongs to an input block's element (a form field, which sends no
    `block_actions` of its own) rather than a button, select or accessory outside a form's inputs."""
    keys = [m.group(1) for m in _INPUT_OR_INTERACTIVE.finditer(source, 0, at)]
    return bool(keys) and keys[-1] == "element" and "dispatch_action" not in source


def emitted_ids() -> tuple[set[str], list[str]]:
    """Every ActionId/CallbackId name the templates and the Python code put in what is sent to Slack or listen
    for, and every problem: an unknown name, or a literal id on something a member can click or submit."""
    known = set(ActionId.__members__) | set(CallbackId.__members__)
    names: set[str] = set()
    problems: list[str] = []
    for path in sorted((ROOT / "templates").rglob("*.j2")):
        source = path.read_text(encoding="utf-8")
        for name in re.findall(r"\bids\.([A-Za-z_]+)", source):
            names.add(name)
            if name not in known:
                problems.append(f"{path.name}: ids.{name} is neither an ActionId nor a CallbackId")
        for m in _ID_IN_TEMPLATE.finditer(source):
            kind, expr = m.groups()
            if expr.startswith('"') and not (kind == "action_id" and _form_field(source, m.start())):
                problems.append(f"{path.name}: literal {kind} {expr} (use ids.…)")
    for folder in ("handlers", "bot", "jobs", "templates"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            for enum_name, name in re.findall(r"\b(ActionId|CallbackId)\.([A-Za-z_]+)", source):
                names.add(name)
                if name not in (ActionId if enum_name == "ActionId" else CallbackId).__members__:
                    problems.append(f"{path.name}: {enum_name}.{name} does not exist")
            for call in re.findall(r"(?<!def )\b(?:app\.(?:action|view|shortcut|options)|register_button|register_form)"
                                   r"\(\s*(?:app,\s*runtime,\s*)?([^,)]+)", source):
                # A listener's id is an enum member, or a declaration's id from the registry (checked below).
                if not re.match(r"(ActionId|CallbackId)\.[A-Z_]+\.value$|[a-z_]+$|"
                                r"(declared|form|shortcut)\.(action_id|callback_id)$", call.strip()):
                    problems.append(f"{path.name}: a listener for {call.strip()} (use ActionId/CallbackId)")
            for literal in re.findall(r"[\"'](?:action_id|callback_id)[\"']\s*:\s*[\"']([^\"']+)", source):
                problems.append(f"{path.name}: literal id {literal!r} (use ActionId/CallbackId)")
    manifest = (ROOT / "slack-manifest.yml").read_text(encoding="utf-8")
    for callback in re.findall(r"callback_id:\s*(\S+)", manifest):
        if callback not in {c.value for c in CallbackId}:
            problems.append(f"slack-manifest.yml: shortcut {callback} is not a CallbackId")
        names |= {c.name for c in CallbackId if c.value == callback}
    return names, problems


def test_every_id_the_app_emits_is_known_and_every_known_id_is_emitted():
    """Templates and handlers use only ActionId/CallbackId values for what can be clicked or submitted
    (form fields inside input blocks excepted), and every value is used: an id nothing emits is dead weight,
    and one with no value would reach Bolt unheard. Together with the rows above (every ActionId and CallbackId
    must have one, and every row must reach a listener: a 404 fails), every button, form and shortcut
    the app sends has a listener."""
    names, problems = emitted_ids()
    assert not problems, "\n".join(problems)
    unused = (set(ActionId.__members__) | set(CallbackId.__members__)) - names
    assert not unused, f"ids that nothing sends or listens for: {sorted(unused)}"
    unsent = {a.name for a in ActionId} - _sent_names()
    assert not unsent, f"buttons that no template or handler sends: {sorted(unsent)}"


def test_no_button_and_form_share_a_name():
    """Templates read both enums by name (`ids.X`), so a button and a form of the same name would give the
    button the form's id."""
    assert not set(ActionId.__members__) & set(CallbackId.__members__)


def test_the_registry_declares_every_id_once():
    """Every ActionId is a declared button and every CallbackId a declared form or shortcut, so Bolt hears it."""
    buttons = [b.action_id for b in REGISTRY.buttons]
    callbacks = [f.callback_id for f in REGISTRY.forms] + [s.callback_id for s in REGISTRY.shortcuts]
    assert sorted(buttons) == sorted(a.value for a in ActionId)
    assert sorted(callbacks) == sorted(c.value for c in CallbackId)


def _sent_names() -> set[str]:
    """Names used by templates and handlers (what goes to Slack), leaving out the listeners' own registrations."""
    sent = set()
    for path in (ROOT / "templates").rglob("*.j2"):
        sent |= set(re.findall(r"\bids\.([A-Za-z_]+)", path.read_text(encoding="utf-8")))
    for path in (ROOT / "handlers").rglob("*.py"):
        if path.name != "ids.py":
            sent |= set(re.findall(r"\b(?:ActionId|CallbackId)\.([A-Za-z_]+)", path.read_text(encoding="utf-8")))
    return sent


# ---------------------------------------------------------------- forms and the message shortcut


def _text(value: str) -> dict[str, str]:
    return {"type": "plain_text_input", "value": value}


@dataclasses.dataclass(frozen=True)
class Form:
    """A form's submission: its callback_id, the private_metadata the form was opened with and the fields as
    filled in (both with {action}, {board}, {proposal}, {meeting}, {project} standing for the board's rows)."""

    callback_id: CallbackId
    metadata: str
    fields: dict[str, dict[str, Any]]
    allowed: frozenset[str]
    writes: bool = True  # an accepted submission writes (the audit log at least)
    before: tuple[str, ...] = ()  # commands the chair runs first (in the same rolled-back unit)


FORMS = [
    Form(CallbackId.ACTION_ADD, '{"board_id": {board}}',
         {"text": _text("Check the figures"), "owner": {"type": "users_select", "selected_user": None},
          "due": {"type": "datepicker", "selected_date": "2019-08-30"},
          "meeting": {"type": "static_select", "selected_option": {"value": "{meeting}"}}}, MEMBERS),
    Form(CallbackId.AGENDA_ADD, '{"board_id": {board}}',
         {"title": _text("Youth services"), "lead": _text("Ealing PCT"),
          "meeting": {"type": "static_select", "selected_option": {"value": "{meeting}"}}}, MEMBERS),
    Form(CallbackId.AGENDA_DECLINE_MODAL, '{"proposal": {proposal}, "channel": "", "ts": ""}',
         {"reason": _text("Covered under the Borough Plan update")}, DECIDERS),
    Form(CallbackId.PARTNER_UPDATE, '{"board_id": {board}, "meeting_id": {meeting}}',
         {"update_text": _text("Flu programme starts in October")}, MEMBERS),
    Form(CallbackId.QUARTERLY_RETURN, '{"board_id": {board}}',
         {"return_item": {"type": "static_select", "selected_option": {"value": "{project}"}},
          "return_rag": {"type": "radio_buttons", "selected_option": {"value": "green"}},
          "return_commentary": _text("Partners mapped")}, LEADS),
    Form(CallbackId.CHASE_UPDATE, "{action}|chase-key||",
         {"note": _text("Drafted, with legal now")}, EDITORS),
    Form(CallbackId.MINUTES_EDIT, '{"item": {minute}}',
         {"text": _text("The board noted the report."), "note": _text("Wording")}, MANAGERS),
    Form(CallbackId.MEETING_SUBSTITUTE_MODAL, '{"meeting_id": {meeting}}',
         {"substitute_name": _text("Carol Jones"),
          "substitute_email": {"type": "email_text_input", "value": "carol.jones@example.org"}}, MEMBERS),
    Form(CallbackId.MEETING_PRESENCE_MODAL, '{"meeting": {meeting}}',
         {"present": {"type": "multi_static_select", "selected_options": [{"value": "UMEMBER1"}]},
          "apologies": {"type": "multi_static_select", "selected_options": [{"value": "UOWNER01"}]},
          "in_attendance": _text("Dr Jane Smith (CCG)")}, MANAGERS, before=OPEN),
    Form(CallbackId.MEETING_OUTCOME_MODAL, '{"item": "{meeting}|4"}',
         {"outcome": {"type": "radio_buttons", "selected_option": {"value": "agreed as amended"}},
          "decision": _text("Partners adopt the skills strategy")}, MANAGERS, before=OPEN),
    Form(CallbackId.MEETING_NOTE_MODAL, '{"item": "{meeting}|4"}', {"note": _text("Figures by ward asked for")},
         MANAGERS, before=OPEN),
    # accepted: acknowledged, then the file fetched (unknown to Slack here: the sender is told by DM)
    Form(CallbackId.PAPER_UPLOAD, '{"board": {board}, "item": {paper_item}}',
         {"paper_file": {"type": "file_input", "files": [{"id": "F0NOTKNOWN", "name": "budget.pdf", "size": 2048}]}},
         EDITORS),
    Form(CallbackId.MEETING_DECLARATION_MODAL, '{"item": "{meeting}|4"}',
         {"member": {"type": "static_select", "selected_option": {"value": "UMEMBER1"}},
          "interest": _text("Governor of Ealing College"),
          "left_room": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}}, MANAGERS, before=OPEN),
]
SHORTCUT_ALLOWED = MEMBERS  # "Create action from message" in the board's channel opens the form; writes nothing
PAPER_SHORTCUT_ALLOWED = LEADS  # "Attach as paper…": the paper's author and the board's managers get the form


def test_every_form_and_shortcut_has_a_row():
    assert {f.callback_id for f in FORMS} | {CallbackId.ACTION_FROM_MESSAGE, CallbackId.PAPER_ATTACH} == set(CallbackId), \
        "a form without permission rows"


def _filled(value: Any, ids: dict[str, int]) -> Any:
    """`value` with each {row} token replaced by that row's id."""
    if isinstance(value, dict):
        return {k: _filled(v, ids) for k, v in value.items()}
    if isinstance(value, str):
        for key, row_id in ids.items():
            value = value.replace("{" + key + "}", str(row_id))
    return value


def submission(form: Form, user: str, ids: dict[str, int]) -> str:
    """A signed `view_submission` body as Slack sends it when `user` submits the form."""
    values = {field: {field: _filled(element, ids)} for field, element in form.fields.items()}
    payload = {"type": "view_submission", "user": {"id": user, "username": user.lower(), "team_id": "T0LSP"},
               "team": {"id": "T0LSP"}, "api_app_id": "A0LSP", "trigger_id": "1.2.3",
               "view": {"id": "V1", "type": "modal", "callback_id": form.callback_id.value, "hash": "1.a",
                        "private_metadata": _filled(form.metadata, ids), "state": {"values": values}}}
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def test_every_form_against_every_role(runtime: Runtime, fake_slack: FakeSlack):
    """Each submission through the Bolt app: accepted, the form closes (an empty ack) and something is written;
    refused, the ack carries `response_action: errors` on the form and nothing is written."""
    build_board(runtime)
    ids = row_ids(runtime)
    app = bolt_app(runtime, fake_slack)
    problems = []
    for form in FORMS:
        for role in ROLES:
            response, changed, _ = dispatch(app, runtime, fake_slack, submission(form, PEOPLE[role], ids),
                                            form.before)
            ack = json.loads(response.body) if response.body else {}
            name = f"{form.callback_id.value} as {role}"
            if response.status != 200:
                problems.append(f"{name}: HTTP {response.status}")
            elif role in form.allowed and ack:
                problems.append(f"{name}: refused: {ack}")
            elif role in form.allowed and form.writes and not changed:
                problems.append(f"{name}: accepted but nothing was written")
            elif role not in form.allowed and ack.get("response_action") != "errors":
                problems.append(f"{name}: allowed (acked {ack}, wrote {changed})")
            elif role not in form.allowed and changed:
                problems.append(f"{name}: refused but {changed} changed")
    assert not problems, "\n".join(problems)


def test_the_message_shortcut_against_every_role(runtime: Runtime, fake_slack: FakeSlack):
    """"Create action from message" in the board's channel: members get the form, anyone else "Not allowed";
    either way nothing is written until the form is submitted."""
    build_board(runtime)
    app = bolt_app(runtime, fake_slack)
    problems = []
    for role in ROLES:
        user = PEOPLE[role]
        body = urllib.parse.urlencode({"payload": json.dumps({
            "type": "message_action", "callback_id": CallbackId.ACTION_FROM_MESSAGE.value, "trigger_id": "1.2.3",
            "user": {"id": user, "name": user.lower()}, "team": {"id": "T0LSP"}, "channel": {"id": CHANNEL},
            "message_ts": "1563265800.000100", "response_url": fake_slack.url + "respond",
            "message": {"type": "message", "user": PEOPLE["owner"], "ts": "1563265800.000100",
                        "text": "Can someone check the figures?"}})})
        response, changed, answers = dispatch(app, runtime, fake_slack, body)
        opened = [c for c in fake_slack.calls("views.open")]
        if response.status != 200:
            problems.append(f"{role}: HTTP {response.status}")
        elif changed:
            problems.append(f"{role}: {changed} changed")
        elif role in SHORTCUT_ALLOWED and not opened:
            problems.append(f"{role}: no form opened: {answers[:160]}")
        elif role not in SHORTCUT_ALLOWED and (opened or "Not allowed" not in answers):
            problems.append(f"{role}: allowed (answered {answers[:120]!r})")
    assert not problems, "\n".join(problems)


def test_attach_as_paper_against_every_role(runtime: Runtime, fake_slack: FakeSlack):
    """"Attach as paper…" on a message with a PDF: the paper's author and the managers get the form (choosing among
    the items they may send papers for), a member who owes none is told so, anyone else "Not allowed"; nothing is
    written until the form is submitted."""
    build_board(runtime)
    app = bolt_app(runtime, fake_slack)
    problems = []
    for role in ROLES:
        user = PEOPLE[role]
        body = urllib.parse.urlencode({"payload": json.dumps({
            "type": "message_action", "callback_id": CallbackId.PAPER_ATTACH.value, "trigger_id": "1.2.3",
            "user": {"id": user, "name": user.lower()}, "team": {"id": "T0LSP"}, "channel": {"id": CHANNEL},
            "message_ts": "1563265800.000100", "response_url": fake_slack.url + "respond",
            "message": {"type": "message", "user": user, "ts": "1563265800.000100", "text": "The budget paper",
                        "files": [{"id": "F0BUDGET", "name": "budget.pdf", "size": 4096}]}})})
        response, changed, answers = dispatch(app, runtime, fake_slack, body)
        opened = fake_slack.calls("views.open")
        if response.status != 200 or changed:
            problems.append(f"{role}: HTTP {response.status}, changed {changed}")
        elif role in PAPER_SHORTCUT_ALLOWED and not opened:
            problems.append(f"{role}: no form opened: {answers[:160]}")
        elif role == "member" and (opened or "needs a paper from you" not in answers):
            problems.append(f"{role}: {answers[:160]}")
        elif role not in PAPER_SHORTCUT_ALLOWED | {"member"} and (opened or "Not allowed" not in answers):
            problems.append(f"{role}: allowed (answered {answers[:120]!r})")
    assert not problems, "\n".join(problems)
