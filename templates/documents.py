"""Documents rendered from templates/docs: the agenda as Markdown and as a Word document.

The wording and order live in the Jinja2 templates (`docs/agenda.md.j2`, `docs/agenda.docx.j2`);
this module only turns the Word template's one-instruction-a-line output into python-docx calls,
so a secretariat can change what the agenda says without touching code.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import re
from typing import Any

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from jinja2 import Environment

MARKDOWN_TEMPLATE = "docs/agenda.md.j2"
DOCX_TEMPLATE = "docs/agenda.docx.j2"


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    """The Slack messages' Jinja2 environment (filters, StrictUndefined) with the Markdown escapes `md` and `cell`."""
    from bot.render.documents import docs_environment

    return docs_environment()


def render_markdown(data: dict[str, Any], template: str = MARKDOWN_TEMPLATE) -> str:
    text = environment().get_template(template).render(**data)
    text = re.sub(r"\n+(?=#{1,3} )", "\n\n", text)  # a blank line before every heading
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"


def render_docx(data: dict[str, Any], template: str = DOCX_TEMPLATE) -> bytes:
    """Render the template and build the .docx from its instructions."""
    # One instruction a line: split on "\n" alone (JSON escapes it); splitlines() would also cut at U+2028
    # and other separators a user may paste into their text, and tear an instruction in two.
    lines = environment().get_template(template).render(**data).split("\n")
    return build_docx(json.loads(line, object_hook=_clean) for line in lines if line.strip())


_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(op: dict[str, Any]) -> dict[str, Any]:
    """Drop characters XML (and so Word) cannot hold, such as stray control characters pasted from elsewhere."""
    return {k: _NOT_XML.sub("", v) if isinstance(v, str) else [_NOT_XML.sub("", c) for c in v] if isinstance(v, list)
            else v for k, v in op.items()}


def build_docx(ops: Any) -> bytes:
    """A council-style agenda: title, date/time/venue lines, numbered headings, tables of actions."""
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    table = None
    prototype = None
    styles = _StyleIds(document)
    for op in ops:
        kind = op["op"]
        if kind != "row":
            table = None
        if kind == "title":
            heading = document.add_heading(op["text"], level=0)
            heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "subtitle":
            heading = document.add_heading(op["text"], level=1)
            heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "heading":
            styles.apply(document.add_paragraph(op["text"]), "Heading 2")
        elif kind == "line":
            paragraph = document.add_paragraph()
            paragraph.add_run(f"{op['label']}: ").bold = True
            paragraph.add_run(op["text"])
        elif kind == "para":
            document.add_paragraph(op["text"])
        elif kind == "note":
            document.add_paragraph().add_run(op["text"]).italic = True
        elif kind == "bullet":
            styles.apply(document.add_paragraph(op["text"]), "List Bullet")
        elif kind == "table":
            table = document.add_table(rows=1, cols=len(op["columns"]))
            table.style = "Table Grid"
            for cell, title in zip(table.rows[0].cells, op["columns"]):
                cell.text = ""
                cell.paragraphs[0].add_run(title).bold = True
            prototype = _prototype_row(table)
        elif kind == "row" and table is not None and prototype is not None:
            _append_row(table, prototype, op["cells"], bool(op.get("strong")))
        elif kind == "row":
            raise ValueError("a row instruction outside a table")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class _StyleIds:
    """Paragraph styles by name, looked up once (python-docx looks a name up afresh on every paragraph)."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self.ids: dict[str, str] = {}

    def apply(self, paragraph: Any, name: str) -> None:
        if name not in self.ids:
            paragraph.style = name
            self.ids[name] = paragraph._p.style
        else:
            paragraph._p.style = self.ids[name]


def _prototype_row(table: Any) -> Any:
    """An empty row with one run per cell, copied for each data row (python-docx's add_row is slow for big tables)."""
    row = copy.deepcopy(table.rows[0]._tr)
    for tc in row.iter(qn("w:tc")):
        paragraphs = list(tc.iter(qn("w:p")))
        for extra in paragraphs[1:]:
            extra.getparent().remove(extra)
        paragraph = paragraphs[0]
        for run in list(paragraph.iter(qn("w:r"))):
            run.getparent().remove(run)
        run = paragraph.makeelement(qn("w:r"), {})
        run.append(run.makeelement(qn("w:t"), {}))
        paragraph.append(run)
    return row


def _append_row(table: Any, prototype: Any, cells: list[str], strong: bool) -> None:
    row = copy.deepcopy(prototype)
    for text, value in zip(row.iter(_T), cells):
        text.text = value
        text.set(_SPACE, "preserve")
        if strong:
            run = text.getparent()
            rpr = run.makeelement(_RPR, {})
            rpr.append(rpr.makeelement(_B, {}))
            run.insert(0, rpr)
    table._tbl.append(row)


_T, _RPR, _B = qn("w:t"), qn("w:rPr"), qn("w:b")
_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
