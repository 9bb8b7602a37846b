"""`/action list` on a long list: its order (soonest due first, undated last, then by number), its pages, the
count that stops at 1,000 ("of more than 1,000"), and that the database serves the order from the list indexes
without sorting (EXPLAIN of the statements the store really sends), on SQLite and PostgreSQL.

One board per module and backend: the chair's 1,041 open actions, two in three due in July or August 2019 (several
on each day), every third undated; each test works in a transaction rolled back after it. The clock reads Tuesday
16 July 2019, 09:30 in London.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.render.environment import Renderer
from handlers.base import NotFound, Reply
from store import actions as action_store
from store import db
from store.models import Action, ActionStatus
from tests.support.databases import backends, make_database
from tests.support.direct import Caller, RecordingNotifier
from tests.support.settings import ADMIN, DEFAULT_NOW

CHANNEL, CHAIR = "CLISTS1", "ULCHAIR"
COUNT = 1041  # one more than the page of the 27th page's end: the count stops short of the last one until then
TODAY = DEFAULT_NOW.date()


def due_of(ref: int) -> dt.date | None:
    """Every third action undated; the others due on one of 40 days from 1 July 2019, several to a day."""
    return None if ref % 3 == 0 else dt.date(2019, 7, 1) + dt.timedelta(days=(ref * 7) % 40)


def expected_order() -> list[int]:
    """Soonest due first, undated last, then by number: the order of every list."""
    return sorted(range(1, COUNT + 1), key=lambda ref: (due_of(ref) is None, due_of(ref) or TODAY, ref))


@pytest.fixture(scope="module", params=backends())
def sessions(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    database = make_database(request.param, tmp_path_factory.mktemp("lists"), migrated=True)
    engine = db.make_engine(database.url)
    factory = db.make_session_factory(engine)
    with db.session_scope(factory) as session:
        caller = Caller(session, FixedClock(DEFAULT_NOW), RecordingNotifier(), ADMIN, CHANNEL)
        caller("/lsp", f'board create "List Board" chair:<@{CHAIR}|chair> org:"LB Ealing"')
        caller.as_user(CHAIR)("/action", "add The first action")  # the chair's member record and #1
        first = session.scalars(select(Action)).one()
        session.execute(insert(Action), [
            {"board_id": first.board_id, "ref": ref, "text": f"Listed action {ref}", "owner_id": first.owner_id,
             "created_by_id": first.owner_id, "status": ActionStatus.OPEN, "due_date": due_of(ref),
             "created_at": first.created_at, "updated_at": first.created_at} for ref in range(2, COUNT + 1)])
        first.due_date = due_of(1)
    yield factory
    engine.dispose()
    database.drop()


@pytest.fixture
def as_chair(sessions: sessionmaker[Session]) -> Iterator[Caller]:
    session = sessions()
    yield Caller(session, FixedClock(DEFAULT_NOW), RecordingNotifier(), CHAIR, CHANNEL)
    session.rollback()
    session.close()


def footer(reply: Reply) -> str:
    """The line under the list, as Slack shows it."""
    blocks = Renderer()(reply.template, reply.data)["blocks"]
    return next(b["elements"][0]["text"] for b in blocks if b["type"] == "context")


def refs(reply: Reply) -> list[int]:
    return [a["ref"] for a in reply.data["actions"]]


def test_a_list_goes_soonest_due_first_undated_last_then_by_number(as_chair: Caller):
    order = expected_order()
    assert refs(as_chair("/action", "list all")) == order[:40]
    assert refs(as_chair("/action", "list all page:2")) == order[40:80]
    assert refs(as_chair("/action", "list all page:18")) == order[680:720]  # the undated ones begin on this page
    assert refs(as_chair("/action", "list mine page:27")) == order[1040:]
    overdue = [ref for ref in order if (due_of(ref) or TODAY) < TODAY]
    assert refs(as_chair("/action", "list overdue")) == overdue[:40]


def test_a_long_list_counts_to_1000_and_says_more_than(as_chair: Caller):
    first = as_chair("/action", "list all")
    assert footer(first) == ("Showing 1–40 of more than 1,000. *More* shows the next page, as does "
                             "`/action list all page:2`.")
    assert first.data["more"]["value"].endswith("|all|2")
    # Past the thousandth the count goes as far as the page's end, so it still says whether there is more.
    assert footer(as_chair("/action", "list all page:26")).startswith("Showing 1001–1040 of more than 1,040. *More*")
    last = as_chair("/action", "list all page:27")
    assert footer(last) == "Showing 1041–1041 of 1,041. `lspbot actions export` gives the full log."
    assert last.data["more"] is None


def test_a_list_of_up_to_1000_says_how_many_exactly(as_chair: Caller):
    overdue = sum(1 for ref in range(1, COUNT + 1) if (due_of(ref) or TODAY) < TODAY)
    assert 40 < overdue <= 1000
    assert footer(as_chair("/action", "list overdue")).startswith(f"Showing 1–40 of {overdue:,}. *More*")


def test_a_page_past_the_end_says_how_many_there_are(as_chair: Caller):
    with pytest.raises(NotFound, match="There is no page 28: the list has 1041 actions, 27 pages of 40."):
        as_chair("/action", "list all page:28")


@pytest.mark.parametrize("shape", ["board", "boards", "owner", "statuses", "overdue", "meeting", "no board"])
def test_a_page_reads_as_columns_what_the_entities_hold(as_chair: Caller, shape: str):
    """Each shape of filter (one value or several, each condition) reads the actions the ORM would, in the list's
    order, with the columns a list prints and their owner's names."""
    session = as_chair.session
    first = session.scalars(select(Action).order_by(Action.ref)).first()
    assert first is not None
    session.execute(update(Action).where(Action.ref % 5 == 0).values(status=ActionStatus.DONE))
    session.execute(update(Action).where(Action.ref % 7 == 0).values(source_permalink="https://example.org/p/1"))
    flt = {"board": action_store.ActionFilter(board_ids=[first.board_id]),
           "boards": action_store.ActionFilter(board_ids=[first.board_id, first.board_id + 1]),
           "owner": action_store.ActionFilter(board_ids=[first.board_id], owner_id=first.owner_id),
           "statuses": action_store.ActionFilter(board_ids=[first.board_id],
                                                 statuses=(ActionStatus.OPEN, ActionStatus.DONE)),
           "overdue": action_store.ActionFilter(board_ids=[first.board_id], due_before=TODAY),
           "meeting": action_store.ActionFilter(board_ids=[first.board_id], meeting_id=first.meeting_id or 0),
           "no board": action_store.ActionFilter(statuses=(ActionStatus.DONE,))}[shape]
    entities = [a for a in session.scalars(select(Action)) if (
        a.status in flt.statuses and (flt.owner_id is None or a.owner_id == flt.owner_id)
        and (flt.due_before is None or (a.due_date is not None and a.due_date < flt.due_before))
        and (flt.meeting_id is None or a.meeting_id == flt.meeting_id))]
    entities.sort(key=lambda a: (a.due_date is None, a.due_date or TODAY, a.board_id, a.ref))
    page = action_store.counted_page(session=session, flt=flt, limit=40, offset=40, count_cap=100)
    assert page.actions == [
        action_store.ActionLine(a.id, a.ref, a.board_id, a.text, a.due_date, a.status, a.source_permalink,
                                action_store.ActionOwner(a.owner.slack_user_id, a.owner.display_name))
        for a in entities[40:80]]
    assert (page.total, page.more) == ((100, True) if len(entities) > 100 else (len(entities), False))


def explained(session: Session, statement: str, parameters: Any) -> str:
    """The plan the database chooses for a statement, as one text; on PostgreSQL as it would with a big table
    (sequential scans and sorts priced out, so a sort in the plan means no index can give the order)."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        return "\n".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    conn.exec_driver_sql("SET LOCAL enable_sort = off")
    try:
        return "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
    finally:
        conn.execute(text("RESET enable_seqscan"))
        conn.execute(text("RESET enable_sort"))


@pytest.mark.parametrize("scope, index", [("all", "ix_actions_list_order"), ("overdue", "ix_actions_list_order"),
                                          ("mine", "ix_actions_owner_list_order")])
def test_the_list_index_gives_the_order_and_the_count_without_a_sort(as_chair: Caller, scope: str, index: str):
    """On SQLite without statistics, as lspbot runs it (no ANALYZE), and on PostgreSQL as with a big table."""
    session = as_chair.session
    board_id, owner_id = session.execute(select(Action.board_id, Action.owner_id)).first() or (0, 0)
    flt = action_store.ActionFilter(board_ids=[board_id], due_before=TODAY if scope == "overdue" else None,
                                    owner_id=owner_id if scope == "mine" else None)
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        sent.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        page = action_store.counted_page(session=session, flt=flt, limit=40, offset=0, count_cap=1000)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(page.actions) == 40 and len(sent) == 2  # the page, then the capped count
    (page_sql, page_parameters), (count_sql, count_parameters) = sent
    plan = explained(session, page_sql, page_parameters)
    assert index in plan and "TEMP B-TREE" not in plan and "Sort" not in plan, plan
    plan = explained(session, count_sql, count_parameters)  # a range of any index that has it will do
    assert re.search(r"SEARCH actions USING (COVERING )?INDEX ix_actions_|Index (Only )?Scan using ix_actions_", plan), plan
