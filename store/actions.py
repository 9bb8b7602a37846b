"""Actions and their progress history."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, Insert, Select, Table, and_, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, aliased, joinedload

from store import boards, db, rows
from store import meeting_record as record_store
from store.models import (
    ACTION_LIST_DUE,
    Action,
    ActionStatus,
    ActionUpdate,
    Base,
    Board,
    Member,
    Membership,
    Organisation,
)
from store.models.views import BoardView, MemberView

_LOADED = (joinedload(Action.owner), joinedload(Action.board))
_BY_REF = (Action.board_id == bindparam("board"), Action.ref == bindparam("ref"))
_BY_ID = (Action.id == bindparam("action"),)
# Built once. To be changed, an action is locked as it is read, alone: on PostgreSQL a statement that waited for
# the lock reads the row as the change before it left it (it re-reads the locked row, and would not re-read a row
# of another table joined to it), and the identity map's object is overwritten with it. Its owner and board come
# from the identity map, where the command's board and the sender usually are already (else one query each).
_READ_BY_REF = db.fresh(select(Action).options(*_LOADED).where(*_BY_REF))
_LOCK_BY_REF = db.fresh(select(Action).where(*_BY_REF).with_for_update())
_LOCK_BY_ID = db.fresh(select(Action).where(*_BY_ID).with_for_update())


def get_by_ref(*, session: Session, board_id: int, ref: int, for_update: bool = False) -> Action | None:
    """The board's action #ref (owner and board loaded, or at hand); `for_update`: locked until commit, to decide a
    change on."""
    return session.scalar(_LOCK_BY_REF if for_update else _READ_BY_REF, {"board": board_id, "ref": ref})


def get_for_update(*, session: Session, action_id: int) -> Action | None:
    """An action (owner and board at hand), locked until commit to decide a change on."""
    return session.scalar(_LOCK_BY_ID, {"action": action_id})


def last_change(*, session: Session, action_id: int, kinds: Sequence[str]) -> ActionUpdate | None:
    """The action's latest history entry of one of these kinds (who closed it, who reassigned it last), author
    loaded."""
    return session.scalar(
        select(ActionUpdate).options(joinedload(ActionUpdate.author))
        .where(ActionUpdate.action_id == action_id, ActionUpdate.kind.in_(list(kinds)))
        .order_by(ActionUpdate.id.desc()).limit(1))


# A new action whose meeting is not given: the meeting (and item) it arose from is found by the INSERT itself
# (store.meeting_record.ARISING_MEETING), not by a statement of its own.
_INSERT_ARISING = (insert(Action).values(meeting_id=record_store.ARISING_MEETING,
                                         meeting_item_id=record_store.ARISING_ITEM)
                   .returning(*Action.__table__.c))


def create(
    *,
    session: Session,
    board: BoardView,
    text: str,
    owner: MemberView,
    created_by: MemberView,
    due_date: dt.date | None,
    now: dt.datetime,
    meeting_id: int | None = None,
    source_permalink: str | None = None,
    meeting_item_id: int | None = None,
    arising: tuple[dt.date, dt.date] | None = None,
) -> Action:
    """Record a new action with the board's next number; the action comes back in the session as loaded, its
    board and owner with it (see `store.rows`). With no `meeting_id`, `arising` (first and last day) has it arise
    from the board's meeting open now (at the item last given an outcome, a note or a declaration), or else from
    the latest meeting held on those days, if there was one; without `arising`, from none."""
    values: dict[str, Any] = {
        "board_id": board.id,
        "text": text,
        "owner_id": owner.id,
        "due_date": due_date,
        "status": ActionStatus.OPEN,
        "created_by_id": created_by.id,
        "created_at": now,
        "updated_at": now,
        "closed_at": None,
        "source_permalink": source_permalink,
    }
    # set as loaded where they are mapped objects; a command's board and sender are rows (`boards.seat`), which
    # the action's relationships do not hold: its reader is given them (`describe`'s board and owner)
    related = {name: value for name, value in (("board", board), ("owner", owner), ("created_by", created_by))
               if isinstance(value, Base)}
    origin: dict[str, Any] = {}  # the parameters of the meeting it arose from, when its INSERT finds it
    if meeting_id is None and arising is not None:
        since, until = arising
        origin = {"board": board.id, "number": None, "since": since, "until": until}
    else:
        values.update(meeting_id=meeting_id, meeting_item_id=meeting_item_id)
    found_by_insert = bool(origin)
    if session.get_bind().dialect.name == "postgresql":
        action = rows.insert_loaded(session, Action, {**rows.new_values(values), **origin, "board": board.id},
                                    related, statement=_numbered_insert(tuple(values), arising=found_by_insert))
        rows.keep_row_loaded(session, Board, board.id, {"next_action_ref": action.ref + 1})  # as take_action_ref
        return action
    values["ref"] = boards.take_action_ref(session=session, board_id=board.id)
    return rows.insert_loaded(session, Action, {**values, **origin}, related,
                              statement=_INSERT_ARISING if found_by_insert else None)


@functools.cache
def _numbered_insert(columns: tuple[str, ...], *, arising: bool) -> Insert:
    """PostgreSQL: a new action with the board's next number, taken by the same statement (the UPDATE of the
    board's count a data-modifying WITH the INSERT selects from: one round trip where there were two, the board's
    row held until the commit as before). With `arising`, the meeting and item it arose from found by it too.
    Built once a set of columns."""
    table = cast(Table, Action.__table__)
    numbered = (update(Board).where(Board.id == bindparam("board"))
                .values(next_action_ref=Board.next_action_ref + 1)
                .returning((Board.next_action_ref - 1).label("ref")).cte("numbered"))
    arose = {"meeting_id": record_store.ARISING_MEETING, "meeting_item_id": record_store.ARISING_ITEM}
    return rows.insert_from(table, columns, numbered, {"ref": numbered.c.ref, **(arose if arising else {})})


_ADD_UPDATE = insert(ActionUpdate)  # Core, built once: an entry is never read back where it is written
# The history entry's values, named apart from the action's columns (the UPDATE beside it must not take them).
_ENTRY: dict[str, Any] = {"action_id": bindparam("row_id"), "author_id": bindparam("entry_author"),
                          "note": bindparam("entry_note"), "kind": bindparam("entry_kind"),
                          "created_at": bindparam("entry_at")}


@functools.cache
def _change_with_entry(columns: tuple[str, ...]) -> Insert:
    """PostgreSQL: the action's UPDATE of these columns and its history entry's INSERT as one statement (the UPDATE
    a data-modifying WITH, which runs to completion with it): one round trip where they were two. Built once a set
    of columns."""
    change = (update(Action).where(Action.id == bindparam("row_id"))
              .values({name: bindparam(f"set_{name}") for name in columns}).cte("changed"))
    return insert(ActionUpdate).values(_ENTRY).add_cte(change)


def add_update(*, session: Session, action: Action, author: MemberView, note: str, kind: str, now: dt.datetime,
               changes: Mapping[str, Any] | None = None) -> None:
    """Write an entry in the action's history and the change it records: the action's `changes` (columns by name:
    its status and closed date, or its due date) and its `updated_at`, in one UPDATE, and the entry in one INSERT,
    both Core (on PostgreSQL one statement: `_change_with_entry`); the action's object is kept in step (see
    `store.rows`)."""
    values = {**(changes or {}), "updated_at": now}
    entry = {"entry_author": author.id, "entry_note": note, "entry_kind": kind, "entry_at": now}
    if session.get_bind().dialect.name != "postgresql":
        rows.update_loaded(session, action, values)
        session.connection().execute(_ADD_UPDATE, {"action_id": action.id, "author_id": author.id, "note": note,
                                                   "kind": kind, "created_at": now})
        return
    session.connection().execute(_change_with_entry(tuple(values)),
                                 {"row_id": action.id, **{f"set_{name}": value for name, value in values.items()},
                                  **entry})
    rows.keep_loaded(action, values)


def history(*, session: Session, action_id: int, limit: int = 20) -> list[ActionUpdate]:
    return list(
        session.scalars(
            select(ActionUpdate)
            .options(joinedload(ActionUpdate.author))
            .where(ActionUpdate.action_id == action_id)
            .order_by(ActionUpdate.id.desc())
            .limit(limit)
        )
    )[::-1]


@dataclass(frozen=True)
class ActionFilter:
    board_ids: Sequence[int] | None = None
    owner_id: int | None = None
    statuses: tuple[ActionStatus, ...] = (ActionStatus.OPEN,)
    due_before: dt.date | None = None  # strictly before: overdue
    meeting_id: int | None = None


# Each condition a filter may set, with its values as bound parameters, so that the statements of a filter's shape
# (which conditions it sets) are built once: building one cost more than the database running it. Written so that
# ix_actions_list_order can serve them: one board and one status as equalities (`board`, `status`), and "due before"
# on the list's own order (an undated action sorts last, so is never before a date), so overdue actions are one range
# of the index however many actions are undated or due later.
_CONDITIONS: dict[str, ColumnElement[bool]] = {
    "board": Action.board_id == bindparam("board"),
    "boards": Action.board_id.in_(bindparam("boards", expanding=True)),
    "owner": Action.owner_id == bindparam("owner"),
    "status": Action.status == bindparam("status"),
    "statuses": Action.status.in_(bindparam("statuses", expanding=True)),
    "due_before": ACTION_LIST_DUE < bindparam("due_before"),
    "meeting": Action.meeting_id == bindparam("meeting"),
}
# Counting needs no order, and reads the actions' columns rather than the list's: "due before" as the due date
# itself, the same actions (an undated action sorts last, after any date), so that the count is a range of
# ix_actions_board_status_due (or ix_actions_owner_status_due), read from the index alone. On the list's
# expression PostgreSQL cannot read an index alone, and its generic plan scanned a board's open actions for the
# overdue ones: 1.25 ms for a count of 949, against 0.2 ms.
_COUNT_CONDITIONS: dict[str, ColumnElement[bool]] = {**_CONDITIONS,
                                                     "due_before": Action.due_date < bindparam("due_before")}


def _filtered(flt: ActionFilter) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The filter's shape (the names of the conditions it sets, in `_CONDITIONS`) and their values."""
    values: dict[str, Any] = {}
    if flt.board_ids is not None:
        values.update([_among("board", "boards", flt.board_ids)])
    if flt.owner_id is not None:
        values["owner"] = flt.owner_id
    if flt.statuses:
        values.update([_among("status", "statuses", flt.statuses)])
    if flt.due_before is not None:
        values["due_before"] = flt.due_before
    if flt.meeting_id is not None:
        values["meeting"] = flt.meeting_id
    return tuple(values), values


def _among(one: str, many: str, values: Sequence[Any]) -> tuple[str, Any]:
    """The condition `one` (`column = value`) for one value, an equality the index serves in order; else `many`
    (`column IN (…)`)."""
    return (one, values[0]) if len(values) == 1 else (many, list(values))


class ActionOwner(NamedTuple):
    """The owner of an action in a list: how the list names them."""

    slack_user_id: str
    display_name: str


class ActionLine(NamedTuple):
    """An action as a list shows it (handlers.actions.describe, with the list's board): the columns it prints, read
    as plain rows rather than as ORM entities, whose loading cost more than the rest of a list's command."""

    id: int
    ref: int
    board_id: int
    text: str
    due_date: dt.date | None
    status: ActionStatus
    source_permalink: str | None
    owner: ActionOwner


class ActionPage(NamedTuple):
    """A page of actions and how many there are in all."""

    actions: list[Action]
    total: int


class CountedPage(NamedTuple):
    """A page of actions and how many there are: `total`, or more than `total` when counting stopped there."""

    actions: list[ActionLine]
    total: int
    more: bool


_LINE_COLUMNS = (Action.id, Action.ref, Action.board_id, Action.text, Action.due_date, Action.status,
                 Action.source_permalink, Member.slack_user_id, Member.display_name)


@functools.cache
def _page_statement(shape: tuple[str, ...]) -> Select:
    """The page of a filter's shape, soonest due first (undated last): one range of ix_actions_list_order for one
    board. The owner's join is an outer one, as an ORM eager load's was, so the actions stay the rows the
    database walks in the index's order."""
    return (select(*_LINE_COLUMNS).outerjoin(Member, Member.id == Action.owner_id)
            .where(*(_CONDITIONS[name] for name in shape))
            .order_by(ACTION_LIST_DUE, Action.board_id, Action.ref)
            .limit(bindparam("limit")).offset(bindparam("offset")))


@functools.cache
def _count_statement(shape: tuple[str, ...]) -> Select:
    """How many actions of a filter's shape there are, counting no further than `upto`."""
    return select(func.count()).select_from(
        select(Action.id).where(*(_COUNT_CONDITIONS[name] for name in shape)).limit(bindparam("upto")).subquery())


def counted_page(*, session: Session, flt: ActionFilter, limit: int, offset: int, count_cap: int) -> CountedPage:
    """Matching actions, soonest due first (undated last), from the `offset`th, and how many there are, counting
    no further than `count_cap` or the page's end, so that a long list costs no more than a short one: past that
    the page says "more than" (`CountedPage.more`). Core statements (`rows.read_rows`)."""
    shape, values = _filtered(flt)
    found = [ActionLine._make((*row[:7], ActionOwner(row[7], row[8])))
             for row in rows.read_rows(session, _page_statement(shape), {**values, "limit": limit, "offset": offset})]
    if not offset and len(found) < limit:
        return CountedPage(found, len(found), more=False)
    upto = max(count_cap, offset + limit)
    counted = rows.read_rows(session, _count_statement(shape), {**values, "upto": upto + 1}).scalar() or 0
    return CountedPage(found, min(counted, upto), more=counted > upto)


@dataclass(frozen=True)
class ExportRow:
    ref: int
    board: str
    text: str
    owner: str
    organisation: str
    due: dt.date | None
    status: str
    created: dt.datetime
    last_update: str
    last_update_at: dt.datetime | None
    timezone: str  # the board's


def export_rows(*, session: Session, board_id: int | None = None, batch: int = 1000) -> Iterator[ExportRow]:
    """Every action with its latest note, streamed in batches (for the CSV log)."""
    owner = aliased(Member)
    latest = (
        select(ActionUpdate.action_id, func.max(ActionUpdate.id).label("last_id"))
        .group_by(ActionUpdate.action_id)
        .subquery()
    )
    last = aliased(ActionUpdate)
    stmt = (
        select(Action, Board.name, owner.display_name, Organisation.name, last.note, last.created_at,
               Board.timezone)
        .join(Board, Board.id == Action.board_id)
        .join(owner, owner.id == Action.owner_id)
        .outerjoin(Membership, (Membership.member_id == Action.owner_id) & (Membership.board_id == Action.board_id))
        .outerjoin(Organisation, Organisation.id == Membership.organisation_id)
        .outerjoin(latest, latest.c.action_id == Action.id)
        .outerjoin(last, and_(last.id == latest.c.last_id))
        .order_by(Board.name, Action.ref)
    )
    if board_id is not None:
        stmt = stmt.where(Action.board_id == board_id)
    for action, board_name, owner_name, org_name, note, note_at, zone in session.execute(
        stmt.execution_options(yield_per=batch)
    ):
        yield ExportRow(
            ref=action.ref,
            board=board_name,
            text=action.text,
            owner=owner_name,
            organisation=org_name or "",
            due=action.due_date,
            status=action.status.value,
            created=action.created_at,
            last_update=note or "",
            last_update_at=note_at,
            timezone=zone,
        )


def open_actions_of(*, session: Session, board_id: int, owner_id: int) -> list[Action]:
    """The member's open actions on one board, by number."""
    return list(session.scalars(
        select(Action).options(joinedload(Action.owner), joinedload(Action.board))
        .where(Action.board_id == board_id, Action.owner_id == owner_id, Action.status == ActionStatus.OPEN)
        .order_by(Action.ref)))
