"""A board with something on every web page, written straight into its database: meetings held (minutes confirmed,
decisions), the next meeting with its items (one confidential), papers (small real PDFs made with reportlab), a
published agenda and published packs. Shared by tests/test_web_pages.py and bench/bench_web.py."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.agenda_record import to_record
from store import agenda as agenda_store
from store import files, packs, papers
from store import plan as plan_store
from store.models import Board, Meeting, MeetingItem, MeetingRecord, PlanItem
from tests.support.held_meeting import ITEMS, hold_meeting

PDF = "application/pdf"
NEXT = dt.date(2019, 10, 10)  # the meeting the pages lead to (after the tests' clock, 16 July 2019)
PUBLIC_TITLE = "LSP Annual Report for Scrutiny"
SECRET_TITLE = "Northolt land disposal"
SECRET_REASON = "Information about the financial affairs of a person (paragraph 3)"
SECRET_DECISION = "Youth violence"  # a held item that came from a confidential plan item


def small_pdf(*lines: str, pages: int = 1) -> bytes:
    """A real PDF of `pages` pages with `lines` on the first."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for page in range(pages):
        y = 780
        for line in lines if page == 0 else (f"Page {page + 1}",):
            c.drawString(72, y, line)
            y -= 18
        c.showPage()
    c.save()
    return out.getvalue()


@dataclass
class WebBoard:
    slug: str
    public_paper_id: int = 0
    public_paper_name: str = ""
    public_paper: bytes = b""
    secret_paper_id: int = 0
    secret_paper_name: str = ""
    old_paper_id: int = 0
    pack_id: int = 0
    pack_name: str = ""
    pack: bytes = b""
    members_pack_id: int = 0
    plan_item_ids: list[int] = field(default_factory=list)


def _paper(session: Session, item: PlanItem, content: bytes, name: str, now: dt.datetime) -> int:
    from pypdf import PdfReader

    stored = files.put(session=session, content=content, content_type=PDF, now=now)
    pages = len(PdfReader(io.BytesIO(content)).pages)
    return papers.add_version(session=session, item=item, file=stored, filename=name, content_type=PDF, pages=pages,
                              submitted_by="cli", submitted_by_id=None, now=now).id


def seed_web_board(session: Session, board: Board, now: dt.datetime, notify: object, *,
                   extra_items: int = 0) -> WebBoard:
    """Fill `board` (with its members already on it) as described above; `extra_items` more items at the next
    meeting (for the benchmark)."""
    from handlers.minutes import confirm_minutes, draft_minutes

    out = WebBoard(board.slug)
    # two meetings held in July, the first's minutes confirmed at the second; one of its items was confidential
    first = hold_meeting(session, board, dt.date(2019, 7, 4), now=now, actions=1)
    second = hold_meeting(session, board, dt.date(2019, 7, 11), now=now, actions=0,
                          items=[(k, "Youth services" if t == SECRET_DECISION else t, *rest) for k, t, *rest in ITEMS])
    held = [session.get_one(Meeting, h.meeting_id) for h in (first, second)]
    secret_then = plan_store.add_item(session=session, board_id=board.id, meeting=held[0], title=SECRET_DECISION,
                                      lead="Metropolitan Police", lead_links=[], kind="for decision", now=now)
    secret_then.private, secret_then.private_reason = True, "Information about an individual (paragraph 1)"
    for item in session.scalars(select(MeetingItem).where(MeetingItem.meeting_id == held[0].id,
                                                          MeetingItem.title == SECRET_DECISION)):
        item.plan_item_id = secret_then.id
    session.flush()
    for meeting in held:
        draft_minutes(session, notify, board, meeting, now)
    record = session.scalars(select(MeetingRecord).where(MeetingRecord.meeting_id == held[0].id)).one()
    confirm_minutes(session, notify, board, record, held[0], "lspbot", now, at_meeting=held[1])

    # the next meeting: an item with a paper, a confidential one with its paper, and one without
    nxt = Meeting(board_id=board.id, date=NEXT, venue="Perceval House, Ealing", created_at=now, theme="Skills",
                  starts_at=dt.datetime(2019, 10, 10, 9, 0, tzinfo=dt.UTC))  # 10:00 in London
    session.add(nxt)
    session.flush()
    shown = plan_store.add_item(session=session, board_id=board.id, meeting=nxt, title=PUBLIC_TITLE,
                                lead="LB Ealing", lead_links=[], kind="for decision", now=now)
    shown.paper_required = True
    secret = plan_store.add_item(session=session, board_id=board.id, meeting=nxt, title=SECRET_TITLE,
                                 lead="LB Ealing Property", lead_links=[], kind="for decision", now=now)
    secret.paper_required, secret.private, secret.private_reason = True, True, SECRET_REASON
    plain = plan_store.add_item(session=session, board_id=board.id, meeting=nxt, title="Future policy theme setting",
                                lead="LSP Executive", lead_links=[], kind="for discussion", now=now)
    extra = [plan_store.add_item(session=session, board_id=board.id, meeting=nxt, title=f"Partner item {n + 1}",
                                 lead=f"Partner {n + 1}", lead_links=[], kind="for information", now=now)
             for n in range(extra_items)]
    out.plan_item_ids = [shown.id, secret.id, plain.id, *(i.id for i in extra)]
    out.old_paper_id = _paper(session, shown, small_pdf("Annual report, first draft"), "annual-report-draft.pdf",
                              now)
    out.public_paper = small_pdf("Report for Executive Board", PUBLIC_TITLE, pages=2)
    out.public_paper_name = "annual report 2019–20.pdf"  # a space and a dash outside ASCII, as people name files
    out.public_paper_id = _paper(session, shown, out.public_paper, out.public_paper_name, now)
    out.secret_paper_name = "northolt-disposal.pdf"
    out.secret_paper_id = _paper(session, secret, small_pdf("CONFIDENTIAL", SECRET_TITLE), out.secret_paper_name,
                                 now)

    # the agenda as published, and the packs
    entries = [{"number": n, "key": key, "title": title, "lead": lead, "kind": kind, "ref": ref, "note": ""}
               for n, (key, title, lead, kind, ref) in enumerate([
                   ("welcome", "", "Chair", "", ""), ("partner_updates", "", "", "", ""),
                   ("action_review", "", "", "", ""),
                   *(("plan", i.title, i.lead, i.kind, f"P{i.ref}") for i in (shown, secret, plain, *extra)),
                   ("aob", "", "", "", ""), ("next_meeting", "", "", "", "")], start=1)]
    snapshot = {"meeting": {"date": NEXT.isoformat(), "time": "10:00", "venue": nxt.venue, "host": None,
                            "theme": nxt.theme},
                "entries": [e for e in entries if e["key"] == "plan"], "record": to_record({"entries": entries})}
    agenda_store.publish(session=session, board_id=board.id, meeting_id=nxt.id, by="USECRET", snapshot=snapshot,
                         markdown="# Agenda", now=now)
    out.pack = small_pdf("Agenda pack", board.name, pages=3)
    out.pack_name = f"agenda-pack-{NEXT.isoformat()}.pdf"
    for audience, content in ((packs.PUBLIC, out.pack), (packs.MEMBERS, small_pdf("Members' pack", pages=4))):
        stored = files.put(session=session, content=content, content_type=PDF, now=now)
        pack = packs.save(session=session, board_id=board.id, meeting_id=nxt.id, number=0, audience=audience,
                          file=stored, filename=out.pack_name if audience == packs.PUBLIC
                          else f"members-pack-{NEXT.isoformat()}.pdf", pages=3 if audience == packs.PUBLIC else 4,
                          contents=[], separate=[], now=now)
        pack.published_at, pack.published_by = now, "USECRET"
        if audience == packs.PUBLIC:
            out.pack_id = pack.id
        else:
            out.members_pack_id = pack.id
    # and the meeting after, planned only
    later = Meeting(board_id=board.id, date=dt.date(2020, 1, 20), venue="TBC", created_at=now)
    session.add(later)
    session.flush()
    plan_store.add_item(session=session, board_id=board.id, meeting=later, title="Borough Plan Performance Update",
                        lead="LB Ealing", lead_links=[], kind="for information", now=now)
    session.flush()
    return out
