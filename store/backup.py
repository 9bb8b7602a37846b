"""Backing up and restoring the whole database (`lspbot db backup`, `lspbot db restore`).

- SQLite: SQLite's online backup API, page by page, consistent even while the bot is writing (WAL included). A
  restore copies the backup into the database file the same way, so the file stays the one the bot opens.
- PostgreSQL: `pg_dump --format=custom` (one consistent snapshot while the bot runs) and `pg_restore`, the
  PostgreSQL client programs (at least the server's major version), run with the password in the environment,
  never on the command line.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import URL, make_url


class BackupError(Exception):
    """The backup or restore could not be made; the message is one line."""


def backup(url: str, out: Path) -> None:
    """Write a backup of the database at `url` to `out` (replaced if there)."""
    parsed = make_url(url)
    partial = out.with_name(out.name + ".partial")  # renamed once whole: a failed backup leaves no file behind
    partial.unlink(missing_ok=True)
    try:
        if parsed.get_backend_name() == "sqlite":
            source = _sqlite_file(parsed)
            if not source.is_file():
                raise BackupError(f"no SQLite database at {source}")
            with contextlib.closing(sqlite3.connect(source)) as src, \
                    contextlib.closing(sqlite3.connect(partial)) as dst:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        else:
            _run_pg("pg_dump", parsed, ["--format=custom", "--no-owner", f"--file={partial}"])
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)


def restore(url: str, source: Path, *, replace: bool) -> None:
    """Replace the database at `url` with the backup in `source`. Unless `replace`, the database must be empty."""
    parsed = make_url(url)
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    if parsed.get_backend_name() == "sqlite":
        target = _sqlite_file(parsed)
        with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src:
            try:
                tables = {name for (name,) in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            except sqlite3.DatabaseError as exc:
                raise BackupError(f"{source} is not an SQLite backup ({exc})") from None
            if "alembic_version" not in tables:
                raise BackupError(f"{source} is not a backup of an lspbot database")
            with contextlib.closing(sqlite3.connect(target)) as dst:
                if not replace and dst.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                    raise BackupError(f"{target} is not empty: stop the bot and add --replace to overwrite it")
                src.backup(dst)
        return
    listing = _run_pg("pg_restore", parsed, ["--list", str(source)], database=False)
    if "alembic_version" not in listing:
        raise BackupError(f"{source} is not a pg_dump backup of an lspbot database")
    from sqlalchemy import create_engine, text

    engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            held = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar()
            if held and not replace:
                raise BackupError(f"the database {parsed.database} is not empty: stop the bot and add --replace to "
                                  "overwrite it")
            if held:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    _run_pg("pg_restore", parsed, ["--no-owner", "--single-transaction", "--exit-on-error", str(source)])


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("DATABASE_URL names no SQLite file")
    return Path(url.database)


def _run_pg(program: str, url: URL, args: list[str], *, database: bool = True) -> str:
    """Run a PostgreSQL client program on the database at `url`; its standard output."""
    path = shutil.which(program)
    if path is None:
        raise BackupError(f"{program} is not installed: install the PostgreSQL client programs (postgresql-client)")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    done = subprocess.run([path, *([f"--dbname={plain}"] if database else []), *args], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise BackupError(f"{program} failed: {lines[-1] if lines else f'exit status {done.returncode}'}")
    return done.stdout
