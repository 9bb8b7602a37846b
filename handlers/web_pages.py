"""The board's web pages as data: the forward plan, a meeting (its agenda, packs, papers, confirmed minutes and
decisions), the decisions register, the annual reports and the members, each as plain dicts for the templates of
templates/web/ (the routes are in bot/web/pages.py; nothing here knows HTTP).

Two views: the public one (a board whose `public` setting is on) leaves out every confidential item (its title as
well as its paper), unpublished papers and the members' pack; a member who came in through their signed link sees
everything."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.agenda_record import from_record
from handlers.base import Document
from handlers.board_rules import board_config
from handlers.decisions import decision_data
from handlers.minutes_data import TITLES, view_data
from handlers.plan import carried_label, meeting_data
from handlers.reports import annual_document, annual_report_data
from store import boards, meetings
from store import decisions as decision_store
from store import meeting_record as record_store
from store import minutes as minutes_store
from store import packs as pack_store
from store import papers as paper_store
from store import plan as plan_store
from store import web as web_store
from store.models import Meeting, MinutesStatus, Paper, PlanItem, Role
from store.models.views import BoardView
from store.quarters import Quarter, year_bounds, year_start_month

WORD_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/msword")
PDF = "application/pdf"
UPCOMING_LIMIT = 12  # meetings the board's page lists ahead
PAST_LIMIT = 12  # and behind
DECISIONS_LIMIT = 200  # rows of the register on one page
ROLE_ORDER = {Role.CHAIR: 0, Role.VICE_CHAIR: 1, Role.SECRETARIAT: 2, Role.MEMBER: 3}
CONFIDENTIAL = "Confidential item"


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the public, or a member of the board (signed in through their link)."""

    member_id: int | None = None
    name: str = ""

    @property
    def member(self) -> bool:
        return self.member_id is not None


PUBLIC = Viewer()


class NoPage(Exception):
    """Nothing to show at this address for this viewer (answered 404, the same as a page that does not exist)."""


@dataclass
class StoredDownload:
    """A file to send: its name, type, bytes and whether a browser shows it (PDF) or saves it (Word)."""

    filename: str
    content_type: str
    content: bytes
    inline: bool


# ---------------------------------------------------------------- who may see the board


def board_by_slug(session: Session, slug: str) -> BoardView | None:
    return boards.by_slug(session=session, slug=slug)


def is_public(board: BoardView) -> bool:
    return board_config(board).public


def member_viewer(session: Session, board: BoardView, member_id: int) -> Viewer | None:
    """The viewer for a member still on the board, or None (they have left, or never were)."""
    seat = boards.get_membership(session=session, board_id=board.id, member_id=member_id)
    if seat is None or not seat.current:
        return None
    return Viewer(member_id, seat.member.display_name)


def visible(board: BoardView, viewer: Viewer) -> bool:
    """Whether the board's pages answer this viewer at all (a private board's answer 404 to the public)."""
    return viewer.member or is_public(board)


# ---------------------------------------------------------------- shared pieces


def board_data(board: BoardView, viewer: Viewer) -> dict[str, Any]:
    return {"name": board.name, "slug": board.slug, "timezone": board.timezone, "public": is_public(board),
            "members_view": viewer.member, "viewer": viewer.name}


def _today(board: BoardView, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(board.timezone)).date()


def _local_day(moment: dt.datetime | None, board: BoardView) -> dt.date | None:
    """The day of a moment on the board's clock (a pack published at 00:30 BST was published that day)."""
    return moment.astimezone(ZoneInfo(board.timezone)).date() if moment else None


def _paper_data(paper: Paper) -> dict[str, Any]:
    return {"id": paper.id, "filename": paper.filename, "version": paper.version, "size": paper.size,
            "pages": paper.pages, "pdf": paper.content_type == PDF, "late": paper.late,
            "submitted_at": paper.submitted_at}  # UTC: not shown


def _paper_shown(item: PlanItem, paper: Paper | None, viewer: Viewer, published: bool) -> bool:
    if paper is None:
        return False
    return viewer.member or (published and not item.private)


def _items_of(session: Session, board: BoardView, meeting_list: list[Meeting], viewer: Viewer,
              published: set[int], own: dict[int, list[PlanItem]] | None = None,
              newest: dict[int, Paper] | None = None) -> dict[int, list[dict[str, Any]]]:
    """Each meeting's planned items (its own, then the standing items that fall at it), as the viewer may see them;
    a confidential item appears to the public as a line without its title, lead or paper."""
    ids = [m.id for m in meeting_list]
    if own is None:
        own = plan_store.items_for_meetings(session=session, meeting_ids=ids)
    standing = plan_store.standing_for_meetings(session=session, board_id=board.id, meetings=meeting_list)
    if newest is None:
        newest = web_store.newest_papers(session=session, item_ids=[i.id for rows in own.values() for i in rows])
    out: dict[int, list[dict[str, Any]]] = {}
    for mid in ids:
        rows: list[dict[str, Any]] = []
        for item in own.get(mid, []):
            hidden = item.private and not viewer.member
            paper = newest.get(item.id)
            rows.append({
                "ref": f"P{item.ref}", "title": CONFIDENTIAL if hidden else item.title,
                "lead": "" if hidden else item.lead, "kind": item.kind, "private": item.private,
                "hidden": hidden, "private_reason": (item.private_reason or "") if viewer.member else "",
                "carried": "" if hidden else carried_label(item.history or []),
                "paper_required": item.paper_required and not hidden,
                "paper": _paper_data(paper) if paper and _paper_shown(item, paper, viewer, mid in published) else None,
            })
        titles = {r["title"].lower() for r in rows}
        rows += [{"ref": f"S{s.ref}", "title": s.title, "lead": s.lead, "kind": s.kind, "private": False,
                  "hidden": False, "private_reason": "", "carried": "", "paper_required": False, "paper": None}
                 for s in standing.get(mid, []) if s.title.lower() not in titles]
        out[mid] = rows
    return out


def _meeting_summary(meeting: Meeting, board: BoardView) -> dict[str, Any]:
    data = meeting_data(meeting, board)
    return {"date": data["date"], "time": data["time"], "venue": data["venue"], "host": data["host"],
            "theme": data["theme"]}


def _decision(row: decision_store.DecisionRow) -> dict[str, Any]:
    """A decision for the pages; one of the agenda's own items (the minutes of the last meeting), which has no
    title of its own, by its number."""
    data = decision_data(row)
    data["title"] = data["title"] or f"Item {row.number}"
    return data


# ---------------------------------------------------------------- the board's page: the forward plan


def board_page(session: Session, board: BoardView, viewer: Viewer, now: dt.datetime) -> dict[str, Any]:
    """The forward plan (the coming meetings with their items and leads) and the meetings held lately."""
    today = _today(board, now)
    coming = meetings.list_between(session=session, board_id=board.id, start=today)[:UPCOMING_LIMIT]
    past = list(reversed(meetings.list_between(session=session, board_id=board.id, start=dt.date(1900, 1, 1),
                                               end=today - dt.timedelta(days=1))))[:PAST_LIMIT]
    published = web_store.with_public_pack(session=session, meeting_ids=[m.id for m in coming])
    items = _items_of(session, board, coming, viewer, published)
    confirmed = web_store.with_confirmed_minutes(session=session, meeting_ids=[m.id for m in past])
    return {
        "board": board_data(board, viewer), "today": today,
        "coming": [dict(_meeting_summary(m, board), items=items[m.id], pack=m.id in published) for m in coming],
        "past": [dict(_meeting_summary(m, board), minutes=m.id in confirmed) for m in past],
    }


# ---------------------------------------------------------------- one meeting


def _agenda(session: Session, board: BoardView, meeting: Meeting, viewer: Viewer, own_items: list[PlanItem],
            papers: dict[int, Paper], published_pack: bool) -> dict[str, Any]:
    """The agenda as published (its last version), or, before then, the items planned."""
    publication = web_store.published_agenda(session=session, meeting_id=meeting.id)
    if publication is None:
        rows = _items_of(session, board, [meeting], viewer, {meeting.id} if published_pack else set(),
                         own={meeting.id: own_items}, newest=papers)[meeting.id]
        return {"published": False, "version": None, "published_at": None, "entries": rows}
    own = {f"P{i.ref}": i for i in own_items}
    raw = from_record(publication.entries)
    by_title = {item.title.lower(): item for item in own.values()}
    entries = []
    for n, entry in enumerate(raw, start=1):
        ref = str(entry.get("ref") or "")
        item = own.get(ref)
        if item is None and entry.get("key") == "plan":  # published before entries kept their reference
            item = by_title.get(str(entry.get("title", "")).lower())
        private = bool(item and item.private)
        hidden = private and not viewer.member
        paper = papers.get(item.id) if item else None
        title = entry.get("title") or TITLES.get(entry.get("key", ""), str(entry.get("key", "")).replace("_", " "))
        entries.append({
            "number": entry.get("number") or n, "ref": ref, "title": CONFIDENTIAL if hidden else title,
            "lead": "" if hidden else entry.get("lead", ""), "kind": entry.get("kind", ""),
            "note": "" if hidden else entry.get("note", ""), "private": private, "hidden": hidden,
            "private_reason": (item.private_reason or "") if item is not None and viewer.member else "",
            "paper": _paper_data(paper) if item and paper and _paper_shown(item, paper, viewer, published_pack)
            else None,
        })
    return {"published": True, "version": publication.version,
            "published_at": _local_day(publication.published_at, board),
            "entries": entries}


def _minutes(session: Session, meeting: Meeting, viewer: Viewer) -> dict[str, Any] | None:
    """The meeting's minutes once confirmed (the last version kept), confidential items left out publicly."""
    record = record_store.record_of(session=session, meeting_id=meeting.id)
    if record is None or record.minutes_status != MinutesStatus.CONFIRMED.value:
        return None
    version = minutes_store.latest_version(session=session, meeting_id=meeting.id)
    if version is None:
        return None
    data = view_data(version.content, version.version, version.kind)
    if not viewer.member:
        private = web_store.private_meeting_items(session=session, meeting_id=meeting.id)
        data["items"] = [i for i in data["items"] if i["id"] not in private]
        data["declarations"] = [d for d in data["declarations"]
                                if d.get("item_number") in {i["number"] for i in data["items"]}]
    return data


def meeting_page(session: Session, board: BoardView, viewer: Viewer, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    """One meeting: when and where, its agenda, packs and papers, its confirmed minutes and its decisions."""
    meeting = meetings.get_by_date(session=session, board_id=board.id, date=day)
    if meeting is None:
        raise NoPage(f"{board.name} has no meeting on {day:%-d %B %Y}.")
    published = pack_store.of_meeting(session=session, meeting_id=meeting.id, published=True)
    packs = [p for p in published if viewer.member or p.audience == pack_store.PUBLIC]
    published_pack = any(p.number == 0 and p.audience == pack_store.PUBLIC for p in published)
    own_items = plan_store.items_for_meetings(session=session, meeting_ids=[meeting.id])[meeting.id]
    papers = web_store.newest_papers(session=session, item_ids=[i.id for i in own_items])
    paper_list = []
    for item in own_items:
        paper = papers.get(item.id)
        if paper is None or not _paper_shown(item, paper, viewer, published_pack):
            continue
        older = [_paper_data(p) for p in paper_store.versions(session=session, item_id=item.id)[1:]] \
            if viewer.member else []
        paper_list.append({"ref": f"P{item.ref}", "title": item.title, "private": item.private,
                           "private_reason": (item.private_reason or "") if viewer.member else "",
                           "paper": _paper_data(paper), "older": older})
    rows = decision_store.decisions(session=session, board_id=board.id, start=day, end=day,
                                    leave_out_private=not viewer.member)
    return {
        "board": board_data(board, viewer), "today": _today(board, now),
        "meeting": _meeting_summary(meeting, board),
        "agenda": _agenda(session, board, meeting, viewer, own_items, papers, published_pack),
        "packs": [{"id": p.id, "filename": p.filename, "pages": p.pages, "number": p.number,
                   "audience": p.audience, "published_at": _local_day(p.published_at, board),
                   "label": ("Agenda pack" if p.number == 0 else f"Supplementary pack {p.number}")
                   + (" (members' version, with confidential items)" if p.audience == pack_store.MEMBERS else "")}
                  for p in packs],
        "papers": paper_list,
        "minutes": _minutes(session, meeting, viewer),
        "decisions": [_decision(r) for r in reversed(rows)],
    }


# ---------------------------------------------------------------- the decisions register


def decisions_page(session: Session, board: BoardView, viewer: Viewer, text: str, now: dt.datetime) -> dict[str, Any]:
    """The register, newest first, or those whose title or decision mentions `text` (as `/lsp decisions <text>`)."""
    wanted = " ".join(text.split())[:200]
    rows = decision_store.decisions(session=session, board_id=board.id, text=wanted or None,
                                    leave_out_private=not viewer.member)
    return {"board": board_data(board, viewer), "today": _today(board, now), "q": wanted, "total": len(rows),
            "decisions": [_decision(r) for r in rows[:DECISIONS_LIMIT]], "limit": DECISIONS_LIMIT}


# ---------------------------------------------------------------- annual reports


def report_years(session: Session, board: BoardView, now: dt.datetime) -> list[dict[str, Any]]:
    """Every reporting year of the board's record, from its first meeting to the current year, newest first."""
    today = _today(board, now)
    start_month = year_start_month(board.settings)
    first = web_store.first_meeting(session=session, board_id=board.id)
    current = Quarter.containing(today, start_month).year
    earliest = Quarter.containing(min(first, today), start_month).year if first else current
    out = []
    for year in range(current, earliest - 1, -1):
        start, end = year_bounds(year, start_month)
        out.append({"year": year, "label": Quarter(year, 1, start_month).year_label, "start": start, "end": end,
                    "in_progress": end >= today})
    return out


def reports_page(session: Session, board: BoardView, viewer: Viewer, now: dt.datetime) -> dict[str, Any]:
    return {"board": board_data(board, viewer), "today": _today(board, now),
            "years": report_years(session, board, now)}


def annual_report(session: Session, board: BoardView, viewer: Viewer, year: int, now: dt.datetime) -> Document:
    """The year's annual report as a document (rendered to Word or Markdown by the caller), without the
    confidential items publicly."""
    if year not in {y["year"] for y in report_years(session, board, now)}:
        raise NoPage(f"{board.name} has no annual report for {year}.")
    today = _today(board, now)
    data = annual_report_data(session=session, board=board, year=year, today=today)
    if not viewer.member:
        start, end = year_bounds(year, year_start_month(board.settings))
        secret: dict[dt.date, set[str]] = defaultdict(set)
        for day, title in web_store.private_titles(session=session, board_id=board.id, start=start, end=end):
            secret[day].add(title.lower())
        for held in data["meetings"]:
            held["agenda_items"] = [i for i in held["agenda_items"]
                                    if i["standing"] or i["title"].lower() not in secret.get(held["date"], set())]
        data["items_taken"] = sum(len(m["agenda_items"]) for m in data["meetings"])
        rows = decision_store.decisions(session=session, board_id=board.id, start=start, end=min(end, today),
                                        leave_out_private=True)
        data["decisions"] = [decision_data(r) for r in reversed(rows)]
    return annual_document(data)


# ---------------------------------------------------------------- members


def members_page(session: Session, board: BoardView, viewer: Viewer, now: dt.datetime) -> dict[str, Any]:
    """The board's current members by organisation: names and roles (no Slack ids)."""
    by_org: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for seat in boards.list_members(session=session, board_id=board.id):
        role = seat.role if isinstance(seat.role, Role) else Role(seat.role)
        org = seat.organisation.name if seat.organisation else "No organisation given"
        by_org[org].append({"name": seat.member.display_name, "role": role.value, "order": ROLE_ORDER[role]})
    organisations: list[dict[str, Any]] = [
        {"name": org, "people": sorted(people, key=lambda p: (p["order"], p["name"].casefold()))}
        for org, people in sorted(by_org.items(), key=lambda kv: kv[0].casefold())]
    return {"board": board_data(board, viewer), "today": _today(board, now), "organisations": organisations,
            "count": sum(len(people) for people in by_org.values())}


# ---------------------------------------------------------------- files


def _file(session: Session, stored: Any, filename: str, content_type: str) -> StoredDownload:
    from store import files

    return StoredDownload(filename, content_type, files.read(session=session, stored=stored),
                          inline=content_type == PDF)


def paper_file(session: Session, board: BoardView, viewer: Viewer, paper_id: int, filename: str) -> StoredDownload:
    """A paper's file: publicly only the newest version of a non-confidential item's paper once the meeting's pack
    is published; members any version, by its id."""
    paper = paper_store.get(session=session, paper_id=paper_id)
    if paper is None or paper.board_id != board.id or paper.filename != filename:
        raise NoPage("There is no such paper.")
    if not viewer.member:
        item = paper.item
        newest = paper_store.latest_for_items(session=session, item_ids=[item.id]).get(item.id)
        published = pack_store.published_main(session=session, meeting_id=item.meeting_id) is not None
        if item.private or newest is None or newest.id != paper.id or not published:
            raise NoPage("There is no such paper.")
    return _file(session, paper.file, paper.filename, paper.content_type)


def pack_file(session: Session, board: BoardView, viewer: Viewer, pack_id: int, filename: str) -> StoredDownload:
    """A pack's PDF: publicly the published public packs only; members any of the meeting's packs."""
    pack = pack_store.get(session=session, pack_id=pack_id)
    if pack is None or pack.board_id != board.id or pack.filename != filename:
        raise NoPage("There is no such pack.")
    if not viewer.member and (pack.audience != pack_store.PUBLIC or pack.published_at is None):
        raise NoPage("There is no such pack.")
    return _file(session, pack.file, pack.filename, PDF)
