"""Forward-plan queries: items per meeting, standing items, cadence settings, lead linking."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session, joinedload

from store import boards
from store.meetings import MeetingLine
from store.models import Board, Meeting, Member, Membership, Organisation, PlanItem, Role, StandingItem
from store.models.views import BoardView
from store.rows import read_rows

CADENCE_KEY = "plan"


def cadence(board: BoardView) -> dict[str, Any]:
    """The board's meeting cadence: {"rrule", "time", "venue", "duration"} (missing keys unset)."""
    return dict((board.settings or {}).get(CADENCE_KEY) or {})


def set_cadence(*, session: Session, board: BoardView, values: dict[str, Any]) -> Board:
    """Change the board's cadence; the board as changed."""
    changed = boards.for_change(session=session, board=board)
    settings = dict(changed.settings or {})
    settings[CADENCE_KEY] = {**cadence(changed), **values}
    changed.settings = settings  # a new dict, so the JSON column is seen as changed
    session.flush()
    return changed


def _next_ref(session: Session, model: type[PlanItem] | type[StandingItem], board_id: int) -> int:
    """The next per-board reference number (P4, S2, A7) of a model with `ref` and `board_id` columns."""
    return (session.scalar(select(func.max(model.ref)).where(model.board_id == board_id)) or 0) + 1


def items_for_meetings(*, session: Session, meeting_ids: Sequence[int]) -> dict[int, list[PlanItem]]:
    """Plan items of each meeting, in their order."""
    out: dict[int, list[PlanItem]] = {mid: [] for mid in meeting_ids}
    if not meeting_ids:
        return out
    rows = session.scalars(
        select(PlanItem).where(PlanItem.meeting_id.in_(list(meeting_ids))).order_by(PlanItem.position, PlanItem.id)
    )
    for item in rows:
        out[item.meeting_id].append(item)
    return out


class PlanLine(NamedTuple):
    """A meeting's plan item as the plan and the agenda show it (handlers.plan.planned_items): its columns and
    its paper's author's name, read as plain rows rather than ORM entities."""

    meeting_id: int
    ref: int
    title: str
    lead: str
    kind: str
    report_author: str | None
    lead_links: list[dict[str, Any]]
    history: list[dict[str, Any]] | None
    paper_required: bool
    paper_author: str | None  # the display name of the member who writes the paper
    private: bool
    private_reason: str | None
    urgent_reason: str | None


class StandingLine(NamedTuple):
    """A standing item as the plan shows it, read as a plain row."""

    ref: int
    title: str
    lead: str
    kind: str
    lead_links: list[dict[str, Any]]
    every: int
    starts_on: dt.date


# Built once (every view of the plan reads them): building a statement cost more than the database running it.
_PLAN_LINES = (select(PlanItem.meeting_id, PlanItem.ref, PlanItem.title, PlanItem.lead, PlanItem.kind,
                      PlanItem.report_author, PlanItem.lead_links, PlanItem.history, PlanItem.paper_required,
                      Member.display_name, PlanItem.private, PlanItem.private_reason, PlanItem.urgent_reason)
               .outerjoin(Member, Member.id == PlanItem.paper_author_id)
               .where(PlanItem.meeting_id.in_(bindparam("meetings", expanding=True)))
               .order_by(PlanItem.position, PlanItem.id))
_STANDING_LINES = (select(StandingItem.ref, StandingItem.title, StandingItem.lead, StandingItem.kind,
                          StandingItem.lead_links, StandingItem.every, StandingItem.starts_on)
                   .where(StandingItem.board_id == bindparam("board")).order_by(StandingItem.ref))
_MEETING_DATES = (select(Meeting.id, Meeting.date)
                  .where(Meeting.board_id == bindparam("board"), Meeting.date >= bindparam("first"),
                         Meeting.date <= bindparam("last"))
                  .order_by(Meeting.date))


def plan_lines(*, session: Session, meeting_ids: Sequence[int]) -> dict[int, list[PlanLine]]:
    """Plan items of each meeting, in their order, as the plan shows them."""
    out: dict[int, list[PlanLine]] = {mid: [] for mid in meeting_ids}
    if meeting_ids:
        for row in read_rows(session, _PLAN_LINES, {"meetings": list(meeting_ids)}):
            out[row[0]].append(PlanLine._make(row))
    return out


def get_item(*, session: Session, board_id: int, ref: int) -> PlanItem | None:
    return session.scalar(
        select(PlanItem).options(joinedload(PlanItem.meeting)).where(PlanItem.board_id == board_id, PlanItem.ref == ref)
    )


def find_item(*, session: Session, meeting_id: int, title: str) -> PlanItem | None:
    """An item of the meeting with this title (case-insensitive), for idempotent imports."""
    return session.scalar(
        select(PlanItem).where(PlanItem.meeting_id == meeting_id, func.lower(PlanItem.title) == title.strip().lower())
    )


def add_item(
    *,
    session: Session,
    board_id: int,
    meeting: Meeting,
    title: str,
    lead: str,
    lead_links: list[dict[str, Any]],
    kind: str,
    now: dt.datetime,
    report_author: str | None = None,
) -> PlanItem:
    position = (session.scalar(select(func.max(PlanItem.position)).where(PlanItem.meeting_id == meeting.id)) or 0) + 1
    item = PlanItem(
        board_id=board_id, ref=_next_ref(session, PlanItem, board_id), meeting_id=meeting.id, title=title, lead=lead,
        lead_links=lead_links, kind=kind, report_author=report_author, position=position, created_at=now,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    item.meeting = meeting
    return item


def move_item(*, session: Session, item: PlanItem, meeting: Meeting, now: dt.datetime) -> None:
    position = (session.scalar(select(func.max(PlanItem.position)).where(PlanItem.meeting_id == meeting.id)) or 0) + 1
    item.meeting_id = meeting.id
    item.meeting = meeting
    item.position = position
    item.updated_at = now
    session.flush()


def drop_item(*, session: Session, item: PlanItem) -> None:
    session.execute(delete(PlanItem).where(PlanItem.id == item.id))


def standing_items(*, session: Session, board_id: int) -> list[StandingItem]:
    return list(session.scalars(select(StandingItem).where(StandingItem.board_id == board_id).order_by(StandingItem.ref)))


def get_standing(*, session: Session, board_id: int, ref: int) -> StandingItem | None:
    return session.scalar(select(StandingItem).where(StandingItem.board_id == board_id, StandingItem.ref == ref))


def add_standing(
    *,
    session: Session,
    board_id: int,
    title: str,
    lead: str,
    lead_links: list[dict[str, Any]],
    kind: str,
    every: int,
    starts_on: dt.date,
    now: dt.datetime,
) -> StandingItem:
    item = StandingItem(board_id=board_id, ref=_next_ref(session, StandingItem, board_id), title=title, lead=lead,
                        lead_links=lead_links, kind=kind, every=every, starts_on=starts_on, created_at=now)
    session.add(item)
    session.flush()
    return item


def drop_standing(*, session: Session, item: StandingItem) -> None:
    session.execute(delete(StandingItem).where(StandingItem.id == item.id))


def standing_for_meetings(
    *, session: Session, board_id: int, meetings: Sequence[Meeting | MeetingLine]
) -> dict[int, list[StandingLine]]:
    """Which standing items fall at each of the given meetings (every Nth counts the board's meetings from its start)."""
    out: dict[int, list[StandingLine]] = {m.id: [] for m in meetings}
    if not meetings:
        return out
    declared = [StandingLine._make(row) for row in read_rows(session, _STANDING_LINES, {"board": board_id})]
    if not declared:
        return out
    wanted = {m.id for m in meetings}
    first = min(s.starts_on for s in declared)
    last = max(m.date for m in meetings)
    dates = list(read_rows(session, _MEETING_DATES, {"board": board_id, "first": first, "last": last}))
    for item in declared:
        index = 0
        for meeting_id, day in dates:
            if day < item.starts_on:
                continue
            if index % max(item.every, 1) == 0 and meeting_id in wanted:
                out[meeting_id].append(item)
            index += 1
    return out


# ---------------------------------------------------------------- leads

_LEAD_SPLIT = re.compile(r"\s*(?:/|&|,|\+|\band\b)\s*", re.IGNORECASE)
_ROLE_WORDS = {"chair": Role.CHAIR, "vice-chair": Role.VICE_CHAIR, "vice chair": Role.VICE_CHAIR,
               "secretariat": Role.SECRETARIAT}


def link_lead(*, session: Session, board: BoardView, lead: str) -> list[dict[str, Any]]:
    """The organisations, members and board roles a free-text lead names ("LB Ealing/DWP"); unknown parts are skipped.

    A part matches an organisation by its name or by the abbreviation in brackets in its name
    ("DWP" for "Jobcentre Plus (DWP)"), a board member by display name, the board itself by name,
    and "<board name> Chair" (or Vice-Chair, Secretariat) the member holding that role.
    """
    links: list[dict[str, Any]] = []
    if not lead.strip():
        return links
    orgs = list(session.scalars(select(Organisation).where(Organisation.board_id == board.id)))
    members = list(session.execute(
        select(Member, Membership.role).join(Membership).where(Membership.board_id == board.id,
                                                               Membership.left_at.is_(None))
    ))
    board_lower = board.name.lower()
    for part in (p.strip() for p in _LEAD_SPLIT.split(lead)):
        low = part.lower()
        if not low:
            continue
        link: dict[str, Any] | None = None
        for org in orgs:
            abbrevs = {a.strip().lower() for a in re.findall(r"\(([^)]+)\)", org.name)}
            if org.name.lower() == low or low in abbrevs:
                link = {"kind": "organisation", "id": org.id, "name": org.name, "text": part}
                break
        if link is None:
            for member, _role in members:
                if member.display_name.lower() == low:
                    link = {"kind": "member", "id": member.id, "name": member.display_name,
                            "slack_user_id": member.slack_user_id, "text": part}
                    break
        if link is None and low == board_lower:
            link = {"kind": "board", "id": board.id, "name": board.name, "text": part}
        if link is None and low.startswith(board_lower + " "):
            role = _ROLE_WORDS.get(low[len(board_lower) + 1:].strip())
            holder = next((m for m, r in members if r == role), None) if role else None
            if holder is not None:
                link = {"kind": "member", "id": holder.id, "name": holder.display_name,
                        "slack_user_id": holder.slack_user_id, "text": part}
        if link is not None:
            links.append(link)
    return links
