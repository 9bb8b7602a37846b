"""The agenda pack and its publication clock.

A meeting's pack is one PDF: a cover, the agenda with the page each item's paper starts on, then the papers
(bot/render/pack.py builds it from the `PackSpec` gathered here). It is published `publication_days` clear working
days before the meeting (handlers.publication): the compile-agendas job asks the chair (and vice-chairs) to approve
it the working day before, and on the day publishes it if approved — the public pack (confidential items left out,
title and paper) to the board's channel and web page, the members' pack (everything) by DM to each member, and the
agenda recorded as `/agenda publish` records it. Not approved by then: the chair and secretariat are told once a
day, and Approve publishes at once. A paper that arrives after publication goes out as "Supplementary pack N".
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers import access
from handlers.agenda import publish_agenda
from handlers.base import (
    Conflict,
    Forbidden,
    InvalidInput,
    Later,
    NotFound,
    Notifier,
    Reply,
    Request,
)
from handlers.board_rules import WorkingCalendar, board_config
from handlers.ids import ActionId
from handlers.pack_contents import (
    Built,
    build_and_keep,
    file_name,
    pack_data,
    pack_entries,
    pack_paper,
    spec_for,
)
from handlers.pack_spec import PDF, WORD_TYPES, BuiltPack, PackEntry, PackPaper, PackSpec, PaperPlace
from handlers.parsing import parse_id
from handlers.plan import existing_meeting, meeting_data, parse_meeting_date
from handlers.publication import publication_date
from handlers.registry import Button, Command, Who
from store import audit, boards, meetings
from store import files as files_store
from store import packs as pack_store
from store import papers as paper_store
from store.models import AgendaPack, Meeting, Paper, PlanItem, Role
from store.models.views import BoardView

__all__ = ["PDF", "WORD_TYPES", "BuiltPack", "PackEntry", "PackPaper", "PackSpec", "PaperPlace", "paper_arrived"]

TEMPLATE = "slack/pack.json.j2"
NOTE = "slack/agenda_note.json.j2"
PACK_TITLE = "Agenda pack"


# ---------------------------------------------------------------- the clock


def publication_day(board: BoardView, meeting: Meeting) -> dt.date:
    return publication_date(meeting.date, board_config(board))


def approval_day(board: BoardView, meeting: Meeting) -> dt.date:
    """The working day before the publication date: the chair is asked then."""
    return WorkingCalendar(board_config(board).holidays).add_working_days(publication_day(board, meeting), -1)


def _deciders(session: Session, board: BoardView) -> list[Any]:
    return boards.members_with_roles(session=session, board_id=board.id, roles=(Role.CHAIR, Role.VICE_CHAIR))


def _secretariat(session: Session, board: BoardView) -> list[Any]:
    return boards.members_with_roles(session=session, board_id=board.id, roles=(Role.SECRETARIAT,))


def ask_approval(session: Session, notify: Notifier, board: BoardView, meeting: Meeting,
                 now: dt.datetime) -> list[Built]:
    """Build the pack, keep it unpublished, and DM the chair and vice-chairs it with Approve: the PDF (the members'
    pack where there is one, so they see everything) follows the message."""
    today = now.astimezone(ZoneInfo(board.timezone)).date()
    publication = publication_day(board, meeting)
    done = build_and_keep(session, notify, board, meeting, pack_entries(session, board, meeting, today), number=0,
                          title=PACK_TITLE, published=publication, now=now)
    full = done[-1]
    for person in _deciders(session, board):
        key = f"pack-approval:{meeting.id}:{person.id}:{now:%Y%m%d%H%M%S}"
        notify.to_user(person.slack_user_id, TEMPLATE, {"kind": "approval",
                                                        "pack": pack_data(board, meeting, full, publication)},
                       key=key)
        notify.stored_file_to_user(person.slack_user_id, full.record.file_id, full.record.filename,
                                   title=f"{full.spec.title} — {board.name}, {meeting.date:%-d %B %Y}",
                                   key=f"{key}:pdf")
    _warn_broken(session, notify, board, meeting, full, key=f"pack-broken:{meeting.id}:0:{now:%Y%m%d}")
    return done


def remind_waiting(session: Session, notify: Notifier, board: BoardView, meeting: Meeting, today: dt.date) -> int:
    """Tell the chair, vice-chairs and secretariat that the pack is due and not approved (the caller keeps it to
    once a day); how many were told."""
    people = {p.id: p for p in _deciders(session, board) + _secretariat(session, board)}
    record = next(iter(pack_store.of_meeting(session=session, meeting_id=meeting.id, audience=pack_store.PUBLIC)),
                  None)
    data = {"title": PACK_TITLE, "board": board.name, "date": meeting.date, "time": meeting_data(meeting, board)["time"],
            "venue": meeting.venue, "publication": publication_day(board, meeting),
            "pages": record.pages if record else 0, "link": "", "members": False, "meeting_id": meeting.id,
            "items": []}
    for person in people.values():
        notify.to_user(person.slack_user_id, TEMPLATE, {"kind": "waiting", "pack": data},
                       key=f"pack-waiting:{meeting.id}:{person.id}:{today.isoformat()}")
    return len(people)


def publish_pack(session: Session, notify: Notifier, board: BoardView, meeting: Meeting, *, now: dt.datetime,
                 by: str) -> list[Built]:
    """Publish the meeting's pack: build it afresh and keep it published, post the public pack to the channel (with
    the Word papers that could not go in, beside it), DM the members' pack to each member when there are
    confidential items, and record the agenda's publication as `/agenda publish` does."""
    pack_store_lock(session, meeting)
    if pack_store.published_main(session=session, meeting_id=meeting.id) is not None:
        raise Conflict(f"The agenda pack for {meeting.date:%A %-d %B %Y} is already published.",
                       title="Already published")
    today = now.astimezone(ZoneInfo(board.timezone)).date()
    publication = today
    done = build_and_keep(session, notify, board, meeting, pack_entries(session, board, meeting, today), number=0,
                          title=PACK_TITLE, published=publication, now=now)
    link = notify.links.meeting(board.slug, meeting.date) if board.slug else ""
    for pack in done:
        pack.record.published_at, pack.record.published_by = now, by
    _send_published(session, notify, board, meeting, done, publication, link, key=f"pack:{meeting.id}:0")
    try:
        publish_agenda(session, notify, board, meeting, by=by, now=now, today=today)
    except Conflict:
        pass  # the agenda was published by hand and has not changed since: its record stands
    audit.record(session=session, at=now, actor=by, entity="agenda_pack", entity_id=done[0].record.id,
                 operation="publish", after={"meeting": meeting.date.isoformat(), "pages": done[0].built.pages,
                                             "audiences": [d.audience for d in done]})
    _warn_broken(session, notify, board, meeting, done[-1], key=f"pack-broken:{meeting.id}:0:published")
    return done


def pack_store_lock(session: Session, meeting: Meeting) -> None:
    """One publication of a meeting's packs at a time (the agenda's lock: see store.agenda.lock_meeting)."""
    from store import agenda as agenda_store

    agenda_store.lock_meeting(session=session, meeting_id=meeting.id)


def _send_published(session: Session, notify: Notifier, board: BoardView, meeting: Meeting, done: list[Built],
                    publication: dt.date, link: str, *, key: str, kind: str = "published") -> None:
    # the members' pack goes to every member (by email to those outside Slack); where there is none, those outside
    # Slack get the public pack the channel gets
    members_pack = any(pack.audience != pack_store.PUBLIC for pack in done)
    for pack in done:
        data = {"kind": kind, "pack": pack_data(board, meeting, pack, publication, link)}
        title = f"{pack.spec.title} — {board.name}, {meeting.date:%-d %B %Y}"
        if pack.audience == pack_store.PUBLIC:
            notify.to_channel(board.channel_id, TEMPLATE, data, key=key)
            notify.stored_file_to_channel(board.channel_id, pack.record.file_id, pack.record.filename, title=title,
                                          key=f"{key}:pdf")
            if not members_pack:
                notify.to_board_outside_slack(board.id, TEMPLATE, data, key=key)
                notify.stored_file_to_board_outside_slack(board.id, pack.record.file_id, pack.record.filename,
                                                          title=title, key=f"{key}:pdf")
            for entry in pack.built.separate:
                if entry.paper is not None and entry.paper.paper_id is not None:
                    paper = paper_store.get(session=session, paper_id=entry.paper.paper_id)
                    if paper is not None:
                        notify.stored_file_to_channel(board.channel_id, paper.file_id, paper.filename,
                                                      title=f"Item {entry.number} — {entry.title}",
                                                      key=f"{key}:paper:{paper.id}")
        else:
            for membership in boards.list_members(session=session, board_id=board.id):
                person = membership.member
                member_key = f"{key}:members:{person.id}"
                notify.to_user(person.slack_user_id, TEMPLATE, data, key=member_key)
                notify.stored_file_to_user(person.slack_user_id, pack.record.file_id, pack.record.filename,
                                           title=title, key=f"{member_key}:pdf")
                for entry in pack.built.separate:
                    if entry.private and entry.paper is not None and entry.paper.paper_id is not None:
                        paper = paper_store.get(session=session, paper_id=entry.paper.paper_id)
                        if paper is not None:
                            notify.stored_file_to_user(person.slack_user_id, paper.file_id, paper.filename,
                                                       title=f"Item {entry.number} — {entry.title}",
                                                       key=f"{member_key}:paper:{paper.id}")


def _warn_broken(session: Session, notify: Notifier, board: BoardView, meeting: Meeting, done: Built, *,
                 key: str) -> None:
    """Tell the secretariat (else the chair) which papers could not be read and were left out of the pack."""
    if not done.built.broken:
        return
    said = "; ".join(f"item {e.number} ({e.title}): {why}" for e, why in done.built.broken)
    text = (f"The agenda pack for {board.name}, {meeting.date:%A %-d %B %Y}, was built without these papers, which "
            f"could not be read: {said}. Ask their authors for a new version, or send them separately.")
    people = _secretariat(session, board) or _deciders(session, board)
    for person in people:
        notify.to_user(person.slack_user_id, NOTE, {"icon": ":warning:", "text": text}, key=f"{key}:{person.id}")


# ---------------------------------------------------------------- supplements


def paper_arrived(session: Session, notify: Notifier, board: BoardView, item: PlanItem, paper: Paper,
                  now: dt.datetime) -> str | None:
    """Called when a paper (a new version) is stored: once the meeting's pack is published, the paper goes out in
    a supplementary pack. Returns a sentence for the author's confirmation, or None."""
    meeting = session.get(Meeting, item.meeting_id)
    if meeting is None or pack_store.published_main(session=session, meeting_id=meeting.id) is None:
        return None
    today = now.astimezone(ZoneInfo(board.timezone)).date()
    number = pack_store.next_supplement(session=session, meeting_id=meeting.id)
    entry = next((e for e in pack_entries(session, board, meeting, today) if e.ref == f"P{item.ref}"), None)
    if entry is None:
        entry = PackEntry(number=0, title=item.title, lead=item.lead, kind=item.kind, private=item.private,
                          ref=f"P{item.ref}")
    entry.paper = pack_paper(session, paper)
    title = f"Supplementary pack {number}"
    audience = pack_store.MEMBERS if item.private else pack_store.PUBLIC
    done = build_and_keep(session, notify, board, meeting, [entry], number=number, title=title, published=today,
                          now=now, late=True, audiences=(audience,))
    for pack in done:
        pack.record.published_at, pack.record.published_by = now, paper.submitted_by
    link = notify.links.meeting(board.slug, meeting.date) if board.slug else ""
    _send_published(session, notify, board, meeting, done, today, link, key=f"pack:{meeting.id}:{number}",
                    kind="supplement")
    _warn_broken(session, notify, board, meeting, done[0], key=f"pack-broken:{meeting.id}:{number}")
    paper.supplement = number
    paper.late = True
    audit.record(session=session, at=now, actor=paper.submitted_by, entity="agenda_pack", entity_id=done[0].record.id,
                 operation="publish", after={"meeting": meeting.date.isoformat(), "supplement": number,
                                             "paper": paper.id})
    where = "sent to the board's members by direct message" if item.private else "posted to the board's channel"
    return (f"The agenda pack was already published, so this paper went out as {title} (marked late), "
            f"{where}.")


# ---------------------------------------------------------------- commands and the button


def _meeting_for(req: Request, board: BoardView, phrase: str) -> Meeting:
    if phrase:
        return existing_meeting(req, board, parse_meeting_date(req, board, phrase), future=True)
    today = req.today(board.timezone)
    found = meetings.next_meeting(session=req.session, board_id=board.id, after=today)
    if found is None:
        raise NotFound(f"{board.name} has no meeting planned from today on.",
                       examples=["/plan meeting add <date>"])
    return found


def handle_pack(req: Request) -> Reply:
    """`/agenda pack [date]`: build the pack now and send its PDF to the requester's DM (a preview), after the ack."""
    board = req.board
    meeting = _meeting_for(req, board, " ".join(a.value for a in req.parsed.args))
    return Reply(NOTE, {"icon": ":hourglass_flowing_sand:", "text": (
        f"Building the agenda pack for {meeting.date:%A %-d %B %Y}: it will be in your direct messages in a "
        "moment.")}, later=[Later(handle_pack_preview_later, {"meeting": meeting.id})])


def handle_pack_preview_later(req: Request) -> Reply:
    """After the ack: build the pack (the members' one where there are confidential items, for a member) and DM it."""
    meeting = _later_meeting(req)
    board = boards.get_existing(session=req.session, board_id=meeting.board_id)
    now = req.now()
    entries = pack_entries(req.session, board, meeting, req.today(board.timezone))
    private = any(e.private for e in entries)
    spec = spec_for(board, meeting, entries, title=PACK_TITLE, published=publication_day(board, meeting),
                    members=private)
    built = req.notify.build_pack(spec)
    stored = files_store.put(session=req.session, content=built.content, content_type=PDF, now=now)
    done = Built(pack_store.MEMBERS if private else pack_store.PUBLIC, _unsaved(board, meeting, stored.id, built),
                 built, spec)
    key = f"pack-preview:{meeting.id}:{req.user_id}:{now:%Y%m%d%H%M%S%f}"
    req.notify.to_user(req.user_id, TEMPLATE, {"kind": "preview", "pack": pack_data(board, meeting, done,
                                                                                    spec.published)}, key=key)
    req.notify.stored_file_to_user(req.user_id, stored.id, done.record.filename,
                                   title=f"{spec.title} (preview) — {board.name}, {meeting.date:%-d %B %Y}",
                                   key=f"{key}:pdf")
    return Reply(NOTE, {"text": "Sent."})


def _unsaved(board: BoardView, meeting: Meeting, file_id: int, built: BuiltPack) -> AgendaPack:
    """A preview's record, never added to the session (a preview is not one of the meeting's packs)."""
    return AgendaPack(board_id=board.id, meeting_id=meeting.id, number=0, audience=pack_store.PUBLIC, file_id=file_id,
                      filename=file_name(board, meeting, 0, pack_store.PUBLIC).replace(".pdf", "-preview.pdf"),
                      pages=built.pages)


def _later_meeting(req: Request) -> Meeting:
    meeting = req.session.get(Meeting, parse_id(str(req.values.get("meeting"))) or 0)
    if meeting is None:
        raise NotFound("That meeting is no longer in the plan.")
    return meeting


def handle_pack_publish(req: Request) -> Reply:
    """`/agenda pack publish [date]` (the chair): approve the pack and publish it now (after the ack)."""
    board = req.board
    meeting = _meeting_for(req, board, " ".join(a.value for a in req.parsed.args))
    _approve(req, board, meeting)
    return Reply(NOTE, {"icon": ":white_check_mark:", "text": (
        f"Approved the agenda pack for {meeting.date:%A %-d %B %Y}; it is being published to the board's channel "
        "now.")}, later=[Later(handle_publish_later, {"meeting": meeting.id})])


def handle_publish_later(req: Request) -> Reply:
    """After the ack: publish an approved pack and tell the person who approved it."""
    meeting = _later_meeting(req)
    board = boards.get_existing(session=req.session, board_id=meeting.board_id)
    done = publish_pack(req.session, req.notify, board, meeting, now=req.now(), by=req.user_id)
    req.notify.to_user(req.user_id, NOTE, {"icon": ":mega:", "channel": board.channel_id, "text": (
        f"Published the agenda pack for {meeting.date:%A %-d %B %Y} ({done[0].built.pages} pages) in")},
        key=f"pack-published-note:{meeting.id}:{req.user_id}")
    return Reply(NOTE, {"text": "Published."})


def _approve(req: Request, board: BoardView, meeting: Meeting) -> None:
    if meeting.date < req.today(board.timezone):
        raise InvalidInput(f"The meeting on {meeting.date:%A %-d %B %Y} has taken place; its pack can't be "
                          "published now.")
    if pack_store.published_main(session=req.session, meeting_id=meeting.id) is not None:
        raise Conflict(f"The agenda pack for {meeting.date:%A %-d %B %Y} is already published.",
                       title="Already published")
    meeting.pack_approved_at, meeting.pack_approved_by = req.now(), req.user_id
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="meeting", entity_id=meeting.id,
                 operation="approve_pack", after={"meeting": meeting.date.isoformat()})


def handle_approve_button(req: Request) -> Reply:
    """Approve in the chair's DM: the pack is approved; on or after its publication date it is published at once."""
    meeting = _button_meeting(req)
    board = boards.get_existing(session=req.session, board_id=meeting.board_id)
    actor = access.actor_for(req, board)
    if not (actor.is_admin or actor.role in (Role.CHAIR, Role.VICE_CHAIR)):
        raise Forbidden(f"Only the chair or a vice-chair of {board.name} can approve its agenda pack.")
    if meeting.pack_approved_at is not None and pack_store.published_main(session=req.session,
                                                                          meeting_id=meeting.id) is None \
            and req.today(board.timezone) < publication_day(board, meeting):
        raise Conflict(f"The agenda pack for {meeting.date:%A %-d %B %Y} is already approved; it will be published "
                       f"on {publication_day(board, meeting):%A %-d %B %Y}.", title="Already approved")
    _approve(req, board, meeting)
    publication = publication_day(board, meeting)
    if req.today(board.timezone) >= publication:
        return Reply(NOTE, {"icon": ":white_check_mark:", "text": (
            f"Approved. The pack was due on {publication:%A %-d %B %Y}, so it is being published to the board's "
            "channel now.")}, later=[Later(handle_publish_later, {"meeting": meeting.id})])
    return Reply(NOTE, {"icon": ":white_check_mark:", "text": (
        f"Approved. The agenda pack for {meeting.date:%A %-d %B %Y} will be published on {publication:%A %-d %B %Y}.")})


def handle_preview_button(req: Request) -> Reply:
    """"Preview PDF" beside a pack waiting for approval: the pack built now, to the clicker's DM after the ack."""
    meeting = _button_meeting(req)
    board = boards.get_existing(session=req.session, board_id=meeting.board_id)
    access.require_manager(access.actor_for(req, board), "preview the agenda pack")
    return Reply(NOTE, {"icon": ":hourglass_flowing_sand:", "text": (
        f"Building the agenda pack for {meeting.date:%A %-d %B %Y}: it will be in your direct messages in a "
        "moment.")}, later=[Later(handle_pack_preview_later, {"meeting": meeting.id})])


def _button_meeting(req: Request) -> Meeting:
    meeting_id = parse_id(req.values.get("value"))
    meeting = req.session.get(Meeting, meeting_id) if meeting_id else None
    if meeting is None:
        raise NotFound("That meeting is no longer in the plan.")
    return meeting


# ---------------------------------------------------------------- declarations

USAGE = ["/agenda pack [date]", "/agenda pack publish [date]"]

COMMANDS = (
    Command("/agenda", ("pack",), handle_pack, who=Who.MANAGERS, doing="build the agenda pack", parsed=True,
            usage=USAGE[0], open_ended=True, topic="agenda",
            summary="build the next (or named) meeting's agenda pack now and send you its PDF (a preview)"),
    Command("/agenda", ("pack", "publish"), handle_pack_publish, who=Who.CHAIR, doing="publish the agenda pack",
            parsed=True, usage=USAGE[1], topic="agenda",
            summary="approve the next (or named) meeting's agenda pack and publish it at once"),
)

BUTTONS = (
    Button(ActionId.PACK_APPROVE, handle_approve_button, "approve the agenda pack (published at once on or after "
           "its publication date)", who=Who.DECIDERS, narrower="the chair or a vice-chair, or an admin"),
    Button(ActionId.PACK_PREVIEW, handle_preview_button, "the agenda pack built now, its PDF to your DM",
           who=Who.MANAGERS),
)
