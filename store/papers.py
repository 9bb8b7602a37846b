"""Papers: each plan item's paper in every version (the newest is the one the pack carries)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from store.models import Paper, PlanItem, StoredFile


def add_version(*, session: Session, item: PlanItem, file: StoredFile, filename: str, content_type: str,
                pages: int | None, submitted_by: str, submitted_by_id: int | None, now: dt.datetime,
                late: bool = False) -> Paper:
    """Record a new version of the item's paper (version 1, 2, …); the older ones are kept."""
    last = session.scalar(select(func.max(Paper.version)).where(Paper.plan_item_id == item.id)) or 0
    paper = Paper(board_id=item.board_id, plan_item_id=item.id, version=last + 1, file_id=file.id,
                  filename=filename, content_type=content_type, size=file.size, pages=pages,
                  submitted_by=submitted_by, submitted_by_id=submitted_by_id, submitted_at=now, late=late)
    session.add(paper)
    session.flush()
    return paper


def get(*, session: Session, paper_id: int) -> Paper | None:
    return session.get(Paper, paper_id)


def versions(*, session: Session, item_id: int) -> list[Paper]:
    """Every version of an item's paper, newest first."""
    return list(session.scalars(select(Paper).where(Paper.plan_item_id == item_id).order_by(Paper.version.desc())))


def latest_for_items(*, session: Session, item_ids: Sequence[int]) -> dict[int, Paper]:
    """The newest paper of each of these items that has one, by item id (one statement)."""
    if not item_ids:
        return {}
    newest = (select(Paper.plan_item_id, func.max(Paper.version).label("v"))
              .where(Paper.plan_item_id.in_(item_ids)).group_by(Paper.plan_item_id).subquery())
    rows = session.scalars(select(Paper).join(newest, (Paper.plan_item_id == newest.c.plan_item_id)
                                              & (Paper.version == newest.c.v)).options(joinedload(Paper.file)))
    return {p.plan_item_id: p for p in rows}


def for_meeting(*, session: Session, meeting_id: int) -> dict[int, Paper]:
    """The newest paper of each item planned for a meeting, by item id."""
    ids = list(session.scalars(select(PlanItem.id).where(PlanItem.meeting_id == meeting_id)))
    return latest_for_items(session=session, item_ids=ids)
