"""The path of a slash command through the app in-process: nothing is left to run after the ack unless there is
something to do (the sender's time zone is looked up once, then known in the process; Slack's `user_change`
records a new one), and a command that only reads writes nothing and takes no write lock."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.runtime import Runtime, run_command
from bot.slack.api import make_client
from bot.slack.app import create_app
from bot.slack.web import make_wsgi
from handlers.catalogue import REGISTRY
from store import db
from store.models import Action, ActionUpdate, Member, PartnerUpdate
from tests.support.bolt import CountingInline, call_wsgi
from tests.support.driver_trace import DriverStatements
from tests.support.fake_slack import FakeSlack
from tests.support.fuzz_board import CHANNEL, MEMBER, setup_board
from tests.support.settings import BOT_TOKEN
from tests.support.slack_requests import HttpResult, sign, trigger_id


@pytest.fixture
def app(runtime: Runtime, fake_slack: FakeSlack) -> Iterator[tuple[Any, CountingInline]]:
    setup_board(runtime)
    after_ack = CountingInline()
    bolt = create_app(runtime, client=make_client(BOT_TOKEN, fake_slack.url, timeout=2), listener_executor=after_ack)
    yield make_wsgi(bolt, runtime), after_ack


def command(wsgi: Any, name: str, text: str, user: str = MEMBER) -> HttpResult:
    body = urllib.parse.urlencode({"command": name, "text": text, "user_id": user, "user_name": "m",
                                   "channel_id": CHANNEL, "team_id": "T0LSP", "trigger_id": trigger_id()}).encode()
    result = call_wsgi(wsgi, body, {"Content-Type": "application/x-www-form-urlencoded", **sign(body)})
    assert result.status == 200, result.body
    return result


def user_change(wsgi: Any, user: str, tz: str) -> HttpResult:
    body = json.dumps({"token": "deprecated", "team_id": "T0LSP", "api_app_id": "A0LSP", "type": "event_callback",
                       "event_id": "Ev" + uuid.uuid4().hex[:10].upper(), "event_time": int(time.time()),
                       "event": {"type": "user_change", "event_ts": f"{time.time():.6f}",
                                 "user": {"id": user, "name": "m", "tz": tz, "profile": {"display_name": "m"}}}
                       }).encode()
    return call_wsgi(wsgi, body, {"Content-Type": "application/json", **sign(body)})


def zone_on_record(runtime: Runtime, user: str) -> str | None:
    with db.read_scope(runtime.sessions) as session:
        return session.scalar(select(Member.timezone).where(Member.slack_user_id == user))


def test_an_unknown_zone_is_looked_up_once_then_nothing_runs_after_the_ack(runtime: Runtime, app, fake_slack):
    wsgi, after_ack = app
    fake_slack.add_user(MEMBER, tz="America/New_York")
    for _ in range(3):
        assert "Your open actions" in command(wsgi, "/action", "list").text
    assert [c.params.get("user") for c in fake_slack.calls("users.info")] == [MEMBER]
    assert zone_on_record(runtime, MEMBER) == "America/New_York"
    assert after_ack.submitted == 1, "a command from someone whose zone is known left work behind it"


def test_a_zone_already_on_record_is_not_asked_of_slack(runtime: Runtime, app, fake_slack):
    wsgi, after_ack = app
    with db.session_scope(runtime.sessions) as session:
        session.execute(Member.__table__.update().where(Member.slack_user_id == MEMBER).values(timezone="Asia/Tokyo"))
    command(wsgi, "/action", "list")
    command(wsgi, "/action", "list")
    assert fake_slack.calls("users.info") == []
    assert after_ack.submitted == 1  # the record read once, after the first ack


def test_a_user_change_event_changes_the_zone_times_are_shown_in(runtime: Runtime, app, fake_slack):
    wsgi, _ = app
    fake_slack.add_user(MEMBER, tz="Europe/London")
    assert "10:00" in command(wsgi, "/plan", "").text and "your time" not in command(wsgi, "/plan", "").text
    assert user_change(wsgi, MEMBER, "America/New_York").status == 200
    assert zone_on_record(runtime, MEMBER) == "America/New_York"
    assert "05:00 your time (10:00 in London)" in command(wsgi, "/plan", "").text
    assert [c.params.get("user") for c in fake_slack.calls("users.info")] == [MEMBER]  # the first time only


def test_a_user_change_for_someone_with_no_record_or_no_zone_keeps_nothing(runtime: Runtime, app, fake_slack):
    wsgi, _ = app
    assert user_change(wsgi, "UNOBODY1", "America/New_York").status == 200
    assert user_change(wsgi, MEMBER, "Not/AZone").status == 200
    assert zone_on_record(runtime, "UNOBODY1") is None
    assert zone_on_record(runtime, MEMBER) is None


READ_ONLY = [("/action", "list"), ("/action", "list all"), ("/action", "list overdue"), ("/action", "show #1"),
             ("/plan", ""), ("/update", "list")]


def test_commands_that_only_read_write_nothing_and_take_no_write_lock(runtime: Runtime):
    """No INSERT, UPDATE or DELETE from a command declared `read_only`; on SQLite it runs while another
    connection holds the write lock (a unit of work that began with BEGIN IMMEDIATE would wait for it, and after
    the busy timeout be told the database is locked)."""
    setup_board(runtime)
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()[:2]).upper())

    writer = None
    if runtime.engine.dialect.name == "sqlite":
        writer = sqlite3.connect(runtime.engine.url.database or "", isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # the write lock, held until the commands have run
    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        for name, text in READ_ONLY:
            assert REGISTRY.find(name, text)[0].read_only, (name, text)  # type: ignore[union-attr]
            sent.clear()
            outcome = run_command(runtime, name, user_id=MEMBER, channel_id=CHANNEL, text=text, user_name="m")
            assert outcome.ok, (name, text, outcome.payload.get("text"))
            writes = [s for s in sent if s.split()[0] in ("INSERT", "UPDATE", "DELETE")]
            assert sent and not writes, (name, text, writes)
        if writer is not None:
            writer.rollback()
            writer.close()
            writer = None
        sent.clear()
        assert run_command(runtime, "/action", user_id=MEMBER, channel_id=CHANNEL, text="add Written").ok
        assert any(s.startswith("INSERT") for s in sent)  # the listener sees a command that writes
    finally:
        if writer is not None:
            writer.close()
        event.remove(runtime.engine, "before_cursor_execute", record)


def test_a_command_that_only_reads_is_no_transaction_on_postgresql(runtime: Runtime):
    """On PostgreSQL a read-only command's statements run each in a transaction of its own (no BEGIN or COMMIT
    round trips: under READ COMMITTED each takes its own snapshot anyway), while a command that writes is one
    transaction; on SQLite a read-only command is a deferred transaction (no write lock). Counted as the driver
    sends them."""
    setup_board(runtime)
    postgresql = runtime.engine.dialect.name == "postgresql"

    def sent_by(text: str) -> list[str]:
        with DriverStatements(runtime.engine) as trace:
            assert run_command(runtime, "/action", user_id=MEMBER, channel_id=CHANNEL, text=text, user_name="m").ok
        return [s.split()[0].upper() for s in trace.sent]

    reading = sent_by("list all")
    assert "SELECT" in reading
    if postgresql:
        assert "BEGIN" not in reading and "COMMIT" not in reading, reading
    else:
        assert reading[0] == "BEGIN" and "IMMEDIATE" not in reading and reading[-1] == "COMMIT", reading
    writing = sent_by("add Written")
    # the action's INSERT (on PostgreSQL inside a WITH that takes the board's next number)
    assert writing[0] == "BEGIN" and writing[-1] == "COMMIT" and {"INSERT", "WITH"} & set(writing), writing


def test_an_actions_change_and_its_history_entry_are_one_statement_on_postgresql(runtime: Runtime):
    """A new action takes the board's next number and closing it changes its row and adds its history entry: one
    statement each on PostgreSQL (an UPDATE a data-modifying WITH of the INSERT, one round trip), two on SQLite. Seen as the driver sends them (on
    PostgreSQL the first line of each statement it parses)."""
    setup_board(runtime)
    with DriverStatements(runtime.engine) as trace:
        added = run_command(runtime, "/action", user_id=MEMBER, channel_id=CHANNEL, text="add Close me by Friday")
    assert added.ok
    ref = json.dumps(added.payload).split("*#", 1)[1].split("*", 1)[0]
    numbering = [" ".join(s.split()) for s in trace.sent]  # the board's next number and the action, as sent
    if runtime.engine.dialect.name == "postgresql":  # one statement: the INSERT selects from the count's UPDATE
        assert any(s.startswith("WITH numbered AS") for s in numbering), numbering
        assert not any(s.startswith(("UPDATE boards", "INSERT INTO actions")) for s in numbering), numbering
    else:
        assert [s.split(" SET")[0].split(" (")[0] for s in numbering
                if s.startswith(("UPDATE boards", "INSERT INTO actions"))] == ["UPDATE boards", "INSERT INTO actions"]
    with DriverStatements(runtime.engine) as trace:
        assert run_command(runtime, "/action", user_id=MEMBER, channel_id=CHANNEL, text=f"done #{ref}").ok
    sent = [" ".join(s.split()) for s in trace.sent]
    if runtime.engine.dialect.name == "postgresql":
        assert any(s.startswith("WITH changed AS") for s in sent), sent
        assert not any(s.startswith(("UPDATE actions", "INSERT INTO action_updates")) for s in sent), sent
    else:
        changes = [s for s in sent if s.startswith(("UPDATE actions", "INSERT INTO action_updates"))]
        assert [s.split(" (")[0].split(" SET")[0] for s in changes] == ["UPDATE actions",
                                                                        "INSERT INTO action_updates"], sent
    with db.session_scope(runtime.sessions) as session:
        kinds = session.scalars(select(ActionUpdate.kind).join(Action, Action.id == ActionUpdate.action_id)
                                .where(Action.ref == int(ref)))
        assert list(kinds) == ["done"]


def test_a_resubmitted_update_supersedes_and_replaces_in_one_statement_on_postgresql(runtime: Runtime):
    """An organisation's update sent again marks the one before superseded and adds the new one: one statement on
    PostgreSQL (the INSERT selects from the superseding UPDATE, a data-modifying WITH, so the partial unique
    index sees the old row superseded first), two on SQLite. The sender is told whose update it replaced."""
    setup_board(runtime)
    first = run_command(runtime, "/update", user_id=MEMBER, channel_id=CHANNEL, text="Hubs mapped")
    assert first.ok and "replaces" not in json.dumps(first.payload)
    with DriverStatements(runtime.engine) as trace:
        again = run_command(runtime, "/update", user_id=MEMBER, channel_id=CHANNEL, text="Hubs mapped and costed")
    assert again.ok and f"<@{MEMBER}>" in json.dumps(again.payload) and "replaces" in json.dumps(again.payload)
    sent = [" ".join(s.split()) for s in trace.sent]
    if runtime.engine.dialect.name == "postgresql":
        assert any(s.startswith("WITH superseding AS") for s in sent), sent
        assert not any(s.startswith(("UPDATE partner_updates", "INSERT INTO partner_updates")) for s in sent), sent
    else:
        changes = [s.split(" (")[0].split(" SET")[0] for s in sent
                   if s.startswith(("UPDATE partner_updates", "INSERT INTO partner_updates"))]
        assert changes == ["UPDATE partner_updates", "INSERT INTO partner_updates"], sent
    with db.session_scope(runtime.sessions) as session:
        texts = session.execute(select(PartnerUpdate.text, PartnerUpdate.replaced_at.is_(None))
                                .order_by(PartnerUpdate.id)).all()
        assert [tuple(t) for t in texts] == [("Hubs mapped", False), ("Hubs mapped and costed", True)]
