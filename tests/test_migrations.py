"""The migrations build the schema the models describe, on every backend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from sqlalchemy import Engine, inspect, text

from store import db
from store.models import Base
from tests.support.databases import TestDatabase, backends, make_database
from tests.support.integrity import connect
from tests.support.server import run_lspbot
from tests.support.settings import lspbot_env


# SQLite's reflection skips expression indexes (the list indexes): test_the_list_indexes_are_added_and_taken_away
# and tests/test_action_lists.py check that one.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index",
                            "ignore:autogenerate skipping metadata-specified expression-based index")
def test_the_models_match_the_migrations(database: TestDatabase) -> None:
    engine = db.make_engine(database.url)
    try:
        heads = ScriptDirectory.from_config(db.alembic_config(database.url)).get_heads()
        assert db.current_revision(engine) == ", ".join(sorted(heads)), "the database is not at the migrations' head"
        assert db.head_revision() == db.script_heads() == ", ".join(sorted(heads)), (
            "store.db.HEAD must name the last migration")
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


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")  # not ours
def test_the_report_indexes_come_and_go_with_their_migration(empty_database: Engine) -> None:
    engine = empty_database
    report_indexes = {"ix_actions_board_created", "ix_actions_board_status_closed", "ix_audit_log_entity"}

    def indexes() -> set[str]:
        found = inspect(engine)
        return {ix["name"] for table in ("actions", "audit_log") for ix in found.get_indexes(table)} & report_indexes

    db.upgrade(engine)
    assert indexes() == report_indexes
    cfg = db.alembic_config(engine.url.render_as_string(hide_password=False))
    before = ScriptDirectory.from_config(cfg).get_revision("0013_report_indexes").down_revision
    with db.migration_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, str(before))
    assert indexes() == set()
    db.upgrade(engine)
    assert indexes() == report_indexes


def test_serve_and_scheduler_refuse_a_schema_that_is_not_the_codes(database: TestDatabase, tmp_path: Path) -> None:
    """One line and exit status 2, before anything starts: a schema behind the code (PostgreSQL: SQLite files are
    upgraded at start-up), an empty database, and (SQLite) a revision this code does not know (a newer version's)."""
    head = db.head_revision()
    env = lspbot_env(database.url, "http://127.0.0.1:9/api/")

    def refused(command: str) -> str:
        done = run_lspbot([command] + (["--port", "0"] if command == "serve" else []), env, cwd=tmp_path, timeout=60)
        assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1, (done.returncode,
                                                                                           done.stdout, done.stderr)
        return done.stderr.strip()

    def stamp(revision: str | None) -> None:
        with connect(database.url) as conn:
            conn.execute(text("DELETE FROM alembic_version"))
            if revision:
                conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": revision})
            conn.commit()

    if database.backend == "sqlite":  # upgraded at start-up, unless a newer version has been there
        stamp("0099_from_a_newer_lspbot")
        assert refused("scheduler") == (
            "lspbot: the database is at revision 0099_from_a_newer_lspbot, which this lspbot does not know (a newer "
            "version upgraded it): run that version, or restore the backup taken before the upgrade")
    else:
        stamp("0005_merge")
        assert refused("serve") == (f"lspbot: the database is at revision 0005_merge, this lspbot needs {head}: "
                                    "run `lspbot db upgrade`")
        empty = make_database("postgresql", tmp_path)
        try:
            done = run_lspbot(["scheduler"], lspbot_env(empty.url, "http://127.0.0.1:9/api/"), cwd=tmp_path, timeout=60)
            assert done.returncode == 2 and done.stderr == (
                f"lspbot: the database is at revision none (it is empty), this lspbot needs {head}: "
                "run `lspbot db upgrade`\n"), done.stderr
        finally:
            empty.drop()


LIST_INDEXES = {"ix_actions_list_order", "ix_actions_owner_list_order"}


def test_the_list_indexes_are_added_and_taken_away(empty_database: Engine) -> None:
    engine = empty_database
    db.upgrade(engine, "0011_seen_requests")
    assert not LIST_INDEXES & _action_indexes(engine)
    db.upgrade(engine, "0012_action_list_index")
    assert LIST_INDEXES <= _action_indexes(engine)
    cfg = db.alembic_config(engine.url.render_as_string(hide_password=False))
    with db.migration_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011_seen_requests")
    assert not LIST_INDEXES & _action_indexes(engine)
    db.upgrade(engine)
    assert LIST_INDEXES <= _action_indexes(engine)


def _action_indexes(engine: Engine) -> set[str]:
    """The names of the actions table's indexes (expression indexes included, which reflection skips)."""
    sql = ("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'actions'" if engine.dialect.name == "sqlite"
           else "SELECT indexname FROM pg_indexes WHERE tablename = 'actions'")
    with engine.connect() as conn:
        return set(conn.execute(text(sql)).scalars())


def test_the_chase_reminder_log_is_carried_to_one_row_per_message_and_back(empty_database: Engine) -> None:
    """0017_reminder_actions: the chase job's rows per action become one row per message, with the actions it listed
    in the order they were logged; other reminders stay as they were; and the way back gives a row per action."""
    engine = empty_database
    db.upgrade(engine, "0016_email_members")
    sent = dt.datetime(2019, 7, 17, 8, 0)
    first, second = "chase:1:1:2019-07-17T08:00Z", "chase:1:2:2019-07-17T08:00Z"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO boards (id, name, slug, channel_id, timezone, settings, next_action_ref, "
                          "created_at) VALUES (1, 'Exec', 'exec', 'C1', 'Europe/London', '{}', 4, :t)"), {"t": sent})
        conn.execute(text("INSERT INTO members (id, slack_user_id, display_name) VALUES (1, 'UALICE', 'Alice'), "
                          "(2, 'UBOB', 'Bob')"))
        for action_id, owner in ((1, 1), (2, 2), (3, 1)):
            conn.execute(text("INSERT INTO actions (id, board_id, ref, text, owner_id, status, created_by_id, "
                              "created_at, updated_at) VALUES (:a, 1, :a, 'Do it', :o, 'open', 1, :t, :t)"),
                         {"a": action_id, "o": owner, "t": sent})
        for action_id, owner, kind, message in ((3, 1, "overdue", first), (2, 2, "soon", second),
                                                (1, 1, "today", first)):
            conn.execute(text("INSERT INTO reminder_log (key, board_id, kind, action_id, member_id, occasion, detail, "
                              "message_key, sent_at) VALUES (:k, 1, 'chase', :a, :o, :d, :x, :m, :t)"),
                         {"k": f"chase:{action_id}:2019-07-17:2", "a": action_id, "o": owner, "d": sent.date(),
                          "x": kind, "m": message, "t": sent})
        conn.execute(text("INSERT INTO reminder_log (key, board_id, kind, occasion, detail, sent_at) "
                          "VALUES ('digest:1:2019-W29', 1, 'digest', :d, '2', :t)"), {"d": sent.date(), "t": sent})

    def log() -> list[tuple]:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT key, kind, action_id, member_id, detail, message_key FROM reminder_log ORDER BY key"))]

    db.upgrade(engine)
    assert log() == [(first, "chase", None, 1, "2", first), (second, "chase", None, 2, "1", second),
                     ("digest:1:2019-W29", "digest", None, None, "2", None)]
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(text(
            "SELECT message_key, position, action_id FROM reminder_actions ORDER BY message_key, position"))] == [
            (first, 0, 3), (first, 1, 1), (second, 0, 2)]
    cfg = db.alembic_config(engine.url.render_as_string(hide_password=False))
    with db.migration_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0016_email_members")
    assert log() == [(f"chase:1:{first}", "chase", 1, 1, None, first), (f"chase:2:{second}", "chase", 2, 2, None, second),
                     (f"chase:3:{first}", "chase", 3, 1, None, first),
                     ("digest:1:2019-W29", "digest", None, None, "2", None)]
    db.upgrade(engine)
    assert [row[:2] for row in log()] == [(first, "chase"), (second, "chase"), ("digest:1:2019-W29", "digest")]
