"""Rows read and written with Core on a unit of work's connection; the ORM objects of those written kept in step.

A flush costs several times the statement it sends (a command that adds one row and changes another spent more
on its two flushes than on everything else it did in the database). Where a handler goes on to read what it
wrote (an action it confirms, a history entry), the row is written with one Core statement and the object is
put into the session as if it had been loaded: the identity map holds it, clean, with the values the database
has, so nothing is flushed for it again and later reads in the unit of work see it as it is. Its many-to-one
relations are set as loaded; collections on the other side (a board's actions, an action's history) already loaded
in the session are not told of the new row (no backref fires), so a unit of work that reads one after writing
through here reads it afresh.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Executable, FromClause, Insert, Result, Table, Update, bindparam, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

Model = TypeVar("Model")

TARGET = "row_id"  # the bound parameter naming the row `update_loaded` writes


@functools.cache
def _insert(table: Table) -> Insert:
    """An INSERT returning every column (its id and any default the database filled in), built once a table."""
    return insert(table).returning(*table.c)


@functools.cache
def _update(table: Table) -> Update:
    """An UPDATE of one row by id, built once a table; its SET clause is the parameters given with it."""
    return update(table).where(table.c.id == bindparam(TARGET))


def insert_loaded(session: Session, model: type[Model], values: Mapping[str, Any],
                  related: Mapping[str, Any] | None = None, *, statement: Insert | None = None) -> Model:
    """Insert a row of `model` (`values` by column) with one Core INSERT … RETURNING on the session's connection,
    and the object for it into the session, persistent and clean, as a query would have loaded it. `related`:
    many-to-one relationships to set on it as loaded (the board and owner of a new action, already in the
    session), so reading them asks nothing of the database. `statement`: an INSERT of the model's table returning
    every column, some of whose values it computes in SQL (`values` then holds the others and its parameters)."""
    table = model.__table__  # type: ignore[attr-defined]
    row = session.connection().execute(statement if statement is not None else _insert(table), dict(values)).one()
    obj = model(**row._mapping)
    make_transient_to_detached(obj)  # its values are now the loaded state, not changes to flush
    session.add(obj)
    for name, value in (related or {}).items():
        set_committed_value(obj, name, value)
    return obj


def update_loaded(session: Session, obj: Any, values: Mapping[str, Any]) -> None:
    """Write columns of an object's row (`values` by column) with one Core UPDATE on the session's connection, and
    the same values into the object as loaded, so it is not flushed for them. A change already pending on another
    of its columns is left to the flush."""
    session.connection().execute(_update(obj.__table__), {TARGET: obj.id, **values})
    keep_loaded(obj, values)


def keep_loaded(obj: Any, values: Mapping[str, Any]) -> None:
    """Columns of an object's row written already (by a statement of the caller's), set in it as loaded."""
    for name, value in values.items():
        set_committed_value(obj, name, value)


def update_row(session: Session, model: type[Any], row_id: int, values: Mapping[str, Any]) -> None:
    """`update_loaded` for a row read as columns: its object, if the session has one, kept in step."""
    session.connection().execute(_update(model.__table__), {TARGET: row_id, **values})
    keep_row_loaded(session, model, row_id, values)


def keep_row_loaded(session: Session, model: type[Any], row_id: int, values: Mapping[str, Any]) -> None:
    """Columns of a row written already (by a statement of the caller's), set in its object as loaded if the session
    has one."""
    loaded = session.identity_map.get(identity_key(model, row_id))
    if loaded is not None:
        keep_loaded(loaded, values)


NEW = "new_"  # the prefix of a new row's values in `insert_from`'s statement


def insert_from(table: Table, columns: Sequence[str], source: FromClause,
                computed: Mapping[str, Any] | None = None) -> Insert:
    """An INSERT … SELECT of one row from `source` (a data-modifying WITH that must run before the INSERT, which
    reading from it ensures), returning every column: the `columns` as typed parameters named `new_<column>`
    (`new_values`), apart from any column's name so that the statement in the WITH takes none of them, and
    `computed` columns by their expressions."""
    chosen = {name: bindparam(NEW + name, type_=table.c[name].type) for name in columns} | dict(computed or {})
    return insert(table).from_select(list(chosen), select(*chosen.values()).select_from(source)).returning(*table.c)


def new_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """A new row's values as `insert_from`'s statement names them."""
    return {NEW + name: value for name, value in values.items()}


def read_rows(session: Session, stmt: Executable, values: Mapping[str, Any]) -> Result[*tuple[Any, ...]]:
    """A Core statement's rows on the unit of work's connection, without the ORM's work per statement; flushed
    first, as an ORM query is, so that they include what the unit of work has changed."""
    session.flush()
    return session.connection().execute(stmt, dict(values))
