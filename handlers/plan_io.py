"""The forward plan in and out as CSV: import (all or nothing) and export. Reading the file is handlers/plan_csv.py;
the calendar feed is handlers/plan_ics.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.base import InvalidInput
from handlers.organisations import looks_like
from handlers.plan import every_label, item_snapshot, meeting_data, meeting_snapshot, parse_time, starts_at
from handlers.plan_csv import (
    CSV_COLUMNS,
    PlanImportError,
    PlannedMeeting,
    RowError,
    StandingRow,
    csv_rows,
    read_plan_csv,
)
from store import audit, boards, meetings
from store import plan as plan_store
from store.models import PlanItem
from store.models.views import BoardView

__all__ = ["CSV_COLUMNS", "ImportSummary", "PlanImportError", "csv_rows", "export_rows", "import_plan_csv"]


@dataclass
class ImportSummary:
    meetings_added: int = 0
    meetings_changed: int = 0
    items_added: int = 0
    items_changed: int = 0
    items_unchanged: int = 0
    items_moved: int = 0
    standing_added: int = 0
    standing_changed: int = 0
    standing_unchanged: int = 0

    def changes(self) -> int:
        """Meetings and items added or changed so far."""
        return (self.meetings_added + self.meetings_changed + self.items_added + self.items_changed
                + self.items_moved)

    def line(self) -> str:
        """`2 meetings added, 0 changed; 5 items added, 0 changed, 0 already there[; standing items: …]`."""
        moved = f", {self.items_moved} moved to another meeting" if self.items_moved else ""
        text = (f"{self.meetings_added} meetings added, {self.meetings_changed} changed; "
                f"{self.items_added} items added, {self.items_changed} changed{moved}, "
                f"{self.items_unchanged} already there")
        if self.standing_added or self.standing_changed or self.standing_unchanged:
            text += (f"; standing items: {self.standing_added} added, {self.standing_changed} changed, "
                     f"{self.standing_unchanged} already there")
        return text + "."



def import_plan_csv(*, session: Session, board: BoardView, text: str, now: dt.datetime, actor: str,
                    include_past: bool = False) -> ImportSummary:
    """Apply a forward-plan CSV to a board: all of it, or (on any bad cell) nothing.

    Meetings are matched by date. An item is matched by its `ref` (P12) when this board has it, wherever the
    file puts it: at another date it is moved there, with another title it is renamed. Without a ref (or with
    one this board doesn't have: a file from another board) it is matched by title within its meeting. So
    importing the same file twice changes nothing, and an export edited in a spreadsheet goes back as edited.
    A meeting before today (the board's) that the file would add or change, or an item it would move from one,
    is refused, as `/plan` refuses it, unless `include_past` says the file is the board's history; one already
    there as the file has it (an earlier export) goes through.
    """
    read = read_plan_csv(text)
    plan = read.meetings
    today = now.astimezone(ZoneInfo(board.timezone)).date()
    problems = _host_problems(session=session, board=board, plan=plan) + _time_problems(board=board, plan=plan)
    by_ref = _items_by_ref(session=session, board=board, plan=plan, problems=problems)
    if problems:
        raise PlanImportError(problems)
    claimed = {item.id for item in by_ref.values()}
    past: list[RowError] = []
    summary = ImportSummary()
    _import_standing(session=session, board=board, declared=read.standing, now=now, actor=actor, summary=summary)
    defaults = plan_store.cadence(board)
    for day in sorted(plan):
        entry = plan[day]
        changes_before = summary.changes()
        host = boards.get_or_create_organisation(session=session, board_id=board.id, name=entry.host[:200]) \
            if entry.host else None
        meeting = meetings.get_by_date(session=session, board_id=board.id, date=day)
        if meeting is None:
            at = entry.time or (parse_time(defaults["time"]) if defaults.get("time") else None)
            meeting = meetings.create(session=session, board_id=board.id, date=day,
                                      starts_at=starts_at(day, at, board.timezone),
                                      venue=entry.venue or defaults.get("venue") or "TBC", now=now,
                                      host_organisation_id=host.id if host else None, theme=entry.theme)
            summary.meetings_added += 1
            audit.record(session=session, at=now, actor=actor, entity="meeting", entity_id=meeting.id,
                         operation="import", after=meeting_snapshot(meeting))
        else:
            new_start = starts_at(day, entry.time, board.timezone) if entry.time else meeting.starts_at
            new_host = host.id if host else meeting.host_organisation_id
            new_theme = entry.theme or meeting.theme
            if (new_start, entry.venue or meeting.venue, new_host, new_theme) != (
                    meeting.starts_at, meeting.venue, meeting.host_organisation_id, meeting.theme):
                before = meeting_snapshot(meeting)
                meeting.starts_at = new_start
                meeting.venue = entry.venue or meeting.venue
                meeting.host_organisation_id, meeting.theme = new_host, new_theme
                summary.meetings_changed += 1
                audit.record(session=session, at=now, actor=actor, entity="meeting", entity_id=meeting.id,
                             operation="import", before=before, after=meeting_snapshot(meeting))
        for row in entry.items:
            links = plan_store.link_lead(session=session, board=board, lead=row.lead)
            item = by_ref.get(row.ref) if row.ref is not None else None
            if item is None:
                item = plan_store.find_item(session=session, meeting_id=meeting.id, title=row.title)
                if item is not None and item.id in claimed:
                    item = None  # the file puts that item elsewhere by its ref; this row is another one
            if item is None:
                item = plan_store.add_item(session=session, board_id=board.id, meeting=meeting, title=row.title,
                                           lead=row.lead, lead_links=links, kind=row.kind, now=now)
                summary.items_added += 1
                audit.record(session=session, at=now, actor=actor, entity="plan_item", entity_id=item.id,
                             operation="import", after=item_snapshot(item))
                continue
            before = item_snapshot(item)
            if item.meeting_id != meeting.id:
                if item.meeting.date < today and not include_past:
                    past.append(RowError(row.row, "date", f"P{item.ref} was on the agenda of "
                                         f"{item.meeting.date:%-d %B %Y}, which has already taken place; it can't "
                                         "move now (to load a board's history, import with --include-past)"))
                plan_store.move_item(session=session, item=item, meeting=meeting, now=now)
                summary.items_moved += 1
            elif (item.title, item.lead, item.kind) != (row.title, row.lead, row.kind):
                summary.items_changed += 1
            else:
                summary.items_unchanged += 1
                continue
            item.title, item.lead, item.kind, item.lead_links, item.updated_at = (row.title, row.lead, row.kind,
                                                                                  links, now)
            audit.record(session=session, at=now, actor=actor, entity="plan_item", entity_id=item.id,
                         operation="import", before=before, after=item_snapshot(item))
        if day < today and not include_past and summary.changes() != changes_before:
            past.append(RowError(entry.row, "date", f"{day:%-d %B %Y} has already taken place; nothing is planned "
                                                    "for a past meeting (to load a board's history, import with "
                                                    "--include-past)"))
    if past:
        raise PlanImportError(past)  # after writing: the caller's unit of work rolls all of it back
    session.flush()
    return summary


def _host_problems(*, session: Session, board: BoardView, plan: dict[dt.date, PlannedMeeting]) -> list[RowError]:
    """A `host` cell that nearly matches an organisation on the board's list without being it ("Did you mean
    …?", as `/plan meeting add host:` asks); a new name is added to the list on import."""
    known = [org.name for org, _ in boards.organisations(session=session, board_id=board.id)]
    problems = []
    for entry in plan.values():
        if not entry.host or boards.find_organisation(session=session, board_id=board.id, name=entry.host):
            continue
        close = [name for name in known if looks_like(entry.host, name)]
        if close:
            problems.append(RowError(entry.host_row, "host", f"did you mean “{close[0]}”? “{entry.host}” is not on "
                                     f"{board.name}'s list of organisations but looks like one that is; give the "
                                     "known name exactly"))
    return problems


def _time_problems(*, board: BoardView, plan: dict[dt.date, PlannedMeeting]) -> list[RowError]:
    """A `time` cell the board's clock skips or passes twice that day, as `/plan meeting add` refuses it."""
    problems = []
    for day, entry in sorted(plan.items()):
        try:
            starts_at(day, entry.time, board.timezone)
        except InvalidInput as exc:
            problems.append(RowError(entry.time_row or entry.row, "time", exc.message))
    return problems


def _items_by_ref(*, session: Session, board: BoardView, plan: dict[dt.date, PlannedMeeting],
                  problems: list[RowError]) -> dict[int, PlanItem]:
    """The board's items the file names by ref. A row that gives another title and another date than the item
    of its ref has (most likely a file from another board) is refused: change one at a time, or clear the ref."""
    found: dict[int, PlanItem] = {}
    for day, entry in plan.items():
        for row in entry.items:
            if row.ref is None:
                continue
            item = plan_store.get_item(session=session, board_id=board.id, ref=row.ref)
            if item is None:
                continue  # not this board's: the row is a new item (matched by title)
            if item.title.lower() != row.title.lower() and item.meeting.date != day:
                problems.append(RowError(row.row, "ref", f"P{row.ref} is “{item.title}” on "
                                         f"{item.meeting.date.isoformat()} here; this row changes both its title "
                                         "and its date (change one at a time, or clear the ref for a new item)"))
                continue
            found[row.ref] = item
    return found


def _import_standing(*, session: Session, board: BoardView, declared: list[StandingRow], now: dt.datetime, actor: str,
                     summary: ImportSummary) -> None:
    """Declare the file's standing items on the board, matched by ref (S3, when this board has it) or else by title;
    one already there takes the file's title, lead, kind, frequency and start (a blank date keeps its start)."""
    declared_items = plan_store.standing_items(session=session, board_id=board.id)
    by_ref = {s.ref: s for s in declared_items}
    claimed = {by_ref[e.ref].id for e in declared if e.ref in by_ref}
    existing = {s.title.lower(): s for s in declared_items if s.id not in claimed}
    today = now.astimezone(ZoneInfo(board.timezone)).date()
    problems: list[RowError] = []
    for entry in declared:
        mine = by_ref.get(entry.ref) if entry.ref is not None else None
        if (mine is not None and mine.title.lower() != entry.title.lower() and entry.starts_on is not None
                and entry.starts_on != mine.starts_on):
            problems.append(RowError(entry.row, "ref", f"S{mine.ref} is “{mine.title}” from "
                                     f"{mine.starts_on.isoformat()} here; this row changes both its title and its "
                                     "date (change one at a time, or clear the ref for a new standing item)"))
    if problems:
        raise PlanImportError(problems)
    for entry in declared:
        links = plan_store.link_lead(session=session, board=board, lead=entry.lead)
        item = by_ref.get(entry.ref) if entry.ref is not None else None
        item = item or existing.get(entry.title.lower())
        if item is None:
            item = plan_store.add_standing(session=session, board_id=board.id, title=entry.title, lead=entry.lead,
                                           lead_links=links, kind=entry.kind, every=entry.every,
                                           starts_on=entry.starts_on or today, now=now)
            summary.standing_added += 1
            audit.record(session=session, at=now, actor=actor, entity="standing_item", entity_id=item.id,
                         operation="import", after=dict(_standing_snapshot(item), title=item.title))
            continue
        starts_on = entry.starts_on or item.starts_on
        if (item.title, item.lead, item.kind, item.every, item.starts_on) == (entry.title, entry.lead, entry.kind,
                                                                               entry.every, starts_on):
            summary.standing_unchanged += 1
            continue
        before = dict(_standing_snapshot(item), title=item.title)
        item.title, item.lead, item.lead_links, item.kind, item.every, item.starts_on = (
            entry.title, entry.lead, links, entry.kind, entry.every, starts_on)
        summary.standing_changed += 1
        audit.record(session=session, at=now, actor=actor, entity="standing_item", entity_id=item.id,
                     operation="import", before=before, after=dict(_standing_snapshot(item), title=item.title))


def _standing_snapshot(item: Any) -> dict[str, Any]:
    """A standing item's audited fields."""
    return {"lead": item.lead, "kind": item.kind, "every": item.every, "starts_on": item.starts_on.isoformat()}


def export_rows(*, session: Session, board: BoardView, since: dt.date | None = None) -> list[list[str]]:
    """The plan as CSV rows (header first) in the import's columns: one row per item with its ref (P12), a bare row
    for an empty meeting, then one row per standing item (S3; kind `standing item, every 2nd meeting`, dated from
    its start)."""
    found = meetings.list_between(session=session, board_id=board.id, start=since or dt.date(1900, 1, 1))
    items = plan_store.items_for_meetings(session=session, meeting_ids=[m.id for m in found])
    rows = [list(CSV_COLUMNS)]
    for meeting in found:
        info = meeting_data(meeting, board)
        day, at = meeting.date.isoformat(), info["time"] or ""
        place = [info["venue"], info["host"] or "", info["theme"] or ""]
        if not items[meeting.id]:
            rows.append(["", day, at, "", "", ""] + place)
        for item in items[meeting.id]:
            rows.append([f"P{item.ref}", day, at, item.title, item.lead, item.kind] + place)
    for standing in plan_store.standing_items(session=session, board_id=board.id):
        # Declared once: the date it starts from, no time, venue, host or theme, and how often it comes after its kind.
        rows.append([f"S{standing.ref}", standing.starts_on.isoformat(), "", standing.title, standing.lead,
                     f"{standing.kind}, {every_label(standing.every)}", "", "", ""])
    return rows
