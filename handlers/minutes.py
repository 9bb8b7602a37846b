"""The minutes of a held meeting: drafted when it ends, edited while a draft, circulated, confirmed (then locked),
corrected only at a later meeting; every version kept. `/meeting minutes …` and what meeting mode calls."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.base import Conflict, Document, Forbidden, InvalidInput, NotFound, Notifier, Request
from handlers.board_rules import board_config
from handlers.minutes_data import draft_content, item_in, minutes_document, revised, view_data
from handlers.record_settings import minute_number
from store import audit, boards
from store import meeting_record as record_store
from store import minutes as minutes_store
from store.models import Meeting, MeetingItem, MeetingRecord, MinutesStatus, MinutesVersion, Role
from store.models.views import BoardView

TEMPLATE = "slack/minutes.json.j2"
NOTE = "slack/minutes_note.json.j2"
SYSTEM = "lspbot"


def name_of(session: Session, slack_user_id: str | None) -> str:
    """A person's name as the minutes print it (lspbot itself when the scheduler acted)."""
    if not slack_user_id or slack_user_id == SYSTEM:
        return SYSTEM
    member = boards.get_member(session=session, slack_user_id=slack_user_id)
    return member.display_name if member else slack_user_id


def meeting_page(notify: Notifier, meeting: Meeting) -> str | None:
    """The address of the meeting's page (on LSPBOT_PUBLIC_URL), which the minutes' messages and documents carry."""
    links = getattr(notify, "links", None)
    return links.meeting(meeting.board.slug, meeting.date) if links is not None else None


def keep_version(session: Session, notify: Notifier, record: MeetingRecord, content: dict[str, Any], kind: str,
                 by: str, now: dt.datetime, *, note: str | None = None,
                 at_meeting_id: int | None = None) -> tuple[MinutesVersion, Document]:
    """Keep the next version of a meeting's minutes (its Markdown with it) and the document it makes."""
    last = minutes_store.latest_version(session=session, meeting_id=record.meeting_id)
    number = (last.version + 1) if last else 1
    document = minutes_document(content, number, kind, meeting_page(notify, record.meeting))
    version = minutes_store.add_version(session=session, meeting_id=record.meeting_id, kind=kind, content=content,
                                        markdown=notify.markdown(document), by=by, now=now, note=note,
                                        at_meeting_id=at_meeting_id)
    audit.record(session=session, at=now, actor=by, entity="minutes", entity_id=version.id, operation=kind,
                 after={"meeting": content["meeting"]["date"], "version": number, "note": note})
    return version, document


def _send(notify: Notifier, members: list[Any], data: dict[str, Any], document: Document, key: str) -> None:
    for member in members:
        notify.to_user(member.slack_user_id, TEMPLATE, data, key=f"{key}:{member.id}")
    # The Word file is rendered once for everyone (a circulation goes to every member, inside the command).
    notify.document_to_users([(m.slack_user_id, f"{key}:{m.id}:file") for m in members], document)


def draft_minutes(session: Session, notify: Notifier, board: BoardView, meeting: Meeting, now: dt.datetime, *,
                  by: str = SYSTEM) -> MinutesVersion:
    """Draft the minutes of a meeting just ended: number its items in the board's sequence, keep version 1 and send
    the secretariat and the chair the draft (Block Kit, Word, Markdown). Once only: a second call returns the
    latest version and sends nothing."""
    record = record_store.record_of(session=session, meeting_id=meeting.id)
    if record is None:
        raise NotFound(f"The meeting on {meeting.date:%A %-d %B %Y} was not held in meeting mode, so it has no "
                       "record to draft minutes from.")
    minutes_store.lock_record(session=session, record=record)
    if record.minutes_status is not None:
        found = minutes_store.latest_version(session=session, meeting_id=meeting.id)
        if found is not None:
            return found
    items = record_store.items_of(session=session, meeting_id=meeting.id)
    pattern = board_config(board).minute_format
    year = meeting.date.year
    seq = minutes_store.next_minute_seq(session=session, board_id=board.id, year=year)
    for item in items:
        if item.minute_number is None:
            item.minute_year, item.minute_seq = year, seq
            item.minute_number = minute_number(pattern, board.name, year, seq)
            seq += 1
    session.flush()
    content = draft_content(session, board, meeting, record, items)
    for item, entry in zip(items, content["items"], strict=True):
        item.summary = entry["summary"]
    version, document = keep_version(session, notify, record, content, "drafted", by, now)
    record.minutes_status = MinutesStatus.DRAFT.value
    record.minutes_drafted_at = now
    readers = boards.members_with_roles(session=session, board_id=board.id, roles=(Role.SECRETARIAT, Role.CHAIR))
    data = dict(view_data(content, version.version, version.kind), intro="draft",
                web_url=meeting_page(notify, meeting))
    _send(notify, readers, data, document, f"minutes-draft:{meeting.id}")
    return version


def refuse_if_confirmed(session: Session, record: MeetingRecord, meeting: Meeting, example: str) -> None:
    """Confirmed minutes are locked: a change is a correction recorded at a later meeting."""
    if record.minutes_status == MinutesStatus.CONFIRMED.value and record.confirmed_at is not None:
        tz = ZoneInfo(meeting.board.timezone)
        raise Conflict(f"The minutes of {meeting.date:%-d %B %Y} were confirmed on "
                       f"{record.confirmed_at.astimezone(tz):%-d %B %Y} by {name_of(session, record.confirmed_by)}; "
                       "record a correction at a later meeting.", examples=[example], title="Minutes confirmed")


def confirm_minutes(session: Session, notify: Notifier, board: BoardView, record: MeetingRecord, meeting: Meeting,
                    by: str, now: dt.datetime, *, at_meeting: Meeting | None = None) -> MinutesVersion:
    """Confirm (and lock) a meeting's minutes: who and when, and the meeting at which, when there is one."""
    minutes_store.lock_record(session=session, record=record)
    refuse_if_confirmed(session, record, meeting, f"/meeting minutes versions {meeting.date.isoformat()}")
    latest = minutes_store.latest_version(session=session, meeting_id=meeting.id)
    if latest is None:
        raise NotFound(f"The meeting on {meeting.date:%-d %B %Y} has no minutes yet.")
    today = now.astimezone(ZoneInfo(board.timezone)).date()
    confirmed = {"by": name_of(session, by), "on": today.isoformat(),
                 "meeting": at_meeting.date.isoformat() if at_meeting else None}
    content = revised(latest.content, status=MinutesStatus.CONFIRMED.value, confirmed=confirmed)
    version, _ = keep_version(session, notify, record, content, "confirmed", by, now,
                              at_meeting_id=at_meeting.id if at_meeting else None)
    record.minutes_status = MinutesStatus.CONFIRMED.value
    record.confirmed_at, record.confirmed_by = now, by
    record.confirmed_at_meeting_id = at_meeting.id if at_meeting else None
    where = f" at the meeting of {at_meeting.date:%-d %B %Y}" if at_meeting else ""
    notify.to_channel(board.channel_id, NOTE, {"icon": ":lock:", "text": (
        f"The minutes of {meeting.date:%-d %B %Y} were confirmed{where} by {confirmed['by']}, and are now "
        "locked."), "url": meeting_page(notify, meeting)}, key=f"minutes-confirmed:{meeting.id}")
    return version


def confirm_previous_minutes(session: Session, notify: Notifier, board: BoardView, meeting_open: Meeting, by: str,
                             now: dt.datetime) -> MinutesVersion | None:
    """Meeting mode's "Minutes of the last meeting" agreed: confirm the previous meeting's minutes at this one.
    None when there are none to confirm (none drafted, or already confirmed)."""
    found = minutes_store.record_before(session=session, board_id=board.id, before=meeting_open.date)
    if found is None or found[0].minutes_status == MinutesStatus.CONFIRMED.value:
        return None
    record, meeting = found
    return confirm_minutes(session, notify, board, record, meeting, by, now, at_meeting=meeting_open)


def circulate_minutes(session: Session, notify: Notifier, board: BoardView, record: MeetingRecord, meeting: Meeting,
                      by: str, now: dt.datetime) -> MinutesVersion:
    """Send the latest minutes to every member of the board, and keep them as the circulated version."""
    minutes_store.lock_record(session=session, record=record)
    refuse_if_confirmed(session, record, meeting, f"/meeting minutes {meeting.date.isoformat()}")
    latest = minutes_store.latest_version(session=session, meeting_id=meeting.id)
    if latest is None:
        raise NotFound(f"The meeting on {meeting.date:%-d %B %Y} has no minutes yet.")
    if latest.kind == "circulated":
        sent = latest.created_at.astimezone(ZoneInfo(board.timezone))
        raise Conflict(f"These minutes were circulated on {sent:%-d %B %Y} by {name_of(session, latest.created_by)}, "
                       "and have not changed since.",
                       title="Already circulated")
    today = now.astimezone(ZoneInfo(board.timezone)).date()
    content = revised(latest.content, status=MinutesStatus.CIRCULATED.value,
                      circulated={"by": name_of(session, by), "on": today.isoformat()})
    version, document = keep_version(session, notify, record, content, "circulated", by, now)
    record.minutes_status = MinutesStatus.CIRCULATED.value
    record.circulated_at, record.circulated_by = now, by
    members = [m.member for m in boards.list_members(session=session, board_id=board.id) if m.left_at is None]
    data = dict(view_data(content, version.version, version.kind), intro="circulated",
                web_url=meeting_page(notify, meeting))
    _send(notify, members, data, document, f"minutes-circulated:{meeting.id}:v{version.version}")
    return version


def edit_minute(session: Session, notify: Notifier, record: MeetingRecord, meeting: Meeting, item: MeetingItem,
                text: str, note: str, by: str, now: dt.datetime) -> MinutesVersion:
    """A minute's new text, kept as a new version (only while the minutes are not confirmed)."""
    minutes_store.lock_record(session=session, record=record)
    refuse_if_confirmed(session, record, meeting,
                        f'/meeting minutes correct {item.minute_number} "<the correction>"')
    latest = minutes_store.latest_version(session=session, meeting_id=meeting.id)
    if latest is None:
        raise NotFound(f"The meeting on {meeting.date:%-d %B %Y} has no minutes yet.")
    if (item.summary or "") == text:
        raise Conflict(f"That is the text {item.minute_number} already has, so nothing changed.",
                       title="Unchanged", field="text")
    content = revised(latest.content)
    item_in(content, item.id)["summary"] = text
    item.summary = text
    version, _ = keep_version(session, notify, record, content, "edited", by, now,
                              note=note or f"{item.minute_number}: the minute's text edited")
    return version


def correct_minute(session: Session, notify: Notifier, record: MeetingRecord, meeting: Meeting, item: MeetingItem,
                   text: str, at_meeting: Meeting, by: str, now: dt.datetime) -> MinutesVersion:
    """A correction of confirmed minutes, recorded at a later meeting and shown beside the original minute."""
    minutes_store.lock_record(session=session, record=record)
    if record.minutes_status != MinutesStatus.CONFIRMED.value:
        raise InvalidInput(f"The minutes of {meeting.date:%-d %B %Y} are not confirmed yet: edit the minute "
                           "instead.", examples=[f"/meeting minutes edit {item.minute_number}"])
    latest = minutes_store.latest_version(session=session, meeting_id=meeting.id)
    assert latest is not None  # confirmed minutes have versions
    content = revised(latest.content)
    item_in(content, item.id)["corrections"].append({
        "text": text, "at": at_meeting.date.isoformat(), "by": name_of(session, by), "recorded": now.isoformat()})
    version, _ = keep_version(session, notify, record, content, "corrected", by, now,
                              note=f"{item.minute_number}: {text}", at_meeting_id=at_meeting.id)
    return version


def may_circulate(req: Request) -> None:
    """The chair or the secretariat (or an admin) circulates the minutes."""
    actor = req.actor
    if not (actor.is_admin or actor.role in (Role.CHAIR, Role.SECRETARIAT)):
        raise Forbidden(f"Only the chair or secretariat of {actor.board.name} can circulate the minutes.")
