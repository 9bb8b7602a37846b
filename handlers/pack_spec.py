"""The agenda pack as the domain describes it (a `PackSpec`), and what the renderer makes of it (a `BuiltPack`).

Handlers and jobs gather the spec; bot/render/pack.py makes the PDF (through the notifier's `build_pack`), as it
makes a `Document`'s files. handlers.packs re-exports these."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

PDF = "application/pdf"
WORD_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/msword")


@dataclass
class PackPaper:
    """An item's paper: its file's name, bytes and type (PDF or Word)."""

    filename: str
    content: bytes
    content_type: str
    paper_id: int | None = None

    @property
    def is_pdf(self) -> bool:
        return self.content_type == PDF or self.filename.lower().endswith(".pdf")


@dataclass
class PackEntry:
    """One line of the pack's agenda, in order: its number, title, lead, kind, whether it is confidential, and its
    paper if it has one."""

    number: int
    title: str
    lead: str = ""
    kind: str = ""
    private: bool = False
    paper: PackPaper | None = None
    ref: str = ""  # the plan item's reference (P4), when it is one


@dataclass
class PackSpec:
    """A pack to build: the board, the meeting (date, time and venue in the board's zone), its title ("Agenda
    pack", "Supplementary pack 1"), the day it is published and its agenda's entries in order. `late`: a
    supplement's cover says "Late paper, published <date>"; `note`: a line under the title (the members' pack)."""

    board: str
    date: dt.date
    time: str | None
    venue: str
    title: str
    published: dt.date
    entries: list[PackEntry] = field(default_factory=list)
    late: bool = False
    note: str = ""


@dataclass
class PaperPlace:
    """Where an entry's paper is in the built pack: its first page (counting from 1) and how many pages."""

    number: int
    first_page: int
    pages: int


@dataclass
class BuiltPack:
    """The pack's PDF, its page count, where each paper starts (by entry number), the Word papers that could not
    be converted (they go beside the pack) and the papers that could not be read at all, with why."""

    content: bytes
    pages: int
    places: dict[int, PaperPlace] = field(default_factory=dict)
    separate: list[PackEntry] = field(default_factory=list)
    broken: list[tuple[PackEntry, str]] = field(default_factory=list)
