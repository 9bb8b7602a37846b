"""Requests from Slack already run: the seen-set that keeps a replayed or retried request from running twice."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.core import Base


class SeenRequest(Base):
    """A signed request (or an Events API event) that has been run. `key` is a SHA-256 of what identifies it — its
    signature and timestamp, or the event's id — so deciding "first time?" is one insert into a unique index.
    `expires_at` is when Slack's signing window for it closes: after that a replay fails the signature check, and
    the row can go."""

    __tablename__ = "seen_requests"
    __table_args__ = (Index("ix_seen_requests_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime]
