"""How many pages a paper has: a PDF's by pypdf; a Word document's from its own record of them
(docProps/app.xml) if it keeps one, else by converting it with LibreOffice if that is installed; else unknown
(None: the pages are counted when the pack is built)."""

from __future__ import annotations

import io
import logging
import re
import zipfile

from bot.render.convert import ConversionFailed, find_libreoffice, word_to_pdf

log = logging.getLogger("lspbot.pages")
_PAGES = re.compile(rb"<(?:\w+:)?Pages>\s*(\d+)\s*</(?:\w+:)?Pages>")


def pdf_pages(content: bytes) -> int | None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        return len(PdfReader(io.BytesIO(content)).pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        return None


def docx_pages(content: bytes) -> int | None:
    """The page count Word saved in the document's properties, if it did."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            props = archive.read("docProps/app.xml")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return None
    found = _PAGES.search(props)
    return int(found.group(1)) if found and int(found.group(1)) > 0 else None


def count_pages(content: bytes, filename: str, libreoffice: str | None = None) -> int | None:
    """A paper's pages, or None where they cannot be counted now."""
    suffix = filename[filename.rfind("."):].lower() if "." in filename else ""
    if content.startswith(b"%PDF-"):
        return pdf_pages(content)
    if suffix not in (".docx", ".doc"):
        return None
    if suffix == ".docx":
        counted = docx_pages(content)
        if counted is not None:
            return counted
    program = find_libreoffice(libreoffice)
    if program is None:
        return None
    try:
        return pdf_pages(word_to_pdf(content, suffix, program))
    except ConversionFailed as exc:
        log.info("could not count the pages of %s: %s", filename, exc)
        return None
