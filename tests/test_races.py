"""Changes at the same moment: six people released together by a barrier, each sending a real signed request
(a slash command or a button click) that changes the same action, proposal or agenda, to two `lspbot serve`
replicas on PostgreSQL (one server on SQLite). Each change is decided on a row read under a lock held until
commit (`store.db.for_update`), so of changes that cannot both be made exactly one wins, the others are told
who made it and when ("#12 was closed by chair a moment ago"), and the audit trail holds one record per winner.

20 rounds, each of a kind below (the kinds twice over), on one board and one pair of servers; then partner
updates and quarterly returns sent at once, which are all kept, one after the other, each telling its sender
whose it replaced."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from tests.support.databases import db_rows
from tests.support.fake_slack import FakeSlack
from tests.support.integrity import consistency_problems
from tests.support.server import BoardFixture, ServerProcess, sql, start_server
from tests.support.slack_requests import HttpResult, SlackUser
from tests.support.slack_ui import click
from tests.support.waiting import wait_until

N = 6  # people at once
DUE = "2019-09-30"
TARGETS = ("vc", "s2", "s3", "s4")  # managers added to the board's chair and secretary: six who may change anything


@pytest.fixture(scope="module")
def replicas(server: ServerProcess, fake_slack_server: FakeSlack) -> Iterator[list[ServerProcess]]:
    """The module's server and, on PostgreSQL, a second replica on the same database."""
    extra = [start_server(server.database_url, fake_slack_server.url, migrate=False)] \
        if server.database_url.startswith("postgresql") else []
    yield [server, *extra]
    for replica in extra:
        replica.stop()


@dataclass
class Sent:
    """What one of the six sent and the answer it got (a click's answer is what reached its response URL)."""

    user: str
    kind: str
    result: HttpResult
    answer: str = ""
    response: str = ""  # a click's response URL (its path on the fake Slack)


def at_once(requests: list[Callable[[], Sent]]) -> list[Sent]:
    """Run the requests in threads released together by a barrier."""
    barrier = threading.Barrier(len(requests))
    out: list[Sent | BaseException] = [RuntimeError("not run")] * len(requests)

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = requests[i]()
        except BaseException as exc:  # noqa: BLE001 - reported below
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    failed = [o for o in out if isinstance(o, BaseException)]
    assert not failed, failed
    return [o for o in out if isinstance(o, Sent)]


def collect_click_answers(fake_slack: FakeSlack, sent: list[Sent], wins: tuple[str, ...]) -> None:
    """A click's answer goes to its response URL, after the acknowledgement; a winning click of a button that
    updates its own message (a reminder's Done) gets none. Wait for every answer due: all of them when a command
    won, all but one otherwise."""
    clicks = [s for s in sent if s.response]
    if not clicks:
        return
    command_won = any(w and w in s.answer for s in sent if not s.response for w in wins)

    def answered() -> dict[str, str]:
        return {c.method: c.params.get("text", "") for c in fake_slack.calls() if c.method.startswith("response/")}

    due = len(clicks) - (0 if command_won or "" not in wins else 1)
    try:
        wait_until(lambda: len([s for s in clicks if s.response in answered()]) >= due, 15, interval=0.02,
                   what="the clicks' answers")
    except AssertionError:
        pass  # more than one click won: the count of winners below says so
    got = answered()
    for s in clicks:
        s.answer = got.get(s.response, "")


def known_person(server: ServerProcess, user_id: str, name: str) -> None:
    """A person the bot has written to before (their DM channel known), so their welcome DM goes at once."""
    sql(server, "INSERT INTO members (slack_user_id, display_name, dm_channel_id) VALUES (:u, :n, :d)",
        u=user_id, n=name, d="D" + user_id[1:])


def audit_since(url: str, last_id: int, entity: str) -> list[tuple]:
    return db_rows(url, "SELECT id, actor, operation, entity_id FROM audit_log WHERE id > :i AND entity = :e "
                        "ORDER BY id", i=last_id, e=entity)


def last_audit_id(url: str) -> int:
    return db_rows(url, "SELECT COALESCE(MAX(id), 0) FROM audit_log")[0][0]


def test_of_six_changes_at_once_exactly_one_wins(server: ServerProcess, replicas: list[ServerProcess],
                                                  board: BoardFixture, fake_slack: FakeSlack):
    url = server.database_url
    suffix = board.channel_id[1:]
    people = {"chair": board.chair.user_id, "secretary": board.secretary.user_id}
    for tag, role in zip(TARGETS, ("vice-chair", "secretariat", "secretariat", "secretariat"), strict=True):
        people[tag] = f"U{tag.upper()}X{suffix}"
        known_person(server, people[tag], tag)
        r = board.chair.command("/lsp", f'member add <@{people[tag]}|{tag}> org:"LB Ealing" role:{role}')
        assert "joined" in r.text, r.text
    names = {uid: name for name, uid in people.items()} | {board.alice.user_id: "alice", board.bob.user_id: "bob"}
    deciders = list(people.values())
    assert len(deciders) == N
    r = board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    assert r.status == 200, r.text
    meeting_id = db_rows(url, "SELECT m.id FROM meetings m JOIN boards b ON b.id = m.board_id "
                              "WHERE b.channel_id = :c", c=board.channel_id)[0][0]

    def as_user(i: int, uid: str) -> SlackUser:
        return SlackUser(replicas[i % len(replicas)].base_url, uid, board.channel_id, names[uid])

    def command(i: int, uid: str, kind: str, cmd: str, text: str) -> Callable[[], Sent]:
        def send() -> Sent:
            result = as_user(i, uid).command(cmd, text)
            return Sent(uid, kind, result, result.text)
        return send

    def button(i: int, uid: str, kind: str, action_id: str, value: str, tag: str) -> Callable[[], Sent]:
        def send() -> Sent:
            response = f"response/{tag}-{i}"
            result = click(as_user(i, uid), action_id, value, channel=board.channel_id, ts="1563265800.000100",
                           response_url=fake_slack.url + response)
            return Sent(uid, kind, result, response=response)
        return send

    def new_action() -> tuple[int, int]:
        r = board.alice.command("/action", f"add Race {len(rounds)} by {DUE}")
        assert "#" in r.text, r.text
        return db_rows(url, "SELECT a.ref, a.id FROM actions a JOIN boards b ON b.id = a.board_id "
                            "WHERE b.channel_id = :c ORDER BY a.ref DESC LIMIT 1", c=board.channel_id)[0]

    def new_proposal() -> tuple[int, int]:
        r = board.alice.command("/agenda", f'add "Race proposal {len(rounds)}" for:2019-10-10')
        assert "A" in r.text, r.text
        return db_rows(url, "SELECT p.ref, p.id FROM agenda_proposals p JOIN boards b ON b.id = p.board_id "
                            "WHERE b.channel_id = :c ORDER BY p.ref DESC LIMIT 1", c=board.channel_id)[0]

    # Each kind: how to set up its object, the six requests, the entity audited, what a winner's and a loser's
    # answers say.
    def done(ref: int, _id: int) -> list[Callable[[], Sent]]:
        return [command(i, u, "done", "/action", f"done #{ref}") for i, u in enumerate(deciders)]

    def done_drop(ref: int, _id: int) -> list[Callable[[], Sent]]:
        return [command(i, u, "done", "/action", f"done #{ref}") if i % 2 else
                command(i, u, "drop", "/action", f"drop #{ref} Superseded") for i, u in enumerate(deciders)]

    def done_buttons(ref: int, action_id: int) -> list[Callable[[], Sent]]:
        return [button(i, u, "done-button", "action_done", f"{action_id}|", f"done{ref}") if i % 2 else
                command(i, u, "done", "/action", f"done #{ref}") for i, u in enumerate(deciders)]

    def reopen(ref: int, _id: int) -> list[Callable[[], Sent]]:
        r = board.chair.command("/action", f"done #{ref}")
        assert f"Closed #{ref}" in r.text, r.text
        return [command(i, u, "reopen", "/action", f"reopen #{ref}") for i, u in enumerate(deciders)]

    def reassign(ref: int, _id: int) -> list[Callable[[], Sent]]:
        return [command(i, u, "reassign", "/action", f"reassign #{ref} <@{board.bob.user_id}|bob>")
                for i, u in enumerate(deciders)]

    def due(ref: int, _id: int) -> list[Callable[[], Sent]]:
        return [command(i, u, "due", "/action", f"due #{ref} 2019-11-29") for i, u in enumerate(deciders)]

    def decide(ref: int, _id: int) -> list[Callable[[], Sent]]:
        return [command(i, u, "approve", "/agenda", f"approve A{ref}") if i % 2 else
                command(i, u, "decline", "/agenda", f"decline A{ref} Covered elsewhere") for i, u in enumerate(deciders)]

    def decide_buttons(ref: int, proposal_id: int) -> list[Callable[[], Sent]]:
        return [button(i, u, "approve", "agenda_approve", str(proposal_id), f"approve{ref}") if i % 2 else
                command(i, u, "decline", "/agenda", f"decline A{ref} Covered elsewhere") for i, u in enumerate(deciders)]

    def publish(_ref: int, _id: int) -> list[Callable[[], Sent]]:
        # Something new on the agenda first, so there is a version to publish.
        proposal_ref, _ = new_proposal()
        assert "Approved" in board.chair.command("/agenda", f"approve A{proposal_ref}").text
        return [button(i, u, "publish", "agenda_publish", str(meeting_id), f"publish{len(rounds)}") if i % 2 else
                command(i, u, "publish", "/agenda", "publish 2019-10-10") for i, u in enumerate(deciders)]

    kinds = [
        # name, object, requests, audited entity, winner's words, loser's words
        ("done", new_action, done, "action", ("Closed #",), ("was closed by",)),
        ("done/drop", new_action, done_drop, "action", ("Closed #", "Dropped #"), ("was closed by", "was dropped by")),
        ("done: buttons and commands", new_action, done_buttons, "action", ("Closed #", ""), ("was closed by",)),
        ("reopen", new_action, reopen, "action", ("Reopened #",), ("was reopened by",)),
        ("reassign", new_action, reassign, "action", ("Reassigned #",), ("it was reassigned to them by",)),
        ("due", new_action, due, "action", ("New due date for #",), ("the date was changed by",)),
        ("approve/decline", new_proposal, decide, "agenda_proposal", ("Approved A", "Declined A"),
         ("was approved by", "was declined by")),
        ("approve buttons/decline", new_proposal, decide_buttons, "agenda_proposal", ("Approved A", "Declined A"),
         ("was approved by", "was declined by")),
        ("publish: buttons and commands", lambda: (0, meeting_id), publish, "agenda", ("Published version",),
         ("was published by",)),
    ]
    rounds: list[tuple[str, int, int]] = []  # (kind, winners, audit records)
    for kind, make, requests, entity, wins, loses in kinds * 2 + kinds[:2]:
        ref, object_id = make()
        planned = requests(ref, object_id)
        before = last_audit_id(url)
        sent = at_once(planned)
        assert all(s.result.status == 200 for s in sent), [(s.kind, s.result.status) for s in sent]
        collect_click_answers(fake_slack, sent, wins)
        records = [row for row in audit_since(url, before, entity) if entity == "agenda" or row[3] == object_id]
        winners = [s for s in sent if not any(word in s.answer for word in loses)]
        assert all(any(w in s.answer for w in wins) for s in winners), (kind, [s.answer for s in winners])
        rounds.append((kind, len(winners), len(records)))
        assert len(winners) == 1, (kind, [(names[s.user], s.answer) for s in sent])
        assert len(records) == 1 and records[0][1] == winners[0].user, (kind, records)
        for s in sent:
            if s is not winners[0]:
                assert f"by {names[winners[0].user]} a moment ago" in s.answer, (kind, s.answer)
    assert len(rounds) == 20 and all(w == a == 1 for _, w, a in rounds), rounds

    # Done, drop and a reassignment at once (the reported case): one close, whatever the mix; a reassignment is
    # made only if its lock came before the close's (as it would a second earlier), and the record says so.
    for _ in range(2):
        ref, action_id = new_action()
        planned = [command(i, u, *(("done", "/action", f"done #{ref}"), ("drop", "/action", f"drop #{ref} Superseded"),
                                   ("reassign", "/action", f"reassign #{ref} <@{board.bob.user_id}|bob>"))[i % 3])
                   for i, u in enumerate(deciders)]
        before = last_audit_id(url)
        sent = at_once(planned)
        records = [row for row in audit_since(url, before, "action") if row[3] == action_id]
        closers = [s for s in sent if s.answer.startswith(("Closed #", "Dropped #"))]
        movers = [s for s in sent if s.answer.startswith("Reassigned #")]
        assert len(closers) == 1 and len(movers) <= 1, [(names[s.user], s.answer) for s in sent]
        assert [(r[1], r[2]) for r in records] == [(s.user, "reassign") for s in movers] + \
            [(closers[0].user, "done" if closers[0].kind == "done" else "dropped")], records
        status = db_rows(url, "SELECT status FROM actions WHERE id = :i", i=action_id)[0][0]
        assert status == ("done" if closers[0].kind == "done" else "dropped")
        for s in sent:
            if s not in closers and s not in movers:
                assert any(f"by {names[w.user]} a moment ago" in s.answer for w in closers + movers), s.answer
    assert consistency_problems(url) == []
    # The rounds leave a backlog of DMs paced at one a second per channel, which this module does not check: set
    # it aside, so the module's next board (whose welcome DMs are awaited a few seconds only) is not queued behind.
    sql(server, "UPDATE outbox SET status = 'failed', last_error = 'set aside by the test' WHERE status = 'pending'")


def test_partner_updates_and_returns_sent_at_once_are_all_kept_in_turn(server: ServerProcess,
                                                                         replicas: list[ServerProcess],
                                                                         board: BoardFixture):
    """A partner update or a quarterly return is a submission, not a decision: six sent at once are all stored,
    one after the other, each superseding the one before (none fails on the one-current-row index), and each
    sender is told whose it replaced."""
    url = server.database_url
    suffix = board.channel_id[1:]
    senders = [board.chair.user_id, board.secretary.user_id]
    for n in range(N - 2):
        uid = f"UUP{n}X{suffix}"
        known_person(server, uid, f"up{n}")
        r = board.chair.command("/lsp", f'member add <@{uid}|up{n}> org:"LB Ealing" role:secretariat')
        assert "joined" in r.text, r.text
        senders.append(uid)
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    board.chair.command("/lsp", 'outcome add "Good jobs" lead:"LB Ealing"')

    def send(i: int, cmd: str, text: str) -> Callable[[], Sent]:
        def go() -> Sent:
            result = SlackUser(replicas[i % len(replicas)].base_url, senders[i], board.channel_id).command(cmd, text)
            return Sent(senders[i], cmd, result, result.text)
        return go

    for cmd, text, table in (
            ("/update", "Jobs fair on Friday, from {i}", "partner_updates"),
            ("/update", 'quarterly "Good jobs" rag:amber Two of three met, from {i} quarter:2019-Q1',
             "quarterly_returns")):
        before = last_audit_id(url)
        sent = at_once([send(i, cmd, text.format(i=i)) for i in range(N)])
        assert all(s.result.status == 200 and "recorded" in s.answer for s in sent), [s.answer for s in sent]
        rows = db_rows(url, f"SELECT m.slack_user_id, t.replaced_at FROM {table} t "  # noqa: S608 - our own names
                            "JOIN members m ON m.id = t.author_id ORDER BY t.id")
        rows = [r for r in rows if r[0] in senders]
        assert len(rows) == N and [r[1] is None for r in rows] == [False] * (N - 1) + [True], rows
        told = sorted(re.findall(r"replaces the (?:one|earlier return)[^<]*<@(U[A-Z0-9]+)>", "\n".join(
            s.answer for s in sent)))
        assert told == sorted(r[0] for r in rows[:-1]), (told, rows)
        assert len(audit_since(url, before, table[:-1])) == N
    assert consistency_problems(url) == []
