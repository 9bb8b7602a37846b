"""The queries of the board's web pages (handlers/web_pages.py): a few rows each, one statement each, for pages
that must answer in a few milliseconds; the papers listed without their files' bytes."""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import AgendaPack, AgendaPublication, Meeting, MeetingItem, MeetingRecord, MinutesStatus, Paper, PlanItem
from store.packs import PUBLIC


def newest_papers(*, session: Session, item_ids: Sequence[int]) -> dict[int, Paper]:
    """The newest paper of each of these items that has one, by item id (the file itself not loaded)."""
    if not item_ids:
        return {}
    newest = (select(Paper.plan_item_id, func.max(Paper.version).label("v"))
              .where(Paper.plan_item_id.in_(list(item_ids))).group_by(Paper.plan_item_id).subquery())
    rows = session.scalars(select(Paper).join(newest, (Paper.plan_item_id == newest.c.plan_item_id)
                                              & (Paper.version == newest.c.v)))
    return {p.plan_item_id: p for p in rows}


def with_public_pack(*, session: Session, meeting_ids: Sequence[int]) -> set[int]:
    """Those of these meetings whose public pack is published (their papers are public)."""
    if not meeting_ids:
        return set()
    return set(session.scalars(select(AgendaPack.meeting_id).where(
        AgendaPack.meeting_id.in_(list(meeting_ids)), AgendaPack.number == 0, AgendaPack.audience == PUBLIC,
        AgendaPack.published_at.is_not(None))))


def with_confirmed_minutes(*, session: Session, meeting_ids: Sequence[int]) -> set[int]:
    """Those of these meetings whose minutes are confirmed."""
    if not meeting_ids:
        return set()
    return set(session.scalars(select(MeetingRecord.meeting_id).where(
        MeetingRecord.meeting_id.in_(list(meeting_ids)),
        MeetingRecord.minutes_status == MinutesStatus.CONFIRMED.value)))


def private_meeting_items(*, session: Session, meeting_id: int) -> set[int]:
    """The items of a meeting (as taken) that came from a confidential plan item."""
    return set(session.scalars(select(MeetingItem.id).join(PlanItem, PlanItem.id == MeetingItem.plan_item_id)
                               .where(MeetingItem.meeting_id == meeting_id, PlanItem.private.is_(True))))


def private_titles(*, session: Session, board_id: int, start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
    """The confidential plan items of the board's meetings from `start` to `end`: (the meeting's date, the title)."""
    return [(day, title) for day, title in session.execute(
        select(Meeting.date, PlanItem.title).join(Meeting, Meeting.id == PlanItem.meeting_id)
        .where(PlanItem.board_id == board_id, PlanItem.private.is_(True), Meeting.date >= start,
               Meeting.date <= end))]


def first_meeting(*, session: Session, board_id: int) -> dt.date | None:
    """The date of the board's first meeting on record."""
    return session.scalar(select(func.min(Meeting.date)).where(Meeting.board_id == board_id))


class PublishedAgenda(NamedTuple):
    version: int
    published_at: dt.datetime
    entries: list[dict[str, Any]]  # as kept (dates tagged: handlers.agenda_record.from_record reads them)


# A publication is not changed once committed, so its entries are read from the database once per process: its
# snapshot also holds every open action and update of the review as they stood (hundreds of kilobytes on a
# busy board), which a page does not need and PostgreSQL would parse again at every request.
_ENTRIES: OrderedDict[tuple[int, int, int, dt.datetime], list[dict[str, Any]]] = OrderedDict()
_ENTRIES_KEPT = 256
_ENTRIES_LOCK = threading.Lock()


def published_agenda(*, session: Session, meeting_id: int) -> PublishedAgenda | None:
    """The entries of the meeting's agenda as last published: the whole agenda's where it was kept (`record`),
    else the items of business only."""
    row = session.execute(
        select(AgendaPublication.id, AgendaPublication.version, AgendaPublication.published_at)
        .where(AgendaPublication.meeting_id == meeting_id).order_by(AgendaPublication.version.desc()).limit(1)).first()
    if row is None:
        return None
    publication_id, version, published_at = row
    key = (publication_id, meeting_id, version, published_at)
    with _ENTRIES_LOCK:
        entries = _ENTRIES.get(key)
        if entries is not None:
            _ENTRIES.move_to_end(key)
    if entries is None:
        snapshot = session.scalar(select(AgendaPublication.snapshot).where(AgendaPublication.id == publication_id))
        snapshot = snapshot or {}
        record = snapshot.get("record")
        entries = record["entries"] if isinstance(record, dict) and "entries" in record else snapshot.get("entries", [])
        with _ENTRIES_LOCK:
            _ENTRIES[key] = entries
            while len(_ENTRIES) > _ENTRIES_KEPT:
                _ENTRIES.popitem(last=False)
    return PublishedAgenda(version, published_at, copy.deepcopy(entries))
