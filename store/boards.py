"""Boards, organisations, members and memberships."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from store.models import AuditRecord, Board, Member, Membership, Organisation, Role


def get_by_channel(*, session: Session, channel_id: str) -> Board | None:
    return session.scalar(select(Board).where(Board.channel_id == channel_id))


def get_by_name(*, session: Session, name: str) -> Board | None:
    return session.scalar(select(Board).where(func.lower(Board.name) == name.strip().lower()))


def get(*, session: Session, board_id: int) -> Board | None:
    return session.get(Board, board_id)


def get_existing(*, session: Session, board_id: int) -> Board:
    """The board a row of it names (its foreign key guarantees the board is there)."""
    return session.get_one(Board, board_id)


def list_all(*, session: Session) -> list[Board]:
    return list(session.scalars(select(Board).order_by(Board.name)))


def create(*, session: Session, name: str, channel_id: str, timezone: str, now: dt.datetime) -> Board:
    board = Board(name=name, channel_id=channel_id, timezone=timezone, settings={}, created_at=now)
    session.add(board)
    session.flush()
    return board


def take_action_ref(*, session: Session, board_id: int) -> int:
    """Reserve the board's next action number atomically (safe across replicas)."""
    ref = session.execute(
        update(Board)
        .where(Board.id == board_id)
        .values(next_action_ref=Board.next_action_ref + 1)
        .returning(Board.next_action_ref)
    ).scalar_one()
    return ref - 1


def get_or_create_organisation(*, session: Session, name: str) -> Organisation:
    name = " ".join(name.split())
    org = session.scalar(select(Organisation).where(func.lower(Organisation.name) == name.lower()))
    if org is None:
        org = Organisation(name=name)
        session.add(org)
        session.flush()
    return org


def find_organisation(*, session: Session, name: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(func.lower(Organisation.name) == " ".join(name.split()).lower()))


def get_member(*, session: Session, slack_user_id: str) -> Member | None:
    return session.scalar(
        select(Member).options(joinedload(Member.organisation)).where(Member.slack_user_id == slack_user_id)
    )


def find_member_by_name(*, session: Session, name: str, board_id: int | None = None) -> Member | None:
    """A member by display name (case-insensitive), preferring members of the given board."""
    stmt = select(Member).where(func.lower(Member.display_name) == name.lower())
    if board_id is not None:
        stmt = stmt.join(Membership).where(Membership.board_id == board_id)
    return session.scalars(stmt.limit(1)).first()


def upsert_member(
    *, session: Session, slack_user_id: str, display_name: str | None = None, organisation: Organisation | None = None
) -> Member:
    member = get_member(session=session, slack_user_id=slack_user_id)
    if member is None:
        member = Member(slack_user_id=slack_user_id, display_name=display_name or slack_user_id)
        session.add(member)
    if display_name:
        member.display_name = display_name
    if organisation is not None:
        member.organisation = organisation
    session.flush()
    return member


def get_membership(*, session: Session, board_id: int, member_id: int) -> Membership | None:
    return session.scalar(
        select(Membership).where(Membership.board_id == board_id, Membership.member_id == member_id)
    )


def set_role(*, session: Session, board: Board, member: Member, role: Role) -> Membership:
    membership = get_membership(session=session, board_id=board.id, member_id=member.id)
    if membership is None:
        membership = Membership(board_id=board.id, member_id=member.id, role=role)
        session.add(membership)
    else:
        membership.role = role
    session.flush()
    return membership


def memberships_of(*, session: Session, member_id: int) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership).options(joinedload(Membership.board)).where(Membership.member_id == member_id)
        )
    )


def list_members(*, session: Session, board_id: int) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership)
            .options(joinedload(Membership.member).joinedload(Member.organisation))
            .where(Membership.board_id == board_id)
        )
    )


def members_with_roles(*, session: Session, board_id: int, roles: tuple[Role, ...]) -> list[Member]:
    return list(
        session.scalars(
            select(Member)
            .join(Membership)
            .where(Membership.board_id == board_id, Membership.role.in_(roles))
            .order_by(Member.id)
        )
    )


def set_timezone(*, session: Session, slack_user_id: str, timezone: str) -> bool:
    """Cache a member's Slack time zone; False if there is no such member (nothing to cache it on)."""
    result = session.execute(update(Member).where(Member.slack_user_id == slack_user_id,
                                                  (Member.timezone.is_(None)) | (Member.timezone != timezone))
                             .values(timezone=timezone))
    return bool(getattr(result, "rowcount", 0))


def left_board(*, session: Session, board_id: int, member_id: int) -> bool:
    """Whether the member was taken off the board (and has not been added back): the audit trail says so."""
    if get_membership(session=session, board_id=board_id, member_id=member_id) is not None:
        return False
    board = session.get(Board, board_id)
    removals = session.scalars(select(AuditRecord.before).where(
        AuditRecord.entity == "membership", AuditRecord.operation == "remove", AuditRecord.entity_id == member_id))
    return any(isinstance(b, dict) and (b.get("board_id") == board_id or (board is not None and b.get("board") == board.name))
               for b in removals)


def member_ids_on(*, session: Session, board_id: int) -> set[int]:
    """The ids of everyone on the board."""
    return set(session.scalars(select(Membership.member_id).where(Membership.board_id == board_id)))
