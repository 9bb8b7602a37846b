"""The minutes end to end: `/meeting minutes` and the edit form through signed requests to `lspbot serve` and the
fake Slack, on a meeting held in meeting mode (built with the models) whose minutes were drafted when it ended."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import docx
from sqlalchemy import select

from bot.render.documents import DocumentRenderer
from handlers.minutes import draft_minutes
from store import db
from store.models import Board, Meeting, MeetingItem, MinutesVersion
from tests.support.databases import db_rows
from tests.support.direct import RecordingNotifier
from tests.support.fake_slack import FakeSlack
from tests.support.held_meeting import hold_meeting
from tests.support.server import BoardFixture, ServerProcess, run_lspbot
from tests.support.settings import DEFAULT_NOW
from tests.support.slack_ui import dm_containing, opened_view, submit_view, text_input
from tests.support.waiting import wait_until

RENDERER = DocumentRenderer()


class _Notifier(RecordingNotifier):
    def markdown(self, document):  # type: ignore[no-untyped-def]
        return RENDERER.markdown(document.template, document.data)


def _minuted(server: ServerProcess, board: BoardFixture) -> tuple[int, int]:
    """The board's meeting of 11 July 2019 held and its minutes drafted; (the meeting's id, item 3's id)."""
    engine = db.make_engine(server.database_url)
    try:
        with db.session_scope(db.make_session_factory(engine)) as session:
            found = session.scalars(select(Board).where(Board.channel_id == board.channel_id)).one()
            held = hold_meeting(session, found, dt.date(2019, 7, 11), now=DEFAULT_NOW)
            draft_minutes(session, _Notifier(), found, session.get_one(Meeting, held.meeting_id), DEFAULT_NOW)
            return held.meeting_id, held.item_ids[2]
    finally:
        engine.dispose()


def _rows(server: ServerProcess, meeting_id: int, item_id: int) -> tuple[list[tuple[int, str, str | None]], str]:
    engine = db.make_engine(server.database_url)
    try:
        with db.session_scope(db.make_session_factory(engine)) as session:
            versions = [(v.version, v.kind, v.note) for v in session.scalars(
                select(MinutesVersion).where(MinutesVersion.meeting_id == meeting_id).order_by(MinutesVersion.version))]
            return versions, session.get_one(MeetingItem, item_id).summary or ""
    finally:
        engine.dispose()


def _stem(board: BoardFixture) -> str:
    return "-".join(board.name.lower().split()) + "-minutes-2019-07-11"


def _files(server: ServerProcess, user_id: str) -> dict[str, bytes]:
    """The files queued for a person's DM, by name (the last of each name)."""
    rows = db_rows(server.database_url, "SELECT payload FROM outbox WHERE target = :u AND target_kind = 'user' "
                   "ORDER BY id", u=user_id)
    return {p["filename"]: bytes.fromhex(p["content_hex"]) for p in
            (json.loads(x[0]) if isinstance(x[0], str) else x[0] for x in rows) if p.get("_method") == "files.upload"}


def test_minutes_shown_edited_in_the_form_and_circulated(server: ServerProcess, board: BoardFixture,
                                                         fake_slack: FakeSlack):
    meeting_id, item_id = _minuted(server, board)
    r = board.alice.command("/meeting", "minutes")
    assert r.status == 200 and "Draft minutes" in r.text and "LSP/19/3" in r.text and "Skills strategy" in r.text
    wait_until(lambda: len(_files(server, board.alice.user_id)) >= 2, 20, what="the minutes' files for Alice")
    assert sorted(_files(server, board.alice.user_id)) == [f"{_stem(board)}.docx", f"{_stem(board)}.md"]

    r = board.bob.command("/meeting", 'minutes edit LSP/19/3 "A silent change"')
    assert "Not allowed" in r.text and _rows(server, meeting_id, item_id)[0] == [(1, "drafted", None)]
    r = board.secretary.command("/meeting", "minutes edit LSP/19/99")
    assert "no minute LSP/19/99" in r.text

    fake_slack.reset()
    r = board.secretary.command("/meeting", "minutes edit LSP/19/3")
    assert r.status == 200
    view = opened_view(fake_slack)
    assert view["callback_id"] == "minutes_edit_modal" and "The skills lead presented the strategy." in json.dumps(view)
    values = {**text_input("text", "The strategy was presented; partners asked for quarterly figures."),
              **text_input("note", "Tightened the wording")}
    r = submit_view(board.secretary, view, values)
    assert r.status == 200 and not r.body.strip()  # the form closes
    versions, summary = _rows(server, meeting_id, item_id)
    assert versions == [(1, "drafted", None), (2, "edited", "Tightened the wording")]
    assert summary == "The strategy was presented; partners asked for quarterly figures."

    fake_slack.reset()
    r = board.secretary.command("/meeting", "minutes circulate")
    assert "Circulated the minutes of 11 July 2019 (version 3)" in r.text
    dm = dm_containing(fake_slack, board.bob, "Circulated by")
    assert "The strategy was presented; partners asked for quarterly figures." in str(dm["blocks"])
    files = _files(server, board.bob.user_id)  # queued with the DM, in the same unit of work
    word = docx.Document(io.BytesIO(files[f"{_stem(board)}.docx"]))
    text = "\n".join(p.text for p in word.paragraphs)
    assert "Minutes (circulated, to be confirmed)" in text and "partners asked for quarterly figures" in text
    assert "Agreed — Partners sign the LSP commitment" in files[f"{_stem(board)}.md"].decode()


def test_the_minutes_in_the_console(server: ServerProcess, board: BoardFixture, tmp_path: Path):
    """The console reads the same commands: the minutes and their files, the edit form (which it cannot show, so
    it says how to type the text), the edit typed, and the versions."""
    meeting_id, item_id = _minuted(server, board)
    script = ('/meeting minutes\n/meeting minutes edit LSP/19/3\n'
              '/meeting minutes edit LSP/19/3 "Edited from the console."\n/meeting minutes versions 2019-07-11\n')
    done = run_lspbot(["console", "--as", board.secretary.user_id, "--channel", board.channel_id, "--files", "got"],
                      dict(server.env), input=script, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Draft minutes — " in out and "went wrong" not in out
    assert "Forms open in Slack" in out and 'type `/meeting minutes edit LSP/19/3 "<the new text>"`' in out
    assert "LSP/19/3 edited: version 2" in out and "*v2* edited" in out
    assert sorted(p.suffix for p in (tmp_path / "got").iterdir()) == [".docx", ".md"]
    assert _rows(server, meeting_id, item_id) == ([(1, "drafted", None), (2, "edited", "LSP/19/3: the minute's text "
                                                   "edited")], "Edited from the console.")
