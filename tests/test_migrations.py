"""The migrations build the schema the models describe, on every backend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from sqlalchemy import Engine, text

from store import db
from store.models import Base
from tests.support.databases import TestDatabase, backends, make_database


def test_the_models_match_the_migrations(database: TestDatabase) -> None:
    engine = db.make_engine(database.url)
    try:
        heads = ScriptDirectory.from_config(db.alembic_config(database.url)).get_heads()
        assert db.current_revision(engine) == ", ".join(sorted(heads)), "the database is not at the migrations' head"
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == [], "models and migrations differ; add a migration:\n" + "\n".join(map(repr, differences))


@pytest.fixture(params=backends())
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    database = make_database(request.param, tmp_path)
    engine = db.make_engine(database.url)
    yield engine
    engine.dispose()
    database.drop()


def test_mentions_stored_before_are_turned_into_names(empty_database: Engine) -> None:
    engine = empty_database
    db.upgrade(engine, "0007_board_organisations")
    now = dt.datetime(2019, 3, 1, 9, 0)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO boards (id, name, channel_id, timezone, settings, next_action_ref, created_at) "
                          "VALUES (1, 'Exec', 'C1', 'Europe/London', '{}', 2, :t)"), {"t": now})
        conn.execute(text("INSERT INTO members (id, slack_user_id, display_name) VALUES (1, 'UALICE', 'Alice Smith'), "
                          "(2, 'UBOB', 'UBOB')"))
        conn.execute(text("INSERT INTO actions (id, board_id, ref, text, owner_id, status, created_by_id, created_at, "
                          "updated_at) VALUES (1, 1, 1, :x, 1, 'open', 1, :t, :t)"),
                     {"t": now, "x": "Ask <@UALICE|alice> and <@UBOB|bob> and <@UNOBODY> for the figures"})
        conn.execute(text("INSERT INTO action_updates (action_id, author_id, kind, note, created_at) VALUES "
                          "(1, 1, 'progress', 'Spoke to <@UALICE>', :t)"), {"t": now})
    db.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT text FROM actions")).scalar_one() == (
            "Ask Alice Smith and bob and UNOBODY for the figures")
        assert conn.execute(text("SELECT note FROM action_updates")).scalar_one() == "Spoke to Alice Smith"
