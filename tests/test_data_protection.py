"""Members' personal data: the subject access export, erasing a person (everywhere, or from one board's record)
through `lspbot member` and `/lsp member erase`, and the daily purge of delivered messages' content.

Against `lspbot serve` and the real command line on SQLite and PostgreSQL; after an erasure every text and JSON
column of every table is searched for the person's name, Slack id and DM channel."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import warnings
from typing import Any

from sqlalchemy import JSON, String, Text, create_engine, inspect, select
from sqlalchemy import MetaData as SaMetaData

import pytest

from bot.cli.jobs import cmd_jobs_list
from bot.clock import FixedClock
from bot.runtime import build_runtime, run_command
from bot.services.scheduler import run_job
from jobs.registry import JOBS
from store import boards, db
from store import files as files_store
from store import outbox as outbox_store
from store import packs as pack_store
from store import papers as paper_store
from store.models import OutboxMessage, OutboxStatus, PlanItem, StoredFile
from tests.support.databases import TestDatabase, db_rows
from tests.support.settings import ADMIN, LONDON, settings_for
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess, run_lspbot, sql
from tests.support.waiting import wait_until

NAME = "Zoë Fairweather"
NAME_FORMS = ("Zoë", "Zo\\u00eb", "Fairweather", "fairweather")  # as written, and as JSON escapes it


def everywhere(server: ServerProcess, *needles: str) -> list[str]:
    """Every (table.column: value) of the whole database holding one of the needles: every string, text and JSON
    column of every table (the schema read from the database itself, not from the models)."""
    engine = create_engine(server.database_url)
    found = []
    try:
        meta = SaMetaData()
        with warnings.catch_warnings():  # SQLite's expression indexes are not reflected: columns are what is read
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
            meta.reflect(engine)
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))
                           or type(c.type).__name__ in ("JSON", "JSONB", "VARCHAR", "TEXT")]
                if not columns:
                    continue
                for row in conn.execute(select(*columns)):
                    for column, value in zip(columns, row, strict=True):
                        raw = value if isinstance(value, str) else json.dumps(value)
                        for text in (raw, json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else raw):
                            if any(n in text for n in needles):
                                found.append(f"{table.name}.{column.name}: {text[:200]}")
                                break
        assert inspect(engine).get_table_names()  # the search did look at something
    finally:
        engine.dispose()
    return found


def as_json(value: Any) -> Any:
    """A JSON column as read straight from the database: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def add_zoe(server: ServerProcess, board: BoardFixture) -> tuple[str, str]:
    """Zoë joins the board; (her Slack id, her DM channel once the bot has written to her)."""
    zoe = "UZOE" + board.channel_id[1:]
    r = board.chair.command("/lsp", f'member add <@{zoe}|{NAME}> org:"Ealing PCT"')
    assert r.status == 200 and "joined" in r.text, r.text

    def dm() -> str | None:
        return db_rows(server.database_url, "SELECT dm_channel_id FROM members WHERE slack_user_id = :u", u=zoe)[0][0]

    wait_until(lambda: dm() is not None, 10, what="the bot to open Zoë's DM")
    return zoe, str(dm())


def give_zoe_a_record(server: ServerProcess, board: BoardFixture, zoe: str) -> None:
    """Actions she owns and raised, a progress note, an approved proposal, an audit trail naming her, and a
    message to her still waiting for its retry."""
    chair, as_zoe = board.chair, board.admin.as_user(zoe, "zoe")
    r = chair.command("/plan", "meeting add 2019-08-20 10:00")
    assert r.status == 200, r.text
    r = chair.command("/action", f"add Send the housing figures <@{zoe}|zoe> by 2019-08-10")
    assert r.status == 200 and "#1" in r.text, r.text
    r = as_zoe.command("/action", f"add Ask {NAME}'s team for the venue rota by 2019-08-12")
    assert r.status == 200 and "#2" in r.text, r.text
    r = as_zoe.command("/action", "update #1 Figures half done")
    assert r.status == 200, r.text
    r = as_zoe.command("/agenda", 'add "Youth housing pilot"')
    assert r.status == 200 and "A1" in r.text, r.text
    r = chair.command("/agenda", "approve A1")
    assert r.status == 200, r.text
    sql(server, "INSERT INTO outbox (key, target_kind, target, payload, status, attempts, next_attempt_at, created_at) "
        "VALUES (:k, 'user', :t, :p, 'pending', 1, :n, :n)", k=f"waiting:{zoe}", t=zoe,
        p=json.dumps({"text": f"Hello {NAME}, a reminder"}), n="2030-01-01 00:00:00")


def test_export_then_erase_from_the_command_line(server: ServerProcess, board: BoardFixture, fake_slack: FakeSlack):
    zoe, dm = add_zoe(server, board)
    give_zoe_a_record(server, board, zoe)

    done = run_lspbot(["member", "export", zoe], server.env)
    assert done.returncode == 0, done.stderr
    held = json.loads(done.stdout)
    assert held["member"]["display_name"] == NAME and held["member"]["dm_channel_id"] == dm
    assert held["memberships"] == [{"board": board.name, "role": "member", "organisation": "Ealing PCT", "left_at": None}]
    assert [a["ref"] for a in held["actions_owned"]] == [1, 2] and [a["ref"] for a in held["actions_created"]] == [2]
    assert [u["note"] for u in held["action_updates"]] == ["Figures half done"]
    assert [p["title"] for p in held["agenda_proposals"]] == ["Youth housing pilot"]
    assert any(e["actor"] == zoe and e["entity"] == "action" for e in held["audit_entries"])
    assert {m["status"] for m in held["messages_to_them"]} == {"sent", "pending"}
    assert any(m["table"] == "actions" and NAME in m["text"][0] for m in held["mentions"]), held["mentions"]

    done = run_lspbot(["member", "erase", zoe, "--yes"], server.env)
    assert done.returncode == 0, done.stderr
    member_id = db_rows(server.database_url, "SELECT id FROM members WHERE slack_user_id = :k", k=f"erased:{db_id(done)}")
    pseudonym = f"Former member {member_id[0][0]}"
    assert pseudonym in done.stdout and f"left {board.name}" in done.stdout

    # Nothing of her remains, in any column of any table.
    assert everywhere(server, zoe, dm, *NAME_FORMS) == []
    assert db_rows(server.database_url, "SELECT display_name, dm_channel_id, timezone FROM members WHERE id = :i",
                   i=member_id[0][0]) == [(pseudonym, None, None)]
    to_her = db_rows(server.database_url, "SELECT key, status, payload, purged_at FROM outbox WHERE target = :k",
                     k=f"erased:{member_id[0][0]}")
    assert len(to_her) >= 3 and all(as_json(p) == {"purged": True} and at is not None for _, _, p, at in to_her)
    assert [s for k, s, _, _ in to_her if k.startswith("waiting:")] == ["failed"]  # cancelled, never to be sent

    # The board's record stays, readable, under the pseudonym.
    r = board.chair.command("/action", "list all")
    assert r.status == 200 and "Send the housing figures" in r.text and pseudonym in r.text, r.text
    assert f"Ask {pseudonym}'s team for the venue rota" in r.text
    r = board.chair.command("/agenda", "draft")
    assert r.status == 200 and "Youth housing pilot" in r.text and pseudonym in r.text, r.text
    audit = db_rows(server.database_url, "SELECT operation FROM audit_log WHERE actor = :k ORDER BY id",
                    k=f"erased:{member_id[0][0]}")
    assert ("create",) in audit and ("progress",) in audit  # her own changes stay, under the pseudonym's key



def db_id(done: Any) -> str:
    """The member id in `erased: now “Former member N” (erased:N)`."""
    return done.stdout.split("(erased:", 1)[1].split(")", 1)[0]


def test_only_admins_erase_with_the_slash_command_after_confirming(server: ServerProcess, board: BoardFixture,
                                                                   fake_slack: FakeSlack):
    zoe, dm = add_zoe(server, board)
    r = board.chair.command("/action", f"add Chase the tenancy audit <@{zoe}|zoe>")
    assert r.status == 200, r.text

    r = board.chair.command("/lsp", f"member erase <@{zoe}> confirm:yes")
    assert r.status == 200 and "Only lspbot admins" in r.text, r.text
    r = board.admin.command("/lsp", f"member erase <@{board.chair.user_id}> confirm:yes")
    assert "only chair" in r.text, r.text  # a board always keeps its chair
    r = board.admin.command("/lsp", f"member erase <@{zoe}>")
    assert r.status == 200 and f"Erase {NAME}?" in r.text and "confirm:yes" in r.text, r.text
    assert everywhere(server, zoe)  # asking changed nothing

    r = board.admin.command("/lsp", f"member erase <@{zoe}> confirm:yes")
    assert r.status == 200 and "Former member" in r.text, r.text
    pseudonym = r.text.split("“", 1)[1].split("”", 1)[0]
    assert everywhere(server, zoe, dm, *NAME_FORMS) == []
    r = board.chair.command("/action", "list all")
    assert "Chase the tenancy audit" in r.text and pseudonym in r.text, r.text
    r = board.admin.command("/lsp", f"member erase <@{zoe}> confirm:yes")
    assert "holds nothing" in r.text, r.text


def test_erase_from_one_board_keeps_the_person_on_the_other(server: ServerProcess, board: BoardFixture,
                                                            fake_slack: FakeSlack):
    zoe, dm = add_zoe(server, board)
    other_channel = board.channel_id + "B"
    other = board.admin.as_user(board.admin.user_id)
    r = other.command("/lsp", f'board create "Other {board.name}" chair:<@{board.chair.user_id}|chair> org:"LB Ealing"',
                      channel_id=other_channel)
    assert r.status == 200, r.text
    r = board.chair.command("/lsp", f'member add <@{zoe}|{NAME}> org:"Ealing PCT" board:"Other {board.name}"')
    assert r.status == 200, r.text
    r = board.chair.command("/action", f"add Draft the housing brief <@{zoe}|zoe>")
    assert r.status == 200, r.text
    r = board.chair.command("/action", f"add Other board task <@{zoe}|zoe> board:\"Other {board.name}\"")
    assert r.status == 200, r.text

    r = board.admin.command("/lsp", f'member erase <@{zoe}> board:"{board.name}" confirm:yes')
    assert r.status == 200 and f"Erased from {board.name}" in r.text, r.text
    pseudonym = r.text.split("“", 1)[1].split("”", 1)[0]
    key = "erased:" + pseudonym.rsplit(" ", 1)[1]
    # This board's record shows the stand-in; her record and the other board's are hers still.
    r = board.chair.command("/action", "list all")
    assert "Draft the housing brief" in r.text and pseudonym in r.text and "Zo" not in r.text, r.text
    r = board.chair.command("/action", f'list all board:"Other {board.name}"')
    assert "Other board task" in r.text and f"<@{zoe}>" in r.text, r.text
    assert db_rows(server.database_url, "SELECT display_name, dm_channel_id FROM members WHERE slack_user_id = :u",
                   u=zoe) == [(NAME, dm)]
    rows = db_rows(server.database_url,
                   "SELECT a.text, m.slack_user_id, a.board_id FROM actions a JOIN members m ON m.id = a.owner_id "
                   "JOIN boards b ON b.id = a.board_id WHERE b.name = :n", n=board.name)
    assert [r[1] for r in rows] == [key]
    audit = db_rows(server.database_url, "SELECT actor, before, after FROM audit_log WHERE entity = 'action' "
                    "AND entity_id IN (SELECT a.id FROM actions a JOIN boards b ON b.id = a.board_id WHERE b.name = :n)",
                    n=board.name)
    assert audit and not [row for row in audit if zoe in str(row) or "Zo" in str(row)]
    memberships = db_rows(server.database_url, "SELECT b.name FROM memberships s JOIN boards b ON b.id = s.board_id "
                          "JOIN members m ON m.id = s.member_id WHERE m.slack_user_id = :u", u=zoe)
    assert memberships == [(f"Other {board.name}",)]


def test_the_daily_purge_empties_delivered_payloads_past_the_retention(database: TestDatabase, clock: FixedClock,
                                                                       capsys: pytest.CaptureFixture[str]):
    """In-process through the scheduler's own runner, with LSPBOT_OUTBOX_RETENTION_DAYS=30: a message sent in May
    is emptied on 16 July, one sent in July is kept, one never delivered is never touched; the rows and their keys
    stay, so a purged key is not queued again, and a purged failure is not retried."""
    runtime = build_runtime(settings_for(database.url, LSPBOT_OUTBOX_RETENTION_DAYS="30"), clock=clock, migrate=True)
    try:
        outcome = run_command(runtime, "/lsp", text='board create "Purge Board" chair:<@UCHAIRP|chair> org:"LB Ealing"',
                              user_id=ADMIN, channel_id="CPURGE1")
        assert outcome.ok
        may, june, july = (dt.datetime(2019, m, 1, 9, tzinfo=dt.UTC) for m in (5, 6, 7))
        with db.session_scope(runtime.sessions) as session:
            for key, status, sent_at in (("old-sent", OutboxStatus.SENT, may), ("new-sent", OutboxStatus.SENT, july),
                                         ("old-failed", OutboxStatus.FAILED, None),
                                         ("old-pending", OutboxStatus.PENDING, None)):
                session.add(OutboxMessage(key=key, target_kind="user", target="UPURGE", payload={"text": "Dear Ms Purge"},
                                          status=status, attempts=1, created_at=may, sent_at=sent_at,
                                          next_attempt_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
                                          last_error="boom" if status == OutboxStatus.FAILED else None))
        job = JOBS["purge-outbox"]
        with db.session_scope(runtime.sessions) as session:
            board = boards.get_by_name(session=session, name="Purge Board")
            assert board is not None
            trigger = job.trigger(board)
        saturday = dt.datetime(2019, 7, 20, tzinfo=dt.UTC)
        assert trigger.first_at_or_after(saturday).date() == saturday.date()  # every day, weekends too
        assert str(trigger) == "every day at 09:00 Europe/London"
        at = dt.datetime(2019, 7, 16, 3, 0, tzinfo=LONDON)
        result = run_job(runtime, job, board.id, at, how="schedule")
        assert result.report.lines == ["purged the content of 2 message(s) delivered more than 30 days ago"]
        with db.session_scope(runtime.sessions) as session:
            rows = {m.key: (m.payload, m.last_error, m.purged_at is not None, m.status.value)
                    for m in session.scalars(select(OutboxMessage).where(OutboxMessage.target == "UPURGE"))}
            assert rows == {"old-sent": ({"purged": True}, None, True, "sent"),
                            "old-failed": ({"purged": True}, None, True, "failed"),
                            "new-sent": ({"text": "Dear Ms Purge"}, None, False, "sent"),
                            "old-pending": ({"text": "Dear Ms Purge"}, None, False, "pending")}
            assert not outbox_store.enqueue(session=session, key="old-sent", target_kind="user", target="UPURGE",
                                            payload={"text": "again"}, now=at)
            assert outbox_store.retry_failed(session=session, now=at) == 0
        again = run_job(runtime, job, board.id, at + dt.timedelta(days=1), how="schedule")
        assert again.report.lines == ["nothing delivered more than 30 days ago left to purge"]
        # `lspbot jobs list` (its command, in this process) shows the job and its trigger.
        assert cmd_jobs_list(argparse.Namespace(), settings_for(database.url)) == 0
        listing = capsys.readouterr().out
        assert "purge-outbox" in listing and "every day at 09:00 Europe/London" in listing, listing
    finally:
        runtime.close()


def test_the_daily_purge_deletes_the_stored_files_nothing_holds(database: TestDatabase, clock: FixedClock, tmp_path):
    """Pack previews (`/agenda pack`) are kept as stored files that no paper or pack holds: the daily purge deletes
    those older than the retention, from the database and from the papers folder, and keeps every paper's file (old
    versions too), every pack's, one an upload still waiting in the outbox names, and a recent preview."""
    runtime = build_runtime(settings_for(database.url, LSPBOT_OUTBOX_RETENTION_DAYS="30",
                                         LSPBOT_PAPERS_DIR=str(tmp_path)), clock=clock, migrate=True)
    try:
        assert run_command(runtime, "/lsp", text='board create "Files Board" chair:<@UCHAIRF|chair> org:"LB Ealing"',
                           user_id=ADMIN, channel_id="CFILES1").ok
        for text in ("meeting add 2019-10-10 10:00",
                     'item add 2019-10-10 "Skills strategy" lead:"LB Ealing" paper:yes author:<@UCHAIRF|chair>'):
            assert run_command(runtime, "/plan", text=text, user_id="UCHAIRF", channel_id="CFILES1").ok
        may, july = dt.datetime(2019, 5, 1, 9, tzinfo=dt.UTC), dt.datetime(2019, 7, 10, 9, tzinfo=dt.UTC)
        with db.session_scope(runtime.sessions) as session:
            board = boards.get_by_name(session=session, name="Files Board")
            assert board is not None
            item = session.scalars(select(PlanItem).where(PlanItem.board_id == board.id)).one()
            made = {name: files_store.put(session=session, content=f"%PDF-1.4 {name}".encode(),
                                          content_type="application/pdf", now=july if name == "recent" else may)
                    for name in ("preview", "paper v1", "paper v2", "pack", "waiting", "recent")}
            for version in ("paper v1", "paper v2"):
                paper_store.add_version(session=session, item=item, file=made[version], filename="skills.pdf",
                                        content_type="application/pdf", pages=1, submitted_by="cli",
                                        submitted_by_id=None, now=may)
            pack_store.save(session=session, board_id=board.id, meeting_id=item.meeting_id, number=0,
                            audience=pack_store.PUBLIC, file=made["pack"], filename="pack.pdf", pages=1, contents=[],
                            separate=[], now=may)
            session.add(OutboxMessage(key="upload-waiting", target_kind="user", target="UCHAIRF",
                                      payload={"_method": "files.upload", outbox_store.FILE_ID: made["waiting"].id},
                                      status=OutboxStatus.PENDING, attempts=1, created_at=may,
                                      next_attempt_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC)))
            ids = {name: f.id for name, f in made.items()}
            paths = {name: tmp_path / str(f.path) for name, f in made.items()}
            board_id = board.id
        assert all(path.is_file() for path in paths.values())
        result = run_job(runtime, JOBS["purge-outbox"], board_id, dt.datetime(2019, 7, 16, 3, 0, tzinfo=LONDON),
                         how="schedule")
        assert ("deleted 1 stored file(s) nothing holds (agenda pack previews) older than 30 days"
                in result.report.lines), result.report.lines
        with db.session_scope(runtime.sessions) as session:
            kept = set(session.scalars(select(StoredFile.id).where(StoredFile.id.in_(list(ids.values())))))
        assert kept == {ids[name] for name in ids if name != "preview"}
        assert not paths["preview"].exists()
        assert all(paths[name].is_file() for name in ids if name != "preview")
    finally:
        runtime.close()
