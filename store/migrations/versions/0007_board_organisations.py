"""organisations belong to a board, and a member's organisation to their membership

Revision ID: 0007_board_organisations
Revises: 0006_job_run_runner

Before: one workspace-wide list of organisations, and one organisation per person. Setting someone's
organisation on one board renamed them on every other board.

After: each board has its own list (`organisations.board_id`, names unique per board), the organisation a
person represents is on their membership of a board (`memberships.organisation_id`), and a member who leaves
keeps their membership row with `left_at` set, so the board's record (reports by organisation) still knows
whom they represented.

The data is carried over board by board: an organisation named on several boards (by a member's
membership, a meeting's host, a partner update, an outcome's lead or a plan lead's link) becomes one
organisation per board, and every reference on a board is rewritten to that board's copy.
"""
from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007_board_organisations"
down_revision = "0006_job_run_runner"
branch_labels = None
depends_on = None

_LEAD_TABLES = ("plan_items", "plan_standing_items", "agenda_proposals")


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key("fk_memberships_organisation", "organisations", ["organisation_id"], ["id"])
    # The workspace-wide unique name goes first: the split below gives several boards the same name.
    if bind.dialect.name == "sqlite":  # an unnamed UNIQUE(name), in a table others refer to: rebuilt by hand
        _sqlite_rebuild(bind, "organisations", _ORGANISATIONS_DURING, "id, name")
    else:
        op.add_column("organisations", sa.Column("board_id", sa.Integer(), nullable=True))
        for constraint in sa.inspect(bind).get_unique_constraints("organisations"):
            if constraint["column_names"] == ["name"] and constraint["name"]:
                op.drop_constraint(constraint["name"], "organisations", type_="unique")

    _split_organisations_by_board(bind)

    if bind.dialect.name == "sqlite":
        _sqlite_rebuild(bind, "organisations", _ORGANISATIONS, "id, name, board_id")
        _sqlite_rebuild(bind, "members", _MEMBERS, "id, slack_user_id, display_name, dm_channel_id, timezone")
        return
    op.alter_column("organisations", "board_id", existing_type=sa.Integer(), nullable=False)
    op.create_foreign_key("fk_organisations_board", "organisations", "boards", ["board_id"], ["id"], ondelete="CASCADE")
    op.create_unique_constraint("uq_organisations_board_name", "organisations", ["board_id", "name"])
    op.drop_column("members", "organisation_id")


_ORGANISATIONS_DURING = ("CREATE TABLE organisations (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, "
                         "board_id INTEGER)")
_ORGANISATIONS = (
    "CREATE TABLE organisations (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, "
    "board_id INTEGER NOT NULL, "
    "CONSTRAINT fk_organisations_board FOREIGN KEY (board_id) REFERENCES boards (id) ON DELETE CASCADE, "
    "CONSTRAINT uq_organisations_board_name UNIQUE (board_id, name))")
_MEMBERS = (
    "CREATE TABLE members (id INTEGER NOT NULL PRIMARY KEY, slack_user_id VARCHAR(40) NOT NULL, "
    "display_name VARCHAR(200) NOT NULL, dm_channel_id VARCHAR(40), timezone VARCHAR(64), "
    "UNIQUE (slack_user_id))")


def _sqlite_rebuild(bind: sa.engine.Connection, table: str, create: str, columns: str) -> None:
    """Rebuild a table on SQLite, which cannot alter its constraints: the rows are kept aside, the table dropped
    and created again under the same name (so the tables that refer to it still do), and the rows put back.
    Migrations run with foreign keys off on SQLite (store.db.migration_connection), so the drop cascades to
    nothing; they are checked before the commit."""
    bind.exec_driver_sql(f"CREATE TEMP TABLE {table}_kept AS SELECT {columns} FROM {table}")
    bind.exec_driver_sql(f"DROP TABLE {table}")
    bind.exec_driver_sql(create)
    bind.exec_driver_sql(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}_kept")
    bind.exec_driver_sql(f"DROP TABLE {table}_kept")


def _split_organisations_by_board(bind: sa.engine.Connection) -> None:
    names: dict[int, str] = dict(bind.execute(sa.text("SELECT id, name FROM organisations")).all())
    used: dict[int, set[int]] = defaultdict(set)  # board id -> organisation ids named on that board
    queries = [
        "SELECT ms.board_id, m.organisation_id FROM memberships ms JOIN members m ON m.id = ms.member_id "
        "WHERE m.organisation_id IS NOT NULL",
        "SELECT board_id, host_organisation_id FROM meetings WHERE host_organisation_id IS NOT NULL",
        "SELECT mt.board_id, pu.organisation_id FROM partner_updates pu JOIN meetings mt ON mt.id = pu.meeting_id",
        "SELECT board_id, lead_organisation_id FROM performance_items WHERE lead_organisation_id IS NOT NULL",
    ]
    for query in queries:
        for board_id, org_id in bind.execute(sa.text(query)):
            used[board_id].add(org_id)
    left = _members_who_left(bind)
    member_org: dict[int, int] = dict(bind.execute(sa.text(
        "SELECT id, organisation_id FROM members WHERE organisation_id IS NOT NULL")).all())
    for board_id, member_id, _role, _at in left:
        if member_id in member_org:
            used[board_id].add(member_org[member_id])
    leads = _lead_links(bind)
    for (_table, _id, board_id), links in leads.items():
        for link in links:
            if link.get("kind") == "organisation" and link.get("id") in names:
                used[board_id].add(link["id"])

    owner: dict[int, int] = {}  # organisation id -> the board that keeps the original row
    copy: dict[tuple[int, int], int] = {}  # (board id, old organisation id) -> that board's organisation id
    for board_id in sorted(used):
        for org_id in sorted(used[board_id]):
            if org_id not in owner:
                owner[org_id] = board_id
                bind.execute(sa.text("UPDATE organisations SET board_id = :b WHERE id = :o"), {"b": board_id, "o": org_id})
                copy[board_id, org_id] = org_id
            else:
                new_id = bind.execute(sa.text("SELECT max(id) FROM organisations")).scalar_one() + 1
                bind.execute(sa.text("INSERT INTO organisations (id, name, board_id) VALUES (:i, :n, :b)"),
                             {"i": new_id, "n": names[org_id], "b": board_id})
                copy[board_id, org_id] = new_id
    bind.execute(sa.text("DELETE FROM organisations WHERE board_id IS NULL"))  # named by nothing on any board

    for ms_id, board_id, org_id in bind.execute(sa.text(
            "SELECT ms.id, ms.board_id, m.organisation_id FROM memberships ms JOIN members m ON m.id = ms.member_id "
            "WHERE m.organisation_id IS NOT NULL")).all():
        bind.execute(sa.text("UPDATE memberships SET organisation_id = :o WHERE id = :i"),
                     {"o": copy[board_id, org_id], "i": ms_id})
    for board_id, member_id, role, at in left:  # they left before memberships kept the row: put it back, left
        bind.execute(sa.text("INSERT INTO memberships (board_id, member_id, role, organisation_id, left_at) "
                             "VALUES (:b, :m, :r, :o, :at)"),
                     {"b": board_id, "m": member_id, "r": role, "at": at,
                      "o": copy.get((board_id, member_org.get(member_id, -1)))})
    for (board_id, old), new in copy.items():
        if old == new:
            continue
        args = {"b": board_id, "old": old, "new": new}
        bind.execute(sa.text("UPDATE meetings SET host_organisation_id = :new "
                             "WHERE board_id = :b AND host_organisation_id = :old"), args)
        bind.execute(sa.text("UPDATE partner_updates SET organisation_id = :new WHERE organisation_id = :old "
                             "AND meeting_id IN (SELECT id FROM meetings WHERE board_id = :b)"), args)
        bind.execute(sa.text("UPDATE performance_items SET lead_organisation_id = :new "
                             "WHERE board_id = :b AND lead_organisation_id = :old"), args)
    for (table, row_id, board_id), links in leads.items():
        changed = False
        for link in links:
            if link.get("kind") == "organisation" and (board_id, link.get("id")) in copy:
                new = copy[board_id, link["id"]]
                changed |= new != link["id"]
                link["id"] = new
        if changed:
            bind.execute(sa.text(f"UPDATE {table} SET lead_links = :l WHERE id = :i"),
                         {"l": json.dumps(links), "i": row_id})


def _members_who_left(bind: sa.engine.Connection) -> list[tuple[int, int, str, Any]]:
    """(board, member, role, when) of each removal the audit trail records, for people not back on that board."""
    boards = {name: board_id for board_id, name in bind.execute(sa.text("SELECT id, name FROM boards"))}
    on_board = set(bind.execute(sa.text("SELECT board_id, member_id FROM memberships")).all())
    members = {m for (m,) in bind.execute(sa.text("SELECT id FROM members"))}
    latest: dict[tuple[int, int], tuple[str, Any]] = {}
    for member_id, at, raw in bind.execute(sa.text(
            "SELECT entity_id, at, before FROM audit_log WHERE entity = 'membership' AND operation = 'remove' "
            "ORDER BY at, id")):
        before = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(before, dict) or member_id not in members:
            continue
        board_id = before.get("board_id") or boards.get(str(before.get("board")))
        if isinstance(board_id, int) and board_id in boards.values() and (board_id, member_id) not in on_board:
            latest[board_id, member_id] = (str(before.get("role") or "member"), at)
    return [(b, m, role, at) for (b, m), (role, at) in sorted(latest.items())]


def _lead_links(bind: sa.engine.Connection) -> dict[tuple[str, int, int], list[dict[str, Any]]]:
    found: dict[tuple[str, int, int], list[dict[str, Any]]] = {}
    for table in _LEAD_TABLES:
        for row_id, board_id, raw in bind.execute(sa.text(f"SELECT id, board_id, lead_links FROM {table}")):
            links = json.loads(raw) if isinstance(raw, str) else raw
            if links:
                found[table, row_id, board_id] = list(links)
    return found


def downgrade() -> None:
    """Back to one list: each person takes the organisation of their first current membership; organisations of
    the same name on different boards are merged into the lowest id; the record of members who left is lost."""
    bind = op.get_bind()
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
    keep: dict[str, int] = {}
    for org_id, name in bind.execute(sa.text("SELECT id, name FROM organisations ORDER BY id")).all():
        if name not in keep:
            keep[name] = org_id
            continue
        args = {"old": org_id, "new": keep[name]}
        for table, column in (("memberships", "organisation_id"), ("meetings", "host_organisation_id"),
                              ("partner_updates", "organisation_id"), ("performance_items", "lead_organisation_id")):
            bind.execute(sa.text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old"), args)
        bind.execute(sa.text("DELETE FROM organisations WHERE id = :old"), args)
    bind.execute(sa.text("DELETE FROM memberships WHERE left_at IS NOT NULL"))
    bind.execute(sa.text(
        "UPDATE members SET organisation_id = (SELECT ms.organisation_id FROM memberships ms "
        "WHERE ms.member_id = members.id AND ms.organisation_id IS NOT NULL ORDER BY ms.id LIMIT 1)"))
    if bind.dialect.name == "sqlite":
        _sqlite_rebuild(bind, "organisations",
                        "CREATE TABLE organisations (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, "
                        "UNIQUE (name))", "id, name")
        _sqlite_rebuild(bind, "members", _MEMBERS.replace(
            "timezone VARCHAR(64), ", "timezone VARCHAR(64), organisation_id INTEGER REFERENCES organisations (id), "),
            "id, slack_user_id, display_name, dm_channel_id, timezone, organisation_id")
    else:
        op.drop_constraint("uq_organisations_board_name", "organisations", type_="unique")
        op.drop_constraint("fk_organisations_board", "organisations", type_="foreignkey")
        op.drop_column("organisations", "board_id")
        op.create_unique_constraint("organisations_name_key", "organisations", ["name"])
        op.create_foreign_key("members_organisation_id_fkey", "members", "organisations", ["organisation_id"], ["id"])
    with op.batch_alter_table("memberships") as batch:
        batch.drop_constraint("fk_memberships_organisation", type_="foreignkey")
        batch.drop_column("left_at")
        batch.drop_column("organisation_id")
