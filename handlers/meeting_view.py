"""What meeting mode shows and shares: the open meeting of a board, an item by its number, and the data of the
meeting's message and of each item's message in its thread (updated in place as the meeting goes on)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from handlers.base import InvalidInput, NotFound, Notifier, Request, UsageError
from handlers.plan import carried_label
from store import meeting_record as record_store
from store.models import Attendance, Declaration, Meeting, MeetingItem, MeetingRecord, Outcome, Presence
from store.models.views import BoardView

MEETING_TEMPLATE = "slack/meeting_opened.json.j2"
ITEM_TEMPLATE = "slack/meeting_item.json.j2"
NOTE_TEMPLATE = "slack/agenda_note.json.j2"  # a one-line answer
OUTCOMES = tuple(o.value for o in Outcome)
# The agenda's fixed entries by key, as templates/docs/_agenda_words.j2 words them (kept on the item's row, so the
# minutes and the decisions register read a title for every item).
FIXED_TITLES = {
    "welcome": "Welcome and apologies",
    "partner_updates": "Partner updates",
    "action_review": "Minutes and matters arising: review of actions",
    "aob": "Any other business",
    "next_meeting": "Date of next meeting",
}


def when(day: dt.date) -> str:
    return f"{day:%A %-d %B %Y}"


def open_meeting(req: Request, board: BoardView) -> MeetingRecord:
    """The board's meeting open now; refused when there is none."""
    record = record_store.open_record(session=req.session, board_id=board.id)
    if record is None:
        raise NotFound(f"{board.name} has no meeting open. The chair, vice-chair or secretariat opens one with "
                       "`/meeting start`.", examples=["/meeting start"], title="No meeting open")
    return record


def item_number(token: str, example: str) -> int:
    """An item's number as typed (`4`, `item:4`, `#4`)."""
    raw = token.strip().removeprefix("item:").lstrip("#")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 4:
        raise UsageError(f"`{token}` is not an item number: use the number it has on the agenda.",
                         examples=[example])
    return int(raw)


def item_of(req: Request, record: MeetingRecord, number: int) -> MeetingItem:
    """Item `number` of the open meeting; refused (naming the numbers there are) when the agenda has none."""
    item = record_store.item_by_number(session=req.session, meeting_id=record.meeting_id, number=number)
    if item is None:
        count = len(record_store.items_of(session=req.session, meeting_id=record.meeting_id))
        raise InvalidInput(f"There is no item {number} on the agenda of this meeting: its items are numbered 1 to "
                           f"{count}.", field="item", title="No such item")
    return item


def item_title(item: MeetingItem) -> str:
    return item.title or FIXED_TITLES.get(item.key, item.key)


def outcome_label(outcome: str | None) -> str:
    return (outcome or "")[:1].upper() + (outcome or "")[1:]


def items_data(session: Session, record: MeetingRecord, items: Sequence[MeetingItem]) -> list[dict[str, Any]]:
    """The data of each item's message: the item, its outcome, its declarations and notes, and whether its buttons
    are still live (the meeting is open). Notes, plan rows and declarations are read once for them all (a meeting
    opens and closes with every item's message)."""
    notes = record_store.notes_of(session=session, item_ids=[item.id for item in items])
    planned = record_store.plan_items_of(session=session, items=items)
    declared: dict[int, list[Declaration]] = defaultdict(list)
    for d in record_store.declarations_of(session=session, meeting_id=record.meeting_id):
        declared[d.item_id].append(d)
    out = []
    for item in items:
        plan = planned.get(item.plan_item_id) if item.plan_item_id else None
        out.append({
            "value": f"{record.meeting_id}|{item.number}",
            "open": record.closed_at is None,
            "item": {"number": item.number, "title": item_title(item), "lead": item.lead, "kind": item.kind,
                     "ref": item.ref, "outcome": outcome_label(item.outcome), "decision": item.decision or "",
                     "carried": item.carried_to_id is not None,
                     "history": carried_label(plan.history or []) if plan is not None else ""},
            "notes": [n.text for n in notes[item.id]],
            "declarations": [{"name": d.name, "interest": d.interest, "left_room": d.left_room}
                             for d in declared[item.id]],
        })
    return out


def meeting_data(session: Session, board: BoardView, meeting: Meeting, record: MeetingRecord) -> dict[str, Any]:
    """The data of the meeting's message: the board, the day, who was there once recorded, and (closed) how it
    ended."""
    rows = record_store.attendance_of(session=session, meeting_id=meeting.id)

    seats = {r.member_id: r.member.display_name if r.member is not None else r.name
             for r in rows if r.member_id is not None}

    def who(r: Attendance) -> str:
        name = r.member.display_name if r.member is not None else r.name
        return f"{name} (for {seats[r.substitute_for_id]})" if r.substitute_for_id in seats else name

    def names(presence: Presence) -> list[str]:
        return [who(r) for r in rows if r.presence == presence.value]

    items = record_store.items_of(session=session, meeting_id=meeting.id)
    counts: dict[str, int] = {}
    for item in items:
        label = item.outcome or "not reached"
        counts[label] = counts.get(label, 0) + 1
    return {
        "board": board.name, "meeting_id": meeting.id, "date": meeting.date, "items": len(items),
        "open": record.closed_at is None, "attendance_taken": record.attendance_recorded_at is not None,
        "present": names(Presence.PRESENT), "apologies": names(Presence.APOLOGIES),
        "in_attendance": names(Presence.IN_ATTENDANCE), "quorate": record.quorate,
        "closed_by": record.closed_by, "counts": [{"outcome": k, "count": v} for k, v in counts.items()],
    }


def show_item(session: Session, notify: Notifier, record: MeetingRecord, item: MeetingItem) -> None:
    """Update the item's message in the thread to show where it stands (and, while the meeting is open, note it
    as the item the meeting is on)."""
    if record.closed_at is None:
        record_store.touch(record=record, item=item)
    show_items(session, notify, record, [item])


def show_items(session: Session, notify: Notifier, record: MeetingRecord, items: Sequence[MeetingItem]) -> None:
    """Update each item's message in the thread to show where it stands."""
    record_store.record_posted(session=session, record=record, items=items)  # their ts, once Slack has them
    for item, data in zip(items, items_data(session, record, items), strict=True):
        notify.update_message(record.channel_id, item.ts or "", ITEM_TEMPLATE, data,
                              of=record_store.item_key(record.meeting_id, item.number))


def show_meeting(session: Session, notify: Notifier, board: BoardView, meeting: Meeting, record: MeetingRecord) -> None:
    """Update the meeting's message (who was there; closed, how it ended)."""
    record_store.record_posted(session=session, record=record, items=[])
    notify.update_message(record.channel_id, record.ts or "", MEETING_TEMPLATE,
                          meeting_data(session, board, meeting, record),
                          of=record_store.message_key(record.meeting_id))


def meeting_origin(session: Session, board: BoardView, number: int) -> tuple[int, int]:
    """The meeting under way on the board and its item `number` (`item:4`), which an action recorded now arose
    from; refused when no meeting is open or the item is not on its agenda. (An action that names no item arose
    from the item last given an outcome, a note or a declaration: see `store.actions.create`.)"""
    meeting_id, item_id = record_store.open_origin(session=session, board_id=board.id, number=number)
    if meeting_id is None:
        raise InvalidInput(f"`item:{number}` names an item of the meeting under way, and {board.name} has no "
                           "meeting open.", field="text")
    if item_id is None:
        raise InvalidInput(f"There is no item {number} on the agenda of the meeting under way.", field="text",
                           title="No such item")
    return meeting_id, item_id
