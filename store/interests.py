"""The register of interests: each board's entries, by member, kept when removed (with `removed_at`) so the
register's history stays."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from store import boards
from store.db import fresh, lock_rows
from store.models import AuditRecord, Board, Interest, Membership
from store.models.views import MemberView


def declare(*, session: Session, board_id: int, member: MemberView, interest: str, kind: str,
            now: dt.datetime) -> Interest:
    """Add an entry under the board's next ref (I1, I2, …); the board is locked so two declarations at once
    take different refs."""
    lock_rows(session, Board, Board.id == board_id)
    ref = (session.scalar(select(func.max(Interest.ref)).where(Interest.board_id == board_id)) or 0) + 1
    entry = Interest(board_id=board_id, member_id=member.id, ref=ref, interest=interest, kind=kind,
                     declared_at=now)
    session.add(entry)
    session.flush()
    entry.member = boards.member_for_change(session=session, member=member)
    return entry


def get_by_ref(*, session: Session, board_id: int, ref: int, for_update: bool = False) -> Interest | None:
    """The board's entry I<ref> (removed or not), its member loaded; `for_update`: locked until commit."""
    if for_update:
        lock_rows(session, Interest, Interest.board_id == board_id, Interest.ref == ref)
    stmt = select(Interest).options(joinedload(Interest.member)).where(Interest.board_id == board_id,
                                                                       Interest.ref == ref)
    return session.scalar(fresh(stmt) if for_update else stmt)


def remove(*, entry: Interest, now: dt.datetime) -> None:
    """Take an entry off the register; the row stays, with when it was removed."""
    entry.removed_at = now


def current_of(*, session: Session, board_id: int, member_id: int) -> list[Interest]:
    """A member's entries on the board's register now, in the order declared."""
    return list(session.scalars(select(Interest).where(
        Interest.board_id == board_id, Interest.member_id == member_id, Interest.removed_at.is_(None))
        .order_by(Interest.ref)))


def current_on_board(*, session: Session, board_id: int) -> list[Interest]:
    """Every entry on the board's register now (members loaded), in the order declared."""
    return list(session.scalars(select(Interest).options(joinedload(Interest.member)).where(
        Interest.board_id == board_id, Interest.removed_at.is_(None)).order_by(Interest.ref)))


def confirm(*, session: Session, board_id: int, member_id: int, now: dt.datetime) -> int:
    """Mark a member's current entries confirmed now; how many there are."""
    result = session.execute(update(Interest).where(
        Interest.board_id == board_id, Interest.member_id == member_id, Interest.removed_at.is_(None))
        .values(confirmed_at=now).execution_options(synchronize_session="fetch"))
    return int(getattr(result, "rowcount", 0) or 0)


CONFIRM_ENTITY = "interests"  # the audit records of confirmations: entity_id the member, `after` the board


def confirmations(*, session: Session, board_id: int) -> dict[int, dt.datetime]:
    """When each member last confirmed their entries on the board (with nothing to declare too), by member id."""
    members = select(Membership.member_id).where(Membership.board_id == board_id)
    rows = session.execute(select(AuditRecord.entity_id, AuditRecord.at, AuditRecord.after).where(
        AuditRecord.entity == CONFIRM_ENTITY, AuditRecord.operation == "confirm", AuditRecord.entity_id.in_(members)))
    last: dict[int, dt.datetime] = {}
    for member_id, at, after in rows:
        if member_id is not None and (after or {}).get("board_id") == board_id:
            last[member_id] = max(at, last.get(member_id, at))
    return last
