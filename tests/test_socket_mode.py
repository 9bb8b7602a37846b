"""`lspbot serve --socket` end to end: the real command as a subprocess, connected over a real WebSocket to
the tests' Socket Mode server (tests/fake_socket_mode.py), whose URL the fake Web API hands out from
apps.connections.open. Envelopes go in as Slack sends them; the acks that come back carry the replies, and
the database and the fake Web API show the rest. A token Slack refuses, or none, stops the command at once.

The server's clock reads Tuesday 16 July 2019, 09:30 in London.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.databases import TestDatabase, db_rows, make_database
from tests.support.fake_slack import FakeSlack
from tests.support.fake_socket_mode import FakeSocketMode
from tests.support.server import ServerProcess, run_lspbot
from tests.support.settings import ADMIN, BOT_TOKEN, ROOT, lspbot_env
from tests.support.slack_requests import SlackUser, blocks_text
from tests.support.slack_ui import home_buttons, next_home, publishes
from tests.support.waiting import wait_until

APP_TOKEN = "xapp-1-A0LSP-1-test"


@pytest.fixture
def socket_mode(fake_slack: FakeSlack) -> Iterator[FakeSocketMode]:
    """The Socket Mode server, its URL given out by the fake Web API's apps.connections.open."""
    fake = FakeSocketMode().start()
    fake_slack.serve_socket_mode(fake.url)
    yield fake
    fake_slack.serve_socket_mode(None)
    fake.stop()


@pytest.fixture
def socket_server(database: TestDatabase, fake_slack: FakeSlack, socket_mode: FakeSocketMode,
                  tmp_path: Path) -> Iterator[ServerProcess]:
    """`lspbot serve --socket` on a migrated database, connected to `socket_mode` (its log in tmp_path)."""
    env = lspbot_env(database.url, fake_slack.url, SLACK_APP_TOKEN=APP_TOKEN)
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--socket"], env=env, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, text=True)
    server = ServerProcess(proc, "", database.url, env)
    try:
        wait_until(lambda: "lspbot connected over Socket Mode" in log.read_text() or proc.poll() is not None,
                   what="lspbot serve --socket to connect")
        # on a busy machine the client may drop its first connection and open another (its ping went unanswered)
        wait_until(lambda: socket_mode.connected() == 1 or proc.poll() is not None,
                   what="lspbot serve --socket to hold one connection")
        assert proc.poll() is None and socket_mode.connected() == 1, log.read_text()
        yield server
    finally:
        server.stop()


def command_form(user_id: str, channel_id: str, command: str, text: str) -> dict[str, str]:
    """A slash command's fields, as a Socket Mode envelope carries them."""
    return {
        "token": "deprecated", "team_id": "T0LSP", "team_domain": "lsp", "channel_id": channel_id,
        "channel_name": "board", "user_id": user_id, "user_name": user_id.lower(), "command": command, "text": text,
        "api_app_id": "A0LSP", "is_enterprise_install": "false",
        "response_url": "https://hooks.slack.com/commands/T0LSP/1/x", "trigger_id": "1.2.3",
    }


def command(socket_mode: FakeSocketMode, user_id: str, channel_id: str, name: str, text: str) -> dict[str, Any]:
    """Send a slash command envelope; the reply the app put in its ack."""
    envelope_id = socket_mode.slash_command(command_form(user_id, channel_id, name, text))
    ack = socket_mode.wait_ack(envelope_id)
    assert set(ack) == {"envelope_id", "payload"}, ack
    return ack["payload"]


def home_click(user_id: str, action_id: str, value: str) -> dict[str, Any]:
    """A `block_actions` payload from the Home tab: the view as the container, no channel, no response_url."""
    return {
        "type": "block_actions", "team": {"id": "T0LSP", "domain": "lsp"}, "api_app_id": "A0LSP", "token": "x",
        "user": {"id": user_id, "username": user_id.lower(), "team_id": "T0LSP"},
        "container": {"type": "view", "view_id": "VHOME" + user_id}, "trigger_id": "12345.98765.home",
        "view": {"id": "VHOME" + user_id, "type": "home", "callback_id": "", "private_metadata": "",
                 "hash": "1563265800.abc", "blocks": [], "state": {"values": {}}},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                     "action_ts": "1563265800.000100", "text": {"type": "plain_text", "text": action_id}}],
    }


def action_row(database_url: str, channel_id: str, ref: int) -> tuple:
    rows = db_rows(database_url, "SELECT a.text, m.slack_user_id, a.due_date, a.status FROM actions a "
                   "JOIN boards b ON b.id = a.board_id JOIN members m ON m.id = a.owner_id "
                   "WHERE b.channel_id = :c AND a.ref = :r", c=channel_id, r=ref)
    assert rows, f"no action #{ref}"
    return rows[0]


def test_commands_buttons_and_events_over_socket_mode(socket_server: ServerProcess, socket_mode: FakeSocketMode,
                                                      fake_slack: FakeSlack):
    suffix = uuid.uuid4().hex[:6].upper()
    channel, chair, bob = f"C{suffix}", f"UCHA{suffix}", f"UBOB{suffix}"
    assert [c.params["_auth"] for c in fake_slack.calls("apps.connections.open")] == [f"Bearer {APP_TOKEN}"]

    # A board, set up over the socket like everything else.
    reply = command(socket_mode, ADMIN, channel, "/lsp", f'board create "Board {suffix}" chair:<@{chair}|chair> '
                    'org:"LB Ealing"')
    assert "now runs in this channel" in blocks_text(reply), reply
    reply = command(socket_mode, chair, channel, "/lsp", f'member add <@{bob}|bob> org:"Metropolitan Police" '
                    "role:member")
    assert "joined" in blocks_text(reply), reply
    fake_slack.wait_for("chat.postMessage", 2)  # the welcome DMs, sent after the acks
    fake_slack.reset()

    # /action add: the confirmation comes back in the ack, the action is stored, its owner hears by DM.
    reply = command(socket_mode, chair, channel, "/action", f"add Circulate the minutes <@{bob}|bob> by Friday")
    text = blocks_text(reply)
    assert reply["response_type"] == "ephemeral"
    assert "*#1*" in text and "Circulate the minutes" in text and "Friday 19 July 2019" in text, text
    assert f"<@{bob}>" in text
    row = action_row(socket_server.database_url, channel, 1)
    assert (row[0], row[1], str(row[2])[:10], row[3]) == ("Circulate the minutes", bob, "2019-07-19", "open")
    dm = fake_slack.wait_for("chat.postMessage")[0]
    assert dm.params["channel"] == "D" + bob[1:] and "Circulate the minutes" in str(dm.params["blocks"])

    # Bob opens the Home tab (an events_api envelope): acked empty, the tab published with the action's buttons.
    owner = SlackUser("", bob, channel)
    envelope_id = socket_mode.event({
        "token": "deprecated", "team_id": "T0LSP", "api_app_id": "A0LSP", "type": "event_callback",
        "event_id": "Ev" + suffix, "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": bob, "channel": "D" + bob[1:], "tab": "home",
                  "event_ts": f"{time.time():.6f}"},
    })
    assert socket_mode.wait_ack(envelope_id) == {"envelope_id": envelope_id}
    home = next_home(fake_slack, owner, 0)
    done = home_buttons(home)[(1, "Done")]

    # Done on the Home tab (an interactive envelope): acked, the action closed, the tab published again.
    envelope_id = socket_mode.interactive(home_click(bob, "action_done", done))
    assert socket_mode.wait_ack(envelope_id) == {"envelope_id": envelope_id}
    assert action_row(socket_server.database_url, channel, 1)[3] == "done"
    assert (1, "Done") not in home_buttons(next_home(fake_slack, owner, 1))
    assert len(publishes(fake_slack, owner)) == 2
    assert fake_slack.invalid() == []

    # SIGTERM: the command ends cleanly and lets go of the connection.
    socket_server.stop()
    assert socket_server.process.returncode == 0
    wait_until(lambda: socket_mode.connected() == 0, what="the Socket Mode connection to close")


@pytest.mark.parametrize("app_token, refusal", [
    (APP_TOKEN, "invalid_auth"),  # a revoked or mistyped app-level token
    (BOT_TOKEN, "not_allowed_token_type"),  # the bot token given as the app token
])
def test_a_token_slack_refuses_stops_serve_with_one_line(app_token: str, refusal: str, fake_slack: FakeSlack,
                                                        socket_mode: FakeSocketMode, tmp_path: Path):
    if refusal == "invalid_auth":
        fake_slack.fail_next("apps.connections.open", error="invalid_auth")
    database = make_database("sqlite", tmp_path, migrated=True)
    done = run_lspbot(["serve", "--socket"], lspbot_env(database.url, fake_slack.url, SLACK_APP_TOKEN=app_token),
                      cwd=tmp_path, timeout=60)
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last == (f"lspbot: Slack refused SLACK_APP_TOKEN for Socket Mode ({refusal}): it must be the app-level "
                    "token (xapp-...) with the connections:write scope")
    assert "Traceback" not in done.stderr and "connected" not in done.stdout
    assert len(fake_slack.calls("apps.connections.open")) == 1 and socket_mode.connected() == 0
    assert "scheduler started" not in done.stderr  # nothing ran on a connection that never opened


def test_serve_socket_without_an_app_token_refuses(fake_slack: FakeSlack, tmp_path: Path):
    database = make_database("sqlite", tmp_path, migrated=True)
    done = run_lspbot(["serve", "--socket"], lspbot_env(database.url, fake_slack.url), cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "lspbot: missing setting SLACK_APP_TOKEN: set it in the environment or in .env"
    assert fake_slack.calls() == []
