"""Queries for email's side of delivery: a Slack DM that failed for good, whom to tell, and an email queued in its
place."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from store import outbox as outbox_store

from store.models import Board, Member, Membership, OutboxMessage, Role



def outbox_key(*, session: Session, message_id: int) -> str | None:
    """The key of an outbox message."""
    return session.scalar(select(OutboxMessage.key).where(OutboxMessage.id == message_id))


def has_message(*, session: Session, key: str) -> bool:
    """Whether a message with this key is in the outbox."""
    return session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None


def mark_dm_failed(*, session: Session, member_id: int, reason: str, now: dt.datetime) -> bool:
    """Record that Slack refused a DM to this member for good, unless that is recorded already; True if this
    recorded it (one statement, so two senders failing at once record it once)."""
    result = session.execute(update(Member)
                             .where(Member.id == member_id, Member.dm_failed_at.is_(None))
                             .values(dm_failed_at=now, dm_failed_reason=reason[:200]),
                             execution_options={"synchronize_session": "fetch"})
    return bool(cast(CursorResult[Any], result).rowcount)


def board_contacts(*, session: Session, member_id: int) -> list[tuple[Member, list[str]]]:
    """Whom to tell about a member: the secretariat of each board they are on (its chair where it has none), each
    person once with the names of those boards, the member themself left out."""
    boards = session.scalars(select(Board).join(Membership).where(Membership.member_id == member_id,
                                                                  Membership.left_at.is_(None))
                             .order_by(Board.name)).all()
    told: dict[int, tuple[Member, list[str]]] = {}
    for board in boards:
        for roles in ((Role.SECRETARIAT,), (Role.CHAIR,)):
            people = session.scalars(select(Member).join(Membership)
                                     .where(Membership.board_id == board.id, Membership.role.in_(roles),
                                            Membership.left_at.is_(None), Member.id != member_id)
                                     .order_by(Member.id)).all()
            if people:
                for person in people:
                    told.setdefault(person.id, (person, []))[1].append(board.name)
                break
    return list(told.values())


def queue_email(*, session: Session, key: str, address: str, payload: dict[str, Any], now: dt.datetime,
                due: dt.datetime | None = None) -> bool:
    """Queue an email (bot.email.compose's payload) to one address; True if queued (a key queued before is not)."""
    return outbox_store.enqueue(session=session, key=key, target_kind=outbox_store.EMAIL, target=address,
                                payload=payload, now=now, due=due)
