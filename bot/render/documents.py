"""Documents: each one a Word template (`templates/docs/<name>.docx`, Jinja tags filled in by docxtpl) and a
Markdown template (`templates/docs/<name>.md.j2`) rendered with the same data, and its charts as PNG.

In Word every value is escaped for XML (docxtpl's autoescape) and stripped of the control characters a Word
document cannot hold; its line breaks stay line breaks. In Markdown user text goes through the `md` filter
(or `cell` inside tables), which escapes Markdown and HTML.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import BaseLoader, Environment, TemplateError
from markupsafe import Markup

from bot.render.environment import build_environment
from bot.render.templates import TemplateFolders
from handlers.base import Attachment, Document

if TYPE_CHECKING:
    from bot.render.environment import Renderer

_ESCAPE = re.compile(r"([\\`*_\[\]|<>#&~])")  # & too: typed "&amp;" must not become an entity
_LINE_START = re.compile(r"^(\s*)([-+>]|\d+\.)", re.M)
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters Word documents cannot hold
CELL_SHADES = {"green": "C8E6C9", "amber": "FFE0B2", "red": "FFCDD2", None: "EEEEEE"}  # None: no return


def md(value: Any) -> str:
    """Escape text for Markdown; its line breaks stay line breaks."""
    text = _ESCAPE.sub(r"\\\1", str(value)).replace("\r\n", "\n")
    text = _LINE_START.sub(r"\1\\\2", text)
    return "  \n".join(line.rstrip() for line in text.split("\n"))


def cell(value: Any) -> str:
    """Escape text for a Markdown table cell (one line)."""
    return _ESCAPE.sub(r"\\\1", " ".join(str(value).split()))


def shade(rag: str | None) -> str:
    """The fill of a Word table cell showing a RAG status: green, amber, red, grey for no return, none otherwise."""
    return CELL_SHADES.get(rag, "auto")


def tidy_markdown(text: str) -> str:
    """One blank line before each heading and between blocks, a newline at the end."""
    text = re.sub(r"\n+(?=#{1,4} )", "\n\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"


def docs_environment(loader: BaseLoader | None = None) -> Environment:
    """The messages' Jinja2 environment (filters, StrictUndefined) with the Markdown escapes and `shade`."""
    env = build_environment(loader=loader) if loader else build_environment()
    env.filters.update(md=md, cell=cell)
    env.globals.update(shade=shade)
    return env


def _word_text(value: Any) -> Any:
    """Each value printed into a Word document: text loses the characters XML cannot hold (Markup from a macro
    has been through here already, and an InlineImage is Word's own XML)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return _NOT_XML.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value


def word_environment(env: Environment) -> Environment:
    """The documents' environment for Word templates: every value XML-escaped and cleaned. docxtpl compiles each
    part of the document (body, headers, footers) from its XML at every render: the same XML compiles once."""
    word = env.overlay(autoescape=True, finalize=_word_text)
    word.from_string = functools.lru_cache(maxsize=32)(word.from_string)  # type: ignore[method-assign]
    return word


class DocumentRenderer:
    """Renders documents from the templates in use (the shipped ones, or a deployment's own)."""

    def __init__(self, templates: TemplateFolders | None = None) -> None:
        self.templates = templates or TemplateFolders()
        self.markdown_env = docs_environment(self.templates.loader())
        self.word_env = word_environment(self.markdown_env)

    def markdown(self, name: str, data: dict[str, Any]) -> str:
        """The Markdown of `docs/<name>.md.j2`."""
        return tidy_markdown(self.markdown_env.get_template(f"docs/{name}.md.j2").render(**data))

    def word(self, name: str, data: dict[str, Any], pictures: dict[str, bytes] | None = None, *,
             title: str = "", subject: str = "") -> bytes:
        """The Word document from `docs/<name>.docx` with the same data, and `images`: the pictures by file name.
        Its properties: `title` (the board's name), `subject` (what the document is) and "lspbot" as author, whatever
        a template saved in Word says (Word writes its user's name there)."""
        from bot.render import word  # docxtpl loads with the first document, not when the bot starts

        return word.fill(self.templates.path(f"docs/{name}.docx"), data, self.word_env, pictures or {},
                         title=_NOT_XML.sub("", title), subject=_NOT_XML.sub("", subject))

    def render(self, document: Document) -> list[Attachment]:
        """The .docx, the .md and each chart's .png of a document."""
        pictures: dict[str, bytes] = {}
        if document.charts:
            from bot.render import charts  # matplotlib loads on the first report, not when the bot starts

            pictures = {chart.filename: charts.draw(chart.kind, chart.data) for chart in document.charts}
        title = document.title or document.basename
        return [
            Attachment(f"{document.basename}.docx", self.word(document.template, document.data, pictures,
                                                              title=document.board or title, subject=title),
                       title=f"{title} (Word)"),
            Attachment(f"{document.basename}.md", self.markdown(document.template, document.data).encode("utf-8"),
                       title=f"{title} (Markdown)"),
            *[Attachment(name, png, title=f"{title} (chart)") for name, png in pictures.items()],
        ]


# ---------------------------------------------------------------- checking a custom template


@functools.lru_cache(maxsize=1)
def _checking_environments() -> tuple[Environment, Environment]:
    env = docs_environment()
    return env, word_environment(env)


def check_template(name: str, path: Path) -> None:
    """Raise if a template cannot be used: a .j2 file that does not compile, a .docx that is not a Word document
    or whose Jinja tags (in the body, headers or footers) do not compile."""
    text_env, word_env = _checking_environments()
    if not name.endswith(".docx"):
        text_env.compile(path.read_text(encoding="utf-8"), name=name, filename=str(path))
        return
    from bot.render import word

    for source in word.template_sources(path):
        try:
            word_env.compile(source)
        except TemplateError as exc:
            lineno = getattr(exc, "lineno", None) or 0
            near = " ".join(re.sub(r"<[^>]+>", "", line) for line in source.splitlines()[max(lineno - 2, 0):lineno])
            message = getattr(exc, "message", None) or str(exc)
            near = " ".join(near.split())[-120:]
            raise TemplateError(f"{exc.__class__.__name__}: {message.rstrip('.')} (near “{near}”)") from None


# ---------------------------------------------------------------- writing to a folder


def write_documents(renderer: Renderer, documents: list[Document], folder: Path) -> list[Path]:
    """Render documents into a folder; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for document in documents:
        for attachment in renderer.documents(document):
            path = folder / attachment.filename
            path.write_bytes(attachment.content)
            written.append(path)
    return written
