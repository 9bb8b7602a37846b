"""The Word and Markdown documents: each made from its templates in templates/docs/ (a .docx with Jinja tags and a
.md.j2) with the same data; Word on A4, the board's name in the header, page numbers in the footer, each numbered
list counting from 1. A deployment's own templates (LSPBOT_TEMPLATES_DIR) replace the shipped ones; a broken one is
reported at start-up, one line naming the file and the Jinja error, and the shipped one is used instead."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn

from bot.render.documents import DocumentRenderer
from bot.render.templates import SHIPPED_DIR
from bot.runtime import Runtime, build_runtime, run_command
from bot.settings import SettingsError
from handlers.base import Attachment
from handlers.reports import annual_document, quarter_document
from tests.support.settings import ADMIN, settings_for

BOARD = "LSP Executive & <Partners>"
CHAIR = "UDOCCHR1"
ANNUAL_STEM = "lsp-executive-partners-2019-20-annual-report"
QUARTER_STEM = "lsp-executive-partners-2019-Q1-performance"
ANNUAL_HEADINGS = ["Summary", "Meetings held", "Decisions", "Actions by partner organisation", "Quarterly returns", "Charts"]


def partner(organisation: str, raised: int, on_time: int, late: int, still_open: int, dropped: int) -> dict[str, Any]:
    return {"organisation": organisation, "raised": raised, "completed_on_time": on_time, "completed_late": late,
            "completed": on_time + late, "still_open": still_open, "dropped": dropped, "overdue": still_open}


def item_row(name: str, kind: str, lead: str, rags: list[str | None], commentary: str = "") -> dict[str, Any]:
    """An item's row: its RAG each quarter (oldest first; "future" for one not due), the commentary on the first."""
    quarters = ["Q1 2019/20", "Q2 2019/20", "Q3 2019/20", "Q4 2019/20"]
    latest = rags[-1] if rags[-1] != "future" else None
    return {"name": name, "kind": kind, "lead": lead, "rags": rags, "rag": latest, "missing": latest is None,
            "commentary": commentary, "author": "alice" if latest else "",
            "submitted_at": dt.datetime(2019, 7, 16, 9, 0) if latest else None, "milestones": [],
            "history": [{"quarter": q, "rag": r if r != "future" else None, "commentary": commentary if i == 0 else "",
                         "author": "alice", "due": r != "future"} for i, (q, r) in enumerate(zip(quarters, rags, strict=True))]}


def annual_data() -> dict[str, Any]:
    """An annual report's data as handlers.reports.annual_report_data gives it: two meetings held with two items and
    one item, one to come, two partners, two tracked items."""
    partners = [partner("Ealing PCT", 2, 1, 0, 1, 0), partner("LB Ealing", 1, 0, 1, 0, 0)]
    return {
        "board": BOARD, "year": 2019, "year_label": "2019/20", "period_start": dt.date(2019, 4, 1),
        "period_end": dt.date(2020, 3, 31), "as_at": dt.date(2019, 7, 16), "in_progress": True,
        "meetings": [
            {"date": dt.date(2019, 4, 8), "venue": "Southall Town Hall", "theme": "Borough Plan outcomes", "host": None,
             "partner_updates": 3, "actions_raised": 1,
             "agenda_items": [{"title": "Northolt final recommendations", "lead": "LB Ealing", "kind": "for decision"},
                              {"title": "Partner updates round", "lead": "", "kind": "standing item"}]},
            {"date": dt.date(2019, 7, 15), "venue": "Perceval House", "theme": None, "host": "Ealing CVS",
             "partner_updates": 0, "actions_raised": 2,
             "agenda_items": [{"title": "Annual report for scrutiny", "lead": "LB Ealing", "kind": "for decision"}]},
        ],
        "meetings_coming": [{"date": dt.date(2019, 10, 10), "venue": "TBC", "theme": "Youth"}],
        "items_taken": 3, "quarters": ["Q1 2019/20", "Q2 2019/20", "Q3 2019/20", "Q4 2019/20"],
        "items": [item_row("Healthy lives", "outcome", "Ealing PCT", ["amber", "future", "future", "future"],
                           "GP access behind target"),
                  item_row("Good jobs", "outcome", "LB Ealing", [None, "future", "future", "future"])],
        "returns_received": 1, "returns_expected": 2,
        "chart": f"{ANNUAL_STEM}-chart.png", "basename": ANNUAL_STEM,
        "partners": partners, "totals": partner("All partners", 3, 1, 1, 1, 0),
        "decisions": [{"minute": "LSP/19/7", "date": dt.date(2019, 7, 15), "title": "Annual report for scrutiny",
                       "lead": "LB Ealing", "outcome": "agreed", "decision": "=Approved | for the committee",
                       "board": BOARD}],
    }


def quarter_data() -> dict[str, Any]:
    """A quarterly report's data as handlers.reports.quarter_report_data gives it."""
    return {
        "board": BOARD, "quarter": "2019-Q1", "quarter_title": "Q1 2019/20 (Apr–Jun 2019)", "quarter_short": "Q1 2019/20",
        "quarter_start": dt.date(2019, 4, 1), "quarter_end": dt.date(2019, 6, 30),
        "quarters": ["Q2 2018/19", "Q3 2018/19", "Q4 2018/19", "Q1 2019/20"], "as_at": dt.date(2019, 7, 16),
        "in_progress": False,
        "items": [item_row("Healthy lives", "outcome", "Ealing PCT", [None, "red", "green", "amber"], "GP access")],
        "counts": {"green": 0, "amber": 1, "red": 0, "missing": 0},
        "chart": f"{QUARTER_STEM}-chart.png", "basename": QUARTER_STEM,
        "partners": [partner("Ealing PCT", 2, 1, 0, 1, 0)], "totals": partner("All partners", 2, 1, 0, 1, 0),
        "decisions": [],
    }


def by_name(files: list[Attachment]) -> dict[str, bytes]:
    return {f.filename: f.content for f in files}


def paragraphs(document: Any) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in document.paragraphs if p.text.strip()]


def footer_text(document: Any) -> str:
    """The first section's footer, each Word field in it (a page number) shown as {ITS INSTRUCTION}."""
    out = []
    for paragraph in document.sections[0].footer.paragraphs:
        for child in paragraph._p:
            if child.tag == qn("w:fldSimple"):
                out.append("{" + child.get(qn("w:instr")).strip() + "}")
            elif child.tag == qn("w:r"):
                out.append("".join(t.text for t in child.iter(qn("w:t"))))
    return "".join(out)


def numbered_lists(document: Any) -> list[tuple[int, list[str]]]:
    """Each numbered list as (the number it restarts at, its items), by the numbering its paragraphs carry."""
    numbering = document.part.numbering_part.element
    lists: dict[int, list[str]] = {}
    for p in document.paragraphs:
        if p.style.name == "List Number":
            lists.setdefault(p._p.pPr.numPr.numId.val, []).append(p.text)
    out = []
    for num_id, items in lists.items():
        [override] = numbering.num_having_numId(num_id).lvlOverride_lst
        out.append((override.startOverride.val, items))
    return out


def assert_house_layout(document: Any, board: str) -> None:
    """A4 portrait, the board's name in the header, "Page N of M" in the footer."""
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [p.text for p in section.header.paragraphs if p.text] == [board]
    assert footer_text(document) == "Page {PAGE} of {NUMPAGES}"


def test_annual_report_word_and_markdown_from_the_same_data():
    files = by_name(DocumentRenderer().render(annual_document(annual_data())))
    assert set(files) == {f"{ANNUAL_STEM}.docx", f"{ANNUAL_STEM}.md", f"{ANNUAL_STEM}-chart.png"}
    word = docx.Document(io.BytesIO(files[f"{ANNUAL_STEM}.docx"]))
    assert_house_layout(word, BOARD)
    assert (word.core_properties.title, word.core_properties.subject) == (BOARD, f"{BOARD}: annual report 2019/20")
    texts = paragraphs(word)
    assert texts[0] == ("Title", f"{BOARD}: annual report 2019/20")
    assert [t for s, t in texts if s == "Heading 1"] == ANNUAL_HEADINGS
    assert [t for s, t in texts if s == "Heading 2"] == ["Items taken", "Still to come this year", "Healthy lives",
                                                         "Good jobs"]
    bullets = [t for s, t in texts if s == "List Bullet"]
    assert bullets[:3] == ["2 meetings held, 3 items taken",
                           "3 actions raised: 1 completed on time, 1 completed late, 1 still open, 0 dropped",
                           "1 of 2 quarterly returns received"]
    assert "Q1 2019/20: Amber (alice): GP access behind target" in bullets and "Q2 2019/20: not yet due" in bullets
    # Each meeting's items a numbered list of its own, counting from 1.
    assert numbered_lists(word) == [
        (1, ["Northolt final recommendations (lead: LB Ealing), for decision", "Partner updates round, standing item"]),
        (1, ["Annual report for scrutiny (lead: LB Ealing), for decision"])]
    meetings, decisions, actions, returns = ([[c.text for c in row.cells] for row in t.rows] for t in word.tables)
    assert decisions == [["Minute", "Date", "Item", "Decision", "Lead"],
                         ["LSP/19/7", "Monday 15 July 2019", "Annual report for scrutiny",
                          "=Approved | for the committee", "LB Ealing"]]
    assert meetings == [["Date", "Theme", "Venue", "Host", "Items", "Partner updates", "Actions raised"],
                        ["Monday 8 April 2019", "Borough Plan outcomes", "Southall Town Hall", "—", "2", "3", "1"],
                        ["Monday 15 July 2019", "—", "Perceval House", "Ealing CVS", "1", "0", "2"]]
    assert actions[1:] == [["Ealing PCT", "2", "1", "0", "1", "0"], ["LB Ealing", "1", "0", "1", "0", "0"],
                           ["All partners", "3", "1", "1", "1", "0"]]
    assert returns[0] == ["Item", "Kind", "Lead", "Q1 2019/20", "Q2 2019/20", "Q3 2019/20", "Q4 2019/20"]
    assert returns[1:] == [["Healthy lives", "outcome", "Ealing PCT", "Amber", "not yet due", "not yet due",
                            "not yet due"],
                           ["Good jobs", "outcome", "LB Ealing", "no return", "not yet due", "not yet due",
                            "not yet due"]]
    amber, no_return = word.tables[3].cell(1, 3)._tc.xml, word.tables[3].cell(2, 3)._tc.xml
    assert 'w:fill="FFE0B2"' in amber and 'w:fill="EEEEEE"' in no_return
    assert len(word.inline_shapes) == 1  # the chart, where the Markdown links it
    assert files[f"{ANNUAL_STEM}-chart.png"][:8] == b"\x89PNG\r\n\x1a\n"

    markdown = files[f"{ANNUAL_STEM}.md"].decode()
    assert markdown.startswith("# LSP Executive \\& \\<Partners\\>: annual report 2019/20\n")
    assert [line[3:] for line in markdown.splitlines() if line.startswith("## ")] == ANNUAL_HEADINGS
    assert "1. Northolt final recommendations (lead: LB Ealing), for decision\n2. Partner updates round, standing " \
           "item\n" in markdown
    assert "1. Annual report for scrutiny (lead: LB Ealing), for decision\n" in markdown
    assert "| Ealing PCT | 2 | 1 | 0 | 1 | 0 |" in markdown
    assert "| LSP/19/7 | Monday 15 July 2019 | Annual report for scrutiny | =Approved \\| for the committee | " \
           "LB Ealing |" in markdown
    assert "| Healthy lives | outcome | Ealing PCT | Amber | not yet due | not yet due | not yet due |" in markdown
    assert f"]({ANNUAL_STEM}-chart.png)" in markdown


def test_quarterly_report_word_has_its_tables_rag_shading_and_chart():
    files = by_name(DocumentRenderer().render(quarter_document(quarter_data())))
    word = docx.Document(io.BytesIO(files[f"{QUARTER_STEM}.docx"]))
    assert_house_layout(word, BOARD)
    texts = paragraphs(word)
    assert texts[0] == ("Title", f"{BOARD}: Borough Plan performance, Q1 2019/20 (Apr–Jun 2019)")
    assert [t for s, t in texts if s == "Heading 1"] == ["Summary", "RAG status by item", "Commentary", "Decisions",
                                                         "Actions by partner organisation", "Chart"]
    assert ("Normal", "No decisions were recorded at the board's meetings this quarter.") in texts
    assert ("Heading 2", "Healthy lives") in texts and ("Normal", "GP access") in texts
    summary, rag, actions = ([[c.text for c in row.cells] for row in t.rows] for t in word.tables)
    assert summary == [["Status", "Items"], ["Green", "0"], ["Amber", "1"], ["Red", "0"], ["No return", "0"]]
    assert rag == [["Item", "Kind", "Lead", "Q2 2018/19", "Q3 2018/19", "Q4 2018/19", "Q1 2019/20 (this quarter)"],
                   ["Healthy lives", "outcome", "Ealing PCT", "no return", "Red", "Green", "Amber"]]
    fills = [re.search(r'w:fill="(\w+)"', word.tables[1].cell(1, c)._tc.xml).group(1) for c in range(3, 7)]
    assert fills == ["EEEEEE", "FFCDD2", "C8E6C9", "FFE0B2"]
    assert actions == [["Partner", "Raised", "Completed", "Overdue"], ["Ealing PCT", "2", "1", "1"],
                       ["All partners", "2", "1", "1"]]
    assert len(word.inline_shapes) == 1
    markdown = files[f"{QUARTER_STEM}.md"].decode()
    assert "| Healthy lives | outcome | Ealing PCT | no return | Red | Green | Amber |" in markdown


def test_text_reaches_word_as_typed_and_never_as_markup():
    """Escaped for XML, never evaluated; line breaks kept; the control characters a Word file cannot hold dropped,
    so none of them can end a paragraph or start a page."""
    typed = 'Tom & Jerry <w:t>x</w:t></w:r></w:p><w:p/> {{ 7*7 }} {% if true %}yes{% endif %} ]]> &amp; "quoted"'
    plain = annual_data()
    hostile = annual_data()
    hostile["meetings"][0]["theme"] = typed + "\r\nsecond line\x07bell\x0cpage\x00"
    renderer = DocumentRenderer()
    documents = [docx.Document(io.BytesIO(by_name(renderer.render(annual_document(data)))[f"{ANNUAL_STEM}.docx"]))
                 for data in (plain, hostile)]
    texts = [p.text for p in documents[1].paragraphs]
    assert f"Monday 8 April 2019: {typed}\nsecond linebellpage" in texts
    assert documents[1].tables[0].cell(1, 1).text == f"{typed}\nsecond linebellpage"
    assert len(documents[1].paragraphs) == len(documents[0].paragraphs)
    assert not any(t in ("yes", "49") or " 49 " in t for t in texts)


@pytest.fixture
def custom_templates(tmp_path: Path) -> Path:
    """A council's own templates: a letterhead in the annual report's Word header and its own Markdown heading (both
    good), a quarterly report whose Word template has an if never closed, an agenda Markdown template with a syntax
    error (given by file name alone), and a Word file no shipped template is named like."""
    folder = tmp_path / "council-templates"
    (folder / "docs").mkdir(parents=True)
    annual = docx.Document(str(SHIPPED_DIR / "docs" / "report_annual.docx"))
    annual.sections[0].header.paragraphs[0].insert_paragraph_before("Ealing Council letterhead")
    annual.save(str(folder / "docs" / "report_annual.docx"))
    markdown = (SHIPPED_DIR / "docs" / "report_annual.md.j2").read_text(encoding="utf-8")
    (folder / "docs" / "report_annual.md.j2").write_text(
        markdown.replace("# {{ board|md }}: annual report", "# Ealing Council: {{ board|md }}, annual report"),
        encoding="utf-8")
    quarter = docx.Document(str(SHIPPED_DIR / "docs" / "report_quarter.docx"))
    quarter.add_paragraph("{% if in_progress %}Never closed")
    quarter.save(str(folder / "docs" / "report_quarter.docx"))
    (folder / "agenda.md.j2").write_text("# {{ board|md }\n", encoding="utf-8")
    shutil.copy(SHIPPED_DIR / "docs" / "report_annual.docx", folder / "docs" / "letter.docx")
    return folder


def test_custom_templates_replace_the_shipped_ones_and_a_broken_one_is_reported_at_start_up(
        custom_templates: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture):
    settings = settings_for(f"sqlite:///{tmp_path / 'lspbot.db'}", LSPBOT_TEMPLATES_DIR=str(custom_templates))
    with caplog.at_level(logging.INFO, logger="lspbot.templates"):
        runtime = build_runtime(settings, migrate=True)
    try:
        errors = sorted(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
        assert len(errors) == 3, errors
        agenda, letter, quarter = errors
        assert str(custom_templates / "agenda.md.j2") in agenda and "using the shipped docs/agenda.md.j2" in agenda
        assert "unexpected '}'" in agenda and "(line 1)" in agenda
        assert str(custom_templates / "docs" / "report_quarter.docx") in quarter
        assert "TemplateSyntaxError: Unexpected end of template" in quarter and "Never closed”)" in quarter
        assert str(custom_templates / "docs" / "letter.docx") in letter and "no shipped template" in letter
        assert all("\n" not in line for line in errors)

        # The good ones are used: the letterhead in Word, the council's heading in Markdown, from the same data.
        files = by_name(runtime.renderer.documents(annual_document(annual_data())))
        word = docx.Document(io.BytesIO(files[f"{ANNUAL_STEM}.docx"]))
        assert [p.text for p in word.sections[0].header.paragraphs] == ["Ealing Council letterhead", BOARD]
        assert [t for s, t in paragraphs(word) if s == "Heading 1"] == ANNUAL_HEADINGS
        assert files[f"{ANNUAL_STEM}.md"].decode().startswith(
            "# Ealing Council: LSP Executive \\& \\<Partners\\>, annual report 2019/20\n")
        # The broken ones are not: the shipped templates stand in.
        files = by_name(runtime.renderer.documents(quarter_document(quarter_data())))
        word = docx.Document(io.BytesIO(files[f"{QUARTER_STEM}.docx"]))
        assert paragraphs(word)[0] == ("Title", f"{BOARD}: Borough Plan performance, Q1 2019/20 (Apr–Jun 2019)")
        assert not any("Never closed" in p.text for p in word.paragraphs)
        assert runtime.renderer.templates.path("docs/agenda.md.j2") == SHIPPED_DIR / "docs" / "agenda.md.j2"
    finally:
        runtime.close()


def test_templates_dir_must_be_a_folder(tmp_path: Path):
    with pytest.raises(SettingsError, match="LSPBOT_TEMPLATES_DIR"):
        settings_for("sqlite://", LSPBOT_TEMPLATES_DIR=str(tmp_path / "missing"))


def test_agenda_draft_in_word_and_markdown(runtime: Runtime):
    """The agenda from /agenda draft: the same numbered items in Word (Heading 2) and Markdown (###)."""
    def run(user: str, command: str, text: str):
        outcome = run_command(runtime, command, user_id=user, channel_id="CDOCS001", text=text)
        assert outcome.ok, outcome.payload
        return outcome

    run(ADMIN, "/lsp", f'board create "{BOARD}" chair:<@{CHAIR}|chair> org:"LB Ealing"')
    run(CHAIR, "/plan", "meeting add 2019-10-10 10:00")
    run(CHAIR, "/plan", 'item add 2019-10-10 "Youth <strategy> & *apprenticeships*" lead:"Ealing PCT"')
    run(CHAIR, "/action", "add Circulate the Northolt recommendations by Friday")
    [document] = run(CHAIR, "/agenda", "draft").documents
    files = by_name(runtime.renderer.documents(document))
    stem = "lsp-executive-partners-agenda-2019-10-10"
    assert set(files) == {f"{stem}.docx", f"{stem}.md"}
    word = docx.Document(io.BytesIO(files[f"{stem}.docx"]))
    assert_house_layout(word, BOARD)
    texts = paragraphs(word)
    assert texts[:4] == [("Title", BOARD), ("Heading 1", "Draft agenda — Thursday 10 October 2019"),
                         ("Normal", "Time: 10:00"), ("Normal", "Venue: TBC")]
    headings = [t for s, t in texts if s == "Heading 2"]
    assert headings[3] == "4.  Youth <strategy> & *apprenticeships*"
    assert texts[texts.index(("Heading 2", headings[3])) + 1] == ("Normal", "Lead: Ealing PCT  ·  For discussion")
    assert [[c.text for c in row.cells] for row in word.tables[0].rows][1][:3] == [
        "1", "Circulate the Northolt recommendations", "chair (LB Ealing)"]
    markdown = files[f"{stem}.md"].decode()
    md_headings = [re.sub(r"\\(.)", r"\1", line[4:]) for line in markdown.splitlines() if line.startswith("### ")]
    assert md_headings == [h.replace(".  ", ". ", 1) for h in headings]
    assert markdown.startswith("# LSP Executive \\& \\<Partners\\>\n")
