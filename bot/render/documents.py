"""Documents from Markdown templates: one Jinja2 template in templates/docs/ gives both the .md and the .docx.

The Word document is built with python-docx from the rendered Markdown, which keeps to a small
subset: `#`/`##`/`###` headings, paragraphs, `- ` and `1. ` lists (in Word each numbered list counts from
its own first number), `> ` quotes, pipe tables, `**bold**`, `_italic_`, backslash escapes and
`![caption](chart.png)` for a chart drawn with the document. Table cells that read Red, Amber, Green or "no return" are shaded in Word. User text
goes into templates through the `md` filter (or `cell` inside tables), which escapes Markdown.
"""

from __future__ import annotations

import io
import logging
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt
from jinja2 import Environment

from bot.render.environment import build_environment
from handlers.base import Attachment, Document
from store import db
from store.outbox import Outbox

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("lspbot.documents")

_ESCAPE = re.compile(r"([\\`*_\[\]|<>#&~])")  # & too: typed "&amp;" must not become an entity
_LINE_START = re.compile(r"^(\s*)([-+>]|\d+\.)", re.M)
_IMAGE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)\)$")
_NUMBERED = re.compile(r"^(\d{1,9})\.\s+")
CELL_SHADES = {"green": "C8E6C9", "amber": "FFE0B2", "red": "FFCDD2", "no return": "EEEEEE"}
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters Word documents cannot hold


def md(value: Any) -> str:
    """Escape text for Markdown; its line breaks stay line breaks."""
    text = _ESCAPE.sub(r"\\\1", str(value)).replace("\r\n", "\n")
    text = _LINE_START.sub(r"\1\\\2", text)
    return "  \n".join(line.rstrip() for line in text.split("\n"))


def cell(value: Any) -> str:
    """Escape text for a Markdown table cell (one line)."""
    return _ESCAPE.sub(r"\\\1", " ".join(str(value).split()))


def docs_environment() -> Environment:
    env = build_environment()
    env.filters.update(md=md, cell=cell)
    return env


def tidy_markdown(text: str) -> str:
    """One blank line before each heading and between blocks, a newline at the end."""
    text = re.sub(r"\n+(?=#{1,4} )", "\n\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"


# ---------------------------------------------------------------- Markdown -> Word

def _split_escaped(line: str, sep: str = "|") -> list[str]:
    """Split on `sep` not preceded by a backslash escape."""
    parts, buf, i = [], [], 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            buf.append(line[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


def _add_inline(paragraph: Any, text: str) -> None:
    """Add runs for `**bold**`, `_italic_` and escapes; a trailing two-space break becomes a line break."""
    bold = italic = False
    buf: list[str] = []

    def flush() -> None:
        if buf:
            run = paragraph.add_run("".join(buf))
            run.bold, run.italic = bold or None, italic or None
            buf.clear()

    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i + 1])
            i += 2
        elif text.startswith("**", i):
            flush()
            bold = not bold
            i += 2
        elif ch == "_" or ch == "*":
            flush()
            italic = not italic
            i += 1
        elif ch == "\n":
            flush()
            paragraph.add_run().add_break()
            i += 1
        else:
            buf.append(ch)
            i += 1
    flush()


def _plain(text: str) -> str:
    """Cell text without Markdown emphasis or escapes (to pick a shade)."""
    return re.sub(r"\\(.)", r"\1", text.replace("**", "").replace("_", "")).strip().lower()


def _shade(cell_obj: Any, colour: str) -> None:
    props = cell_obj._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour)
    props.append(shading)


def _add_table(doc: Any, rows: list[list[str]]) -> None:
    width = max(len(r) for r in rows)
    table = doc.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    for r, row in enumerate(rows):
        for c in range(width):
            text = row[c] if c < len(row) else ""
            target = table.cell(r, c)
            paragraph = target.paragraphs[0]
            _add_inline(paragraph, f"**{text}**" if r == 0 and text else text)
            for run in paragraph.runs:
                run.font.size = Pt(9)
            shade = CELL_SHADES.get(_plain(text)) if r else None
            if shade:
                _shade(target, shade)


def _list_numbering(doc: Any, start: int) -> int:
    """A new w:num for one numbered list: the "List Number" style's abstract numbering, restarted at `start`
    (as Word's own "Restart at 1" does), so each list counts from its first item instead of running on
    from the list before it. Returns its numId."""
    style_num_id = doc.styles["List Number"].element.pPr.numPr.numId.val
    numbering = doc.part.numbering_part.element
    abstract_id = numbering.num_having_numId(style_num_id).abstractNumId.val
    num = numbering.add_num(abstract_id)
    num.add_lvlOverride(ilvl=0).add_startOverride(start)
    return num.numId


def _number_paragraph(paragraph: Any, num_id: int) -> None:
    """Put a list paragraph on the numbering `num_id` (level 0)."""
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id


def markdown_to_docx(markdown: str, images: dict[str, bytes] | None = None, *, title: str = "") -> bytes:
    """A Word document from the Markdown subset the document templates use."""
    images = images or {}
    markdown = _NOT_XML.sub("", markdown)
    doc = new_docx()
    doc.core_properties.title = title
    doc.core_properties.author = "lspbot"
    lines = markdown.split("\n")
    paragraph_lines: list[str] = []
    numbered: list[int] = []  # the numId of the numbered list being written; empty once any other block comes

    def flush_paragraph() -> None:
        if paragraph_lines:
            text = "".join(l[:-2] + "\n" if l.endswith("  ") else l + " " for l in paragraph_lines).strip()
            _add_inline(doc.add_paragraph(), text)
            paragraph_lines.clear()
            numbered.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped or stripped == "---":
            flush_paragraph()
            i += 1
            continue
        if stripped.startswith("|"):
            flush_paragraph()
            rows: list[list[str]] = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = [c.strip() for c in _split_escaped(lines[i].strip().strip("|"))]
                if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                    rows.append(cells)
                i += 1
            if rows:
                _add_table(doc, rows)
            numbered.clear()
            continue
        if m := re.match(r"^(#{1,4})\s+(.*)$", stripped):
            flush_paragraph()
            heading = doc.add_heading(level=min(len(m.group(1)) - 1, 3))
            _add_inline(heading, m.group(2))
        elif m := _IMAGE.match(stripped):
            flush_paragraph()
            data = images.get(m.group("src"))
            if data:
                doc.add_picture(io.BytesIO(data), width=Inches(6.3))
            if m.group("alt"):
                caption = doc.add_paragraph()
                _add_inline(caption, f"_{m.group('alt')}_")
        elif stripped.startswith(("- ", "* ")):
            flush_paragraph()
            _add_inline(doc.add_paragraph(style="List Bullet"), stripped[2:])
        elif m := _NUMBERED.match(stripped):
            flush_paragraph()
            if not numbered:  # a new list (blank lines between items keep one list, as in Markdown)
                numbered.append(_list_numbering(doc, int(m.group(1))))
            paragraph = doc.add_paragraph(style="List Number")
            _number_paragraph(paragraph, numbered[0])
            _add_inline(paragraph, _NUMBERED.sub("", stripped, count=1))
            i += 1
            continue
        elif stripped.startswith(">"):
            flush_paragraph()
            quote: list[str] = []
            while i < len(lines) and lines[i].strip().startswith(">"):
                quote.append(lines[i].strip()[1:].lstrip())
                i += 1
            text = "".join(l[:-2] + "\n" if l.endswith("  ") else l + " " for l in quote).strip()
            _add_inline(doc.add_paragraph(style="Quote"), text)
            numbered.clear()
            continue
        else:
            paragraph_lines.append(line)
            i += 1
            continue
        numbered.clear()  # a heading, table, picture, bullet or quote ends a numbered list
        i += 1
    flush_paragraph()
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- rendering and delivery

def render_document(document: Document, env: Environment | None = None) -> list[Attachment]:
    """The .docx, the .md and each chart's .png of a document."""
    if document.kind == "agenda":
        return agenda_attachments(document)
    from bot.render import charts  # matplotlib loads on the first report, not when the bot starts

    env = env or docs_environment()
    pictures = {chart.filename: charts.draw(chart.kind, chart.data) for chart in document.charts}
    markdown = tidy_markdown(env.get_template(document.template).render(**document.data))
    title = document.title or document.basename
    return [
        Attachment(f"{document.basename}.docx", markdown_to_docx(markdown, pictures, title=title), title=f"{title} (Word)"),
        Attachment(f"{document.basename}.md", markdown.encode("utf-8"), title=f"{title} (Markdown)"),
        *[Attachment(name, png, title=f"{title} (chart)") for name, png in pictures.items()],
    ]


def agenda_attachments(document: Document) -> list[Attachment]:
    """An agenda's Word document (from its own Word template) and Markdown."""
    from templates.documents import render_docx, render_markdown

    title = document.title or document.basename
    return [Attachment(f"{document.basename}.docx", render_docx(document.data), title=title),
            Attachment(f"{document.basename}.md", render_markdown(document.data).encode(), title=f"{title} (Markdown)")]


def write_documents(documents: list[Document], folder: Path) -> list[Path]:
    """Render documents into a folder; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    env = docs_environment()
    written = []
    for document in documents:
        for attachment in render_document(document, env):
            path = folder / attachment.filename
            path.write_bytes(attachment.content)
            written.append(path)
    return written


def send_documents(runtime: Runtime, user_id: str, documents: list[Document]) -> int:
    """Render documents and queue them as files to the user's DM (after the ack); the number of files queued."""
    try:
        env = docs_environment()
        files = [a for document in documents for a in render_document(document, env)]
    except Exception:
        incident = uuid.uuid4().hex[:8]
        log.exception("could not render documents for %s (incident %s)", user_id, incident)
        with db.session_scope(runtime.sessions) as session:
            Outbox(session, runtime.renderer, runtime.clock.now).to_user(user_id, "slack/error.json.j2", {
                "title": "Something went wrong on our side", "examples": [],
                "message": f"The documents could not be produced. Quote incident {incident} to your secretariat."})
        runtime.wake_sender()
        return 0
    with db.session_scope(runtime.sessions) as session:
        outbox = Outbox(session, runtime.renderer, runtime.clock.now)
        for attachment in files:
            outbox.file_to_user(user_id, attachment.filename, attachment.content, title=attachment.title)
    runtime.wake_sender()
    return len(files)
