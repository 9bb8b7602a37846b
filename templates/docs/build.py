"""How the shipped Word templates (agenda.docx, report_quarter.docx, report_annual.docx, minutes.docx) were made.

The committed .docx files are the source: a secretariat opens one in Word, restyles it (fonts, colours,
a letterhead in the header, wording) and saves it under the same name in the folder that
LSPBOT_TEMPLATES_DIR names. This script only records how the shipped ones were first built with
python-docx; run it (`python templates/docs/build.py [name.docx ...]`) to rebuild them (or the ones named)
from scratch, which drops any change made to them in Word since.

The Jinja tags are docxtpl's: `{{ ... }}` for a value (escaped for Word), `{%p ... %}` for a statement that
takes the whole paragraph, `{%tr ... %}` a table row, `{%tc ... %}` a table column, and
`{% cellbg ... %}` a cell's shading. Each template gets the same data as the Markdown template of the same
name (`<name>.md.j2`), and `images`, the document's charts by file name.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
INK = RGBColor(0x1F, 0x2A, 0x44)  # headings: a dark navy
GREY = RGBColor(0x59, 0x59, 0x59)
MARGIN = Cm(2.54)  # one inch all round: Word's "Normal" margins, the usual ones of a UK council's papers


def new_document(title: str) -> Document:
    """An empty A4 document in the house style (margins of 2.54 cm, as UK councils' documents have), the board's
    name in the header and page numbers in the footer. The title property is the board's name, set when a document
    is made (bot/render/documents.py), as the author is again."""
    doc = Document()
    doc.core_properties.title = ""
    doc.core_properties.author = "lspbot"
    doc.core_properties.subject = title
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = MARGIN
    section.top_margin = section.bottom_margin = MARGIN
    section.header_distance = section.footer_distance = Cm(1.25)
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name, normal.font.size = "Arial", Pt(11)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "Arial")
    normal.paragraph_format.space_after = Pt(6)
    for name, size in (("Title", 20), ("Heading 1", 15), ("Heading 2", 12.5), ("Heading 3", 11.5)):
        style = styles[name]
        style.font.name, style.font.size, style.font.bold = "Arial", Pt(size), True
        style.font.color.rgb = INK
        rfonts = style.element.rPr.rFonts
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            rfonts.attrib.pop(qn(attr), None)
        rfonts.set(qn("w:ascii"), "Arial")
        rfonts.set(qn("w:hAnsi"), "Arial")
    styles["Title"].paragraph_format.space_after = Pt(12)
    for name in ("List Bullet", "List Number", "Quote"):
        styles[name].font.name = "Arial"
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = header.add_run("{{ board }}")
    run.font.size, run.font.color.rgb = Pt(9), GREY
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for piece in ("Page ", "PAGE", " of ", "NUMPAGES"):
        if piece.isupper():
            _field(footer, piece)
        else:
            footer.add_run(piece).font.size = Pt(9)
    return doc


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in as it lays the pages out."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "18")
    props.append(size)
    run.append(props)
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def p(doc, *parts: str, style: str | None = None, italic: bool = False):
    """A paragraph of runs; a part starting with `**` is bold (the `**` is dropped)."""
    paragraph = doc.add_paragraph(style=style)
    for part in parts:
        bold = part.startswith("**")
        run = paragraph.add_run(part[2:] if bold else part)
        run.bold = bold or None
        run.italic = italic or None
    return paragraph


def tag(doc, statement: str) -> None:
    """A paragraph holding only a docxtpl `{%p ... %}` statement: it disappears when the document is made."""
    doc.add_paragraph("{%p " + statement + " %}")


def table(doc, header: list[str], rows: list[list[str]]):
    """A table in the "Table Grid" style across the page, its columns sized to their content (a column loop
    adds columns), its header row bold and repeated on each page."""
    grid = doc.add_table(rows=1 + len(rows), cols=len(header))
    grid.style = doc.styles["Table Grid"]
    width = grid._tbl.tblPr.find(qn("w:tblW"))
    width.set(qn("w:type"), "pct")
    width.set(qn("w:w"), "5000")
    for cell_width in grid._tbl.iter(qn("w:tcW")):
        cell_width.set(qn("w:type"), "auto")
        cell_width.set(qn("w:w"), "0")
    for cell, text in zip(grid.rows[0].cells, header, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
    header_props = grid.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    header_props.append(repeat)
    for row, texts in zip(grid.rows[1:], rows, strict=True):
        for cell, text in zip(row.cells, texts, strict=True):
            if isinstance(text, list):  # paragraphs of their own (an if/else in a cell)
                first, *rest = text
                _cell_text(cell.paragraphs[0], first)
                for more in rest:
                    _cell_text(cell.add_paragraph(), more)
            else:
                _cell_text(cell.paragraphs[0], text)
    return grid


def _cell_text(paragraph, text: str) -> None:
    bold = text.startswith("**")
    paragraph.add_run(text[2:] if bold else text).bold = bold or None


def loop_rows(statement: str, cells: list, width: int) -> list[list]:
    """The three rows of a table loop: `{%tr for ... %}`, the row repeated, `{%tr endfor %}`."""
    return [["{%tr " + statement + " %}"] + [""] * (width - 1), cells, ["{%tr endfor %}"] + [""] * (width - 1)]


def chart(doc, caption: str) -> None:
    doc.add_paragraph("{{ images[chart] }}")
    p(doc, caption, italic=True)


# ---------------------------------------------------------------- the agenda


def agenda() -> Document:
    doc = new_document("Agenda")
    tag(doc, 'from "docs/_agenda_words.j2" import words, kind_label, status_label, review_summary, meeting_when, '
             "minutes_line, group_title")
    doc.add_paragraph("{{ board }}", style="Title")
    doc.add_paragraph("{{ words.published_title if published else words.draft_title }} — {{ meeting.date|date_long }}",
                      style="Heading 1")
    p(doc, "**{{ words.time }}: ", "{{ meeting.time or words.time_tbc }}")
    p(doc, "**{{ words.venue }}: ",
      "{{ meeting.venue }}{% if meeting.host %} ({{ words.host|lower }}: {{ meeting.host }}){% endif %}")
    tag(doc, "if meeting.theme")
    p(doc, "**{{ words.theme }}: ", "{{ meeting.theme }}")
    tag(doc, "endif")
    tag(doc, "if web_url is defined and web_url")
    p(doc, "**On the web: ", "{{ web_url }}")
    tag(doc, "endif")
    tag(doc, "if changes and not published")
    p(doc, "{{ words.changed_since }} {{ published_version }}:", italic=True)
    tag(doc, "for c in changes")
    doc.add_paragraph("{{ c }}", style="List Bullet")
    tag(doc, "endfor")
    tag(doc, "endif")
    tag(doc, "for e in entries")
    tag(doc, 'if e.key == "welcome"')
    doc.add_paragraph("{{ e.number }}.  {{ words.welcome }}", style="Heading 2")
    p(doc, "**{{ words.lead }}: ", "{{ e.lead }}")
    tag(doc, 'elif e.key == "partner_updates"')
    doc.add_paragraph("{{ e.number }}.  {{ words.partner_updates }}", style="Heading 2")
    tag(doc, "for u in partner_updates.submitted")
    p(doc, "**{{ u.organisation }}", " ({{ u.author }}{% if u.late %}; {{ words.late }}{% endif %}): {{ u.text }}",
      style="List Bullet")
    tag(doc, "endfor")
    tag(doc, "if partner_updates.missing")
    p(doc, '{{ words.updates_none_yet }}: {{ partner_updates.missing|join(", ") }}.')
    tag(doc, "else")
    p(doc, "{{ words.updates_all_in }}")
    tag(doc, "endif")
    tag(doc, 'elif e.key == "action_review"')
    doc.add_paragraph("{{ e.number }}.  {{ words.action_review }}", style="Heading 2")
    tag(doc, "if previous_minutes is defined and previous_minutes")
    p(doc, "{{ minutes_line(previous_minutes) }}")
    tag(doc, "endif")
    tag(doc, "set rows = review.raised + review.still_open")
    tag(doc, "if rows")
    p(doc, "{{ review_summary(review, open_count, overdue_count) }}")
    status = "{{ status_label(a) }}{% if a.raised_at_previous %} (raised last meeting){% endif %}"
    cells = [
        "{{ a.ref }}", "{{ a.text }}",
        "{{ a.owner_name }}{% if a.organisation %} ({{ a.organisation }}){% endif %}",
        '{{ a.due|date_short if a.due else "—" }}',
        ["{%p if a.overdue_days > 0 %}", "**" + status, "{%p else %}", status, "{%p endif %}"],
        ['{{ a.last_note or "—" }}', "{%p for ev in a.events %}", "{{ ev }}", "{%p endfor %}"]]
    header = ["#", "Action", "Owner", "Due", "Status", "Last progress note"]
    tag(doc, "for g in (review_groups if review_groups is defined else [])")
    p(doc, "**{{ group_title(g) }}:")
    table(doc, header, loop_rows("for a in g.actions", cells, 6))
    tag(doc, "endfor")
    tag(doc, "set table = review_table if review_table is defined else rows")
    tag(doc, "if table")
    table(doc, header, loop_rows("for a in table", cells, 6))
    tag(doc, "endif")
    tag(doc, "else")
    p(doc, "{{ words.no_actions }}")
    tag(doc, "endif")
    tag(doc, 'elif e.key in ("plan", "proposal", "standing")')
    doc.add_paragraph("{{ e.number }}.  {{ e.title }}", style="Heading 2")
    p(doc, "**{{ words.lead }}: ",
      '{{ e.lead or "—" }}  ·  {{ kind_label(e.kind) }}{% if e.note %}  ·  {{ e.note }}{% endif %}')
    tag(doc, 'elif e.key == "aob"')
    doc.add_paragraph("{{ e.number }}.  {{ words.aob }}", style="Heading 2")
    tag(doc, 'elif e.key == "next_meeting"')
    doc.add_paragraph("{{ e.number }}.  {{ words.next_meeting }}", style="Heading 2")
    p(doc, "{% if next_meeting %}{{ meeting_when(next_meeting) }}.{% else %}{{ words.no_next_meeting }}{% endif %}")
    tag(doc, "endif")
    tag(doc, "endfor")
    return doc


# ---------------------------------------------------------------- the quarterly report


def _rag_columns(label: str) -> tuple[list[str], list[str]]:
    """The header cells and row cells of a table's quarter columns (a docxtpl column loop)."""
    return (["{%tc for q in quarters %}", label, "{%tc endfor %}"],
            ["{%tc for r in i.rags %}", "{% cellbg shade(r) %}{{ rag(r) }}", "{%tc endfor %}"])


def decisions(doc, period: str, none: str) -> None:
    """The decisions of the report's period: a table of minute, date, item, decision and lead."""
    doc.add_heading("Decisions", level=1)
    tag(doc, "if decisions")
    p(doc, f"Decisions of the board's meetings {period}.")
    table(doc, ["Minute", "Date", "Item", "Decision", "Lead"],
          loop_rows("for d in decisions", ['{{ d.minute or "—" }}', "{{ d.date|date_long }}", "{{ d.title }}",
                                           "{{ d.decision }}", '{{ d.lead or "—" }}'], 5))
    tag(doc, "else")
    p(doc, none)
    tag(doc, "endif")


def report_quarter() -> Document:
    doc = new_document("Quarterly performance report")
    tag(doc, 'from "docs/_report_macros.j2" import rag')
    doc.add_paragraph("{{ board }}: Borough Plan performance, {{ quarter_title }}", style="Title")
    p(doc, "Quarterly performance report on the outcomes and projects the partnership tracks."
           "{% if in_progress %} The quarter is in progress: returns as at {{ as_at|date_long }}.{% endif %}",
      italic=True)
    doc.add_heading("Summary", level=1)
    table(doc, ["Status", "Items"], [
        ['{% cellbg shade("green") %}Green', "{{ counts.green }}"],
        ['{% cellbg shade("amber") %}Amber', "{{ counts.amber }}"],
        ['{% cellbg shade("red") %}Red', "{{ counts.red }}"],
        ['{% cellbg shade(None) %}No return', "{{ counts.missing }}"]])
    doc.add_heading("RAG status by item", level=1)
    tag(doc, "if items")
    head, cells = _rag_columns("{{ q }}{% if loop.last %} (this quarter){% endif %}")
    table(doc, ["Item", "Kind", "Lead", *head],
          loop_rows("for i in items", ["{{ i.name }}", "{{ i.kind }}", "{{ i.lead }}", *cells], 6))
    tag(doc, "else")
    p(doc, "No outcomes or projects are tracked yet.")
    tag(doc, "endif")
    doc.add_heading("Commentary", level=1)
    tag(doc, "for i in items")
    doc.add_paragraph("{{ i.name }}", style="Heading 2")
    p(doc, "**Lead: ", "{{ i.lead }} · ", "**{{ quarter_short }}: ", "{{ rag(i.rag) }}")
    tag(doc, "if i.missing")
    p(doc, "No return received for this quarter.", italic=True)
    tag(doc, "else")
    p(doc, "{{ i.commentary }}")
    p(doc, 'Return from {{ i.author }}, {{ i.submitted_at|date_long if i.submitted_at else "" }}.', italic=True)
    tag(doc, "endif")
    tag(doc, "if i.milestones")
    p(doc, "**Milestones:")
    tag(doc, "for m in i.milestones")
    doc.add_paragraph("{{ m.text }}{% if m.due %} (by {{ m.due }}){% endif %}", style="List Bullet")
    tag(doc, "endfor")
    tag(doc, "endif")
    tag(doc, "endfor")
    decisions(doc, "from {{ quarter_start|date_long }} to {{ quarter_end|date_long }}",
              "No decisions were recorded at the board's meetings this quarter.")
    doc.add_heading("Actions by partner organisation", level=1)
    p(doc, "Actions raised and completed from {{ quarter_start|date_long }} to {{ quarter_end|date_long }}, and those "
           "overdue as at {{ as_at|date_long if in_progress else quarter_end|date_long }}, by the organisation of "
           "each action's owner.")
    table(doc, ["Partner", "Raised", "Completed", "Overdue"], [
        *loop_rows("for p in partners", ["{{ p.organisation }}", "{{ p.raised }}", "{{ p.completed }}",
                                         "{{ p.overdue }}"], 4),
        ["**All partners", "**{{ totals.raised }}", "**{{ totals.completed }}", "**{{ totals.overdue }}"]])
    doc.add_heading("Chart", level=1)
    chart(doc, "RAG status over the last four quarters, and actions by partner organisation")
    return doc


# ---------------------------------------------------------------- the annual report


def report_annual() -> Document:
    doc = new_document("Annual report")
    tag(doc, 'from "docs/_report_macros.j2" import rag')
    doc.add_paragraph("{{ board }}: annual report {{ year_label }}", style="Title")
    p(doc, "Report to the Overview and Scrutiny Committee on the partnership's work from "
           "{{ period_start|date_long }} to {{ period_end|date_long }}.{% if in_progress %} The year is in progress: "
           "figures as at {{ as_at|date_long }}.{% endif %}", italic=True)
    doc.add_heading("Summary", level=1)
    for line in ('{{ plural(meetings|length, "meeting") }} held, {{ plural(items_taken, "item") }} taken',
                 '{{ plural(totals.raised, "action") }} raised: {{ totals.completed_on_time }} completed on time, '
                 "{{ totals.completed_late }} completed late, {{ totals.still_open }} still open, "
                 "{{ totals.dropped }} dropped",
                 "{{ returns_received }} of {{ returns_expected }} quarterly returns received"):
        doc.add_paragraph(line, style="List Bullet")
    doc.add_heading("Meetings held", level=1)
    tag(doc, "if meetings")
    table(doc, ["Date", "Theme", "Venue", "Host", "Items", "Partner updates", "Actions raised"],
          loop_rows("for m in meetings", [
              "{{ m.date|date_long }}", '{{ m.theme or "—" }}', "{{ m.venue }}", '{{ m.host or "—" }}',
              "{{ m.agenda_items|length }}", "{{ m.partner_updates }}", "{{ m.actions_raised }}"], 7))
    doc.add_heading("Items taken", level=2)
    tag(doc, "for m in meetings")
    p(doc, "**{{ m.date|date_long }}{% if m.theme %}: {{ m.theme }}{% endif %}")
    tag(doc, "for i in m.agenda_items")
    doc.add_paragraph("{{ i.title }}{% if i.lead %} (lead: {{ i.lead }}){% endif %}{% if i.kind %}, {{ i.kind }}"
                      "{% endif %}", style="List Number")
    tag(doc, "else")
    p(doc, "No items recorded in the forward plan or as standing items.", italic=True)
    tag(doc, "endfor")
    tag(doc, "endfor")
    tag(doc, "else")
    p(doc, "No meetings were held in this period.")
    tag(doc, "endif")
    tag(doc, "if meetings_coming")
    doc.add_heading("Still to come this year", level=2)
    tag(doc, "for m in meetings_coming")
    doc.add_paragraph("{{ m.date|date_long }}{% if m.theme %}: {{ m.theme }}{% endif %}, {{ m.venue }}",
                      style="List Bullet")
    tag(doc, "endfor")
    tag(doc, "endif")
    decisions(doc, "in the year", "No decisions were recorded at the board's meetings this year.")
    doc.add_heading("Actions by partner organisation", level=1)
    p(doc, "Actions raised in the year by the organisation of each action's owner, and where those actions stand now.")
    table(doc, ["Partner", "Raised", "Completed on time", "Completed late", "Still open", "Dropped"], [
        *loop_rows("for p in partners", ["{{ p.organisation }}", "{{ p.raised }}", "{{ p.completed_on_time }}",
                                         "{{ p.completed_late }}", "{{ p.still_open }}", "{{ p.dropped }}"], 6),
        ["**All partners", "**{{ totals.raised }}", "**{{ totals.completed_on_time }}",
         "**{{ totals.completed_late }}", "**{{ totals.still_open }}", "**{{ totals.dropped }}"]])
    doc.add_heading("Quarterly returns", level=1)
    tag(doc, "if items")
    head, cells = _rag_columns("{{ q }}")
    table(doc, ["Item", "Kind", "Lead", *head],
          loop_rows("for i in items", ["{{ i.name }}", "{{ i.kind }}", "{{ i.lead }}", *cells], 6))
    tag(doc, "for i in items")
    doc.add_paragraph("{{ i.name }}", style="Heading 2")
    tag(doc, "for h in i.history")
    p(doc, '**{{ h.quarter }}: {{ rag(h.rag if h.due else "future") }}',
      "{% if h.rag %} ({{ h.author }}): {{ h.commentary }}{% endif %}", style="List Bullet")
    tag(doc, "endfor")
    tag(doc, "endfor")
    tag(doc, "else")
    p(doc, "No outcomes or projects were tracked this year.")
    tag(doc, "endif")
    doc.add_heading("Charts", level=1)
    chart(doc, "RAG status by quarter of the year, and actions by partner organisation")
    return doc


# ---------------------------------------------------------------- the minutes


def minutes() -> Document:
    doc = new_document("Minutes")
    tag(doc, 'from "docs/_minutes_words.j2" import words, substitute_line, person, when_line, title_of')
    doc.add_paragraph("{{ board }}", style="Title")
    doc.add_paragraph("{{ title_of(status) }} — {{ meeting.date|date_long }}", style="Heading 1")
    p(doc, "**{{ words.date }}: ", "{{ meeting.date|date_long }}")
    p(doc, "**{{ words.time }}: ", "{{ when_line(meeting, opened, closed) }}")
    p(doc, "**{{ words.venue }}: ", "{{ meeting.venue }}{% if meeting.host %} (host: {{ meeting.host }}){% endif %}")
    tag(doc, "if web_url is defined and web_url")
    p(doc, "**On the web: ", "{{ web_url }}")
    tag(doc, "endif")
    tag(doc, "if confirmed")
    p(doc, "{{ words.confirmed_by }} by {{ confirmed.by }} on {{ confirmed.on|date_long }}{% if confirmed.meeting %} "
           "at the meeting of {{ confirmed.meeting|date_long }}{% endif %}.", italic=True)
    tag(doc, "elif circulated")
    p(doc, "{{ words.circulated_by }} by {{ circulated.by }} on {{ circulated.on|date_long }}; to be confirmed at "
           "the next meeting.", italic=True)
    tag(doc, "endif")
    doc.add_paragraph("{{ words.present }}", style="Heading 2")
    tag(doc, "for g in present")
    p(doc, "**{{ g.organisation }}: ", '{{ g.people|join(", ") }}', style="List Bullet")
    tag(doc, "else")
    p(doc, "{{ words.none }}")
    tag(doc, "endfor")
    for key, loop, line in (("apologies", "apologies", "{{ person(x) }}"),
                            ("substitutes", "substitutes", "{{ substitute_line(x) }}"),
                            ("in_attendance", "in_attendance", "{{ person(x) }}"),
                            ("absent", "absent", "{{ person(x) }}")):
        p(doc, "**{{ words." + key + " }}: ",
          "{% for x in " + loop + " %}" + line + "{% if not loop.last %}; {% endif %}{% else %}{{ words.none }}"
          "{% endfor %}")
    p(doc, "{{ words.quorate if quorate else (words.quorum_unknown if quorate is none else words.inquorate) }}")
    doc.add_paragraph("{{ words.declarations }}", style="Heading 2")
    tag(doc, "if declarations")
    table(doc, ["Who", "Minute", "Item", "Interest", "Left the room"], loop_rows("for d in declarations", [
        "{{ d.name }}", "{{ d.minute or d.item_number }}", "{{ d.item }}", "{{ d.interest }}",
        '{{ "Yes" if d.left_room else "No" }}'], 5))
    tag(doc, "else")
    p(doc, "{{ words.no_declarations }}")
    tag(doc, "endif")
    tag(doc, "for i in items")
    doc.add_paragraph("{{ i.minute }}  {{ i.number }}. {{ i.title }}", style="Heading 2")
    tag(doc, "if i.lead")
    p(doc, "**{{ words.lead }}: ", "{{ i.lead }}")
    tag(doc, "endif")
    tag(doc, "for d in i.declarations")
    p(doc, "{{ words.declared }}: {{ d.name }}, {{ d.interest }} ({{ words.left_room if d.left_room else words.stayed }}).",
      italic=True)
    tag(doc, "endfor")
    tag(doc, "if i.summary")
    p(doc, "{{ i.summary }}")
    tag(doc, "endif")
    tag(doc, "for c in i.corrections")
    p(doc, "**{{ words.correction }} ", "(agreed at the meeting of {{ c.at|date_long }}, recorded by {{ c.by }}): "
           "{{ c.text }}", style="Quote")
    tag(doc, "endfor")
    tag(doc, "if i.outcome_label")
    p(doc, "**{{ words.decision }}: ", "{{ i.outcome_label }}{% if i.decision %} — {{ i.decision }}{% endif %}")
    tag(doc, "endif")
    tag(doc, "if i.actions")
    table(doc, ["#", "Action", "Owner", "Due"], loop_rows("for a in i.actions", [
        "{{ a.ref }}", "{{ a.text }}", "{{ a.owner }}", '{{ a.due|date_short if a.due else "—" }}'], 4))
    tag(doc, "endif")
    tag(doc, "endfor")
    return doc


TEMPLATES = {"agenda.docx": agenda, "report_quarter.docx": report_quarter, "report_annual.docx": report_annual,
             "minutes.docx": minutes}


def main(names: list[str]) -> None:
    """Build the named templates (`minutes.docx`), or every one."""
    for name, build in TEMPLATES.items():
        if names and name not in names:
            continue
        build().save(HERE / name)
        print(HERE / name)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
