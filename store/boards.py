"""Boards, organisations, members and memberships."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload

from store import rows
from store.models import (
    AgendaProposal,
    Board,
    Meeting,
    Member,
    Membership,
    Organisation,
    PartnerUpdate,
    PerformanceItem,
    PlanItem,
    Role,
    StandingItem,
)
from store.models.core import slug_of
from store.models.views import (
    BoardRow,
    BoardView,
    MemberRow,
    MembershipRow,
    MembershipView,
    MemberView,
    OrganisationRow,
)


def get_by_channel(*, session: Session, channel_id: str) -> Board | None:
    return session.scalar(select(Board).where(Board.channel_id == channel_id))


def get_by_name(*, session: Session, name: str) -> Board | None:
    return session.scalar(select(Board).where(func.lower(Board.name) == name.strip().lower()))


def get(*, session: Session, board_id: int) -> Board | None:
    return session.get(Board, board_id)


def for_change(*, session: Session, board: BoardView) -> Board:
    """The board's mapped object, to change it through the ORM: a command's board is a row that only reads (see
    `seat`), loaded here by its id (the same object if it is mapped already)."""
    return board if isinstance(board, Board) else session.get_one(Board, board.id)


def get_existing(*, session: Session, board_id: int) -> Board:
    """The board a row of it names (its foreign key guarantees the board is there)."""
    return session.get_one(Board, board_id)


def list_all(*, session: Session) -> list[Board]:
    return list(session.scalars(select(Board).order_by(Board.name)))


def free_slug(*, session: Session, name: str) -> str:
    """`slug_of(name)`, numbered (`-2`, `-3`) when another board has it."""
    base = slug_of(name)
    taken = set(session.scalars(select(Board.slug).where(Board.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def by_slug(*, session: Session, slug: str) -> Board | None:
    """The board whose web pages are at /b/<slug>/."""
    return session.scalars(select(Board).where(Board.slug == slug)).first()


def create(*, session: Session, name: str, channel_id: str, timezone: str, now: dt.datetime) -> Board:
    board = Board(name=name, slug=free_slug(session=session, name=name), channel_id=channel_id, timezone=timezone,
                  settings={}, created_at=now)
    session.add(board)
    session.flush()
    return board


# Built once, and run on the unit of work's connection (as Core): through the session, the ORM's handling of an
# UPDATE cost several times the statement.
_TAKE_REF = (update(Board).where(Board.id == bindparam("board")).values(next_action_ref=Board.next_action_ref + 1)
             .returning(Board.next_action_ref))


def take_action_ref(*, session: Session, board_id: int) -> int:
    """Reserve the board's next action number atomically (safe across replicas): one UPDATE … RETURNING, which on
    PostgreSQL holds the board's row until the commit, so two replicas taking numbers at once get one each. A
    board's object loaded in the session shows the new count, as the database has it."""
    following = session.connection().execute(_TAKE_REF, {"board": board_id}).scalar_one()
    rows.keep_row_loaded(session, Board, board_id, {"next_action_ref": following})
    return following - 1


def get_or_create_organisation(*, session: Session, board_id: int, name: str) -> Organisation:
    """The board's organisation of that name (case and spaces aside), added to its list if it is new."""
    org = find_organisation(session=session, board_id=board_id, name=name)
    if org is None:
        org = Organisation(board_id=board_id, name=" ".join(name.split()))
        session.add(org)
        session.flush()
    return org


def find_organisation(*, session: Session, board_id: int, name: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(
        Organisation.board_id == board_id, func.lower(Organisation.name) == " ".join(name.split()).lower()))


def organisations(*, session: Session, board_id: int) -> list[tuple[Organisation, int]]:
    """The board's list of organisations, each with how many current members represent it."""
    members = (select(Membership.organisation_id, func.count(Membership.id).label("n"))
               .where(Membership.board_id == board_id, Membership.left_at.is_(None))
               .group_by(Membership.organisation_id).subquery())
    rows = session.execute(select(Organisation, members.c.n)
                           .outerjoin(members, members.c.organisation_id == Organisation.id)
                           .where(Organisation.board_id == board_id))
    return sorted(((org, n or 0) for org, n in rows), key=lambda r: r[0].name.casefold())


def rename_organisation(*, session: Session, organisation: Organisation, name: str) -> dict[str, int]:
    """Rename a board's organisation. Members, meetings, updates and outcomes refer to it by id and follow; a
    plan item's or proposal's lead, kept as typed, has the part that named it rewritten. How many of each."""
    old, organisation.name = organisation.name, name
    board_id = organisation.board_id
    counts = {
        "members": _count(session, select(Membership.id).where(
            Membership.organisation_id == organisation.id, Membership.left_at.is_(None))),
        "meetings": _count(session, select(Meeting.id).where(Meeting.host_organisation_id == organisation.id)),
        "updates": _count(session, select(PartnerUpdate.id).where(PartnerUpdate.organisation_id == organisation.id)),
        "outcomes": _count(session, select(PerformanceItem.id).where(
            PerformanceItem.lead_organisation_id == organisation.id)),
        "leads": 0,
    }
    models: tuple[type[PlanItem] | type[StandingItem] | type[AgendaProposal], ...] = (
        PlanItem, StandingItem, AgendaProposal)
    row: PlanItem | StandingItem | AgendaProposal
    for model in models:
        for row in session.scalars(select(model).where(model.board_id == board_id)):  # type: ignore[assignment]
            links = row.lead_links or []
            if not any(link.get("kind") == "organisation" and link.get("id") == organisation.id for link in links):
                continue
            new_links = []
            for link in links:
                if link.get("kind") == "organisation" and link.get("id") == organisation.id:
                    if link.get("text", "").strip().lower() == old.lower():  # named in full: the new name
                        row.lead = _replace_part(row.lead, link["text"], name)
                        link = {**link, "text": name}
                    link = {**link, "name": name}
                new_links.append(link)
            row.lead_links = new_links
            counts["leads"] += 1
    session.flush()
    return counts


def _replace_part(lead: str, part: str, name: str) -> str:
    """`lead` ("LB Ealing/Met Police") with the part that reads `part` replaced by `name`."""
    return re.sub(rf"(?<![^\s/,&+;]){re.escape(part.strip())}(?![^\s/,&+;])", lambda _: name, lead, count=1)


def _count(session: Session, stmt: Any) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def organisation_of(*, session: Session, board_id: int, member_id: int) -> Organisation | None:
    """The organisation someone represents (or represented, if they left) on a board."""
    return session.scalar(select(Organisation).join(Membership, Membership.organisation_id == Organisation.id)
                          .where(Membership.board_id == board_id, Membership.member_id == member_id))


def get_member(*, session: Session, slack_user_id: str) -> Member | None:
    return session.scalar(select(Member).where(Member.slack_user_id == slack_user_id))


def find_member_by_name(*, session: Session, name: str, board_id: int | None = None) -> Member | None:
    """A member by display name (case-insensitive), preferring members of the given board."""
    stmt = select(Member).where(func.lower(Member.display_name) == name.lower())
    if board_id is not None:
        stmt = stmt.join(Membership).where(Membership.board_id == board_id, Membership.left_at.is_(None))
    return session.scalars(stmt.limit(1)).first()


def upsert_member(*, session: Session, slack_user_id: str, display_name: str | None = None) -> Member:
    member = get_member(session=session, slack_user_id=slack_user_id)
    if member is None:
        member = Member(slack_user_id=slack_user_id, display_name=display_name or slack_user_id)
        session.add(member)
    if display_name:
        member.display_name = display_name
    session.flush()
    return member


@dataclasses.dataclass(frozen=True, slots=True)
class Seat:
    """A board, and a person as it sees them: their member record (None if they have none) and their membership
    of it (None if they never sat on it; `left_at` set if they left). Read-only views: plain rows from `seat`."""

    board: BoardView
    member: MemberView | None
    membership: MembershipView | None


_BOARD, _MEMBER = Board.__table__.c, Member.__table__.c
_MEMBERSHIP, _ORGANISATION = Membership.__table__.c, Organisation.__table__.c
_SEAT_COLUMNS = (tuple(_BOARD), tuple(_MEMBER), tuple(_MEMBERSHIP), tuple(_ORGANISATION))
_SEAT = (select(*(column.label(f"{column.table.name}_{column.name}") for part in _SEAT_COLUMNS for column in part))
         .select_from(Board.__table__)
         .outerjoin(Member.__table__, _MEMBER.slack_user_id == bindparam("user"))
         .outerjoin(Membership.__table__, (_MEMBERSHIP.board_id == _BOARD.id) & (_MEMBERSHIP.member_id == _MEMBER.id))
         .outerjoin(Organisation.__table__, _ORGANISATION.id == _MEMBERSHIP.organisation_id)
         .limit(1))
# Built once (every command runs one): building the statement cost more than the database running it.
_SEAT_BY = {"board_id": _SEAT.where(_BOARD.id == bindparam("which")),
            "channel_id": _SEAT.where(_BOARD.channel_id == bindparam("which")),
            "name": _SEAT.where(func.lower(_BOARD.name) == bindparam("which"))}
_SPLIT = tuple(itertools.accumulate(len(part) for part in _SEAT_COLUMNS))
for _row, _columns in zip((BoardRow, MemberRow, MembershipRow, OrganisationRow), _SEAT_COLUMNS, strict=True):
    if [f.name for f in dataclasses.fields(_row)][:len(_columns)] != [c.name for c in _columns]:
        raise TypeError(f"{_row.__name__}'s fields must be its table's columns, in order")


def seat(*, session: Session, slack_user_id: str, board_id: int | None = None, channel_id: str | None = None,
         name: str | None = None) -> Seat | None:
    """The board with this id, channel or name (case aside), with the person's member record and membership of
    it, in one Core statement (every command starts here) read into plain rows: ORM entities cost several times
    the statement, and most commands only read them. None if there is no such board."""
    which: int | str
    if board_id is not None:
        by, which = "board_id", board_id
    elif channel_id is not None:
        by, which = "channel_id", channel_id
    elif name is not None:
        by, which = "name", name.strip().lower()
    else:
        raise ValueError("a board id, channel or name is needed")
    found = rows.read_rows(session, _SEAT_BY[by], {"user": slack_user_id, "which": which}).first()
    if found is None:
        return None
    row = tuple(found)
    b, m, ms, o = _SPLIT
    member = MemberRow(*row[b:m]) if row[b] is not None else None
    organisation = OrganisationRow(*row[ms:o]) if row[ms] is not None else None
    membership = MembershipRow(*(*row[m:ms], organisation)) if row[m] is not None else None
    return Seat(BoardRow(*row[:b]), member, membership)


def get_membership(*, session: Session, board_id: int, member_id: int) -> Membership | None:
    """Someone's membership of a board, if they are on it now."""
    return session.scalar(
        select(Membership).options(joinedload(Membership.organisation))
        .where(Membership.board_id == board_id, Membership.member_id == member_id, Membership.left_at.is_(None))
    )


def set_role(*, session: Session, board: BoardView, member: Member, role: Role,
             organisation: Organisation | None = None) -> Membership:
    """Put someone on the board with a role (and, if given, the organisation they represent there); someone who
    had left comes back on their old membership."""
    membership = session.scalar(select(Membership).where(Membership.board_id == board.id,
                                                         Membership.member_id == member.id))
    if membership is None:
        membership = Membership(board_id=board.id, member=member, role=role)  # in member.memberships at once
        session.add(membership)
    membership.role, membership.left_at = role, None
    if organisation is not None:
        membership.organisation_id, membership.organisation = organisation.id, organisation
    session.flush()
    return membership


def leave(*, session: Session, membership: Membership, now: dt.datetime) -> None:
    """Take someone off the board, keeping the row: the record still knows whom they represented."""
    membership.left_at = now
    session.flush()


def memberships_of(*, session: Session, member_id: int) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership).options(joinedload(Membership.board), joinedload(Membership.organisation))
            .where(Membership.member_id == member_id, Membership.left_at.is_(None))
        )
    )


def list_members(*, session: Session, board_id: int) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership)
            .options(joinedload(Membership.member), joinedload(Membership.organisation))
            .where(Membership.board_id == board_id, Membership.left_at.is_(None))
        )
    )


def members_with_roles(*, session: Session, board_id: int, roles: tuple[Role, ...]) -> list[Member]:
    return list(
        session.scalars(
            select(Member)
            .join(Membership)
            .where(Membership.board_id == board_id, Membership.role.in_(roles), Membership.left_at.is_(None))
            .order_by(Member.id)
        )
    )


def member_for_change(*, session: Session, member: MemberView) -> Member:
    """The member's mapped object, to change it (or relate a row to it) through the ORM: a command's actor is a row
    that only reads (see `seat`), loaded here by its id (the same object if it is mapped already)."""
    return member if isinstance(member, Member) else session.get_one(Member, member.id)


def name_member(*, session: Session, member: MemberView, display_name: str) -> MemberView:
    """Record the name someone goes by (their record had only their Slack id for one); the member as renamed."""
    session.connection().execute(_NAME_MEMBER, {"member": member.id, "name": display_name})
    rows.keep_row_loaded(session, Member, member.id, {"display_name": display_name})  # a mapped copy (an owner) too
    return dataclasses.replace(member, display_name=display_name) if isinstance(member, MemberRow) else member


_NAME_MEMBER = update(Member).where(Member.id == bindparam("member")).values(display_name=bindparam("name"))


def set_timezone(*, session: Session, slack_user_id: str, timezone: str) -> bool:
    """Cache a member's Slack time zone; False if there is no such member (nothing to cache it on)."""
    result = session.execute(update(Member).where(Member.slack_user_id == slack_user_id,
                                                  (Member.timezone.is_(None)) | (Member.timezone != timezone))
                             .values(timezone=timezone))
    return bool(getattr(result, "rowcount", 0))


def left_board(*, session: Session, board_id: int, member_id: int) -> bool:
    """Whether the member was taken off the board (and has not been added back)."""
    return session.scalar(select(Membership.id).where(
        Membership.board_id == board_id, Membership.member_id == member_id, Membership.left_at.is_not(None))) is not None


def member_ids_on(*, session: Session, board_id: int) -> set[int]:
    """The ids of everyone on the board."""
    return set(session.scalars(select(Membership.member_id).where(Membership.board_id == board_id,
                                                                  Membership.left_at.is_(None))))
