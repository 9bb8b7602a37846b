"""Where templates come from: the shipped templates/ folder, and a deployment's own folder (LSPBOT_TEMPLATES_DIR)
whose templates replace the shipped ones of the same name.

A custom template is checked once, at start-up: one that does not compile (a Jinja syntax error in a .j2 file,
Jinja tags in a .docx that do not compile, a file that is not a Word document) is logged, one line naming the file
and the error, and the shipped template is used in its place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, TemplateError, TemplateNotFound

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "templates"
KINDS = (".j2", ".docx")  # Jinja2 text templates (Block Kit, Markdown) and Word templates

log = logging.getLogger("lspbot.templates")


@dataclass
class TemplateFolders:
    """The shipped templates and the custom ones that replace them, by name (`docs/agenda.docx`)."""

    shipped: Path = SHIPPED_DIR
    custom: dict[str, Path] = field(default_factory=dict)  # the usable custom templates
    problems: list[str] = field(default_factory=list)  # one line for each custom file left out

    def path(self, name: str) -> Path:
        """The file to use for a template: the custom one if there is one, else the shipped one."""
        return self.custom.get(name) or self.shipped / name

    def loader(self) -> BaseLoader:
        """A Jinja2 loader that looks in the custom templates first."""
        return ChoiceLoader([_FileLoader(self.custom), FileSystemLoader(str(self.shipped))])


class _FileLoader(BaseLoader):
    """Templates from a fixed map of names to files."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = self.files.get(template)
        if path is None:
            raise TemplateNotFound(template)
        mtime = path.stat().st_mtime
        return path.read_text(encoding="utf-8"), str(path), lambda: path.stat().st_mtime == mtime

    def list_templates(self) -> list[str]:
        return sorted(self.files)


def shipped_names(shipped: Path = SHIPPED_DIR) -> list[str]:
    """Every shipped template, as `docs/agenda.docx` or `slack/help.json.j2`."""
    return sorted(p.relative_to(shipped).as_posix() for p in shipped.rglob("*")
                  if p.is_file() and p.name.endswith(KINDS))


def load_templates(custom_dir: Path | None, check: Callable[[str, Path], None],
                   shipped: Path = SHIPPED_DIR) -> TemplateFolders:
    """The templates to use: each file of `custom_dir` named like a shipped template (by its path under
    templates/, such as docs/agenda.docx, or by its file name alone) replaces it if `check` passes it.
    `check(name, path)` raises on a template that cannot be used; that file is logged and left out."""
    folders = TemplateFolders(shipped=shipped)
    if custom_dir is None:
        return folders
    names = shipped_names(shipped)
    by_file_name: dict[str, list[str]] = {}
    for name in names:
        by_file_name.setdefault(name.rsplit("/", 1)[-1], []).append(name)
    for path in sorted(p for p in custom_dir.rglob("*") if p.is_file() and p.name.endswith(KINDS)):
        relative = path.relative_to(custom_dir).as_posix()
        name = relative if relative in names else next(iter(by_file_name.get(path.name, [])), None)
        if name is None or (relative not in names and len(by_file_name[path.name]) > 1):
            folders.problems.append(f"custom template {path}: no shipped template has that name; not used")
            continue
        try:
            check(name, path)
        except Exception as exc:  # a broken custom template must not stop the bot: the shipped one stands in
            folders.problems.append(f"custom template {path} is broken, using the shipped {name}: {describe(exc)}")
            continue
        folders.custom[name] = path
    for problem in folders.problems:
        log.error("%s", problem)
    if folders.custom:
        log.info("custom templates from %s: %s", custom_dir, ", ".join(sorted(folders.custom)))
    return folders


def describe(exc: Exception) -> str:
    """An error in one line: a Jinja error's message and line, or the exception's name and message."""
    lineno = getattr(exc, "lineno", None)
    message = " ".join(str(getattr(exc, "message", None) or exc).split())
    kind = "" if type(exc) is TemplateError else f"{exc.__class__.__name__}: "
    return kind + message + (f" (line {lineno})" if lineno else "")
