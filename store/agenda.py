"""Agenda queries: members' proposals and published versions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CompoundSelect, Select, func, select, union_all
from sqlalchemy.orm import Session, aliased, joinedload

from store import boards, db
from store.models import (
    Action,
    ActionStatus,
    ActionUpdate,
    AgendaProposal,
    AgendaPublication,
    Meeting,
    Member,
    Membership,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    ProposalStatus,
)
from store.models.views import MemberView
from store.outbox import PostedMessage


def create_proposal(
    *,
    session: Session,
    board_id: int,
    meeting: Meeting,
    title: str,
    lead: str,
    lead_links: list[dict[str, Any]],
    proposer: MemberView,
    now: dt.datetime,
) -> AgendaProposal:
    ref = (session.scalar(select(func.max(AgendaProposal.ref)).where(AgendaProposal.board_id == board_id)) or 0) + 1
    proposal = AgendaProposal(board_id=board_id, ref=ref, meeting_id=meeting.id, title=title, lead=lead,
                              lead_links=lead_links, proposer_id=proposer.id, status=ProposalStatus.PENDING.value,
                              created_at=now)
    session.add(proposal)
    session.flush()
    proposal.meeting = meeting
    proposal.proposer = boards.member_for_change(session=session, member=proposer)
    return proposal


def _loaded():
    return select(AgendaProposal).options(
        joinedload(AgendaProposal.meeting), joinedload(AgendaProposal.proposer), joinedload(AgendaProposal.decided_by)
    )


def get_proposal(*, session: Session, proposal_id: int, for_update: bool = False) -> AgendaProposal | None:
    """A proposal; `for_update`: locked until commit, to decide on (two chairs at once: one decides, the other
    reads the decision; see `db.lock_rows`)."""
    where = (AgendaProposal.id == proposal_id,)
    if for_update:
        db.lock_rows(session, AgendaProposal, *where)
    return session.scalar(db.fresh(_loaded().where(*where)))


def get_proposal_by_ref(*, session: Session, board_id: int, ref: int, for_update: bool = False) -> AgendaProposal | None:
    """A board's proposal A<ref>; `for_update` as for `get_proposal`."""
    where = (AgendaProposal.board_id == board_id, AgendaProposal.ref == ref)
    if for_update:
        db.lock_rows(session, AgendaProposal, *where)
    return session.scalar(db.fresh(_loaded().where(*where)))


def lock_meeting(*, session: Session, meeting_id: int) -> None:
    """Lock a meeting until commit: its agenda's publications are decided one at a time (see `db.lock_rows`)."""
    db.lock_rows(session, Meeting, Meeting.id == meeting_id)


def list_proposals(*, session: Session, board_id: int, since: dt.date | None = None) -> list[AgendaProposal]:
    """Proposals for meetings on or after `since` (all when None), by meeting then number."""
    stmt = _loaded().join(Meeting, Meeting.id == AgendaProposal.meeting_id).where(AgendaProposal.board_id == board_id)
    if since is not None:
        stmt = stmt.where(Meeting.date >= since)
    return list(session.scalars(stmt.order_by(Meeting.date, AgendaProposal.ref)))


def approved_for(*, session: Session, meeting_id: int) -> list[AgendaProposal]:
    return list(session.scalars(
        _loaded().where(AgendaProposal.meeting_id == meeting_id,
                        AgendaProposal.status == ProposalStatus.APPROVED.value).order_by(AgendaProposal.ref)
    ))


def decide(*, session: Session, proposal: AgendaProposal, status: ProposalStatus, by: MemberView, now: dt.datetime,
           reason: str | None = None) -> None:
    proposal.status = status.value
    proposal.decided_by_id = by.id
    proposal.decided_by = boards.member_for_change(session=session, member=by)
    proposal.decided_at = now
    proposal.decline_reason = reason


SYSTEM_EVENTS = ("reassigned", "redated")  # history entries lspbot writes itself, not a person's note


@dataclass(frozen=True)
class ActionEvent:
    """A change to an action recorded in its history by lspbot (reassigned, due date changed)."""

    at: dt.datetime
    text: str


@dataclass
class ReviewHistory:
    """For the agenda's action review: the last note a person wrote, and the events since it."""

    note: str = ""
    events: list[ActionEvent] = field(default_factory=list)


@dataclass(frozen=True)
class ReviewRow:
    """An action an agenda reviews, with only what the agenda prints of it and its owner."""

    id: int
    ref: int
    text: str
    owner_name: str
    owner_slack_id: str
    organisation: str  # the owner's on the board, "" once they have left it
    due: dt.date | None
    status: ActionStatus
    raised_at_previous: bool
    meeting_item_id: int | None = None  # the item of the meeting that raised it, when meeting mode recorded one


def under_review(*, board_id: int, previous_meeting_id: int | None) -> Select[int] | CompoundSelect[int]:
    """The ids of the actions a meeting's agenda reviews: those raised at the meeting before it, whatever their state,
    and every other action of the board still open."""
    still_open = select(Action.id).where(Action.board_id == board_id, Action.status == ActionStatus.OPEN)
    if previous_meeting_id is None:
        return still_open
    # Two index lookups: as one OR, SQLite may scan every action of the board instead.
    return union_all(still_open, select(Action.id).where(Action.meeting_id == previous_meeting_id))


def review_rows(*, session: Session, board_id: int, previous_meeting_id: int | None) -> list[ReviewRow]:
    """The actions of `under_review`, soonest due first (undated last), as plain rows: one query, the columns printed."""
    owner = aliased(Member)
    current = (Membership.member_id == Action.owner_id) & (Membership.board_id == Action.board_id) \
        & Membership.left_at.is_(None)
    stmt = (
        select(Action.id, Action.ref, Action.text, owner.display_name, owner.slack_user_id, Organisation.name,
               Action.due_date, Action.status, Action.meeting_id, Action.meeting_item_id)
        .join(owner, owner.id == Action.owner_id)
        .outerjoin(Membership, current)
        .outerjoin(Organisation, Organisation.id == Membership.organisation_id)
        .where(Action.id.in_(under_review(board_id=board_id, previous_meeting_id=previous_meeting_id)))
        .order_by(Action.due_date.is_(None), Action.due_date, Action.ref)
    )
    return [ReviewRow(id=action_id, ref=ref, text=text, owner_name=name, owner_slack_id=slack_id,
                      organisation=organisation or "", due=due, status=status,
                      raised_at_previous=previous_meeting_id is not None and meeting_id == previous_meeting_id,
                      meeting_item_id=item_id)
            for action_id, ref, text, name, slack_id, organisation, due, status, meeting_id, item_id
            in session.execute(stmt)]


def review_histories(*, session: Session, action_ids: Select[int] | CompoundSelect[int],
                     events: int = 3) -> dict[int, ReviewHistory]:
    """Each action's last non-empty note written by a person (a progress note, or one given on closing or reopening)
    and up to `events` of lspbot's own entries after it (oldest first), for the actions `action_ids` selects, in two
    queries (the agenda lists hundreds)."""
    latest = (
        select(ActionUpdate.action_id, func.max(ActionUpdate.id).label("last_id"))
        .where(ActionUpdate.action_id.in_(action_ids), ActionUpdate.note != "",
               ActionUpdate.kind.not_in(SYSTEM_EVENTS))
        .group_by(ActionUpdate.action_id)
        .subquery()
    )
    out: dict[int, ReviewHistory] = defaultdict(ReviewHistory)
    last_ids: dict[int, int] = {}
    for action_id, update_id, note in session.execute(
            select(ActionUpdate.action_id, ActionUpdate.id, ActionUpdate.note)
            .join(latest, ActionUpdate.id == latest.c.last_id)):
        out[action_id].note = note
        last_ids[action_id] = update_id
    for action_id, update_id, note, at in session.execute(
            select(ActionUpdate.action_id, ActionUpdate.id, ActionUpdate.note, ActionUpdate.created_at)
            .where(ActionUpdate.action_id.in_(action_ids), ActionUpdate.kind.in_(SYSTEM_EVENTS))
            .order_by(ActionUpdate.action_id, ActionUpdate.id)):
        if update_id > last_ids.get(action_id, 0):
            out[action_id].events.append(ActionEvent(at=at, text=note))
    for history in out.values():
        del history.events[:-events]
    return dict(out)


def proposal_ask_key(proposal_id: int, slack_user_id: str) -> str:
    """The outbox key of the DM asking one decider to approve or decline a proposal."""
    return f"agenda-proposal:{proposal_id}:{slack_user_id}"


def delivered_proposal_asks(*, session: Session, proposal_id: int) -> list[PostedMessage]:
    """Where Slack put every DM asking a decider about the proposal that Slack has taken (recorded on the
    outbox row when it was sent), so a decision made anywhere can take their buttons away."""
    return [PostedMessage(cast(str, channel), cast(str, ts)) for channel, ts in session.execute(
        select(OutboxMessage.slack_channel, OutboxMessage.slack_ts)
        .where(OutboxMessage.key.startswith(proposal_ask_key(proposal_id, ""), autoescape=True),
               OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.slack_channel.is_not(None),
               OutboxMessage.slack_ts.is_not(None))
        .order_by(OutboxMessage.id))]


def delivered_ask_to(*, session: Session, proposal_id: int, slack_user_id: str) -> PostedMessage | None:
    """Where Slack put the DM asking one decider about the proposal, once it has been sent."""
    row = session.execute(
        select(OutboxMessage.slack_channel, OutboxMessage.slack_ts)
        .where(OutboxMessage.key == proposal_ask_key(proposal_id, slack_user_id),
               OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.slack_channel.is_not(None),
               OutboxMessage.slack_ts.is_not(None))).first()
    return PostedMessage(cast(str, row[0]), cast(str, row[1])) if row is not None else None


def publication_message_key(meeting_id: int, version: int) -> str:
    """The outbox key of a published agenda's channel post (where Slack put it is recorded on that row)."""
    return f"agenda-publish:{meeting_id}:v{version}"


def latest_publication(*, session: Session, meeting_id: int) -> AgendaPublication | None:
    return session.scalar(
        select(AgendaPublication).where(AgendaPublication.meeting_id == meeting_id)
        .order_by(AgendaPublication.version.desc()).limit(1)
    )


def latest_publications(*, session: Session, meeting_ids: Sequence[int]) -> dict[int, AgendaPublication]:
    """The last published version of each meeting's agenda that has one."""
    if not meeting_ids:
        return {}
    last = (select(AgendaPublication.meeting_id, func.max(AgendaPublication.version).label("version"))
            .where(AgendaPublication.meeting_id.in_(list(meeting_ids))).group_by(AgendaPublication.meeting_id)
            .subquery())
    return {p.meeting_id: p for p in session.scalars(
        select(AgendaPublication).join(last, (AgendaPublication.meeting_id == last.c.meeting_id)
                                       & (AgendaPublication.version == last.c.version)))}


def publish(
    *, session: Session, board_id: int, meeting_id: int, by: str, snapshot: dict[str, Any], markdown: str,
    now: dt.datetime,
) -> AgendaPublication:
    last = latest_publication(session=session, meeting_id=meeting_id)
    publication = AgendaPublication(board_id=board_id, meeting_id=meeting_id, version=(last.version + 1) if last else 1,
                                    published_at=now, published_by=by, snapshot=snapshot, markdown=markdown)
    session.add(publication)
    session.flush()
    return publication
