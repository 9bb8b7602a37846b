"""store.db's bulk statements: insert_rows (one statement however many rows; COPY through a temporary table on
PostgreSQL) and select_rows (the driver's rows, converted by their columns' types), on every backend."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Date, Engine, Enum, Integer, MetaData, String, Table, event, select
from sqlalchemy.orm import Session

from store import db
from store.models import UTCDateTime
from tests.support.databases import TestDatabase


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


ROWS = Table("bulk_rows_check", MetaData(), Column("key", String(20), primary_key=True), Column("day", Date),
             Column("at", UTCDateTime()), Column("n", Integer),
             Column("colour", Enum(Colour, values_callable=lambda e: [m.value for m in e])))  # native on PostgreSQL
COLUMNS = ("key", "day", "at", "n", "colour")
AT = dt.datetime(2019, 7, 17, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def engine(database: TestDatabase) -> Iterator[Engine]:
    engine = db.make_engine(database.url)
    ROWS.create(engine)
    yield engine
    ROWS.drop(engine)
    engine.dispose()


def test_rows_go_in_by_one_statement_and_come_back_as_they_went(engine: Engine) -> None:
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda *args: None if args[2].startswith("BEGIN") else statements.append(args[2]))
    rows = [(f"k{i}", dt.date(2019, 7, 1) + dt.timedelta(days=i % 3), AT, i, Colour.RED if i % 2 else Colour.BLUE)
            for i in range(500)]
    with Session(engine) as session:
        db.insert_rows(session, ROWS, COLUMNS, rows, key=["key"])
        written = len(statements)
        db.insert_rows(session, ROWS, COLUMNS, [("k1", dt.date(2020, 1, 1), AT, -1, Colour.BLUE),
                                                ("new", None, AT, None, Colour.RED)], key=["key"])  # k1 is kept
        db.insert_rows(session, ROWS, COLUMNS, [("k2", dt.date(2021, 2, 2), AT + dt.timedelta(hours=1), 7,
                                                 Colour.RED)], key=["key"], update=["day", "at", "n"])
        session.commit()
    # SQLite: one executemany; PostgreSQL: the temporary table and the INSERT … SELECT (the COPY is not a cursor's
    # execute), whatever the number of rows.
    assert written == (1 if engine.dialect.name == "sqlite" else 2), statements
    with Session(engine) as session:
        back = {row[0]: row for row in db.select_rows(session, select(*(ROWS.c[c] for c in COLUMNS)))}
    assert len(back) == 501
    assert back["k1"] == rows[1] and back["k3"] == rows[3] and back["new"] == ("new", None, AT, None, Colour.RED)
    assert back["k2"] == ("k2", dt.date(2021, 2, 2), AT + dt.timedelta(hours=1), 7, Colour.BLUE)  # colour kept
