"""Quarters of a configurable reporting year, the action figures by partner, and Markdown into Word."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest

from bot.render.documents import markdown_to_docx, md
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


def test_markdown_becomes_word_with_escaped_user_text_tables_and_shaded_rag_cells():
    user_text = "Costs * rose | by 5% _and_ <!channel>\n- not a list\n# not a heading"
    markdown = "\n".join([
        "# Report",
        "",
        "## Section",
        "",
        md(user_text),
        "",
        "| Item | Q1 |",
        "|---|---|",
        f"| {md('A|B')} | Amber |",
        "",
        "- **bold** bullet",
        "1. numbered",
        "",
        "> quoted",
    ])
    document = docx.Document(io.BytesIO(markdown_to_docx(markdown, title="Report")))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    assert paragraphs[0] == ("Title", "Report") and paragraphs[1] == ("Heading 1", "Section")
    assert paragraphs[2] == ("Normal", user_text)  # escapes undone, line breaks kept
    assert ("List Bullet", "bold bullet") in paragraphs and ("List Number", "numbered") in paragraphs
    assert ("Quote", "quoted") in paragraphs
    cells = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert cells == [["Item", "Q1"], ["A|B", "Amber"]]
    shading = document.tables[0].cell(1, 1)._tc.xml
    assert 'w:fill="FFE0B2"' in shading
    assert document.core_properties.title == "Report"


def test_each_numbered_list_in_word_counts_from_its_own_first_number():
    """Word numbers a list by its w:num: every list gets its own, restarted at the list's first number; items
    with blank lines between them stay one list, as in Markdown."""
    markdown = "\n".join([
        "**15 July**", "", "1. Northolt", "2. Apprenticeships", "3. Data sharing", "",
        "**10 October**", "", "1. Annual report", "", "2. Theme setting", "",  # a loose list: still one
        "## Later", "", "1. Performance update", "",
        "**20 January**", "", "4. Fourth item", "5. Fifth item",  # a list that starts at 4 keeps its start
    ])
    document = docx.Document(io.BytesIO(markdown_to_docx(markdown)))
    numbering = document.part.numbering_part.element
    lists: dict[int, list[str]] = {}
    for p in document.paragraphs:
        if p.style.name == "List Number":
            lists.setdefault(p._p.pPr.numPr.numId.val, []).append(p.text)
    assert list(lists.values()) == [["Northolt", "Apprenticeships", "Data sharing"], ["Annual report", "Theme setting"],
                                    ["Performance update"], ["Fourth item", "Fifth item"]]
    style_num = document.styles["List Number"].element.pPr.numPr.numId.val
    for num_id, start in zip(lists, (1, 1, 1, 4)):
        num = numbering.num_having_numId(num_id)
        assert num.abstractNumId.val == numbering.num_having_numId(style_num).abstractNumId.val  # the style's look
        assert [(o.ilvl, o.startOverride.val) for o in num.lvlOverride_lst] == [(0, start)]
