"""The forward plan in and out as CSV: import (all or nothing) and export. The calendar feed is handlers/plan_ics.py."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.base import DomainError, InvalidInput
from handlers.dates import parse_absolute_date
from handlers.plan import (
    every_label,
    meeting_data,
    meeting_snapshot,
    parse_kind,
    parse_time,
    starts_at,
)
from store import audit, meetings
from store import plan as plan_store
from store.models import Board, ItemKind

CSV_COLUMNS = ("date", "time", "item", "lead", "kind", "venue")
REQUIRED_COLUMNS = ("date", "item")


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


class PlanImportError(InvalidInput):
    """A CSV that can't be imported; `errors` names each bad cell by row number and column."""

    def __init__(self, errors: list[RowError]) -> None:
        shown = "\n".join(str(e) for e in errors[:50])
        more = f"\n…and {len(errors) - 50} more." if len(errors) > 50 else ""
        super().__init__(f"Nothing was imported: {len(errors)} problem{'s' if len(errors) != 1 else ''}.\n{shown}{more}")
        self.errors = errors


@dataclass
class ImportSummary:
    meetings_added: int = 0
    meetings_changed: int = 0
    items_added: int = 0
    items_changed: int = 0
    items_unchanged: int = 0
    standing_added: int = 0
    standing_changed: int = 0
    standing_unchanged: int = 0

    def changes(self) -> int:
        """Meetings and items added or changed so far."""
        return self.meetings_added + self.meetings_changed + self.items_added + self.items_changed

    def line(self) -> str:
        """`2 meetings added, 0 changed; 5 items added, 0 changed, 0 already there[; standing items: …]`."""
        text = (f"{self.meetings_added} meetings added, {self.meetings_changed} changed; "
                f"{self.items_added} items added, {self.items_changed} changed, {self.items_unchanged} already there")
        if self.standing_added or self.standing_changed or self.standing_unchanged:
            text += (f"; standing items: {self.standing_added} added, {self.standing_changed} changed, "
                     f"{self.standing_unchanged} already there")
        return text + "."


@dataclass
class _Meeting:
    row: int
    time: dt.time | None = None
    time_row: int = 0
    venue: str | None = None
    venue_row: int = 0
    items: list[tuple[int, str, str, str]] = field(default_factory=list)  # (row, title, lead, kind)


@dataclass
class _Standing:
    """A standing item declared by a row whose kind ends in `every meeting` / `every 2nd meeting`."""

    row: int
    title: str
    lead: str
    kind: str
    every: int
    starts_on: dt.date | None  # None: from the day of the import


@dataclass
class PlanFile:
    meetings: dict[dt.date, _Meeting] = field(default_factory=dict)
    standing: list[_Standing] = field(default_factory=list)


_EVERY = re.compile(r"^every\s+(?:(\d{1,2})(?:st|nd|rd|th)?\s+)?meetings?$", re.IGNORECASE)


def split_standing_kind(text: str) -> tuple[str, str] | None:
    """`standing item, every 2nd meeting` -> ("standing item", "every 2nd meeting"); None for a plain kind."""
    head, _, tail = text.rpartition(",") if "," in text else ("", "", text)
    return (head.strip(), tail.strip()) if tail.strip().lower().startswith("every") else None


def _uncell(value: str | None) -> str:
    """A cell's text, without the quote a spreadsheet-safe export put before `=`, `+`, `-`, `@`."""
    value = (value or "").strip()
    return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@") else value


_CSV_PROBLEMS = (
    ("unexpected end of data", ("the quote that opens this cell is never closed, so the rest of the file would be "
                                "read into it; close the quote (\"like this\") or remove it")),
    ("expected after", ("a quoted cell has more text after its closing quote; quote the whole cell, and write a "
                        "quote inside a cell as two (\"\")")),
)


def csv_rows(text: str) -> list[list[str]]:
    """The file's rows: any line endings (old Macs end lines with a lone CR), a byte-order mark ignored.
    The csv module reads strictly: a quote never closed, or text after a closing quote, refuses the file with
    the row where that cell starts instead of swallowing the rest of the file into one cell."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=None), strict=True)
    rows: list[list[str]] = []
    while True:
        first_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            what = next((say for key, say in _CSV_PROBLEMS if key in str(exc)), "not readable as CSV")
            lines = f" (line {first_line} of the file)" if first_line != len(rows) + 1 else ""
            cell = _quote_problem_cell(text.lstrip("\ufeff"), first_line)
            header = [h.strip().lower() for h in rows[0]] if rows else []
            column = ("file" if cell is None else header[cell] if cell < len(header) and header[cell]
                      else str(cell + 1))
            raise PlanImportError([RowError(len(rows) + 1, column, what + lines)]) from None
        rows.append(row)


def _quote_problem_cell(text: str, line: int) -> int | None:
    """Which cell (from 0) of the record starting at `line` has the quote the csv module refused, if it can be told."""
    rest = "\n".join(io.StringIO(text, newline=None).read().split("\n")[line - 1:])
    cell, i = 0, 0
    while i < len(rest) and rest[i] != "\n":
        if rest[i] == '"':
            j = i + 1
            while True:
                close = rest.find('"', j)
                if close == -1:
                    return cell  # never closed
                if rest[close + 1:close + 2] == '"':
                    j = close + 2  # a doubled quote inside the cell
                    continue
                break
            i = close + 1
            if i < len(rest) and rest[i] not in ",\n":
                return cell  # text after the closing quote
        else:
            while i < len(rest) and rest[i] not in ",\n":
                i += 1
        if i < len(rest) and rest[i] == ",":
            cell, i = cell + 1, i + 1
        else:
            break
    return None


def _read_standing(number: int, cells: dict[str, str], found: list[_Standing], errors: list[RowError]) -> None:
    """A row declaring a standing item: its date (blank: from the import) is the first meeting it may appear at."""
    head, every_text = split_standing_kind(cells["kind"]) or ("", "")
    title, lead = cells.get("item", ""), cells.get("lead", "")
    before = len(errors)
    m = _EVERY.match(every_text)
    if not m or not 1 <= int(m.group(1) or 1) <= 12:
        errors.append(RowError(number, "kind", f"“{every_text}” is not how often a standing item comes: use every "
                               "meeting, or every 2nd meeting up to every 12th meeting"))
    kind = ItemKind.STANDING.value
    if head:
        try:
            kind = parse_kind(head).value
        except DomainError:
            errors.append(RowError(number, "kind", f"“{head}” is not one of " + ", ".join(k.value for k in ItemKind)))
    starts_on = None
    if cells.get("date"):
        try:
            starts_on = parse_absolute_date(cells["date"])
        except (ValueError, OverflowError):
            errors.append(RowError(number, "date", f"“{cells['date']}” is not a date (use 2019-07-15)"))
    for column in ("time", "venue"):
        if cells.get(column):
            errors.append(RowError(number, column, f"a standing item has no {column} of its own; leave it blank"))
    if not title:
        errors.append(RowError(number, "item", "a standing item needs its title"))
    elif len(title) > 300:
        errors.append(RowError(number, "item", "longer than 300 characters"))
    elif len(lead) > 300:
        errors.append(RowError(number, "lead", "longer than 300 characters"))
    elif any(s.title.lower() == title.lower() for s in found):
        errors.append(RowError(number, "item", f"“{title}” is declared a standing item twice"))
    if m is not None and len(errors) == before:
        found.append(_Standing(number, title, lead, kind, int(m.group(1) or 1), starts_on))


def read_plan_csv(text: str) -> PlanFile:
    """Check every row; the meetings, items and standing items the file describes, or PlanImportError naming
    every bad cell."""
    errors: list[RowError] = []
    rows = csv_rows(text)
    if not rows:
        raise PlanImportError([RowError(1, "date", "the file is empty; the first row names the columns "
                                        + ", ".join(CSV_COLUMNS))])
    header, reader = rows[0], rows[1:]
    columns = [h.strip().lower() for h in header]
    for name in columns:
        if name and name not in CSV_COLUMNS:
            errors.append(RowError(1, name, f"unknown column (the columns are {', '.join(CSV_COLUMNS)})"))
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            errors.append(RowError(1, name, "missing column"))
    if errors:
        raise PlanImportError(errors)
    out = PlanFile()
    plan = out.meetings
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            errors.append(RowError(number, str(len(columns) + 1), f"{len(row)} cells where the header has {len(columns)}"))
            continue
        cells = {name: _uncell(row[i]) if i < len(row) else "" for i, name in enumerate(columns)}
        if split_standing_kind(cells.get("kind", "")):
            _read_standing(number, cells, out.standing, errors)
            continue
        try:
            day = parse_absolute_date(cells["date"])
        except (ValueError, OverflowError):
            errors.append(RowError(number, "date", f"“{cells['date']}” is not a date (use 2019-07-15)"
                                   if cells["date"] else "no date"))
            continue
        entry = plan.setdefault(day, _Meeting(row=number))
        if cells.get("time"):
            try:
                at = parse_time(cells["time"])
            except DomainError:
                errors.append(RowError(number, "time", f"“{cells['time']}” is not a time (use 10:00)"))
            else:
                if entry.time is not None and entry.time != at:
                    errors.append(RowError(number, "time", f"{at:%H:%M} differs from {entry.time:%H:%M} "
                                           f"given for {day.isoformat()} in row {entry.time_row}"))
                entry.time, entry.time_row = at, entry.time_row or number
        if cells.get("venue"):
            venue = cells["venue"]
            if len(venue) > 200:
                errors.append(RowError(number, "venue", "longer than 200 characters"))
            elif entry.venue is not None and entry.venue != venue:
                errors.append(RowError(number, "venue", f"“{venue}” differs from “{entry.venue}” given for "
                                       f"{day.isoformat()} in row {entry.venue_row}"))
            else:
                entry.venue, entry.venue_row = venue, entry.venue_row or number
        title, lead = cells.get("item", ""), cells.get("lead", "")
        kind = ItemKind.DISCUSSION.value
        if cells.get("kind"):
            try:
                kind = parse_kind(cells["kind"]).value
            except DomainError:
                errors.append(RowError(number, "kind", f"“{cells['kind']}” is not one of "
                                       + ", ".join(k.value for k in ItemKind)))
        if not title:
            if lead or cells.get("kind"):
                errors.append(RowError(number, "item", "a lead or kind is given but no item"))
            continue
        if len(title) > 300:
            errors.append(RowError(number, "item", "longer than 300 characters"))
        elif len(lead) > 300:
            errors.append(RowError(number, "lead", "longer than 300 characters"))
        elif any(t.lower() == title.lower() for _, t, _, _ in entry.items):
            errors.append(RowError(number, "item", f"“{title}” is listed twice for {day.isoformat()}"))
        else:
            entry.items.append((number, title, lead, kind))
    if errors:
        raise PlanImportError(errors)
    return out


def import_plan_csv(*, session: Session, board: Board, text: str, now: dt.datetime, actor: str,
                    include_past: bool = False) -> ImportSummary:
    """Apply a forward-plan CSV to a board: all of it, or (on any bad cell) nothing.

    Meetings are matched by date and items by title within their meeting, so importing the same
    file twice changes nothing. A meeting before today (the board's) that the file would add or change is
    refused, as `/plan` refuses it, unless `include_past` says the file is the board's history; one already
    there as the file has it (an earlier export) goes through.
    """
    read = read_plan_csv(text)
    plan = read.meetings
    today = now.astimezone(ZoneInfo(board.timezone)).date()
    past: list[RowError] = []
    summary = ImportSummary()
    _import_standing(session=session, board=board, declared=read.standing, now=now, actor=actor, summary=summary)
    defaults = plan_store.cadence(board)
    for day in sorted(plan):
        entry = plan[day]
        changes_before = summary.changes()
        meeting = meetings.get_by_date(session=session, board_id=board.id, date=day)
        if meeting is None:
            at = entry.time or (parse_time(defaults["time"]) if defaults.get("time") else None)
            meeting = meetings.create(session=session, board_id=board.id, date=day,
                                      starts_at=starts_at(day, at, board.timezone),
                                      venue=entry.venue or defaults.get("venue") or "TBC", now=now)
            summary.meetings_added += 1
            audit.record(session=session, at=now, actor=actor, entity="meeting", entity_id=meeting.id,
                         operation="import", after={"date": day.isoformat(), "venue": meeting.venue})
        else:
            new_start = starts_at(day, entry.time, board.timezone) if entry.time else meeting.starts_at
            if new_start != meeting.starts_at or (entry.venue and entry.venue != meeting.venue):
                before = meeting_snapshot(meeting)
                meeting.starts_at = new_start
                meeting.venue = entry.venue or meeting.venue
                summary.meetings_changed += 1
                audit.record(session=session, at=now, actor=actor, entity="meeting", entity_id=meeting.id,
                             operation="import", before=before, after=meeting_snapshot(meeting))
        for _, title, lead, kind in entry.items:
            links = plan_store.link_lead(session=session, board=board, lead=lead)
            item = plan_store.find_item(session=session, meeting_id=meeting.id, title=title)
            if item is None:
                item = plan_store.add_item(session=session, board_id=board.id, meeting=meeting, title=title,
                                           lead=lead, lead_links=links, kind=kind, now=now)
                summary.items_added += 1
                audit.record(session=session, at=now, actor=actor, entity="plan_item", entity_id=item.id,
                             operation="import", after={"title": title, "lead": lead, "kind": kind,
                                                        "meeting": day.isoformat()})
            elif (item.lead, item.kind) != (lead, kind):
                item.lead, item.kind, item.lead_links, item.updated_at = lead, kind, links, now
                summary.items_changed += 1
            else:
                summary.items_unchanged += 1
        if day < today and not include_past and summary.changes() != changes_before:
            past.append(RowError(entry.row, "date", f"{day:%-d %B %Y} has already taken place; nothing is planned "
                                                    "for a past meeting (to load a board's history, import with "
                                                    "--include-past)"))
    if past:
        raise PlanImportError(past)  # after writing: the caller's unit of work rolls all of it back
    session.flush()
    return summary


def _import_standing(*, session: Session, board: Board, declared: list[_Standing], now: dt.datetime, actor: str,
                     summary: ImportSummary) -> None:
    """Declare the file's standing items on the board, matched by title; one already there takes the file's lead,
    kind, frequency and start (a blank date keeps its start)."""
    existing = {s.title.lower(): s for s in plan_store.standing_items(session=session, board_id=board.id)}
    today = now.astimezone(ZoneInfo(board.timezone)).date()
    for entry in declared:
        links = plan_store.link_lead(session=session, board=board, lead=entry.lead)
        item = existing.get(entry.title.lower())
        if item is None:
            item = plan_store.add_standing(session=session, board_id=board.id, title=entry.title, lead=entry.lead,
                                           lead_links=links, kind=entry.kind, every=entry.every,
                                           starts_on=entry.starts_on or today, now=now)
            summary.standing_added += 1
            audit.record(session=session, at=now, actor=actor, entity="standing_item", entity_id=item.id,
                         operation="import", after=dict(_standing_snapshot(item), title=item.title))
            continue
        starts_on = entry.starts_on or item.starts_on
        if (item.lead, item.kind, item.every, item.starts_on) == (entry.lead, entry.kind, entry.every, starts_on):
            summary.standing_unchanged += 1
            continue
        before = _standing_snapshot(item)
        item.lead, item.lead_links, item.kind, item.every, item.starts_on = (entry.lead, links, entry.kind,
                                                                             entry.every, starts_on)
        summary.standing_changed += 1
        audit.record(session=session, at=now, actor=actor, entity="standing_item", entity_id=item.id,
                     operation="import", before=before, after=_standing_snapshot(item))


def _standing_snapshot(item: Any) -> dict[str, Any]:
    """A standing item's audited fields."""
    return {"lead": item.lead, "kind": item.kind, "every": item.every, "starts_on": item.starts_on.isoformat()}


def export_rows(*, session: Session, board: Board, since: dt.date | None = None) -> list[list[str]]:
    """The plan as CSV rows (header first) in the import's columns: one row per item, a bare row for an empty
    meeting, then one row per standing item (kind `standing item, every 2nd meeting`, dated from its start)."""
    found = meetings.list_between(session=session, board_id=board.id, start=since or dt.date(1900, 1, 1))
    items = plan_store.items_for_meetings(session=session, meeting_ids=[m.id for m in found])
    rows = [list(CSV_COLUMNS)]
    for meeting in found:
        info = meeting_data(meeting, board)
        base = [meeting.date.isoformat(), info["time"] or ""]
        if not items[meeting.id]:
            rows.append(base + ["", "", "", info["venue"]])
        for item in items[meeting.id]:
            rows.append(base + [item.title, item.lead, item.kind, info["venue"]])
    for standing in plan_store.standing_items(session=session, board_id=board.id):
        # Declared once: the date it starts from, no time or venue, and how often it comes after its kind.
        rows.append([standing.starts_on.isoformat(), "", standing.title, standing.lead,
                     f"{standing.kind}, {every_label(standing.every)}", ""])
    return rows
