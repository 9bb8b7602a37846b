"""Members' personal data: the subject access export, erasing a person (everywhere, or from one board's record)
through `lspbot member` and `/lsp member erase`, and the daily purge of delivered messages' content.

Against `lspbot serve` and the real command line on SQLite and PostgreSQL; after an erasure every text and JSON
column of every table is searched for the person's name, Slack id and DM channel."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, String, Text, create_engine, inspect, select
from sqlalchemy import MetaData as SaMetaData

from tests.support.databases import db_rows
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess, jobs, run_lspbot, sql
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
    assert held["memberships"] == [{"board": board.name, "role": "member"}]
    assert [a["ref"] for a in held["actions_owned"]] == [1, 2] and [a["ref"] for a in held["actions_created"]] == [2]
    assert [u["note"] for u in held["action_updates"]] == ["Figures half done"]
    assert [p["title"] for p in held["agenda_proposals"]] == ["Youth housing pilot"]
    assert any(e["actor"] == zoe and e["entity"] == "action" for e in held["audit_entries"])
    assert {m["status"] for m in held["messages_to_them"]} == {"sent", "pending"}
    assert any(m["table"] == "actions" and NAME in m["text"][0] for m in held["mentions"]), held["mentions"]

    # Irreversible: without --yes (and no terminal to ask on) nothing is erased.
    done = run_lspbot(["member", "erase", zoe], server.env)
    assert done.returncode == 1 and "nothing erased" in done.stderr
    assert everywhere(server, zoe)

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
    assert len(to_her) >= 3 and all(json.loads(p) == {"purged": True} and at is not None for _, _, p, at in to_her)
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

    # What she was is not found again; her Slack id is no longer held.
    done = run_lspbot(["member", "export", zoe], server.env)
    assert done.returncode == 2 and "holds nothing" in done.stderr
    listing = jobs(server, "list")
    assert "purge-outbox" in listing and "every day at 03:00" in listing


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

    done = run_lspbot(["member", "erase", zoe, "--board", board.name, "--yes"], server.env)
    assert done.returncode == 0, done.stderr
    key = "erased:" + db_id(done)
    pseudonym = "Former member " + db_id(done)
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


def test_the_daily_purge_empties_delivered_payloads_past_the_retention(server: ServerProcess, board: BoardFixture):
    # The server's clock starts on 16 July 2019; with a 30-day retention, June's message is kept, May's purged.
    rows = (("old-sent", "sent", "2019-05-01 09:00:00"), ("new-sent", "sent", "2019-07-01 09:00:00"),
            ("old-failed", "failed", None), ("old-pending", "pending", None))
    tag = board.channel_id
    for key, status, sent_at in rows:
        sql(server, "INSERT INTO outbox (key, target_kind, target, payload, status, attempts, next_attempt_at, "
            "created_at, sent_at, last_error) VALUES (:k, 'user', 'UPURGE', :p, :s, 1, :n, :c, :t, :e)",
            k=f"{key}:{tag}", p=json.dumps({"text": "Dear Ms Purge"}), s=status, c="2019-05-01 08:00:00", t=sent_at,
            e="boom" if status == "failed" else None, n="2030-01-01 00:00:00")  # the sender leaves it be
    env = dict(server.env, LSPBOT_OUTBOX_RETENTION_DAYS="30")
    done = run_lspbot(["jobs", "run", "purge-outbox", "--board", board.name], env)
    assert done.returncode == 0, done.stderr
    assert "purged the content of 2 message(s) delivered more than 30 days ago" in done.stdout, done.stdout
    state = dict((k.split(":")[0], (p, e, purged is not None)) for k, p, e, purged in db_rows(
        server.database_url, "SELECT key, payload, last_error, purged_at FROM outbox WHERE key LIKE :t",
        t=f"%:{tag}"))
    as_json = {k: (json.loads(p) if isinstance(p, str) else p, e, purged) for k, (p, e, purged) in state.items()}
    assert as_json["old-sent"] == ({"purged": True}, None, True)
    assert as_json["old-failed"] == ({"purged": True}, None, True)
    assert as_json["new-sent"] == ({"text": "Dear Ms Purge"}, None, False)
    assert as_json["old-pending"] == ({"text": "Dear Ms Purge"}, None, False)  # not delivered: never purged
    # The rows and their keys stay: a purged message's key is still taken, and is not retried.
    done = run_lspbot(["outbox", "retry"], env)
    assert done.returncode == 0 and db_rows(server.database_url, "SELECT status FROM outbox WHERE key = :k",
                                            k=f"old-failed:{tag}") == [("failed",)]
    done = run_lspbot(["jobs", "run", "purge-outbox", "--board", board.name], env)
    assert "nothing delivered more than 30 days ago left to purge" in done.stdout, done.stdout
