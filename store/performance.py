"""Outcomes and projects a board tracks, and their quarterly returns (one current per item per quarter).

`leads_without_return` is what the scheduler's quarterly chase asks: which items have no
return for a quarter, and whom to ask for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from store.models import Member, Membership, Organisation, PerformanceItem, PerformanceKind, QuarterlyReturn, Rag
from store.models.views import MemberView
from store.versions import NewVersion, is_current, store_version


def create_item(
    *,
    session: Session,
    board_id: int,
    kind: PerformanceKind,
    name: str,
    created_by: str,
    now: dt.datetime,
    lead_organisation: Organisation | None = None,
    lead_member: Member | None = None,
    milestones: Sequence[dict[str, Any]] = (),
) -> PerformanceItem:
    item = PerformanceItem(
        board_id=board_id, kind=kind, name=name, lead_organisation=lead_organisation, lead_member=lead_member,
        milestones=list(milestones), created_by=created_by, created_at=now,
    )
    session.add(item)
    session.flush()
    return item


def list_items(*, session: Session, board_id: int, kind: PerformanceKind | None = None) -> list[PerformanceItem]:
    """Outcomes first, then projects, each in the order they were added."""
    stmt = (
        select(PerformanceItem)
        .options(joinedload(PerformanceItem.lead_organisation),
                 joinedload(PerformanceItem.lead_member))
        .where(PerformanceItem.board_id == board_id)
    )
    if kind is not None:
        stmt = stmt.where(PerformanceItem.kind == kind)
    items = list(session.scalars(stmt.order_by(PerformanceItem.id)))
    return sorted(items, key=lambda i: (i.kind != PerformanceKind.OUTCOME, i.id))


def get_item_by_name(*, session: Session, board_id: int, name: str) -> PerformanceItem | None:
    return session.scalar(
        select(PerformanceItem).where(PerformanceItem.board_id == board_id,
                                      func.lower(PerformanceItem.name) == " ".join(name.split()).lower())
    )


def find_items(*, session: Session, board_id: int, name: str) -> list[PerformanceItem]:
    """The item named exactly (case-insensitive), else every item whose name contains the words given."""
    exact = get_item_by_name(session=session, board_id=board_id, name=name)
    if exact is not None:
        return [exact]
    wanted = " ".join(name.split()).lower()
    return [i for i in list_items(session=session, board_id=board_id) if wanted and wanted in i.name.lower()]


def get_item(*, session: Session, item_id: int) -> PerformanceItem | None:
    return session.get(PerformanceItem, item_id)


def submit_return(
    *,
    session: Session,
    item: PerformanceItem,
    quarter: str,
    rag: Rag,
    commentary: str,
    author: MemberView,
    now: dt.datetime,
) -> NewVersion[QuarterlyReturn]:
    """Store an item's return for a quarter; the latest wins and the earlier one stays in the history."""
    return store_version(
        session=session, model=QuarterlyReturn, scope={"item_id": item.id, "quarter": quarter}, now=now,
        parent=(PerformanceItem, item.id),
        make=lambda _previous: {"item_id": item.id, "quarter": quarter, "rag": rag, "commentary": commentary,
                                "author_id": author.id, "submitted_at": now})


def returns_for(*, session: Session, board_id: int, quarters: Sequence[str]) -> dict[tuple[int, str], QuarterlyReturn]:
    """The current return of every item of a board for the given quarters, by (item id, quarter)."""
    rows = session.scalars(
        select(QuarterlyReturn)
        .options(joinedload(QuarterlyReturn.author))
        .join(PerformanceItem, PerformanceItem.id == QuarterlyReturn.item_id)
        .where(PerformanceItem.board_id == board_id, QuarterlyReturn.quarter.in_(list(quarters)),
               is_current(QuarterlyReturn))
    )
    return {(r.item_id, r.quarter): r for r in rows}


def count_returns(*, session: Session, board_id: int) -> int:
    """How many current returns (one per item and quarter) a board holds, over every quarter."""
    return session.scalar(
        select(func.count(QuarterlyReturn.id))
        .join(PerformanceItem, PerformanceItem.id == QuarterlyReturn.item_id)
        .where(PerformanceItem.board_id == board_id, is_current(QuarterlyReturn))
    ) or 0


def lead_members(*, session: Session, item: PerformanceItem) -> list[Member]:
    """Who answers for an item: a project's lead, or the board's members from an outcome's lead organisation."""
    if item.lead_member_id is not None:  # a lead who has left the board answers for nothing there any more
        on_board = session.scalar(select(Membership.id).where(Membership.board_id == item.board_id,
                                                              Membership.member_id == item.lead_member_id,
                                                              Membership.left_at.is_(None)))
        member = session.get(Member, item.lead_member_id) if on_board is not None else None
        return [member] if member is not None else []
    if item.lead_organisation_id is None:
        return []
    return list(session.scalars(
        select(Member)
        .join(Membership, Membership.member_id == Member.id)
        .where(Membership.board_id == item.board_id, Membership.left_at.is_(None),
               Membership.organisation_id == item.lead_organisation_id)
        .order_by(Member.id)
    ))


def may_return(*, session: Session, item: PerformanceItem, member: MemberView) -> bool:
    """Whether a member answers for the item (its lead, or one of its lead organisation's members)."""
    if item.lead_member_id is not None:
        return item.lead_member_id == member.id
    if item.lead_organisation_id is None:
        return False
    return session.scalar(select(Membership.id).where(
        Membership.board_id == item.board_id, Membership.member_id == member.id, Membership.left_at.is_(None),
        Membership.organisation_id == item.lead_organisation_id)) is not None


@dataclass(frozen=True)
class MissingReturn:
    """An item with no return for a quarter, and whom to ask (empty when no lead sits on the board)."""

    item: PerformanceItem
    leads: list[Member]


def leads_without_return(*, session: Session, board_id: int, quarter: str) -> list[MissingReturn]:
    """Items of a board with no current return for the quarter, with their leads (for the quarterly chase)."""
    returned = set(session.scalars(
        select(QuarterlyReturn.item_id)
        .join(PerformanceItem, PerformanceItem.id == QuarterlyReturn.item_id)
        .where(PerformanceItem.board_id == board_id, QuarterlyReturn.quarter == quarter,
               is_current(QuarterlyReturn))
    ))
    return [
        MissingReturn(item=item, leads=lead_members(session=session, item=item))
        for item in list_items(session=session, board_id=board_id)
        if item.id not in returned
    ]


def projects_led_by(*, session: Session, board_id: int, member_id: int) -> list[PerformanceItem]:
    """The board's items whose lead is this member (projects), in the order they were added."""
    return list(session.scalars(select(PerformanceItem).where(
        PerformanceItem.board_id == board_id, PerformanceItem.lead_member_id == member_id).order_by(PerformanceItem.id)))


def outcomes_only_member_leads(*, session: Session, board_id: int, member: Member) -> list[PerformanceItem]:
    """The board's items led by the member's organisation where the member is that organisation's only one on the
    board (with them gone, nobody would answer for it)."""
    organisation_id = session.scalar(select(Membership.organisation_id).where(
        Membership.board_id == board_id, Membership.member_id == member.id))
    if organisation_id is None:
        return []
    items = list(session.scalars(select(PerformanceItem).where(
        PerformanceItem.board_id == board_id, PerformanceItem.lead_member_id.is_(None),
        PerformanceItem.lead_organisation_id == organisation_id).order_by(PerformanceItem.id)))
    return [i for i in items if [m.id for m in lead_members(session=session, item=i)] == [member.id]]
