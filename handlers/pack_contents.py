"""What goes into a meeting's agenda pack: its entries in the agenda's order with each one's newest paper, the
description the renderer builds the PDF from (the public pack without the confidential entries), and each built
pack kept in the store with its contents (the page each paper starts on)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from handlers.agenda_compile import compile_agenda
from handlers.base import Notifier
from handlers.pack_spec import PDF, BuiltPack, PackEntry, PackPaper, PackSpec
from handlers.plan import meeting_data
from store import files as files_store
from store import packs as pack_store
from store import papers as paper_store
from store import plan as plan_store
from store.models import AgendaPack, Meeting, Paper
from store.models.views import BoardView

MEMBERS_NOTE = ("Members' pack: it holds the confidential items (exempt information), which are left out of the "
                "published pack. Not for publication.")


@dataclass
class Built:
    """One pack built and kept: its audience, its record and what the renderer made."""

    audience: str
    record: AgendaPack
    built: BuiltPack
    spec: PackSpec


def pack_entries(session: Session, board: BoardView, meeting: Meeting, today: dt.date) -> list[PackEntry]:
    """The meeting's agenda as the pack lists it, every entry with its paper (the newest version) if it has one."""
    agenda = compile_agenda(session, board, meeting, today)
    items = {f"P{i.ref}": i for i in plan_store.items_for_meetings(session=session, meeting_ids=[meeting.id])[meeting.id]}
    papers = paper_store.for_meeting(session=session, meeting_id=meeting.id)
    entries = []
    for e in agenda.entries:
        item = items.get(e.ref)
        paper = papers.get(item.id) if item is not None else None
        entries.append(PackEntry(number=e.number, title=e.title or _section_title(e.key), lead=e.lead, kind=e.kind,
                                 private=bool(item and item.private), ref=e.ref,
                                 paper=pack_paper(session, paper) if paper else None))
    return entries


_SECTIONS = {"welcome": "Welcome, introductions and apologies", "partner_updates": "Partner updates",
             "action_review": "Minutes of the last meeting and matters arising", "aob": "Any other business",
             "next_meeting": "Date of the next meeting"}


def _section_title(key: str) -> str:
    return _SECTIONS.get(key, key.replace("_", " ").capitalize())


def pack_paper(session: Session, paper: Paper) -> PackPaper:
    """A paper as the pack builder takes it: its bytes read from the store (none if they have gone)."""
    try:
        content = files_store.read(session=session, stored=paper.file)
    except files_store.MissingFile:
        content = b""  # listed as unreadable in the pack, and the secretariat told
    return PackPaper(filename=paper.filename, content=content, content_type=paper.content_type, paper_id=paper.id)


def spec_for(board: BoardView, meeting: Meeting, entries: list[PackEntry], *, title: str, published: dt.date,
             members: bool = False, late: bool = False) -> PackSpec:
    """The pack's description: the public one leaves the confidential entries out, title and paper."""
    when = meeting_data(meeting, board)
    shown = entries if members else [e for e in entries if not e.private]
    return PackSpec(board=board.name, date=meeting.date, time=when["time"], venue=when["venue"], title=title,
                    published=published, entries=shown, late=late, note=MEMBERS_NOTE if members else "")


def file_name(board: BoardView, meeting: Meeting, number: int, audience: str) -> str:
    slug = board.slug or re.sub(r"[^A-Za-z0-9]+", "-", board.name).strip("-").lower()
    what = "agenda-pack" if number == 0 else f"supplementary-pack-{number}"
    return f"{slug}-{what}-{meeting.date.isoformat()}{'-members' if audience == pack_store.MEMBERS else ''}.pdf"


def build_and_keep(session: Session, notify: Notifier, board: BoardView, meeting: Meeting, entries: list[PackEntry], *,
                   number: int, title: str, published: dt.date, now: dt.datetime, late: bool = False,
                   audiences: tuple[str, ...] | None = None) -> list[Built]:
    """Build the pack (and, when it has confidential entries, the members' pack) and keep each (store.packs),
    replacing an unpublished one of the same number."""
    if audiences is None:
        audiences = (pack_store.PUBLIC, pack_store.MEMBERS) if any(e.private for e in entries) else (pack_store.PUBLIC,)
    out = []
    for audience in audiences:
        spec = spec_for(board, meeting, entries, title=title, published=published,
                        members=audience == pack_store.MEMBERS, late=late)
        built = notify.build_pack(spec)
        stored = files_store.put(session=session, content=built.content, content_type=PDF, now=now)
        record = pack_store.save(session=session, board_id=board.id, meeting_id=meeting.id, number=number,
                                 audience=audience, file=stored, filename=file_name(board, meeting, number, audience),
                                 pages=built.pages, contents=_contents(spec, built), separate=_separate(built),
                                 now=now)
        out.append(Built(audience, record, built, spec))
    return out


def _contents(spec: PackSpec, built: BuiltPack) -> list[dict[str, Any]]:
    out = []
    for e in spec.entries:
        place = built.places.get(e.number)
        out.append({"item": e.ref, "number": e.number, "title": e.title, "lead": e.lead, "private": e.private,
                    "paper_id": e.paper.paper_id if e.paper else None,
                    "first_page": place.first_page if place else None, "pages": place.pages if place else None})
    return out


def _separate(built: BuiltPack) -> list[dict[str, Any]]:
    return [{"item": e.ref, "number": e.number, "title": e.title, "paper_id": e.paper.paper_id,
             "filename": e.paper.filename} for e in built.separate if e.paper is not None]


def pack_data(board: BoardView, meeting: Meeting, done: Built, publication: dt.date, link: str = "") -> dict[str, Any]:
    """The template's `pack`: what a message about it says."""
    broken = {e.number for e, _ in done.built.broken}
    separate = {e.number for e in done.built.separate}
    when = meeting_data(meeting, board)
    return {"title": done.spec.title, "board": board.name, "date": meeting.date, "time": when["time"],
            "venue": when["venue"], "publication": publication, "pages": done.built.pages, "link": link,
            "members": done.audience == pack_store.MEMBERS, "meeting_id": meeting.id,
            "items": [{"number": e.number, "title": e.title, "lead": e.lead, "private": e.private,
                       "first_page": (done.built.places[e.number].first_page if e.number in done.built.places
                                      else None),
                       "separate": e.number in separate, "broken": e.number in broken}
                      for e in done.spec.entries]}
