"""mentions stored inside free text become the names of the people they name

Revision ID: 0008_plain_mentions
Revises: 0007_board_organisations

Text typed in commands has been stored with `<@U123|name>` turned into the person's name for some time, but
text from forms, and everything stored before that, could still hold the raw mention: it printed as
`<@U123>` in Word and Markdown. Each such mention in an action, note, update, plan item, proposal, return
or theme becomes the name lspbot knows for that person (else the name Slack sent with it, else the id),
as it is for text typed today. Nothing to undo on the way down: names stay names.
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0008_plain_mentions"
down_revision = "0007_board_organisations"
branch_labels = None
depends_on = None

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_COLUMNS = {
    "actions": ("text",),
    "action_updates": ("note",),
    "partner_updates": ("text",),
    "plan_items": ("title", "lead"),
    "plan_standing_items": ("title", "lead"),
    "agenda_proposals": ("title", "lead", "decline_reason"),
    "quarterly_returns": ("commentary",),
    "meetings": ("theme",),
}


def upgrade() -> None:
    bind = op.get_bind()
    names = {uid: name for uid, name in bind.execute(sa.text("SELECT slack_user_id, display_name FROM members"))
             if name and name != uid}

    def plain(match: re.Match[str]) -> str:
        return names.get(match.group(1)) or (match.group(2) or "").strip() or match.group(1)

    for table, columns in _COLUMNS.items():
        for column in columns:
            rows = bind.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {column} LIKE :p"), {"p": "%<@%"})
            for row_id, value in rows.all():
                changed = _MENTION.sub(plain, value)
                if table != "actions" and column in ("title", "lead", "theme"):  # columns of 300 characters
                    changed = changed[:300]
                if changed != value:
                    bind.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :i"), {"v": changed, "i": row_id})


def downgrade() -> None:
    pass
