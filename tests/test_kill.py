"""SIGKILL in the middle of the work, then a restart: the state is whole and nothing acknowledged is lost.

- `lspbot serve` killed while a burst of commands is being written (the kill lands while a write
  transaction is open) and while its sender is delivering their DMs: every command that was answered
  is there with its audit record and its DM, the half-done one left nothing behind, and after the
  restart every DM goes out (the one in flight at most twice).
- `lspbot jobs run chase-actions` killed inside the job's transaction: nothing of the run remains; run
  again, every owner gets exactly one reminder.
(A scheduler process killed mid-drain is tests/test_delivery.py's.)
"""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
from collections import Counter
from pathlib import Path

from sqlalchemy import text

from bench.bench_chase import AT, fill
from tests.support.databases import TestDatabase, db_rows
from tests.support.fake_slack import FakeSlack
from tests.support.integrity import connect, consistency_problems, wait_for_orphaned_writes, write_watch
from tests.support.server import start_server
from tests.support.settings import ADMIN, ROOT, lspbot_env
from tests.support.slack_requests import SlackUser
from tests.support.waiting import wait_until

WORKERS = 6
MEMBERS = [f"UKILLM{w:02d}" for w in range(WORKERS)]  # one owner per worker: six DM channels paced side by side


def kill_when_writing(proc: subprocess.Popen, database_url: str, timeout: float = 20.0) -> bool:
    """SIGKILL `proc` the moment another connection holds a write transaction open (True), or at the timeout."""
    with write_watch(database_url) as writing:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            if writing():
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
                return True
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    return False


def test_serve_killed_mid_command_and_mid_drain(database: TestDatabase, fake_slack: FakeSlack, tmp_path: Path):
    server = start_server(database.url, fake_slack.url, migrate=False, log_path=tmp_path / "first.log")
    admin = SlackUser(server.base_url, ADMIN, "CKILLCMD")
    chair = admin.as_user("UKILLCHR")
    assert "now runs in this channel" in admin.command("/lsp", 'board create "Kill" chair:<@UKILLCHR|c> org:"O"').text
    for member in MEMBERS:
        assert "joined" in chair.command("/lsp", f'member add <@{member}|m> org:"Ealing PCT"').text
    fake_slack.wait_for("chat.postMessage", 1 + WORKERS)  # the welcome DMs
    fake_slack.reset()
    answered: list[str] = []
    stop = threading.Event()

    def hammer(worker: int) -> None:
        for n in range(1000):
            if stop.is_set():
                return
            label = f"Burst {worker}-{n}"
            try:
                r = chair.command("/action", f"add {label} <@{MEMBERS[worker]}|m>")
            except (OSError, urllib.error.URLError, http.client.HTTPException):
                return  # the server is gone (a reply cut off half-way is one the client never had)
            if r.status == 200 and "recorded" in r.text:
                answered.append(label)

    threads = [threading.Thread(target=hammer, args=(w,)) for w in range(WORKERS)]
    try:
        for t in threads:
            t.start()
        # the sender is delivering their DMs, one a second per person
        wait_until(lambda: len(answered) >= 2 * WORKERS, 60, interval=0.01, what=f"{2 * WORKERS} answered commands")
        landed = kill_when_writing(server.process, database.url)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert landed, "the kill did not land inside a write transaction"
    wait_for_orphaned_writes(database.url)  # a COMMIT already sent may still land: read what stays
    sent_before = {c.params["text"] for c in fake_slack.messages()}
    stored = {t for (t,) in db_rows(database.url, "SELECT text FROM actions")}
    assert set(answered) <= stored, f"acknowledged but lost: {set(answered) - stored}"
    assert len(stored - set(answered)) <= WORKERS, "more written than was in flight"  # committed, reply cut off by the kill
    assert consistency_problems(database.url) == []
    dms = db_rows(database.url, "SELECT count(*) FROM outbox WHERE target_kind = 'user'")[0][0]
    assert dms == len(stored) + 1 + WORKERS, "an action without its DM, or a DM without its action"  # + welcomes
    assert len(sent_before) < len(stored), "the kill came after the sender had finished"

    # Restarted with the same LSPBOT_NOW, as in staging: its clock is behind the killed one's, yet it takes over
    # the killed sender's claims at once (its predecessor on this host), without waiting for their lease.
    restarted = start_server(database.url, fake_slack.url, migrate=False, log_path=tmp_path / "second.log")
    try:
        r = SlackUser(restarted.base_url, chair.user_id, chair.channel_id).command("/action", "add After restart")
        assert r.status == 200 and "recorded" in r.text, r.text
        wait_until(lambda: not db_rows(database.url, "SELECT count(*) FROM outbox WHERE status <> 'sent'")[0][0],
                   60, interval=0.1, what="the restarted sender to send every message")
    finally:
        restarted.stop()
    # Every DM of an action went out; only the one in flight at the kill may have gone twice.
    payloads = [json.loads(p) if isinstance(p, str) else p
                for (p,) in db_rows(database.url, "SELECT payload FROM outbox WHERE target_kind = 'user'")]
    expected = {p["text"] for p in payloads if "new action" in p["text"]}
    got = Counter(c.params["text"] for c in fake_slack.messages() if "new action" in c.params["text"])
    assert set(got) == expected and len(expected) == len(stored), (len(got), len(expected), len(stored))
    assert sum(got.values()) <= len(expected) + 1, "more than the one message in flight went twice"
    assert "Traceback" not in (tmp_path / "second.log").read_text()


def test_a_job_killed_mid_run_leaves_nothing_and_runs_whole_again(database: TestDatabase, fake_slack: FakeSlack,
                                                                  tmp_path: Path):
    owners = fill(database.url, actions=6000, owners=120)
    with connect(database.url) as conn:  # DM channels known, so delivery needs no conversations.open
        conn.execute(text("UPDATE members SET dm_channel_id = 'D' || slack_user_id"))
        conn.commit()
    env = lspbot_env(database.url, fake_slack.url)
    args = [sys.executable, "-m", "bot.cli", "jobs", "run", "chase-actions", "--board", "Bench Board",
            "--at", AT.isoformat()]
    first = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert kill_when_writing(first, database.url), "the kill did not land inside the job's transaction"

    def left() -> dict[str, int]:
        return {table: db_rows(database.url, f"SELECT count(*) FROM {table}")[0][0]
                for table in ("job_runs", "reminder_log", "reminder_actions", "outbox", "action_chases")}

    assert left() == {"job_runs": 0, "reminder_log": 0, "reminder_actions": 0, "outbox": 0, "action_chases": 0}, left()
    assert fake_slack.messages() == []
    again = subprocess.run(args, check=False, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    after = left()
    assert after["job_runs"] == 1 and after["outbox"] == after["reminder_log"] == owners, after
    reminded = Counter(c.params["channel"] for c in fake_slack.messages())
    assert len(reminded) == owners and set(reminded.values()) == {1}, "an owner missed or got two reminders"
    assert db_rows(database.url, "SELECT count(*) FROM outbox WHERE status <> 'sent'")[0][0] == 0
    assert consistency_problems(database.url) == []
