"""Quarters of a configurable reporting year and the action figures by partner (the documents made from them:
tests/test_documents.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from store.models import ActionStatus
from store.quarters import Quarter, year_bounds, year_start_month
from store.reports import ActionFact, partner_actions


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


def fact(org: str, created: str, status: ActionStatus, due: str | None = None, closed: str | None = None) -> ActionFact:
    day = dt.date.fromisoformat
    return ActionFact(org, day(created), day(closed) if closed else None, day(due) if due else None, status)


def test_actions_by_partner_split_what_was_raised_and_count_overdue_at_the_date():
    facts = [
        fact("PCT", "2019-07-01", ActionStatus.DONE, due="2019-07-10", closed="2019-07-09"),  # on time
        fact("PCT", "2019-07-01", ActionStatus.DONE, due="2019-07-10", closed="2019-07-12"),  # late
        fact("PCT", "2019-07-01", ActionStatus.DONE, closed="2019-07-12"),  # no due date: on time
        fact("Police", "2019-06-01", ActionStatus.OPEN, due="2019-07-01"),  # raised before; overdue
        fact("Police", "2019-07-02", ActionStatus.DROPPED, due="2019-07-03", closed="2019-08-15"),  # open at 31 Jul
        fact("Police", "2019-07-03", ActionStatus.OPEN, due="2019-09-01"),
    ]
    totals = partner_actions(facts, start=dt.date(2019, 7, 1), end=dt.date(2019, 9, 30), as_at=dt.date(2019, 7, 31))
    pct, police = totals.partners
    assert (pct.raised, pct.completed_on_time, pct.completed_late, pct.completed, pct.overdue) == (3, 2, 1, 3, 0)
    assert (police.raised, police.still_open, police.dropped, police.overdue) == (2, 1, 1, 2)
    assert totals.total.raised == 5 and totals.total.overdue == 2
