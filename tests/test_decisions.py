"""The decisions register: `/lsp decisions` and its filters (a year, an organisation of the board, free text) and
pages, its "More" button, the reports' decisions of their period, and `lspbot decisions export` through the real
command line, read back with the csv module; on SQLite and PostgreSQL. Meetings and their items are made with the
ORM, as meeting mode records them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bot.runtime import Runtime, run_command
from handlers import decisions
from handlers.base import Forbidden, InvalidInput, NotFound
from store import boards, db
from store.models import Board, Meeting, MeetingItem, PlanItem
from tests.support.direct import Caller
from tests.support.registers import (
    ALICE,
    BOARD,
    CHAIR,
    OUTSIDER,
    board_named,
    as_alice,
    seeded_fixtures,
)
from tests.support.server import run_lspbot
from tests.support.settings import ADMIN, DEFAULT_NOW, lspbot_env

NOW = DEFAULT_NOW


sessions, session = seeded_fixtures()


@pytest.fixture
def caller(session: Session) -> Caller:
    return as_alice(session)


def meeting(session: Session, board: Board, day: dt.date) -> Meeting:
    found = Meeting(board_id=board.id, date=day, venue="Perceval House", created_at=NOW)
    session.add(found)
    session.flush()
    return found


def item(session: Session, m: Meeting, number: int, title: str, lead: str = "", outcome: str | None = "agreed",
         decision: str | None = None, minute: str | None = None, plan_item: PlanItem | None = None) -> None:
    session.add(MeetingItem(meeting_id=m.id, board_id=m.board_id, number=number, key="plan", title=title, lead=lead,
                            kind="", ref="", outcome=outcome, decision=decision, minute_number=minute,
                            plan_item_id=plan_item.id if plan_item else None))
    session.flush()


def seed_decisions(session: Session) -> Board:
    """Two meetings of the board and one of the other board; four items decided, one only noted, one not taken."""
    board = board_named(session)
    july, january = meeting(session, board, dt.date(2019, 7, 15)), meeting(session, board, dt.date(2020, 1, 20))
    item(session, july, 1, "Apologies", outcome=None)
    item(session, july, 2, "Skills strategy", "LB Ealing", decision="Partners sign the LSP commitment",
         minute="LSP/19/10")
    item(session, july, 3, "Borough Plan Performance Update", "alice", outcome="noted", minute="LSP/19/11")
    item(session, january, 1, "Joint apprenticeship programme", "Ealing PCT/DWP", outcome="agreed as amended",
         decision="A pilot of 20 places, 50% for care leavers", minute="LSP/20/1")
    ealing = boards.find_organisation(session=session, board_id=board.id, name="LB Ealing")
    planned = PlanItem(board_id=board.id, ref=1, meeting_id=january.id, title="Data sharing protocol",
                       lead="Metropolitan Police", created_at=NOW, updated_at=NOW,
                       lead_links=[{"kind": "organisation", "id": ealing.id, "name": "LB Ealing", "text": "x"}])
    session.add(planned)
    session.flush()
    item(session, january, 2, "Data sharing protocol", "Metropolitan Police", outcome="deferred", plan_item=planned)
    item(session, january, 3, "Youth_services review", "Ealing CVS", decision="Report back in March")
    other = meeting(session, board_named(session, "Other Register Board"), dt.date(2019, 9, 1))
    item(session, other, 1, "Skills strategy of the other board", "DWP", decision="Partners sign the commitment")
    return board


def titles(caller: Caller, text: str = "") -> list[str]:
    return [d["title"] for d in caller("/lsp", f"decisions {text}".strip()).data["decisions"]]


def test_the_register_newest_first_with_its_filters(caller: Caller, session: Session):
    seed_decisions(session)
    everything = caller("/lsp", "decisions").data
    assert [(d["minute"], d["date"], d["title"], d["decision"]) for d in everything["decisions"]] == [
        ("", dt.date(2020, 1, 20), "Youth_services review", "Report back in March"),
        ("", dt.date(2020, 1, 20), "Data sharing protocol", "Deferred"),
        ("LSP/20/1", dt.date(2020, 1, 20), "Joint apprenticeship programme", "A pilot of 20 places, 50% for care leavers"),
        ("LSP/19/11", dt.date(2019, 7, 15), "Borough Plan Performance Update", "Noted"),
        ("LSP/19/10", dt.date(2019, 7, 15), "Skills strategy", "Partners sign the LSP commitment")]
    assert everything["more"] is None and everything["total"] == 5
    assert titles(caller, "2019") == ["Borough Plan Performance Update", "Skills strategy"]
    assert titles(caller, "2018") == []
    # An organisation of the board: named in the lead (or by its abbreviation), a member of it, or a plan item's link.
    assert titles(caller, "Ealing PCT") == ["Joint apprenticeship programme", "Borough Plan Performance Update"]
    assert titles(caller, '"ealing pct"') == titles(caller, "Ealing PCT")
    assert titles(caller, "DWP") == ["Joint apprenticeship programme"]
    assert titles(caller, "LB Ealing") == ["Data sharing protocol", "Skills strategy"]
    # Free text, in the title or the decision; % and _ are only themselves.
    assert titles(caller, "commitment") == ["Skills strategy"]
    assert titles(caller, "50%") == ["Joint apprenticeship programme"]
    assert titles(caller, "h_s") == ["Youth_services review"]
    assert titles(caller, "Ealing CVS") == []  # not an organisation of the board, and not in a title or decision
    assert caller("/lsp", "decisions nothing like this").data["filter"] == "mentioning “nothing like this”"


def test_long_lists_come_in_pages_with_a_more_button(caller: Caller, session: Session):
    board = board_named(session)
    m = meeting(session, board, dt.date(2019, 7, 15))
    for n in range(1, 46):
        item(session, m, n, f"Item {n}", decision=f"Decision {n}", minute=f"LSP/19/{n}")
    first = caller("/lsp", "decisions item").data
    assert [d["minute"] for d in first["decisions"]][:2] == ["LSP/19/45", "LSP/19/44"] and len(first["decisions"]) == 20
    assert first["more"] == {"value": f"{board.id}|2|item", "command": "/lsp decisions item page:2"}
    second = decisions.handle_decisions_more(caller.request(value=first["more"]["value"])).data
    assert second["first"] == 21 and second["decisions"][0]["minute"] == "LSP/19/25"
    third = caller("/lsp", "decisions item page:3").data
    assert [d["minute"] for d in third["decisions"]] == [f"LSP/19/{n}" for n in range(5, 0, -1)]
    assert third["more"] is None
    with pytest.raises(NotFound, match="There is no page 4: the list has 45 decisions, 3 pages of 20"):
        caller("/lsp", "decisions item page:4")
    with pytest.raises(InvalidInput, match="whole number"):
        caller("/lsp", "decisions page:0")
    with pytest.raises(InvalidInput, match="at most 200 characters"):
        caller("/lsp", "decisions " + "x" * 201)
    with pytest.raises(Forbidden, match="not a member"):
        decisions.handle_decisions_more(caller.as_user(OUTSIDER).request(value=first["more"]["value"]))
    with pytest.raises(NotFound, match="no longer there"):
        decisions.handle_decisions_more(caller.request(value="nonsense"))
    with pytest.raises(Forbidden, match="not a member"):
        caller.as_user(OUTSIDER)("/lsp", "decisions")


def test_the_reports_include_the_decisions_of_their_period(caller: Caller, session: Session):
    seed_decisions(session)
    chair = caller.as_user(CHAIR)
    chair.clock = type(chair.clock)(dt.datetime(2020, 4, 20, 10, 0, tzinfo=DEFAULT_NOW.tzinfo))
    quarter = chair("/lsp", "report quarter 2019-Q2")  # July to September 2019
    assert [d["minute"] for d in quarter.data["decisions"]] == ["LSP/19/10", "LSP/19/11"]
    annual = chair("/lsp", "report annual 2019")  # April 2019 to March 2020, oldest first
    assert [d["title"] for d in annual.data["decisions"]] == [
        "Skills strategy", "Borough Plan Performance Update", "Joint apprenticeship programme",
        "Data sharing protocol", "Youth_services review"]
    assert chair("/lsp", "report quarter 2019-Q1").data["decisions"] == []


def test_reports_show_their_decisions_in_slack_and_the_documents(runtime: Runtime):
    """The quarterly report through the real edge: its Slack message and its Markdown list the quarter's decision."""
    for user, text in ((ADMIN, f'board create "{BOARD}" chair:<@{CHAIR}|chair> org:"LB Ealing"'),
                       (CHAIR, f'member add <@{ALICE}|alice> org:"Ealing PCT"')):
        assert run_command(runtime, "/lsp", user_id=user, channel_id="CREPDEC1", text=text).ok
    with db.session_scope(runtime.sessions) as session:
        board = board_named(session)
        item(session, meeting(session, board, dt.date(2019, 5, 13)), 1, "Community hubs", "Ealing PCT",
             decision="Open two hubs in Southall", minute="LSP/19/4")
    outcome = run_command(runtime, "/lsp", user_id=CHAIR, channel_id="CREPDEC1", text="report quarter 2019-Q1")
    shown = str(outcome.payload["blocks"])
    assert "LSP/19/4" in shown and "Open two hubs in Southall" in shown and "1 decision" in shown
    markdown = runtime.renderer.markdown(outcome.documents[0])
    assert "| LSP/19/4 | Monday 13 May 2019 | Community hubs | Open two hubs in Southall | Ealing PCT |" in markdown


def test_export_through_the_command_line_reads_back_as_csv(runtime: Runtime, tmp_path: Path):
    with db.session_scope(runtime.sessions) as session:
        from tests.support.registers import seed
        from tests.support.direct import RecordingNotifier
        from bot.clock import FixedClock
        seed(Caller(session, FixedClock(NOW), RecordingNotifier(), ADMIN, "CREGIST1"))
        board = seed_decisions(session)
        item(session, meeting(session, board, dt.date(2019, 3, 4)), 1, '=HYPERLINK("http://x.example")',
             "-Ealing PCT", decision="@SUM(1+1) — café", minute="+LSP/19/1")
    env = lspbot_env(runtime.settings.database_url, "http://127.0.0.1:9/api/")
    out = tmp_path / "decisions.csv"
    done = run_lspbot(["decisions", "export", "--format", "csv", "--board", BOARD, "--output", str(out)], env)
    assert done.returncode == 0, done.stderr
    assert "wrote 6 decisions" in done.stderr
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["minute", "board", "date", "item", "lead", "outcome", "decision"]
    assert [r[3] for r in rows[1:]] == ["Youth_services review", "Data sharing protocol",
                                        "Joint apprenticeship programme", "Borough Plan Performance Update",
                                        "Skills strategy", "'=HYPERLINK(\"http://x.example\")"]
    assert rows[2] == ["", BOARD, "2020-01-20", "Data sharing protocol", "Metropolitan Police", "deferred", "Deferred"]
    assert rows[6] == ["'+LSP/19/1", BOARD, "2019-03-04", "'=HYPERLINK(\"http://x.example\")", "'-Ealing PCT",
                       "agreed", "'@SUM(1+1) — café"]

    everything = run_lspbot(["decisions", "export", "--no-bom"], env)  # every board's, to standard output
    assert everything.returncode == 0, everything.stderr
    rows = list(csv.reader(io.StringIO(everything.stdout)))
    assert len(rows) == 1 + 7 and "Other Register Board" in {r[1] for r in rows[1:]}
    unknown = run_lspbot(["decisions", "export", "--board", "No Such Board"], env)
    assert unknown.returncode == 2 and "no board called 'No Such Board'" in unknown.stderr
