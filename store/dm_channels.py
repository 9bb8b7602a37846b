"""Members' DM channels with the bot, kept so a restart need not ask Slack for them again."""

from __future__ import annotations

from typing import cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.models import Member


def remember_dm_channel(*, session: Session, slack_user_id: str, channel_id: str) -> None:
    """Keep a member's DM channel with the bot."""
    session.execute(update(Member).where(Member.slack_user_id == slack_user_id,
                                         (Member.dm_channel_id.is_(None)) | (Member.dm_channel_id != channel_id))
                    .values(dm_channel_id=channel_id))


def dm_channels(*, session: Session) -> dict[str, str]:
    """Every known DM channel, by Slack user id."""
    rows = session.execute(select(Member.slack_user_id, Member.dm_channel_id).where(Member.dm_channel_id.is_not(None)))
    return {user: cast(str, channel) for user, channel in rows}
