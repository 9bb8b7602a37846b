"""Who gets what by email: a board with an email-only member, Slack members on `email`, `both` and `documents`, one
whose DM failed for good and one whose address is not confirmed yet; what real commands and jobs queue for each
(Slack DMs, emails keyed `<key>:email`), and those who cannot be reached, listed and never silently dropped."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.services.scheduler import run_job
from handlers.links import Answer
from jobs.registry import JOBS
from store import actions as action_store
from store import boards, db, files, meetings, packs
from store.models import Delivery, OutboxMessage, Role
from store.outbox import EMAIL, LARGE_FILE
from tests.support.delivery import last_queued_id, queued_since
from tests.support.board_commands import BoardCommands
from tests.support.settings import ADMIN, LONDON
from tests.support.slack_requests import blocks_text

CHANNEL = "CMAIL1"
CHAIR, SECRETARY = "UCHAIR7", "USECRET7"
ON_EMAIL, ON_BOTH, ON_DOCS, FAILED, UNCONFIRMED = "UEMAIL7", "UBOTH7", "UDOCS7", "UFAIL7", "UUNCONF7"
JANE = "mail:00000000a1"
START = dt.datetime(2019, 3, 18, 10, 0, tzinfo=LONDON)  # a Monday


def address(user_id: str) -> str:
    return f"{user_id.replace(':', '-').lower()}@partner.example.org"


class MailBoard(BoardCommands):
    """The board's commands (tests.support.board_commands), and the messages they queue."""

    command = BoardCommands.ok

    def since(self, last_id: int) -> list[OutboxMessage]:
        return queued_since(self.runtime, last_id)

    def member_id(self, user_id: str) -> int:
        with db.session_scope(self.runtime.sessions) as session:
            member = boards.get_member(session=session, slack_user_id=user_id)
            assert member is not None
            return member.id

    def set_member(self, user_id: str, **values: object) -> None:
        with db.session_scope(self.runtime.sessions) as session:
            member = boards.get_member(session=session, slack_user_id=user_id)
            assert member is not None
            for name, value in values.items():
                setattr(member, name, value)


def with_mail(runtime: Runtime) -> Runtime:
    """The runtime with email set up (the address and sender are never dialled: nothing is sent here)."""
    runtime.settings = dataclasses.replace(runtime.settings, smtp_url="smtp://127.0.0.1:2525",
                                           mail_from="LSP Secretariat <lsp@council.example.org>")
    return runtime


@pytest.fixture
def mail_board(runtime: Runtime, clock: FixedClock) -> MailBoard:
    clock.set(START)
    board = MailBoard(with_mail(runtime), clock, CHANNEL)
    board.command(ADMIN, "/lsp", f'board create "Mail Board" chair:<@{CHAIR}|chair> org:"LB Ealing"')
    board.command(CHAIR, "/lsp", f'member add <@{SECRETARY}|secretary> org:"LB Ealing" role:secretariat')
    for user in (ON_EMAIL, ON_BOTH, ON_DOCS, FAILED, UNCONFIRMED):
        board.command(CHAIR, "/lsp", f'member add <@{user}|{user.lower()}> org:"Partner {user}" role:member')
    with db.session_scope(runtime.sessions) as session:
        the_board = boards.get_by_channel(session=session, channel_id=CHANNEL)
        assert the_board is not None
        board.board_id = the_board.id
        jane = boards.upsert_member(session=session, slack_user_id=JANE, display_name="Jane Smith")
        boards.set_role(session=session, board=the_board, member=jane, role=Role.MEMBER)
    confirmed = START - dt.timedelta(days=1)
    for user, delivery in ((ON_EMAIL, Delivery.EMAIL), (ON_BOTH, Delivery.BOTH), (ON_DOCS, Delivery.DOCUMENTS),
                           (FAILED, Delivery.SLACK), (JANE, Delivery.EMAIL)):
        board.set_member(user, email=address(user), email_confirmed_at=confirmed, delivery=delivery)
    board.set_member(FAILED, dm_failed_at=confirmed, dm_failed_reason="cannot_dm_bot")
    board.set_member(UNCONFIRMED, email=address(UNCONFIRMED), delivery=Delivery.EMAIL)
    return board


def where_they_went(rows: list[OutboxMessage]) -> dict[str, set[str]]:
    """Each person's ways of being reached in `rows`: `slack` (their DM) and `email` (to their address)."""
    by_address = {address(u): u for u in (ON_EMAIL, ON_BOTH, ON_DOCS, FAILED, UNCONFIRMED, JANE)}
    out: dict[str, set[str]] = {}
    for row in rows:
        if row.target_kind == EMAIL:
            assert row.key.endswith(":email"), row.key
            out.setdefault(by_address[row.target], set()).add("email")
        elif row.target_kind == "user":
            out.setdefault(row.target, set()).add("slack")
    return out


def test_an_action_given_goes_where_each_member_is_reached(mail_board: MailBoard):
    b = mail_board
    start = last_queued_id(b.runtime)
    for user in (ON_EMAIL, ON_BOTH, ON_DOCS, FAILED, UNCONFIRMED):
        b.command(CHAIR, "/action", f"add Send the {user} figures <@{user}|{user.lower()}> by 2019-04-30")
    went = where_they_went(b.since(start))
    assert went[ON_EMAIL] == {"email"}
    assert went[ON_BOTH] == {"slack", "email"}
    assert went[ON_DOCS] == {"slack"}  # documents only by email: a message stays in Slack
    assert went[FAILED] == {"email"}  # their DM failed for good: email instead
    assert went[UNCONFIRMED] == {"slack"}  # chose email, not confirmed yet: still reached in Slack
    email = next(r for r in b.since(start) if r.target == address(ON_EMAIL))
    assert email.payload["_method"] == "email" and email.payload["member"] == ON_EMAIL
    assert "Mail Board" in email.payload["subject"] and "Send the UEMAIL7 figures" in email.payload["text"]


def test_an_action_given_to_the_email_only_member_by_name_goes_to_her_address(mail_board: MailBoard):
    b = mail_board
    start = last_queued_id(b.runtime)
    b.command(CHAIR, "/action", 'add "Share the CCG data" @"Jane Smith" by 2019-04-30')
    rows = b.since(start)
    assert where_they_went(rows) == {JANE: {"email"}}
    (email,) = [r for r in rows if r.target_kind == EMAIL]
    assert email.payload["subject"] == "Mail Board: An action for you"
    assert "gave you an action on Mail Board" in email.payload["text"]
    assert "Share the CCG data" in email.payload["text"] and "Share the CCG data" in email.payload["html"]
    token = email.payload["text"].split("/a/", 1)[1].split()[0]
    answer = b.runtime.links.read_answer(token, b.clock.now)
    assert (answer.kind, answer.member_id) == (Answer.ACTION, b.member_id(JANE))


def test_the_chase_job_emails_the_email_only_member_once(mail_board: MailBoard):
    b = mail_board
    with db.session_scope(b.runtime.sessions) as session:
        board = boards.get_existing(session=session, board_id=b.board_id)
        jane = boards.get_member(session=session, slack_user_id=JANE)
        chair = boards.get_member(session=session, slack_user_id=CHAIR)
        assert jane is not None and chair is not None
        action = action_store.create(session=session, board=board, text="Share the CCG's winter plan", owner=jane,
                                     created_by=chair, due_date=dt.date(2019, 3, 19), now=START)
        action_id = action.id
    b.command(CHAIR, "/action", f"add Book the venue <@{ON_EMAIL}|e> by 2019-03-19")
    b.command(CHAIR, "/action", f"add Check the room <@{ON_DOCS}|d> by 2019-03-19")
    start = last_queued_id(b.runtime)
    run_job(b.runtime, JOBS["chase-actions"], b.board_id, START, how="schedule")
    chased = [r for r in b.since(start) if r.key.startswith("chase:")]
    went = where_they_went(chased)
    assert went == {JANE: {"email"}, ON_EMAIL: {"email"}, ON_DOCS: {"slack"}}
    email = next(r for r in chased if r.target == address(JANE))
    assert "Share the CCG" in email.payload["text"] and "Jane Smith" in email.payload["text"]
    links = b.runtime.links
    token = next(part for part in email.payload["text"].split() if "/a/" in part).rsplit("/a/", 1)[1]
    answer = links.read_answer(token, b.clock.now)
    assert (answer.kind, answer.member_id, answer.object_id) == (Answer.ACTION, b.member_id(JANE), action_id)
    again = last_queued_id(b.runtime)
    run_job(b.runtime, JOBS["chase-actions"], b.board_id, START, how="manual")
    assert not [r for r in b.since(again) if r.key.startswith("chase:")]  # a re-run queues nothing twice


def test_a_file_goes_to_those_who_take_documents_by_email_attached(mail_board: MailBoard):
    b = mail_board
    for user, expected in ((ON_DOCS, {"slack", "email"}), (ON_EMAIL, {"email"}), (ON_BOTH, {"slack", "email"}),
                           (SECRETARY, {"slack"})):
        start = last_queued_id(b.runtime)
        b.command(user, "/plan", "ics")
        files = [r for r in b.since(start) if r.target_kind == EMAIL or r.payload.get("_method") == "files.upload"]
        assert {("email" if r.target_kind == EMAIL else "slack") for r in files} == expected, user
        for row in files:
            if row.target_kind == EMAIL:
                (attached,) = row.payload["attachments"]
                assert attached["filename"].endswith(".ics") and bytes.fromhex(attached["content_hex"])
                assert attached["mimetype"] == "text/calendar"


def test_no_one_is_dropped_silently_those_who_cannot_be_reached_are_listed(mail_board: MailBoard):
    b = mail_board
    b.set_member(JANE, email_confirmed_at=None)
    b.set_member(FAILED, email=None, email_confirmed_at=None)
    listed = b.command(CHAIR, "/lsp", "member list")
    assert "2 members cannot be reached" in listed
    assert "Jane Smith: no address confirmed" in listed
    assert "cannot_dm_bot" in listed and "no email address" in listed
    with db.session_scope(b.runtime.sessions) as session:
        board = boards.get_existing(session=session, board_id=b.board_id)
        jane = boards.get_member(session=session, slack_user_id=JANE)
        assert jane is not None
        action_store.create(session=session, board=board, text="Winter plan", owner=jane, created_by=jane,
                            due_date=dt.date(2019, 3, 19), now=START)
    start = last_queued_id(b.runtime)
    digest = []
    for day in range(7):  # the week round: the digest day comes in it
        at = START + dt.timedelta(days=day)
        b.clock.set(at)
        run_job(b.runtime, JOBS["chase-actions"], b.board_id, at, how="schedule")
    rows = b.since(start)
    assert not [r for r in rows if r.target in (JANE, address(JANE))]  # nothing queued for her
    digest = [blocks_text(r.payload) for r in rows if r.key.startswith("digest:") and r.target_kind == "user"]
    assert digest and all("Jane Smith: no address confirmed" in d for d in digest)


def test_without_smtp_email_members_are_unreachable_and_slack_members_keep_slack(runtime: Runtime, clock: FixedClock,
                                                                               mail_board: MailBoard):
    b = mail_board
    runtime.settings = dataclasses.replace(runtime.settings, smtp_url=None, mail_from=None)
    start = last_queued_id(runtime)
    b.command(CHAIR, "/action", f"add Send the return <@{ON_EMAIL}|e> by 2019-04-30")
    assert where_they_went(b.since(start)) == {ON_EMAIL: {"slack"}}
    listed = b.command(CHAIR, "/lsp", "member list")
    assert "Jane Smith: email not set up" in listed


def test_optional_digests_by_email_carry_list_unsubscribe_and_stop_when_asked(mail_board: MailBoard):
    b = mail_board
    b.set_member(CHAIR, email=address(CHAIR), email_confirmed_at=START, delivery=Delivery.EMAIL)
    b.set_member(SECRETARY, email=address(SECRETARY), email_confirmed_at=START, delivery=Delivery.EMAIL,
                 email_digests=False)
    b.set_member(JANE, email_confirmed_at=None)  # someone unreachable: the digest goes this week
    start = last_queued_id(b.runtime)
    for day in range(7):
        at = START + dt.timedelta(days=day)
        b.clock.set(at)
        run_job(b.runtime, JOBS["chase-actions"], b.board_id, at, how="schedule")
    digests = [r for r in b.since(start) if r.key.startswith("digest:")]
    assert [r.target for r in digests] == [address(CHAIR)]  # the secretary stopped them
    headers = digests[0].payload["headers"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = headers["List-Unsubscribe"].strip("<>").rsplit("/a/", 1)[1]
    answer = b.runtime.links.read_answer(token, b.clock.now)
    assert (answer.kind, answer.member_id, answer.object_id) == (Answer.UNSUBSCRIBE, b.member_id(CHAIR),
                                                                 b.member_id(CHAIR))


def test_the_confirmation_goes_to_an_address_not_yet_confirmed_and_nothing_else_does(mail_board: MailBoard):
    b = mail_board
    b.set_member(JANE, email_confirmed_at=None)
    with db.session_scope(b.runtime.sessions) as session:
        outbox = b.runtime.outbox(session)
        assert not outbox.to_email(JANE, "slack/member_note.json.j2", {"text": "Hello"}, key="note:1")
        assert outbox.email_confirmation(JANE, "https://lsp.example.org/a/token", key="confirm:1", board="Mail Board")
    (row,) = [r for r in queued_since(b.runtime) if r.key == "confirm:1:email"]
    assert row.target == address(JANE) and row.payload["subject"] == "Mail Board: Confirm your email address"
    assert "https://lsp.example.org/a/token" in row.payload["text"]
    assert 'href="https://lsp.example.org/a/token"' in row.payload["html"]


def test_a_pack_goes_attached_and_one_too_large_to_attach_as_her_link_into_the_boards_pages(mail_board: MailBoard):
    b = mail_board
    with db.session_scope(b.runtime.sessions) as session:
        meeting = meetings.create(session=session, board_id=b.board_id, date=dt.date(2019, 4, 25), starts_at=None,
                                  venue="Perceval House", now=START)
        small = files.put(session=session, content=b"%PDF-1.7 a small pack", content_type="application/pdf",
                          now=START)
        large = files.put(session=session, content=b"%PDF-1.7" + bytes(LARGE_FILE), content_type="application/pdf",
                          now=START)
        for number, stored in enumerate((small, large)):
            packs.save(session=session, board_id=b.board_id, meeting_id=meeting.id, number=number,
                       audience="members", file=stored, filename=f"pack-{number}.pdf", pages=3, contents=[],
                       separate=[], now=START)
        outbox = b.runtime.outbox(session)
        outbox.stored_file_to_user(JANE, small.id, "pack-0.pdf", title="Agenda pack", key="pack:small")
        outbox.stored_file_to_user(JANE, large.id, "pack-1.pdf", title="Agenda pack", key="pack:large")
        small_id = small.id
    rows = {r.key: r for r in queued_since(b.runtime) if r.key.startswith("pack:")}
    assert set(rows) == {"pack:small:email", "pack:large:email"}  # email-only: no Slack upload
    assert rows["pack:small:email"].payload["attachments"] == [
        {"filename": "pack-0.pdf", "_file_id": small_id, "mimetype": "application/pdf"}]
    big = rows["pack:large:email"].payload
    assert big["attachments"] == [] and "too large to attach" in big["text"]
    token = big["text"].split("/enter/", 1)[1].split()[0]
    entry = b.runtime.links.read_member_entry(token, b.board_id, b.clock.now)
    assert entry.member_id == b.member_id(JANE)
