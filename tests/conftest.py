"""Shared fixtures: the fake Slack server, databases on SQLite and PostgreSQL, a settable clock,
signed Slack requests, and `lspbot serve` running as a real subprocess."""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.clock import FixedClock
from bot.runtime import Runtime, build_runtime
from bot.settings import load_settings
from tests.support.fake_slack import FakeSlack, check_ack

LONDON = ZoneInfo("Europe/London")
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
ADMIN = "UADMIN"
DEFAULT_NOW = dt.datetime(2019, 7, 16, 9, 30, tzinfo=LONDON)
ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- databases

def _pg_admin_url() -> str | None:
    url = os.environ.get("LSPBOT_TEST_DATABASE_URL")
    if not url and os.environ.get("CI") == "true":
        pytest.fail("CI=true but LSPBOT_TEST_DATABASE_URL is not set: the PostgreSQL tests must run in CI")
    return url


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get("LSPBOT_TEST_DATABASE_URL") or os.environ.get("CI") == "true" else ["sqlite"]


@dataclass
class TestDatabase:
    __test__ = False  # not a test class: pytest collects Test* names

    url: str
    backend: str
    _drop: Any = None

    def drop(self) -> None:
        if self._drop:
            self._drop()


_TEMPLATES: dict[str, str] = {}  # backend -> a database at the current schema, made once per test process


def _template(backend: str) -> str:
    """A database migrated once per test process (a SQLite file, or a PostgreSQL database) to copy fresh ones from:
    a copy costs a fraction of running every migration again."""
    if backend in _TEMPLATES:
        return _TEMPLATES[backend]
    from store import db

    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="lspbot-template-"))
        atexit.register(shutil.rmtree, folder, True)
        engine = db.make_engine(f"sqlite:///{folder / 'template.db'}")
        db.upgrade(engine)
        engine.dispose()
        with contextlib.closing(sqlite3.connect(folder / "template.db")) as conn:  # one self-contained file to copy
            conn.execute("PRAGMA journal_mode=DELETE")
        _TEMPLATES[backend] = str(folder / "template.db")
        return _TEMPLATES[backend]
    template = make_database(backend, Path(tempfile.gettempdir()))
    atexit.register(template.drop)
    engine = db.make_engine(template.url)
    db.upgrade(engine)
    engine.dispose()
    _TEMPLATES[backend] = make_url(template.url).database
    return _TEMPLATES[backend]


def make_database(backend: str, tmp_path: Path, *, migrated: bool = False) -> TestDatabase:
    """A fresh database: a SQLite file, or a new PostgreSQL database on the CI server; empty, or (`migrated`)
    a copy of one at the current schema."""
    if backend == "sqlite":
        if migrated:
            shutil.copyfile(_template(backend), tmp_path / "lspbot.db")
        return TestDatabase(url=f"sqlite:///{tmp_path / 'lspbot.db'}", backend="sqlite")
    admin_url = _pg_admin_url()
    name = f"lspbot_t_{uuid.uuid4().hex[:12]}"
    template = f' TEMPLATE "{_template(backend)}"' if migrated else ""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{template}'))
    except Exception as exc:  # CI must reach its database: fail, never skip
        admin.dispose()
        pytest.fail(f"cannot create a PostgreSQL test database at {make_url(admin_url).render_as_string()}: {exc}")
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return TestDatabase(url=url, backend="postgresql", _drop=drop)


@pytest.fixture(params=backends())
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestDatabase]:
    """A fresh database per test, on every backend, at the current schema."""
    db = make_database(request.param, tmp_path, migrated=True)
    yield db
    db.drop()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEFAULT_NOW)


def test_settings(database_url: str, **extra: str):
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "DATABASE_URL": database_url,
        "LSPBOT_ADMINS": ADMIN,
        **extra,
    }
    return load_settings(env, env_file=None)


@pytest.fixture
def runtime(database: TestDatabase, clock: FixedClock) -> Iterator[Runtime]:
    """The bot's parts in-process, on a migrated database, with a settable clock."""
    rt = build_runtime(test_settings(database.url), clock=clock, migrate=True)
    yield rt
    assert rt.engine.pool.checkedout() == 0, "a database connection was leaked"
    rt.close()


# --------------------------------------------------------------------------- Slack

@pytest.fixture(scope="session")
def fake_slack_server() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_slack(fake_slack_server: FakeSlack) -> FakeSlack:
    fake_slack_server.reset()
    return fake_slack_server


def sign(body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's v0 request signature headers for a body."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


@dataclass
class HttpResult:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}

    @property
    def text(self) -> str:
        """All the text of a Block Kit reply, for assertions."""
        data = self.json()
        return blocks_text(data)


def blocks_text(data: dict[str, Any]) -> str:
    parts = [data.get("text", "")]
    for block in data.get("blocks", []) or []:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"].get("text", ""))
        for f in block.get("fields", []) or []:
            parts.append(f.get("text", ""))
        for e in block.get("elements", []) or []:
            if isinstance(e, dict):
                parts.append(e.get("text", "") if isinstance(e.get("text"), str) else (e.get("text") or {}).get("text", ""))
    return "\n".join(parts)


def valid_ack(result: HttpResult) -> HttpResult:
    """Fail unless an acknowledgement's JSON body is one Slack would take: a slash command's answer parsed with
    slack_sdk.models under Slack's limits, a view submission's `response_action` well formed — the fake Slack's
    own check of chat.* and views.* payloads (`fake_slack.check_ack`)."""
    if result.status == 200 and result.body.strip() and "json" in result.headers.get("Content-Type", ""):
        body = result.json()
        reason = check_ack(body) if isinstance(body, dict) else "an acknowledgement that is not a JSON object"
        assert reason is None, f"Slack would reject this acknowledgement ({reason}): {result.body[:500]!r}"
    return result


def http(method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None, timeout: float = 10) -> HttpResult:
    req = urllib.request.Request(url, data=body if method != "GET" else None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return HttpResult(resp.status, resp.read(), dict(resp.headers))
    except urllib.error.HTTPError as exc:
        return HttpResult(exc.code, exc.read(), dict(exc.headers))


@dataclass
class SlackUser:
    """Sends requests to the app exactly as Slack does: form-encoded, signed."""

    base_url: str
    user_id: str
    channel_id: str
    user_name: str = ""

    def post(self, form: dict[str, str], *, headers: dict[str, str] | None = None, timestamp: int | None = None) -> HttpResult:
        """Post as Slack does; the app's acknowledgement is held to what Slack accepts (see `valid_ack`)."""
        body = urllib.parse.urlencode(form).encode()
        hdrs = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, timestamp)}
        hdrs.update(headers or {})
        return valid_ack(http("POST", self.base_url + "/slack/events", body, hdrs))

    def command(self, command: str, text: str = "", *, channel_id: str | None = None) -> HttpResult:
        return self.post({
            "token": "deprecated", "team_id": "T0LSP", "team_domain": "lsp", "channel_id": channel_id or self.channel_id,
            "channel_name": "board", "user_id": self.user_id, "user_name": self.user_name or self.user_id.lower(),
            "command": command, "text": text, "api_app_id": "A0LSP", "is_enterprise_install": "false",
            "response_url": "https://hooks.slack.com/commands/T0LSP/1/x", "trigger_id": "1.2.3",
        })

    def interact(self, payload: dict[str, Any]) -> HttpResult:
        return self.post({"payload": json.dumps(payload)})

    def event(self, event: dict[str, Any]) -> HttpResult:
        """An Events API `event_callback` about this user, posted as Slack does: a signed JSON body."""
        body = json.dumps({
            "token": "deprecated", "team_id": "T0LSP", "api_app_id": "A0LSP", "type": "event_callback",
            "event_id": "Ev" + uuid.uuid4().hex[:10].upper(), "event_time": int(time.time()),
            "event": {"user": self.user_id, "event_ts": f"{time.time():.6f}", **event},
        }).encode()
        return http("POST", self.base_url + "/slack/events", body, {"Content-Type": "application/json", **sign(body)})

    def as_user(self, user_id: str, user_name: str = "") -> SlackUser:
        return SlackUser(self.base_url, user_id, self.channel_id, user_name)


@dataclass
class ServerProcess:
    process: subprocess.Popen
    base_url: str
    database_url: str
    env: dict[str, str]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def lspbot_env(database_url: str, slack_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LSPBOT_", "DATABASE_URL"))}
    env.update({
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_url,
        "DATABASE_URL": database_url,
        "LSPBOT_ADMINS": ADMIN,
        "LSPBOT_NOW": DEFAULT_NOW.isoformat(),
        "PYTHONUNBUFFERED": "1",
        **extra,
    })
    return env


def run_lspbot(args: list[str], env: dict[str, str], *, input: str | None = None, cwd: Path | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real `lspbot` command line."""
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, input=input, capture_output=True,
                          text=True, timeout=timeout, cwd=cwd or ROOT)


def start_server(database_url: str, slack_url: str, *, migrate: bool = True, log_path: Path | None = None,
                 args: tuple[str, ...] = (), **extra: str) -> ServerProcess:
    """Start `lspbot serve` on a free port and wait until /healthz answers (its log in `log_path` if given)."""
    env = lspbot_env(database_url, slack_url, **extra)
    if migrate:
        done = run_lspbot(["db", "upgrade"], env)
        assert done.returncode == 0, done.stderr
    stderr = open(log_path, "w") if log_path else subprocess.PIPE  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", "0", *args],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True)
    if log_path:
        stderr.close()  # the server has its own copy
    deadline = time.monotonic() + 30
    line = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "listening on" in line or proc.poll() is not None:
            break
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"lspbot serve did not start: {line}{proc.stderr.read() if proc.stderr else ''}")
    base_url = line.strip().rsplit(" ", 1)[-1]
    server = ServerProcess(proc, base_url, database_url, env)
    for _ in range(100):
        if http("GET", base_url + "/healthz").status == 200:
            return server
        time.sleep(0.05)
    server.stop()
    raise RuntimeError("lspbot serve never became healthy")


@pytest.fixture(scope="module", params=backends())
def server(request: pytest.FixtureRequest, fake_slack_server: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`lspbot serve` as a subprocess, one per test module and backend, against the fake Slack."""
    db = make_database(request.param, tmp_path_factory.mktemp("serve"), migrated=True)
    proc = start_server(db.url, fake_slack_server.url, migrate=False)
    yield proc
    proc.stop()
    db.drop()


def serve_one_backend(fake_slack_server: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`lspbot serve` on one backend only (PostgreSQL when the tests have it), for a module whose tests are
    about the transport or Slack, not the database: override `server` there with
    `@pytest.fixture(scope="module", name="server")` around `yield from serve_one_backend(...)`."""
    db = make_database(backends()[-1], tmp_path_factory.mktemp("serve"), migrated=True)
    proc = start_server(db.url, fake_slack_server.url, migrate=False)
    yield proc
    proc.stop()
    db.drop()


@dataclass
class BoardFixture:
    """A fresh board on the running server, with a chair, a secretary and two members."""

    channel_id: str
    name: str
    chair: SlackUser
    secretary: SlackUser
    alice: SlackUser
    bob: SlackUser
    admin: SlackUser
    outsider: SlackUser

    def user(self, user_id: str) -> SlackUser:
        return self.admin.as_user(user_id)


@pytest.fixture
def board(server: ServerProcess, fake_slack: FakeSlack) -> BoardFixture:
    suffix = uuid.uuid4().hex[:6].upper()
    channel = f"C{suffix}"
    admin = SlackUser(server.base_url, ADMIN, channel)
    ids = {k: f"U{k[:3].upper()}{suffix}" for k in ("chair", "secretary", "alice", "bob", "outsider")}
    name = f"Board {suffix}"
    r = admin.command("/lsp", f'board create "{name}" chair:<@{ids["chair"]}|chair> org:"LB Ealing"')
    assert r.status == 200 and "now runs in this channel" in r.text, r.text
    chair = admin.as_user(ids["chair"], "chair")
    for key, org, role in (("secretary", "LB Ealing", "secretariat"), ("alice", "Ealing PCT", "member"),
                           ("bob", "Metropolitan Police", "member")):
        r = chair.command("/lsp", f'member add <@{ids[key]}|{key}> org:"{org}" role:{role}')
        assert r.status == 200 and "joined" in r.text, r.text
    fake_slack.wait_for("chat.postMessage", 4)  # the welcome DMs, sent after the acks
    fake_slack.reset()
    return BoardFixture(channel, name, chair, admin.as_user(ids["secretary"]), admin.as_user(ids["alice"]),
                        admin.as_user(ids["bob"]), admin, admin.as_user(ids["outsider"]))


def db_rows(database_url: str, sql: str, **params: Any) -> list[tuple]:
    """Read rows straight from the database the server writes to."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def wait_until(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    """Poll `predicate` until it holds: for work another process or thread does after an acknowledgement."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
