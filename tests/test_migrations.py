"""The migrations build the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from store import db
from store.models import Base
from tests.support.databases import TestDatabase


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
