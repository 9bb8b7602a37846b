"""The scheduler end to end: `lspbot jobs run` against the running server's database and the fake Slack,
then the reminder's buttons clicked through signed interactions."""

from __future__ import annotations

import json

from tests.support.databases import db_rows
from tests.support.delivery import sent_row
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess, jobs, run_lspbot
from tests.support.slack_requests import blocks_text
from tests.support.slack_ui import buttons, click_reminder


def chase_row(server: ServerProcess, board: BoardFixture, ref: int) -> tuple:
    rows = db_rows(server.database_url, "SELECT c.stage, c.snoozed_until, c.response, a.status FROM actions a "
                   "JOIN boards b ON b.id = a.board_id LEFT JOIN action_chases c ON c.action_id = a.id "
                   "WHERE b.channel_id = :c AND a.ref = :r", c=board.channel_id, r=ref)
    return rows[0]


def test_jobs_run_delivers_one_dm_per_owner_and_the_buttons_work(server, board: BoardFixture, fake_slack: FakeSlack):
    alice, bob = board.alice.user_id, board.bob.user_id
    board.chair.command("/action", f"add Circulate the Northolt recommendations <@{alice}|alice> by 2019-07-18")
    board.chair.command("/action", f"add Book the Southall venue <@{alice}|alice> by 2019-07-19")
    board.chair.command("/action", f"add Draft the data-sharing protocol <@{bob}|bob> by 2019-07-17")
    fake_slack.wait_for("chat.postMessage", 3)  # the "you have a new action" DMs
    fake_slack.reset()

    listing = jobs(server, "list")
    assert "chase-actions" in listing and board.name in listing
    assert "Wed 2019-07-17 09:00 BST" in listing  # the next working day at 09:00 board time

    dry = jobs(server, "run", "chase-actions", "--board", board.name, "--at", "2019-07-17T09:00", "--dry-run")
    assert "dry run" in dry and f"DM to {alice}" in dry and f"DM to {bob}" in dry
    assert "Circulate the Northolt recommendations" in dry and "due today" in dry
    assert fake_slack.calls("chat.postMessage") == []
    assert db_rows(server.database_url, "SELECT count(*) FROM outbox WHERE key LIKE 'chase:%'")[0][0] == 0

    out = jobs(server, "run", "chase-actions", "--board", board.name, "--at", "2019-07-17T09:00")
    assert "queued 2 message(s)" in out and "delivery: 2 sent, 0 failed, 0 still pending" in out
    dms = {c.params["channel"]: blocks_text(c.params) for c in fake_slack.messages()}  # delivered before it exited
    assert set(dms) == {"D" + alice[1:], "D" + bob[1:]}
    assert "Circulate the Northolt recommendations" in dms["D" + alice[1:]] and "Book the Southall venue" in dms["D" + alice[1:]]
    assert "due tomorrow" in dms["D" + alice[1:]] and "due in 2 days" in dms["D" + alice[1:]]
    assert "due today" in dms["D" + bob[1:]]
    again = jobs(server, "run", "chase-actions", "--board", board.name, "--at", "2019-07-17T09:00")
    assert "queued 0 message(s)" in again and len(fake_slack.messages()) == 2

    channel, ts, payload = sent_row(server, alice, "chase:")
    found = buttons(payload)
    assert set(label for _, label in found) == {"Done", "Add update", "Snooze a week", "Not mine"}

    # Bob may not close Alice's action from her reminder.
    r = click_reminder(board.bob, "action_done", found[(1, "Done")], channel, ts, fake_slack)
    assert r.status == 200
    refusal = fake_slack.wait_for("respond")[0]
    assert "Only alice" in json.dumps(refusal.params) or "Not allowed" in json.dumps(refusal.params)
    assert chase_row(server, board, 1)[3] == "open"

    # Snooze #2: the next reminder (its due date, Friday) moves a week on; the due date stays.
    r = click_reminder(board.alice, "action_snooze", found[(2, "Snooze a week")], channel, ts, fake_slack)
    assert r.status == 200
    update = fake_slack.wait_for("chat.update")[-1]
    assert update.params["ts"] == ts and "Snoozed: no reminder before Fri 26 Jul 2019" in blocks_text(update.params)
    assert str(chase_row(server, board, 2)[1])[:10] == "2019-07-26"
    assert db_rows(server.database_url, "SELECT due_date FROM actions a JOIN boards b ON b.id = a.board_id "
                   "WHERE b.channel_id = :c AND a.ref = 2", c=board.channel_id)[0][0].__str__()[:10] == "2019-07-19"

    # Done on #1 closes it, through the same path as /action done.
    fake_slack.reset()
    click_reminder(board.alice, "action_done", found[(1, "Done")], channel, ts, fake_slack)
    update = fake_slack.wait_for("chat.update")[-1]
    assert "*Done*" in blocks_text(update.params)
    assert chase_row(server, board, 1)[2:] == ("done", "done")

    # Add update opens the modal; submitting it records a progress note.
    click_reminder(board.alice, "action_add_update", found[(2, "Add update")], channel, ts, fake_slack)
    opened = fake_slack.wait_for("views.open")[0]
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "chase_update_modal" and "Book the Southall venue" in json.dumps(view)
    fake_slack.reset()

    def submit(note: str):
        return board.alice.interact({
            "type": "view_submission", "team": {"id": "T0LSP"}, "api_app_id": "A0LSP", "token": "x",
            "user": {"id": alice, "username": "alice"}, "trigger_id": "1.2.3",
            "view": {"id": "V1", "type": "modal", "callback_id": "chase_update_modal",
                     "private_metadata": view["private_metadata"],
                     "state": {"values": {"note_block": {"note": {"type": "plain_text_input", "value": note}}}}}})

    r = submit("  ")
    assert r.status == 200 and r.json()["response_action"] == "errors" and "note_block" in r.json()["errors"]
    r = submit("Venue provisionally held; confirming Monday")
    assert r.status == 200 and not r.body.strip()
    notes = db_rows(server.database_url, "SELECT u.kind, u.note FROM action_updates u JOIN actions a ON a.id = u.action_id "
                    "JOIN boards b ON b.id = a.board_id WHERE b.channel_id = :c AND a.ref = 2", c=board.channel_id)
    assert ("progress", "Venue provisionally held; confirming Monday") in notes
    assert "Update noted" in blocks_text(fake_slack.wait_for("chat.update")[-1].params)

    # Not mine on Bob's reminder tells the secretariat.
    bchannel, bts, bpayload = sent_row(server, bob, "chase:")
    fake_slack.reset()
    click_reminder(board.bob, "action_not_mine", buttons(bpayload)[(3, "Not mine")], bchannel, bts, fake_slack)
    told = fake_slack.wait_for("chat.postMessage")[0]
    assert told.params["channel"] == "D" + board.secretary.user_id[1:]
    assert "is not theirs" in blocks_text(told.params) and "Draft the data-sharing protocol" in blocks_text(told.params)
    assert "Passed to the secretariat" in blocks_text(fake_slack.wait_for("chat.update")[-1].params)

    # The next day: #1 is done, #2 snoozed, #3 disowned: nobody is chased.
    fake_slack.reset()
    out = jobs(server, "run", "chase-actions", "--board", board.name, "--at", "2019-07-18T09:00")
    assert "queued 0 message(s)" in out and fake_slack.messages() == []


def test_board_set_through_slack(server, board: BoardFixture):
    r = board.chair.command("/lsp", "board set chase_lead_days 5")
    assert r.status == 200 and "`chase_lead_days` is now *5*" in r.text
    r = board.secretary.command("/lsp", "board set chase_lead_days 2")
    assert "Only the chair" in r.text
    r = board.alice.command("/lsp", "board settings")
    assert "chase_lead_days" in r.text and "(default 3)" in r.text and "missed_run_grace_hours" in r.text
    rows = db_rows(server.database_url, "SELECT settings FROM boards WHERE channel_id = :c", c=board.channel_id)
    settings = rows[0][0] if isinstance(rows[0][0], dict) else json.loads(rows[0][0])
    assert settings["chase_lead_days"] == 5


def test_jobs_run_delivers_and_reports_exactly_what_it_queued(runtime, clock, database, fake_slack: FakeSlack, tmp_path):
    """`lspbot jobs run` waits only for its own messages, says what became of them and fails when any did
    not go; a message queued by something else and waiting for its retry is neither sent nor waited for."""
    import datetime as dt

    from bot.runtime import run_command
    from store import db
    from store import outbox as outbox_store
    from tests.support.delivery import sender_for
    from tests.support.settings import ADMIN, lspbot_env

    channel, chair = "CJOBSRUN", "UJRCHAIR"
    owners = ["UJRALICE", "UJRBOB", "UJRCAROL"]
    assert run_command(runtime, "/lsp", user_id=ADMIN, channel_id=channel,
                       text=f'board create "Run Board" chair:<@{chair}|chair> org:"LB Ealing"').ok
    for owner in owners:
        assert run_command(runtime, "/lsp", user_id=chair, channel_id=channel,
                           text=f'member add <@{owner}|{owner.lower()}> org:"Partner {owner}"').ok
        assert run_command(runtime, "/action", user_id=chair, channel_id=channel,
                           text=f"add Task of {owner} <@{owner}|{owner.lower()}> by 2019-07-17").ok
    sender_for(runtime, fake_slack, clock).drain()  # the welcome and new-action DMs
    with db.session_scope(runtime.sessions) as session:  # someone else's message, waiting an hour for its retry
        outbox_store.enqueue(session=session, key="other:later", target_kind="channel", target="COTHER",
                             payload={"text": "not this run's"}, now=clock.now() + dt.timedelta(hours=1))
    fake_slack.reset()
    env = lspbot_env(database.url, fake_slack.url)

    def jobs_run(at: str, timeout: str):
        return run_lspbot(["jobs", "run", "chase-actions", "--board", "Run Board", "--at", at, "--timeout", timeout],
                          env, cwd=tmp_path)

    # One of the three DMs is refused for good: two sent, one failed with Slack's reason, a failing status.
    fake_slack.fail_next("chat.postMessage", error="channel_not_found")
    done = jobs_run("2019-07-17T09:00", "5")
    assert "queued 3 message(s)" in done.stdout
    assert "delivery: 2 sent, 1 failed (channel_not_found ×1), 0 still pending" in done.stdout, done.stdout + done.stderr
    assert done.returncode == 1 and "lspbot outbox retry" in done.stderr
    assert len(fake_slack.messages()) == 2

    # A 500 puts the one DM of the next run off by 2 s, past a 1 s timeout: still pending, a failing status.
    assert run_command(runtime, "/action", user_id=chair, channel_id=channel,
                       text=f"add Later task <@{owners[0]}|alice> by 2019-07-21").ok
    sender_for(runtime, fake_slack, clock).drain()
    fake_slack.reset()
    fake_slack.fail_next("chat.postMessage", status=500)
    done = jobs_run("2019-07-18T09:00", "1")
    assert "queued 1 message(s)" in done.stdout
    assert "delivery: 0 sent, 0 failed, 1 still pending" in done.stdout, done.stdout + done.stderr
    assert done.returncode == 1 and "the running bot sends what is still pending" in done.stderr
    assert [c.params.get("text") for c in fake_slack.calls("chat.postMessage")].count("not this run's") == 0
    with db.session_scope(runtime.sessions) as session:
        other = next(m for m in outbox_store.list_messages(session=session) if m.key == "other:later")
        assert other.status.value == "pending" and other.attempts == 0
