"""Quarters of a configurable reporting year, the action figures by partner and an agenda's action review, counted
and read in the database (the documents made from them: tests/test_documents.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from handlers.agenda_compile import compile_action_review
from store import db
from store import reports as report_store
from store.models import (
    Action,
    ActionStatus,
    ActionUpdate,
    AuditRecord,
    Board,
    Meeting,
    Member,
    Membership,
    Organisation,
    Role,
)
from store.quarters import Quarter, year_bounds, year_start_month
from tests.support.databases import TestDatabase, backends, make_database


@pytest.mark.parametrize("day, start_month, label, months", [
    (dt.date(2019, 7, 16), 4, "2019-Q2", "Jul–Sep 2019"),
    (dt.date(2019, 4, 1), 4, "2019-Q1", "Apr–Jun 2019"),
    (dt.date(2019, 3, 31), 4, "2018-Q4", "Jan–Mar 2019"),
    (dt.date(2020, 1, 20), 4, "2019-Q4", "Jan–Mar 2020"),
    (dt.date(2019, 7, 16), 1, "2019-Q3", "Jul–Sep 2019"),
    (dt.date(2019, 12, 31), 1, "2019-Q4", "Oct–Dec 2019"),
    (dt.date(2019, 11, 30), 9, "2019-Q1", "Sep–Nov 2019"),
    (dt.date(2020, 2, 29), 9, "2019-Q2", "Dec 2019–Feb 2020"),
])
def test_the_quarter_a_day_falls_in(day, start_month, label, months):
    quarter = Quarter.containing(day, start_month)
    assert quarter.label == label and quarter.months == months
    assert quarter.start <= day <= quarter.end
    assert Quarter.parse(label, start_month) == quarter


@pytest.mark.parametrize("day, start_month, label", [
    (dt.date(2019, 7, 1), 4, "2019-Q1"),   # the reminder's first working day in July asks for April-June
    (dt.date(2019, 7, 16), 4, "2019-Q1"),
    (dt.date(2019, 9, 30), 4, "2019-Q1"),
    (dt.date(2019, 10, 1), 4, "2019-Q2"),
    (dt.date(2019, 4, 1), 4, "2018-Q4"),   # in April, January-March of the year before
    (dt.date(2020, 1, 2), 4, "2019-Q3"),
    (dt.date(2019, 1, 2), 1, "2018-Q4"),
])
def test_the_quarter_a_day_reports_on_is_the_last_one_complete(day, start_month, label):
    quarter = Quarter.reported_on(day, start_month)
    assert quarter.label == label and quarter.end < day
    assert quarter.shift(1) == Quarter.containing(day, start_month)


def test_quarter_forms_neighbours_and_years():
    q = Quarter.parse("Q2 2019/20")
    assert q == Quarter.parse("2019q2") == Quarter.parse(" 2019 / 20 q2 ".replace(" / ", "/")) == Quarter(2019, 2, 4)
    assert q.title == "Q2 2019/20 (Jul–Sep 2019)"
    assert [p.label for p in q.previous(3)] == ["2018-Q3", "2018-Q4", "2019-Q1"]
    assert q.shift(3).label == "2020-Q1" and q.shift(2).end == dt.date(2020, 3, 31)
    assert year_bounds(2019) == (dt.date(2019, 4, 1), dt.date(2020, 3, 31))
    assert Quarter(2019, 1, 1).year_label == "2019"
    for bad in ("2019-Q5", "Q0 2019", "2019/21 Q1", "last quarter", "", "2019"):
        with pytest.raises(ValueError):
            Quarter.parse(bad)
    assert year_start_month({}) == 4 and year_start_month({"year_start_month": 1}) == 1
    assert year_start_month({"year_start_month": "13"}) == 4


LONDON = ZoneInfo("Europe/London")


def at(local: str) -> dt.datetime:
    """A time on the board's clock (Europe/London), as stored: UTC."""
    return dt.datetime.fromisoformat(local).replace(tzinfo=LONDON).astimezone(dt.UTC)


@pytest.fixture
def sessions(database: TestDatabase) -> Iterator[sessionmaker[Session]]:
    engine = db.make_engine(database.url)
    yield db.make_session_factory(engine)
    engine.dispose()


class History:
    """A board's members and actions, written as the bot writes them (an audit record for each change)."""

    def __init__(self, session: Session, name: str = "Exec") -> None:
        self.session = session
        self.board = Board(name=name, channel_id=f"C{name.upper()}", timezone="Europe/London", settings={},
                           created_at=at("2019-01-01T09:00"))
        session.add(self.board)
        session.flush()
        self.refs = 0

    def member(self, name: str, organisation: str | None, left: str | None = None) -> Member:
        member = Member(slack_user_id=f"U{self.board.name.upper()}{name.upper()}", display_name=name)
        org = None
        if organisation is not None:
            org = Organisation(board_id=self.board.id, name=organisation)
            self.session.add(org)
        self.session.add(member)
        self.session.flush()
        self.session.add(Membership(board_id=self.board.id, member_id=member.id, role=Role.MEMBER,
                                    organisation_id=org.id if org else None, left_at=at(left) if left else None))
        return member

    def action(self, owner: Member, created: str, status: ActionStatus = ActionStatus.OPEN, *, due: str | None = None,
               closed: str | None = None, meeting: Meeting | None = None,
               changes: tuple[tuple[str, str, dict[str, Any], dict[str, Any]], ...] = ()) -> Action:
        """An action; `closed` writes its closing audit record, `changes` (local time, operation, before, after)
        any earlier ones."""
        self.refs += 1
        action = Action(board_id=self.board.id, ref=self.refs, text=f"Action {self.refs}", owner_id=owner.id,
                        due_date=dt.date.fromisoformat(due) if due else None, status=status, created_by_id=owner.id,
                        created_at=at(created), updated_at=at(created), closed_at=at(closed) if closed else None,
                        meeting_id=meeting.id if meeting else None)
        self.session.add(action)
        self.session.flush()
        closing = ((closed, status.value, {"status": "open"}, {"status": status.value}),) if closed else ()
        for when, operation, before, after in changes + closing:
            self.session.add(AuditRecord(at=at(when), actor="U1", entity="action", entity_id=action.id,
                                         operation=operation, before=before, after=after))
        return action


def test_actions_by_partner_are_counted_by_the_boards_calendar_and_history(sessions):
    """Jul–Sep 2019, overdue counted at 31 July: raised and completed by the board's (London) days, on time by the
    day it was closed there; a member who has left still counts for the organisation they represented; an owner
    with none counts under "(no organisation)"; overdue as each action stood on 31 July by its history (redated
    since; closed and reopened since), not as it stands now; another board's actions not at all."""
    with db.session_scope(sessions) as s:
        h = History(s)
        pct, police, council, none = (h.member("Alice", "PCT"), h.member("Bob", "Police"),
                                      h.member("Carol", "Council", left="2019-08-01T12:00"), h.member("Dan", None))
        done, dropped = ActionStatus.DONE, ActionStatus.DROPPED
        h.action(pct, "2019-07-01T10:00", done, due="2019-07-10", closed="2019-07-09T10:00")  # on time
        h.action(pct, "2019-07-01T10:00", done, due="2019-07-10", closed="2019-07-12T10:00")  # late
        h.action(pct, "2019-07-01T10:00", done, closed="2019-07-12T10:00")  # no due date: on time
        h.action(pct, "2019-07-01T10:00", done, due="2019-07-10", closed="2019-07-11T00:30")  # late: 10 Jul in UTC
        h.action(pct, "2019-06-01T10:00", ActionStatus.OPEN, due="2019-06-15", changes=(  # done on 31 Jul: not overdue
            ("2019-06-20T10:00", "done", {"status": "open"}, {"status": "done"}),
            ("2019-08-05T10:00", "reopen", {"status": "done"}, {"status": "open"})))
        h.action(police, "2019-06-01T10:00", due="2019-07-01")  # raised before: overdue
        h.action(police, "2019-07-02T10:00", dropped, due="2019-07-03", closed="2019-08-15T10:00")  # open on 31 Jul
        h.action(police, "2019-07-03T10:00", due="2019-09-01")  # still open, not yet due
        h.action(police, "2019-06-10T10:00", due="2019-09-30", changes=(  # due 15 Jul on 31 Jul: overdue
            ("2019-08-10T10:00", "redate", {"due_date": "2019-07-15"}, {"due_date": "2019-09-30"}),))
        h.action(council, "2019-07-05T10:00", due="2019-07-20")  # the owner left on 1 Aug: overdue for Council
        h.action(none, "2019-07-01T00:30")  # 30 Jun in UTC: raised in the quarter, no due date
        h.action(none, "2019-06-30T23:30", done, closed="2019-07-02T10:00")  # raised before, completed in it
        other = History(s, "Other")
        other.action(other.member("Erin", "PCT"), "2019-07-01T10:00", due="2019-07-02")
        totals = report_store.partner_actions(session=s, board_id=h.board.id, timezone="Europe/London",
                                              start=dt.date(2019, 7, 1), end=dt.date(2019, 9, 30),
                                              as_at=dt.date(2019, 7, 31))
    counted = ("raised", "completed_on_time", "completed_late", "still_open", "dropped", "completed", "overdue")
    assert {p.organisation: tuple(getattr(p, k) for k in counted) for p in totals.partners} == {
        "(no organisation)": (1, 0, 0, 1, 0, 1, 0),
        "Council": (1, 0, 0, 1, 0, 0, 1),
        "PCT": (4, 2, 2, 0, 0, 4, 0),
        "Police": (2, 0, 0, 1, 1, 0, 3),
    }
    assert [p.organisation for p in totals.partners] == ["(no organisation)", "Council", "PCT", "Police"]
    assert tuple(getattr(totals.total, k) for k in counted) == (8, 2, 2, 3, 1, 5, 4)


def test_an_agendas_review_lists_the_last_meetings_actions_and_every_open_one(sessions):
    """Raised at the previous meeting whatever their state, then every other open action, soonest due first and
    undated last; the organisation of an owner who has left is not shown; the last note a person wrote and
    lspbot's entries since it."""
    with db.session_scope(sessions) as s:
        h = History(s)
        alice, carol = h.member("Alice", "PCT"), h.member("Carol", "Council", left="2019-08-01T12:00")
        previous = Meeting(board_id=h.board.id, date=dt.date(2019, 7, 15), created_at=at("2019-01-01T09:00"))
        meeting = Meeting(board_id=h.board.id, date=dt.date(2019, 10, 10), created_at=at("2019-01-01T09:00"))
        s.add_all([previous, meeting])
        s.flush()
        closed = h.action(alice, "2019-07-15T11:00", ActionStatus.DONE, due="2019-08-01", closed="2019-07-20T10:00",
                          meeting=previous)
        undated = h.action(alice, "2019-07-16T10:00")
        overdue = h.action(carol, "2019-07-16T10:00", due="2019-09-01")
        h.action(alice, "2019-05-01T10:00", ActionStatus.DROPPED, closed="2019-05-02T10:00")  # not under review
        soon = h.action(alice, "2019-07-16T10:00", due="2019-10-01")
        s.add_all([ActionUpdate(action_id=overdue.id, author_id=carol.id, kind="progress", note="Asked the team",
                                created_at=at("2019-08-01T10:00")),
                   ActionUpdate(action_id=overdue.id, author_id=carol.id, kind="redated",
                                note="Due date changed to 1 Sep 2019", created_at=at("2019-08-02T10:00"))])
        s.flush()
        review = compile_action_review(s, h.board, meeting, dt.date(2019, 9, 20))
    assert review.previous_meeting == dt.date(2019, 7, 15)
    assert [(a.ref, a.status, a.raised_at_previous) for a in review.raised] == [(closed.ref, "done", True)]
    assert [a.ref for a in review.still_open] == [overdue.ref, soon.ref, undated.ref]
    late = review.still_open[0]
    assert (late.organisation, late.owner_name, late.overdue_days, late.last_note, late.events) == (
        "", "Carol", 19, "Asked the team", ["2 Aug 2019: Due date changed to 1 Sep 2019"])
    assert (review.still_open[1].organisation, review.still_open[2].due) == ("PCT", None)
    assert review.open_count == 3 and [a.ref for a in review.overdue] == [overdue.ref]


@pytest.mark.skipif("postgresql" not in backends(), reason="needs PostgreSQL: set LSPBOT_TEST_DATABASE_URL")
def test_postgresql_connections_do_not_compile_queries_just_in_time(tmp_path: Path):
    """A report's queries over a long history pass PostgreSQL's jit_above_cost: compiling them took 0.5 s."""
    database = make_database("postgresql", tmp_path)  # in CI always: it fails, never skips, when unreachable
    engine = db.make_engine(database.url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
    finally:
        engine.dispose()
        database.drop()
