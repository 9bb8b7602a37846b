"""Meeting mode called directly through the registry's dispatcher: opening a meeting (its items copied in the
agenda's order and posted in its thread), outcomes, notes, declarations, who was there, actions raised at an item,
closing it (deferred and unreached items carried to the next meeting's plan) and the close-meetings job; each
refusal says why and writes nothing. On SQLite and PostgreSQL; the clock reads Tuesday 16 July 2019, 09:30."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from handlers import action_forms, meeting_items, meeting_presence
from handlers.base import Conflict, Forbidden, InvalidInput, NotFound
from jobs.registry import get as get_job
from store import meeting_record as record_store
from handlers.minutes_data import attendance_data
from store.models import (
    Action, Attendance, AuditRecord, Board, Declaration, Meeting, MeetingItem, MeetingNote, MeetingRecord, PlanItem,
)
from tests.support.direct import Caller, RecordingNotifier, seeded_fixtures
from tests.support.settings import ADMIN, DEFAULT_NOW, LONDON

CHANNEL = "CMEET01"
CHAIR, SECRETARY, ALICE, BOB = "UMCHAIR", "UMSECR", "UMALICE", "UMBOB"
TITLES = ["Welcome and apologies", "Partner updates", "Minutes and matters arising: review of actions",
          "Skills strategy", "Community hubs", "Youth services", "Any other business", "Date of next meeting"]


def _seed(caller: Caller) -> None:
    """A board with a chair, a secretary, Alice and Bob; a meeting today at 10:00 with two plan items (Alice leads
    one) and an approved proposal, and the next meeting on 10 October."""
    steps = [
        (ADMIN, "/lsp", f'board create "Meeting Board" chair:<@{CHAIR}|chair> org:"LB Ealing"'),
        (CHAIR, "/lsp", f'member add <@{SECRETARY}|secretary> org:"LB Ealing" role:secretariat'),
        (CHAIR, "/lsp", f'member add <@{ALICE}|alice> org:"Ealing PCT"'),
        (CHAIR, "/lsp", f'member add <@{BOB}|bob> org:"Metropolitan Police"'),
        (CHAIR, "/plan", "meeting add 2019-07-16 10:00"),
        (CHAIR, "/plan", "meeting add 2019-10-10 10:00"),
        (CHAIR, "/plan", 'item add 2019-07-16 "Skills strategy" lead:"LB Ealing"'),
        (CHAIR, "/plan", 'item add 2019-07-16 "Community hubs" lead:"alice" kind:decision'),
        (BOB, "/agenda", 'add "Youth services" lead:"Metropolitan Police" for:2019-07-16'),
        (CHAIR, "/agenda", "approve A1"),
    ]
    for user, command, text in steps:
        caller.as_user(user, CHANNEL)(command, text)


sessions, session = seeded_fixtures(_seed, channel=CHANNEL, label="meeting")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEFAULT_NOW)


@pytest.fixture
def secretary(session: Session, clock: FixedClock) -> Caller:
    return Caller(session, clock, RecordingNotifier(), SECRETARY, CHANNEL)


def counts(session: Session) -> tuple[int, ...]:
    """Rows of everything meeting mode writes, and the audit log."""
    session.flush()
    return tuple(session.scalar(select(func.count()).select_from(m)) or 0
                 for m in (MeetingRecord, MeetingItem, MeetingNote, Declaration, Attendance, AuditRecord, PlanItem))


def refused(caller: Caller, text: str, error: type[Exception], said: str, command: str = "/meeting") -> None:
    """`text` is refused with `error` saying `said`, and nothing is written."""
    before = counts(caller.session)
    with caller.session.begin_nested():
        with pytest.raises(error) as raised:
            caller(command, text)
    assert said in str(raised.value), str(raised.value)
    assert counts(caller.session) == before


def items(session: Session) -> list[MeetingItem]:
    return list(session.scalars(select(MeetingItem).order_by(MeetingItem.number)))


def test_start_copies_the_agenda_and_posts_the_items_in_order_in_the_thread(secretary: Caller, session: Session):
    reply = secretary("/meeting", "start")
    assert "Opened the meeting of Tuesday 16 July 2019: its 8 items" in reply.data["text"]
    record = session.scalar(select(MeetingRecord))
    assert (record.opened_by, record.channel_id, record.closed_at) == (SECRETARY, CHANNEL, None)
    rows = items(session)
    assert [i.title for i in rows] == TITLES
    assert [(i.key, i.ref) for i in rows][3:6] == [("plan", "P1"), ("plan", "P2"), ("proposal", "A1")]
    plan_ids = {title: pid for title, pid in session.execute(select(PlanItem.title, PlanItem.id))}
    assert rows[3].plan_item_id == plan_ids["Skills strategy"] and rows[5].plan_item_id is None
    posts = secretary.notify.to(CHANNEL)
    key = f"meeting:{record.meeting_id}"
    assert (posts[0].template, posts[0].key, posts[0].thread_of) == ("slack/meeting_opened.json.j2", key, None)
    assert [(p.data["item"]["title"], p.thread_of) for p in posts[1:]] == [(t, key) for t in TITLES]
    assert [p.key for p in posts[1:]] == [f"meeting:{record.meeting_id}:item:{n}" for n in range(1, 9)]


def test_start_follows_the_published_agenda(secretary: Caller, session: Session):
    chair = secretary.as_user(CHAIR)
    chair("/agenda", "publish 2019-07-16")
    chair("/plan", 'item add 2019-07-16 "Added after publication" lead:"LB Ealing"')
    secretary("/meeting", "start 2019-07-16")
    assert [i.title for i in items(session)] == TITLES  # as the board saw it, not as compiled now


def test_a_meeting_is_started_once_and_one_at_a_time(secretary: Caller, session: Session):
    secretary("/meeting", "start")
    refused(secretary, "start", Conflict, "is open now")
    refused(secretary, "start 2019-10-10", Conflict, "The meeting of Tuesday 16 July 2019 is still open")
    secretary("/meeting", "end")
    refused(secretary, "start", Conflict, "was held already")


def test_who_may_run_the_meeting_and_what_needs_one_open(secretary: Caller, session: Session):
    alice = secretary.as_user(ALICE)
    refused(alice, "start", Forbidden, "Only the chair, vice-chair or secretariat")
    refused(secretary, "item 4 agreed", NotFound, "has no meeting open")
    refused(secretary, "end", NotFound, "has no meeting open")
    refused(secretary, "start 2019-08-01", NotFound, "no meeting on Thursday 1 August 2019")
    secretary("/meeting", "start")
    for text in ("item 4 agreed", "note 4 A note", "attend <@UMBOB|bob>", "apologies <@UMBOB|bob>",
                 'declare <@UMBOB|bob> item:4 "Trustee"', "end"):
        refused(alice, text, Forbidden, "Only the chair, vice-chair or secretariat")


def test_outcomes_and_their_bad_input(secretary: Caller, session: Session):
    secretary("/meeting", "start")
    reply = secretary("/meeting", 'item 4 agreed "Partners adopt the skills strategy"')
    assert reply.data["text"] == "Item 4, Skills strategy: agreed: “Partners adopt the skills strategy”."
    secretary("/meeting", "item 5 agreed as amended Hubs in Southall first")
    secretary("/meeting", "item 6 deferred")
    rows = items(session)
    assert [(i.outcome, i.decision, i.outcome_by) for i in rows[3:6]] == [
        ("agreed", "Partners adopt the skills strategy", SECRETARY),
        ("agreed as amended", "Hubs in Southall first", SECRETARY), ("deferred", None, SECRETARY)]
    update = secretary.notify.sent[-1]
    assert update.kind == "update" and update.target.endswith(":item:6")
    assert update.data["item"]["outcome"] == "Deferred" and update.data["open"]
    refused(secretary, "item 9 agreed", InvalidInput, "There is no item 9 on the agenda")
    refused(secretary, "item 4 approved", InvalidInput, "“approved” is not an outcome")
    refused(secretary, "item four agreed", Exception, "is not an item number")
    refused(secretary, "note 12 Something", InvalidInput, "There is no item 12")


def test_notes_declarations_and_attendance(secretary: Caller, session: Session):
    secretary("/meeting", "start")
    secretary("/meeting", "note 5 Alice showed the map of sites")
    secretary("/meeting", f'declare <@{BOB}|bob> item:5 "Trustee of Southall Community Alliance" left:yes')
    note = session.scalar(select(MeetingNote))
    assert (note.text, note.author) == ("Alice showed the map of sites", SECRETARY)
    declared = session.scalar(select(Declaration))
    assert (declared.name, declared.interest, declared.left_room) == ("bob", "Trustee of Southall Community Alliance",
                                                                      True)
    shown = secretary.notify.sent[-1].data
    assert shown["declarations"] == [{"name": "bob", "interest": "Trustee of Southall Community Alliance",
                                      "left_room": True}]
    assert shown["notes"] == ["Alice showed the map of sites"]
    secretary("/meeting", f'attend <@{ALICE}|alice> <@{CHAIR}|chair> "Dr Jane Smith (CCG)"')
    secretary("/meeting", f"apologies <@{BOB}|bob>")
    rows = {(a.name, a.presence, a.recorded_by) for a in session.scalars(select(Attendance))}
    assert rows == {("alice", "present", SECRETARY), ("chair", "present", SECRETARY),
                    ("Dr Jane Smith (CCG)", "in attendance", SECRETARY), ("bob", "apologies", SECRETARY)}
    meeting_message = secretary.notify.sent[-1]
    assert meeting_message.data["apologies"] == ["bob"] and "Dr Jane Smith (CCG)" in meeting_message.data["in_attendance"]
    refused(secretary, 'apologies "Someone"', Exception, "apologies are a member's")
    refused(secretary, "attend <@UNOBODY|nobody>", InvalidInput, "is not a member of Meeting Board")


def test_actions_raised_at_the_meeting_know_their_item(secretary: Caller, session: Session):
    secretary("/action", "add Before the meeting")  # no meeting open: no item
    secretary("/meeting", "start")
    secretary("/action", "add Raised first of all")
    secretary("/meeting", "item 4 agreed")
    secretary("/action", f"add Send the strategy to partners <@{ALICE}|alice> by Friday")
    secretary("/action", "add Map the hubs item:5")
    secretary("/meeting", "note 6 Discussed")
    secretary("/action", "add Ask the police for figures")
    record = session.scalar(select(MeetingRecord))
    by_text = {a.text: (a.meeting_id, a.meeting_item_id) for a in session.scalars(select(Action))}
    number = {i.id: i.number for i in items(session)}
    assert by_text["Before the meeting"][1] is None
    assert by_text["Raised first of all"] == (record.meeting_id, None)
    assert [(by_text[t][0], number[by_text[t][1]]) for t in ("Send the strategy to partners", "Map the hubs",
                                                               "Ask the police for figures")] == [
        (record.meeting_id, 4), (record.meeting_id, 5), (record.meeting_id, 6)]
    refused(secretary, "add Something item:42", InvalidInput, "There is no item 42", command="/action")


def test_an_action_added_in_the_fortnight_after_a_meeting_arose_from_it(session: Session):
    """With no meeting open, an action added on a meeting's day or in the 14 days after it arose from it; one added
    before it, or from the 15th day on, from none."""
    july = session.scalar(select(Meeting.id).where(Meeting.date == dt.date(2019, 7, 16)))

    def added(day: dt.date, text: str) -> int | None:
        at = FixedClock(dt.datetime.combine(day, dt.time(12), LONDON))
        Caller(session, at, RecordingNotifier(), SECRETARY, CHANNEL)("/action", f"add {text}")
        return session.scalar(select(Action.meeting_id).where(Action.text == text))

    assert added(dt.date(2019, 7, 15), "The day before") is None
    assert added(dt.date(2019, 7, 16), "On the day") == july
    assert added(dt.date(2019, 7, 30), "Fourteen days after") == july
    assert added(dt.date(2019, 7, 31), "Fifteen days after") is None


def test_end_carries_deferred_and_unreached_items_to_the_next_meeting(secretary: Caller, session: Session):
    secretary("/meeting", "start")
    secretary("/meeting", "item 4 agreed")
    secretary("/meeting", "item 5 deferred")  # Community hubs, led by alice: she is told
    reply = secretary("/meeting", "end")
    text = reply.data["text"]
    assert "Closed the meeting of Tuesday 16 July 2019" in text and "1 agreed" in text and "1 deferred" in text
    assert "Carried to the meeting of Thursday 10 October 2019: “Community hubs” (deferred), “Youth services” " \
           "(not reached)." in text
    record = session.scalar(select(MeetingRecord))
    assert (record.closed_by, record.closed_at) == (SECRETARY, DEFAULT_NOW)
    october = session.scalar(select(Meeting).where(Meeting.date == dt.date(2019, 10, 10)))
    carried = {p.title: p for p in session.scalars(select(PlanItem).where(PlanItem.meeting_id == october.id))}
    assert carried["Community hubs"].history == [{"from": "2019-07-16", "why": "deferred"}]
    assert carried["Youth services"].history == [{"from": "2019-07-16", "why": "not reached"}]
    assert (carried["Community hubs"].lead, carried["Community hubs"].kind) == ("alice", "for decision")
    rows = items(session)
    assert rows[4].carried_to_id == carried["Community hubs"].id and rows[3].carried_to_id is None
    assert all(i.carried_to_id is None for i in rows[:4] + rows[6:])  # agreed, or recurring entries
    shown = {s.data["item"]["number"]: (s.data["item"]["carried"], s.data["open"]) for s in secretary.notify.sent
             if s.template == "slack/meeting_item.json.j2"}  # each item's message as it was last shown
    assert shown == {n: (n in (5, 6), False) for n in range(1, 9)}
    told = secretary.notify.to(ALICE)
    assert [t.template for t in told] == ["slack/meeting_carried.json.j2"]
    assert told[0].data["title"] == "Community hubs" and told[0].data["why"] == "deferred"
    shown = secretary("/plan", "")
    october_items = next(m for m in shown.data["meetings"] if m["date"] == dt.date(2019, 10, 10))["items"]
    assert {i["title"]: i["carried"] for i in october_items} == {
        "Community hubs": "deferred from 16 July 2019", "Youth services": "deferred from 16 July 2019 (not reached)"}
    draft = secretary.as_user(CHAIR)("/agenda", "draft 2019-10-10")
    notes = {e.title: e.note for e in draft.documents[0].data["entries"]}
    assert notes["Community hubs"] == "Deferred from 16 July 2019"
    secretary("/meeting", "start 2019-10-10")  # and on its message in the October meeting's thread
    posted = {p.data["item"]["title"]: p.data["item"]["history"] for p in secretary.notify.to(CHANNEL)
              if p.template == "slack/meeting_item.json.j2" and p.kind == "channel"}
    assert posted["Community hubs"] == "deferred from 16 July 2019"
    assert posted["Youth services"] == "deferred from 16 July 2019 (not reached)"


def test_the_close_job_closes_a_meeting_left_open_at_the_end_of_its_day(secretary: Caller, session: Session,
                                                                        clock: FixedClock):
    secretary("/meeting", "start")
    secretary("/meeting", "item 4 noted")
    board = session.scalar(select(Board))
    job = get_job("close-meetings")
    assert job.id == "close-meetings" and job.every_day
    notify = RecordingNotifier()
    clock.set(dt.datetime(2019, 7, 16, 20, 0, tzinfo=LONDON))
    record = session.scalar(select(MeetingRecord))
    # Run as the job runs, with a recording notifier in place of the outbox (the job only queues through it).
    report = job.run(session, clock, notify, board)  # type: ignore[arg-type]
    assert report.lines == ["closed the meeting of Tue 16 Jul 2019, left open at the end of its day"]
    assert (record.closed_by, record.closed_at) == ("lspbot", clock.now())
    assert "slack/minutes.json.j2" in [t.template for t in notify.to(SECRETARY)]  # the draft minutes
    told = [t for t in notify.to(SECRETARY) if t.template == "slack/meeting_closed_by_job.json.j2"]
    assert len(told) == 1
    assert {"outcome": "noted", "count": 1} in told[0].data["counts"]
    assert len(told[0].data["carried"]) == 2
    assert job.run(session, clock, notify, board).lines == ["no meeting left open"]  # type: ignore[arg-type]


def test_the_close_job_leaves_a_meeting_whose_day_is_not_over(secretary: Caller, session: Session,
                                                              clock: FixedClock):
    secretary("/meeting", "start 2019-10-10")  # opened early, for a meeting to come
    board = session.scalar(select(Board))
    report = get_job("close-meetings").run(session, clock, RecordingNotifier(), board)  # type: ignore[arg-type]
    assert report.lines == ["no meeting left open"]
    assert session.scalar(select(MeetingRecord)).closed_at is None


def test_quorum_from_who_is_present(secretary: Caller, session: Session):
    secretary.as_user(CHAIR)("/lsp", "board set quorum members:1/2")  # of chair, alice and bob: 2 needed
    secretary("/meeting", "start")
    record = session.scalar(select(MeetingRecord))
    secretary("/meeting", f"attend <@{ALICE}|alice>")
    assert record.quorate is False
    secretary("/meeting", f"attend <@{BOB}|bob>")
    assert record.quorate is True
    assert secretary.notify.sent[-1].data["quorate"] is True  # the meeting's message says so


def test_a_substitute_named_before_the_meeting_takes_the_seat(secretary: Caller, session: Session):
    """Bob named a substitute by name and address before the meeting: recorded present by that name, they sit for
    him (the meeting's message, the quorum, the minutes), not as someone merely in attendance."""
    secretary.as_user(CHAIR)("/lsp", "board set quorum members:1/2 orgs:2")  # of chair, alice and bob
    secretary.as_user(BOB)("/meeting", 'reply substitute "Sam Patel" email:sam.patel@met.police.uk 2019-07-16')
    secretary("/meeting", "start")
    secretary("/meeting", f'attend <@{CHAIR}|chair> "sam  patel" "Dr Jane Smith (CCG)"')
    seat = session.scalar(select(Attendance).where(Attendance.name == "Sam Patel", Attendance.member_id.is_(None)))
    bob = session.scalar(select(Attendance).where(Attendance.name == "bob"))
    assert seat is not None and bob is not None
    assert (seat.presence, seat.substitute_for_id, seat.organisation_id) == ("present", bob.member_id,
                                                                           bob.organisation_id)
    message = secretary.notify.sent[-1].data
    assert message["present"] == ["chair", "Sam Patel (for bob)"] and message["in_attendance"] == ["Dr Jane Smith (CCG)"]
    assert session.scalar(select(MeetingRecord)).quorate is True  # two seats, LB Ealing and the police
    minutes = attendance_data(session, session.get(Meeting, seat.meeting_id))
    assert minutes["substitutes"] == [{"name": "Sam Patel", "organisation": "Metropolitan Police", "for": "bob"}]
    assert [p["name"] for p in minutes["in_attendance"]] == ["Dr Jane Smith (CCG)"]


def test_end_drafts_the_minutes_and_the_next_meeting_confirms_them(secretary: Caller, session: Session):
    secretary("/meeting", "start")
    secretary("/meeting", "item 4 agreed")
    secretary("/meeting", "end")
    july = session.scalar(select(MeetingRecord))
    assert july.minutes_status == "draft" and items(session)[3].minute_number is not None
    secretary("/meeting", "start 2019-10-10")
    reply = secretary("/meeting", "item 3 agreed")  # "Minutes and matters arising" at the next meeting
    assert "The minutes of the last meeting are confirmed." in reply.data["text"]
    session.refresh(july)
    october = session.scalar(select(Meeting).where(Meeting.date == dt.date(2019, 10, 10)))
    assert (july.minutes_status, july.confirmed_by, july.confirmed_at_meeting_id) == ("confirmed", SECRETARY,
                                                                                      october.id)


def test_a_second_open_meeting_is_refused_by_the_database(secretary: Caller, session: Session):
    """Two replicas opening meetings of one board at once: the partial unique index lets one in; the other's
    insert fails inside its savepoint, and its unit of work goes on."""
    secretary("/meeting", "start")
    record = session.scalar(select(MeetingRecord))
    october = session.scalar(select(Meeting).where(Meeting.date == dt.date(2019, 10, 10)))
    assert record_store.open_meeting(session=session, board_id=record.board_id, meeting_id=october.id, by=CHAIR,
                                     now=DEFAULT_NOW, channel_id=CHANNEL) is None
    assert session.scalar(select(func.count()).select_from(MeetingRecord)) == 1


def test_the_add_action_button_and_the_presence_form(secretary: Caller, session: Session):
    secretary("/meeting", "start")
    record = session.scalar(select(MeetingRecord))
    opened = meeting_items.handle_add_action_button(secretary.request(value=f"{record.meeting_id}|5")).open_modal
    assert opened is not None and opened["data"]["meeting_item"]["number"] == 5
    board = session.scalar(select(Board))
    metadata = json.dumps({"board_id": board.id, "permalink": "", "meeting_item_id": opened["data"]["meeting_item"]["id"]})
    submitted = secretary.request(private_metadata=metadata, owner=ALICE)
    submitted.values["text"] = "Map the hubs"  # the form's field (a request's own `text` is a command's)
    action_forms.handle_action_modal_submit(submitted)
    action = session.scalar(select(Action).where(Action.text == "Map the hubs"))
    assert (action.meeting_id, action.meeting_item_id) == (record.meeting_id, items(session)[4].id)

    form = meeting_presence.handle_presence_button(secretary.request(value=str(record.meeting_id))).open_modal
    assert form is not None and [m["value"] for m in form["data"]["members"]] == [ALICE, BOB, CHAIR, SECRETARY]
    meta = form["data"]["metadata"]
    with session.begin_nested(), pytest.raises(InvalidInput, match="both present and sending apologies"):
        meeting_presence.handle_presence_submission(secretary.request(private_metadata=meta, present=[ALICE],
                                                                      apologies=[ALICE]))
    meeting_presence.handle_presence_submission(secretary.request(
        private_metadata=meta, present=[ALICE, CHAIR], apologies=[BOB], in_attendance="Sam Patel (CCG)\n\n"))
    rows = {(a.name, a.presence) for a in session.scalars(select(Attendance))}
    assert rows == {("alice", "present"), ("chair", "present"), ("bob", "apologies"),
                    ("Sam Patel (CCG)", "in attendance")}
    assert record.attendance_recorded_at == DEFAULT_NOW
    again = meeting_presence.handle_presence_button(secretary.request(value=str(record.meeting_id)))
    assert again.open_modal is None and "/meeting attend" in again.data["text"]  # once


def test_two_starts_at_once_open_one_meeting(sessions: sessionmaker[Session]):
    """Two people start meetings of the board at the same moment (two replicas): one opens, the other is refused
    and writes nothing. On PostgreSQL the second cannot see the first's uncommitted record, and the partial unique
    index stops its insert once the first commits; on SQLite the second waits for the write lock and finds the
    meeting open."""
    first, second = sessions(), sessions()
    refusal: list[Exception] = []

    def start_second() -> None:
        try:
            Caller(second, FixedClock(DEFAULT_NOW), RecordingNotifier(), CHAIR, CHANNEL)("/meeting", "start 2019-10-10")
        except Conflict as exc:
            refusal.append(exc)
        finally:
            second.rollback()

    try:
        Caller(first, FixedClock(DEFAULT_NOW), RecordingNotifier(), SECRETARY, CHANNEL)("/meeting", "start")
        racer = threading.Thread(target=start_second)
        racer.start()
        time.sleep(0.5)  # the second start is waiting on the first (PostgreSQL: its insert; SQLite: the lock)
        first.commit()
        racer.join(20)
        assert len(refusal) == 1, "the second start was not refused"
        said = str(refusal[0])
        if first.get_bind().dialect.name == "postgresql":
            assert "opened a moment ago by someone else" in said, said
        else:
            assert "is still open" in said, said
        assert first.scalar(select(func.count()).select_from(MeetingRecord)) == 1
    finally:  # the module's boards stay as seeded for the other tests
        first.rollback()
        first.execute(delete(MeetingItem))
        first.execute(delete(MeetingRecord))
        first.execute(delete(AuditRecord).where(AuditRecord.entity == "meeting_record"))
        first.commit()
        first.close()
        second.close()
