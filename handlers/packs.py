"""The agenda pack and its publication clock."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from handlers.base import Notifier
from store.models import Board, Paper, PlanItem


def paper_arrived(session: Session, notify: Notifier, board: Board, item: PlanItem, paper: Paper,
                  now: dt.datetime) -> str | None:
    """Called when a paper (a new version) is stored: once the meeting's pack is published, the paper goes out in
    a supplementary pack. Returns a sentence for the author's confirmation, or None."""
    return None
