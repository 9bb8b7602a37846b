"""Secrets stay secret: the bot token, the signing secret, the app token and the database password never
appear in the log (at DEBUG level, through commands, forged requests and Slack errors) or in a reply;
they are read from the environment (or .env) only, never from the command line."""

from __future__ import annotations

import json
import urllib.parse

from sqlalchemy.engine import make_url

from bot.cli.main import build_parser
from bot.settings import load_settings
from tests.support.databases import TestDatabase, backends, make_database
from tests.support.fake_slack import FakeSlack
from tests.support.server import run_lspbot, start_server
from tests.support.settings import ADMIN, lspbot_env
from tests.support.slack_requests import http, sign
from tests.support.waiting import wait_until

BOT_TOKEN = "xoxb-SECRET-BOT-7f3a9e"
SIGNING_SECRET = "SECRET-SIGNING-c41d07"
APP_TOKEN = "xapp-SECRET-APP-91be44"
DB_PASSWORD = "SECRET-DBPW-5e2c18"
SECRETS = (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, DB_PASSWORD)


def with_password(database: TestDatabase) -> str:
    """The PostgreSQL URL with a password in it (the CI server trusts local connections, so any works)."""
    if database.backend != "postgresql":
        return database.url
    return make_url(database.url).set(password=DB_PASSWORD).render_as_string(hide_password=False)


def test_no_secret_in_the_debug_log_or_any_reply(fake_slack: FakeSlack, tmp_path):
    """Once, on PostgreSQL when the tests have it (so the URL carries a password), else on SQLite."""
    database = make_database(backends()[-1], tmp_path)
    secrets = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_APP_TOKEN": APP_TOKEN,
               "LSPBOT_LOG_LEVEL": "DEBUG"}
    url = with_password(database)
    log = tmp_path / "serve.log"
    server = start_server(url, fake_slack.url, log_path=log, **secrets)
    bodies: list[bytes] = []

    def post(form: dict[str, str], secret: str = SIGNING_SECRET) -> None:
        body = urllib.parse.urlencode(form).encode()
        r = http("POST", server.base_url + "/slack/events", body,
                 {"Content-Type": "application/x-www-form-urlencoded", **sign(body, secret=secret)})
        bodies.append(r.body)

    def command(user: str, name: str, text: str, secret: str = SIGNING_SECRET) -> None:
        post({"command": name, "text": text, "user_id": user, "channel_id": "CSECRET1", "team_id": "T0LSP",
              "trigger_id": "1.2.3", "response_url": fake_slack.url + "respond"}, secret)

    try:
        command(ADMIN, "/lsp", 'board create "Secrets" chair:<@USECCHR1|chair> org:"LB Ealing"')
        command("USECCHR1", "/lsp", 'member add <@USECMEM1|m> org:"Ealing PCT"')
        command("USECCHR1", "/action", "add Check the log <@USECMEM1|m> by Friday")
        command("USECCHR1", "/action", "add Signed with the wrong secret", secret="not-the-secret")
        command("USECCHR1", "/nonsense", "x")
        fake_slack.fail_next("views.open", error="invalid_auth")
        command("USECMEM1", "/update", "")  # the form cannot open: the reply says what to type instead
        fake_slack.fail_next("chat.postMessage", error="invalid_auth")
        fake_slack.fail_next("chat.postMessage", status=500)
        command("USECCHR1", "/action", "add Another one <@USECMEM1|m>")
        post({"payload": json.dumps({"type": "block_actions", "user": {"id": "USECMEM1"}, "trigger_id": "1.2",
                                     "actions": [{"action_id": "action_done", "value": "not|a|number"}]})})
        wait_until(lambda: "invalid_auth" in log.read_text(), 10, what="Slack's invalid_auth in the log")
        listing = run_lspbot(["outbox", "list", "--status", "all"], lspbot_env(url, fake_slack.url, **secrets))
    finally:
        server.stop()
        database.drop()
    text = log.read_text()
    assert " DEBUG " in text and "invalid_auth" in text, "the run did not log what it should have"
    assert any(c.params.get("_auth") == f"Bearer {BOT_TOKEN}" for c in fake_slack.calls()), "the token was not used"
    outputs = {"log": text, "replies": b"\n".join(bodies).decode(), "outbox list": listing.stdout + listing.stderr}
    for where, output in outputs.items():
        for secret in SECRETS:
            assert secret not in output, f"{secret} appears in the {where}"


def test_secrets_come_from_the_environment_only():
    for action in build_parser()._actions + [a for sub in build_parser()._subparsers._group_actions
                                             for p in sub.choices.values() for a in p._actions]:
        for option in action.option_strings:
            assert not any(word in option for word in ("token", "secret", "password")), option
    settings = load_settings({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                              "SLACK_APP_TOKEN": APP_TOKEN,
                              "DATABASE_URL": f"postgresql+psycopg://lsp:{DB_PASSWORD}@db/lsp"}, env_file=None)
    assert settings.slack_bot_token == BOT_TOKEN
    for secret in SECRETS:
        assert secret not in repr(settings) and secret not in str(settings), f"{secret} in the settings' repr"
