"""Reading the forward-plan CSV: its columns, every bad cell named by row and column, nothing written.
Applying it to a board, and the export, are handlers/plan_io.py."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from handlers.base import DomainError, InvalidInput
from handlers.dates import parse_absolute_date
from handlers.plan import parse_kind, parse_time
from store.models import ItemKind

CSV_COLUMNS = ("ref", "date", "time", "item", "lead", "kind", "venue", "host", "theme")
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
class PlannedMeeting:
    row: int
    time: dt.time | None = None
    time_row: int = 0
    venue: str | None = None
    venue_row: int = 0
    host: str | None = None
    host_row: int = 0
    theme: str | None = None
    theme_row: int = 0
    items: list[ItemRow] = field(default_factory=list)


@dataclass
class ItemRow:
    row: int
    title: str
    lead: str
    kind: str
    ref: int | None  # P12 -> 12: the item of this board it is, wherever the file puts it


@dataclass
class StandingRow:
    """A standing item declared by a row whose kind ends in `every meeting` / `every 2nd meeting`."""

    row: int
    title: str
    lead: str
    kind: str
    every: int
    starts_on: dt.date | None  # None: from the day of the import
    ref: int | None = None  # S3 -> 3


@dataclass
class PlanFile:
    meetings: dict[dt.date, PlannedMeeting] = field(default_factory=dict)
    standing: list[StandingRow] = field(default_factory=list)


_REF = re.compile(r"^([PS])\s*0*(\d{1,9})$", re.IGNORECASE)


def _read_ref(number: int, text: str, standing: bool, seen: dict[str, int], errors: list[RowError]) -> int | None:
    """The number of a `ref` cell (`P12` for a planned item, `S3` for a standing item); None when blank or wrong."""
    if not text:
        return None
    m = _REF.match(text.strip())
    want = "S" if standing else "P"
    if m is None:
        errors.append(RowError(number, "ref", f"“{text}” is not a reference: use the P12 or S3 an export wrote, "
                               "or leave it blank for a new item"))
        return None
    label = f"{m.group(1).upper()}{int(m.group(2))}"
    if m.group(1).upper() != want:
        what = "a standing item's" if want == "P" else "a planned item's"
        errors.append(RowError(number, "ref", f"{label} is {what} reference but this row "
                               + ("declares a standing item" if standing else "plans an item for one meeting")))
        return None
    if label in seen:
        errors.append(RowError(number, "ref", f"{label} is given in row {seen[label]} too"))
        return None
    seen[label] = number
    return int(m.group(2))


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


def _read_standing(number: int, cells: dict[str, str], found: list[StandingRow], errors: list[RowError],
                   refs: dict[str, int]) -> None:
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
    ref = _read_ref(number, cells.get("ref", ""), True, refs, errors)
    for column in ("time", "venue", "host", "theme"):
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
        found.append(StandingRow(number, title, lead, kind, int(m.group(1) or 1), starts_on, ref))


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
    refs: dict[str, int] = {}
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            errors.append(RowError(number, str(len(columns) + 1), f"{len(row)} cells where the header has {len(columns)}"))
            continue
        cells = {name: _uncell(row[i]) if i < len(row) else "" for i, name in enumerate(columns)}
        if split_standing_kind(cells.get("kind", "")):
            _read_standing(number, cells, out.standing, errors, refs)
            continue
        try:
            day = parse_absolute_date(cells["date"])
        except (ValueError, OverflowError):
            errors.append(RowError(number, "date", f"“{cells['date']}” is not a date (use 2019-07-15)"
                                   if cells["date"] else "no date"))
            continue
        entry = plan.setdefault(day, PlannedMeeting(row=number))
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
        for column, limit in (("host", 200), ("theme", 300)):
            value = cells.get(column, "")
            if not value:
                continue
            given, given_row = getattr(entry, column), getattr(entry, f"{column}_row")
            if len(value) > limit:
                errors.append(RowError(number, column, f"longer than {limit} characters"))
            elif given is not None and given != value:
                errors.append(RowError(number, column, f"“{value}” differs from “{given}” given for "
                                       f"{day.isoformat()} in row {given_row}"))
            else:
                setattr(entry, column, value)
                setattr(entry, f"{column}_row", given_row or number)
        ref = _read_ref(number, cells.get("ref", ""), False, refs, errors)
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
            elif cells.get("ref"):
                errors.append(RowError(number, "item", "a ref is given but no item"))
            continue
        if len(title) > 300:
            errors.append(RowError(number, "item", "longer than 300 characters"))
        elif len(lead) > 300:
            errors.append(RowError(number, "lead", "longer than 300 characters"))
        elif any(i.title.lower() == title.lower() for i in entry.items):
            errors.append(RowError(number, "item", f"“{title}” is listed twice for {day.isoformat()}"))
        else:
            entry.items.append(ItemRow(number, title, lead, kind, ref))
    if errors:
        raise PlanImportError(errors)
    return out
