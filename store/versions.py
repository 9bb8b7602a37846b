"""Submissions that keep their history (partner updates, quarterly returns): a resubmission marks the current
row superseded (`replaced_at`) and adds a new one, so each scope (an organisation's update for a meeting, an
item's return for a quarter) has one current row and keeps the earlier ones. A partial unique index on the
scope's columns where `replaced_at IS NULL` guards the one current row."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from typing import Any, Generic, NamedTuple, TypeVar, cast

from sqlalchemy import ColumnElement, Insert, Row, Select, Table, bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from store import db, rows
from store.models import Member, PartnerUpdate, QuarterlyReturn

Versioned = TypeVar("Versioned", PartnerUpdate, QuarterlyReturn)


# The row a submission superseded, as it was: its columns by name, and its author's Slack id (`author_slack_id`).
Superseded = Row[Any]


class NewVersion(NamedTuple, Generic[Versioned]):
    """The row just stored and the one it superseded, if any."""

    current: Versioned
    superseded: Superseded | None


def is_current(model: type[Versioned]) -> ColumnElement[bool]:
    """The condition of the current rows (none superseded them)."""
    return model.replaced_at.is_(None)


@functools.cache
def _current(model: type[Versioned], columns: tuple[str, ...]) -> Select[Versioned]:
    """The current row of a scope of these columns, its author loaded: built once a model and scope (each
    submission reads it, and building it cost more than the database's work)."""
    return (select(model).options(joinedload(model.author))
            .where(*(getattr(model, column) == bindparam(column) for column in columns), is_current(model)))


def current_version(*, session: Session, model: type[Versioned], scope: Mapping[str, Any]) -> Versioned | None:
    """The current row of a scope (`{"meeting_id": 1, "organisation_id": 2}`), if there is one, its author loaded."""
    return session.scalar(_current(model, tuple(scope)), dict(scope))


@functools.cache
def _superseded(model: type[Versioned], columns: tuple[str, ...]) -> Select[Any]:
    """The current row of a scope of these columns, read as columns with its author's Slack id: built once a model
    and scope."""
    table = model.__table__
    return (select(*table.c, Member.slack_user_id.label("author_slack_id"))
            .join(Member.__table__, Member.id == table.c.author_id)
            .where(*(table.c[column] == bindparam(column) for column in columns), table.c.replaced_at.is_(None)))


def store_version(*, session: Session, model: type[Versioned], scope: Mapping[str, Any], now: dt.datetime,
                  make: Callable[[Superseded | None], Mapping[str, Any]],
                  parent: tuple[type[Any], int]) -> NewVersion[Versioned]:
    """Supersede the scope's current row (kept, with `replaced_at` set to `now`) and add the row whose columns
    `make` gives from the superseded one (None for the first).

    The scope's `parent` row (model, id: the meeting of an organisation's update, the item of a return) is locked
    first (`db.lock_row`), so submissions to one scope at the same moment are stored one after the other: each
    supersedes the one before and its sender is told whose it replaced, none fails on the unique index. The
    superseded row is read with Core (its columns and its author's Slack id: what the sender is told), and the
    superseding and the new row are one Core statement each, any object of them kept in step (see
    `store.rows`)."""
    model_of_parent, parent_id = parent
    db.lock_row(session, model_of_parent, parent_id)
    previous = rows.read_rows(session, _superseded(model, tuple(scope)), scope).first()
    if previous is None:
        return NewVersion(rows.insert_loaded(session, model, make(None)), None)
    values = make(previous)
    if session.get_bind().dialect.name != "postgresql":
        rows.update_row(session, model, previous.id, {"replaced_at": now})
        return NewVersion(rows.insert_loaded(session, model, values), previous)
    current = rows.insert_loaded(session, model, {**rows.new_values(values), SUPERSEDED: previous.id,
                                                  "superseded_at": now}, statement=_superseding(model, tuple(values)))
    rows.keep_row_loaded(session, model, previous.id, {"replaced_at": now})
    return NewVersion(current, previous)


SUPERSEDED = "superseded_id"  # the bound parameter naming the row `_superseding` supersedes


@functools.cache
def _superseding(model: type[Versioned], columns: tuple[str, ...]) -> Insert:
    """PostgreSQL: the superseding UPDATE and the new row's INSERT as one statement, one round trip where they were
    two. The INSERT selects from the UPDATE (a data-modifying WITH), so the current row is superseded before the
    new one goes into the partial unique index (one the INSERT did not read from would run after it, and the index
    would refuse the new row). Its values are named apart from the table's columns; built once a model and set of
    columns."""
    table = cast(Table, model.__table__)
    superseding = (update(table).where(table.c.id == bindparam(SUPERSEDED))
                   .values(replaced_at=bindparam("superseded_at")).returning(table.c.id).cte("superseding"))
    return rows.insert_from(table, columns, superseding)
