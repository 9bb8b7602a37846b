"""Members by email: added with their address and name, each new address sent a confirmation (a signed link bound
to the member and the address) before anything else, named in commands as @"Their Name" or by their address,
offered in forms by a select of the board's members, shown in `/lsp member list`, a Slack member's own address and
delivery (`/lsp me …`), and erased with the rest of a person.

In-process through `run_command` and `run_handler` (the edge `lspbot serve` uses), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.runtime import Runtime, run_command, run_handler
from handlers import action_forms
from handlers.links import Answer
from handlers.parsing import parse, tokenize
from store import boards, db
from store import emails as email_store
from store.models import (Action, Attendance, AuditRecord, Declaration, Delivery, Member, OutboxMessage, PerformanceItem,
                          PlanItem)
from store.outbox import EMAIL
from tests.support.board_commands import BoardCommands
from tests.support.delivery import last_queued_id, queued_since
from tests.support.server import run_lspbot
from tests.support.settings import ADMIN, LONDON, lspbot_env
from tests.support.slack_requests import blocks_text

CHANNEL = "CMAIL01"
CHAIR, SECRETARY, ALICE, BOB = "UCHAIRM1", "USECRM1", "UALICEM1", "UBOBM1"
JANE = 'email:jane.smith@nhs.net name:"Jane Smith" org:"Ealing CCG"'


class Board(BoardCommands):
    """The board's commands (tests.support.board_commands), and what these tests look at."""

    def member(self, **where: str) -> Member:
        with db.session_scope(self.runtime.sessions) as session:
            if "email" in where:
                found = email_store.member_with_email(session=session, email=where["email"])
            else:
                found = boards.get_member(session=session, slack_user_id=where["slack_user_id"])
            assert found is not None
            session.expunge(found)
            return found

    def emails(self, since_id: int = 0) -> list[OutboxMessage]:
        return [m for m in queued_since(self.runtime, since_id) if m.target_kind == EMAIL]


@pytest.fixture
def board(runtime: Runtime, clock: FixedClock) -> Board:
    """A board on Monday 18 March 2019: the chair, a secretary, Alice (Ealing PCT) and Bob (the Met)."""
    clock.set(dt.datetime(2019, 3, 18, 10, 0, tzinfo=LONDON))
    b = Board(runtime, clock, CHANNEL)
    b.ok(ADMIN, "/lsp", f'board create "Mail Board" chair:<@{CHAIR}|chair> org:"LB Ealing"')
    for user, org, role in ((SECRETARY, "LB Ealing", "secretariat"), (ALICE, "Ealing PCT", "member"),
                            (BOB, "Metropolitan Police", "member")):
        b.ok(CHAIR, "/lsp", f'member add <@{user}|{user[1:-2].lower()}> org:"{org}" role:{role}')
    with db.session_scope(runtime.sessions) as session:
        b.board_id = boards.get_by_channel(session=session, channel_id=CHANNEL).id
    return b


def _confirmation_link(board: Board, message: OutboxMessage) -> str:
    payload = message.payload
    assert payload["_method"] == "email" and payload["to_name"]
    links = [word for word in payload["text"].split() if "/a/" in word]
    assert len(links) == 1 and links[0] in payload["html"]
    return links[0]


# ---------------------------------------------------------------- adding a member by email


def test_a_member_added_by_email_is_sent_a_confirmation_whose_link_is_bound_to_them_and_the_address(board: Board):
    before = last_queued_id(board.runtime)
    reply = board.ok(SECRETARY, "/lsp", "member add email:Jane.Smith@NHS.net name:\"Jane Smith\" "
                                        'org:"Ealing CCG" role:member')
    assert "Jane Smith joined Mail Board as member, for Ealing CCG" in reply and "Jane.Smith@nhs.net" in reply
    jane = board.member(email="jane.smith@nhs.net")
    assert jane.email == "Jane.Smith@nhs.net"  # the domain normalised by email-validator, the local part kept
    assert jane.slack_user_id.startswith("mail:") and len(jane.slack_user_id) == len("mail:") + 10
    assert jane.display_name == "Jane Smith" and jane.delivery == Delivery.EMAIL
    assert jane.email_confirmed_at is None and not jane.email_ready
    # Its confirmation is the one thing queued for the address, and nothing went to a Slack DM for her.
    queued = queued_since(board.runtime, before)
    assert [m.target for m in queued if m.target_kind == EMAIL] == ["Jane.Smith@nhs.net"]
    assert not [m for m in queued if m.target == jane.slack_user_id]
    message = board.emails(before)[0]
    assert message.payload["member"] == jane.slack_user_id and message.payload["to_name"] == "Jane Smith"
    assert "confirm" in message.payload["subject"].lower()
    link = _confirmation_link(board, message)
    answer = board.runtime.links.read_answer(link.rsplit("/a/", 1)[1], board.clock.now)
    assert (answer.kind, answer.member_id, answer.object_id, answer.email) == (
        Answer.CONFIRM, jane.id, jane.id, "Jane.Smith@nhs.net")
    # The page behind the link confirms through the store; a link to an address since changed does not.
    with db.session_scope(board.runtime.sessions) as session:
        assert email_store.confirm_email(session=session, member_id=jane.id, email=answer.email or "",
                                         now=board.clock.now())
        assert not email_store.confirm_email(session=session, member_id=jane.id, email="old@nhs.net",
                                             now=board.clock.now())
    assert board.member(email="jane.smith@nhs.net").email_ready
    # The membership and its address are in the audit trail.
    with db.session_scope(board.runtime.sessions) as session:
        added = session.scalars(select(AuditRecord).where(AuditRecord.entity == "membership",
                                                          AuditRecord.entity_id == jane.id)).one()
        assert added.after["email"] == "Jane.Smith@nhs.net" and added.actor == SECRETARY


def test_a_malformed_duplicate_or_nameless_address_is_refused_and_nothing_is_queued(board: Board):
    before = last_queued_id(board.runtime)
    refused = board.refused(SECRETARY, "/lsp", 'member add email:jane.smith@ name:"Jane Smith" org:"Ealing CCG"')
    assert "is not an email address I can use" in refused and "something after the @-sign" in refused
    refused = board.refused(SECRETARY, "/lsp", 'member add email:jane.smith@nhs.net org:"Ealing CCG"')
    assert "Give their name" in refused
    refused = board.refused(SECRETARY, "/lsp", 'member add email:jane.smith@nhs.net name:"Jane Smith"')
    assert "Which organisation" in refused
    assert not queued_since(board.runtime, before)
    board.ok(SECRETARY, "/lsp", f"member add {JANE}")
    refused = board.refused(CHAIR, "/lsp", 'member add email:JANE.SMITH@nhs.net name:"J Smith" org:"Ealing CCG"')
    assert "already a member of Mail Board: Jane Smith (Ealing CCG)" in refused
    # A Slack member cannot take an address another member has either.
    refused = board.refused(ALICE, "/lsp", "me email jane.smith@nhs.net")
    assert "already the address of Jane Smith" in refused
    # Only the chair, vice-chair and secretariat add members.
    assert "Only the chair" in board.refused(ALICE, "/lsp", 'member add email:x@nhs.net name:"X" org:"Y"')


# ---------------------------------------------------------------- a Slack member's address and delivery


def test_me_email_and_delivery(board: Board):
    refused = board.refused(ALICE, "/lsp", "me delivery email")
    assert "no email address on file" in refused
    assert "no email address" in board.ok(ALICE, "/lsp", "me")
    before = last_queued_id(board.runtime)
    reply = board.ok(ALICE, "/lsp", "me email alice.jones@ealing-pct.nhs.uk")
    assert "Set your email address to alice.jones@ealing-pct.nhs.uk" in reply
    assert [m.target for m in board.emails(before)] == ["alice.jones@ealing-pct.nhs.uk"]
    shown = board.ok(ALICE, "/lsp", "me")
    assert "alice.jones@ealing-pct.nhs.uk, not confirmed yet" in shown and "in Slack" in shown
    assert "once you confirm it" in board.ok(ALICE, "/lsp", "me delivery documents")
    assert board.member(slack_user_id=ALICE).delivery == Delivery.DOCUMENTS
    assert "already" in board.ok(ALICE, "/lsp", "me delivery documents")
    assert "Choose one of slack, email, both, documents" in board.refused(ALICE, "/lsp", "me delivery pigeon")
    # Confirmed, then changed: the confirmation goes with the old address, and the new one is sent its own.
    alice = board.member(slack_user_id=ALICE)
    with db.session_scope(board.runtime.sessions) as session:
        assert email_store.confirm_email(session=session, member_id=alice.id, email="alice.jones@ealing-pct.nhs.uk",
                                         now=board.clock.now())
    assert "confirmed 18 March 2019" in board.ok(ALICE, "/lsp", "me")
    before = last_queued_id(board.runtime)
    reply = board.ok(ALICE, "/lsp", "me email a.jones@nhs.net")
    assert "Changed your email address to a.jones@nhs.net" in reply
    alice = board.member(slack_user_id=ALICE)
    assert alice.email == "a.jones@nhs.net" and alice.email_confirmed_at is None
    assert [m.target for m in board.emails(before)] == ["a.jones@nhs.net"]
    # The secretariat sets another member's address; every change is audited.
    board.ok(SECRETARY, "/lsp", f"member email <@{BOB}|bob> bob.smith@met.police.uk")
    assert board.member(slack_user_id=BOB).email == "bob.smith@met.police.uk"
    assert "Only the chair" in board.refused(ALICE, "/lsp", f"member email <@{BOB}|bob> x@met.police.uk")
    with db.session_scope(board.runtime.sessions) as session:
        changes = session.scalars(select(AuditRecord).where(AuditRecord.entity == "member")
                                  .order_by(AuditRecord.id)).all()
        assert [(c.operation, c.actor, c.after.get("email") or c.after.get("delivery")) for c in changes] == [
            ("email", ALICE, "alice.jones@ealing-pct.nhs.uk"), ("delivery", ALICE, "documents"),
            ("email", ALICE, "a.jones@nhs.net"), ("email", SECRETARY, "bob.smith@met.police.uk")]
    # Removing the address takes them back to Slack alone.
    assert "Removed your email address" in board.ok(ALICE, "/lsp", "me email none")
    alice = board.member(slack_user_id=ALICE)
    assert alice.email is None and alice.delivery == Delivery.SLACK


# ---------------------------------------------------------------- naming email-only members in commands


def test_email_members_are_named_by_quoted_name_or_address(board: Board):
    board.ok(SECRETARY, "/lsp", f"member add {JANE}")
    jane = board.member(email="jane.smith@nhs.net")
    reply = board.ok(ALICE, "/action", 'add "Share the CCG data" @"jane smith" by 2019-04-30')
    assert "Jane Smith" in reply
    reply = board.ok(ALICE, "/action", "add Book the venue jane.smith@nhs.net")
    # An address at the end that is no member's stays part of the text.
    board.ok(ALICE, "/action", "add Write to info@ealing.gov.uk")
    with db.session_scope(board.runtime.sessions) as session:
        actions = session.scalars(select(Action).order_by(Action.id)).all()
        owners = [(a.text, a.owner_id) for a in actions]
    alice = board.member(slack_user_id=ALICE)
    assert owners == [("Share the CCG data", jane.id), ("Book the venue", jane.id),
                      ("Write to info@ealing.gov.uk", alice.id)]
    board.ok(CHAIR, "/action", "reassign #3 @“Jane Smith”")
    board.ok(CHAIR, "/action", f"reassign #1 <@{BOB}|bob>")
    board.ok(CHAIR, "/action", "reassign #1 jane.smith@nhs.net")
    with db.session_scope(board.runtime.sessions) as session:
        assert {a.owner_id for a in session.scalars(select(Action))} == {jane.id}
    listed = board.ok(CHAIR, "/action", 'list @"Jane Smith"')
    assert "Open actions of Jane Smith" in listed and "Share the CCG data" in listed
    # A project's lead.
    board.ok(CHAIR, "/lsp", 'project add "Northolt hub" lead:@"Jane Smith"')
    board.ok(CHAIR, "/lsp", f'project lead "Northolt hub" <@{BOB}|bob>')
    board.ok(CHAIR, "/lsp", 'project lead "Northolt hub" jane.smith@nhs.net')
    with db.session_scope(board.runtime.sessions) as session:
        assert session.scalars(select(PerformanceItem)).one().lead_member_id == jane.id
    # Not on the board, no such name, no such address.
    assert "No member of Mail Board is called “Nobody Here”" in board.refused(
        ALICE, "/action", 'add "Something" @"Nobody Here"')
    assert "No member has the address" in board.refused(CHAIR, "/action", "reassign #1 nobody@nhs.net")


def test_a_name_two_members_share_is_refused_with_both(board: Board):
    board.ok(SECRETARY, "/lsp", f"member add {JANE}")
    board.ok(SECRETARY, "/lsp", 'member add email:jane.smith@met.police.uk name:"Jane Smith" org:"Metropolitan Police"')
    refused = board.refused(ALICE, "/action", 'add "Share the data" @"Jane Smith"')
    assert "2 members of Mail Board are called “Jane Smith”" in refused
    assert "Jane Smith (Ealing CCG)" in refused and "Jane Smith (Metropolitan Police)" in refused
    board.ok(ALICE, "/action", 'add "Share the data" jane.smith@met.police.uk')


# ---------------------------------------------------------------- forms


def test_the_action_form_offers_the_boards_members_when_some_are_reached_by_email(board: Board):
    def owner_element(user: str) -> dict:
        opened = run_handler(board.runtime, action_forms.open_action_modal, user_id=user, channel_id=CHANNEL)
        assert opened.open_modal is not None
        view = board.runtime.renderer(opened.open_modal["template"], opened.open_modal["data"])
        return next(b for b in view["blocks"] if b.get("block_id") == action_forms.FIELD_OWNER)["element"]

    assert owner_element(ALICE)["type"] == "users_select"  # nobody by email yet: Slack's user picker
    board.ok(SECRETARY, "/lsp", f"member add {JANE}")
    jane = board.member(email="jane.smith@nhs.net")
    element = owner_element(ALICE)
    assert element["type"] == "static_select"
    options = {o["value"]: o["text"]["text"] for o in element["options"]}
    assert options[jane.slack_user_id] == "Jane Smith — Ealing CCG" and options[ALICE] == "alice — Ealing PCT"
    assert element["initial_option"]["value"] == ALICE
    # The submission takes either kind of id.
    for owner in (jane.slack_user_id, BOB):
        done = run_handler(board.runtime, action_forms.handle_action_modal_submit, user_id=ALICE, channel_id=None,
                           values={"text": f"From the form for {owner}", "owner": owner,
                                   "private_metadata": f'{{"board_id": {board.board_id}}}'})
        assert done.ok, blocks_text(done.payload)
    with db.session_scope(board.runtime.sessions) as session:
        owners = [a.owner.slack_user_id for a in session.scalars(select(Action).order_by(Action.id))]
    assert owners == [jane.slack_user_id, BOB]


# ---------------------------------------------------------------- the member list


def test_member_list_shows_how_each_member_is_reached(board: Board):
    board.ok(SECRETARY, "/lsp", f"member add {JANE}")
    board.ok(BOB, "/lsp", "me email bob.smith@met.police.uk")
    board.ok(BOB, "/lsp", "me delivery both")
    full = board.ok(SECRETARY, "/lsp", "member list")
    assert "Jane Smith — Ealing CCG · by email (jane.smith@nhs.net, not confirmed)" in full
    assert "Slack and email (bob.smith@met.police.uk, not confirmed)" in full
    masked = board.ok(ALICE, "/lsp", "member list")
    assert "by email (…@nhs.net, not confirmed)" in masked and "jane.smith@" not in masked


# ---------------------------------------------------------------- personal data


def test_erasing_a_member_by_email_forgets_their_address_and_cancels_their_emails(board: Board):
    board.ok(SECRETARY, "/lsp", f"member add {JANE}")
    jane = board.member(email="jane.smith@nhs.net")
    done = run_lspbot(["member", "export", "jane.smith@nhs.net"],
                      lspbot_env(board.runtime.settings.database_url, "http://127.0.0.1:9"))
    assert done.returncode == 0, done.stderr
    exported = json.loads(done.stdout)
    assert exported["member"]["email"] == "jane.smith@nhs.net" and exported["member"]["delivery"] == "email"
    assert [m["key"].split(":")[0] for m in exported["messages_to_them"]] == ["email-confirm"]
    assert "Erase Jane Smith?" in board.ok(ADMIN, "/lsp", "member erase jane.smith@nhs.net")
    board.ok(ADMIN, "/lsp", "member erase jane.smith@nhs.net confirm:yes")
    with db.session_scope(board.runtime.sessions) as session:
        erased = session.get(Member, jane.id)
        assert (erased.email, erased.email_confirmed_at, erased.delivery) == (None, None, Delivery.SLACK)
        assert erased.display_name.startswith("Former member")
        assert email_store.member_with_email(session=session, email="jane.smith@nhs.net") is None
        confirmation = session.scalars(select(OutboxMessage).where(OutboxMessage.key.startswith("email-confirm:"))
                                       ).one()
        assert confirmation.payload == {"purged": True} and "jane" not in confirmation.target
        for record in session.scalars(select(AuditRecord)):
            assert "jane.smith@nhs.net" not in str(record.before) + str(record.after)


def test_email_members_named_in_membership_meetings_and_the_plan(board: Board):
    board.ok(SECRETARY, "/lsp", f"member add {JANE}")
    jane = board.member(email="jane.smith@nhs.net")
    board.ok(CHAIR, "/lsp", 'member add @"Jane Smith" role:secretariat')  # her role changed by her name
    board.ok(CHAIR, "/lsp", 'member add <@UCCGM1|sam> org:"Ealing CCG"')
    board.ok(CHAIR, "/plan", "meeting add 2019-04-10 10:00")
    # A colleague sends her in their place; the paper's author; Bob's actions handed over to her as he leaves.
    assert "Jane Smith" in board.ok("UCCGM1", "/meeting", 'reply substitute @"Jane Smith"')
    board.ok(CHAIR, "/plan", 'item add 2019-04-10 "Health data" lead:"Ealing CCG" paper:yes author:@"Jane Smith"')
    board.ok(CHAIR, "/action", f"add Check the figures <@{BOB}|bob>")
    board.ok(CHAIR, "/lsp", f'member remove <@{BOB}|bob> handover:@"Jane Smith"')
    with db.session_scope(board.runtime.sessions) as session:
        assert session.scalars(select(Attendance)).one().substitute_member_id == jane.id
        item = session.scalars(select(PlanItem).where(PlanItem.title == "Health data")).one()
        assert (item.paper_author_id, item.report_author) == (jane.id, "Jane Smith")
        assert session.scalars(select(Action)).one().owner_id == jane.id
    assert "Jane Smith is no longer a member" in board.ok(CHAIR, "/lsp", "member remove jane.smith@nhs.net")


def test_the_tokenizer_keeps_a_quoted_name_after_at_as_one_mention():
    tokens = tokenize('add "Share the data" @"Jane  Smith" by Friday')
    assert [(t.value, t.quoted) for t in tokens] == [
        ("add", False), ("Share the data", True), ('@"Jane  Smith"', False), ("by", False), ("Friday", False)]
    assert tokenize("@“Jane Smith”")[0].value == '@"Jane Smith"'
    assert parse('lead:@"Jane Smith" x', ("lead",)).options["lead"] == '@"Jane Smith"'


def test_a_member_by_email_joins_a_second_board_by_their_address(board: Board):
    board.ok(SECRETARY, "/lsp", f"member add {JANE}")
    jane = board.member(email="jane.smith@nhs.net")
    other = run_command(board.runtime, "/lsp", user_id=ADMIN, channel_id="CMAIL02",
                        text=f'board create "Other Board" chair:<@{CHAIR}|chair> org:"LB Ealing"')
    assert other.ok, blocks_text(other.payload)
    again = run_command(board.runtime, "/lsp", user_id=CHAIR, channel_id="CMAIL02", text=f"member add {JANE}")
    assert not again.ok and "a member of another board" in blocks_text(again.payload)
    assert "/lsp member add jane.smith@nhs.net org:" in blocks_text(again.payload)
    joined = run_command(board.runtime, "/lsp", user_id=CHAIR, channel_id="CMAIL02",
                         text='member add jane.smith@nhs.net org:"Ealing CCG" new_org:yes')
    assert joined.ok, blocks_text(joined.payload)
    with db.session_scope(board.runtime.sessions) as session:
        assert sorted(m.board.name for m in boards.memberships_of(session=session, member_id=jane.id)) == [
            "Mail Board", "Other Board"]


def test_the_secretariat_gives_or_changes_an_address(board: Board):
    before = last_queued_id(board.runtime)
    board.ok(SECRETARY, "/lsp", 'member add <@UNEWM1|newbie> org:"Ealing PCT" email:New.Bie@Ealing.gov.uk')
    newbie = board.member(slack_user_id="UNEWM1")
    assert newbie.email == "New.Bie@ealing.gov.uk" and newbie.delivery == Delivery.SLACK
    assert [m.target for m in board.emails(before)] == ["New.Bie@ealing.gov.uk"]
    board.ok(SECRETARY, "/lsp", f"member add {JANE}")
    jane = board.member(email="jane.smith@nhs.net")
    with db.session_scope(board.runtime.sessions) as session:
        email_store.confirm_email(session=session, member_id=jane.id, email="jane.smith@nhs.net",
                                  now=board.clock.now())
    before = last_queued_id(board.runtime)
    assert "Changed Jane Smith's email address to jane.smith2@nhs.net" in board.ok(
        CHAIR, "/lsp", 'member email @"Jane Smith" jane.smith2@nhs.net')
    jane = board.member(slack_user_id=jane.slack_user_id)
    assert jane.email == "jane.smith2@nhs.net" and jane.email_confirmed_at is None
    message = board.emails(before)[0]
    answer = board.runtime.links.read_answer(_confirmation_link(board, message).rsplit("/a/", 1)[1], board.clock.now)
    assert (answer.member_id, answer.email) == (jane.id, "jane.smith2@nhs.net")
    # An email-only member keeps an address; a malformed one is refused with the validator's reason.
    assert "reached by email alone" in board.refused(CHAIR, "/lsp", 'member email @"Jane Smith" none')
    assert "not an email address I can use" in board.refused(CHAIR, "/lsp", 'member email @"Jane Smith" jane@@x')


def test_email_members_at_a_meeting(board: Board):
    board.ok(SECRETARY, "/lsp", f"member add {JANE}")
    jane = board.member(email="jane.smith@nhs.net")
    board.ok(CHAIR, "/plan", "meeting add 2019-03-18 10:00")
    board.ok(CHAIR, "/plan", 'item add 2019-03-18 "Health data" lead:"Ealing CCG"')
    board.ok(CHAIR, "/meeting", "start 2019-03-18")
    assert "Jane Smith" in board.ok(SECRETARY, "/meeting", f'attend @"Jane Smith" <@{ALICE}|alice> "Dr Who (CCG)"')
    assert "Jane Smith" in board.ok(SECRETARY, "/meeting", 'declare @"Jane Smith" item:1 "Works for the CCG"')
    with db.session_scope(board.runtime.sessions) as session:
        assert jane.id in {p.member_id for p in session.scalars(select(Attendance)) if p.presence == "present"}
        assert session.scalars(select(Declaration)).one().member_id == jane.id


def test_a_member_whose_dm_failed_is_dmed_again_once_they_choose_from_slack(board: Board):
    with db.session_scope(board.runtime.sessions) as session:  # as the sender leaves it when Slack refuses a DM
        alice = boards.get_member(session=session, slack_user_id=ALICE)
        assert alice is not None
        alice.dm_failed_at, alice.dm_failed_reason = board.clock.now(), "user_disabled"
    since = last_queued_id(board.runtime)
    board.ok(BOB, "/action", f"add Send the figures <@{ALICE}|alice> by Friday")
    assert not [m for m in queued_since(board.runtime, since) if m.target == ALICE]  # no DM, no address: nothing to send
    assert "`/lsp me delivery slack`" in board.ok(ALICE, "/lsp", "me")
    said = board.ok(ALICE, "/lsp", "me delivery slack")
    assert "Slack DMs to you are tried again" in said
    assert board.member(slack_user_id=ALICE).dm_failed_at is None
    since = last_queued_id(board.runtime)
    board.ok(BOB, "/action", f"add Send the other figures <@{ALICE}|alice> by Friday")
    assert [m.target_kind for m in queued_since(board.runtime, since) if m.target == ALICE] == ["user"]
    with db.session_scope(board.runtime.sessions) as session:
        [reset] = session.scalars(select(AuditRecord).where(AuditRecord.operation == "dm_reset")).all()
        assert reset.actor == ALICE and reset.after == {"dm_failed_at": None}


def test_erasure_forgets_every_address_they_had(board: Board):
    board.ok(SECRETARY, "/lsp", f"member add {JANE}")
    board.ok(CHAIR, "/lsp", 'member email @"Jane Smith" jane.smith2@nhs.net')
    board.ok(ADMIN, "/lsp", "member erase jane.smith2@nhs.net confirm:yes")
    with db.session_scope(board.runtime.sessions) as session:
        left = [str(r.before) + str(r.after) for r in session.scalars(select(AuditRecord))
                if "jane.smith" in str(r.before) + str(r.after)]
        targets = [m.target for m in session.scalars(select(OutboxMessage)) if "jane.smith" in m.target]
        payloads = [m.key for m in session.scalars(select(OutboxMessage)) if "jane.smith" in str(m.payload)]
    assert not left and not targets and not payloads
