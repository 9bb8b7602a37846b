"""Slack misbehaving: slow (timeouts), unreachable, 5xx, storms of 429, and `ok: false` refusals. The bot
keeps answering, the person sees a useful message, and nothing is lost: the outbox retries, or marks the
message failed with Slack's reason for `lspbot outbox list` to show (tests/test_delivery.py covers 429 and
5xx in order, a message given up after its attempts, and channel_not_found; this file adds the rest)."""

from __future__ import annotations

import datetime as dt
import socket
import uuid

import pytest

from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.services.sender import OutboxSender
from bot.slack.api import Pacer, SlackDelivery, WindowLimiter, make_client
from store import db
from store import outbox as outbox_store
from store.models import OutboxStatus
from tests.support.delivery import SimulatedTime, delivered, drain_with_time, queue
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, run_lspbot, serve_one_backend
from tests.support.settings import BOT_TOKEN, lspbot_env
from tests.support.waiting import wait_until


@pytest.fixture(scope="module", name="server")
def one_server(fake_slack_server, tmp_path_factory):
    """What Slack does to a reply does not depend on the database: one backend is enough."""
    yield from serve_one_backend(fake_slack_server, tmp_path_factory)


def sender_on_the_clock(runtime: Runtime, url: str, clock: FixedClock, *, timeout: float = 10,
                        token: str = BOT_TOKEN) -> OutboxSender:
    """The real sender; its pacing (Retry-After holds included) follows the test's clock, not the wall's."""
    pacer = Pacer(0.0, monotonic=lambda: clock.now().timestamp())
    return OutboxSender(runtime.sessions, SlackDelivery(make_client(token, url, retries=False, timeout=timeout),
                                                        pacer), clock)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"  # nothing listens here now: connections are refused


def statuses(runtime: Runtime) -> dict[str, tuple[OutboxStatus, int, str | None]]:
    with db.session_scope(runtime.sessions) as session:
        return {m.key: (m.status, m.attempts, m.last_error) for m in outbox_store.list_messages(session=session)}


def test_a_timeout_then_slack_unreachable_then_back_loses_nothing(runtime: Runtime, clock: FixedClock,
                                                                   fake_slack: FakeSlack):
    messages = [("CSLOW01", f"slow-{i}") for i in range(3)] + [("CSLOW02", f"other-{i}") for i in range(2)]
    queue(runtime, messages, clock.now())
    token = f"xoxb-slow-then-gone-{uuid.uuid4().hex[:8]}"  # this run's own: its posts are told apart from any other
    sender = sender_on_the_clock(runtime, fake_slack.url, clock, timeout=0.5, token=token)
    fake_slack.state.delay = 0.8  # Slack answers too late: the first post times out
    try:
        sender.drain_once()
    finally:
        fake_slack.state.delay = 0
    timed_out = sum(1 for _, _, error in statuses(runtime).values() if "timed out" in (error or ""))
    assert timed_out, statuses(runtime)
    # The fake answers each timed-out post after the client gave up: wait for those answers, so none lands later
    # (in another test's calls: the fake is shared).
    wait_until(lambda: sum(1 for c in fake_slack.calls("chat.postMessage")
                           if c.delayed and c.params.get("_auth") == f"Bearer {token}") >= timed_out,
               what="the fake's late answers")
    sender.delivery.client.base_url = closed_port_url()  # then Slack cannot be reached at all
    for _ in range(3):
        clock.advance(dt.timedelta(minutes=1))
        sender.drain()
    during = statuses(runtime)
    assert all(status == OutboxStatus.PENDING for status, _, _ in during.values()), during
    assert any("Connection refused" in (error or "") for _, _, error in during.values()), during
    sender.delivery.client.base_url = fake_slack.url  # Slack is back, and prompt: a busy machine must not
    sender.delivery.client.timeout = 10  # time out a post that reached it and count a duplicate the test did not make
    drain_with_time(sender, runtime, clock)
    posts = [c for c in fake_slack.messages() if c.params.get("_auth") == f"Bearer {token}"]
    got: dict[str, list[str]] = {}
    for c in posts:
        got.setdefault(c.params["channel"], []).append(c.params["text"])
    # A timed-out post may have reached Slack after all: only those can show twice, each in its place.
    assert list(dict.fromkeys(got["CSLOW01"])) == [f"slow-{i}" for i in range(3)]
    assert list(dict.fromkeys(got["CSLOW02"])) == ["other-0", "other-1"]
    # Each copy beyond the first is one the fake answered late (after the client had given up), no other.
    late = sum(1 for c in posts if c.delayed)
    seen = [(c.params["channel"], c.params["text"], c.delayed, c.params.get("_auth")) for c in fake_slack.messages()]
    assert 0 < late <= timed_out and len(posts) - len(messages) <= late, seen
    assert {status for status, _, _ in statuses(runtime).values()} == {OutboxStatus.SENT}


def test_a_storm_of_429s_delays_delivery_but_costs_no_attempts(runtime: Runtime, clock: FixedClock,
                                                               fake_slack: FakeSlack):
    messages = [(f"CSTORM{c}", f"storm-{c}-{i}") for i in range(4) for c in range(3)]
    queue(runtime, messages, clock.now())
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=2, times=40)
    sender = sender_on_the_clock(runtime, fake_slack.url, clock)
    drain_with_time(sender, runtime, clock, rounds=200)
    assert sum(1 for c in fake_slack.calls("chat.postMessage") if c.status == 429) == 40
    got = delivered(fake_slack)
    for c in range(3):
        assert got[f"CSTORM{c}"] == [f"storm-{c}-{i}" for i in range(4)]
    assert {(status, attempts) for status, attempts, _ in statuses(runtime).values()} == {(OutboxStatus.SENT, 1)}


def dm(runtime: Runtime, user: str, text: str, now: dt.datetime) -> None:
    with db.session_scope(runtime.sessions) as session:
        outbox_store.enqueue(session=session, key=f"dm:{text}", target_kind="user", target=user,
                             payload={"text": text}, now=now)


def test_conversations_open_is_held_to_its_window_and_opened_once_per_person(runtime: Runtime, clock: FixedClock,
                                                                            fake_slack: FakeSlack):
    simulated = SimulatedTime(clock)
    sleeps: list[float] = []
    limiter = WindowLimiter(calls=2, seconds=60, sleep=sleeps.append, monotonic=simulated.monotonic)
    delivery = SlackDelivery(make_client(BOT_TOKEN, fake_slack.url, retries=False),
                             Pacer(0.0, monotonic=simulated.monotonic), open_limiter=limiter)
    for i in range(4):
        dm(runtime, f"UPACE{i}", f"first-{i}", clock.now())
    dm(runtime, "UPACE0", "second-0", clock.now())
    sender = OutboxSender(runtime.sessions, delivery, clock, monotonic=simulated.monotonic, sleep=simulated.sleep)
    sender.drain()
    # Two opens fill the window: two people get their DMs (the second to UPACE0 through the channel already
    # open); the other two wait, given back to be due when the window has room, and nothing slept in the limiter.
    assert [c.params["users"] for c in fake_slack.calls("conversations.open")] == ["UPACE0", "UPACE1"]
    assert delivered(fake_slack) == {"DPACE0": ["first-0", "second-0"], "DPACE1": ["first-1"]}
    assert sleeps == [] and limiter.delay() == 60
    with db.session_scope(runtime.sessions) as session:
        waiting = [m for m in outbox_store.list_messages(session=session) if m.status == OutboxStatus.PENDING]
    assert {(m.target, m.next_attempt_at, m.claimed_until) for m in waiting} == \
        {(f"UPACE{i}", clock.now() + dt.timedelta(seconds=60), None) for i in (2, 3)}
    simulated.sleep(59)
    assert sender.drain() == 0
    simulated.sleep(1)
    sender.drain()
    assert [c.params["users"] for c in fake_slack.calls("conversations.open")] == [f"UPACE{i}" for i in range(4)]
    assert sorted(delivered(fake_slack)) == [f"DPACE{i}" for i in range(4)]
    assert sleeps == []


def test_a_429_to_conversations_open_waits_for_retry_after_and_costs_no_attempt(runtime: Runtime, clock: FixedClock,
                                                                             fake_slack: FakeSlack):
    dm(runtime, "UOPEN429", "after-the-wait", clock.now())
    dm(runtime, "UOPEN429", "and-the-next", clock.now())
    fake_slack.fail_next("conversations.open", status=429, retry_after=7)
    sender = sender_on_the_clock(runtime, fake_slack.url, clock)
    assert sender.drain() == 1
    assert fake_slack.messages() == []
    status, attempts, error = statuses(runtime)["dm:after-the-wait"]
    assert (status, attempts) == (OutboxStatus.PENDING, 0) and "429" in error
    clock.advance(dt.timedelta(seconds=6))
    assert sender.drain() == 0  # Retry-After is not over: nothing is tried, the later DM waits behind
    clock.advance(dt.timedelta(seconds=1))
    sender.drain()
    assert [c.status for c in fake_slack.calls("conversations.open")] == [429, 200]
    assert delivered(fake_slack) == {"DOPEN429": ["after-the-wait", "and-the-next"]}
    assert {(s, a) for s, a, _ in statuses(runtime).values()} == {(OutboxStatus.SENT, 1)}


def test_refusals_are_marked_failed_with_slacks_reason_and_the_rest_goes(runtime: Runtime, clock: FixedClock,
                                                                       fake_slack: FakeSlack, database, tmp_path):
    with db.session_scope(runtime.sessions) as session:
        outbox_store.enqueue(session=session, key="dm:gone", target_kind="user", target="UGONE001",
                             payload={"text": "to a deleted user"}, now=clock.now())
    queue(runtime, [("CNOTIN01", "not invited"), ("CINACT01", "inactive"), ("CFINE001", "fine")], clock.now())
    fake_slack.fail_next("conversations.open", error="user_not_found")
    fake_slack.fail_next("chat.postMessage", error="not_in_channel")
    fake_slack.fail_next("chat.postMessage", error="account_inactive")
    sender = sender_on_the_clock(runtime, fake_slack.url, clock)
    drain_with_time(sender, runtime, clock)
    assert delivered(fake_slack) == {"CFINE001": ["fine"]}
    failed = {key: error for key, (status, _, error) in statuses(runtime).items() if status == OutboxStatus.FAILED}
    assert failed == {"dm:gone": "user_not_found", "m:not invited": "not_in_channel", "m:inactive": "account_inactive"}
    listing = run_lspbot(["outbox", "list", "--status", "failed"], lspbot_env(database.url, fake_slack.url), cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    for reason in ("user_not_found", "not_in_channel", "account_inactive"):
        assert reason in listing.stdout


def test_a_slow_or_failing_slack_never_holds_up_or_breaks_a_reply(server, board: BoardFixture, fake_slack: FakeSlack):
    """Calls made before the ack (opening a form) give up in time to answer within Slack's 3 seconds."""
    r = board.chair.command("/plan", "meeting add 2019-09-12 10:00")
    assert r.status == 200 and "12 September 2019" in r.text, r.text
    fake_slack.state.delay = 4.0  # Slack hangs for longer than it gives us to answer
    try:
        r = board.alice.command("/update", "")
    finally:
        fake_slack.state.delay = 0
    assert r.status == 200 and "couldn't open the form" in r.text, r.text
    fake_slack.fail_next("views.open", status=500)
    r = board.alice.command("/update", "")
    assert r.status == 200 and "couldn't open the form" in r.text, r.text
    fake_slack.fail_next("views.open", error="expired_trigger_id")
    r = board.bob.command("/update", "")
    assert r.status == 200 and "couldn't open the form" in r.text, r.text
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    r = board.chair.command("/action", f"add Chase the venue <@{board.bob.user_id}|bob>")
    assert r.status == 200 and "Chase the venue" in r.text, r.text
    dm = fake_slack.wait_for("chat.postMessage", 1, timeout=20)[0]  # after the 429's Retry-After, it arrives
    assert "Chase the venue" in str(dm.params["blocks"])
