"""The agenda pack as one PDF: a cover, the agenda with the page each item's paper starts on, then each paper in
order, every page of it stamped "Item N — <title>" at the top and "Page X of Y" (through the whole pack) at the
foot.

The cover and agenda are drawn with reportlab; the stamps are reportlab pages merged over each paper's pages with
pypdf. The agenda's own length must be known before its page references can be: it is drawn once with the
references left blank (they sit in a column of their own, so they never change how the lines wrap), counted, and
drawn again with them. Word papers are converted with LibreOffice, two at a time; without it (or when a conversion
fails) a Word paper is listed as sent separately and goes beside the pack. A PDF that cannot be read is left out
with a line in the agenda saying so, and reported (`BuiltPack.broken`) for the secretariat.

reportlab's standard Helvetica covers Windows-1252 (the em dash, curly quotes, £ and €); any other character is
written as its nearest plain form (é without its accent would still be é; ő becomes o), else "?".
"""

from __future__ import annotations

import io
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath

from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.errors import PdfReadError
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

from bot.render.convert import ConversionFailed, find_libreoffice, words_to_pdf
from handlers.pack_spec import BuiltPack, PackEntry, PackSpec, PaperPlace

log = logging.getLogger("lspbot.pack")

FONT, BOLD = "Helvetica", "Helvetica-Bold"
MARGIN = 56.0  # points (about 2 cm)
STAMP_SIZE = 9.0
PAGE_COLUMN = 90.0  # the agenda's right-hand column of page references


def safe_text(text: str) -> str:
    """`text` as the standard fonts can draw it (Windows-1252): other characters by their plain form, else "?"."""
    out = []
    for char in str(text).replace("\r", " ").replace("\n", " ").replace("\t", " "):
        try:
            char.encode("cp1252")
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        try:
            plain.encode("cp1252")
            out.append(plain or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


def _long_date(day: object) -> str:
    return f"{day:%A %-d %B %Y}"


@dataclass
class _Paper:
    """A paper ready to go in: its reader, or why it is not in the pack."""

    entry: PackEntry
    reader: PdfReader | None = None
    separate: bool = False  # a Word paper not converted: it goes beside the pack
    broken: str = ""  # a paper that could not be read: why


class PackBuilder:
    """Builds packs (bot.render.Renderer.build_pack); `libreoffice`: the configured soffice (LSPBOT_LIBREOFFICE),
    else the one on the PATH, if any."""

    def __init__(self, libreoffice: str | None = None) -> None:
        self.program = find_libreoffice(libreoffice)

    def build(self, spec: PackSpec) -> BuiltPack:
        papers = self._read_papers(spec)
        by_number = {p.entry.number: p for p in papers}
        lengths = {p.entry.number: len(p.reader.pages) for p in papers if p.reader is not None}
        paper_pages = sum(lengths.values())
        front_length = _count(self._front(spec, by_number, {}, 0))
        total = front_length + paper_pages
        places: dict[int, PaperPlace] = {}
        at = front_length + 1
        for entry in spec.entries:
            if entry.number in lengths:
                places[entry.number] = PaperPlace(entry.number, at, lengths[entry.number])
                at += lengths[entry.number]
        front = self._front(spec, by_number, places, total)
        if _count(front) != front_length:  # cannot happen: the references have a column of their own
            raise RuntimeError("the agenda changed length when its page numbers were filled in")
        writer = PdfWriter()
        writer.append(PdfReader(io.BytesIO(front)))
        stamped = []
        for paper in papers:
            for page in paper.reader.pages if paper.reader is not None else ():
                added = writer.add_page(page)
                if added.rotation:
                    added.transfer_rotation_to_content()  # a turned page is stamped the way it is read
                stamped.append((paper, added))
        overlay = PdfReader(io.BytesIO(self._stamps(spec, stamped, front_length, total)))
        for index, (_, page) in enumerate(stamped):
            box = page.mediabox
            page.merge_transformed_page(overlay.pages[index],
                                        Transformation().translate(float(box.left), float(box.bottom)))
        writer.add_metadata({"/Title": safe_text(f"{spec.title} — {spec.board}, {spec.date:%-d %B %Y}"),
                             "/Author": safe_text(spec.board), "/Creator": "lspbot"})
        out = io.BytesIO()
        writer.write(out)
        return BuiltPack(content=out.getvalue(), pages=total, places=places,
                         separate=[p.entry for p in papers if p.separate],
                         broken=[(p.entry, p.broken) for p in papers if p.broken])

    # ------------------------------------------------------------ the papers

    def _read_papers(self, spec: PackSpec) -> list[_Paper]:
        """Each entry's paper, read (PDF) or converted (Word, all in one LibreOffice run); in the agenda's order."""
        papers = [_Paper(e) for e in spec.entries if e.paper is not None]
        words = [p for p in papers if p.entry.paper is not None and not p.entry.paper.is_pdf]
        if words and self.program is None:
            for paper in words:
                paper.separate = True
        elif words:
            documents = [(p.entry.paper.content, PurePath(p.entry.paper.filename).suffix.lower() or ".docx")
                         for p in words if p.entry.paper is not None]
            for paper, pdf in zip(words, words_to_pdf(documents, self.program), strict=True):
                if isinstance(pdf, ConversionFailed):
                    log.warning("could not convert %s to PDF: %s",
                                paper.entry.paper.filename if paper.entry.paper else "a paper", pdf)
                    paper.separate = True
                else:
                    self._open(paper, pdf)
        for paper in papers:
            if paper.entry.paper is not None and paper.entry.paper.is_pdf:
                self._open(paper, paper.entry.paper.content)
        return papers

    @staticmethod
    def _open(paper: _Paper, content: bytes) -> None:
        name = paper.entry.paper.filename if paper.entry.paper else "the paper"
        try:
            reader = PdfReader(io.BytesIO(content))
            if reader.is_encrypted and not reader.decrypt(""):
                raise PdfReadError("it is protected by a password")
            if len(reader.pages) == 0:
                raise PdfReadError("it has no pages")
            for page in reader.pages:  # every page must be readable before the paper goes in
                page.mediabox  # noqa: B018
        except Exception as exc:  # noqa: BLE001 - any fault in a paper leaves that paper out, not the pack
            reason = str(exc) or exc.__class__.__name__
            log.warning("could not read %s: %s", name, reason)
            paper.reader, paper.broken = None, f"{name} could not be read as a PDF ({reason})"
            return
        paper.reader = reader

    # ------------------------------------------------------------ drawing

    def _front(self, spec: PackSpec, papers: dict[int, _Paper], places: dict[int, PaperPlace], total: int) -> bytes:
        """The cover and the agenda; page references and "Page X of Y" only once `total` is known (not 0)."""
        out = io.BytesIO()
        pdf = canvas.Canvas(out, pagesize=A4, invariant=True)
        width, height = A4
        page_number = 1

        def footer() -> None:
            if total:
                pdf.setFont(FONT, STAMP_SIZE)
                pdf.drawRightString(width - MARGIN, MARGIN / 2, f"Page {page_number} of {total}")

        # the cover
        y = height - 3 * MARGIN
        pdf.setFont(BOLD, 22)
        for line in simpleSplit(safe_text(spec.board), BOLD, 22, width - 2 * MARGIN):
            pdf.drawString(MARGIN, y, line)
            y -= 28
        y -= 12
        pdf.setFont(BOLD, 30)
        pdf.drawString(MARGIN, y, safe_text(spec.title))
        y -= 30
        if spec.late:
            pdf.setFont(BOLD, 14)
            pdf.drawString(MARGIN, y, safe_text(f"Late paper, published {_long_date(spec.published)}"))
            y -= 22
        if spec.note:
            pdf.setFont(FONT, 12)
            for line in simpleSplit(safe_text(spec.note), FONT, 12, width - 2 * MARGIN):
                pdf.drawString(MARGIN, y, line)
                y -= 16
        y -= 24
        for label, value in (("Date", _long_date(spec.date)), ("Time", spec.time or "to be confirmed"),
                             ("Venue", spec.venue or "to be confirmed")):
            pdf.setFont(BOLD, 13)
            pdf.drawString(MARGIN, y, label)
            pdf.setFont(FONT, 13)
            for line in simpleSplit(safe_text(value), FONT, 13, width - 2 * MARGIN - 70):
                pdf.drawString(MARGIN + 70, y, line)
                y -= 18
            y -= 6
        pdf.setFont(FONT, 11)
        pdf.drawString(MARGIN, 2 * MARGIN, safe_text(f"Published {_long_date(spec.published)}"))
        footer()
        pdf.showPage()
        page_number += 1

        # the agenda
        def heading() -> float:
            pdf.setFont(BOLD, 18)
            pdf.drawString(MARGIN, height - MARGIN - 18, "Agenda" if page_number == 2 else "Agenda (continued)")
            pdf.setFont(FONT, 9)
            pdf.drawRightString(width - MARGIN, height - MARGIN - 18, "Paper at page")
            return height - MARGIN - 48

        y = heading()
        text_width = width - 2 * MARGIN - 28 - PAGE_COLUMN
        for entry in spec.entries:
            title = f"{entry.title}" + (" (confidential)" if entry.private else "")
            lines = simpleSplit(safe_text(title or "—"), BOLD, 12, text_width)
            details = [line for text in _details(entry, papers.get(entry.number))
                       for line in simpleSplit(safe_text(text), FONT, 10, text_width)]
            needed = 15 * len(lines) + 13 * len(details) + 10
            if y - needed < MARGIN * 1.5:
                footer()
                pdf.showPage()
                page_number += 1
                y = heading()
            pdf.setFont(BOLD, 12)
            pdf.drawString(MARGIN, y, f"{entry.number}.")
            place = places.get(entry.number)
            if place is not None:
                pdf.setFont(FONT, 12)
                pdf.drawRightString(width - MARGIN, y, str(place.first_page))
            pdf.setFont(BOLD, 12)
            for line in lines:
                pdf.drawString(MARGIN + 28, y, line)
                y -= 15
            pdf.setFont(FONT, 10)
            for line in details:
                pdf.drawString(MARGIN + 28, y, line)
                y -= 13
            y -= 10
        footer()
        pdf.showPage()
        pdf.save()
        return out.getvalue()

    def _stamps(self, spec: PackSpec, pages: list[tuple[_Paper, object]], before: int, total: int) -> bytes:
        """One page for each paper page, its size: "Item N — title" at the top, "Page X of Y" at the foot."""
        out = io.BytesIO()
        pdf = canvas.Canvas(out, invariant=True)
        for index, (paper, page) in enumerate(pages):
            box = page.mediabox  # type: ignore[attr-defined]
            width, height = float(box.width), float(box.height)
            pdf.setPageSize((width, height))
            margin = min(MARGIN / 2, height / 20)
            header = safe_text(f"Item {paper.entry.number} — {paper.entry.title}")
            lines = simpleSplit(header, BOLD, STAMP_SIZE, width - 2 * margin) or [header]
            pdf.setFont(BOLD, STAMP_SIZE)
            pdf.drawString(margin, height - margin, lines[0] if len(lines) == 1 else lines[0].rstrip() + "…")
            pdf.setFont(FONT, STAMP_SIZE)
            pdf.drawRightString(width - margin, margin * 0.6, f"Page {before + index + 1} of {total}")
            pdf.showPage()
        pdf.save()
        return out.getvalue()


def _details(entry: PackEntry, paper: _Paper | None) -> list[str]:
    """The lines under an agenda entry: its lead and kind, and where its paper is when it is not in the pack."""
    lines = []
    said = " · ".join(part for part in (f"Lead: {entry.lead}" if entry.lead else "",
                                        entry.kind.capitalize() if entry.kind else "") if part)
    if said:
        lines.append(said)
    if paper is not None and paper.separate and entry.paper is not None:
        lines.append(f"Paper sent separately: {entry.paper.filename}")
    elif paper is not None and paper.broken:
        lines.append("Paper not included: the file could not be read. The secretariat has been told and will "
                     "send it separately.")
    return lines


def _count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)
