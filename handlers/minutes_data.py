"""A held meeting's minutes as data: drafted from the record's tables, kept as JSON in each version, and made
into the data of the Block Kit, Word and Markdown templates (templates/docs/minutes.*, slack/minutes.json.j2)."""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.base import Document
from handlers.plan import meeting_data
from store import minutes as minutes_store
from store.models import Meeting, MeetingItem, MeetingRecord, Outcome, Presence
from store.models.views import BoardView

SUMMARY_LIMIT = 1200  # characters of a minute's text drafted from the notes
TITLES = {  # the agenda's own items, which have no title of their own in the record
    "welcome": "Welcome and apologies",
    "partner_updates": "Partner updates",
    "action_review": "Minutes of the last meeting and matters arising",
    "aob": "Any other business",
    "next_meeting": "Date of next meeting",
}
OUTCOME_LABELS = {o.value: o.value[:1].upper() + o.value[1:] for o in Outcome}
NOT_TAKEN = "Not reached"


def summary_of(notes: list[str]) -> str:
    """A minute's text drafted from an item's notes: the notes in order, cut on a word at SUMMARY_LIMIT."""
    text = " ".join(" ".join(n.split()) for n in notes if n.strip())
    if len(text) <= SUMMARY_LIMIT:
        return text
    return text[:SUMMARY_LIMIT].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def _clock(moment: dt.datetime | None, tz: str) -> str | None:
    return moment.astimezone(ZoneInfo(tz)).strftime("%H:%M") if moment else None


def _who(name: str, organisation: str) -> dict[str, str]:
    return {"name": name, "organisation": organisation}


def attendance_data(session: Session, meeting: Meeting) -> dict[str, Any]:
    """Present (by organisation), apologies, substitutes (and for whom), in attendance and absent."""
    present: dict[str, list[str]] = defaultdict(list)
    apologies, substitutes, in_attendance, absent = [], [], [], []
    rows = minutes_store.attendance_of(session=session, meeting=meeting)
    stood_in = {r.substitute_for for r in rows if r.substitute_for}
    for r in rows:
        label = f"{r.name} ({r.role})" if r.role else r.name
        if r.substitute_for:
            if r.presence in (None, Presence.PRESENT.value):
                substitutes.append(dict(_who(r.name, r.organisation), **{"for": r.substitute_for}))
        elif r.presence == Presence.PRESENT.value:
            present[r.organisation or "Other"].append(label)
        elif r.presence == Presence.IN_ATTENDANCE.value:
            in_attendance.append(_who(r.name, r.organisation))
        elif r.presence == Presence.APOLOGIES.value or (r.presence is None and r.reply in ("apologies", "substitute")):
            apologies.append(_who(r.name, r.organisation))
            if r.reply == "substitute" and r.substitute_named and r.name not in stood_in:
                substitutes.append(dict(_who(r.substitute_named, r.organisation), **{"for": r.name}))
        elif r.presence == Presence.ABSENT.value:
            absent.append(_who(r.name, r.organisation))
    return {
        "present": [{"organisation": org, "people": people} for org, people in sorted(present.items())],
        "present_count": sum(len(p) for p in present.values()),
        "apologies": apologies, "substitutes": substitutes, "in_attendance": in_attendance, "absent": absent,
    }


def outcome_label(item: MeetingItem) -> str:
    """`Agreed`, `Noted`, …; an item of business with no outcome `Not reached`; the agenda's own items (welcome,
    updates, any other business, …) none."""
    if item.outcome:
        return OUTCOME_LABELS.get(item.outcome, item.outcome)
    return "" if item.key in TITLES else NOT_TAKEN


def item_title(item: MeetingItem) -> str:
    return item.title or TITLES.get(item.key, item.key.replace("_", " ").capitalize())


def draft_content(session: Session, board: BoardView, meeting: Meeting, record: MeetingRecord,
                  items: list[MeetingItem]) -> dict[str, Any]:
    """The minutes of a held meeting as JSON-ready data, from its record, items (numbered), notes, attendance,
    declarations and the actions raised against its items."""
    notes = minutes_store.notes_by_item(session=session, meeting_id=meeting.id)
    raised = minutes_store.actions_raised(session=session, item_ids=[i.id for i in items])
    declared: dict[int, list[dict[str, Any]]] = defaultdict(list)
    declarations = []
    for d, item in minutes_store.declarations_of(session=session, meeting_id=meeting.id):
        entry = {"name": d.name, "interest": d.interest, "left_room": d.left_room, "item_number": item.number,
                 "minute": item.minute_number or "", "item": item_title(item)}
        declarations.append(entry)
        declared[item.id].append(entry)
    urgent = minutes_store.urgent_reasons(session=session, plan_item_ids=[i.plan_item_id for i in items
                                                                           if i.plan_item_id])
    when = meeting_data(meeting, board)
    return {
        "board": board.name,
        "meeting": {"id": meeting.id, "date": meeting.date.isoformat(), "time": when["time"],
                    "venue": when["venue"], "host": when["host"]},
        "opened": _clock(record.opened_at, board.timezone), "closed": _clock(record.closed_at, board.timezone),
        **attendance_data(session, meeting),
        "quorate": record.quorate,
        "declarations": declarations,
        "items": [{
            "id": i.id, "number": i.number, "minute": i.minute_number or "", "title": item_title(i), "lead": i.lead,
            "outcome": i.outcome, "outcome_label": outcome_label(i),
            "decision": i.decision or "",
            "summary": i.summary if i.summary is not None else summary_of(notes.get(i.id, [])),
            "actions": [{"ref": a.ref, "text": a.text, "owner": a.owner, "due": a.due.isoformat() if a.due else None}
                        for a in raised.get(i.id, [])],
            "declarations": declared.get(i.id, []),
            "urgent": urgent.get(i.plan_item_id) if i.plan_item_id else None,  # taken as urgent: the chair's reason
            "corrections": [],
        } for i in items],
        "status": "draft",
        "circulated": None,
        "confirmed": None,
    }


def revised(content: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of a version's content with top-level changes, for the next version."""
    out = copy.deepcopy(content)
    out.update(changes)
    return out


def item_in(content: dict[str, Any], item_id: int) -> dict[str, Any]:
    """One item's entry in a version's content."""
    return next(i for i in content["items"] if i["id"] == item_id)


def _date(iso: str | None) -> dt.date | None:
    return dt.date.fromisoformat(iso) if iso else None


def view_data(content: dict[str, Any], version: int, kind: str) -> dict[str, Any]:
    """The templates' data: a version's content with its dates as dates, and which version it is."""
    data = copy.deepcopy(content)
    data["meeting"]["date"] = _date(content["meeting"]["date"])
    for item in data["items"]:
        for action in item["actions"]:
            action["due"] = _date(action["due"])
        for c in item["corrections"]:
            c["at"] = _date(c["at"])
    for key in ("circulated", "confirmed"):
        if data.get(key):
            data[key] = dict(data[key], on=_date(data[key]["on"]),
                             meeting=_date(data[key].get("meeting")))
    data.update(version=version, kind=kind, action_count=sum(len(i["actions"]) for i in data["items"]))
    return data


def file_stem(board: str, day: dt.date) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", board).strip("-").lower()
    return f"{slug}-minutes-{day.isoformat()}"


def minutes_document(content: dict[str, Any], version: int, kind: str, web_url: str | None = None) -> Document:
    """The minutes as a document (Word and Markdown, from templates/docs/minutes.*); `web_url`: the meeting's
    page, printed in it."""
    data = dict(view_data(content, version, kind), web_url=web_url)
    day = data["meeting"]["date"]
    status = {"draft": "Draft minutes", "circulated": "Minutes (circulated, to be confirmed)",
              "confirmed": "Minutes"}.get(data["status"], "Minutes")
    return Document(template="minutes", data=data, basename=file_stem(data["board"], day),
                    title=f"{status} — {data['board']}, {day:%-d %B %Y}", board=data["board"])
