"""Word documents from `.docx` templates (docxtpl): filled in, their numbered lists restarted, their Jinja tags
checked. Imported when the first document is made or a deployment's Word template checked, not when the bot
starts: docxtpl, python-docx and lxml are about 7 MiB a process that only answers commands never needs."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from docx.oxml.ns import qn
from docx.shared import Cm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment

CHART_WIDTH = Cm(15.5)  # within the 15.9 cm between the shipped templates' margins (2.54 cm on A4)
_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)  # as docxtpl's resolve_listing finds them
_LISTING = re.compile(r"[\t\a\n\f]")  # what docxtpl's resolve_listing turns into tabs, paragraphs and breaks


class WordTemplate(DocxTemplate):
    """docxtpl's template, turning tabs and line breaks in printed values into Word's only in the paragraphs that
    have one (docxtpl runs its regular expressions over every run of every paragraph)."""

    def resolve_listing(self, xml: str) -> str:
        resolve = super().resolve_listing
        return _PARAGRAPH.sub(lambda m: resolve(m.group(0)) if _LISTING.search(m.group(0)) else m.group(0), xml)


def fill(path: Path, data: dict[str, Any], env: Environment, pictures: dict[str, bytes], *, title: str,
         subject: str) -> bytes:
    """The Word document from the template at `path`, `pictures` (by file name) given to it as `images`; its
    properties: `title`, `subject` and "lspbot" as author, whatever a template saved in Word says."""
    template = WordTemplate(path)
    images = {filename: InlineImage(template, io.BytesIO(png), width=CHART_WIDTH) for filename, png in pictures.items()}
    template.render({**data, "images": images}, env, autoescape=True)
    restart_numbered_lists(template.docx)
    properties = template.docx.core_properties
    properties.title, properties.subject = title, subject
    properties.author = properties.last_modified_by = "lspbot"
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def restart_numbered_lists(document: Any) -> None:
    """Give each numbered list (paragraphs in the "List Number" style with nothing between them) a numbering of its
    own: a w:num on the style's abstract numbering, restarted at 1 as Word's "Restart at 1" does, so separate lists
    count from 1 instead of running on from the list before."""
    try:
        style = document.styles["List Number"]
    except KeyError:
        return
    props = style.element.pPr
    if props is None or props.numPr is None or props.numPr.numId is None:
        return  # a template whose list style is not numbered
    numbering = document.part.numbering_part.element
    abstract_id = numbering.num_having_numId(props.numPr.numId.val).abstractNumId.val
    current = None
    for block in document.element.body.iterchildren():
        if block.tag != qn("w:p") or block.style != style.style_id:
            current = None
            continue
        if current is None:
            num = numbering.add_num(abstract_id)
            num.add_lvlOverride(ilvl=0).add_startOverride(1)
            current = num.numId
        num_pr = block.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = 0
        num_pr.get_or_add_numId().val = current


def template_sources(path: Path) -> list[str]:
    """The Jinja source of each part of a Word template (body, headers, footers), one paragraph a line, as docxtpl
    compiles it; raises if the file is not a Word document."""
    template = DocxTemplate(path)
    template.init_docx()
    parts = [template.get_xml()] + [template.get_part_xml(part) for uri in (template.HEADER_URI, template.FOOTER_URI)
                                    for _, part in template.get_headers_footers(uri)]
    return [template.patch_xml(re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)) for xml in parts]
