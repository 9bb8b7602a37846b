"""A forward-plan item's paper, confidentiality and urgency, called directly through the dispatcher: `paper:yes
author:@x`, the lead as author, `/plan item paper|private|urgent`, the refusals, what `/plan` shows, and the
urgent reason the minutes take up. The clock reads Tuesday 16 July 2019, 09:30 in London."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import FixedClock
from bot.render.documents import DocumentRenderer
from handlers.base import Forbidden, InvalidInput, UsageError
from handlers.minutes import draft_minutes
from handlers.minutes_data import minutes_document
from store import files, meetings, packs
from store import minutes as minutes_store
from store import plan as plan_store
from store.models import Board, Meeting, MeetingItem, PlanItem
from tests.support.direct import Caller, RecordingNotifier, seeded_fixtures
from tests.support.held_meeting import hold_meeting

CHANNEL = "CPAPPLAN"
CHAIR, VICE, SECRETARY, ALICE, OUTSIDER = "UPPCHAIR", "UPPVICE", "UPPSECR", "UPPALICE", "UPPOUT"
BOARD = "Paper Plan Board"


def _seed(caller: Caller) -> None:
    for user, text in [
        (caller.user_id, f'board create "{BOARD}" chair:<@{CHAIR}|chair> org:"LB Ealing"'),
        (CHAIR, f'member add <@{SECRETARY}|secretary> org:"LB Ealing" role:secretariat'),
        (CHAIR, f'member add <@{VICE}|vice> org:"DWP" role:vice-chair'),
        (CHAIR, f'member add <@{ALICE}|alice> org:"Ealing PCT"'),
    ]:
        caller.as_user(user, CHANNEL)("/lsp", text)
    caller.as_user(CHAIR, CHANNEL)("/plan", "meeting add 2019-10-10 10:00")


sessions, session = seeded_fixtures(_seed, channel=CHANNEL, label="papers_plan")


@pytest.fixture
def chair(session: Session, clock: FixedClock) -> Caller:
    return Caller(session, clock, RecordingNotifier(), CHAIR, CHANNEL)


def _item(session: Session, ref: str) -> PlanItem:
    board = session.query(Board).filter_by(name=BOARD).one()
    found = plan_store.get_item(session=session, board_id=board.id, ref=int(ref.lstrip("P")))
    assert found is not None
    return found


def _add(caller: Caller, text: str) -> PlanItem:
    reply = caller("/plan", f"item add 2019-10-10 {text}")
    return _item(caller.session, reply.data["item"]["ref"])


def test_paper_yes_with_a_member_as_author_records_who_writes_it(chair: Caller) -> None:
    item = _add(chair, f'"Skills strategy" lead:"LB Ealing" paper:yes author:<@{ALICE}|alice>')
    assert item.paper_required and item.paper_author is not None
    assert item.paper_author.slack_user_id == ALICE and item.report_author == "alice"
    assert not item.private and item.urgent_reason is None


def test_author_as_free_text_stays_the_report_author_without_a_paper(chair: Caller) -> None:
    item = _add(chair, '"Youth offer" lead:"LB Ealing" author:"Jo Bloggs, Head of Youth"')
    assert item.report_author == "Jo Bloggs, Head of Youth"
    assert not item.paper_required and item.paper_author_id is None


def test_paper_yes_without_an_author_falls_to_the_lead_if_a_member_else_is_refused(chair: Caller) -> None:
    item = _add(chair, f'"Health update" lead:<@{ALICE}|alice> paper:yes')
    assert item.paper_author is not None and item.paper_author.slack_user_id == ALICE
    with pytest.raises(UsageError, match="Who writes the paper"):
        chair("/plan", 'item add 2019-10-10 "Budget" lead:"LB Ealing" paper:yes')
    with pytest.raises(UsageError, match="Who writes the paper"):
        chair("/plan", f'item add 2019-10-10 "Budget" lead:"LB Ealing" paper:yes author:<@{OUTSIDER}|out>')
    with pytest.raises(InvalidInput, match="yes or no"):
        chair("/plan", 'item add 2019-10-10 "Budget" lead:"LB Ealing" paper:maybe')


def test_a_confidential_item_needs_its_reason(chair: Caller) -> None:
    item = _add(chair, '"Staffing" lead:"LB Ealing" private:yes reason:"Information relating to an individual"')
    assert item.private and item.private_reason == "Information relating to an individual"
    with pytest.raises(UsageError, match="Why is it confidential"):
        chair("/plan", 'item add 2019-10-10 "Contracts" lead:"LB Ealing" private:yes')
    with pytest.raises(UsageError, match="goes with `private:yes`"):
        chair("/plan", 'item add 2019-10-10 "Contracts" lead:"LB Ealing" reason:"because"')


def test_plan_item_paper_and_private_change_an_item(chair: Caller) -> None:
    item = _add(chair, '"Skills" lead:"LB Ealing"')
    ref = f"P{item.ref}"
    reply = chair("/plan", f"item paper {ref} <@{ALICE}|alice>")
    assert item.paper_required and item.paper_author is not None and item.paper_author.slack_user_id == ALICE
    assert reply.data["item"]["paper"] and reply.data["item"]["paper_author"] == "alice"
    with pytest.raises(InvalidInput, match="not a member"):
        chair("/plan", f"item paper {ref} <@{OUTSIDER}|out>")
    chair("/plan", f"item paper {ref} none")
    assert not item.paper_required and item.paper_author_id is None
    chair("/plan", f'item private {ref} reason:"Commercially sensitive"')
    assert item.private and item.private_reason == "Commercially sensitive"
    with pytest.raises(UsageError, match="Why is it confidential"):
        chair("/plan", f"item private {ref}")
    chair("/plan", f"item private {ref} no")
    assert not item.private and item.private_reason is None
    with pytest.raises(Forbidden):
        chair.as_user(ALICE)("/plan", f"item paper {ref} none")


def test_plan_shows_the_paper_its_author_and_a_lock_on_confidential_items(chair: Caller) -> None:
    _add(chair, f'"Skills strategy" lead:"LB Ealing" paper:yes author:<@{ALICE}|alice>')
    _add(chair, '"Staffing" lead:"LB Ealing" private:yes reason:"Information relating to an individual"')
    reply = chair("/plan", "")
    shown = {i["title"]: i for m in reply.data["meetings"] for i in m["items"]}
    assert shown["Skills strategy"]["paper"] and shown["Skills strategy"]["paper_author"] == "alice"
    assert shown["Staffing"]["private_reason"] == "Information relating to an individual"


def test_the_plan_reads_as_rows_what_its_entities_hold(chair: Caller) -> None:
    """The forward plan's reads as plain rows (meetings with their host, items with their paper's author, standing
    items) give what the ORM entities hold, including a change the unit of work has not flushed yet."""
    _add(chair, f'"Skills strategy" lead:"LB Ealing" paper:yes author:<@{ALICE}|alice>')
    _add(chair, '"Staffing" lead:"LB Ealing" private:yes reason:"Information relating to an individual"')
    chair("/plan", 'standing add "Performance" lead:"LB Ealing"')
    session = chair.session
    board = session.query(Board).filter_by(name=BOARD).one()
    meeting = session.scalars(select(Meeting).where(Meeting.board_id == board.id)).one()
    meeting.theme = "Skills"  # not flushed: the rows see it all the same
    start = dt.date(2019, 1, 1)
    entities = meetings.list_between(session=session, board_id=board.id, start=start)
    rows = meetings.lines_between(session=session, board_id=board.id, start=start)
    assert [(m.id, m.date, m.starts_at, m.venue, m.theme, m.host_organisation.name if m.host_organisation else None)
            for m in entities] == [(m.id, m.date, m.starts_at, m.venue, m.theme,
                                    m.host_organisation.name if m.host_organisation else None) for m in rows]
    assert rows[0].theme == "Skills"
    assert rows == meetings.lines_between(session=session, board_id=board.id, start=start, end=dt.date(2019, 12, 31))
    assert meetings.lines_between(session=session, board_id=board.id, start=start, end=dt.date(2019, 10, 9)) == []
    items = plan_store.items_for_meetings(session=session, meeting_ids=[meeting.id])[meeting.id]
    assert plan_store.plan_lines(session=session, meeting_ids=[meeting.id])[meeting.id] == [
        plan_store.PlanLine(i.meeting_id, i.ref, i.title, i.lead, i.kind, i.report_author, i.lead_links, i.history,
                            i.paper_required, i.paper_author.display_name if i.paper_author else None, i.private,
                            i.private_reason, i.urgent_reason) for i in items]
    standing = plan_store.standing_items(session=session, board_id=board.id)
    assert [(s.ref, s.title) for s in standing] == [(1, "Performance")]
    for given in (entities, rows):
        falling = plan_store.standing_for_meetings(session=session, board_id=board.id, meetings=given)
        assert {mid: [(s.ref, s.title, s.every, s.starts_on) for s in found] for mid, found in falling.items()} == {
            meeting.id: [(s.ref, s.title, s.every, s.starts_on) for s in standing]}


def _publish_pack(session: Session, item: PlanItem, now: dt.datetime) -> None:
    stored = files.put(session=session, content=b"%PDF-1.4 pack", content_type="application/pdf", now=now)
    pack = packs.save(session=session, board_id=item.board_id, meeting_id=item.meeting_id, number=0,
                      audience=packs.PUBLIC, file=stored, filename="pack.pdf", pages=1, contents=[], separate=[],
                      now=now)
    pack.published_at, pack.published_by = now, CHAIR
    session.flush()


def test_after_publication_only_the_chair_or_a_vice_chair_adds_an_item_as_urgent(chair: Caller,
                                                                                  clock: FixedClock) -> None:
    first = _add(chair, '"Skills" lead:"LB Ealing"')
    with pytest.raises(UsageError, match="not published yet"):
        chair("/plan", 'item add 2019-10-10 "Early" lead:"LB Ealing" urgent:"no reason"')
    _publish_pack(chair.session, first, clock.now())
    with pytest.raises(Forbidden, match="Only the chair or a vice-chair"):
        chair.as_user(SECRETARY)("/plan", 'item add 2019-10-10 "Late" lead:"LB Ealing" urgent:"Grant deadline"')
    with pytest.raises(UsageError, match="urgent business"):
        chair("/plan", 'item add 2019-10-10 "Late" lead:"LB Ealing"')
    late = _add(chair.as_user(VICE), '"Late" lead:"LB Ealing" urgent:"Grant deadline before the next meeting"')
    assert late.urgent_reason == "Grant deadline before the next meeting"
    with pytest.raises(Forbidden, match="chair or a vice-chair"):
        chair.as_user(SECRETARY)("/plan", f'item urgent P{first.ref} reason:"Because"')
    with pytest.raises(UsageError, match="Why is it urgent"):
        chair("/plan", f"item urgent P{first.ref}")
    reply = chair("/plan", f'item urgent P{first.ref} reason:"Statutory deadline"')
    assert first.urgent_reason == "Statutory deadline" and reply.data["item"]["urgent"] == "Statutory deadline"
    # the minutes take up the reason of each urgent item
    reasons = minutes_store.urgent_reasons(session=chair.session, plan_item_ids=[first.id, late.id])
    assert reasons == {first.id: "Statutory deadline", late.id: "Grant deadline before the next meeting"}


def test_the_minutes_record_the_reason_an_item_was_taken_as_urgent(chair: Caller, clock: FixedClock) -> None:
    session = chair.session
    board = session.query(Board).filter_by(name=BOARD).one()
    held = hold_meeting(session, board, dt.date(2019, 7, 11), now=clock.now())
    meeting = session.get_one(Meeting, held.meeting_id)
    planned = plan_store.add_item(session=session, board_id=board.id, meeting=meeting, title="Grant bid", lead="",
                                  lead_links=[], kind="for decision", now=clock.now())
    planned.urgent_reason = "The bid closes before the next meeting"
    taken = session.scalars(select(MeetingItem).where(MeetingItem.meeting_id == meeting.id,
                                                      MeetingItem.key == "plan")).first()
    assert taken is not None
    taken.plan_item_id = planned.id
    session.flush()
    version = draft_minutes(session, chair.notify, board, meeting, clock.now())
    files = {f.filename.rsplit(".", 1)[-1]: f.content for f in DocumentRenderer().render(
        minutes_document(version.content, version.version, version.kind))}
    assert "**Urgent item:** The bid closes before the next meeting" in files["md"].decode()
    word = docx.Document(io.BytesIO(files["docx"]))
    assert "Urgent item: The bid closes before the next meeting" in "\n".join(p.text for p in word.paragraphs)


def test_an_item_moved_onto_a_published_agenda_is_urgent_business(chair: Caller, clock: FixedClock) -> None:
    chair("/plan", "meeting add 2019-11-14 10:00")
    target = _add(chair, '"Already there" lead:"LB Ealing"')
    moving = _add(chair, '"Skills" lead:"LB Ealing"')
    chair("/plan", f"item move P{target.ref} 2019-11-14")
    _publish_pack(chair.session, target, clock.now())
    with pytest.raises(UsageError, match="urgent business"):
        chair("/plan", f"item move P{moving.ref} 2019-11-14")
    with pytest.raises(Forbidden, match="chair or a vice-chair"):
        chair.as_user(SECRETARY)("/plan", f'item move P{moving.ref} 2019-11-14 urgent:"Deadline"')
    chair("/plan", f'item move P{moving.ref} 2019-11-14 urgent:"Deadline"')
    assert moving.urgent_reason == "Deadline" and moving.meeting.date == dt.date(2019, 11, 14)
