"""A load generator of its own process: signed Slack requests (slash commands and button clicks) sent at a
fixed rate with asyncio, each on a new connection as Slack makes them, spread over one or more
`lspbot serve` replicas in turn; then a check that every write it was told about is in the database.

Used by bench/bench_load.py (100 requests a second for 60 s) and, a few seconds long, by tests/test_load.py.

The mix, per ten requests: six `/action add` (unique text, some with a due date), one `/action list`,
one `/update <text>` (each member speaks for an organisation of their own), two clicks on Done for an
action the clicker owns (made beforehand, untimed). A request is an error if the HTTP status is not 200,
the connection fails or times out, or the reply is a refusal or a "Something went wrong".
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import statistics
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import create_engine, text
from bench.figures import percentile

ADMIN = "ULOADADM"
CHANNEL = "CLOADBRD"
BOARD = "Load Board"
ERROR_MARKS = ("Something went wrong", "Temporarily unavailable", "Not allowed", "Not quite", "Not found",
               "That needs fixing")


@dataclass
class Planned:
    kind: str  # "add", "list", "update", "done"
    body: dict[str, str]  # the form, before signing
    label: str = ""  # what must be in the database afterwards
    user: str = ""


@dataclass
class Result:
    planned: Planned
    status: int
    ms: float
    lag_ms: float  # how late the request left against its schedule (the generator's own delay)
    error: str = ""


@dataclass
class Scenario:
    """The board under load: its members (one organisation each) and the actions each may click Done on."""

    members: list[str]
    clickable: dict[str, list[int]] = field(default_factory=dict)
    response_url: str = "https://hooks.slack.com/actions/T0LOAD/1/x"


def member_ids(count: int) -> list[str]:
    return [f"ULOAD{m:04d}" for m in range(count)]


def sign(secret: str, body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def trigger_id() -> str:
    """A fresh trigger id, as Slack gives every command and click (so no two requests are the same signed body)."""
    return f"{int(time.time())}.{uuid.uuid4().int % 10**12:012d}.{uuid.uuid4().hex[:16]}"


def command(user: str, name: str, words: str, channel: str = CHANNEL) -> dict[str, str]:
    return {"token": "x", "team_id": "T0LOAD", "channel_id": channel, "channel_name": "board", "user_id": user,
            "user_name": user.lower(), "command": name, "text": words, "api_app_id": "A0LOAD",
            "response_url": "https://hooks.slack.com/commands/T0LOAD/1/x", "trigger_id": trigger_id()}


def click_done(user: str, action_id: int, response_url: str) -> dict[str, str]:
    payload = {"type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": "T0LOAD"},
               "team": {"id": "T0LOAD"}, "api_app_id": "A0LOAD", "trigger_id": trigger_id(),
               "container": {"type": "message", "channel_id": "D" + user[1:], "message_ts": "1.000001"},
               "channel": {"id": "D" + user[1:]}, "response_url": response_url,
               "actions": [{"action_id": "action_done", "block_id": "b", "type": "button", "value": f"{action_id}|",
                            "action_ts": "1.000002"}]}
    return {"payload": json.dumps(payload)}


async def post(host: str, port: int, path: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    """One HTTP/1.1 request on a new connection; (status, body)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {len(body)}\r\n"
                     f"Connection: close\r\n{head}\r\n".encode() + body)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    status_line, _, rest = raw.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), payload


def is_refusal(kind: str, body: bytes) -> str:
    """The error mark in a reply, if it is one."""
    if not body:
        return "" if kind == "done" else "empty reply"
    try:
        reply = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:80]!r}"
    shown = json.dumps(reply, ensure_ascii=False)
    return next((mark for mark in ERROR_MARKS if mark in shown), "")


async def _send(base: str, planned: Planned, secret: str, at: float, started: float, timeout: float) -> Result:
    await asyncio.sleep(max(0.0, started + at - time.monotonic()))
    lag = (time.monotonic() - started - at) * 1000
    url = urllib.parse.urlsplit(base)
    body = urllib.parse.urlencode(planned.body).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(secret, body)}
    t0 = time.perf_counter()
    try:
        status, reply = await post(url.hostname, url.port, "/slack/events", body, headers, timeout)
    except (TimeoutError, OSError) as exc:
        return Result(planned, 0, (time.perf_counter() - t0) * 1000, lag, f"{exc.__class__.__name__}: {exc}")
    ms = (time.perf_counter() - t0) * 1000
    error = f"HTTP {status}" if status != 200 else is_refusal(planned.kind, reply)
    return Result(planned, status, ms, lag, error)


async def _run(bases: list[str], plan: list[Planned], secret: str, rate: float, timeout: float) -> list[Result]:
    started = time.monotonic() + 0.05
    tasks = [_send(bases[i % len(bases)], p, secret, i / rate, started, timeout) for i, p in enumerate(plan)]
    return list(await asyncio.gather(*tasks))


def send(bases: list[str], plan: list[Planned], secret: str, rate: float, timeout: float = 10.0) -> list[Result]:
    """Send `plan` at `rate` requests a second, alternating between the replicas at `bases`."""
    return asyncio.run(_run(bases, plan, secret, rate, timeout))


def prepare(bases: list[str], secret: str, database_url: str, *, members: int, clickable: int,
            rate: float = 50.0, response_url: str | None = None, admin: str = ADMIN) -> Scenario:
    """Create the board, its members and the actions to click Done on, through signed commands (untimed)."""
    people = member_ids(members)
    setup = [Planned("setup", command(admin, "/lsp", f'board create "{BOARD}" chair:<@{people[0]}|chair> org:"Org 0"'))]
    results = send(bases[:1], setup, secret, rate)
    setup = [Planned("setup", command(people[0], "/lsp", f'member add <@{p}|{p.lower()}> org:"Org {n}"'))
             for n, p in enumerate(people[1:], start=1)]
    setup.append(Planned("setup", command(people[0], "/plan", "meeting add 2019-09-12 10:00")))
    results += send(bases, setup, secret, rate)
    targets = [Planned("setup", command(people[n % members], "/action", f"add Click target {n}"))
               for n in range(clickable)]
    results += send(bases, targets, secret, rate)
    failed = [r for r in results if r.error]
    if failed:
        raise RuntimeError(f"setting up the load failed: {failed[0].error} for {failed[0].planned.body}")
    scenario = Scenario(people, response_url=response_url or Scenario.response_url)
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            for action_id, owner in conn.execute(text(
                    "SELECT a.id, m.slack_user_id FROM actions a JOIN members m ON m.id = a.owner_id "
                    "WHERE a.text LIKE 'Click target %' ORDER BY a.id")):
                scenario.clickable.setdefault(owner, []).append(action_id)
    finally:
        engine.dispose()
    return scenario


def mix(scenario: Scenario, count: int) -> list[Planned]:
    """`count` requests in the documented proportions, round the members in turn."""
    plan: list[Planned] = []
    clicks = [(m, action_id) for n in range(max(map(len, scenario.clickable.values()), default=0))
              for m, ids in scenario.clickable.items() if n < len(ids) for action_id in [ids[n]]]
    people = scenario.members
    for i in range(count):
        user = people[i % len(people)]
        slot = i % 10
        if slot in (8, 9) and clicks:
            clicker, action_id = clicks.pop(0)  # each owner in turn, each action once
            plan.append(Planned("done", click_done(clicker, action_id, scenario.response_url), str(action_id), clicker))
        elif slot == 6:
            plan.append(Planned("list", command(user, "/action", "list"), user=user))
        elif slot == 7:
            label = f"Update {i} from {user}"
            plan.append(Planned("update", command(user, "/update", label), label, user))
        else:
            label = f"Load item {i} for {user}"
            plan.append(Planned("add", command(user, "/action", f"add {label}" + (" by Friday" if i % 3 else "")),
                                label, user))
    return plan


def missing_writes(database_url: str, results: list[Result]) -> list[str]:
    """Every write a reply confirmed, looked up in the database; what is not there."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            actions = {t for (t,) in conn.execute(text("SELECT text FROM actions WHERE text LIKE 'Load item %'"))}
            updates = {t for (t,) in conn.execute(text("SELECT text FROM partner_updates WHERE text LIKE 'Update %'"))}
            done = {str(i) for (i,) in conn.execute(text("SELECT id FROM actions WHERE status = 'done'"))}
    finally:
        engine.dispose()
    missing = []
    for r in results:
        stored = {"add": actions, "update": updates, "done": done}.get(r.planned.kind)
        if stored is not None and r.planned.label not in stored:
            missing.append(f"{r.planned.kind}: {r.planned.label}")
    return missing



def summary(results: list[Result]) -> dict[str, Any]:
    ms = [r.ms for r in results]
    return {"sent": len(results), "errors": sum(1 for r in results if r.error),
            "p50": percentile(ms, 50), "p95": percentile(ms, 95), "p99": percentile(ms, 99), "max": max(ms, default=0),
            "mean": statistics.fmean(ms) if ms else 0.0, "max_lag": max((r.lag_ms for r in results), default=0),
            "by_kind": {k: sum(1 for r in results if r.planned.kind == k) for k in ("add", "list", "update", "done")}}
