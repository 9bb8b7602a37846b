"""Before the meeting, who is coming: the reply buttons and the substitute's form called directly, `/meeting
attendance`, the `quorum` setting and the quorum's evaluation, on a real database (SQLite, and PostgreSQL when
the tests have it). One board per module and backend; each test's unit of work is rolled back after it.

The clock reads Tuesday 16 July 2019, 09:30 in London; the meeting is on Thursday 10 October 2019.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clock import FixedClock
from bot.render.environment import Renderer
from handlers import attendance
from handlers.base import Forbidden, InvalidInput, NotFound, Reply, UsageError
from handlers.record_settings import quorum_rule
from handlers.quorum import quorum_check
from store import boards, personal_data
from store.models import Attendance, AuditRecord, Board, Meeting, MeetingRecord, Member
from tests.support.direct import Caller, RecordingNotifier, seeded_fixtures
from tests.support.settings import ADMIN, DEFAULT_NOW, LONDON
from tests.support.slack_requests import blocks_text

CHANNEL = "CATTEND1"
CHAIR, VICE, SECRETARY, ALICE, CAROL, BOB, DORA, OUTSIDER = (
    "UACHAIR", "UAVICE", "UASECR", "UAALICE", "UACAROL", "UABOB", "UADORA", "UAOUT")
BOARD = "Attendance Board"
RENDER = Renderer()


def _seed(caller: Caller) -> None:
    """The chair, a vice-chair and the secretariat from LB Ealing; Alice and Carol from Ealing PCT; Bob from the
    Metropolitan Police; Dora from DWP; a meeting on Thursday 10 October 2019."""
    caller.as_user(ADMIN)("/lsp", f'board create "{BOARD}" chair:<@{CHAIR}|chair> org:"LB Ealing"')
    for user, name, org, role in ((VICE, "vera", "LB Ealing", "vice-chair"),
                                  (SECRETARY, "sam", "LB Ealing", "secretariat"),
                                  (ALICE, "alice", "Ealing PCT", "member"), (CAROL, "carol", "Ealing PCT", "member"),
                                  (BOB, "bob", "Metropolitan Police", "member"), (DORA, "dora", "DWP", "member")):
        caller.as_user(CHAIR)("/lsp", f'member add <@{user}|{name}> org:"{org}" role:{role}')
    caller.as_user(CHAIR)("/plan", 'meeting add 2019-10-10 10:00 venue:"Perceval House"')


sessions, session = seeded_fixtures(_seed, channel=CHANNEL, label="attendance")


@pytest.fixture
def notes() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEFAULT_NOW)


@pytest.fixture
def call(session: Session, clock: FixedClock, notes: RecordingNotifier) -> Caller:
    return Caller(session, clock, notes, CHAIR, CHANNEL)


def meeting_id(session: Session) -> int:
    return session.scalar(select(Meeting.id).where(Meeting.date == dt.date(2019, 10, 10)))


def member_id(session: Session, user: str) -> int:
    member = boards.get_member(session=session, slack_user_id=user)
    assert member is not None
    return member.id


def click(call: Caller, user: str, handler, value: object) -> Reply:
    return handler(call.as_user(user).request(value=str(value)))


def row_of(session: Session, user: str) -> Attendance | None:
    return session.scalar(select(Attendance).where(Attendance.member_id == member_id(session, user)))


def audits(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditRecord)
                          .where(AuditRecord.entity == "meeting_attendance")) or 0


def text_of(reply: Reply) -> str:
    return blocks_text(RENDER(reply.template, reply.data))


def submit(call: Caller, user: str, meeting: int, **values: str) -> Reply:
    req = call.as_user(user).request(private_metadata=json.dumps({"meeting_id": meeting}), **values)
    return attendance.handle_substitute_submission(req)


def test_a_reply_is_recorded_and_clicking_again_changes_it(session: Session, call: Caller):
    meeting = meeting_id(session)
    reply = click(call, ALICE, attendance.handle_attending_button, meeting)
    assert "You are coming to the *Attendance Board* meeting on *Thursday 10 October 2019*" in text_of(reply)
    row = row_of(session, ALICE)
    assert row is not None and (row.reply, row.name, row.organisation_id is not None) == ("attending", "alice", True)
    assert audits(session) == 1

    reply = click(call, ALICE, attendance.handle_apologies_button, meeting)
    assert "Your apologies" in text_of(reply) and "Before, you had said: attending" in text_of(reply)
    assert row_of(session, ALICE).reply == "apologies" and audits(session) == 2

    reply = click(call, ALICE, attendance.handle_apologies_button, meeting)  # the same again: nothing written
    assert reply.data["unchanged"] and "That is what you had said already" in text_of(reply)
    assert audits(session) == 2
    assert session.scalar(select(func.count()).select_from(Attendance)) == 1


def test_clicks_refused_with_the_reason_and_nothing_written(session: Session, call: Caller, clock: FixedClock):
    meeting = meeting_id(session)
    with pytest.raises(Forbidden, match="not a member of Attendance Board"):
        click(call, OUTSIDER, attendance.handle_attending_button, meeting)
    with pytest.raises(Forbidden, match="not a member"):  # an admin answers only for a seat they hold
        click(call, ADMIN, attendance.handle_apologies_button, meeting)
    for value in ("999999", "x", "", "99999999999999999999"):
        with pytest.raises(NotFound, match="no longer in the plan"):
            click(call, ALICE, attendance.handle_attending_button, value)
    call.as_user(CHAIR)("/lsp", f"member remove <@{DORA}>")
    with pytest.raises(Forbidden, match="no longer on Attendance Board"):
        click(call, DORA, attendance.handle_attending_button, meeting)
    # Meeting mode has opened the meeting: presence is the secretariat's to record now.
    board_id = session.scalar(select(Board.id).where(Board.name == BOARD))
    record = MeetingRecord(meeting_id=meeting, board_id=board_id, opened_at=clock.now(), opened_by=CHAIR,
                           channel_id=CHANNEL)
    session.add(record)
    session.flush()
    with pytest.raises(InvalidInput, match="is under way"):
        click(call, ALICE, attendance.handle_attending_button, meeting)
    record.closed_at = clock.now()
    session.flush()
    with pytest.raises(InvalidInput, match="has ended"):
        click(call, ALICE, attendance.handle_attending_button, meeting)
    session.delete(record)
    session.flush()
    clock.set(dt.datetime(2019, 10, 11, 9, 0, tzinfo=LONDON))
    with pytest.raises(InvalidInput, match="has taken place, so replies to it are closed"):
        click(call, ALICE, attendance.handle_attending_button, meeting)
    with pytest.raises(InvalidInput, match="has taken place"):
        submit(call, ALICE, meeting, substitute_name="Zed", substitute_email="zed@example.org")
    assert session.scalar(select(func.count()).select_from(Attendance)) == 0 and audits(session) == 0


def test_a_substitute_from_the_same_organisation(session: Session, call: Caller, notes: RecordingNotifier):
    meeting = meeting_id(session)
    opened = click(call, ALICE, attendance.handle_substitute_button, meeting)
    assert opened.open_modal is not None
    data = opened.open_modal["data"]
    carol = member_id(session, CAROL)
    assert data["colleagues"] == [{"text": "carol", "value": str(carol)}] and data["organisation"] == "Ealing PCT"
    view = RENDER(opened.open_modal["template"], data)
    assert view["callback_id"] == "meeting_substitute_modal"
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == [
        "substitute_member", "substitute_name", "substitute_email"]
    assert row_of(session, ALICE) is None  # opening the form writes nothing

    bob = member_id(session, BOB)
    with pytest.raises(InvalidInput, match="from your organisation") as refused:
        submit(call, ALICE, meeting, substitute_member=str(bob))
    assert refused.value.field == "substitute_member"
    with pytest.raises(InvalidInput, match="not both"):
        submit(call, ALICE, meeting, substitute_member=str(carol), substitute_name="Zed")
    with pytest.raises(InvalidInput, match="Choose a colleague, or give the name"):
        submit(call, ALICE, meeting)
    assert row_of(session, ALICE) is None

    reply = submit(call, ALICE, meeting, substitute_member=str(carol))
    assert "*carol* is coming to the *Attendance Board* meeting" in text_of(reply)
    row = row_of(session, ALICE)
    assert (row.reply, row.substitute_member_id, row.substitute_name) == ("substitute", carol, None)
    assert [s.template for s in notes.to(ALICE)] == ["slack/attendance_reply.json.j2"]  # the form closes: a DM
    again = click(call, ALICE, attendance.handle_substitute_button, meeting).open_modal
    assert again is not None and again["data"]["chosen"] == {"text": "carol", "value": str(carol)}


def test_a_substitute_by_name_and_email(session: Session, call: Caller):
    meeting = meeting_id(session)
    opened = click(call, DORA, attendance.handle_substitute_button, meeting)
    assert opened.open_modal is not None and opened.open_modal["data"]["colleagues"] == []  # nobody else from DWP
    view = RENDER(opened.open_modal["template"], opened.open_modal["data"])
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == ["substitute_name", "substitute_email"]
    assert not any(b.get("optional") for b in view["blocks"] if b["type"] == "input")
    for bad in ("zed", "zed@", "zed@example", "zed @example.org", "<zed@example.org>", "zed@exa mple.org",
                "a@b.c", "z" * 250 + "@example.org"):
        with pytest.raises(InvalidInput, match="is not an email address") as refused:
            submit(call, DORA, meeting, substitute_name="Zed Zephaniah", substitute_email=bad)
        assert refused.value.field == "substitute_email"
    with pytest.raises(InvalidInput, match="Give Zed Zephaniah's email address") as refused:
        submit(call, DORA, meeting, substitute_name="Zed Zephaniah", substitute_email=" ")
    assert refused.value.field == "substitute_email"
    with pytest.raises(InvalidInput, match="Give the name") as refused:
        submit(call, DORA, meeting, substitute_email="zed@example.org")
    assert refused.value.field == "substitute_name"
    assert row_of(session, DORA) is None and audits(session) == 0

    reply = submit(call, DORA, meeting, substitute_name="  Zed   Zephaniah ", substitute_email="zed.z@dwp.gov.uk")
    assert "*Zed Zephaniah (zed.z@dwp.gov.uk)* is coming" in text_of(reply)
    row = row_of(session, DORA)
    assert (row.reply, row.substitute_name, row.substitute_email) == ("substitute", "Zed Zephaniah", "zed.z@dwp.gov.uk")
    click(call, DORA, attendance.handle_attending_button, meeting)  # coming after all: the substitute is dropped
    row = row_of(session, DORA)
    assert (row.reply, row.substitute_name, row.substitute_email) == ("attending", None, None)


def test_meeting_reply_types_what_the_buttons_do(session: Session, call: Caller):
    """`/meeting reply …` for the console and a phone: the same reply, the same refusals, nothing written on a bad one."""
    reply = call.as_user(ALICE)("/meeting", "reply attending")
    assert "You are coming to the *Attendance Board* meeting on *Thursday 10 October 2019*" in text_of(reply)
    assert row_of(session, ALICE).reply == "attending"
    call.as_user(BOB)("/meeting", "reply apologies 10 October 2019")
    assert row_of(session, BOB).reply == "apologies"
    reply = call.as_user(ALICE)("/meeting", f"reply substitute <@{CAROL}|carol>")
    row = row_of(session, ALICE)
    assert (row.reply, row.substitute_member_id) == ("substitute", member_id(session, CAROL))
    call.as_user(DORA)("/meeting", 'reply substitute "Zed Zephaniah" email:zed.z@dwp.gov.uk')
    row = row_of(session, DORA)
    assert (row.substitute_name, row.substitute_email) == ("Zed Zephaniah", "zed.z@dwp.gov.uk")
    written = audits(session)
    for user, text, refusal in (
            (BOB, "reply maybe", "attending"), (BOB, "reply", "attending"),
            (BOB, "reply substitute", "Name your substitute"),
            (BOB, f"reply substitute <@{ALICE}|alice>", "from your organisation"),  # Alice is from Ealing PCT
            (DORA, 'reply substitute "Zed" email:zed@', "is not an email address"),
            (DORA, 'reply substitute "Zed"', "email address"),
            (BOB, "reply attending email:bob@example.org", "goes with a substitute"),
            (BOB, "reply attending 1 March 2019", "has no meeting on"),
            (OUTSIDER, "reply attending board:\"Attendance Board\"", "not a member")):
        with pytest.raises((InvalidInput, Forbidden, NotFound, UsageError), match=refusal):
            call.as_user(user)("/meeting", text)
    assert audits(session) == written and row_of(session, BOB).reply == "apologies"


def test_the_attendance_view_by_organisation_with_the_expected_quorum(session: Session, call: Caller):
    meeting = meeting_id(session)
    reply = call.as_user(BOB)("/meeting", "attendance")
    assert reply.data["quorum"]["set"] is False and reply.data["counts"]["none"] == 7
    assert "No quorum is set" in text_of(reply)

    call("/lsp", "board set quorum members:1/2 orgs:3 chair:yes")
    click(call, ALICE, attendance.handle_apologies_button, meeting)
    click(call, BOB, attendance.handle_attending_button, meeting)
    submit(call, DORA, meeting, substitute_name="Zed Zephaniah", substitute_email="zed@dwp.gov.uk")
    reply = call.as_user(BOB)("/meeting", "attendance")
    data = reply.data
    assert [o["name"] for o in data["orgs"]] == ["DWP", "Ealing PCT", "LB Ealing", "Metropolitan Police"]
    people = {p["name"]: (p["reply"], p["substitute"]) for o in data["orgs"] for p in o["people"]}
    assert people == {"alice": ("apologies", ""), "carol": ("none", ""), "bob": ("attending", ""),
                      "dora": ("substitute", "Zed Zephaniah (zed@dwp.gov.uk)"), "chair": ("none", ""),
                      "vera": ("none", ""), "sam": ("none", "")}
    # 6 members count (the secretariat does not); half is 3; Bob and Dora's substitute make 2 seats, 2 organisations.
    q = data["quorum"]
    assert (q["quorate"], q["seats"], q["members"], q["organisations"]) == (False, 2, 6, ["DWP", "Metropolitan Police"])
    assert q["reasons"] == ["2 of the 3 members needed (half of 6)", "2 of the 3 organisations needed",
                            "neither the chair nor a vice-chair"]
    assert q["if_all_come"] is True
    text = text_of(reply)
    assert "Not expected to be quorate" in text and "If everyone yet to reply comes, it will be." in text
    assert "*Zed Zephaniah (zed@dwp.gov.uk)* comes for dora" in text

    click(call, VICE, attendance.handle_attending_button, meeting)
    reply = call.as_user(BOB)("/meeting", "attendance 10 October 2019")
    assert reply.data["quorum"]["quorate"] is True
    assert "Expected to be quorate" in text_of(reply)
    assert call.as_user(ADMIN)("/meeting", "attendance 2019-10-10").data["counts"]["attending"] == 2
    with pytest.raises(NotFound, match="no meeting on Friday 11 October 2019"):
        call("/meeting", "attendance 2019-10-11")
    with pytest.raises(InvalidInput, match="couldn't read"):
        call("/meeting", "attendance the day after never")
    with pytest.raises(Forbidden):
        call.as_user(OUTSIDER)("/meeting", "attendance")


def test_the_quorum_setting_is_parsed_shown_and_refused_when_wrong(session: Session, call: Caller):
    reply = call("/lsp", "board set quorum members:1/3 organisations:3 chair:yes")
    assert "`quorum` is now *members:1/3 orgs:3 chair:yes*" in text_of(reply)
    shown = text_of(call.as_user(BOB)("/lsp", "board settings"))
    assert "`quorum` *members:1/3 orgs:3 chair:yes* (default none)" in shown
    board = session.scalar(select(Board).where(Board.name == BOARD))
    for bad, reason in (("members:0", "must be a share"), ("members:4/3", "a share goes from"),
                        ("members:120%", "a percentage goes from"), ("orgs:none", "whole number of organisations"),
                        ("chair:maybe", "must be `yes`"), ("members:1/3 members:2", "given twice"),
                        ("a third of members", "is not part of a quorum"), ("quorate:yes", "is not part of")):
        with pytest.raises(InvalidInput, match=reason):
            call("/lsp", f"board set quorum {bad}")
        assert board.settings["quorum"] == "members:1/3 orgs:3 chair:yes"
    with pytest.raises(InvalidInput, match="not part of a quorum"):
        call.as_user(CHAIR)("/lsp", "board set quorum members")
    with pytest.raises(Forbidden):
        call.as_user(VICE)("/lsp", "board set quorum none")
    call("/lsp", "board set quorum none")
    assert "quorum" not in board.settings
    call("/lsp", "board set quorum members:40% chair:no")
    assert board.settings["quorum"] == "members:40%"


def test_quorum_check_counts_seats_organisations_and_the_chair(session: Session):
    board = session.scalar(select(Board).where(Board.name == BOARD))
    ids = {u: member_id(session, u) for u in (CHAIR, VICE, SECRETARY, ALICE, CAROL, BOB, DORA)}
    board.settings = {"quorum": "members:1/3 orgs:3 chair:yes"}
    result = quorum_check(board, session, [ids[CHAIR], ids[ALICE], ids[BOB]])
    assert (result.quorate, result.reasons, result.members_needed) == (True, [], 2)
    assert result.organisations == ["Ealing PCT", "LB Ealing", "Metropolitan Police"]
    # The secretariat does not count, and a substitute for the chair does not chair.
    result = quorum_check(board, session, [ids[SECRETARY], ids[ALICE], ids[CAROL]], substitute_for_ids=[ids[CHAIR]])
    assert result.quorate is False and result.seats == 3
    assert result.reasons == ["2 of the 3 organisations needed", "neither the chair nor a vice-chair"]
    # A substitute counts for the organisation of the member they stand in for.
    result = quorum_check(board, session, [ids[VICE], ids[ALICE]], substitute_for_ids=[ids[DORA]])
    assert (result.quorate, result.organisations) == (True, ["DWP", "Ealing PCT", "LB Ealing"])
    board.settings = {"quorum": "members:5"}
    result = quorum_check(board, session, [ids[VICE], ids[ALICE], ids[BOB], ids[DORA]])
    assert result.reasons == ["4 of the 5 members needed"]
    board.settings = {}
    assert quorum_check(board, session, []).quorate is True
    assert quorum_rule("Members:1/3, Orgs:3, chair:yes").members_needed(10) == 4  # rounded up


def test_erasing_a_member_from_the_board_replaces_them_in_its_replies(session: Session, call: Caller):
    meeting = meeting_id(session)
    carol = member_id(session, CAROL)
    click(call, CAROL, attendance.handle_attending_button, meeting)
    submit(call, ALICE, meeting, substitute_member=str(carol))
    held = personal_data.export(session=session, member=session.get(Member, carol))["meeting_attendance"]
    assert [(h["reply"], h["substitute"], h["meeting"]) for h in held] == [
        ("attending", False, "2019-10-10"), ("substitute", True, "2019-10-10")]  # her reply, and Alice's naming her
    call.as_user(ADMIN)("/lsp", f'member erase <@{CAROL}> board:"{BOARD}" confirm:yes')
    session.expire_all()
    rows = session.scalars(select(Attendance).where(Attendance.meeting_id == meeting)).all()
    assert carol not in {r.member_id for r in rows} | {r.substitute_member_id for r in rows}
    own = next(r for r in rows if r.reply == "attending")
    assert own.name.startswith("Former member ") and own.member.display_name == own.name
    sent = next(r for r in rows if r.reply == "substitute")
    assert sent.substitute_member_id == own.member_id
    assert "carol" not in json.dumps([attendance.substitute_label(r, session) for r in rows])
