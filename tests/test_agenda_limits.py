"""A very large agenda still fits Slack's limits (50 blocks, 3,000 characters a section) and keeps its buttons."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import docx
from sqlalchemy import insert

from bot.runtime import run_command
from store import db
from store.models import Action, ActionStatus, Board, Meeting, Member, PlanItem

CHAIR = "UCHAIRB"


def board_with_a_meeting(runtime, clock, items: int, lead: str) -> tuple[Callable[[str, str], Any], Any]:
    """A board chaired by CHAIR, a meeting on 10 October 2019 and `items` plan items of 280-odd characters;
    (run a command as the chair, the ids of board, meeting and chair and the clock's time)."""
    def run(cmd: str, text: str, user: str = CHAIR):
        return run_command(runtime, cmd, user_id=user, channel_id="CBIG1", text=text)

    assert run("/lsp", f'board create "Big Board" chair:<@{CHAIR}|chair> org:"LB Ealing"', user="UADMIN").ok
    assert run("/plan", "meeting add 2019-10-10 10:00").ok
    now = clock.now()
    with db.session_scope(runtime.sessions) as s:
        board = s.query(Board).one()
        meeting = s.query(Meeting).one()
        chair = s.query(Member).filter_by(slack_user_id=CHAIR).one()
        s.execute(insert(PlanItem), [
            dict(board_id=board.id, ref=i + 1, meeting_id=meeting.id, title=f"Item {i + 1} " + "x" * 280,
                 lead=lead, lead_links=[], kind="for decision", position=i, created_at=now,
                 updated_at=now) for i in range(items)])
        ids = SimpleNamespace(board=board.id, meeting=meeting.id, chair=chair.id, now=now)
    return run, ids


def test_huge_agenda_is_split_or_summarised_never_failing(runtime, clock):
    run, ids = board_with_a_meeting(runtime, clock, 80, "LB Ealing/" + "y" * 250)
    with db.session_scope(runtime.sessions) as s:
        s.execute(insert(Action), [
            dict(board_id=ids.board, ref=i + 1, text=f"Action {i + 1} <!channel> " + "z" * 300, owner_id=ids.chair,
                 due_date=dt.date(2019, 7, 1), status=ActionStatus.OPEN, created_by_id=ids.chair, created_at=ids.now,
                 updated_at=ids.now) for i in range(300)])
    outcome = run("/agenda", "draft")
    assert outcome.ok
    blocks = outcome.payload["blocks"]
    assert len(blocks) <= 50
    for block in blocks:
        if isinstance(block.get("text"), dict):
            assert len(block["text"]["text"]) <= (150 if block["type"] == "header" else 3000)
    assert [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]] == \
        ["agenda_publish", "agenda_regenerate"]
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "…and 290 more in the Word version sent to your direct messages." in text
    assert "83. Item 80" in text and "84. Any other business" in text
    assert "<!channel>" not in str(outcome.payload)
    [word] = [a for a in runtime.renderer.documents(outcome.documents[0]) if a.filename.endswith(".docx")]
    document = docx.Document(io.BytesIO(word.content))
    assert len(document.tables[0].rows) == 301
    assert sum(1 for p in document.paragraphs if p.style.name == "Heading 2") == 85


def test_agenda_too_long_to_summarise_keeps_its_buttons(runtime, clock):
    """400 plan items of nearly the longest title overflow even the summarised draft: the cut keeps its buttons."""
    run, _ = board_with_a_meeting(runtime, clock, 400, "LB Ealing")
    outcome = run("/agenda", "draft")
    assert outcome.ok
    blocks = outcome.payload["blocks"]
    assert len(blocks) == 50
    assert [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]] == \
        ["agenda_publish", "agenda_regenerate"]
    notes = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert any(n.startswith("…and ") and n.endswith(" more not shown here.") for n in notes), notes
