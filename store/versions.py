"""Submissions that keep their history (partner updates, quarterly returns): a resubmission marks the current
row superseded (`replaced_at`) and adds a new one, so each scope (an organisation's update for a meeting, an
item's return for a quarter) has one current row and keeps the earlier ones. A partial unique index on the
scope's columns where `replaced_at IS NULL` guards the one current row."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlalchemy.orm import Session, joinedload

from store import db, rows
from store.models import PartnerUpdate, QuarterlyReturn

Versioned = TypeVar("Versioned", PartnerUpdate, QuarterlyReturn)


class NewVersion(NamedTuple, Generic[Versioned]):
    """The row just stored and the one it superseded, if any."""

    current: Versioned
    superseded: Versioned | None


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


def store_version(*, session: Session, model: type[Versioned], scope: Mapping[str, Any], now: dt.datetime,
                  make: Callable[[Versioned | None], Mapping[str, Any]],
                  parent: tuple[type[Any], int]) -> NewVersion[Versioned]:
    """Supersede the scope's current row (kept, with `replaced_at` set to `now`; its author loaded) and add the
    row whose columns `make` gives from it (None for the first).

    The scope's `parent` row (model, id: the meeting of an organisation's update, the item of a return) is locked
    first (`db.lock_rows`), so submissions to one scope at the same moment are stored one after the other: each
    supersedes the one before and its sender is told whose it replaced, none fails on the unique index. The
    superseding and the new row are one Core statement each, the objects kept in step (see `store.rows`)."""
    model_of_parent, parent_id = parent
    db.lock_rows(session, model_of_parent, model_of_parent.id == parent_id)
    previous = current_version(session=session, model=model, scope=scope)
    if previous is not None:
        rows.update_loaded(session, previous, {"replaced_at": now})
    return NewVersion(rows.insert_loaded(session, model, make(previous)), previous)
