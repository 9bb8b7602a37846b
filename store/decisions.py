"""The decisions register: the items of a board's meetings that have an outcome, newest first."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from store.models import Board, Meeting, MeetingItem, Member, Membership, PlanItem


class DecisionRow(NamedTuple):
    """One decision: the item as taken, its meeting's date, and the plan item's lead links if it came from one."""

    board_id: int
    board: str
    timezone: str
    date: dt.date
    number: int
    minute_number: str | None
    title: str
    lead: str
    outcome: str
    decision: str | None
    lead_links: list[dict[str, Any]]


def decisions(*, session: Session, board_id: int | None = None, start: dt.date | None = None,
              end: dt.date | None = None, text: str | None = None,
              leave_out_private: bool = False) -> list[DecisionRow]:
    """Items with an outcome (of one board, or every board's), newest first (the
    latest meeting, its last item first); `start`/`end` bound the meeting's date (inclusive); `text` is looked for in the title and the decision;
    `leave_out_private`: not the items that came from a confidential plan item (the public web pages)."""
    stmt = (select(MeetingItem.board_id, Board.name, Board.timezone, Meeting.date, MeetingItem.number,
                   MeetingItem.minute_number, MeetingItem.title, MeetingItem.lead, MeetingItem.outcome,
                   MeetingItem.decision, PlanItem.lead_links)
            .join(Meeting, Meeting.id == MeetingItem.meeting_id)
            .join(Board, Board.id == MeetingItem.board_id)
            .outerjoin(PlanItem, PlanItem.id == MeetingItem.plan_item_id)
            .where(MeetingItem.outcome.is_not(None))
            .order_by(Meeting.date.desc(), MeetingItem.number.desc()))
    if board_id is not None:
        stmt = stmt.where(MeetingItem.board_id == board_id)
    if start is not None:
        stmt = stmt.where(Meeting.date >= start)
    if end is not None:
        stmt = stmt.where(Meeting.date <= end)
    if leave_out_private:
        stmt = stmt.where(or_(PlanItem.id.is_(None), PlanItem.private.is_(False)))
    if text:
        needle = text.lower()
        stmt = stmt.where(or_(func.lower(MeetingItem.title).contains(needle, autoescape=True),
                              func.lower(func.coalesce(MeetingItem.decision, "")).contains(needle, autoescape=True)))
    return [DecisionRow(*(list(row[:-1]) + [row[-1] or []])) for row in session.execute(stmt)]


def member_organisations(*, session: Session, board_id: int) -> dict[int, int]:
    """The organisation each member represents (or represented) on the board, by member id."""
    rows = session.execute(select(Membership.member_id, Membership.organisation_id).where(
        Membership.board_id == board_id, Membership.organisation_id.is_not(None)))
    return {member_id: org_id for member_id, org_id in rows if org_id is not None}


def member_names(*, session: Session, board_id: int) -> dict[str, int]:
    """Members of the board (and those who were) by lower-case display name, for leads named by a person."""
    rows = session.execute(select(Member.display_name, Member.id).join(Membership).where(
        Membership.board_id == board_id))
    return {name.casefold(): member_id for name, member_id in rows}
