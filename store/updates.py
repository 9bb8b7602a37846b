"""Partner updates: one current update per organisation per meeting, with its history.

The queries here serve the `/update` commands, the agenda's partner-updates section
(`updates_for_meeting`) and the scheduler's chasing (`organisations_without_update`,
`members_without_update`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from store.models import AgendaPublication, Meeting, Membership, Organisation, PartnerUpdate
from store.models.views import MemberView, OrganisationView
from store.rows import read_rows
from store.versions import NewVersion, current_version, is_current, store_version


@dataclass(frozen=True)
class UpdateEntry:
    """One organisation's current update for a meeting, as the agenda shows it."""

    organisation: str
    author_name: str
    author_slack_id: str
    text: str
    submitted_at: dt.datetime
    first_submitted_at: dt.datetime
    late: bool
    revisions: int  # how many times it was sent (1 = never replaced)


@dataclass(frozen=True)
class MeetingUpdates:
    """The partner updates of a meeting in submission order, and the organisations with none."""

    meeting_id: int
    entries: list[UpdateEntry]
    missing: list[str]  # organisation names, alphabetical


def current(*, session: Session, meeting_id: int, organisation_id: int) -> PartnerUpdate | None:
    """The organisation's current update for the meeting, if it sent one."""
    return current_version(session=session, model=PartnerUpdate,
                           scope={"meeting_id": meeting_id, "organisation_id": organisation_id})


def submit(
    *,
    session: Session,
    meeting: Meeting,
    organisation: OrganisationView,
    author: MemberView,
    text: str,
    now: dt.datetime,
    late: bool,
) -> NewVersion[PartnerUpdate]:
    """Store an organisation's update for a meeting, replacing (and keeping) its current one.

    Returns the new update and the one it replaced, if any.
    """
    return store_version(
        session=session, model=PartnerUpdate, scope={"meeting_id": meeting.id, "organisation_id": organisation.id},
        now=now, parent=(Meeting, meeting.id),
        make=lambda previous: {
            "board_id": meeting.board_id,
            "meeting_id": meeting.id,
            "organisation_id": organisation.id,
            "author_id": author.id,
            "text": text,
            "submitted_at": now,
            "first_submitted_at": previous.first_submitted_at if previous is not None else now,
            "late": late,
        })


def board_organisations(*, session: Session, board_id: int) -> list[Organisation]:
    """The organisations represented on a board (by its current members), alphabetical."""
    represented = (
        select(Membership.organisation_id)
        .where(Membership.board_id == board_id, Membership.left_at.is_(None))
    )
    return list(session.scalars(
        select(Organisation).where(Organisation.id.in_(represented)).order_by(func.lower(Organisation.name))
    ))


def current_updates(*, session: Session, meeting_id: int) -> list[PartnerUpdate]:
    """The current update of each organisation that sent one, in submission order."""
    return list(session.scalars(
        select(PartnerUpdate)
        .options(joinedload(PartnerUpdate.author), joinedload(PartnerUpdate.organisation))
        .where(PartnerUpdate.meeting_id == meeting_id, is_current(PartnerUpdate))
        .order_by(PartnerUpdate.first_submitted_at, PartnerUpdate.id)
    ))


def organisations_without_update(*, session: Session, meeting_id: int) -> list[Organisation]:
    """Organisations on the meeting's board that have sent no update for it (for chasing), alphabetical."""
    board_id = session.scalar(select(Meeting.board_id).where(Meeting.id == meeting_id))
    if board_id is None:
        return []
    sent = set(session.scalars(select(PartnerUpdate.organisation_id).where(PartnerUpdate.meeting_id == meeting_id)))
    return [org for org in board_organisations(session=session, board_id=board_id) if org.id not in sent]


def members_without_update(*, session: Session, meeting_id: int) -> list[Membership]:
    """Board members whose organisation has sent no update for the meeting: whom to ask or chase (their
    membership, which says which organisation they speak for on that board)."""
    board_id = session.scalar(select(Meeting.board_id).where(Meeting.id == meeting_id))
    if board_id is None:
        return []
    sent = select(PartnerUpdate.organisation_id).where(PartnerUpdate.meeting_id == meeting_id)
    return list(session.scalars(
        select(Membership)
        .options(joinedload(Membership.member), joinedload(Membership.organisation))
        .where(Membership.board_id == board_id, Membership.left_at.is_(None),
               Membership.organisation_id.is_not(None), Membership.organisation_id.not_in(sent))
        .order_by(Membership.member_id)
    ))


def updates_for_meeting(*, session: Session, meeting_id: int) -> MeetingUpdates:
    """Each organisation's current update (attributed, submission order, late ones flagged) and those with none."""
    rows = current_updates(session=session, meeting_id=meeting_id)
    counts = dict(session.execute(
        select(PartnerUpdate.organisation_id, func.count(PartnerUpdate.id))
        .where(PartnerUpdate.meeting_id == meeting_id)
        .group_by(PartnerUpdate.organisation_id)
    ).all())
    entries = [
        UpdateEntry(
            organisation=row.organisation.name,
            author_name=row.author.display_name,
            author_slack_id=row.author.slack_user_id,
            text=row.text,
            submitted_at=row.submitted_at,
            first_submitted_at=row.first_submitted_at,
            late=row.late,
            revisions=counts.get(row.organisation_id, 1),
        )
        for row in rows
    ]
    missing = [org.name for org in organisations_without_update(session=session, meeting_id=meeting_id)]
    return MeetingUpdates(meeting_id=meeting_id, entries=entries, missing=missing)


# Built once (every update reads it): building it cost more than the database's work.
_PUBLISHED_AT = select(func.min(AgendaPublication.published_at)).where(AgendaPublication.meeting_id == bindparam("meeting"))


def agenda_published_at(*, session: Session, meeting_id: int) -> dt.datetime | None:
    """When the meeting's agenda was first published, if it was: updates after that are late."""
    return read_rows(session, _PUBLISHED_AT, {"meeting": meeting_id}).scalar()
