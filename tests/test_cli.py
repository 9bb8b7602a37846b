"""The `lspbot` command line as a user runs it: settings errors, migrations, export, demo, console."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import docx
from pypdf import PdfReader

from sqlalchemy import create_engine, inspect, text

from tests.support.databases import db_rows
from tests.support.server import DemoRun, ServerProcess, run_lspbot_process
from tests.support.settings import lspbot_env


def test_missing_setting_stops_with_one_line(tmp_path, fake_slack_server):
    env = lspbot_env(f"sqlite:///{tmp_path / 'x.db'}", fake_slack_server.url)
    del env["SLACK_SIGNING_SECRET"]
    done = run_lspbot_process(["serve", "--port", "0"], env, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["lspbot: missing setting SLACK_SIGNING_SECRET: set it in the environment or in .env"]
    env = lspbot_env(f"sqlite:///{tmp_path / 'x.db'}", fake_slack_server.url)
    env.pop("SLACK_APP_TOKEN", None)
    done = run_lspbot_process(["serve", "--socket"], env, cwd=tmp_path)
    assert done.returncode == 2 and "SLACK_APP_TOKEN" in done.stderr
    env["LSPBOT_TIMEZONE"] = "Mars/Olympus"
    done = run_lspbot_process(["db", "current"], env, cwd=tmp_path)
    assert done.returncode == 2 and "LSPBOT_TIMEZONE" in done.stderr


def test_settings_come_from_dotenv(tmp_path, fake_slack_server):
    env = lspbot_env(f"sqlite:///{tmp_path / 'x.db'}", fake_slack_server.url)
    db_url = env.pop("DATABASE_URL")
    (tmp_path / ".env").write_text(f"DATABASE_URL={db_url}\n")
    done = run_lspbot_process(["db", "upgrade"], env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "x.db").exists()


def test_db_upgrade_is_idempotent(database, fake_slack_server, tmp_path):
    env = lspbot_env(database.url, fake_slack_server.url)
    first = run_lspbot_process(["db", "upgrade"], env, cwd=tmp_path)
    second = run_lspbot_process(["db", "upgrade"], env, cwd=tmp_path)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "database at revision" in second.stdout
    # One head: the migrations' branches are merged, so `lspbot db current` (and `alembic upgrade head`) name one.
    current = run_lspbot_process(["db", "current"], env, cwd=tmp_path)
    assert current.stdout.strip() == db_head(), current.stdout


def db_head() -> str:
    from alembic.script import ScriptDirectory

    from store import db

    heads = ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, heads
    return heads[0]


def test_actions_export_csv(server: ServerProcess, board, tmp_path):
    board.chair.command("/action", f"add =SUM(A1) formula-looking text <@{board.bob.user_id}|bob> by 2019-08-01")
    board.bob.command("/action", "update #1 Started, with a, comma")
    board.alice.command("/action", 'add "Quoted, with ""commas"" inside"')
    done = run_lspbot_process(["actions", "export", "--board", board.name, "--format", "csv"], server.env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("\ufeff")  # Excel reads UTF-8 (accents) only with the byte-order mark
    rows = list(csv.reader(io.StringIO(done.stdout.removeprefix("\ufeff"))))
    assert rows[0] == ["ref", "board", "text", "owner", "organisation", "due", "status", "created", "last update",
                       "last update at"]
    by_ref = {r[0]: r for r in rows[1:]}
    assert by_ref["#1"][2] == "'=SUM(A1) formula-looking text"  # neutralised for Excel
    assert by_ref["#1"][4] == "Metropolitan Police" and by_ref["#1"][5] == "2019-08-01"
    assert by_ref["#1"][7] == "2019-07-16 09:30"  # the board's clock (London, summer time), not UTC
    assert by_ref["#1"][8] == "Started, with a, comma"
    assert by_ref["#2"][6] == "open"
    done = run_lspbot_process(["actions", "export", "--board", "No Such Board"], server.env, cwd=tmp_path)
    assert done.returncode == 2 and "no board called" in done.stderr
    plain = run_lspbot_process(["actions", "export", "--no-bom"], server.env, cwd=tmp_path)
    assert plain.returncode == 0 and plain.stdout.startswith("ref,board,")
    # A reader that stops early (`| head -c 10`) is not an error and leaves no traceback: 3,000 more rows
    # (copies of #1) make the output far larger than the pipe's buffer, so the writer meets the closed pipe.
    engine = create_engine(server.database_url)
    columns = [c for c in inspect(engine).get_columns("actions") if c["name"] not in ("id", "ref")]
    names = ", ".join(c["name"] for c in columns)
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO actions (ref, {names}) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                          f"SELECT i + 1 FROM n WHERE i < 3000) SELECT 100 + i, {names} FROM actions, n WHERE ref = 1"))
    engine.dispose()
    piped = subprocess.run(f"{sys.executable} -m bot.cli actions export --no-bom | head -c 10", shell=True,
                           env=server.env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert piped.stdout == "ref,board," and piped.stderr == "", piped.stderr


def test_demo_runs_on_a_throwaway_database(demo: DemoRun):
    done = demo.done
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "LSP Executive" in out and "Cllr Julian Bell" in out
    assert "Recorded on" in out and "DM to @Maggie Wilson" in out
    assert "in the past" in out  # the scripted bad date
    assert "All open actions" in out
    # It ends, as it began, with the action list: the last exchange before the closing note.
    last = out[out.rindex("> "):]
    assert last.startswith("> /action list all") and "All open actions" in last and "Demo finished" in last
    assert not (demo.cwd / "lspbot.db").exists(), "the demo must not touch the working directory's database"


def test_demo_reaches_a_partner_by_email_and_she_answers_by_link(demo: DemoRun):
    out = demo.done.stdout
    to_jane = "✉ email to Dr Jane Smith <jane.smith@nhs.net>"
    emails = out.split(to_jane)[1:]
    subjects = [e.split("Subject: ", 1)[1].split("\n", 1)[0] for e in emails]
    assert subjects[0] == "LSP Executive: Confirm your email address", subjects  # before anything else
    assert "LSP Executive: An action for you" in subjects and "LSP Executive: Your actions: a reminder" in subjects
    assert any("Agenda pack" in s for s in subjects) and any("Minutes" in s for s in subjects), subjects
    assert "The address jane.smith@nhs.net confirmed" in out
    assert "Action #5 marked done, with the note “Plan circulated to all partners on 12 August”" in out
    assert "Dr Jane Smith — Ealing CCG · by email (jane.smith@nhs.net)" in out  # in the member list


def test_demo_holds_the_october_meeting_and_its_minutes_are_confirmed_at_the_next(demo: DemoRun):
    """The demo's 10 October 2019 meeting in meeting mode: replies before it, attendance, a declaration, items agreed,
    noted and deferred, two actions raised at their items; its minutes drafted (Word, read back), circulated, and
    confirmed when the January meeting agrees its minutes item; the deferred item taken then."""
    out = demo.done.stdout
    assert demo.done.returncode == 0, demo.done.stderr
    assert "*Dr Sam Patel (sam.patel@nhs.net)* is coming to the *LSP Executive* meeting" in out
    assert "Opened the meeting of Thursday 10 October 2019: its 10 items" in out
    assert "Carried to the meeting of Monday 20 January 2020: “Community hubs in Southall” (deferred)." in out
    assert "Circulated the minutes of 10 October 2019" in out
    assert "Community hubs in Southall — Southall Community Alliance · _for discussion_ · _deferred from 10 October 2019_" in out
    assert "The minutes of 10 October 2019 were confirmed at the meeting of 20 January 2020" in out
    assert "Version 3 (confirmed)" in out
    decisions = out[out.rindex("> /lsp decisions"):]
    # each decision's date links to its meeting's page (shown by the console as "date (address)")
    assert ("*LSP/20/4* · Mon 20 Jan 2020 (http://localhost:3000/b/lsp-executive/meetings/2020-01-20/) — "
            "*Community hubs in Southall*") in decisions
    assert ("*LSP/19/4* · Thu 10 Oct 2019 (http://localhost:3000/b/lsp-executive/meetings/2019-10-10/) — "
            "*LSP Annual Report for Scrutiny*") in decisions
    document = docx.Document(str(demo.folder / "lsp-executive-minutes-2019-10-10.docx"))
    text = "\n".join([p.text for p in document.paragraphs]
                     + [cell.text for table in document.tables for row in table.rows for cell in row.cells])
    for expected in ("Cllr Julian Bell", "Inder Matharu", "LSP/19/4", "LSP/19/6",
                     "The LSP Annual Report goes to Overview and Scrutiny on 5 November 2019",
                     "Trustee of Southall Community Alliance", "Draft the 2020 theme paper on skills and employment",
                     "Cost the community hubs proposal"):
        assert expected in text, expected


def test_demo_collects_papers_and_publishes_the_october_pack(demo: DemoRun):
    """The demo's papers: the authors chased, a PDF and a Word paper sent in, the pack approved by the chair and
    published on 2 October 2019 (five clear working days before the meeting), the confidential paper in the
    members' pack only, and the meeting page's address shown."""
    out = demo.done.stdout
    assert demo.done.returncode == 0, demo.done.stderr
    assert "chase-papers at 09:00: reminded Maggie Wilson of P4 (soon), P9 (soon)" in out
    assert "P4 paper version 1 stored: lsp-annual-report-2018-19.pdf" in out
    assert "P9 paper version 1 stored: southall-hubs-site-terms.docx" in out
    assert "clicks Approve" in out
    assert "compile-agendas at 09:00: published the agenda pack for Thu 10 Oct 2019" in out
    assert "The pack is on the meeting's web page: http://localhost:3000/b/lsp-executive/meetings/2019-10-10/" in out
    public = PdfReader(str(demo.folder / "lsp-executive-agenda-pack-2019-10-10.pdf"))
    members = PdfReader(str(demo.folder / "lsp-executive-agenda-pack-2019-10-10-members.pdf"))
    public_text = "\n".join(page.extract_text() for page in public.pages)
    members_text = "\n".join(page.extract_text() for page in members.pages)
    assert "Item 4 — LSP Annual Report for Scrutiny" in public_text and "Report for Executive Board" in public_text
    assert "the terms offered for the site" not in public_text  # the confidential item: neither title nor paper
    assert "Item 6 — Southall community hubs: the terms offered for the site" in members_text  # the Word paper
    assert f"Page {len(members.pages)} of {len(members.pages)}" in members_text


def test_console_transport_runs_commands_and_shows_dms(server: ServerProcess, board, tmp_path):
    env = dict(server.env)
    script = (f"/action add Console-made action <@{board.bob.user_id}|bob> by Friday\n"
              f"/action list all\n:as {board.bob.user_id}\n/action done #1 done from the console\n")
    done = run_lspbot_process(["console", "--as", board.chair.user_id, "--channel", board.channel_id], env,
                      input=script, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Recorded on" in done.stdout and "DM to @bob" in done.stdout
    assert "Closed *#1*" in done.stdout
    assert db_rows(server.database_url, "SELECT status FROM actions a JOIN boards b ON b.id = a.board_id "
                   "WHERE b.channel_id = :c", c=board.channel_id) == [("done",)]

    # The chair's agenda draft: the message, and the Word and Markdown files saved where the console says.
    script = "/plan meeting add 2019-10-10 10:00\n/agenda draft\n"
    done = run_lspbot_process(["console", "--as", board.chair.user_id, "--channel", board.channel_id, "--files", "got"],
                      env, input=script, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Draft agenda" in done.stdout
    saved = sorted(p.name for p in (tmp_path / "got").iterdir())
    assert [name.rsplit(".", 1)[1] for name in saved] == ["docx", "md"], saved
    assert f"saved as {tmp_path / 'got' / saved[0]}" in done.stdout
    assert "Draft agenda" in (tmp_path / "got" / saved[1]).read_text()


def test_the_console_says_forms_open_in_slack_and_shows_the_typed_command(server: ServerProcess, board, tmp_path):
    """/update, /update quarterly, /action add and /agenda add with no text open a form in Slack; the console has
    none to show, which is no fault: it says so and shows how to type the command instead."""
    script = ("/plan meeting add 2019-10-10 10:00\n"
              '/lsp outcome add "Healthy lives" lead:"Ealing PCT"\n'
              "/update\n/update quarterly\n/action add\n/agenda add\n")
    done = run_lspbot_process(["console", "--as", board.chair.user_id, "--channel", board.channel_id], dict(server.env),
                      input=script, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "couldn't open the form" not in out and "went wrong" not in out
    replies = out.split("(Forms open in Slack; the console shows none. Type the command with its text instead:)\n")
    assert len(replies) == 5, out  # one for each of the four forms
    update, quarterly, action, agenda = replies[1:]
    assert update.startswith("Send LB Ealing's update for Thursday 10 October 2019 as `/update <text>` instead.")
    assert quarterly.startswith('Send the return as `/update quarterly "<outcome or project>" '
                                'rag:<red|amber|green> <commentary>` instead.')
    assert "/action add" in action.split("lspbot (")[0] and "/agenda add" in agenda.split("lspbot (")[0]


def test_the_console_shows_only_what_its_own_commands_queue(database, fake_slack_server, tmp_path):
    """On a live database the console prints, and marks sent, only the messages its own commands queued: a member's
    reminder the bot queued meanwhile stays pending, for the bot's sender to take to Slack."""
    import datetime as dt

    from sqlalchemy.orm import Session

    from store import outbox as outbox_store

    engine = create_engine(database.url)
    with Session(engine) as session, session.begin():
        outbox_store.enqueue(session=session, key="chase:real-reminder", target_kind="user", target="UMEMBER1",
                             payload={"text": "A real reminder for a member"},
                             now=dt.datetime(2019, 7, 1, tzinfo=dt.UTC))
    engine.dispose()
    env = lspbot_env(database.url, fake_slack_server.url)
    script = ('/lsp board create "Console board" chair:<@UCHAIR1|carol> org:"LB Ealing"\n'
              ":as UCHAIR1\n/action add Book the venue <@UCHAIR1|carol> by Friday\n")
    done = run_lspbot_process(["console", "--as", "UADMIN", "--channel", "CCONSOLE9"], env, input=script, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Recorded on" in done.stdout and "DM to @carol" in done.stdout and "Not allowed" not in done.stdout, done.stdout
    assert "A real reminder" not in done.stdout
    rows = db_rows(database.url, "SELECT key, status FROM outbox ORDER BY id")
    assert rows[0] == ("chase:real-reminder", "pending")
    assert len(rows) > 1 and {status for _, status in rows[1:]} == {"sent"}, rows
