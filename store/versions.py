"""Submissions that keep their history (partner updates, quarterly returns): a resubmission marks the current
row superseded (`replaced_at`) and adds a new one, so each scope (an organisation's update for a meeting, an
item's return for a quarter) has one current row and keeps the earlier ones. A partial unique index on the
scope's columns where `replaced_at IS NULL` guards the one current row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from store import db
from store.models import PartnerUpdate, QuarterlyReturn

Versioned = TypeVar("Versioned", PartnerUpdate, QuarterlyReturn)


class NewVersion(NamedTuple, Generic[Versioned]):
    """The row just stored and the one it superseded, if any."""

    current: Versioned
    superseded: Versioned | None


def is_current(model: type[Versioned]) -> ColumnElement[bool]:
    """The condition of the current rows (none superseded them)."""
    return model.replaced_at.is_(None)


def current_version(*, session: Session, model: type[Versioned], scope: Mapping[str, Any],
                    options: Sequence[ORMOption] = ()) -> Versioned | None:
    """The current row of a scope (`{"meeting_id": 1, "organisation_id": 2}`), if there is one."""
    return session.scalar(select(model).options(*options)
                          .where(*(getattr(model, column) == value for column, value in scope.items()),
                                 is_current(model)))


def store_version(*, session: Session, model: type[Versioned], scope: Mapping[str, Any], now: dt.datetime,
                  make: Callable[[Versioned | None], Versioned], parent: tuple[type[Any], int],
                  options: Sequence[ORMOption] = ()) -> NewVersion[Versioned]:
    """Supersede the scope's current row (kept, with `replaced_at` set to `now`; loaded with `options`) and add the
    row `make` builds from it (None for the first).

    The scope's `parent` row (model, id: the meeting of an organisation's update, the item of a return) is locked
    first (`db.lock_rows`), so submissions to one scope at the same moment are stored one after the other: each
    supersedes the one before and its sender is told whose it replaced, none fails on the unique index."""
    model_of_parent, parent_id = parent
    db.lock_rows(session, model_of_parent, model_of_parent.id == parent_id)
    previous = current_version(session=session, model=model, scope=scope, options=options)
    if previous is not None:
        session.execute(update(model).where(model.id == previous.id).values(replaced_at=now))
        session.flush()
    entry = make(previous)
    session.add(entry)
    session.flush()
    return NewVersion(entry, previous)
