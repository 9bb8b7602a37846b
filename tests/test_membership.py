"""Roles and membership that stay true as a board changes: a member's role is changed only when asked, the board
always has exactly one chair (handed over, never removed or demoted), at most `vice_chairs_max` vice-chairs, and a
member who leaves takes nothing with them: what they held is listed, handed over in one step, or else shown to the
chair as "owner left the board", never chased again, and their old buttons say they are no longer on the board.

In-process through `run_command` and `run_handler` (the edge `lspbot serve` uses) and the jobs' own runner, on
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse

import pytest
from slack_bolt import BoltRequest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.runtime import Runtime, run_handler
from bot.services.scheduler import run_job
from bot.slack.api import make_client
from bot.slack.app import create_app
from handlers import home, reminders
from jobs.registry import JOBS
from store import agenda as agenda_store
from store import boards, db
from store.models import Action, Member, OutboxMessage, OutboxStatus, PerformanceItem
from tests.support.bolt import Inline
from tests.support.board_commands import BoardCommands
from tests.support.delivery import last_queued_id, queued_since
from tests.support.fake_slack import FakeSlack
from tests.support.settings import ADMIN, BOT_TOKEN, LONDON
from tests.support.slack_requests import blocks_text, sign

CHANNEL = "CROLES1"
CHAIR, VICE, SECRETARY, ALICE, BOB, CAROL = "UCHAIR1", "UVICE1", "USECRET1", "UALICE1", "UBOB1", "UCAROL1"


class Board(BoardCommands):
    """The board's commands (tests.support.board_commands), and what these tests look at."""

    def roles(self) -> dict[str, str]:
        with db.session_scope(self.runtime.sessions) as session:
            return {m.member.slack_user_id: m.role.value
                    for m in boards.list_members(session=session, board_id=self.board_id)}

    def queued(self, since_id: int = 0) -> list[OutboxMessage]:
        return queued_since(self.runtime, since_id)

    def last_id(self) -> int:
        return last_queued_id(self.runtime)

    def dms(self, user: str, since_id: int = 0) -> list[str]:
        return [blocks_text(m.payload) for m in self.queued(since_id) if m.target_kind == "user" and m.target == user]

    def job(self, job_id: str, at: dt.datetime) -> None:
        self.clock.set(at)
        run_job(self.runtime, JOBS[job_id], self.board_id, at, how="schedule")


@pytest.fixture
def board(runtime: Runtime, clock: FixedClock) -> Board:
    """A board on Monday 18 March 2019: the chair, a vice-chair, a secretary, Alice (Ealing PCT), Bob (the
    Metropolitan Police's only member) and Carol (Southall Community Alliance)."""
    clock.set(dt.datetime(2019, 3, 18, 10, 0, tzinfo=LONDON))
    b = Board(runtime, clock, CHANNEL)
    b.ok(ADMIN, "/lsp", f'board create "Roles Board" chair:<@{CHAIR}|chair> org:"LB Ealing"')
    for user, org, role in ((VICE, "LB Ealing", "vice-chair"), (SECRETARY, "LB Ealing", "secretariat"),
                            (ALICE, "Ealing PCT", "member"), (BOB, "Metropolitan Police", "member"),
                            (CAROL, "Southall Community Alliance", "member")):
        b.ok(CHAIR, "/lsp", f'member add <@{user}|{user[1:-1].lower()}> org:"{org}" role:{role}')
    with db.session_scope(runtime.sessions) as session:
        b.board_id = boards.get_by_channel(session=session, channel_id=CHANNEL).id
    return b


# ---------------------------------------------------------------- roles


def test_member_add_without_role_never_changes_an_existing_members_role(board: Board):
    board.ok(SECRETARY, "/lsp", f'member add <@{CHAIR}|chair> org:"Ealing Council"')
    board.ok(CHAIR, "/lsp", f'member add <@{VICE}|vice> org:"Ealing Council"')
    roles = board.roles()
    assert roles[CHAIR] == "chair" and roles[VICE] == "vice-chair"
    # The chair is still asked to decide on proposals.
    board.ok(CHAIR, "/plan", "meeting add 2019-04-10 10:00")
    before = board.last_id()
    board.ok(ALICE, "/agenda", 'add "Youth services"')
    assert any("Youth services" in text for text in board.dms(CHAIR, before))
    # A new member without a role joins as a member.
    board.ok(CHAIR, "/lsp", 'member add <@UNEW1|newbie> org:"Ealing PCT"')
    assert board.roles()["UNEW1"] == "member"


def test_role_chair_hands_the_chair_over(board: Board):
    board.ok(CHAIR, "/plan", "meeting add 2019-04-10 10:00")
    board.ok(ALICE, "/agenda", 'add "Youth services"')
    refused = board.refused(VICE, "/lsp", f"member add <@{ALICE}|alice> role:chair")
    assert "Only the chair" in refused
    with db.session_scope(board.runtime.sessions) as session:  # Slack took the chair's ask: it is in their DM
        ask = session.scalar(select(OutboxMessage).where(OutboxMessage.target == CHAIR,
                                                         OutboxMessage.key.startswith("agenda-proposal:")))
        ask.status, ask.slack_channel, ask.slack_ts = OutboxStatus.SENT, "DCHAIR1", "1555.000100"
    before = board.last_id()
    reply = board.ok(CHAIR, "/lsp", f"member add <@{ALICE}|alice> role:chair")
    assert f"<@{ALICE}> is now chair" in reply
    assert f"<@{CHAIR}>, the previous chair, is now a member" in reply
    roles = board.roles()
    assert roles[ALICE] == "chair" and roles[CHAIR] == "member"
    assert list(roles.values()).count("chair") == 1
    assert any("You are now the chair of Roles Board" in t for t in board.dms(ALICE, before))
    assert not board.dms(CHAIR, before)  # the chair handing over has the reply
    # The proposal waiting for a decision is put to the new chair, with its buttons.
    with db.session_scope(board.runtime.sessions) as session:
        proposal_id = agenda_store.list_proposals(session=session, board_id=board.board_id)[0].id
    asks = [m for m in board.queued(before) if m.key == agenda_store.proposal_ask_key(proposal_id, ALICE)]
    assert len(asks) == 1 and "Youth services" in blocks_text(asks[0].payload)
    # The old chair's ask loses its Approve / Decline buttons and says where the decision went.
    redrawn = [m.payload for m in board.queued(before) if m.payload.get("_method") == "chat.update"]
    assert len(redrawn) == 1 and redrawn[0]["channel"] == "DCHAIR1" and redrawn[0]["ts"] == "1555.000100"
    assert "now waits for alice, the new chair" in blocks_text(redrawn[0]) and "actions" not in json.dumps(redrawn[0])
    assert board.run(ALICE, "/agenda", "approve A1").ok
    # The old chair, now a member, can no longer decide; an admin can hand the chair on again.
    assert "Only the chair" in board.refused(CHAIR, "/lsp", f"member add <@{BOB}|bob> role:chair")
    before = board.last_id()
    board.ok(ADMIN, "/lsp", f"member add <@{CHAIR}|chair> role:chair")
    roles = board.roles()
    assert roles[CHAIR] == "chair" and roles[ALICE] == "member"
    # Handed over by someone else, both are told by DM.
    assert any("You are now the chair of Roles Board, taking over from alice" in t for t in board.dms(CHAIR, before))
    assert any("chair is now the chair of Roles Board; you stay on it as a member" in t
               for t in board.dms(ALICE, before))


def test_the_only_chair_is_never_removed_or_demoted(board: Board):
    refused = board.refused(ADMIN, "/lsp", f"member remove <@{CHAIR}|chair>")
    assert "only chair" in refused and "role:chair" in refused
    refused = board.refused(ADMIN, "/lsp", f"member add <@{CHAIR}|chair> role:member")
    assert "only chair" in refused and "role:chair" in refused
    assert "only chair" in board.refused(CHAIR, "/lsp", f"member add <@{CHAIR}|chair> role:vice-chair")
    assert board.roles()[CHAIR] == "chair"
    # After a handover the old chair is a member, and can be removed.
    board.ok(CHAIR, "/lsp", f"member add <@{ALICE}|alice> role:chair")
    board.ok(ALICE, "/lsp", f"member remove <@{CHAIR}|chair>")
    assert CHAIR not in board.roles()


def test_at_most_one_vice_chair_unless_the_board_allows_more(board: Board):
    refused = board.refused(CHAIR, "/lsp", f"member add <@{ALICE}|alice> role:vice-chair")
    assert "already has a vice-chair (vice)" in refused and "vice_chairs_max 2" in refused
    assert board.roles()[ALICE] == "member"
    board.ok(VICE, "/lsp", f"member add <@{VICE}|vice> role:vice-chair")  # the vice-chair stays one
    board.ok(CHAIR, "/lsp", "board set vice_chairs_max 2")
    board.ok(CHAIR, "/lsp", f"member add <@{ALICE}|alice> role:vice-chair")
    assert [r for r in board.roles().values()].count("vice-chair") == 2
    assert "already has 2 vice-chairs" in board.refused(CHAIR, "/lsp", f"member add <@{CAROL}|carol> role:vice-chair")


# ---------------------------------------------------------------- a member leaving


def _bob_holds_things(board: Board) -> None:
    board.ok(CHAIR, "/action", f"add Circulate the minutes <@{BOB}|bob> by 2019-03-20")
    board.ok(CHAIR, "/action", f"add Map youth provision <@{BOB}|bob>")
    board.ok(CHAIR, "/action", f"add Book the room <@{ALICE}|alice>")
    board.ok(CHAIR, "/lsp", f'project add "Southall joined-up approach" lead:<@{BOB}|bob>')
    board.ok(CHAIR, "/lsp", 'outcome add "Safer streets" lead:"Metropolitan Police"')
    board.ok(CHAIR, "/lsp", 'outcome add "Healthy lives" lead:"Ealing PCT"')


def test_removing_a_member_lists_what_they_hold_and_handover_moves_it_all(board: Board):
    _bob_holds_things(board)
    before = board.last_id()
    reply = board.ok(SECRETARY, "/lsp", f"member remove <@{BOB}|bob> handover:<@{CAROL}|carol>")
    for line in ("#1 Circulate the minutes", "#2 Map youth provision", "Project “Southall joined-up approach”",
                 "Outcome “Safer streets”"):
        assert line in reply, reply
    assert "Book the room" not in reply and "Healthy lives" not in reply
    assert "carol's now" in reply
    told = board.dms(CAROL, before)
    assert len(told) == 1, told  # each new owner is told once, of everything
    assert "#1 Circulate the minutes" in told[0] and "Southall joined-up approach" in told[0]
    assert not board.dms(BOB, before)
    with db.session_scope(board.runtime.sessions) as session:
        carol = boards.get_member(session=session, slack_user_id=CAROL)
        owners = {a.ref: a.owner_id for a in session.scalars(select(Action))}
        items = {i.name: i for i in session.scalars(select(PerformanceItem))}
        assert owners[1] == owners[2] == carol.id
        assert items["Southall joined-up approach"].lead_member_id == carol.id
        assert items["Safer streets"].lead_organisation.name == "Southall Community Alliance"
        assert items["Healthy lives"].lead_organisation.name == "Ealing PCT"
    assert BOB not in board.roles()
    assert "Circulate the minutes" in board.ok(CAROL, "/action", "list mine")


def test_removing_a_member_without_handover_still_removes_them_and_lists_what_they_held(board: Board):
    _bob_holds_things(board)
    reply = board.ok(CHAIR, "/lsp", f"member remove <@{BOB}|bob>")
    assert "no longer a member" in reply and "owner left the board" in reply
    for line in ("#1 Circulate the minutes", "#2 Map youth provision", "Project “Southall joined-up approach”",
                 "Outcome “Safer streets”"):
        assert line in reply, reply
    assert "/action reassign" in reply and "/lsp project lead" in reply
    assert BOB not in board.roles()
    # A member with nothing open just goes.
    assert "Their closed actions stay on the record" in board.ok(CHAIR, "/lsp", f"member remove <@{CAROL}|carol>")


@pytest.fixture
def bob_left(board: Board) -> OutboxMessage:
    """Bob, reminded on Tuesday 19 March 2019 of his action due the next day, is taken off the board at noon
    without a handover. His reminder (its outbox row)."""
    _bob_holds_things(board)
    board.job("chase-actions", dt.datetime(2019, 3, 19, 9, 0, tzinfo=LONDON))  # #1 is due soon: Bob is reminded
    reminder = [m for m in board.queued() if m.target == BOB and m.key.startswith("chase:")]
    assert len(reminder) == 1
    board.clock.set(dt.datetime(2019, 3, 19, 12, 0, tzinfo=LONDON))
    board.ok(CHAIR, "/lsp", f"member remove <@{BOB}|bob>")
    return reminder[0]


def test_a_member_who_left_is_never_chased_and_the_chairs_digest_lists_their_actions(board: Board,
                                                                                    bob_left: OutboxMessage):
    before = board.last_id()
    for day in (20, 21, 22, 25, 26):
        board.job("chase-actions", dt.datetime(2019, 3, day, 9, 0, tzinfo=LONDON))
    assert not board.dms(BOB, before)
    for person in (CHAIR, SECRETARY):  # the digest goes out on Monday 25 March
        digest = [t for t in board.dms(person, before) if "Escalated actions" in t]
        assert len(digest) == 1, board.dms(person, before)
        assert "#1" in digest[0] and "#2" in digest[0] and "owner left the board" in digest[0]
        assert "Book the room" not in digest[0]


def test_the_chairs_home_shows_actions_whose_owner_left(board: Board, bob_left: OutboxMessage):
    home_view = run_handler(board.runtime, home.handle_home, user_id=CHAIR, channel_id=None, values={})
    text = blocks_text(home_view.payload)
    assert "Owner left the board: #1 (bob), #2 (bob)" in text, text
    assert "Owner left the board" not in blocks_text(
        run_handler(board.runtime, home.handle_home, user_id=ALICE, channel_id=None, values={}).payload)


def test_the_chair_and_secretariat_list_the_actions_of_a_member_who_left(board: Board, bob_left: OutboxMessage):
    for person in (CHAIR, SECRETARY):
        listed = board.ok(person, "/action", f"list <@{BOB}|bob>")
        assert "Circulate the minutes" in listed and "Map youth provision" in listed and "owner left the board" in listed
    assert "not a member of Roles Board" in board.refused(ALICE, "/action", f"list <@{BOB}|bob>")
    # Changing or moving one of his actions tells the new owner, never him.
    before = board.last_id()
    board.ok(SECRETARY, "/action", "update #2 Partly mapped: Southall done")
    board.ok(CHAIR, "/action", f"reassign #1 <@{CAROL}|carol>")
    assert not board.dms(BOB, before)
    assert any("Circulate the minutes" in t for t in board.dms(CAROL, before))
    assert "Circulate the minutes" not in board.ok(CHAIR, "/action", f"list <@{BOB}|bob>")


def test_quarterly_reminders_of_a_project_whose_lead_left_go_to_the_secretariat(board: Board,
                                                                                 bob_left: OutboxMessage):
    before = board.last_id()
    board.job("quarterly-reminders", dt.datetime(2019, 4, 1, 9, 0, tzinfo=LONDON))
    assert not board.dms(BOB, before)
    covering = [t for t in board.dms(SECRETARY, before) if "Southall joined-up approach" in t]
    assert len(covering) == 1 and "no lead on the board any more" in covering[0]
    assert "bob (left the board)" in covering[0]


def test_a_member_who_left_clicking_an_old_reminder_is_told_they_are_no_longer_on_the_board(
        board: Board, bob_left: OutboxMessage):
    value = _done_value(bob_left.payload)
    for handler in (reminders.handle_chase_done, reminders.handle_chase_snooze, reminders.handle_chase_update_open):
        outcome = run_handler(board.runtime, handler, user_id=BOB, channel_id="DBOB1",
                              values={"value": value, "channel_id": "DBOB1", "message_ts": "1.000001"})
        said = blocks_text(outcome.payload)
        assert not outcome.ok and "You are no longer on Roles Board" in said, said
        assert "(the owner)" not in said and "bob" not in said
    with db.session_scope(board.runtime.sessions) as session:
        assert session.scalar(select(Action.status).where(Action.ref == 1)).value == "open"
    # The same words for his commands there, and someone never on the board is told so as before.
    assert "You are no longer on Roles Board" in board.refused(BOB, "/action", "done #1")
    outcome = run_handler(board.runtime, reminders.handle_chase_done, user_id=ALICE, channel_id="DALICE1",
                          values={"value": value})
    assert "Only bob (the owner)" in blocks_text(outcome.payload)


def test_a_click_through_slack_on_an_old_reminder_by_a_member_who_left(board: Board, bob_left: OutboxMessage,
                                                                         fake_slack: FakeSlack):
    """The same click as Slack sends it (signed, through the Bolt app and its listeners): the answer posted back
    to Bob says he is no longer on the board."""
    app = create_app(board.runtime, client=make_client(BOT_TOKEN, fake_slack.url, timeout=2), listener_executor=Inline())
    payload = {"type": "block_actions", "user": {"id": BOB, "username": "bob", "team_id": "T0LSP"},
               "team": {"id": "T0LSP"}, "api_app_id": "A0LSP", "trigger_id": "1.2.3",
               "response_url": fake_slack.url + "respond", "channel": {"id": "DBOB1"},
               "container": {"type": "message", "channel_id": "DBOB1", "message_ts": "1.000001"},
               "actions": [{"action_id": "action_done", "block_id": "b", "type": "button",
                            "value": _done_value(bob_left.payload), "action_ts": "1.2"}]}
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    response = app.dispatch(BoltRequest(body=body, headers={
        "content-type": "application/x-www-form-urlencoded", **{k.lower(): v for k, v in sign(body.encode()).items()}}))
    assert response.status == 200
    answers = " ".join(str(c.params.get("text", "")) + json.dumps(c.params.get("blocks", ""))
                       for c in fake_slack.calls() if c.method != "auth.test")
    assert "You are no longer on Roles Board" in answers, answers
    assert "(the owner)" not in answers


def _done_value(payload: dict) -> str:
    """The value of the reminder's first Done button."""
    for block in payload["blocks"]:
        for element in block.get("elements", []) or []:
            if isinstance(element, dict) and element.get("action_id") == "action_done":
                return element["value"]
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == "action_done":
            return accessory["value"]
    raise AssertionError(f"no Done button in {payload}")


# ---------------------------------------------------------------- leads


def test_project_lead_and_outcome_lead_change_an_items_lead(board: Board):
    _bob_holds_things(board)
    before = board.last_id()
    reply = board.ok(VICE, "/lsp", f'project lead "Southall joined-up approach" <@{ALICE}|alice>')
    assert "alice (Ealing PCT) now leads the project “Southall joined-up approach”" in reply
    assert "was bob (Metropolitan Police)" in reply
    assert any("You now lead the project “Southall joined-up approach”" in t for t in board.dms(ALICE, before))
    reply = board.ok(SECRETARY, "/lsp", 'outcome lead "Safer streets" "Ealing PCT"')
    assert "Ealing PCT now leads the outcome “Safer streets”" in reply and "was Metropolitan Police" in reply
    listed = board.ok(ALICE, "/lsp", "project list") + board.ok(ALICE, "/lsp", "outcome list")
    assert f"lead <@{ALICE}>" in listed and "lead Ealing PCT" in listed and BOB not in listed and "Metropolitan" not in listed
    assert "Not allowed" in board.refused(ALICE, "/lsp", 'outcome lead "Safer streets" "LB Ealing"')
    assert "not a member of Roles Board" in board.refused(
        CHAIR, "/lsp", 'project lead "Southall joined-up approach" <@UNOBODY1|nobody>')
    assert "tracks no project called" in board.refused(CHAIR, "/lsp", 'project lead "Safer streets" <@UALICE1|alice>')
    # Alice answers for the project's return now; Bob does not.
    with db.session_scope(board.runtime.sessions) as session:
        alice = session.scalar(select(Member).where(Member.slack_user_id == ALICE))
        item = session.scalar(select(PerformanceItem).where(PerformanceItem.name == "Southall joined-up approach"))
        assert item.lead_member_id == alice.id
