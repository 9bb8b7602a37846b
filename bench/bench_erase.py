"""Members' personal data benchmark: the subject access export, an erasure and the daily purge on a busy database.

    .venv/bin/python -m bench.bench_erase [--actions 5000] [--messages 50000] [--database-url URL]

Fills a new SQLite file (or the empty PostgreSQL database given) with one board of 40 members, N actions
(owners in turn, each with two progress notes and an audit record naming its owner), and M delivered outbox
messages of about 1 KB each, half of them sent more than 90 days before. Then times, in process, what an
admin waits for: `export` of one member, `erase` of one member (the whole database scanned for their name and
ids), and the purge-outbox job's one statement. An erasure reads every text column of every table once, so
its time grows with the database; a board's database is small (years of a board are thousands of rows).
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

from store import db
from store import outbox as outbox_store
from store import personal_data as pd
from store.models import Action, ActionUpdate, AuditRecord, Board, Member, Membership, OutboxMessage, OutboxStatus, Role

NOW = dt.datetime(2019, 7, 16, 9, 0, tzinfo=dt.UTC)


def fill(engine, actions: int, messages: int) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(insert(Board), [dict(id=1, name="Bench Board", channel_id="CBENCH", timezone="Europe/London",
                                          settings={}, next_action_ref=actions + 1, created_at=NOW)])
        conn.execute(insert(Member), [dict(id=i, slack_user_id=f"UBENCH{i:04d}", display_name=f"Person Number{i:04d}",
                                           dm_channel_id=f"DBENCH{i:04d}", timezone="Europe/London")
                                      for i in range(1, 41)])
        conn.execute(insert(Membership), [dict(board_id=1, member_id=i, role=Role.MEMBER if i > 1 else Role.CHAIR)
                                          for i in range(1, 41)])
        conn.execute(insert(Action), [dict(id=a, board_id=1, ref=a, owner_id=a % 40 + 1, created_by_id=1,
                                           text=f"Action {a} for Person Number{a % 40 + 1:04d} to circulate the figures",
                                           created_at=NOW, updated_at=NOW) for a in range(1, actions + 1)])
        conn.execute(insert(ActionUpdate), [dict(action_id=a, author_id=a % 40 + 1, kind="progress",
                                                 note=f"Half done, says Person Number{a % 40 + 1:04d}", created_at=NOW)
                                            for a in range(1, actions + 1) for _ in range(2)])
        conn.execute(insert(AuditRecord), [dict(at=NOW, actor=f"UBENCH{a % 40 + 1:04d}", entity="action", entity_id=a,
                                                operation="create", after={"text": f"Action {a}", "owner": a % 40 + 1})
                                           for a in range(1, actions + 1)])
        old, new = NOW - dt.timedelta(days=120), NOW - dt.timedelta(days=10)
        for start in range(0, messages, 5000):
            conn.execute(insert(OutboxMessage), [dict(
                key=f"bench:{m}", target_kind="user", target=f"UBENCH{m % 40 + 1:04d}",
                payload={"text": f"Hello Person Number{m % 40 + 1:04d}", "blocks": [{"type": "section", "text": {
                    "type": "mrkdwn", "text": "x" * 900}}]},
                status=OutboxStatus.SENT, attempts=1, next_attempt_at=old, created_at=old,
                sent_at=old if m % 2 else new, slack_channel=f"DBENCH{m % 40 + 1:04d}", slack_ts=f"{m}.0001")
                for m in range(start, min(messages, start + 5000))])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--actions", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=50000)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = db.make_engine(url)
        db.upgrade(engine)
        fill(engine, args.actions, args.messages)
        sessions = db.make_session_factory(engine)
        print(f"{engine.dialect.name}, Python {platform.python_version()}, {args.actions} actions, "
              f"{args.actions * 2} progress notes, {args.actions} audit records, {args.messages} delivered messages")
        with db.session_scope(sessions) as session:
            member = session.scalar(select(Member).where(Member.id == 7))
            assert member is not None
            started = time.perf_counter()
            held = pd.export(session=session, member=member)
            took = time.perf_counter() - started
            print(f"export of one member: {took:.2f} s ({len(held['actions_owned'])} actions, "
                  f"{len(held['messages_to_them'])} messages, {len(held['mentions'])} mentions)")
        with db.session_scope(sessions) as session:
            member = session.scalar(select(Member).where(Member.id == 7))
            assert member is not None
            started = time.perf_counter()
            result = pd.erase(session=session, member=member, now=NOW)
            session.flush()
            took = time.perf_counter() - started
        print(f"erase of one member: {took:.2f} s ({result.rows_rewritten} rows rewritten, "
              f"{result.messages_purged} messages to them purged)")
        with db.session_scope(sessions) as session:
            started = time.perf_counter()
            purged = outbox_store.purge_payloads(session=session, before=NOW - dt.timedelta(days=90), now=NOW)
            took = time.perf_counter() - started
        print(f"purge of delivered payloads older than 90 days: {took:.2f} s ({purged} purged)")
        with db.session_scope(sessions) as session:
            started = time.perf_counter()
            again = outbox_store.purge_payloads(session=session, before=NOW - dt.timedelta(days=90), now=NOW)
            took = time.perf_counter() - started
        print(f"the next day's purge: {took:.3f} s ({again} purged)")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
