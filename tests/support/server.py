"""`lspbot` for the tests: its command line (a one-shot command in the test's own process, the rest as a process of
their own), `lspbot serve` as a real process on a free port, and a board set up on it."""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import logging
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.support.databases import backends, db_rows, make_database
from tests.support.fake_slack import FakeSlack
from tests.support.settings import ROOT, lspbot_env
from tests.support.slack_requests import SlackUser, http
from tests.support.waiting import wait_until


@dataclass
class ServerProcess:
    """A running `lspbot serve`: its process, address, database and environment."""

    process: subprocess.Popen
    base_url: str
    database_url: str
    env: dict[str, str]
    board_suffixes: list[str] = field(default_factory=list)  # of boards' people known before it started

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class DemoRun:
    """What `lspbot demo` did: its exit, output and errors, and the folder it ran in (its documents in `demo/`)."""

    done: subprocess.CompletedProcess
    cwd: Path

    @property
    def folder(self) -> Path:
        return self.cwd / "demo"


def demo_once(folder: Path, env: dict[str, str]) -> DemoRun:
    """`lspbot demo` run in `folder`, once for all the test processes sharing it: the first to take the folder's lock
    runs it and records what it did; the others, waiting on the lock, read that (the demo takes seconds of both cores,
    and the tests only read what it shows and leaves)."""
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / "demo-run.json"
    with open(folder / "demo-run.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            done = run_lspbot(["demo", "--out", str(folder / "demo")], env, cwd=folder)
            record.write_text(json.dumps({"args": done.args, "returncode": done.returncode, "stdout": done.stdout,
                                          "stderr": done.stderr}), encoding="utf-8")
        kept = json.loads(record.read_text(encoding="utf-8"))
    return DemoRun(subprocess.CompletedProcess(kept["args"], kept["returncode"], kept["stdout"], kept["stderr"]),
                   folder)


# The command line's long-running commands, and those that set up logging or the database's schema for a whole process,
# always run as a process of their own; the one-shot commands run in the test's process (see `run_lspbot`).
OWN_PROCESS = frozenset({"serve", "scheduler", "console", "demo", "db"})


def run_lspbot(args: list[str], env: dict[str, str], *, input: str | None = None, cwd: Path | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real `lspbot` command line. A one-shot command (plan, agenda, report, jobs run, …) runs in this process:
    `bot.cli.main.main` with `env` as its environment and its standard streams and log captured, which is all the
    command line does except start Python and load lspbot (a second or two of both cores each time, on a suite that
    runs it nearly two hundred times). The others, and any run in a folder of its own, run as a process
    (`run_lspbot_process`); tests/test_cli.py runs the command line as a process throughout."""
    if args and args[0] not in OWN_PROCESS and cwd is None:
        return _run_in_process(args, env, input=input)
    return run_lspbot_process(args, env, input=input, cwd=cwd, timeout=timeout)


def run_lspbot_process(args: list[str], env: dict[str, str], *, input: str | None = None, cwd: Path | None = None,
                       timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real `lspbot` command line as a process of its own."""
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, input=input, capture_output=True,
                          text=True, timeout=timeout, cwd=cwd or ROOT)


def _run_in_process(args: list[str], env: dict[str, str], *, input: str | None) -> subprocess.CompletedProcess:
    """`lspbot <args>` through `bot.cli.main.main` in this process, as `run_lspbot_process` would see it: its exit
    status, and its output and errors (the log included) as text with universal newlines."""
    from bot.cli.main import main

    out, err = _stream(), _stream()
    log_handler = logging.StreamHandler(err)
    log_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(log_handler)
    root.setLevel(getattr(logging, env.get("LSPBOT_LOG_LEVEL", "INFO").upper(), logging.INFO))
    stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO((input or "").encode("utf-8")), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(args, environ=dict(env))
            except SystemExit as exc:  # argparse's refusals, and sys.exit in a command
                status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                if exc.code is not None and not isinstance(exc.code, int):
                    print(exc.code, file=sys.stderr)
    finally:
        sys.stdin = stdin
        root.removeHandler(log_handler)
        root.setLevel(level)
    return subprocess.CompletedProcess([sys.executable, "-m", "bot.cli", *args], status, _text(out), _text(err))


def _stream() -> io.TextIOWrapper:
    """A text stream over bytes, as a process's standard output is (`.buffer` included)."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="", write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    """What was written, as `subprocess.run(..., text=True)` reads it (universal newlines)."""
    stream.flush()
    raw = stream.buffer.getvalue().decode("utf-8", errors="replace")  # type: ignore[attr-defined]
    return raw.replace("\r\n", "\n").replace("\r", "\n")


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
    try:
        wait_until(lambda: http("GET", base_url + "/healthz").status == 200, 5, interval=0.05,
                   what="lspbot serve to answer /healthz")
    except AssertionError:
        server.stop()
        raise
    return server


BOARD_PEOPLE = ("chair", "secretary", "alice", "bob")


def board_people_id(person: str, suffix: str) -> str:
    """The Slack id of one of a board's people (`BoardFixture`): `UALI3F09C2` for alice of board 3F09C2."""
    return f"U{person[:3].upper()}{suffix}"


def known_board_people(database_url: str, boards: int = 40) -> list[str]:
    """Suffixes for `boards` boards whose people (all but the outsider) have a member record with their DM channel,
    as people the bot has written to before: a server started afterwards needs no conversations.open for them
    (Slack's tier allows one every 1.2 seconds after a burst of 20), so their DMs go at once."""
    suffixes = [uuid.uuid4().hex[:6].upper() for _ in range(boards)]
    people = [board_people_id(person, suffix) for suffix in suffixes for person in BOARD_PEOPLE]
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO members (slack_user_id, display_name, dm_channel_id) VALUES (:u, :u, :d)"),
                         [{"u": u, "d": "D" + u[1:]} for u in people])
    finally:
        engine.dispose()
    return suffixes


def serve_with_board_people(database_url: str, slack_url: str) -> ServerProcess:
    """`lspbot serve` on a migrated database, knowing the DM channels of the people of the boards it will have."""
    suffixes = known_board_people(database_url)
    server = start_server(database_url, slack_url, migrate=False)
    server.board_suffixes.extend(suffixes)
    return server


def serve_one_backend(fake_slack_server: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`lspbot serve` on one backend only (PostgreSQL when the tests have it), for a module whose tests are
    about the transport or Slack, not the database: override `server` there with
    `@pytest.fixture(scope="module", name="server")` around `yield from serve_one_backend(...)`."""
    db = make_database(backends()[-1], tmp_path_factory.mktemp("serve"), migrated=True)
    proc = serve_with_board_people(db.url, fake_slack_server.url)
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


PLAN_CSV = (
    "date,time,item,lead,kind,venue\n"
    "2019-07-15,10:00,Northolt final recommendations,LB Ealing/DWP,for decision,TBC\n"
    "2019-10-10,10:00,LSP Annual Report for Scrutiny,LB Ealing,for decision,TBC\n"
    "2019-10-10,,Future policy 'theme' setting,LSP Executive,for discussion,\n"
    "2019-10-10,,Borough Plan Performance Update,LB Ealing,standing item,\n"
    "2020-01-20,10:00,Borough Plan Performance Update,LB Ealing,standing item,TBC\n"
)


def load_plan(server: ServerProcess, board: BoardFixture, tmp_path: Path) -> None:
    """The slide's first meetings, 15 July (already past) included, loaded as the secretariat would."""
    path = tmp_path / "plan.csv"
    path.write_text(PLAN_CSV)
    done = run_lspbot(["plan", "import", str(path), "--board", board.name, "--include-past"], server.env)
    assert done.returncode == 0, done.stderr


def sql(server: ServerProcess, statement: str, **params: Any) -> None:
    """Write straight to the server's database (what no command can do, such as moving a date into the past)."""
    engine = create_engine(server.database_url)
    with engine.begin() as conn:
        conn.execute(text(statement), params)
    engine.dispose()


def jobs(server: ServerProcess, *args: str) -> str:
    """`lspbot jobs …` against the server's database; its output."""
    done = run_lspbot(["jobs", *args], server.env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def board_actions(server: ServerProcess, channel: str) -> list[tuple]:
    """(ref, text, owner, due, meeting date, creator, permalink) of a board's actions."""
    return db_rows(server.database_url,
                   "SELECT a.ref, a.text, o.slack_user_id, a.due_date, m.date, c.slack_user_id, a.source_permalink "
                   "FROM actions a JOIN boards b ON b.id = a.board_id JOIN members o ON o.id = a.owner_id "
                   "JOIN members c ON c.id = a.created_by_id LEFT JOIN meetings m ON m.id = a.meeting_id "
                   "WHERE b.channel_id = :c ORDER BY a.ref", c=channel)
