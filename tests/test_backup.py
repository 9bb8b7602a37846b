"""`lspbot db backup` while the bot writes, and `lspbot db restore` of it: a consistent copy, restored whole."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.clock import FixedClock
from bot.runtime import build_runtime, run_command
from store import db
from tests.support.databases import TestDatabase, db_rows, make_database
from tests.support.integrity import consistency_problems, table_counts
from tests.support.server import run_lspbot
from tests.support.settings import ADMIN, DEFAULT_NOW, lspbot_env, settings_for


def lspbot_in_process(monkeypatch: pytest.MonkeyPatch, database_url: str, *args: str) -> int:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return main(list(args))


def actions(database_url: str) -> list[tuple[int, str]]:
    return [(ref, text) for ref, text in db_rows(database_url, "SELECT ref, text FROM actions ORDER BY ref")]


def test_a_backup_taken_while_writing_restores_whole(database: TestDatabase, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    runtime = build_runtime(settings_for(database.url), clock=FixedClock(DEFAULT_NOW), migrate=False)
    chair = dict(user_id="UBAKCHR1", channel_id="CBACKUP1")
    assert run_command(runtime, "/lsp", user_id=ADMIN, channel_id="CBACKUP1",
                       text='board create "Backed up" chair:<@UBAKCHR1|c> org:"O"').ok
    for n in range(5):
        assert run_command(runtime, "/action", **chair, text=f"add Before {n}").ok
    stop = threading.Event()
    written: list[str] = []

    def write() -> None:  # the bot keeps writing while the backup is taken
        n = 0
        while not stop.is_set():
            if run_command(runtime, "/action", **chair, text=f"add During {n}").ok:
                written.append(f"During {n}")
            n += 1
            stop.wait(0.02)

    writer = threading.Thread(target=write)
    writer.start()
    out = tmp_path / ("lspbot-backup.db" if database.backend == "sqlite" else "lspbot-backup.dump")
    try:
        done = run_lspbot(["db", "backup", "--out", str(out)], lspbot_env(database.url, "http://127.0.0.1:9/api/"))
    finally:
        stop.set()
        writer.join(30)
        runtime.close()
    assert done.returncode == 0 and done.stdout.startswith(f"backed up to {out}"), done.stderr
    assert written, "nothing was written while the backup was taken"

    (tmp_path / "restored").mkdir()
    restored = make_database(database.backend, tmp_path / "restored")  # empty
    try:
        assert lspbot_in_process(monkeypatch, restored.url, "db", "restore", str(out)) == 0
        assert f"database at revision {db.head_revision()}" in capsys.readouterr().out
        snapshot = actions(restored.url)
        assert consistency_problems(restored.url) == []
        # A snapshot of one moment: the actions before it, numbered without a gap, each with its audit record.
        assert [ref for ref, _ in snapshot] == list(range(1, len(snapshot) + 1))
        assert [t for _, t in snapshot[:5]] == [f"Before {n}" for n in range(5)]
        assert set(actions(database.url)) >= set(snapshot)
        counts = table_counts(restored.url)
    finally:
        restored.drop()

    # Rolling back: the backup over the database it came from, which has moved on since.
    assert lspbot_in_process(monkeypatch, database.url, "db", "restore", str(out)) == 1
    assert "is not empty: stop the bot and add --replace" in capsys.readouterr().err
    assert lspbot_in_process(monkeypatch, database.url, "db", "restore", str(out), "--replace") == 0
    assert actions(database.url) == snapshot and table_counts(database.url) == counts
    assert consistency_problems(database.url) == []
