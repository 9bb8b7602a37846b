"""The agenda pack: the PDF itself (opened with pypdf: pages, the item headers, the agenda's page references, the
page numbers), Word papers with and without LibreOffice, a paper that is not a PDF, and the publication clock run
by the compile-agendas job on a settable clock (the approval ask the working day before publication across a bank
holiday, publication when approved, the daily note when not, Approve after the date), the public pack without the
confidential item and the members' pack with it, a late paper's supplementary pack, `/agenda pack`, and the uploads
reaching Slack."""

from __future__ import annotations

import datetime as dt
import io
import re

import docx
import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas
from sqlalchemy import select

from bot.clock import FixedClock
from bot.render.pack import PackBuilder, safe_text
from bot.runtime import Runtime, run_command, run_handler, run_later
from bot.services.scheduler import run_job
from handlers import packs
from handlers.pack_spec import PDF, WORD_TYPES, PackEntry, PackPaper, PackSpec
from jobs.registry import JOBS
from store import agenda as agenda_store
from store import boards, db
from store import files as files_store
from store import packs as pack_store
from store import papers as paper_store
from store.models import Meeting, PlanItem
from store.outbox import FILE_ID
from tests.support.delivery import queued_since, sender_for
from tests.support.fake_slack import FakeSlack
from tests.support.settings import ADMIN, LONDON
from tests.support.slack_requests import blocks_text

DOCX = WORD_TYPES[0]
JOB = JOBS["compile-agendas"]


def pdf_paper(pages: int, label: str, *, size: tuple[float, float] = A4) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=size)
    for n in range(pages):
        pdf.drawString(100, 400, f"{label} page {n + 1}")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def word_paper(text: str) -> bytes:
    document = docx.Document()
    document.add_heading("Report for Executive Board", 1)
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def spec_with(entries: list[PackEntry]) -> PackSpec:
    return PackSpec(board="Leeds Strategic Partnership — Executive", date=dt.date(2019, 10, 14), time="14:00",
                    venue="Civic Hall, Leeds", title="Agenda pack", published=dt.date(2019, 10, 4), entries=entries)


def texts(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def agenda_refs(pages: list[str]) -> dict[str, int]:
    """The agenda's page reference of each titled item: the number the line after `N.` carries, by title."""
    found = {}
    for text in pages[1:3]:
        for match in re.finditer(r"^(\d+)\.\n(\d+)\n(.+)$", text, re.M):
            found[match.group(3).strip()] = int(match.group(2))
    return found


# ---------------------------------------------------------------- the PDF


def entries() -> list[PackEntry]:
    return [
        PackEntry(1, "Welcome, introductions and apologies", lead="Chair"),
        PackEntry(2, "Budget “2020/21” — £4.2m", lead="Ann Smith", kind="decision",
                  paper=PackPaper("budget.pdf", pdf_paper(3, "Budget"), PDF)),
        PackEntry(3, "Housing strategy", lead="LB Ealing", kind="discussion",
                  paper=PackPaper("housing.docx", word_paper("The housing paper's own words."), DOCX)),
        PackEntry(4, "Skills plan", lead="Ealing PCT", kind="information",
                  paper=PackPaper("skills.pdf", pdf_paper(2, "Skills", size=landscape(A4)), PDF)),
        PackEntry(5, "Community safety", kind="discussion", paper=PackPaper("safety.pdf", pdf_paper(1, "Safety"), PDF)),
        PackEntry(6, "Any other business"),
    ]


def test_a_pack_of_pdf_and_word_papers_has_its_headers_references_and_page_numbers():
    built = PackBuilder().build(spec_with(entries()))
    pages = texts(built.content)
    assert built.pages == len(pages) == 2 + 3 + 1 + 2 + 1  # cover, agenda, then the papers
    assert not built.separate and not built.broken
    assert "Agenda pack" in pages[0] and "Monday 14 October 2019" in pages[0] and "Civic Hall, Leeds" in pages[0]
    assert "14:00" in pages[0] and "Published Friday 4 October 2019" in pages[0]
    assert [(n, p.first_page, p.pages) for n, p in sorted(built.places.items())] == [
        (2, 3, 3), (3, 6, 1), (4, 7, 2), (5, 9, 1)]
    refs = agenda_refs(pages)
    assert refs == {"Budget “2020/21” — £4.2m": 3, "Housing strategy": 6, "Skills plan": 7, "Community safety": 9}
    by_title = {e.title: e for e in entries()}
    for title, first in refs.items():
        entry = by_title[title]
        place = built.places[entry.number]
        for page in range(first, first + place.pages):
            assert f"Item {entry.number} — {title}" in pages[page - 1]
    assert "Budget page 1" in pages[2] and "Budget page 3" in pages[4]
    assert "The housing paper's own words." in pages[5]
    assert "Skills page 2" in pages[7] and "Safety page 1" in pages[8]
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {built.pages}" in text
    assert "Item" not in pages[0] and "Item" not in pages[1]


def test_without_libreoffice_a_word_paper_is_listed_as_sent_separately():
    built = PackBuilder("/nonexistent/soffice").build(spec_with(entries()))
    pages = texts(built.content)
    assert [e.paper.filename for e in built.separate if e.paper] == ["housing.docx"]
    assert built.pages == len(pages) == 2 + 3 + 2 + 1
    assert "Paper sent separately: housing.docx" in pages[1]
    assert agenda_refs(pages) == {"Budget “2020/21” — £4.2m": 3, "Skills plan": 6, "Community safety": 8}
    assert not any("Housing strategy" in page for page in pages[2:])


def test_a_paper_that_is_not_a_pdf_is_left_out_with_a_line_in_the_agenda():
    broken = entries()
    broken[4].paper = PackPaper("safety.pdf", b"%PDF-1.4 this is not a PDF at all", PDF)
    built = PackBuilder("/nonexistent/soffice").build(spec_with(broken))
    pages = texts(built.content)
    assert [(e.number, "safety.pdf could not be read" in why) for e, why in built.broken] == [(5, True)]
    assert "Paper not included: the file could not be read" in pages[1]
    assert 5 not in built.places and built.pages == 2 + 3 + 2


def test_text_outside_the_standard_fonts_is_written_plainly():
    assert safe_text("Café — “Ősz” £5 €") == "Café — “Osz” £5 €"
    assert safe_text("東京 report") == "?? report"


# ---------------------------------------------------------------- the clock

CHANNEL = "CPACKS1"
CHAIR, VICE, SECRETARY, ALICE = "UPKCHAIR", "UPKVICE", "UPKSECR", "UPKALICE"
MEETING = dt.date(2019, 5, 15)  # a Wednesday: published Tuesday 7 May, asked Friday 3 May (6 May a bank holiday)


def command(runtime: Runtime, user: str, name: str, text: str):
    outcome = run_command(runtime, name, user_id=user, channel_id=CHANNEL, text=text)
    assert outcome.ok, blocks_text(outcome.payload)
    return outcome


def add_paper(runtime: Runtime, board_id: int, ref: int, filename: str, content: bytes, content_type: str,
              now: dt.datetime) -> int:
    with db.session_scope(runtime.sessions) as session:
        item = session.scalars(select(PlanItem).where(PlanItem.board_id == board_id, PlanItem.ref == ref)).one()
        stored = files_store.put(session=session, content=content, content_type=content_type, now=now)
        paper = paper_store.add_version(session=session, item=item, file=stored, filename=filename,
                                        content_type=content_type, pages=None, submitted_by=ALICE,
                                        submitted_by_id=None, now=now)
        return paper.id


def setup_board(runtime: Runtime, clock: FixedClock) -> tuple[int, int]:
    """A board with a chair, a vice-chair, a secretariat and a member; the meeting on 15 May 2019 with three items,
    the second confidential, each with a PDF paper."""
    clock.set(dt.datetime(2019, 4, 1, 10, 0, tzinfo=LONDON))
    command(runtime, ADMIN, "/lsp", f'board create "Pack Board" chair:<@{CHAIR}|chair> org:"LB Ealing"')
    for user, role in ((VICE, "vice-chair"), (SECRETARY, "secretariat"), (ALICE, "member")):
        command(runtime, CHAIR, "/lsp", f'member add <@{user}|{user.lower()}> org:"LB Ealing" role:{role}')
    command(runtime, CHAIR, "/plan", f"meeting add {MEETING.isoformat()} 14:00")
    for title in ("Budget 2019/20", "Sale of the depot site", "Skills plan"):
        command(runtime, CHAIR, "/plan", f'item add {MEETING.isoformat()} "{title}" lead:"LB Ealing" kind:decision')
    with db.session_scope(runtime.sessions) as session:
        board = boards.get_by_channel(session=session, channel_id=CHANNEL)
        assert board is not None
        items = list(session.scalars(select(PlanItem).where(PlanItem.board_id == board.id).order_by(PlanItem.ref)))
        items[1].private, items[1].private_reason = True, "Information about financial affairs (para 3)"
        meeting_id = session.scalars(select(Meeting.id).where(Meeting.board_id == board.id)).one()
        board_id = board.id
    now = clock.now()
    for item, (label, pages) in zip(items, (("Budget", 2), ("Depot", 3), ("Skills", 1)), strict=True):
        add_paper(runtime, board_id, item.ref, f"{label.lower()}.pdf", pdf_paper(pages, label), PDF, now)
    return board_id, meeting_id


def run_days(runtime: Runtime, clock: FixedClock, board_id: int, first: dt.date, last: dt.date) -> dict[dt.date, list]:
    """{day: [(target, key, text)]} of the pack's messages queued by the job's run at 09:00 on each working day."""
    out = {}
    day = first
    while day <= last:
        if day.weekday() < 5 and day != dt.date(2019, 5, 6):
            since = max((m.id for m in queued_since(runtime, 0)), default=0)
            at = dt.datetime.combine(day, dt.time(9, 0), LONDON)
            clock.set(at)
            result = run_job(runtime, JOB, board_id, at, how="schedule")
            assert result.error is None if hasattr(result, "error") else True
            sent = [(m.target, m.key, blocks_text(m.payload) if "blocks" in m.payload else m.payload.get("filename"))
                    for m in queued_since(runtime, since) if m.key.startswith("pack")]
            if sent:
                out[day] = sent
        day += dt.timedelta(days=1)
    return out


def pack_texts(runtime: Runtime, meeting_id: int) -> dict[tuple[int, str], tuple[str, bool]]:
    """Each kept pack's whole text and whether it is published, by (number, audience)."""
    with db.session_scope(runtime.sessions) as session:
        return {(p.number, p.audience): ("\n".join(texts(files_store.read(session=session, stored=p.file))),
                                         p.published_at is not None)
                for p in pack_store.of_meeting(session=session, meeting_id=meeting_id)}


def test_the_chair_is_asked_the_working_day_before_and_the_approved_pack_is_published_on_the_day(
        runtime: Runtime, clock: FixedClock, fake_slack: FakeSlack):
    board_id, meeting_id = setup_board(runtime, clock)
    with db.session_scope(runtime.sessions) as session:
        board = boards.get_existing(session=session, board_id=board_id)
        meeting = session.get(Meeting, meeting_id)
        assert (packs.approval_day(board, meeting), packs.publication_day(board, meeting)) == (
            dt.date(2019, 5, 3), dt.date(2019, 5, 7))
    asked = run_days(runtime, clock, board_id, dt.date(2019, 4, 22), dt.date(2019, 5, 3))
    assert list(asked) == [dt.date(2019, 5, 3)]
    assert sorted({target for target, _, _ in asked[dt.date(2019, 5, 3)]}) == [CHAIR, VICE]
    ask = next(text for target, key, text in asked[dt.date(2019, 5, 3)] if target == CHAIR and not key.endswith("pdf"))
    assert "ready for your approval" in ask and "Tuesday 7 May 2019" in ask and "Approve" in ask
    assert "Sale of the depot site" in ask  # the chair sees everything
    draft = pack_texts(runtime, meeting_id)
    assert set(draft) == {(0, "public"), (0, "members")} and not draft[(0, "public")][1]

    # the vice-chair approves before the day: nothing goes out until then
    outcome = run_handler(runtime, packs.handle_approve_button, user_id=VICE, channel_id=None,
                          values={"value": str(meeting_id)})
    assert outcome.ok and not outcome.later, outcome.payload
    assert "will be published on Tuesday 7 May 2019" in blocks_text(outcome.payload)
    refused = run_handler(runtime, packs.handle_approve_button, user_id=SECRETARY, channel_id=None,
                          values={"value": str(meeting_id)})
    assert not refused.ok and "chair or a vice-chair" in blocks_text(refused.payload)

    published = run_days(runtime, clock, board_id, dt.date(2019, 5, 7), dt.date(2019, 5, 9))
    assert list(published) == [dt.date(2019, 5, 7)]
    sent = published[dt.date(2019, 5, 7)]
    post = next(text for target, key, text in sent if target == CHANNEL and key == f"pack:{meeting_id}:0")
    assert "Agenda pack" in post and "is published" in post and "Sale of the depot site" not in post
    with db.session_scope(runtime.sessions) as session:
        slug = boards.get_existing(session=session, board_id=board_id).slug
    assert f"/b/{slug}/meetings/2019-05-15/" in post
    assert (CHANNEL, f"pack:{meeting_id}:0:pdf") in [(t, k) for t, k, _ in sent]
    assert sorted(t for t, k, _ in sent if k.endswith(":pdf") and ":members:" in k) == sorted(
        [CHAIR, VICE, SECRETARY, ALICE])
    kept = pack_texts(runtime, meeting_id)
    public, members = kept[(0, "public")], kept[(0, "members")]
    assert public[1] and members[1]
    assert "Sale of the depot site" not in public[0] and "Depot page" not in public[0]
    assert "Budget page 2" in public[0] and "Item" in public[0]
    assert "Sale of the depot site" in members[0] and "Depot page 3" in members[0] and "Not for publication" in members[0]
    with db.session_scope(runtime.sessions) as session:
        assert agenda_store.latest_publication(session=session, meeting_id=meeting_id) is not None

    # the channel's upload reaches Slack, read from the stored file
    with db.session_scope(runtime.sessions) as session:
        record = pack_store.published_main(session=session, meeting_id=meeting_id)
        assert record is not None
        size, filename = record.file.size, record.filename
    with db.session_scope(runtime.sessions) as session:
        rows = [m for m in queued_since(runtime, 0) if m.key == f"pack:{meeting_id}:0:pdf"]
        assert rows[0].payload[FILE_ID] and "content_hex" not in rows[0].payload
    sender_for(runtime, fake_slack, clock).drain()
    uploads = [c.params for c in fake_slack.calls("files.getUploadURLExternal") if c.params.get("filename") == filename]
    assert uploads and int(uploads[0]["length"]) == size


def test_a_pack_not_approved_is_reported_daily_and_approve_publishes_it_at_once(runtime: Runtime, clock: FixedClock):
    board_id, meeting_id = setup_board(runtime, clock)
    found = run_days(runtime, clock, board_id, dt.date(2019, 5, 3), dt.date(2019, 5, 8))
    assert list(found) == [dt.date(2019, 5, 3), dt.date(2019, 5, 7), dt.date(2019, 5, 8)]
    for day in (dt.date(2019, 5, 7), dt.date(2019, 5, 8)):
        assert sorted(t for t, _, _ in found[day]) == sorted([CHAIR, VICE, SECRETARY])
        assert all("waiting for the chair's approval" in text and "Preview PDF" in text for _, _, text in found[day])
    # a second run the same day says nothing more
    run_job(runtime, JOB, board_id, clock.now(), how="manual")
    assert len([m for m in queued_since(runtime, 0) if m.key.startswith(f"pack-waiting:{meeting_id}:")
                and m.key.endswith("2019-05-08")]) == 3
    assert not pack_texts(runtime, meeting_id)[(0, "public")][1]

    clock.set(dt.datetime(2019, 5, 8, 11, 0, tzinfo=LONDON))
    outcome = run_handler(runtime, packs.handle_approve_button, user_id=CHAIR, channel_id=None,
                          values={"value": str(meeting_id)})
    assert outcome.ok and outcome.later and "being published" in blocks_text(outcome.payload)
    keys = run_later(runtime, CHAIR, None, outcome.later)
    assert f"pack:{meeting_id}:0" in keys and f"pack:{meeting_id}:0:pdf" in keys
    kept = pack_texts(runtime, meeting_id)
    assert kept[(0, "public")][1] and "Published Wednesday 8 May 2019" in kept[(0, "public")][0]
    with db.session_scope(runtime.sessions) as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting.pack_approved_by == CHAIR
    assert not run_days(runtime, clock, board_id, dt.date(2019, 5, 9), dt.date(2019, 5, 10))

    # a paper that comes after publication goes out as Supplementary pack 1, marked late
    now = dt.datetime(2019, 5, 10, 15, 0, tzinfo=LONDON)
    paper_id = add_paper(runtime, board_id, 3, "skills-v2.pdf", pdf_paper(2, "Skills v2"), PDF, now)
    with db.session_scope(runtime.sessions) as session:
        outbox = runtime.outbox(session)
        paper = paper_store.get(session=session, paper_id=paper_id)
        board = boards.get_existing(session=session, board_id=board_id)
        said = packs.paper_arrived(session, outbox, board, paper.item, paper, now)
        assert said and "Supplementary pack 1" in said
        assert paper.supplement == 1 and paper.late
        keys = outbox.keys
    assert f"pack:{meeting_id}:1" in keys
    supplement, published = pack_texts(runtime, meeting_id)[(1, "public")]
    assert published and "Supplementary pack 1" in supplement and "Late paper, published Friday 10 May 2019" in supplement
    assert "Skills v2 page 2" in supplement and "Item 6 — Skills plan" in supplement and "Budget" not in supplement


def test_agenda_pack_sends_a_preview_after_the_ack(runtime: Runtime, clock: FixedClock):
    board_id, meeting_id = setup_board(runtime, clock)
    clock.set(dt.datetime(2019, 5, 1, 10, 0, tzinfo=LONDON))
    outcome = command(runtime, SECRETARY, "/agenda", "pack")
    assert "in your direct messages" in blocks_text(outcome.payload) and outcome.later
    keys = run_later(runtime, SECRETARY, CHANNEL, outcome.later)
    rows = [m for m in queued_since(runtime, 0) if m.key in keys]
    assert [m.target for m in rows] == [SECRETARY, SECRETARY]
    assert "A preview" in blocks_text(rows[0].payload) and rows[1].payload["filename"].endswith("-preview.pdf")
    assert pack_texts(runtime, meeting_id) == {}  # a preview is not one of the meeting's packs
    refused = run_command(runtime, "/agenda", user_id=ALICE, channel_id=CHANNEL, text="pack")
    assert not refused.ok
    published = command(runtime, CHAIR, "/agenda", f"pack publish {MEETING.isoformat()}")
    run_later(runtime, CHAIR, CHANNEL, published.later)
    assert pack_texts(runtime, meeting_id)[(0, "public")][1]
    again = run_command(runtime, "/agenda", user_id=CHAIR, channel_id=CHANNEL, text="pack publish")
    assert not again.ok and "already published" in blocks_text(again.payload)


@pytest.mark.parametrize("missing", [True])
def test_a_stored_file_that_is_gone_is_retried_not_lost(runtime: Runtime, clock: FixedClock, fake_slack: FakeSlack,
                                                        missing: bool):
    with db.session_scope(runtime.sessions) as session:
        runtime.outbox(session).stored_file_to_channel(CHANNEL, 999_999, "gone.pdf", key="gone")
    sender_for(runtime, fake_slack, clock).drain(max_rounds=1)
    row = next(m for m in queued_since(runtime, 0) if m.key == "gone")
    with db.session_scope(runtime.sessions) as session:
        from store.models import OutboxMessage
        state = session.get(OutboxMessage, row.id)
        assert state is not None and state.status.value == "pending" and "no stored file" in (state.last_error or "")


def test_without_libreoffice_the_word_paper_goes_beside_the_pack_and_an_unreadable_one_is_reported(
        database, clock: FixedClock):
    from bot.runtime import build_runtime
    from tests.support.settings import settings_for

    with build_runtime(settings_for(database.url, LSPBOT_LIBREOFFICE="/nonexistent/soffice"), clock=clock,
                       migrate=True) as runtime:
        board_id, meeting_id = setup_board(runtime, clock)
        now = clock.now()
        word_id = add_paper(runtime, board_id, 1, "budget.docx", word_paper("Budget words"), DOCX, now)
        add_paper(runtime, board_id, 3, "skills.pdf", b"%PDF-1.7 cut short", PDF, now)
        clock.set(dt.datetime(2019, 5, 8, 10, 0, tzinfo=LONDON))
        published = command(runtime, CHAIR, "/agenda", f"pack publish {MEETING.isoformat()}")
        keys = run_later(runtime, CHAIR, CHANNEL, published.later)
        assert f"pack:{meeting_id}:0:paper:{word_id}" in keys  # the Word paper, beside the pack in the channel
        rows = {m.key: m for m in queued_since(runtime, 0) if m.key in keys}
        assert rows[f"pack:{meeting_id}:0:paper:{word_id}"].payload["filename"] == "budget.docx"
        warned = [m for m in rows.values() if m.key.startswith(f"pack-broken:{meeting_id}:")]
        assert [m.target for m in warned] == [SECRETARY]
        assert "skills.pdf could not be read as a PDF" in blocks_text(warned[0].payload)
        public = pack_texts(runtime, meeting_id)[(0, "public")][0]
        assert "Paper sent separately: budget.docx" in public and "Paper not included" in public
        with db.session_scope(runtime.sessions) as session:
            record = pack_store.published_main(session=session, meeting_id=meeting_id)
            assert record is not None
            assert [s["filename"] for s in record.separate] == ["budget.docx"]
