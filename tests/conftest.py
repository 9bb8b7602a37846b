"""Shared fixtures: the fake Slack server, databases on SQLite and PostgreSQL, a settable clock,
signed Slack requests, and `lspbot serve` running as a real subprocess. The helpers they are built
from, and the ones test modules share, are in tests/support/."""

from __future__ import annotations

import compileall
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.runtime import Runtime, build_runtime
from tests.support.databases import TestDatabase, backends, drop_leftovers, make_database
from tests.support.fake_slack import FakeSlack
from tests.support.fake_smtp import FakeSmtp
from tests.support.server import (
    BOARD_PEOPLE,
    BoardFixture,
    DemoRun,
    demo_once,
    ServerProcess,
    board_people_id,
    serve_with_board_people,
)
from tests.support.settings import ADMIN, DEFAULT_NOW, lspbot_env, settings_for
from tests.support.slack_requests import SlackUser
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent


def pytest_sessionstart(session: pytest.Session) -> None:
    """lspbot's own modules compiled once, before the workers start: the suite runs `lspbot serve` and the CLI as
    subprocesses hundreds of times, and where bytecode is not written (PYTHONDONTWRITEBYTECODE, as on CI) each
    would compile every module again (a fifth of a second of CPU each)."""
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller has done it
    for package in ("bot", "handlers", "jobs", "store", "templates"):
        compileall.compile_dir(ROOT / package, quiet=1)


# --------------------------------------------------------------------------- databases

def pytest_sessionfinish(session: pytest.Session) -> None:
    """PostgreSQL databases kept for reuse and the templates are dropped when each test process finishes."""
    drop_leftovers()


@pytest.fixture(params=backends())
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestDatabase]:
    """A fresh database per test, on every backend, at the current schema."""
    db = make_database(request.param, tmp_path, migrated=True)
    yield db
    db.drop()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEFAULT_NOW)


@pytest.fixture
def runtime(database: TestDatabase, clock: FixedClock) -> Iterator[Runtime]:
    """The bot's parts in-process, on a migrated database, with a settable clock."""
    rt = build_runtime(settings_for(database.url), clock=clock, migrate=True)
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


@pytest.fixture(scope="module", params=backends())
def server(request: pytest.FixtureRequest, fake_slack_server: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`lspbot serve` as a subprocess, one per test module and backend, against the fake Slack."""
    db = make_database(request.param, tmp_path_factory.mktemp("serve"), migrated=True)
    proc = serve_with_board_people(db.url, fake_slack_server.url)
    yield proc
    proc.stop()
    db.drop()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """`lspbot demo` run once for the tests that read what it shows and the documents it leaves (it renders every
    document, so each run takes seconds); in a folder of its own, with a database URL it must not touch. Under
    pytest-xdist the workers of one run share it (the folder is in their common base, and the first runs it)."""
    env = lspbot_env("sqlite:///unused.db", "http://127.0.0.1:9/api/")
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return demo_once(tmp_path_factory.getbasetemp().parent / "demo-run", env)
    return demo_once(tmp_path_factory.mktemp("demo-run"), env)


@pytest.fixture
def board(server: ServerProcess, fake_slack: FakeSlack) -> BoardFixture:
    """A fresh board on the running server, with a chair, a secretary and two members (people the server has
    written to before, when it has them: see `known_board_people`), and an outsider it has never met."""
    suffix = server.board_suffixes.pop() if server.board_suffixes else uuid.uuid4().hex[:6].upper()
    channel = f"C{suffix}"
    admin = SlackUser(server.base_url, ADMIN, channel)
    ids = {k: board_people_id(k, suffix) for k in (*BOARD_PEOPLE, "outsider")}
    name = f"Board {suffix}"
    r = admin.command("/lsp", f'board create "{name}" chair:<@{ids["chair"]}|chair> org:"LB Ealing"')
    assert r.status == 200 and "now runs in this channel" in r.text, r.text
    chair = admin.as_user(ids["chair"], "chair")
    for key, org, role in (("secretary", "LB Ealing", "secretariat"), ("alice", "Ealing PCT", "member"),
                           ("bob", "Metropolitan Police", "member")):
        r = chair.command("/lsp", f'member add <@{ids[key]}|{key}> org:"{org}" role:{role}')
        assert r.status == 200 and "joined" in r.text, r.text
    welcomed = {"D" + ids[k][1:] for k in BOARD_PEOPLE}  # the welcome DMs, sent after the acks
    wait_until(lambda: welcomed <= {c.params.get("channel") for c in fake_slack.messages()}, 40, interval=0.02,
               what=lambda: f"the welcome DMs to {sorted(welcomed)}: {[c.params for c in fake_slack.messages()]}")
    fake_slack.reset()
    return BoardFixture(channel, name, chair, admin.as_user(ids["secretary"]), admin.as_user(ids["alice"]),
                        admin.as_user(ids["bob"]), admin, admin.as_user(ids["outsider"]))


# --------------------------------------------------------------------------- email

@pytest.fixture(scope="session")
def smtp_server() -> Iterator[FakeSmtp]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 for the whole run; `smtp` empties it for each test."""
    server = FakeSmtp().start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: FakeSmtp) -> FakeSmtp:
    smtp_server.reset()
    return smtp_server
