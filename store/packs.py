"""Agenda packs: the PDFs built for a meeting (the pack and its supplements, public and members' versions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import AgendaPack, StoredFile

PUBLIC = "public"
MEMBERS = "members"


def save(*, session: Session, board_id: int, meeting_id: int, number: int, audience: str, file: StoredFile,
         filename: str, pages: int, contents: list[dict[str, Any]], separate: list[dict[str, Any]],
         now: dt.datetime) -> AgendaPack:
    """Record a built pack, replacing an unpublished one of the same number and audience (a rebuild)."""
    pack = session.scalars(select(AgendaPack).where(AgendaPack.meeting_id == meeting_id, AgendaPack.number == number,
                                                    AgendaPack.audience == audience)).first()
    if pack is None:
        pack = AgendaPack(board_id=board_id, meeting_id=meeting_id, number=number, audience=audience)
        session.add(pack)
    elif pack.published_at is not None:
        raise ValueError(f"pack {number} ({audience}) of meeting {meeting_id} is published and cannot be replaced")
    pack.file_id, pack.filename, pack.pages = file.id, filename, pages
    pack.contents, pack.separate, pack.built_at = contents, separate, now
    session.flush()
    return pack


def of_meeting(*, session: Session, meeting_id: int, audience: str | None = None,
               published: bool | None = None) -> list[AgendaPack]:
    """A meeting's packs in order (the pack, then its supplements)."""
    query = select(AgendaPack).where(AgendaPack.meeting_id == meeting_id)
    if audience is not None:
        query = query.where(AgendaPack.audience == audience)
    if published is not None:
        query = query.where(AgendaPack.published_at.is_not(None) if published else AgendaPack.published_at.is_(None))
    return list(session.scalars(query.order_by(AgendaPack.number, AgendaPack.audience)))


def published_main(*, session: Session, meeting_id: int) -> AgendaPack | None:
    """The meeting's published pack (number 0, public audience), if it has been published."""
    return session.scalars(select(AgendaPack).where(AgendaPack.meeting_id == meeting_id, AgendaPack.number == 0,
                                                    AgendaPack.audience == PUBLIC,
                                                    AgendaPack.published_at.is_not(None))).first()


def next_supplement(*, session: Session, meeting_id: int) -> int:
    """The number the meeting's next supplementary pack takes (1, 2, …)."""
    last = session.scalar(select(func.max(AgendaPack.number)).where(AgendaPack.meeting_id == meeting_id))
    return (last or 0) + 1


def get(*, session: Session, pack_id: int) -> AgendaPack | None:
    return session.get(AgendaPack, pack_id)
