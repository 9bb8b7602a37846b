"""The organisation a person represents belongs to their membership of a board: each board keeps its own list
of organisations, setting one on a board never renames the person on another (in its member list, reports,
agendas or exports), a member who leaves still counts for the organisation they represented, and
`/lsp org rename` carries a new name to every record of the board that names it.

In-process through `run_command` (the edge `lspbot serve` uses), on SQLite and PostgreSQL; the migration that
splits a workspace-wide list into per-board lists is run on a database built at the revision before it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from bot.clock import FixedClock
from bot.runtime import Outcome, Runtime, run_command
from store import actions as action_store
from store import boards, db
from tests.support.databases import backends, make_database
from tests.support.settings import ADMIN, LONDON
from tests.support.slack_requests import blocks_text

EXEC, DELIVERY = "CORGEXE1", "CORGDEL1"
CHAIR, SECRETARY, ALICE, BOB = "UOBCHAIR", "UOBSECR1", "UOBALIC1", "UOBBOB01"


def ok(runtime: Runtime, user: str, command: str, text: str, channel: str = EXEC) -> str:
    outcome = run_command(runtime, command, user_id=user, channel_id=channel, text=text)
    assert outcome.ok, blocks_text(outcome.payload)
    return blocks_text(outcome.payload)


def refused(runtime: Runtime, user: str, command: str, text: str, channel: str = EXEC) -> str:
    outcome: Outcome = run_command(runtime, command, user_id=user, channel_id=channel, text=text)
    assert not outcome.ok, blocks_text(outcome.payload)
    return blocks_text(outcome.payload)


@pytest.fixture
def two_boards(runtime: Runtime, clock: FixedClock) -> Runtime:
    """Two boards on Monday 18 March 2019, Bob on both: the Metropolitan Police's member on the executive, and
    "Met Police" (as the delivery group's own list has it) on the delivery group."""
    clock.set(dt.datetime(2019, 3, 18, 10, 0, tzinfo=LONDON))
    ok(runtime, ADMIN, "/lsp", f'board create "Exec Board" chair:<@{CHAIR}|chair> org:"LB Ealing"')
    ok(runtime, ADMIN, "/lsp", f'board create "Delivery Group" chair:<@{CHAIR}|chair> org:"LB Ealing"',
       channel=DELIVERY)
    ok(runtime, CHAIR, "/lsp", f'member add <@{SECRETARY}|sam> org:"LB Ealing" role:secretariat')
    ok(runtime, CHAIR, "/lsp", f'member add <@{ALICE}|alice> org:"Ealing PCT"')
    ok(runtime, CHAIR, "/lsp", f'member add <@{BOB}|bob> org:"Metropolitan Police"')
    ok(runtime, CHAIR, "/lsp", f'member add <@{BOB}|bob> org:"Met Police"', channel=DELIVERY)
    ok(runtime, CHAIR, "/plan", 'meeting add 2019-04-15 10:00 venue:"Perceval House"')
    ok(runtime, CHAIR, "/plan", 'meeting add 2019-04-16 10:00 venue:"Dominion Centre"', channel=DELIVERY)
    return runtime


def _member_org(runtime: Runtime, channel: str, user: str) -> str:
    listed = ok(runtime, ALICE if channel == EXEC else CHAIR, "/lsp", "member list", channel=channel)
    line = next(line for line in listed.splitlines() if f"<@{user}>" in line)
    return line


def test_an_organisation_set_on_one_board_never_renames_the_member_on_another(two_boards: Runtime):
    runtime = two_boards
    ok(runtime, CHAIR, "/action", f"add Share the knife-crime figures <@{BOB}|bob> by 2019-04-12")
    ok(runtime, CHAIR, "/action", f"add Map the delivery partners <@{BOB}|bob> by 2019-04-12", channel=DELIVERY)

    assert "Metropolitan Police" in _member_org(runtime, EXEC, BOB)
    assert "Met Police" in _member_org(runtime, DELIVERY, BOB)
    assert "Metropolitan" not in _member_org(runtime, DELIVERY, BOB)

    # Setting it again on the delivery group changes nothing on the executive, and the reverse.
    ok(runtime, CHAIR, "/lsp", f'member add <@{BOB}|bob> org:"Met Police"', channel=DELIVERY)
    assert "Metropolitan Police" in _member_org(runtime, EXEC, BOB)

    # Each board's list is its own.
    assert "Met Police" not in ok(runtime, ALICE, "/lsp", "org list")
    assert "Metropolitan" not in ok(runtime, CHAIR, "/lsp", "org list", channel=DELIVERY)

    # The agenda's action review and the CSV export name the organisation of each action's own board.
    draft = ok(runtime, CHAIR, "/agenda", "draft 2019-04-15")
    assert "Metropolitan Police" in draft and "Met Police" not in draft
    with db.session_scope(runtime.sessions) as session:
        rows = {(r.board, r.organisation) for r in action_store.export_rows(session=session)}
    assert rows == {("Exec Board", "Metropolitan Police"), ("Delivery Group", "Met Police")}


def test_a_member_who_left_still_counts_for_the_organisation_they_represented(two_boards: Runtime,
                                                                                 clock: FixedClock):
    runtime = two_boards
    ok(runtime, CHAIR, "/action", f"add Share the knife-crime figures <@{BOB}|bob> by 2019-03-29")
    clock.set(dt.datetime(2019, 4, 2, 10, 0, tzinfo=LONDON))
    ok(runtime, CHAIR, "/lsp", f"member remove <@{BOB}|bob>")
    assert f"<@{BOB}>" not in ok(runtime, ALICE, "/lsp", "member list")
    report = ok(runtime, CHAIR, "/lsp", "report quarter 2018-Q4")  # Jan–Mar 2019: the board's year starts in April
    assert "Metropolitan Police: 1 raised, 0 completed, 1 overdue" in report, report
    with db.session_scope(runtime.sessions) as session:
        board = boards.get_by_channel(session=session, channel_id=EXEC)
        bob = boards.get_member(session=session, slack_user_id=BOB)
        assert boards.left_board(session=session, board_id=board.id, member_id=bob.id)
        assert boards.get_membership(session=session, board_id=board.id, member_id=bob.id) is None
        assert boards.organisation_of(session=session, board_id=board.id, member_id=bob.id).name == "Metropolitan Police"
    # Back on the board, on the same membership and organisation.
    ok(runtime, CHAIR, "/lsp", f"member add <@{BOB}|bob>")
    assert "Metropolitan Police" in _member_org(runtime, EXEC, BOB)


def test_org_rename_carries_to_every_record_of_the_board(two_boards: Runtime, clock: FixedClock):
    runtime = two_boards
    ok(runtime, CHAIR, "/plan", 'meeting edit 2019-04-15 host:"Metropolitan Police"')
    ok(runtime, CHAIR, "/plan", 'item add 2019-04-15 "Knife crime" lead:"LB Ealing/Metropolitan Police"')
    ok(runtime, CHAIR, "/lsp", 'outcome add "Safer streets" lead:"Metropolitan Police"')
    ok(runtime, BOB, "/update", "Two new safer-neighbourhood teams from April.")

    assert "Not allowed" in refused(runtime, ALICE, "/lsp", 'org rename "Metropolitan Police" "Met Police Service"')
    missing = refused(runtime, SECRETARY, "/lsp", 'org rename "Metropolitan Polise" "Metropolitan Police Service"')
    assert "is not on Exec Board's list" in missing and "Did you mean “Metropolitan Police”?" in missing
    taken = refused(runtime, SECRETARY, "/lsp", 'org rename "Metropolitan Police" "ealing pct"')
    assert "“Ealing PCT” is already on Exec Board's list" in taken
    assert "Give the organisation's name now and its new name" in refused(runtime, SECRETARY, "/lsp",
                                                                         'org rename "Metropolitan Police"')

    reply = ok(runtime, SECRETARY, "/lsp", 'org rename "Metropolitan Police" "Metropolitan Police Service"')
    assert "“Metropolitan Police” is now “Metropolitan Police Service” on Exec Board" in reply
    for counted in ("1 member", "1 meeting hosted", "1 partner update", "1 outcome led", "1 plan item or proposal led"):
        assert counted in reply, reply

    assert "Metropolitan Police Service" in _member_org(runtime, EXEC, BOB)
    plan = ok(runtime, ALICE, "/plan", "")
    assert "LB Ealing/Metropolitan Police Service" in plan and "(host: Metropolitan Police Service)" in plan, plan
    assert "lead Metropolitan Police Service" in ok(runtime, ALICE, "/lsp", "outcome list")
    draft = ok(runtime, CHAIR, "/agenda", "draft 2019-04-15")
    assert "Metropolitan Police Service" in draft
    assert "Metropolitan Police —" not in draft and "Metropolitan Police:" not in draft
    # The other board's list is untouched.
    assert "Met Police" in _member_org(runtime, DELIVERY, BOB)
    assert "Service" not in ok(runtime, CHAIR, "/lsp", "org list", channel=DELIVERY)
    # A new name that nearly matches another organisation on the list is asked about first.
    near = refused(runtime, CHAIR, "/lsp", 'org rename "Metropolitan Police Service" "Ealing P.C.T."')
    assert "looks like “Ealing PCT”" in near and "new_org:yes" in near


def test_an_outcome_lead_that_nearly_matches_a_known_organisation_is_asked_about(two_boards: Runtime):
    runtime = two_boards
    ok(runtime, CHAIR, "/lsp", 'outcome add "Safer streets" lead:"Metropolitan Police"')
    asked = refused(runtime, CHAIR, "/lsp", 'outcome lead "Safer streets" "Ealing P.C.T"')
    assert "Did you mean “Ealing PCT”?" in asked
    assert "Ealing PCT now leads" in ok(runtime, CHAIR, "/lsp", 'outcome lead "Safer streets" "ealing pct"')


# ---------------------------------------------------------------- the migration


@pytest.fixture(params=backends())
def at_0006(request: pytest.FixtureRequest, tmp_path: Path):
    database = make_database(request.param, tmp_path)
    engine = db.make_engine(database.url)
    db.upgrade(engine, "0006_job_run_runner")
    yield engine
    engine.dispose()
    database.drop()


def test_the_migration_gives_each_board_its_own_organisations(at_0006):
    engine = at_0006
    now = dt.datetime(2019, 3, 1, 9, 0)
    with engine.begin() as conn:
        run = lambda sql, **kw: conn.execute(text(sql), kw)  # noqa: E731
        run("INSERT INTO organisations (id, name) VALUES (1, 'Metropolitan Police'), (2, 'LB Ealing'), (3, 'Unused')")
        run("INSERT INTO boards (id, name, channel_id, timezone, settings, next_action_ref, created_at) VALUES "
            "(1, 'Exec', 'C1', 'Europe/London', '{}', 2, :t), (2, 'Delivery', 'C2', 'Europe/London', '{}', 1, :t)",
            t=now)
        run("INSERT INTO members (id, slack_user_id, display_name, organisation_id) VALUES "
            "(1, 'UCHAIR', 'chair', 2), (2, 'UBOB', 'bob', 1), (3, 'UGONE', 'gone', 1)")
        run("INSERT INTO memberships (board_id, member_id, role) VALUES (1, 1, 'chair'), (2, 1, 'chair'), "
            "(1, 2, 'member'), (2, 2, 'member')")
        run("INSERT INTO meetings (id, board_id, date, venue, host_organisation_id, created_at) VALUES "
            "(1, 1, '2019-04-15', 'Perceval House', 1, :t), (2, 2, '2019-04-16', 'TBC', 1, :t)", t=now)
        run("INSERT INTO actions (id, board_id, ref, text, owner_id, status, created_by_id, created_at, updated_at) "
            "VALUES (1, 1, 1, 'Share the figures', 3, 'open', 1, :t, :t)", t=now)
        run("INSERT INTO audit_log (at, actor, entity, entity_id, operation, before) VALUES "
            "(:t, 'UCHAIR', 'membership', 3, 'remove', :b)",
            t=now, b=json.dumps({"board": "Exec", "board_id": 1, "role": "member"}))
        run("INSERT INTO plan_items (board_id, ref, meeting_id, title, lead, lead_links, kind, position, created_at, "
            "updated_at) VALUES (2, 1, 2, 'Knife crime', 'Metropolitan Police', :l, 'for discussion', 0, :t, :t)",
            t=now, l=json.dumps([{"kind": "organisation", "id": 1, "name": "Metropolitan Police",
                                  "text": "Metropolitan Police"}]))
    db.upgrade(engine)
    with engine.connect() as conn:
        orgs = {(b, n): i for i, b, n in conn.execute(text("SELECT id, board_id, name FROM organisations"))}
        assert set(orgs) == {(1, "Metropolitan Police"), (1, "LB Ealing"), (2, "Metropolitan Police"),
                             (2, "LB Ealing")}, "one copy per board that names it; the unused one is gone"
        memberships = {(b, m): (o, left is not None) for b, m, o, left in conn.execute(
            text("SELECT board_id, member_id, organisation_id, left_at FROM memberships"))}
        assert memberships == {
            (1, 1): (orgs[1, "LB Ealing"], False), (2, 1): (orgs[2, "LB Ealing"], False),
            (1, 2): (orgs[1, "Metropolitan Police"], False), (2, 2): (orgs[2, "Metropolitan Police"], False),
            (1, 3): (orgs[1, "Metropolitan Police"], True)}, "the member who left keeps their organisation"
        hosts = dict(conn.execute(text("SELECT board_id, host_organisation_id FROM meetings")).all())
        assert hosts == {1: orgs[1, "Metropolitan Police"], 2: orgs[2, "Metropolitan Police"]}
        (links,) = conn.execute(text("SELECT lead_links FROM plan_items")).one()
        links = json.loads(links) if isinstance(links, str) else links
        assert links[0]["id"] == orgs[2, "Metropolitan Police"]
        # The per-board unique name holds, and foreign keys still do.
        with pytest.raises(Exception):  # noqa: B017 - IntegrityError from either driver
            with conn.begin_nested():
                conn.execute(text("INSERT INTO organisations (name, board_id) VALUES ('LB Ealing', 1)"))
        with pytest.raises(Exception):  # noqa: B017
            with conn.begin_nested():
                conn.execute(text("INSERT INTO organisations (name, board_id) VALUES ('Anything', 99)"))
    cfg = db.alembic_config(engine.url.render_as_string(hide_password=False))
    with db.migration_connection(engine) as conn:  # and back
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006_job_run_runner")
    with engine.connect() as conn:
        assert dict(conn.execute(text("SELECT slack_user_id, organisation_id FROM members")).all())["UBOB"] is not None
        assert sorted(n for (n,) in conn.execute(text("SELECT name FROM organisations"))) == [
            "LB Ealing", "Metropolitan Police"]
