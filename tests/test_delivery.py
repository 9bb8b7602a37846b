"""Delivery that loses nothing: 429 and 500 answers, a sender killed mid-drain, two replicas on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import threading
import time

import pytest

from bot.clock import FixedClock
from bot.runtime import Runtime, run_command
from bot.services.sender import OutboxSender
from bot.slack.api import Pacer, SlackDelivery, WindowLimiter, make_client
from jobs.registry import JOBS
from store import db
from store import outbox as outbox_store
from store.models import OutboxStatus
from tests.support.databases import db_rows
from tests.support.delivery import SimulatedTime, delivered, drain_with_time, queue, sender_for
from tests.support.fake_slack import FakeSlack
from tests.support.server import ServerProcess, run_lspbot
from tests.support.settings import ADMIN, BOT_TOKEN, DEFAULT_NOW, LONDON, ROOT, lspbot_env
from tests.support.slack_requests import blocks_text
from tests.support.waiting import wait_until


def test_429_and_500_answers_still_deliver_everything_in_order(runtime: Runtime, clock: FixedClock, fake_slack: FakeSlack):
    messages = [("CALPHA", f"alpha-{i}") for i in range(6)] + [("CBETA", f"beta-{i}") for i in range(4)]
    queue(runtime, messages, clock.now())
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    fake_slack.fail_next("chat.postMessage", status=500, times=2)
    fake_slack.fail_next("chat.postMessage", status=503)
    sender = sender_for(runtime, fake_slack, clock)
    drain_with_time(sender, runtime, clock)
    got = delivered(fake_slack)
    assert got["CALPHA"] == [f"alpha-{i}" for i in range(6)]
    assert got["CBETA"] == [f"beta-{i}" for i in range(4)]
    statuses = [c.status for c in fake_slack.calls("chat.postMessage")]
    assert statuses.count(429) == 1 and statuses.count(500) == 2 and statuses.count(503) == 1
    with db.session_scope(runtime.sessions) as session:
        rows = outbox_store.list_messages(session=session)
        assert {r.status for r in rows} == {OutboxStatus.SENT}
        # The rate-limited answer did not use up an attempt; the 5xx answers did.
        assert sum(r.attempts for r in rows) == len(messages) + 3


def test_a_message_that_keeps_failing_is_marked_failed_and_can_be_retried(runtime, clock, fake_slack, database,
                                                                          tmp_path):
    queue(runtime, [("CGAMMA", "doomed"), ("CGAMMA", "after-doomed")], clock.now())
    fake_slack.fail_next("chat.postMessage", status=500, times=3)
    sender = sender_for(runtime, fake_slack, clock)
    sender.max_attempts = 3
    drain_with_time(sender, runtime, clock)
    assert delivered(fake_slack) == {"CGAMMA": ["after-doomed"]}  # it waited until "doomed" was given up
    queue(runtime, [("CDELTA", "refused")], clock.now())
    fake_slack.fail_next("chat.postMessage", error="channel_not_found")  # no retry can change that answer
    drain_with_time(sender, runtime, clock)
    assert len(fake_slack.calls("chat.postMessage")) == 5
    env = lspbot_env(database.url, fake_slack.url)
    listing = run_lspbot(["outbox", "list", "--status", "failed"], env, cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "2 failed" in listing.stdout and "m:doomed" in listing.stdout and "HTTP 500" in listing.stdout
    assert "channel_not_found" in listing.stdout
    retried = run_lspbot(["outbox", "retry"], env, cwd=tmp_path)
    assert "requeued 2 failed message(s)" in retried.stdout
    fake_slack.reset()
    drain_with_time(sender, runtime, clock)
    assert delivered(fake_slack) == {"CGAMMA": ["doomed"], "CDELTA": ["refused"]}


def test_pacing_keeps_each_channel_under_one_message_a_second(runtime, clock, fake_slack):
    fake_slack.enforce_channel_rate(1.0)
    try:
        queue(runtime, [("CPACE1", f"p1-{i}") for i in range(3)] + [("CPACE2", f"p2-{i}") for i in range(3)], clock.now())
        sender = sender_for(runtime, fake_slack, clock, interval=1.05)
        started = time.monotonic()
        sender.drain()
        elapsed = time.monotonic() - started
    finally:
        fake_slack.enforce_channel_rate(0)
    assert [c.status for c in fake_slack.calls("chat.postMessage")] == [200] * 6  # no 429s
    got = delivered(fake_slack)
    assert got["CPACE1"] == ["p1-0", "p1-1", "p1-2"] and got["CPACE2"] == ["p2-0", "p2-1", "p2-2"]
    # The two channels are served side by side: about 2 seconds, not 5.
    assert 2.0 <= elapsed < 3.5


def test_slacks_limits_count_from_when_a_call_ended(clock):
    """A call's answer comes back after Slack counted it, and the next call reaches Slack after it starts: counting
    from the end keeps calls apart at Slack's end by the full interval, however long each took."""
    simulated = SimulatedTime(clock)
    pacer = Pacer(1.0, sleep=simulated.sleep, monotonic=simulated.monotonic)
    with pacer.slot("channel:C1"):
        simulated.sleep(0.3)  # the post took 0.3 s
    assert pacer.delay("channel:C1") == pytest.approx(1.0) and pacer.delay("channel:C2") == 0
    limiter = WindowLimiter(calls=2, seconds=60, sleep=simulated.sleep, monotonic=simulated.monotonic)
    with limiter.slot():
        assert limiter.delay() == 0  # one call in flight, one more may start
        with limiter.slot():
            simulated.sleep(5)
        assert limiter.delay() == 60  # both slots taken, one still in flight: not before a minute
    assert limiter.delay() == pytest.approx(60)  # both ended at 5 s: the next starts a minute after that
    simulated.sleep(60)
    assert limiter.delay() == 0
    started = simulated.monotonic()
    with limiter.slot(), limiter.slot():
        pass
    with limiter.slot():  # a third call waits for the oldest of the window to have ended a minute ago
        assert simulated.monotonic() - started == pytest.approx(60)


def test_a_backlog_with_dms_to_new_people_drains_within_slacks_limits_in_order(runtime, clock):
    """Against Slack's limits held strictly (one post a second per channel, conversations.open's 50 in any 60 s),
    channel posts and DMs to 64 people not yet opened drain with no 429 and in order, once each: the channels
    keep their pace while the DMs past the window's 50 wait for it (the sender does not sleep in the limiter)."""
    simulated = SimulatedTime(clock)
    fake = FakeSlack(monotonic=simulated.monotonic).start()
    fake.enforce_channel_rate(1.0)
    fake.enforce_method_window("conversations.open", 50, 60)
    people = [f"UNEW{p:03d}" for p in range(64)]
    posts = [(f"CBACK{c}", f"post-{c}-{n}") for n in range(20) for c in range(3)]
    with db.session_scope(runtime.sessions) as session:
        for i, (channel, text) in enumerate(posts):
            outbox_store.enqueue(session=session, key=f"m:{text}", target_kind="channel", target=channel,
                                 payload={"text": text}, now=clock.now())
            for person in people[i * 2:i * 2 + 2]:  # the DMs among the first channel posts, two to each person
                for k in range(2):
                    outbox_store.enqueue(session=session, key=f"dm:{person}:{k}", target_kind="user", target=person,
                                         payload={"text": f"dm-{k}"}, now=clock.now())
        ids = outbox_store.ids_for_keys(session=session, keys=[f"m:{t}" for _, t in posts]
                                        + [f"dm:{p}:{k}" for p in people for k in range(2)])
    delivery = SlackDelivery(make_client(BOT_TOKEN, fake.url, retries=False),
                             Pacer(monotonic=simulated.monotonic, sleep=simulated.sleep),
                             open_limiter=WindowLimiter(50, 60, sleep=simulated.sleep, monotonic=simulated.monotonic))
    sender = OutboxSender(runtime.sessions, delivery, clock, monotonic=simulated.monotonic, sleep=simulated.sleep)
    started = simulated.monotonic()
    try:
        outcome = sender.deliver_all(ids, timeout=600, sleep=simulated.sleep)
        calls = fake.calls()
        got = delivered(fake)
    finally:
        fake.stop()
    assert (outcome.sent, outcome.failed, outcome.pending) == (len(ids), [], 0)
    assert [c for c in calls if c.status != 200] == []  # no 429, from either limit
    assert sorted(c.params["users"] for c in calls if c.method == "conversations.open") == people  # once each
    for c in range(3):
        assert got[f"CBACK{c}"] == [f"post-{c}-{n}" for n in range(20)]
    assert {channel: texts for channel, texts in got.items() if channel.startswith("D")} == \
        {"D" + person[1:]: ["dm-0", "dm-1"] for person in people}
    opens = [c.at - started for c in calls if c.method == "conversations.open"]
    assert max(opens[:50]) < 60 <= min(opens[50:])  # the 51st open waited for the window
    # Meanwhile the channels kept Slack's pace, a post a second each, not held up by the DMs waiting for the window.
    assert max(c.at - started for c in calls if c.params.get("channel", "").startswith("CBACK")) < 20


def test_a_batch_sends_only_what_is_sure_to_be_done_before_its_claim_runs_out(runtime, clock, fake_slack):
    """One delivery may take the pace wait, conversations.open's limiter and timeout, then the post's timeout:
    a message is sent from a claimed batch only if all that ends (with a safety margin) before the claim
    does, else another replica could claim it meanwhile and send it too."""
    queue(runtime, [(f"CLEASE{i}", f"lease-{i}") for i in range(6)], clock.now())
    with db.session_scope(runtime.sessions) as session:
        for i in range(6):
            outbox_store.enqueue(session=session, key=f"dm:{i}", target_kind="user", target=f"ULEASE{i}",
                                 payload={"text": f"dm-{i}"}, now=clock.now())
    seconds = [0.0]  # the sender's monotonic clock: every delivery "takes" 14 seconds of it
    delivery = SlackDelivery(make_client(BOT_TOKEN, fake_slack.url, retries=False, timeout=10),
                             Pacer(0.0, monotonic=lambda: seconds[0]))
    assert delivery.worst_case("channel", "CLEASE0", {"text": "x"}) == 10  # one post
    assert delivery.worst_case("user", "ULEASE0", {"text": "x"}) == 20  # conversations.open, then the post
    assert delivery.worst_case("user", "ULEASE0", {"_method": "files.upload"}) == 40  # open, then three calls

    def took_a_while(_message_id: int) -> None:
        seconds[0] += 14

    sender = OutboxSender(runtime.sessions, delivery, clock, batch=6, lease=dt.timedelta(seconds=60),
                          monotonic=lambda: seconds[0], on_sent=took_a_while)
    # Channel posts: each may take 10 s plus the 5 s margin, so they start at 0, 14, 28 and 42 s, not at 56 s.
    assert sender.drain_once() == 4
    seconds[0] += 100
    # The two channel posts left over go first (at 0 and 14 s); then DMs to people whose DM is not open yet
    # may take 20 s plus the margin: one at 28 s, none at 42 s.
    assert sender.drain_once() == 3
    seconds[0] += 100
    assert sender.drain_once() == 3  # DMs at 0, 14 and 28 s
    with db.session_scope(runtime.sessions) as session:
        rows = {m.key: m for m in outbox_store.list_messages(session=session)}
    sent = sorted(k for k, m in rows.items() if m.status == OutboxStatus.SENT)
    assert sent == [f"dm:{i}" for i in range(4)] + [f"m:lease-{i}" for i in range(6)]
    # What was not sent was given back at once, for any replica to claim.
    assert all(rows[k].status == OutboxStatus.PENDING and rows[k].claimed_until is None for k in ("dm:4", "dm:5"))
    assert len(fake_slack.messages()) == 10


def start_scheduler(database_url: str, fake: FakeSlack, log_path, *, now: dt.datetime, poll: float = 0.5) -> subprocess.Popen:
    """`lspbot scheduler` (jobs and the outbox sender) as a real process, its log in a file."""
    env = lspbot_env(database_url, fake.url, LSPBOT_NOW=now.isoformat(), LSPBOT_LOG_LEVEL="INFO")
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "scheduler", "--leader-poll", str(poll)],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(log_path, "w"), text=True)


def migrated(database, fake: FakeSlack, tmp_path) -> Runtime:
    from bot.runtime import build_runtime
    from tests.support.settings import settings_for

    done = run_lspbot(["db", "upgrade"], lspbot_env(database.url, fake.url), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return build_runtime(settings_for(database.url), clock=FixedClock(DEFAULT_NOW), migrate=False)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


ELECTED = "this replica now runs the scheduled jobs"


def test_sender_killed_mid_drain_and_restarted_delivers_everything(database, fake_slack: FakeSlack, tmp_path):
    runtime = migrated(database, fake_slack, tmp_path)
    channels = [f"CKILL{i:02d}" for i in range(20)]
    messages = [(ch, f"{ch}-{n}") for n in range(3) for ch in channels]
    queue(runtime, messages, DEFAULT_NOW)
    fake_slack.state.delay = 0.03  # each call takes a moment, so the kill lands mid-drain
    try:
        first = start_scheduler(database.url, fake_slack, tmp_path / "first.log", now=DEFAULT_NOW)
        wait_until(lambda: len(fake_slack.messages()) >= 15, what="the first deliveries")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert len(fake_slack.messages()) < len(messages), "the kill came too late to test anything"
        # Restarted with the same LSPBOT_NOW, as in staging: it takes over the killed process's claims at once
        # (its predecessor on this host), without waiting for their lease.
        second = start_scheduler(database.url, fake_slack, tmp_path / "second.log", now=DEFAULT_NOW)
        try:
            wait_until(lambda: len({c.params["text"] for c in fake_slack.messages()}) == len(messages), timeout=40,
                       what="every message")
        finally:
            stop(second)
    finally:
        fake_slack.state.delay = 0
        runtime.close()
    texts = [c.params["text"] for c in fake_slack.messages()]
    duplicates = len(texts) - len(set(texts))
    assert duplicates <= 1, f"{duplicates} messages went twice"
    for ch, got in delivered(fake_slack).items():
        assert list(dict.fromkeys(got)) == [f"{ch}-{n}" for n in range(3)], (ch, got)
    assert "Traceback" not in (tmp_path / "second.log").read_text()


def postgresql_available() -> bool:
    import os

    return bool(os.environ.get("LSPBOT_TEST_DATABASE_URL")) or os.environ.get("CI") == "true"


REPLICA_OWNERS = [f"UREP{i:02d}" for i in range(24)]
REPLICA_NOW = dt.datetime(2019, 7, 17, 9, 0, 20, tzinfo=LONDON)  # a Wednesday: chase-actions' 09:00 has just come


def replica_boards(runtime: Runtime, fake: FakeSlack) -> None:
    """Board 1: 24 owners with 36 actions due on the day (24 chase DMs). Board 2: one owner, chased at 09:05,
    so not at the start. The welcome and new-action DMs are sent here, opening every DM channel."""
    def command(user: str, channel: str, command: str, text: str) -> None:
        outcome = run_command(runtime, command, user_id=user, channel_id=channel, text=text)
        assert outcome.ok, outcome.payload

    command(ADMIN, "CREPB1", "/lsp", 'board create "Replica Board" chair:<@UREPCHAIR|chair> org:"LB Ealing"')
    for i, owner in enumerate(REPLICA_OWNERS):
        command("UREPCHAIR", "CREPB1", "/lsp", f'member add <@{owner}|o{i}> org:"Partner {i}"')
        for n in range(2 if i % 2 else 1):
            command("UREPCHAIR", "CREPB1", "/action", f"add Task {n} of {owner} <@{owner}|o{i}> by 2019-07-17")
    command(ADMIN, "CREPB2", "/lsp", 'board create "Standby Board" chair:<@UREPCHAIR2|chair> org:"LB Brent"')
    command("UREPCHAIR2", "CREPB2", "/lsp", 'member add <@UREPLATE|late> org:"Brent PCT"')
    command("UREPCHAIR2", "CREPB2", "/lsp", "board set chase_time 09:05")
    for chair, channel in (("UREPCHAIR", "CREPB1"), ("UREPCHAIR2", "CREPB2")):  # every job at 09:00 (not late)
        command(chair, channel, "/lsp", "board set close_meetings_time 09:00")
    command("UREPCHAIR2", "CREPB2", "/action", "add Standby task <@UREPLATE|late> by 2019-07-17")
    delivery = SlackDelivery(make_client(BOT_TOKEN, fake.url, retries=False), Pacer(0.0),
                             open_limiter=WindowLimiter(calls=1_000, seconds=60))
    OutboxSender(runtime.sessions, delivery, runtime.clock).drain()
    fake.reset()


@pytest.mark.skipif(not postgresql_available(), reason="needs PostgreSQL: set LSPBOT_TEST_DATABASE_URL")
def test_two_serve_replicas_on_postgresql_deliver_every_message_exactly_once(fake_slack: FakeSlack, tmp_path):
    """Two `lspbot serve` replicas, each with its scheduler and sender, claiming 2 messages at a time: the
    jobs' DMs and bursts of channel posts all arrive exactly once and in order per channel; one replica ran the
    jobs (job_runs says which); killed, the other takes over."""
    from bot.runtime import build_runtime
    from tests.support.databases import make_database
    from tests.support.server import start_server
    from tests.support.settings import settings_for

    database = make_database("postgresql", tmp_path, migrated=True)  # fails (never skips) if unreachable
    runtime = build_runtime(settings_for(database.url), clock=FixedClock(dt.datetime(2019, 7, 16, 10, 0, tzinfo=LONDON)),
                            migrate=False)
    replicas: dict[int, ServerProcess] = {}
    names: dict[int, str] = {}
    try:
        replica_boards(runtime, fake_slack)
        channels = [f"CREP{i:02d}" for i in range(60)]
        queued_at = REPLICA_NOW - dt.timedelta(minutes=1)
        queue(runtime, [(ch, f"{ch}-{n}") for n in range(2) for ch in channels], queued_at)
        fake_slack.state.delay = 0.005

        def start(name: str) -> None:
            server = start_server(database.url, fake_slack.url, migrate=False, log_path=tmp_path / f"{name}.log",
                                  args=("--leader-poll", "0.5", "--outbox-batch", "2"),
                                  LSPBOT_NOW=REPLICA_NOW.isoformat(), LSPBOT_LOG_LEVEL="INFO")
            replicas[server.process.pid] = server
            names[server.process.pid] = name

        starters = [threading.Thread(target=start, args=(name,)) for name in ("a", "b")]
        for t in starters:
            t.start()
        for t in starters:
            t.join()
        assert len(replicas) == 2
        wait_until(lambda: len(fake_slack.messages()) >= 30, what="deliveries under way")
        queue(runtime, [(ch, f"{ch}-{n}") for n in range(2, 5) for ch in channels], queued_at)  # more meanwhile
        dms = {"D" + owner[1:] for owner in REPLICA_OWNERS}
        expected = len(channels) * 5 + len(dms)
        wait_until(lambda: len(fake_slack.messages()) >= expected, timeout=40, what="every message")
        time.sleep(1.0)  # give a duplicate the time to show itself
        posts = [(c.params["channel"], c.params.get("text")) for c in fake_slack.messages()]
        assert len(posts) == expected and len(set(posts)) == expected, "a message went twice or not at all"
        got = delivered(fake_slack)
        assert {ch for ch in got if ch.startswith("D")} == dms and all(len(got[dm]) == 1 for dm in dms)
        assert "Task 1 of UREP01" in blocks_text(fake_slack.messages()[[p[0] for p in posts].index("DREP01")].params)
        for ch in channels:
            assert got[ch] == [f"{ch}-{n}" for n in range(5)], (ch, got[ch])

        # Exactly one replica ran the jobs: every job for every board at 09:00 once, all by the same process.
        runs = db_rows(database.url, "SELECT job_id, board_id, runner FROM job_runs")
        assert len(runs) == 2 * len(JOBS) - 1 and len({(j, b) for j, b, _ in runs}) == len(runs), runs
        runners = {runner for _, _, runner in runs}
        assert len(runners) == 1, runners
        leader_pid = int(runners.pop().rsplit(":", 1)[1])
        assert leader_pid in replicas
        standby_pid = next(pid for pid in replicas if pid != leader_pid)

        # Board 2 is due now too; its chase goes only once the leader is gone: the standby takes over and runs it.
        assert run_command(runtime, "/lsp", user_id="UREPCHAIR2", channel_id="CREPB2", text="board set chase_time 09:00").ok
        replicas[leader_pid].process.send_signal(signal.SIGKILL)
        replicas[leader_pid].process.wait(10)
        wait_until(lambda: db_rows(database.url, "SELECT runner FROM job_runs WHERE job_id = 'chase-actions' "
                                   "AND board_id = (SELECT id FROM boards WHERE channel_id = 'CREPB2')"),
                   timeout=20, what="the standby taking over")
        runner = db_rows(database.url, "SELECT runner FROM job_runs WHERE job_id = 'chase-actions' "
                         "AND board_id = (SELECT id FROM boards WHERE channel_id = 'CREPB2')")[0][0]
        assert int(runner.rsplit(":", 1)[1]) == standby_pid
        wait_until(lambda: "DREPLATE" in delivered(fake_slack), what="the standby's chase")
        assert ELECTED in (tmp_path / f"{names[standby_pid]}.log").read_text()
    finally:
        fake_slack.state.delay = 0
        for server in replicas.values():
            server.stop()
        runtime.close()
        database.drop()


def test_claims_run_out_on_the_real_clock_whatever_lspbot_now_says(database, fake_slack: FakeSlack):
    """Staging, where LSPBOT_NOW starts every process's clock at the same moment: a process that had been running
    an hour claimed messages (a 2 s lease here) and vanished; one restarted with the same LSPBOT_NOW, its clock an
    hour behind the vanished one's, sends them once the lease has run out, not an hour later. A claim by a
    process of this host that is no longer running (a restart's predecessor) is taken over at once."""
    from bot.runtime import build_runtime
    from bot.services.sender import HOST, build_sender
    from tests.support.settings import settings_for

    def runtime_at(now: dt.datetime) -> Runtime:
        settings = settings_for(database.url, LSPBOT_NOW=now.isoformat(), SLACK_API_URL=fake_slack.url)
        return build_runtime(settings, migrate=False)

    vanished, restarted = runtime_at(DEFAULT_NOW + dt.timedelta(hours=1)), runtime_at(DEFAULT_NOW)
    gone = subprocess.Popen(["true"])
    gone.wait()
    try:
        for claimant, lease, messages in (("elsewhere/pid:[1]:4242:a1b2c3", 2, [("CNOW1", "a"), ("CNOW1", "b")]),
                                          (f"{HOST}:{gone.pid}:d4e5f6", 60, [("CNOW2", "c")])):
            with db.session_scope(vanished.sessions) as session:  # queued as the vanished process queues
                for channel, text in messages:
                    outbox_store.enqueue(session=session, key=f"m:{text}", target_kind="channel", target=channel,
                                         payload={"text": text}, now=vanished.clock.now(),
                                         due=vanished.outbox_clock.now())
            with db.session_scope(vanished.sessions) as session:
                assert len(outbox_store.claim(session=session, now=vanished.outbox_clock.now(), limit=10,
                                              claimant=claimant, lease=dt.timedelta(seconds=lease))) == len(messages)
        claimed_at = time.monotonic()
        sender = build_sender(restarted)
        assert sender.drain_once() == 1  # the predecessor's on this host: at once
        assert delivered(fake_slack) == {"CNOW2": ["c"]}
        wait_until(lambda: sender.drain_once() == 2, timeout=10, interval=0.1, what="the lease to run out")
        took = time.monotonic() - claimed_at
    finally:
        vanished.close()
        restarted.close()
    assert delivered(fake_slack) == {"CNOW2": ["c"], "CNOW1": ["a", "b"]}
    assert 2 <= took < 4, took
