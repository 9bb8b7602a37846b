"""Compiling a meeting's agenda from the forward plan, proposals, standing items and the action log.

The order is fixed (as the board agreed): welcome and apologies; partner updates; minutes and
matters arising (the action review); the forward-plan items; approved proposals; standing items;
any other business; the date of the next meeting. The words for each section live in
templates/docs/_agenda_words.j2, shared by the Slack, Word and Markdown versions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers import reports
from handlers.minutes_data import item_title
from handlers.plan import meeting_data, planned_items
from store import agenda as agenda_store
from store import boards, meetings
from store import meeting_record as record_store
from store import minutes as minutes_store
from store.models import ActionStatus, ItemKind, Meeting, Role
from store.models.views import BoardView
from store.updates import updates_for_meeting


@dataclass
class ReviewAction:
    ref: int
    text: str
    owner_name: str
    owner_id: str
    organisation: str
    due: dt.date | None
    status: str
    last_note: str  # the last note a person wrote
    overdue_days: int
    raised_at_previous: bool
    events: list[str] = field(default_factory=list)  # lspbot's entries since that note: "3 Jun 2019: Reassigned …"
    item_id: int | None = None  # the previous meeting's item that raised it (meeting mode)


@dataclass
class ReviewGroup:
    """The actions raised at the previous meeting by one of its items."""

    minute: str  # its minute number, once the minutes are drafted
    number: int
    title: str
    actions: list[ReviewAction] = field(default_factory=list)


@dataclass
class ActionReview:
    """Item 3: the actions raised at the previous meeting, and every action still open."""

    previous_meeting: dt.date | None
    raised: list[ReviewAction] = field(default_factory=list)
    still_open: list[ReviewAction] = field(default_factory=list)
    groups: list[ReviewGroup] = field(default_factory=list)  # the raised actions with an item, by item
    minutes: dict[str, Any] | None = None  # the previous meeting's minutes: {"date", "status"}

    @property
    def ungrouped(self) -> list[ReviewAction]:
        """The actions the review's table lists: raised without an item, then every other open one."""
        return [a for a in self.raised if a.item_id is None] + self.still_open

    @property
    def overdue(self) -> list[ReviewAction]:
        return [a for a in self.raised + self.still_open if a.overdue_days > 0]

    @property
    def open_count(self) -> int:
        return len(self.still_open) + sum(1 for a in self.raised if a.status == ActionStatus.OPEN.value)

    def highlights(self, limit: int) -> list[ReviewAction]:
        """What a short summary shows first: raised last time, then overdue, then the rest by due date."""
        ordered = self.raised + sorted((a for a in self.still_open if a.overdue_days > 0), key=lambda a: -a.overdue_days)
        ordered += [a for a in self.still_open if a.overdue_days == 0]
        return ordered[:limit]


@dataclass
class PartnerUpdates:
    """Item 2: what each partner organisation sent for the meeting, and who has sent nothing."""

    submitted: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass
class AgendaEntry:
    number: int
    key: str  # welcome, partner_updates, action_review, plan, proposal, standing, aob, next_meeting
    title: str = ""
    lead: str = ""
    kind: str = ""
    ref: str = ""
    note: str = ""


@dataclass
class Agenda:
    board: str
    board_id: int
    channel_id: str
    meeting: dict[str, Any]
    next_meeting: dict[str, Any] | None
    entries: list[AgendaEntry]
    partner_updates: PartnerUpdates
    review: ActionReview
    today: dt.date
    published_version: int | None = None
    published_at: dt.datetime | None = None
    changes: list[str] = field(default_factory=list)

    def snapshot(self) -> dict[str, Any]:
        """What publication records, to tell later drafts what changed."""
        m = self.meeting
        return {
            "meeting": {"date": m["date"].isoformat(), "time": m["time"], "venue": m["venue"], "host": m["host"],
                        "theme": m["theme"]},
            "entries": [{"key": e.key, "title": e.title, "lead": e.lead, "kind": e.kind, "number": e.number,
                         "note": e.note}
                        for e in self.entries if e.key in ("plan", "proposal", "standing")],
            "open_actions": self.review.open_count,
            "missing_updates": list(self.partner_updates.missing),
            "updates": {u["organisation"]: u["text"] for u in self.partner_updates.submitted},
            "actions": {str(a.ref): {"text": a.text, "owner": a.owner_name, "due": a.due.isoformat() if a.due else None,
                                     "status": a.status, "note": a.last_note}
                        for a in self.review.raised + self.review.still_open},
        }


def compile_partner_updates(session: Session, board: BoardView, meeting: Meeting) -> PartnerUpdates:
    """Item 2, partner updates: each organisation's current update, attributed, in the order they first
    arrived ({"organisation", "author", "text", "late"}; late = sent after the agenda was published),
    and the organisations on the board with none."""
    found = updates_for_meeting(session=session, meeting_id=meeting.id)
    return PartnerUpdates(
        submitted=[{"organisation": e.organisation, "author": e.author_name, "text": e.text, "late": e.late}
                   for e in found.entries],
        missing=found.missing,
    )


def compile_action_review(session: Session, board: BoardView, meeting: Meeting, today: dt.date) -> ActionReview:
    """Actions raised at the meeting before this one (whatever their state) and every other still-open action, read
    as plain rows with only what the agenda prints (the Word version lists every one)."""
    previous = meetings.previous_meeting(session=session, board_id=board.id, before=meeting.date)
    previous_id = previous.id if previous else None
    rows = agenda_store.review_rows(session=session, board_id=board.id, previous_meeting_id=previous_id)
    histories = agenda_store.review_histories(
        session=session, action_ids=agenda_store.under_review(board_id=board.id, previous_meeting_id=previous_id))
    tz = ZoneInfo(board.timezone)

    def review(action: agenda_store.ReviewRow) -> ReviewAction:
        history = histories.get(action.id) or agenda_store.ReviewHistory()
        overdue = (today - action.due).days if action.due and action.status == ActionStatus.OPEN else 0
        return ReviewAction(
            ref=action.ref, text=action.text, owner_name=action.owner_name, owner_id=action.owner_slack_id,
            organisation=action.organisation, due=action.due, status=action.status.value, last_note=history.note,
            overdue_days=max(overdue, 0), raised_at_previous=action.raised_at_previous,
            events=[f"{e.at.astimezone(tz):%-d %b %Y}: {e.text}" for e in history.events],
            item_id=action.meeting_item_id if action.raised_at_previous else None,
        )

    raised = [review(a) for a in rows if a.raised_at_previous]
    return ActionReview(previous_meeting=previous.date if previous else None, raised=raised,
                        still_open=[review(a) for a in rows if not a.raised_at_previous],
                        groups=_by_item(session, raised), minutes=_minutes_status(session, previous))


def _by_item(session: Session, raised: list[ReviewAction]) -> list[ReviewGroup]:
    """The raised actions that came from an item of the previous meeting, grouped by it, in the agenda's order."""
    items = minutes_store.items_by_id(session=session, item_ids=sorted({a.item_id for a in raised if a.item_id}))
    groups: dict[int, ReviewGroup] = {}
    for action in raised:
        item = items.get(action.item_id) if action.item_id else None
        if item is None:
            action.item_id = None  # its item is gone: listed with the others
            continue
        group = groups.setdefault(item.id, ReviewGroup(item.minute_number or "", item.number, item_title(item)))
        group.actions.append(action)
    return sorted(groups.values(), key=lambda g: g.number)


def _minutes_status(session: Session, previous: Meeting | None) -> dict[str, Any] | None:
    """Where the previous meeting's minutes stand, when it was held in meeting mode and they are drafted."""
    record = record_store.record_of(session=session, meeting_id=previous.id) if previous else None
    if previous is None or record is None or record.minutes_status is None:
        return None
    return {"date": previous.date, "status": record.minutes_status}


def compile_agenda(session: Session, board: BoardView, meeting: Meeting, today: dt.date) -> Agenda:
    """The agenda of `meeting`, numbered in the board's agreed order."""
    following = meetings.next_meeting(session=session, board_id=board.id, after=meeting.date + dt.timedelta(days=1))
    items = planned_items(session, board, [meeting])[meeting.id]
    chair = boards.members_with_roles(session=session, board_id=board.id, roles=(Role.CHAIR,))
    entries: list[AgendaEntry] = []

    def add(key: str, **kw: Any) -> None:
        entries.append(AgendaEntry(number=len(entries) + 1, key=key, **kw))

    add("welcome", lead=chair[0].display_name if chair else "Chair")
    add("partner_updates")
    add("action_review")
    for item in items:
        if not item.standing and item.kind != ItemKind.STANDING.value:
            carried = item.carried[:1].upper() + item.carried[1:]  # "Deferred from 15 July 2019"
            notes = [f"Report: {item.report_author}" if item.report_author else "", carried]
            add("plan", title=item.title, lead=item.lead, kind=item.kind, ref=item.ref,
                note=" · ".join(n for n in notes if n))
    for proposal in agenda_store.approved_for(session=session, meeting_id=meeting.id):
        add("proposal", title=proposal.title, lead=proposal.lead or proposal.proposer.display_name,
            kind=ItemKind.DISCUSSION.value, ref=f"A{proposal.ref}",
            note=f"Proposed by {proposal.proposer.display_name}")
    for item in items:
        if item.standing or item.kind == ItemKind.STANDING.value:
            add("standing", title=item.title, lead=item.lead, kind=ItemKind.STANDING.value, ref=item.ref,
                note=reports.agenda_note(session=session, board=board, meeting_date=meeting.date, title=item.title))
    add("aob")
    add("next_meeting")
    agenda = Agenda(
        board=board.name, board_id=board.id, channel_id=board.channel_id, meeting=meeting_data(meeting, board),
        next_meeting=meeting_data(following, board) if following else None, entries=entries,
        partner_updates=compile_partner_updates(session, board, meeting),
        review=compile_action_review(session, board, meeting, today), today=today,
    )
    published = agenda_store.latest_publication(session=session, meeting_id=meeting.id)
    if published is not None:
        agenda.published_version = published.version
        agenda.published_at = published.published_at
        agenda.changes = changes_since(published.snapshot, agenda.snapshot())
    return agenda


def changes_since(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Plain sentences naming what differs between a published agenda and the current one."""
    out: list[str] = []
    labels = {"time": "Time", "venue": "Venue", "host": "Host", "theme": "Theme", "date": "Date"}
    for key, label in labels.items():
        old, new = before["meeting"].get(key), after["meeting"].get(key)
        if old != new:
            out.append(f"{label} changed from {old or 'not set'} to {new or 'not set'}.")
    old_items = {(e["key"], e["title"].lower()): e for e in before["entries"]}
    new_items = {(e["key"], e["title"].lower()): e for e in after["entries"]}
    for item_key, entry in new_items.items():
        if item_key not in old_items:
            out.append(f"Added: {entry['number']}. {entry['title']}" + (f" ({entry['lead']})" if entry["lead"] else "") + ".")
        else:
            old = old_items[item_key]
            if old["lead"] != entry["lead"]:
                out.append(f"{entry['title']}: lead changed from {old['lead'] or 'none'} to {entry['lead'] or 'none'}.")
            if old["kind"] != entry["kind"]:
                out.append(f"{entry['title']}: now {entry['kind']} (was {old['kind']}).")
            if "note" in old and old["note"] != entry["note"]:
                out.append(f"{entry['title']}: " + (f"now “{entry['note']}”." if entry["note"] else "note removed."))
    for item_key, entry in old_items.items():
        if item_key not in new_items:
            out.append(f"Removed: {entry['title']}.")
    if before.get("open_actions") != after.get("open_actions"):
        out.append(f"Open actions under review: {before.get('open_actions')} then, {after.get('open_actions')} now.")
    sent = set(before.get("missing_updates", [])) - set(after.get("missing_updates", []))
    if sent:
        out.append("Partner updates since received from: " + ", ".join(sorted(sent)) + ".")
    out += _update_changes(before.get("updates"), after["updates"])
    out += _action_changes(before.get("actions"), after["actions"])
    return out


def _update_changes(before: dict[str, str] | None, after: dict[str, str]) -> list[str]:
    """Partner updates revised since publication (new ones are named with those received, above)."""
    if before is None:  # published before versions recorded the updates' text
        return []
    return [f"Partner update from {org} revised." for org, text in sorted(after.items())
            if org in before and before[org] != text]


def _action_changes(before: dict[str, dict[str, Any]] | None, after: dict[str, dict[str, Any]]) -> list[str]:
    """What changed in the actions under review: added, no longer listed, and each one's status, owner, due date,
    wording and last progress note."""
    if before is None:  # published before versions recorded the actions reviewed
        return []
    out: list[str] = []
    for ref, new in sorted(after.items(), key=lambda kv: int(kv[0])):
        old = before.get(ref)
        if old is None:
            out.append(f"Action #{ref} added to the review: {new['text']}.")
            continue
        if old["status"] != new["status"]:
            out.append(f"Action #{ref}: now {new['status']} (was {old['status']}).")
        if old["owner"] != new["owner"]:
            out.append(f"Action #{ref}: owner changed from {old['owner']} to {new['owner']}.")
        if old["due"] != new["due"]:
            out.append(f"Action #{ref}: due date changed from {_due(old['due'])} to {_due(new['due'])}.")
        if old["text"] != new["text"]:
            out.append(f"Action #{ref}: now reads “{new['text']}”.")
        if old["note"] != new["note"]:
            out.append(f"Action #{ref}: new progress note.")
    out += [f"Action #{ref} no longer under review." for ref in sorted(set(before) - set(after), key=int)]
    return out


def _due(iso: str | None) -> str:
    return f"{dt.date.fromisoformat(iso):%-d %b %Y}" if iso else "none"


def agenda_data(agenda: Agenda, *, summary_limit: int = 10) -> dict[str, Any]:
    """Template data: the agenda's fields (the objects themselves, not copies), plus the review's short list."""
    data = {f.name: getattr(agenda, f.name) for f in fields(agenda)}
    data["overdue_count"] = len(agenda.review.overdue)
    data["open_count"] = agenda.review.open_count
    data["review_highlights"] = agenda.review.highlights(summary_limit)
    data["review_total"] = len(agenda.review.raised) + len(agenda.review.still_open)
    data["review_groups"] = agenda.review.groups  # the actions raised by an item of the previous meeting, by item
    data["review_table"] = agenda.review.ungrouped  # the others
    data["previous_minutes"] = agenda.review.minutes
    return data
