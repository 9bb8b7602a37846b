"""The demo's papers: two October items need papers, one of them confidential; their authors are chased, send
them in (a PDF in the seeds' own "Report for Executive Board" layout, and a Word document), and the agenda pack
built from them is approved by the chair and published five clear working days before the meeting."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.console import Console
from bot.demo.plan import _step
from bot.render.pages import count_pages
from bot.runtime import Runtime
from handlers.papers import item_by_ref, pages_label, size_label, submit_paper
from store import boards, db
from store import packs as pack_store

CHAIR = "UBELL01"
CONFIDENTIAL = ('/plan item add 2019-10-10 "Southall community hubs: the terms offered for the site" '
                'lead:"LB Ealing" kind:"for decision" paper:yes author:<@UWILSON1|Maggie Wilson> private:yes '
                'reason:"Schedule 12A, paragraph 3: the financial or business affairs of the council and the '
                'landowner"')


@dataclass(frozen=True)
class DemoPaper:
    """A paper as the seeds lay one out: a report for the Executive Board."""

    ref: str
    filename: str
    title: str
    report_from: str
    author: str
    background: str
    purpose: str
    recommendations: tuple[str, ...]


PAPERS = (
    DemoPaper("P4", "lsp-annual-report-2018-19.pdf", "LSP Annual Report 2018/19 for Scrutiny",
              "Policy and Performance", "Maggie Wilson",
              "Each year the partnership reports to the council's Overview and Scrutiny Committee on what its "
              "projects delivered and how the Borough Plan's outcomes moved. This is the report for 2018/19.",
              "To ask the LSP Executive to agree the annual report before it goes to Overview and Scrutiny on "
              "5 November 2019, with partners' comments added.",
              ("Agree the annual report for scrutiny.",
               "Send any comments from partner organisations to the secretariat by 18 October 2019.")),
    DemoPaper("P9", "southall-hubs-site-terms.docx", "Southall community hubs: the terms offered for the site",
              "Regeneration and Property", "Maggie Wilson",
              "The council has been offered a lease of the former library site for the two community hubs the "
              "Southall Community Alliance proposed. The terms are commercially confidential until agreed.",
              "To set out the terms offered and the council's valuation, for the Executive to decide whether to "
              "proceed.",
              ("Agree to proceed on the terms in paragraph 4.", "Delegate the final terms to the chair.")),
)


def paper_pdf(paper: DemoPaper) -> bytes:
    """A paper as a PDF, laid out as the seeds' "Report for Executive Board"."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    y = height - 72

    def line(text: str, size: float = 11, bold: bool = False, gap: float = 6) -> None:
        nonlocal y
        font = "Helvetica-Bold" if bold else "Helvetica"
        for part in simpleSplit(text, font, size, width - 144):
            if y < 72:
                page.showPage()
                y = height - 72
            page.setFont(font, size)
            page.drawString(72, y, part)
            y -= size + 4
        y -= gap

    line("Report for Executive Board", 16, True, 12)
    for label, value in (("Title", paper.title), ("Report from", paper.report_from), ("Author", paper.author)):
        line(f"{label}: {value}")
    for heading, text in (("Background", paper.background), ("Purpose of report", paper.purpose)):
        line(heading, 13, True)
        line(text, gap=12)
    line("Recommendations", 13, True)
    line("It is recommended that LSP Executive:")
    for recommendation in paper.recommendations:
        line(f"• {recommendation}")
    page.showPage()
    page.save()
    return buffer.getvalue()


def paper_docx(paper: DemoPaper) -> bytes:
    """The same layout as a Word document, as an author would send one."""
    import docx

    document = docx.Document()
    document.add_heading("Report for Executive Board", level=1)
    for label, value in (("Title", paper.title), ("Report from", paper.report_from), ("Author", paper.author)):
        document.add_paragraph(f"{label}: {value}")
    for heading, text in (("Background", paper.background), ("Purpose of report", paper.purpose)):
        document.add_heading(heading, level=2)
        document.add_paragraph(text)
    document.add_heading("Recommendations", level=2)
    document.add_paragraph("It is recommended that LSP Executive:")
    for recommendation in paper.recommendations:
        document.add_paragraph(recommendation, style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def run_papers_setup(console: Console, out: TextIO) -> None:
    """The chair says which October items need papers and who writes them; one item is confidential."""
    out.write("\n— The chair asks for papers for October: the annual report, and a confidential item on the "
              "community hubs' site —\n")
    _step(out, console, CHAIR, "/plan item paper P4 <@UWILSON1|Maggie Wilson>")
    _step(out, console, CHAIR, CONFIDENTIAL)
    _step(out, console, CHAIR, "/plan")


def send_papers(runtime: Runtime, out: TextIO, workdir: Path) -> None:
    """The authors send their papers, as `lspbot agenda paper` does (the demo's clock, so in-process)."""
    out.write("\n— The papers arrive, ahead of their deadline —\n")
    for paper in PAPERS:
        content = paper_docx(paper) if paper.filename.endswith(".docx") else paper_pdf(paper)
        (workdir / paper.filename).write_bytes(content)
        out.write(f'\n$ lspbot agenda paper --board "LSP Executive" --item {paper.ref} {paper.filename}\n')
        pages = count_pages(content, paper.filename, runtime.settings.libreoffice)
        with db.session_scope(runtime.sessions) as session:
            board = boards.get_by_channel(session=session, channel_id="CLSPEXEC1")
            item = item_by_ref(session, board, paper.ref)
            done = submit_paper(session=session, notify=runtime.outbox(session), board=board, item=item,
                                filename=paper.filename, content=content, pages=pages, submitted_by="cli",
                                submitter=None, actor=None, now=runtime.clock.now())
            counted = pages_label(done.paper.pages)
            out.write(f"{board.name}: {paper.ref} paper version {done.paper.version} stored: {done.paper.filename}, "
                      f"{size_label(done.paper.size)}, {counted}\n")


def save_packs(runtime: Runtime, out: TextIO, workdir: Path) -> list[Path]:
    """The published packs of the October meeting, written to the demo's folder."""
    from store import files
    from store.models import Meeting

    written = []
    with db.session_scope(runtime.sessions) as session:
        for meeting in session.query(Meeting).order_by(Meeting.date):
            for pack in pack_store.of_meeting(session=session, meeting_id=meeting.id, published=True):
                path = workdir / pack.filename
                path.write_bytes(files.read(session=session, stored=pack.file))
                written.append(path)
                out.write(f"  {path} ({pack.audience}, {pack.pages} pages)\n")
    return written
