"""Random forward-plan CSV files through `lspbot plan import`'s path (handlers/plan_io.import_plan_csv in one
unit of work, as bot/cli/plan.py runs it): any header, any cells, quoting, formula-looking text, bad
dates and times, duplicates, rows too long. The import is all or nothing: refused with every bad cell
named and nothing written, or done with every item in place; importing the same file again changes
nothing. No other exception."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.runtime import Runtime, run_command
from handlers.dates import parse_absolute_date
from handlers.plan_io import CSV_COLUMNS, PlanImportError, csv_rows, import_plan_csv
from store import boards, db
from store.models import Meeting, PlanItem
from tests.support.integrity import changed_tables, consistency_problems, table_counts
from tests.support.settings import ADMIN

DATES = st.one_of(
    st.dates(min_value=__import__("datetime").date(2018, 1, 1), max_value=__import__("datetime").date(2021, 12, 31))
    .flatmap(lambda d: st.sampled_from([d.isoformat(), d.strftime("%d/%m/%Y"), d.strftime("%-d %B %Y")])),
    st.sampled_from(["", "2019-02-30", "0000-01-01", "9999-12-31", "31/31/2019", "next Thursday", "2019", "Q3 2019",
                     "15 Jul", "=TODAY()", "1e9"]),
    st.text(max_size=12),
)
TIMES = st.sampled_from(["", "", "10:00", "2pm", "14.30", "25:00", "10", "noon", "9:61", "²:00"])
TEXTS = st.one_of(
    st.sampled_from(["Skills strategy", "Skills strategy", "skills STRATEGY", "=SUM(A1)", "'=HYPERLINK(x)", "+1",
                     "@lead", '"quoted, with commas"', "line\nbreak", "x" * 301, "<!channel>", "{{ 7*7 }}",
                     "'; DROP TABLE plan_items; --", ""]),
    st.text(max_size=40),
)
KINDS = st.sampled_from(["", "decision", "for discussion", "Information", "presentation", "standing", "urgent", "²"])
CELLS = {"date": DATES, "time": TIMES, "item": TEXTS, "lead": TEXTS, "kind": KINDS, "venue": TEXTS}


@st.composite
def plan_csv(draw: st.DrawFn) -> str:
    columns = draw(st.lists(st.sampled_from([*CSV_COLUMNS, "notes", "Date", ""]), min_size=1, max_size=7, unique=True))
    if draw(st.booleans()):
        columns = ["date", "item", *[c for c in columns if c not in ("date", "item")]]
    rows = [[draw(CELLS.get(c.lower(), TEXTS)) for c in columns] for _ in range(draw(st.integers(0, 8)))]
    if rows and draw(st.integers(0, 5)) == 0:
        rows[0].append("an extra cell")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\r\n", "\n"])))
    writer.writerow(columns)
    writer.writerows(rows)
    return (draw(st.sampled_from(["", "\ufeff"])) + out.getvalue())


def _import(runtime: Runtime, text: str):
    with db.session_scope(runtime.sessions) as session:
        board = boards.get_by_name(session=session, name="CSV")
        return import_plan_csv(session=session, board=board, text=text, now=runtime.clock.now(), actor="cli",
                               include_past=True)  # any year 1900-2999: the reading is under test here


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=plan_csv())
def test_any_csv_imports_whole_or_not_at_all(runtime: Runtime, text: str) -> None:
    url = runtime.engine.url.render_as_string(hide_password=False)
    with db.session_scope(runtime.sessions) as session:
        exists = boards.get_by_name(session=session, name="CSV") is not None
    if not exists:
        assert run_command(runtime, "/lsp", user_id=ADMIN, channel_id="CCSV0001",
                           text='board create "CSV" chair:<@UCSVCHR1|c>').ok
    before = table_counts(url)
    try:
        _import(runtime, text)
    except PlanImportError as exc:
        assert exc.errors and all(e.row >= 1 and e.column for e in exc.errors), exc.message
        assert changed_tables(before, table_counts(url)) == {}, "a refused import wrote something"
        return
    # Imported: every item row is in the plan, at its meeting.
    rows = csv_rows(text)
    header = [h.strip().lower() for h in rows[0]]
    expected = set()
    for row in rows[1:]:
        cells = dict(zip(header, row, strict=False))
        if cells.get("item", "").strip():
            title = cells["item"].strip()
            if title[:1] == "'" and title[1:2] in ("=", "+", "-", "@"):  # a spreadsheet-safe export's quote
                title = title[1:]
            expected.add((parse_absolute_date(cells["date"]), title.lower()))
    with db.session_scope(runtime.sessions) as session:
        stored = {(d, t.lower()) for d, t in session.execute(
            select(Meeting.date, PlanItem.title).join(PlanItem, PlanItem.meeting_id == Meeting.id))}
    assert expected <= stored, expected - stored
    after = table_counts(url)
    _import(runtime, text)  # the same file again changes nothing
    assert changed_tables(after, table_counts(url)) == {}
    assert consistency_problems(url) == []
