"""`/meeting`: the meeting itself, run in the board's channel (or the console) by the chair and secretariat.

`/meeting start` opens the meeting: its message in the board's channel (with Present/apologies) and, in that
message's thread, one message per agenda item in the published order, each with Declaration, Outcome, Add action
and Note. `/meeting end` (or the close-meetings job, for a meeting left open at the end of its day) closes it:
items of the forward plan or proposals that were deferred, or not reached, are carried to the next meeting's plan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from handlers.agenda_compile import compile_agenda
from handlers.agenda_record import from_record
from handlers.base import Conflict, NotFound, Notifier, Reply, Request
from handlers.meeting_view import (
    FIXED_TITLES,
    ITEM_TEMPLATE,
    MEETING_TEMPLATE,
    NOTE_TEMPLATE,
    item_title,
    items_data,
    meeting_data,
    open_meeting,
    show_items,
    show_meeting,
    when,
)
from handlers.minutes import draft_minutes
from handlers.plan import existing_meeting, parse_meeting_date
from handlers.registry import Command, Topic, Who
from store import agenda as agenda_store
from store import audit, meetings
from store import meeting_record as record_store
from store import plan as plan_store
from store.models import Meeting, MeetingItem, MeetingRecord, Outcome, PlanItem
from store.models.views import BoardView

TOPIC = Topic("meeting", "The meeting and its record", aliases=("meetings", "minutes", "attendance", "interests",
                                                                   "decisions"),
              note="Members reply whether they are coming and keep their interests up to date; the chair, "
                   "vice-chair and secretariat run the meeting and its minutes.")
CARRIED_KEYS = ("plan", "proposal")  # the items carried forward when deferred or not reached (the rest recur)
SCHEDULER = "lspbot"  # who closed a meeting the scheduler closed


# ---------------------------------------------------------------- start


def _meeting_to_start(req: Request, board: BoardView) -> Meeting:
    phrase = " ".join(a.value for a in req.parsed.args)
    if phrase:
        return existing_meeting(req, board, parse_meeting_date(req, board, phrase), future=False)
    today = req.today(board.timezone)
    found = meetings.get_by_date(session=req.session, board_id=board.id, date=today)
    if found is None:
        upcoming = meetings.next_meeting(session=req.session, board_id=board.id, after=today)
        example = f"/meeting start {upcoming.date.isoformat()}" if upcoming else "/meeting start 2019-10-10"
        raise NotFound(f"{board.name} has no meeting today ({when(today)}). Name the meeting's date.",
                       examples=[example])
    return found


def agenda_items(req: Request, board: BoardView, meeting: Meeting) -> list[dict[str, Any]]:
    """The meeting's items in the order of its agenda as last published (the board saw that one), else as
    compiled now; each as a `meeting_items` row's values."""
    published = agenda_store.latest_publication(session=req.session, meeting_id=meeting.id)
    if published is not None and "record" in published.snapshot:
        entries = [dict(e) for e in from_record(published.snapshot["record"])["entries"]]
    else:
        agenda = compile_agenda(req.session, board, meeting, req.today(board.timezone))
        entries = [{"number": e.number, "key": e.key, "title": e.title, "lead": e.lead, "kind": e.kind,
                    "ref": e.ref} for e in agenda.entries]
    rows = []
    for e in entries:
        ref = str(e.get("ref") or "")
        plan_item = None
        if e["key"] == "plan" and ref[:1] == "P" and ref[1:].isdigit():
            plan_item = plan_store.get_item(session=req.session, board_id=board.id, ref=int(ref[1:]))
        rows.append({"number": int(e["number"]), "key": e["key"][:20],
                     "title": (e.get("title") or FIXED_TITLES.get(e["key"], ""))[:300],
                     "lead": (e.get("lead") or "")[:300], "kind": (e.get("kind") or "")[:20], "ref": ref[:20],
                     "plan_item_id": plan_item.id if plan_item else None})
    return rows


def handle_meeting_start(req: Request) -> Reply:
    """Open the meeting: its message in the board's channel and one message per item in its thread."""
    board = req.board
    meeting = _meeting_to_start(req, board)
    held = record_store.record_of(session=req.session, meeting_id=meeting.id)
    if held is not None:
        state = "is open now" if held.closed_at is None else "was held already"
        raise Conflict(f"The meeting of {when(meeting.date)} {state}: it can be opened once.",
                       title="Already opened" if held.closed_at is None else "Already held")
    other = record_store.open_record(session=req.session, board_id=board.id)
    if other is not None:
        raise Conflict(f"The meeting of {when(other.meeting.date)} is still open: end it with `/meeting end` first. "
                       f"A board runs one meeting at a time.", examples=["/meeting end"], title="A meeting is open")
    items = agenda_items(req, board, meeting)
    record = record_store.open_meeting(session=req.session, board_id=board.id, meeting_id=meeting.id,
                                       by=req.user_id, now=req.now(), channel_id=board.channel_id)
    if record is None:  # opened by someone else a moment ago (another replica)
        raise Conflict(f"A meeting of {board.name} was opened a moment ago by someone else, so this one was not.",
                       title="A meeting is open")
    record.meeting = meeting
    rows = record_store.add_items(session=req.session, record=record, items=items)
    key = record_store.message_key(meeting.id)
    req.notify.to_channel(board.channel_id, MEETING_TEMPLATE, meeting_data(req.session, board, meeting, record),
                          key=key)
    # In the agenda's order: the outbox sends a channel's messages in the order queued.
    for item, data in zip(rows, items_data(req.session, record, rows), strict=True):
        req.notify.to_channel(board.channel_id, ITEM_TEMPLATE, data, key=record_store.item_key(meeting.id, item.number),
                              thread_of=key)
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="meeting_record", entity_id=record.id,
                 operation="open", after={"meeting": meeting.date.isoformat(), "items": len(rows)})
    return Reply(NOTE_TEMPLATE, {"icon": ":large_green_circle:", "channel": board.channel_id, "text": (
        f"Opened the meeting of {when(meeting.date)}: its {len(rows)} items are in the thread of its message in")})


# ---------------------------------------------------------------- end


@dataclass
class Closed:
    """What closing a meeting did: the items carried to the next meeting (or left, with none planned)."""

    carried: list[tuple[MeetingItem, str]] = field(default_factory=list)  # (item, why)
    next_meeting: Meeting | None = None
    counts: dict[str, int] = field(default_factory=dict)


def close_meeting(session: Session, notify: Notifier, board: BoardView, record: MeetingRecord, *, by: str,
                  now: dt.datetime) -> Closed:
    """Close an open meeting (the command and the job): carry deferred and unreached items forward, take the
    buttons off its messages, and start its minutes."""
    meeting = record.meeting
    record_store.close_meeting(record=record, by=by, now=now)
    items = record_store.items_of(session=session, meeting_id=meeting.id)
    record_store.record_posted(session=session, record=record, items=items)
    closed = Closed(next_meeting=meetings.next_meeting(session=session, board_id=board.id,
                                                       after=meeting.date + dt.timedelta(days=1)))
    for item in items:
        label = item.outcome or "not reached"
        closed.counts[label] = closed.counts.get(label, 0) + 1
        if item.key in CARRIED_KEYS and item.outcome in (None, Outcome.DEFERRED.value):
            why = "deferred" if item.outcome else "not reached"
            closed.carried.append((item, why))
            if closed.next_meeting is not None:
                carry_forward(session, notify, board, meeting, item, why, closed.next_meeting, now)
    show_items(session, notify, record, items)
    show_meeting(session, notify, board, meeting, record)
    audit.record(session=session, at=now, actor=by, entity="meeting_record", entity_id=record.id, operation="close",
                 after={"meeting": meeting.date.isoformat(), "outcomes": closed.counts,
                        "carried": [item.number for item, _ in closed.carried]})
    draft_minutes(session, notify, board, meeting, now, by=by)  # the secretariat and the chair get the draft
    return closed


def carry_forward(session: Session, notify: Notifier, board: BoardView, meeting: Meeting, item: MeetingItem, why: str,
                  to: Meeting, now: dt.datetime) -> PlanItem:
    """A new item on the next meeting's plan with the item's history ("deferred from 15 July 2019"); its lead is
    told when the lead names a member."""
    before = session.get(PlanItem, item.plan_item_id) if item.plan_item_id else None
    title = item_title(item)
    links = plan_store.link_lead(session=session, board=board, lead=item.lead)
    carried = plan_store.add_item(session=session, board_id=board.id, meeting=to, title=title, lead=item.lead,
                                  lead_links=links, kind=item.kind or "for discussion", now=now,
                                  report_author=before.report_author if before else None)
    carried.history = [*(before.history if before else []), {"from": meeting.date.isoformat(), "why": why}]
    item.carried_to_id = carried.id
    audit.record(session=session, at=now, actor=SCHEDULER, entity="plan_item", entity_id=carried.id,
                 operation="carry", after={"title": title, "from": meeting.date.isoformat(), "why": why,
                                           "to": to.date.isoformat()})
    data = {"board": board.name, "title": title, "why": why, "held_on": meeting.date, "to": to.date,
            "ref": f"P{carried.ref}"}
    for link in links:
        if link.get("kind") == "member" and link.get("slack_user_id"):
            notify.to_user(link["slack_user_id"], "slack/meeting_carried.json.j2", data,
                           key=f"meeting-carried:{item.id}:{link['slack_user_id']}")
    return carried


def handle_meeting_end(req: Request) -> Reply:
    """Close the board's open meeting."""
    board = req.board
    record = record_store.lock_record(session=req.session, record=open_meeting(req, board))
    if record is None:
        raise Conflict("The meeting was closed a moment ago by someone else.", title="Already closed")
    closed = close_meeting(req.session, req.notify, board, record, by=req.user_id, now=req.now())
    said = ", ".join(f"{n} {outcome}" for outcome, n in closed.counts.items()) or "no items"
    text = f"Closed the meeting of {when(record.meeting.date)}: {said}."
    if closed.carried and closed.next_meeting is not None:
        text += (f" Carried to the meeting of {when(closed.next_meeting.date)}: "
                 + ", ".join(f"“{item_title(i)}” ({why})" for i, why in closed.carried) + ".")
    elif closed.carried:
        text += (" No next meeting is planned, so these were not carried forward: "
                 + ", ".join(f"“{item_title(i)}”" for i, _ in closed.carried)
                 + ". Add the next meeting with `/plan meeting add`, then the items with `/plan item add`.")
    return Reply(NOTE_TEMPLATE, {"icon": ":checkered_flag:", "text": text})


# ---------------------------------------------------------------- declarations

COMMANDS = (
    Command("/meeting", ("start",), handle_meeting_start, who=Who.MANAGERS, doing="open a meeting", parsed=True,
            usage="/meeting start [date]", summary="open today's (or the named) meeting: its message in the board's "
            "channel and one message per agenda item in its thread", examples=("/meeting start 2019-10-10",)),
    Command("/meeting", ("end",), handle_meeting_end, who=Who.MANAGERS, doing="close a meeting", usage="/meeting end",
            summary="close the open meeting; items deferred or not reached go to the next meeting's plan"),
)
