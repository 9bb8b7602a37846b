"""A meeting held in meeting mode: its record (open or closed), its items as taken, in order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import MeetingItem, MeetingRecord


def open_record(*, session: Session, board_id: int) -> MeetingRecord | None:
    """The board's meeting open now, if one is (there is at most one)."""
    return session.scalar(select(MeetingRecord).where(MeetingRecord.board_id == board_id,
                                                      MeetingRecord.closed_at.is_(None)))


def record_of(*, session: Session, meeting_id: int) -> MeetingRecord | None:
    """The record of a meeting held in meeting mode (open or closed), if it was."""
    return session.scalar(select(MeetingRecord).where(MeetingRecord.meeting_id == meeting_id))


def items_of(*, session: Session, meeting_id: int) -> list[MeetingItem]:
    """A meeting's items as taken, in the agenda's order."""
    return list(session.scalars(select(MeetingItem).where(MeetingItem.meeting_id == meeting_id)
                                .order_by(MeetingItem.number)))


def item_by_number(*, session: Session, meeting_id: int, number: int) -> MeetingItem | None:
    """Item `number` of a meeting's agenda, as taken."""
    return session.scalar(select(MeetingItem).where(MeetingItem.meeting_id == meeting_id,
                                                    MeetingItem.number == number))
