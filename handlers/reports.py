"""`/lsp report quarter [2019-Q2]` and `/lsp report annual 2019`: the figures, as Block Kit now and as
Word, Markdown and a chart after the ack. The same data builders serve `lspbot report`."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy.orm import Session

from handlers.base import (
    Chart,
    Document,
    InvalidInput,
    Reply,
    Request,
)
from handlers.decisions import decisions_between
from handlers.performance import (
    lead_fields,
    lead_label,
    parse_quarter,
    previous_quarters,
)
from handlers.plan import PlannedItem, planned_items
from handlers.registry import Command, Who
from store import agenda as agenda_store
from store import meetings as meeting_store
from store import performance as perf_store
from store import reports as report_store
from store.models import ItemKind, PerformanceItem
from store.models.views import BoardView
from store.quarters import (
    Quarter,
    is_year,
    year_bounds,
    year_quarters,
    year_start_month,
)

RAG_ORDER = ("green", "amber", "red")


def examples() -> list[str]:
    return ["/lsp report quarter", "/lsp report quarter 2019-Q1", "/lsp report annual 2019"]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "board"


def _pick_board(req: Request) -> tuple[BoardView, list[str]]:
    return req.board, [a.value for a in req.parsed.args]


# ---------------------------------------------------------------- quarterly


def handle_report_quarter(req: Request) -> Reply:
    """The quarterly performance report: Block Kit in the reply, the documents and chart to the DM after it."""
    board, args = _pick_board(req)
    today = req.today(board.timezone)
    start_month = year_start_month(board.settings)
    # With no quarter named, the last one complete: the one whose returns are being collected.
    quarter = parse_quarter(" ".join(args), board, lambda q: f"/lsp report quarter {q}") if args else Quarter.reported_on(today, start_month)
    if quarter.start > today:
        raise InvalidInput(f"{quarter.title} has not started yet.", examples=examples()[:2])
    data = quarter_report_data(session=req.session, board=board, quarter=quarter, today=today)
    return Reply("slack/report_quarter.json.j2", data, documents=[quarter_document(data)])


def _item_row(item: PerformanceItem, quarters: list[Quarter], returns: dict[tuple[int, str], Any],
              today: dt.date) -> dict[str, Any]:
    """An item's returns for the quarters given (oldest first). A return reports on a quarter that has ended,
    so a quarter still in progress (or not started) with no return is `future`, not missing."""
    history = [returns.get((item.id, q.label)) for q in quarters]
    due = [q.end < today or r is not None for q, r in zip(quarters, history, strict=True)]
    latest = history[-1]
    return {
        "name": item.name,
        "kind": item.kind.value,
        "lead": lead_label(item),
        **lead_fields(item),
        "rags": [r.rag.value if r else (None if started else "future") for r, started in zip(history, due, strict=True)],
        "rag": latest.rag.value if latest else None,
        "missing": latest is None,
        "commentary": latest.commentary if latest else "",
        "author": latest.author.display_name if latest else "",
        "submitted_at": latest.submitted_at if latest else None,
        "history": [{"quarter": q.short, "rag": r.rag.value if r else None, "commentary": r.commentary if r else "",
                     "author": r.author.display_name if r else "", "due": started}
                    for q, r, started in zip(quarters, history, due, strict=True)],
        "milestones": item.milestones or [],
    }


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = {rag: sum(1 for r in rows if r["rag"] == rag) for rag in RAG_ORDER}
    counts["missing"] = sum(1 for r in rows if r["missing"])
    return counts


def _actions(session: Session, board: BoardView, start: dt.date, end: dt.date, today: dt.date) -> dict[str, Any]:
    totals = report_store.partner_actions(session=session, board_id=board.id, timezone=board.timezone, start=start,
                                          end=end, as_at=min(today, end))
    return {"partners": [p.as_dict() for p in totals.partners], "totals": totals.total.as_dict()}


def quarter_report_data(*, session: Session, board: BoardView, quarter: Quarter, today: dt.date) -> dict[str, Any]:
    """Every item's RAG this quarter beside the previous three, its commentary and lead; actions by partner."""
    quarters = previous_quarters(quarter)
    items = perf_store.list_items(session=session, board_id=board.id)
    returns = perf_store.returns_for(session=session, board_id=board.id, quarters=[q.label for q in quarters])
    rows = [_item_row(item, quarters, returns, today) for item in items]
    basename = f"{slug(board.name)}-{quarter.label}-performance"
    return {
        "board": board.name,
        "quarter": quarter.label,
        "quarter_title": quarter.title,
        "quarter_short": quarter.short,
        "quarter_start": quarter.start,
        "quarter_end": quarter.end,
        "quarters": [q.short for q in quarters],
        "as_at": today,
        "in_progress": quarter.end >= today,
        "items": rows,
        "counts": _counts(rows),
        "chart": f"{basename}-chart.png",
        "basename": basename,
        "decisions": decisions_between(session, board, quarter.start, min(quarter.end, today)),
        **_actions(session, board, quarter.start, quarter.end, today),
    }


def _chart(data: dict[str, Any], title: str) -> Chart:
    return Chart(kind="performance", filename=data["chart"], data={
        "title": title,
        "quarters": data["quarters"],
        "items": [{"name": r["name"], "rags": r["rags"]} for r in data["items"]],
        "partners": [{k: p[k] for k in ("organisation", "raised", "completed", "overdue")} for p in data["partners"]],
    })


def quarter_document(data: dict[str, Any]) -> Document:
    title = f"{data['board']}: Borough Plan performance, {data['quarter_title']}"
    return Document(template="report_quarter", data=data, basename=data["basename"], title=title,
                    charts=[_chart(data, title)], board=data["board"])


def agenda_note(*, session: Session, board: BoardView, meeting_date: dt.date, title: str) -> str:
    """For an agenda's "Borough Plan Performance Update": the quarterly report it presents (the last quarter
    complete before the meeting) and how many returns are in; empty for any other item."""
    if "performance update" not in title.lower():
        return ""
    quarter = Quarter.reported_on(meeting_date, year_start_month(board.settings))
    items = perf_store.list_items(session=session, board_id=board.id)
    returned = perf_store.returns_for(session=session, board_id=board.id, quarters=[quarter.label])
    return (f"Report: the quarterly performance report for {quarter.title}, {len(returned)} of {len(items)} "
            f"returns in (/lsp report quarter {quarter.label})")


# ---------------------------------------------------------------- annual


def handle_report_annual(req: Request) -> Reply:
    """The annual report for scrutiny (the chair and admins): a summary now, Word and Markdown after."""
    board, args = _pick_board(req)
    today = req.today(board.timezone)
    start_month = year_start_month(board.settings)
    if not args:
        year = Quarter.containing(today, start_month).year
    elif len(args) == 1 and is_year(args[0]):
        year = int(args[0])
    else:
        raise InvalidInput(f"“{' '.join(args)}” is not a year. Give the year the report covers, like 2019.",
                           examples=examples()[2:])
    if year_bounds(year, start_month)[0] > today:
        raise InvalidInput(f"The year {year} has not started yet.", examples=examples()[2:])
    data = annual_report_data(session=req.session, board=board, year=year, today=today)
    return Reply("slack/report_annual.json.j2", data, documents=[annual_document(data)])


def _is_standing(item: PlannedItem) -> bool:
    """A standing item of the board, or a forward-plan item of the standing kind (the agenda lists both last)."""
    return item.standing or item.kind == ItemKind.STANDING.value


def annual_report_data(*, session: Session, board: BoardView, year: int, today: dt.date) -> dict[str, Any]:
    """Meetings held with themes, venues and items; actions by partner; the year's quarterly returns."""
    start_month = year_start_month(board.settings)
    start, end = year_bounds(year, start_month)
    quarters = year_quarters(year, start_month)
    held = report_store.meetings_held(session=session, board_id=board.id, start=start, end=min(end, today))
    coming = report_store.meetings_held(session=session, board_id=board.id, start=max(start, today + dt.timedelta(days=1)),
                                        end=end) if today < end else []
    # The items each meeting took, as its agenda has them: the forward plan's, then the standing items that fell
    # at it (the agenda's own rule, handlers.plan.planned_items: every Nth meeting from its start, none twice).
    held_ids = {m.id for m in held}
    taken = planned_items(session, board, [
        m for m in meeting_store.list_between(session=session, board_id=board.id, start=start, end=min(end, today))
        if m.id in held_ids])
    # And the members' proposals the chair approved that were on the agenda as last published, between the two.
    published = agenda_store.latest_publications(session=session, meeting_ids=list(held_ids))
    meetings: list[dict[str, Any]] = []
    for m in held:
        planned = taken.get(m.id, [])
        proposals = [{"title": e["title"], "lead": e["lead"], "kind": e["kind"], "standing": False}
                     for e in (published[m.id].snapshot.get("entries", []) if m.id in published else [])
                     if e.get("key") == "proposal"]
        agenda_items = [*({"title": i.title, "lead": i.lead, "kind": i.kind, "standing": False}
                          for i in planned if not _is_standing(i)), *proposals,
                        *({"title": i.title, "lead": i.lead, "kind": i.kind, "standing": True}
                          for i in planned if _is_standing(i))]
        meetings.append({"date": m.date, "venue": m.venue, "theme": m.theme, "host": m.host,
                         "agenda_items": agenda_items, "partner_updates": m.partner_updates,
                         "actions_raised": m.actions_raised})
    tracked = perf_store.list_items(session=session, board_id=board.id)
    returns = perf_store.returns_for(session=session, board_id=board.id, quarters=[q.label for q in quarters])
    rows = [_item_row(item, quarters, returns, today) for item in tracked]
    year_label = quarters[0].year_label
    basename = f"{slug(board.name)}-{year_label.replace('/', '-')}-annual-report"
    return {
        "board": board.name,
        "year": year,
        "year_label": year_label,
        "period_start": start,
        "period_end": end,
        "as_at": today,
        "in_progress": end >= today,
        "meetings": meetings,
        "meetings_coming": [{"date": m.date, "venue": m.venue, "theme": m.theme} for m in coming],
        "items_taken": sum(len(m["agenda_items"]) for m in meetings),
        "quarters": [q.short for q in quarters],
        "items": rows,
        "returns_received": sum(1 for r in rows for h in r["rags"] if h in RAG_ORDER),
        "returns_expected": sum(1 for r in rows for h in r["history"] if h["due"]),
        "chart": f"{basename}-chart.png",
        "basename": basename,
        "decisions": decisions_between(session, board, start, min(end, today)),
        **_actions(session, board, start, end, today),
    }


def annual_document(data: dict[str, Any]) -> Document:
    title = f"{data['board']}: annual report {data['year_label']}"
    return Document(template="report_annual", data=data, basename=data["basename"], title=title,
                    charts=[_chart(data, title)], board=data["board"])


# ---------------------------------------------------------------- declarations

COMMANDS = (
    Command("/lsp", ("report", "quarter"), handle_report_quarter, parsed=True, topic="report",
            aliases=(("report", "quarterly"), ("report", "q")),
            usage="/lsp report quarter [2019-Q2]",
            summary="the quarterly performance report, with Word, Markdown and a chart in your DM"),
    Command("/lsp", ("report", "annual"), handle_report_annual, who=Who.CHAIR, doing="compile the annual report",
            parsed=True, topic="report", aliases=(("report", "year"), ("report", "yearly")),
            usage="/lsp report annual 2019", summary="the annual report for scrutiny (the chair)"),
)
