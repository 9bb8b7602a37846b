"""The register of interests: `/lsp interests` and its subcommands called through the registry's dispatcher, the
"Confirm, no change" button, and the yearly ask (ask-interests) on the board's working day, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clock import FixedClock
from bot.runtime import Runtime, run_command
from bot.services.scheduler import run_job
from handlers import interests
from handlers.base import Conflict, Forbidden, InvalidInput, NotFound, UsageError
from jobs.registry import JOBS
from store import boards, db, personal_data
from store import interests as interest_store
from store.models import AuditRecord, Interest, OutboxMessage
from tests.support.direct import Caller
from tests.support.registers import (
    ALICE,
    BOB,
    CHAIR,
    OTHER_CHANNEL,
    OUTSIDER,
    SECRETARY,
    audit_count,
    board_named,
    as_alice,
    seeded_fixtures,
)
from tests.support.settings import ADMIN, DEFAULT_NOW, LONDON
from tests.support.slack_requests import blocks_text


sessions, session = seeded_fixtures()


@pytest.fixture
def caller(session: Session) -> Caller:
    return as_alice(session)


def entries(session: Session) -> list[tuple[int, int, str, str, bool]]:
    """(board id, ref, member's Slack id, interest, removed) of every row, in order."""
    rows = session.execute(select(Interest).order_by(Interest.board_id, Interest.ref)).scalars()
    return [(i.board_id, i.ref, i.member.slack_user_id, i.interest, i.removed_at is not None) for i in rows]


def test_declare_list_and_the_register_by_organisation(caller: Caller, session: Session):
    board = board_named(session)
    before = audit_count(session)
    reply = caller("/lsp", 'interests declare "Trustee of Southall Community Alliance"')
    assert reply.data["entry"]["ref"] == "I1" and reply.data["entry"]["kind"] == "other"
    caller("/lsp", "interests declare Shares in Acme Care Ltd kind:pecuniary")
    caller.as_user(BOB)("/lsp", 'interests declare "Governor, Featherstone High School" kind:non-pecuniary')
    assert entries(session) == [(board.id, 1, ALICE, "Trustee of Southall Community Alliance", False),
                                (board.id, 2, ALICE, "Shares in Acme Care Ltd", False),
                                (board.id, 3, BOB, "Governor, Featherstone High School", False)]
    assert audit_count(session) == before + 3
    record = session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    assert (record.entity, record.operation, record.after["kind"]) == ("interest", "declare", "non-pecuniary")

    mine = caller("/lsp", "interests")
    assert [(e["ref"], e["kind"]) for e in mine.data["entries"]] == [("I1", "other"), ("I2", "pecuniary")]

    register = caller.as_user(SECRETARY)("/lsp", "interests all").data
    by_org = {o["name"]: {m["name"]: [e["ref"] for e in m["entries"]] for m in o["members"]}
              for o in register["organisations"]}
    assert by_org == {"Ealing PCT": {"alice": ["I1", "I2"]}, "Jobcentre Plus (DWP)": {"bob": ["I3"]},
                      "LB Ealing": {"chair": [], "secretary": []}}
    assert register["count"] == 3


@pytest.mark.parametrize(("text", "error", "said"), [
    ("interests declare", UsageError, "What is the interest"),
    ('interests declare ""', UsageError, "What is the interest"),
    ('interests declare "A charity" kind:financial', InvalidInput, "is not one of pecuniary, non-pecuniary, other"),
    ('interests declare "A charity" and more', UsageError, "one pair of quotes"),
    ('interests declare "' + "x" * 501 + '"', InvalidInput, "at most 500 characters"),
    ("interests frobnicate", UsageError, "is not a command I know"),
])
def test_bad_declarations_are_refused_and_write_nothing(caller: Caller, session: Session, text, error, said):
    before = audit_count(session)
    with pytest.raises(error, match=said):
        caller("/lsp", text)
    assert entries(session) == [] and audit_count(session) == before


def test_the_same_interest_twice_and_people_off_the_board_are_refused(caller: Caller, session: Session):
    caller("/lsp", 'interests declare "Trustee of Southall Community Alliance"')
    with pytest.raises(Conflict, match="already on your register, as I1"):
        caller("/lsp", 'interests declare "trustee of southall community alliance"')
    with pytest.raises(Forbidden, match="not a member"):
        caller.as_user(OUTSIDER)("/lsp", 'interests declare "Anything"')
    with pytest.raises(Forbidden, match="not a member"):
        caller.as_user(ADMIN)("/lsp", 'interests declare "Anything"')  # an admin not on the board has no register
    assert len(entries(session)) == 1


def test_remove_own_keeps_the_row_and_refuses_others_twice_and_other_boards(caller: Caller, session: Session):
    board = board_named(session)
    caller("/lsp", 'interests declare "Trustee of Southall Community Alliance"')
    caller("/lsp", 'interests declare "Director of Ealing Lettings Ltd" kind:pecuniary')
    caller.as_user(ALICE, OTHER_CHANNEL)("/lsp", 'interests declare "Member of the DWP advisory panel"')
    other = board_named(session, "Other Register Board")

    with pytest.raises(Forbidden, match="alice's entry"):
        caller.as_user(BOB)("/lsp", "interests remove I1")
    reply = caller("/lsp", "interests remove I1")
    assert reply.data["mode"] == "removed" and reply.data["owner"] is None
    with pytest.raises(Conflict, match="already removed"):
        caller("/lsp", "interests remove 1")
    before = audit_count(session)
    with pytest.raises(NotFound, match="no entry I3 on Register Board"):
        caller("/lsp", "interests remove I3")  # the other board has an I1 only; this one has I1 and I2
    with pytest.raises(UsageError, match="not an entry of the register"):
        caller("/lsp", "interests remove X2")
    with pytest.raises(UsageError, match="Name one entry"):
        caller("/lsp", "interests remove I1 I2")
    assert audit_count(session) == before

    by_secretary = caller.as_user(SECRETARY)("/lsp", "interests remove 2")  # the secretariat removes anyone's
    assert by_secretary.data["owner"] == "alice"
    told = caller.notify.to(ALICE)
    assert [(t.template, t.data["mode"], t.data["by"], t.data["entry"]["ref"]) for t in told] == [
        ("slack/interests.json.j2", "removed_by", SECRETARY, "I2")]  # her own removal of I1 told her nothing
    assert entries(session) == [(board.id, 1, ALICE, "Trustee of Southall Community Alliance", True),
                                (board.id, 2, ALICE, "Director of Ealing Lettings Ltd", True),
                                (other.id, 1, ALICE, "Member of the DWP advisory panel", False)]
    assert caller("/lsp", "interests").data["entries"] == []
    assert caller("/lsp", "interests all").data["count"] == 0
    removal = session.scalars(select(AuditRecord).where(AuditRecord.operation == "remove")
                              .order_by(AuditRecord.id)).all()
    assert [(r.actor, r.before["ref"]) for r in removal] == [(ALICE, 1), (SECRETARY, 2)]


def test_confirm_button_confirms_entries_or_nothing_to_declare(caller: Caller, session: Session):
    board = board_named(session)
    caller("/lsp", 'interests declare "Trustee of Southall Community Alliance"')
    press = caller.request(value=str(board.id))
    reply = interests.handle_confirm_button(press)
    assert "your 1 entry" in reply.data["text"] and "confirmed" in reply.data["text"]
    assert session.scalar(select(Interest.confirmed_at)) is not None

    bob = caller.as_user(BOB)
    reply = interests.handle_confirm_button(bob.request(value=str(board.id)))
    assert "nothing to declare" in reply.data["text"]
    register = bob("/lsp", "interests all").data
    bob_row = next(m for o in register["organisations"] for m in o["members"] if m["name"] == "bob")
    assert bob_row["confirmed_on"] == dt.date(2019, 7, 16)
    assert bob("/lsp", "interests").data["confirmed_on"] == dt.date(2019, 7, 16)

    before = audit_count(session)
    with pytest.raises(Forbidden, match="not a member"):
        interests.handle_confirm_button(caller.as_user(OUTSIDER).request(value=str(board.id)))
    with pytest.raises(NotFound):
        interests.handle_confirm_button(caller.request(value="999999"))
    assert audit_count(session) == before


# ---------------------------------------------------------------- the yearly ask


@pytest.fixture
def ask_board(runtime: Runtime, clock: FixedClock) -> int:
    """A board whose year starts in January (New Year's Day a bank holiday: the ask goes on 2 January)."""
    clock.set(dt.datetime(2019, 12, 2, 10, 0, tzinfo=LONDON))
    for user, text in ((ADMIN, f'board create "Ask Board" chair:<@{CHAIR}|chair> org:"LB Ealing"'),
                       (CHAIR, f'member add <@{ALICE}|alice> org:"Ealing PCT"'),
                       (CHAIR, f'member add <@{BOB}|bob> org:"Jobcentre Plus (DWP)"'),
                       (CHAIR, "board set year_start_month 1"),
                       (ALICE, 'interests declare "Trustee of Southall Community Alliance" kind:non-pecuniary')):
        assert run_command(runtime, "/lsp", user_id=user, channel_id="CASKBRD1", text=text).ok, text
    with db.session_scope(runtime.sessions) as session:
        return boards.get_by_name(session=session, name="Ask Board").id


def asks(runtime: Runtime) -> list[OutboxMessage]:
    with db.session_scope(runtime.sessions) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("interests-ask:%"))
                                    .order_by(OutboxMessage.id)))


def run_on(runtime: Runtime, board_id: int, day: dt.date) -> list[str]:
    result = run_job(runtime, JOBS["ask-interests"], board_id, dt.datetime.combine(day, dt.time(9), LONDON))
    return result.keys


def test_each_member_is_asked_once_a_year_on_the_first_working_day(runtime: Runtime, ask_board: int):
    assert run_on(runtime, ask_board, dt.date(2019, 12, 31)) == []
    assert run_on(runtime, ask_board, dt.date(2020, 1, 1)) == []  # a bank holiday: not the ask's day
    keys = run_on(runtime, ask_board, dt.date(2020, 1, 2))
    assert len(keys) == 3 and all(k.endswith(":2020") for k in keys)  # chair, alice, bob
    by_person = {m.target: m.payload for m in asks(runtime)}
    assert set(by_person) == {CHAIR, ALICE, BOB}
    alice = blocks_text(by_person[ALICE])
    assert "I1" in alice and "Trustee of Southall Community Alliance" in alice and "/lsp interests declare" in alice
    assert "nothing on it" in blocks_text(by_person[BOB])
    button = [e for b in by_person[BOB]["blocks"] if b["type"] == "actions" for e in b["elements"]][0]
    assert (button["action_id"], button["value"], button["text"]["text"]) == \
        ("interests_confirm", str(ask_board), "Confirm, no change")

    assert run_on(runtime, ask_board, dt.date(2020, 1, 2)) == []  # a rerun asks no one twice
    assert run_on(runtime, ask_board, dt.date(2020, 1, 3)) == []
    assert run_command(runtime, "/lsp", user_id=CHAIR, channel_id="CASKBRD1",
                       text=f'member add <@{SECRETARY}|secretary> org:"LB Ealing" role:secretariat').ok
    assert run_on(runtime, ask_board, dt.date(2020, 1, 6)) == [f"interests-ask:{ask_board}:" + key for key in
                                                               [_member_key(runtime, SECRETARY, 2020)]]
    assert run_on(runtime, ask_board, dt.date(2020, 2, 3)) == []  # long after the day: nobody new is asked
    assert len(run_on(runtime, ask_board, dt.date(2021, 1, 4))) == 4  # 2 January 2021 is a Saturday
    with db.session_scope(runtime.sessions) as session:
        logged = session.scalar(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.key.like("interests-ask:%")))
    assert logged == 8


def _member_key(runtime: Runtime, user: str, year: int) -> str:
    with db.session_scope(runtime.sessions) as session:
        return f"{boards.get_member(session=session, slack_user_id=user).id}:{year}"


def test_the_ask_day_is_a_board_setting(runtime: Runtime, ask_board: int):
    for bad in ("30-02", "someday", "29 February"):
        assert not run_command(runtime, "/lsp", user_id=CHAIR, channel_id="CASKBRD1",
                               text=f"board set interests_ask_day {bad}").ok
    assert run_command(runtime, "/lsp", user_id=CHAIR, channel_id="CASKBRD1",
                       text="board set interests_ask_day 1 September").ok
    assert run_on(runtime, ask_board, dt.date(2020, 1, 2)) == []
    assert len(run_on(runtime, ask_board, dt.date(2020, 9, 1))) == 3  # a Tuesday


def test_a_subject_access_export_holds_the_persons_entries(caller: Caller, session: Session):
    caller("/lsp", 'interests declare "Trustee of Southall Community Alliance"')
    caller("/lsp", "interests remove I1")
    held = personal_data.export(session=session, member=boards.get_member(session=session, slack_user_id=ALICE))
    assert [(i["ref"], i["interest"], i["board"], i["removed_at"] is not None) for i in held["interests"]] == [
        (1, "Trustee of Southall Community Alliance", "Register Board", True)]


def test_erasing_someone_from_one_board_gives_that_boards_entries_to_the_stand_in(caller: Caller, session: Session):
    board, other = board_named(session), board_named(session, "Other Register Board")
    caller("/lsp", 'interests declare "Trustee of Southall Community Alliance"')
    interests.handle_confirm_button(caller.request(value=str(board.id)))
    caller.as_user(ALICE, OTHER_CHANNEL)("/lsp", 'interests declare "Member of the DWP advisory panel"')
    alice = boards.get_member(session=session, slack_user_id=ALICE)
    _, stand_in = personal_data.erase_from_board(session=session, member=alice, board=board, now=DEFAULT_NOW)
    owners = dict(session.execute(select(Interest.board_id, Interest.member_id)).all())
    assert owners == {board.id: stand_in.id, other.id: alice.id}
    confirmed = interest_store.confirmations(session=session, board_id=board.id)
    assert set(confirmed) == {stand_in.id}
