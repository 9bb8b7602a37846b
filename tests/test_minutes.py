"""The minutes, through the handlers directly: drafted from a held meeting (numbered, stored, sent; the Word and
Markdown read back), edited, refused for a wrong minute number, circulated, confirmed (by command and by meeting
mode), locked, corrected beside the original, every version kept; the chase job's reminder and escalation."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clock import FixedClock
from bot.render.documents import DocumentRenderer
from bot.render.environment import Renderer
from handlers.base import Conflict, Forbidden, InvalidInput, NotFound
from handlers.catalogue import REGISTRY
from handlers.minutes import confirm_previous_minutes, draft_minutes
from handlers.minutes_commands import handle_minutes_edit_submission
from jobs.chase_minutes import chase_minutes
from store import db
from store.models import (Action, Board, Declaration, Meeting, MeetingItem, MeetingNote, MeetingRecord, Member,
                          MinutesVersion)
from tests.support.databases import TestDatabase
from tests.support.direct import Caller, RecordingNotifier
from tests.support.held_meeting import HeldMeeting, hold_meeting
from tests.support.settings import ADMIN, DEFAULT_NOW, LONDON

CHANNEL, OTHER_CHANNEL = "CMINUTES", "CMINUTE2"
CHAIR, SECRETARY, VICE, ALICE, BOB = "UMCHAIR", "UMSECR", "UMVICE", "UMALICE", "UMBOB"
HELD = dt.date(2019, 7, 11)
RENDERER = DocumentRenderer()
MESSAGES = Renderer()


class RenderingNotifier(RecordingNotifier):
    """A recording notifier whose Markdown is the real one, so a version keeps what the bot would keep."""

    def markdown(self, document: Any) -> str:
        return RENDERER.markdown(document.template, document.data)


@dataclass
class Minuted:
    session: Session
    notes: RenderingNotifier
    clock: FixedClock
    board: Board
    held: HeldMeeting

    def caller(self, user: str, channel: str = CHANNEL) -> Caller:
        return Caller(self.session, self.clock, self.notes, user, channel)

    def meeting(self, day: dt.date = HELD) -> Meeting:
        return self.session.scalars(select(Meeting).where(Meeting.board_id == self.board.id, Meeting.date == day)).one()

    def versions(self) -> list[MinutesVersion]:
        return list(self.session.scalars(select(MinutesVersion).where(MinutesVersion.meeting_id == self.held.meeting_id)
                                         .order_by(MinutesVersion.version)))

    def record(self) -> MeetingRecord:
        return self.session.get_one(MeetingRecord, self.held.record_id)


@pytest.fixture
def minuted(database: TestDatabase) -> Iterator[Minuted]:
    """A board (chair, vice-chair, secretariat, Alice, Bob), a second board, and the board's meeting of 11 July 2019
    held in meeting mode: six items, two actions raised, a declaration, apologies with a substitute."""
    engine = db.make_engine(database.url)
    session = db.make_session_factory(engine)()
    clock, notes = FixedClock(DEFAULT_NOW), RenderingNotifier()
    admin = Caller(session, clock, notes, ADMIN, CHANNEL)
    admin("/lsp", f'board create "LSP Executive" chair:<@{CHAIR}|Julian Bell> org:"LB Ealing"')
    chair = admin.as_user(CHAIR)
    for user, name, org, role in ((VICE, "Vera", "LB Ealing", "vice-chair"), (SECRETARY, "Sue", "LB Ealing",
                                  "secretariat"), (ALICE, "Alice", "Ealing PCT", "member"),
                                  (BOB, "Bob", "Metropolitan Police", "member")):
        chair("/lsp", f'member add <@{user}|{name}> org:"{org}" role:{role}')
    chair("/plan", 'meeting add 2019-10-10 10:00 venue:"Southall Town Hall"')
    admin.as_user(ADMIN, OTHER_CHANNEL)("/lsp", 'board create "Other Board" chair:<@UOTHER|Otto> org:"DWP"')
    board = session.scalars(select(Board).where(Board.channel_id == CHANNEL)).one()
    held = hold_meeting(session, board, HELD, now=DEFAULT_NOW)
    notes.sent.clear()
    yield Minuted(session, notes, clock, board, held)
    session.rollback()
    session.close()
    engine.dispose()


def _draft(m: Minuted) -> MinutesVersion:
    return draft_minutes(m.session, m.notes, m.board, m.meeting(), m.clock.now())


def _word(m: Minuted, version: MinutesVersion) -> tuple[str, str]:
    """The Word document of a version, as its paragraphs' and tables' text, and the Markdown kept with it."""
    from handlers.minutes_data import minutes_document

    document = minutes_document(version.content, version.version, version.kind)
    word = docx.Document(io.BytesIO(RENDERER.render(document)[0].content))
    text = "\n".join(p.text for p in word.paragraphs)
    text += "\n" + "\n".join(c.text for t in word.tables for r in t.rows for c in r.cells)
    return text, version.markdown


def test_draft_numbers_the_items_keeps_version_1_and_sends_the_word_and_markdown(minuted: Minuted):
    m = minuted
    version = _draft(m)
    assert (version.version, version.kind) == (1, "drafted")
    assert m.record().minutes_status == "draft" and m.record().minutes_drafted_at is not None
    numbers = m.session.scalars(select(MeetingItem.minute_number).where(MeetingItem.meeting_id == m.held.meeting_id)
                                .order_by(MeetingItem.number)).all()
    assert numbers == [f"LSP/19/{n}" for n in range(1, 7)]
    to_secretary = m.notes.to(SECRETARY)
    assert [s.kind for s in to_secretary] == ["user", "file", "file"] and len(m.notes.to(CHAIR)) == 3
    assert not m.notes.to(ALICE) and not m.notes.to(VICE)
    message = MESSAGES(to_secretary[0].template, to_secretary[0].data)
    shown = json.dumps(message["blocks"], ensure_ascii=False)
    assert message["text"] == "Draft minutes — LSP Executive, Thursday 11 July 2019" and "Drafted as the meeting" in shown
    assert ("*LSP/19/3  3. Skills strategy* — LB Ealing\\n_Interest declared: Julian Bell, Trustee of the Southall "
            "Trust (1) (left the room for the item)_\\nThe skills lead") in shown
    assert "*Decision:* Agreed — Partners sign the LSP commitment\\n• #" in shown
    assert "*Apologies:* Bob (Metropolitan Police)\\n*Substitutes:* Sam Deputy" in shown
    word, markdown = _word(m, version)
    for text in (word, markdown):
        assert "Julian Bell (chair)" in text and "Sue (secretariat)" in text and "Alice" in text  # present
        assert "Apologies" in text and "Bob (Metropolitan Police)" in text  # the last member sent apologies
        assert "Sam Deputy" in text and "for Bob" in text and "Officer 1" in text
        assert "Trustee of the Southall Trust (1)" in text and "LSP/19/3" in text
        assert "Interest declared: Julian Bell, Trustee of the Southall Trust (1) (left the room for the item)" in text
        assert "Agreed — Partners sign the LSP commitment" in text and "Deferred" in text and "Not reached" in text
        assert "Send the partners the skills figures (1)" in text and "Send the partners the skills figures (2)" in text
        assert "The skills lead presented the strategy. Partners asked for quarterly figures." in text
        assert "The meeting was quorate." in text and "Minutes of the last meeting and matters arising" in text
    assert markdown.split("6. Any other business")[1].strip() == ""  # the agenda's own items: no decision line
    # Drafted once: ending the meeting again (or the scheduler closing it) changes and sends nothing.
    m.notes.sent.clear()
    assert _draft(m).id == version.id and not m.notes.sent and len(m.versions()) == 1


def test_the_running_number_goes_on_in_the_year_and_the_format_is_a_board_setting(minuted: Minuted):
    m = minuted
    _draft(m)
    chair = m.caller(CHAIR)
    with pytest.raises(InvalidInput, match="one year"):
        chair("/lsp", "board set minute_format LSP/{n}")
    chair("/lsp", "board set minute_format {initials}-{yyyy}-{nnn}")
    second = hold_meeting(m.session, m.board, dt.date(2019, 10, 10), now=DEFAULT_NOW, actions=0, declarations=0)
    draft_minutes(m.session, m.notes, m.board, m.meeting(dt.date(2019, 10, 10)), m.clock.now())
    first = m.session.get_one(MeetingItem, second.item_ids[0])
    assert first.minute_number == "LE-2019-007" and (first.minute_year, first.minute_seq) == (2019, 7)


def test_a_minute_is_edited_by_command_or_form_while_a_draft_and_a_wrong_number_writes_nothing(minuted: Minuted):
    m = minuted
    _draft(m)
    secretary = m.caller(SECRETARY)
    opened = secretary("/meeting", "minutes edit LSP/19/3")
    assert opened.open_modal and opened.open_modal["template"] == "slack/minutes_edit_modal.json.j2"
    assert "The skills lead presented the strategy." in opened.open_modal["data"]["text"]
    reply = secretary("/meeting", 'minutes edit lsp/19/3 "The strategy was presented and discussed."')
    assert "version 2" in reply.data["text"]
    assert m.session.get_one(MeetingItem, m.held.item_ids[2]).summary == "The strategy was presented and discussed."
    count = len(m.versions())
    with pytest.raises(NotFound, match="no minute LSP/19/99"):
        secretary("/meeting", 'minutes edit LSP/19/99 "x"')
    other = m.session.scalars(select(Board).where(Board.channel_id == OTHER_CHANNEL)).one()
    hold_meeting(m.session, other, dt.date(2019, 7, 12), now=DEFAULT_NOW, actions=0, declarations=0)
    m.session.execute(MeetingItem.__table__.update().where(MeetingItem.board_id == other.id)
                      .values(minute_number="DWP/19/1"))
    with pytest.raises(NotFound, match="minute of Other Board"):
        secretary("/meeting", 'minutes edit DWP/19/1 "x"')
    with pytest.raises(Forbidden):
        m.caller(ALICE)("/meeting", 'minutes edit LSP/19/3 "x"')
    assert len(m.versions()) == count
    form = m.caller(SECRETARY).request(private_metadata=f'{{"item": {m.held.item_ids[3]}}}',
                                       text="Deferred to October: the report was not ready.", note="Wording")
    form.values["text"] = "Deferred to October: the report was not ready."
    handle_minutes_edit_submission(form)
    last = m.versions()[-1]
    assert (last.version, last.kind, last.note) == (3, "edited", "Wording")
    assert "Deferred to October: the report was not ready." in last.markdown


def test_circulate_confirm_lock_correct_and_every_version_kept(minuted: Minuted):
    m = minuted
    _draft(m)
    with pytest.raises(Forbidden, match="chair or secretariat"):
        m.caller(VICE)("/meeting", "minutes circulate")
    m.notes.sent.clear()
    m.caller(SECRETARY)("/meeting", "minutes circulate")
    assert m.record().minutes_status == "circulated"
    for user in (CHAIR, VICE, SECRETARY, ALICE, BOB):
        assert [s.kind for s in m.notes.to(user)] == ["user", "file", "file"], user
    with pytest.raises(Conflict, match="not changed since"):
        m.caller(CHAIR)("/meeting", "minutes circulate")
    with pytest.raises(Forbidden):
        m.caller(SECRETARY)("/meeting", "minutes confirm 2019-07-11")
    m.caller(CHAIR)("/meeting", "minutes confirm 11 July 2019")
    record = m.record()
    assert (record.minutes_status, record.confirmed_by, record.confirmed_at_meeting_id) == ("confirmed", CHAIR, None)
    with pytest.raises(Conflict, match=r"confirmed on 16 July 2019 by Julian Bell; record a correction"):
        m.caller(SECRETARY)("/meeting", 'minutes edit LSP/19/3 "A silent change"')
    with pytest.raises(Conflict, match="confirmed on"):
        m.caller(SECRETARY)("/meeting", "minutes edit LSP/19/3")
    with pytest.raises(InvalidInput, match="later meeting"):
        m.caller(SECRETARY)("/meeting", 'minutes correct LSP/19/3 "Agreed unanimously"')
    m.clock.set(dt.datetime(2019, 10, 11, 9, 0, tzinfo=LONDON))
    m.caller(SECRETARY)("/meeting", 'minutes correct LSP/19/3 "The decision was unanimous" at:2019-10-10')
    kinds = [(v.version, v.kind) for v in m.versions()]
    assert kinds == [(1, "drafted"), (2, "circulated"), (3, "confirmed"), (4, "corrected")]
    corrected = m.versions()[-1]
    assert corrected.at_meeting_id == m.meeting(dt.date(2019, 10, 10)).id
    word, markdown = _word(m, corrected)
    for text in (word, markdown):  # the correction beside the original minute, which is unchanged
        assert "The skills lead presented the strategy." in text and "The decision was unanimous" in text
        assert "agreed at the meeting of Thursday 10 October 2019" in text
    listed = m.caller(ALICE)("/meeting", "minutes versions 2019-07-11")
    assert [v["kind"] for v in listed.data["versions"]] == ["drafted", "circulated", "confirmed", "corrected"]
    shown = m.caller(ALICE)("/meeting", "minutes")
    assert shown.data["version"] == 4 and shown.documents


def test_meeting_mode_confirms_the_previous_minutes_at_the_next_meeting(minuted: Minuted):
    m = minuted
    _draft(m)
    m.clock.set(dt.datetime(2019, 10, 10, 10, 30, tzinfo=LONDON))
    following = hold_meeting(m.session, m.board, dt.date(2019, 10, 10), now=m.clock.now(), closed=False, actions=0,
                             declarations=0)
    at = m.meeting(dt.date(2019, 10, 10))
    version = confirm_previous_minutes(m.session, m.notes, m.board, at, SECRETARY, m.clock.now())
    assert version is not None and version.kind == "confirmed" and version.at_meeting_id == following.meeting_id
    record = m.record()
    assert (record.minutes_status, record.confirmed_by, record.confirmed_at_meeting_id) == \
        ("confirmed", SECRETARY, following.meeting_id)
    assert "at the meeting of Thursday 10 October 2019" in version.markdown
    assert confirm_previous_minutes(m.session, m.notes, m.board, at, SECRETARY, m.clock.now()) is None
    # While the later meeting is open, a correction needs no date.
    m.caller(SECRETARY)("/meeting", 'minutes correct LSP/19/4 "Deferred to January, not October"')
    assert m.versions()[-1].at_meeting_id == following.meeting_id


def test_minutes_commands_are_declared_with_their_people():
    names = {c.name: c.who.name for c in REGISTRY.commands if c.name.startswith("/meeting minutes")}
    assert names == {"/meeting minutes": "READERS", "/meeting minutes edit": "MANAGERS",
                     "/meeting minutes circulate": "MANAGERS", "/meeting minutes confirm": "CHAIR",
                     "/meeting minutes correct": "MANAGERS", "/meeting minutes versions": "READERS"}
    assert REGISTRY.find("/meeting", "minutes 11 July 2019")[0].name == "/meeting minutes"
    assert REGISTRY.find("/meeting", "minutes edit LSP/19/3")[0].name == "/meeting minutes edit"


def test_no_minutes_is_a_clear_refusal(minuted: Minuted):
    m = minuted
    with pytest.raises(NotFound, match="no minutes yet"):
        m.caller(ALICE)("/meeting", "minutes")
    with pytest.raises(NotFound, match="no minutes of a meeting on Thursday 10 October 2019"):
        m.caller(ALICE)("/meeting", "minutes versions 2019-10-10")
    assert m.session.scalar(select(func.count()).select_from(MinutesVersion)) == 0


def test_the_job_reminds_the_secretariat_the_day_before_and_tells_the_chair_when_late_each_once(minuted: Minuted):
    m = minuted
    _draft(m)
    m.notes.sent.clear()
    sent: list[tuple[str, str, bool]] = []
    for day in (16, 17, 17, 18, 19, 22, 23):  # due Thursday 18 July: 5 working days after Thursday 11 July
        m.clock.set(dt.datetime(2019, 7, day, 9, 0, tzinfo=LONDON))
        chase_minutes(m.session, m.clock, m.notes, m.board)  # type: ignore[arg-type]
        sent += [(f"{day}", s.target, s.data["late"]) for s in m.notes.sent]
        for s in m.notes.sent:
            text = MESSAGES(s.template, s.data)["text"]
            assert ("still a draft (1 day late)" if s.data["late"] else "due to be circulated by Thursday 18") in text
        m.notes.sent.clear()
    assert sent == [("17", SECRETARY, False), ("19", CHAIR, True)]


def test_circulated_minutes_are_not_chased(minuted: Minuted):
    m = minuted
    _draft(m)
    m.caller(SECRETARY)("/meeting", "minutes circulate")
    m.notes.sent.clear()
    for day in (17, 19):
        m.clock.set(dt.datetime(2019, 7, day, 9, 0, tzinfo=LONDON))
        assert chase_minutes(m.session, m.clock, m.notes, m.board).lines == ["no minutes to chase today"]  # type: ignore[arg-type]
    assert not m.notes.sent


def test_the_next_agenda_reviews_the_actions_by_the_item_that_raised_them_and_says_where_the_minutes_stand(
        minuted: Minuted):
    from handlers.agenda import agenda_document
    from handlers.agenda_compile import compile_agenda

    m = minuted
    _draft(m)
    m.caller(ALICE)("/action", "add Book the room for October")  # raised without an item: listed as before
    board, meeting = m.board, m.meeting(dt.date(2019, 10, 10))
    m.session.execute(Action.__table__.update().where(Action.board_id == board.id, Action.meeting_item_id.is_(None))
                      .values(meeting_id=m.held.meeting_id))
    agenda = compile_agenda(m.session, board, meeting, dt.date(2019, 10, 1))
    assert [(g.minute, g.title, [a.ref for a in g.actions]) for g in agenda.review.groups] == [
        ("LSP/19/3", "Skills strategy", [1]), ("LSP/19/4", "Youth violence", [2])]
    assert [a.ref for a in agenda.review.ungrouped] == [3]
    document = agenda_document(agenda)
    word = docx.Document(io.BytesIO(RENDERER.render(document)[0].content))
    markdown = RENDERER.markdown("agenda", document.data)
    paragraphs = [p.text for p in word.paragraphs]
    assert "Minutes of the meeting of Thursday 11 July 2019: draft, to be confirmed." in paragraphs
    assert "Arising from LSP/19/3 3. Skills strategy:" in paragraphs
    assert [[c.text for c in t.rows[1].cells][:2] for t in word.tables[:3]] == [
        ["1", "Send the partners the skills figures (1)"], ["2", "Send the partners the skills figures (2)"],
        ["3", "Book the room for October"]]
    assert markdown.index("**Arising from LSP/19/3 3. Skills strategy:**") < markdown.index("| 1 | Send the partners") \
        < markdown.index("**Arising from LSP/19/4 4. Youth violence:**") < markdown.index("| 3 | Book the room")
    assert "Minutes of the meeting of Thursday 11 July 2019: draft, to be confirmed." in markdown
    shown = json.dumps(MESSAGES("slack/agenda_draft.json.j2", dict(document.data, version=None))["blocks"],
                       ensure_ascii=False)
    assert "• _Arising from LSP/19/3 3. Skills strategy_: #1" in shown and "draft, to be confirmed" in shown


def test_a_meeting_run_with_the_meeting_commands_is_minuted_when_it_ends_and_confirmed_at_the_next(minuted: Minuted):
    """Meeting mode's own commands, end to end: its close drafts the minutes; the next meeting's "Minutes and
    matters arising" agreed confirms them there."""
    m = minuted
    chair = m.caller(CHAIR)
    chair("/plan", "meeting add 2019-07-16 10:00")
    chair("/plan", 'item add 2019-07-16 "Skills strategy" lead:"LB Ealing"')
    secretary = m.caller(SECRETARY)
    m.clock.set(dt.datetime(2019, 7, 16, 10, 5, tzinfo=LONDON))
    secretary("/meeting", "start")
    rows = m.session.scalars(select(MeetingItem).join(Meeting, Meeting.id == MeetingItem.meeting_id)
                             .where(Meeting.date == dt.date(2019, 7, 16)).order_by(MeetingItem.number)).all()
    skills = next(i.number for i in rows if i.title == "Skills strategy")
    secretary("/meeting", f"attend <@{CHAIR}> <@{SECRETARY}> <@{ALICE}> <@{VICE}>")
    secretary("/meeting", f"apologies <@{BOB}>")
    secretary("/meeting", f'item {skills} agreed "Partners adopt the skills strategy"')
    secretary("/meeting", f"note {skills} Alice asked for the figures by ward.")
    secretary("/meeting", f'declare <@{ALICE}> item:{skills} "Governor of Ealing College" left:yes')
    m.caller(ALICE)("/action", f"add Send the figures by ward by 2019-07-31 item:{skills}")
    m.notes.sent.clear()
    secretary("/meeting", "end")
    record = m.session.scalars(select(MeetingRecord).join(Meeting, Meeting.id == MeetingRecord.meeting_id)
                               .where(Meeting.date == dt.date(2019, 7, 16))).one()
    assert record.minutes_status == "draft"
    latest = m.session.scalars(select(MinutesVersion).where(MinutesVersion.meeting_id == record.meeting_id)).one()
    minute = next(i for i in latest.content["items"] if i["title"] == "Skills strategy")
    assert minute["minute"] == f"LSP/19/{skills}" and minute["decision"] == "Partners adopt the skills strategy"
    assert minute["summary"] == "Alice asked for the figures by ward." and minute["actions"][0]["owner"] == "Alice"
    assert minute["declarations"][0]["interest"] == "Governor of Ealing College"
    assert {"Bob"} == {p["name"] for p in latest.content["apologies"]}
    assert [s.kind for s in m.notes.to(SECRETARY) if s.template in ("slack/minutes.json.j2",) or s.kind == "file"] \
        == ["user", "file", "file"]
    m.clock.set(dt.datetime(2019, 10, 10, 10, 5, tzinfo=LONDON))
    secretary("/meeting", "start")
    review = m.session.scalars(select(MeetingItem).join(Meeting, Meeting.id == MeetingItem.meeting_id)
                               .where(Meeting.date == dt.date(2019, 10, 10), MeetingItem.key == "action_review")).one()
    secretary("/meeting", f"item {review.number} agreed")
    m.session.refresh(record)
    assert record.minutes_status == "confirmed" and record.confirmed_at_meeting_id == review.meeting_id


def test_erasing_a_member_from_the_board_reaches_every_version_of_its_minutes(minuted: Minuted):
    m = minuted
    _draft(m)
    m.caller(SECRETARY)("/meeting", "minutes circulate")
    m.caller("UOTHER", OTHER_CHANNEL)("/lsp", f'member add <@{ALICE}|Alice> org:"DWP"')  # she stays on the other
    alice = m.session.scalar(select(Member).where(Member.slack_user_id == ALICE))
    item = m.session.scalar(select(MeetingItem).where(MeetingItem.meeting_id == m.held.meeting_id,
                                                      MeetingItem.key == "plan").limit(1))
    m.session.add(Declaration(meeting_id=m.held.meeting_id, item_id=item.id, member_id=alice.id, name="Alice",
                              interest="Governor of Alice's old school", left_room=False, recorded_by=SECRETARY,
                              recorded_at=DEFAULT_NOW))
    m.session.add(MeetingNote(item_id=item.id, author=ALICE, text="Alice presented the figures",
                              created_at=DEFAULT_NOW))
    m.session.flush()
    m.caller(ADMIN)("/lsp", f'member erase <@{ALICE}> board:"LSP Executive" confirm:yes')
    for version in m.versions():
        m.session.refresh(version)
        text = json.dumps(version.content, ensure_ascii=False) + version.markdown
        assert "Alice" not in text and "Former member" in text, version.version
    m.session.expire_all()
    declared = m.session.scalars(select(Declaration).where(Declaration.meeting_id == m.held.meeting_id)).all()
    assert all(d.member_id != alice.id and "Alice" not in d.name + d.interest for d in declared)
    notes = m.session.scalars(select(MeetingNote).where(MeetingNote.item_id == item.id)).all()
    assert notes and all("Alice" not in n.text and n.author != ALICE for n in notes)
