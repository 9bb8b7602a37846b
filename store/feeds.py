"""Members' secret calendar feeds (`/plan ics feed`): one live token per member and board."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import CalendarFeed


def current(*, session: Session, board_id: int, member_id: int) -> CalendarFeed | None:
    return session.scalars(select(CalendarFeed).where(CalendarFeed.board_id == board_id,
                                                      CalendarFeed.member_id == member_id,
                                                      CalendarFeed.revoked_at.is_(None))).first()


def issue(*, session: Session, board_id: int, member_id: int, now: dt.datetime) -> CalendarFeed:
    """The member's live feed, made if they have none."""
    feed = current(session=session, board_id=board_id, member_id=member_id)
    if feed is None:
        feed = CalendarFeed(board_id=board_id, member_id=member_id, token=secrets.token_urlsafe(32), created_at=now)
        session.add(feed)
        session.flush()
    return feed


def reset(*, session: Session, board_id: int, member_id: int, now: dt.datetime) -> CalendarFeed:
    """Revoke the member's feed (its address stops working) and issue another."""
    old = current(session=session, board_id=board_id, member_id=member_id)
    if old is not None:
        old.revoked_at = now
        session.flush()
    return issue(session=session, board_id=board_id, member_id=member_id, now=now)


def by_token(*, session: Session, token: str) -> CalendarFeed | None:
    """A live feed by its secret token (None if unknown or revoked)."""
    return session.scalars(select(CalendarFeed).where(CalendarFeed.token == token,
                                                      CalendarFeed.revoked_at.is_(None))).first()
