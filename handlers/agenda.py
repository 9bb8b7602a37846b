"""`/agenda`: members propose items, the chair decides, and the chair's side drafts and publishes the agenda."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from sqlalchemy.orm import Session

from handlers import access, forms, mentions
from handlers.access import Actor
from handlers.agenda_compile import Agenda, agenda_data, compile_agenda
from handlers.agenda_record import from_record, to_record
from handlers.base import (
    Attachment,
    Conflict,
    Document,
    Forbidden,
    InvalidInput,
    NotFound,
    Notifier,
    Reply,
    Request,
    UsageError,
)
from handlers.board_rules import next_meeting
from handlers.dates import ago
from handlers.ids import ActionId, CallbackId
from handlers.parsing import check_text, parse_id
from handlers.plan import (
    existing_meeting,
    parse_meeting_date,
    parse_option_date,
    quoted_title,
)
from handlers.registry import Button, Command, Form, Kind, Option, Topic, Who
from handlers.zones import time_label, viewer_zone
from store import agenda as agenda_store
from store import audit, boards
from store import plan as plan_store
from store.models import AgendaProposal, AgendaPublication, Meeting, Member, ProposalStatus, Role
from store.models.views import BoardView, MemberView

OPTIONS = ("board", "lead", "for")
_PROPOSAL_REF = re.compile(r"^#?[Aa]?(\d{1,9})$")
USAGE = [
    '/agenda add "<title>" [lead:"..."] [for:<date>]',
    "/agenda proposals",
    "/agenda approve A3",
    "/agenda decline A3 <reason>",
    "/agenda draft [date]",
    "/agenda publish [date]",
]


# ---------------------------------------------------------------- proposals


def proposal_data(p: AgendaProposal, board: BoardView | None = None) -> dict[str, Any]:
    return {
        "id": p.id, "ref": p.ref, "title": p.title, "lead": p.lead, "status": p.status,
        "meeting": p.meeting.date, "proposer_id": p.proposer.slack_user_id, "proposer_name": p.proposer.display_name,
        "decided_by_id": p.decided_by.slack_user_id if p.decided_by else None,
        "decided_by_name": p.decided_by.display_name if p.decided_by else None,
        "reason": p.decline_reason or "",
    }


def _upcoming_meeting(req: Request, board: BoardView, phrase: str | None, key: str | None = None) -> Meeting:
    if phrase:
        day = parse_option_date(req, board, key, phrase) if key else parse_meeting_date(req, board, phrase)
        return existing_meeting(req, board, day)
    found = next_meeting(session=req.session, board=board, now=req.now())
    if found is None:
        raise NotFound(f"{board.name} has no meeting planned. The chair or secretariat adds one with "
                       "`/plan meeting add <date>`.")
    return found


def _deciders(req: Request, board: BoardView) -> list[Member]:
    """Who is asked to decide: the chair (or, without one, the vice-chair, then the secretariat)."""
    for role in (Role.CHAIR, Role.VICE_CHAIR, Role.SECRETARIAT):
        found = boards.members_with_roles(session=req.session, board_id=board.id, roles=(role,))
        if found:
            return found
    return []


def handle_agenda_add(req: Request) -> Reply:
    """Any member proposes an item for the next (or named) meeting; the chair gets Approve / Decline."""
    parsed, board = req.parsed, req.board
    member = access.require_member(req.actor)
    title = quoted_title(parsed, '/agenda add "Community hubs in Southall" lead:"Southall Community Alliance" '
                                 'for:"9 January 2020"')
    title = check_text(title if title is not None else " ".join(a.value for a in parsed.args), "title")
    lead = parsed.options.get("lead", "").strip()
    meeting = _upcoming_meeting(req, board, parsed.options.get("for"), key="for")
    return propose(req, board, member, title, lead, meeting)


def propose(req: Request, board: BoardView, member: MemberView, title: str, lead: str, meeting: Meeting) -> Reply:
    """Record a proposal and ask the chair to decide (the command and the form both come here)."""
    title = mentions.typed_text(req.session, title, "title")
    if len(title) > 300:
        raise InvalidInput("A title can be at most 300 characters.", field="title")
    lead = mentions.plain_names(req.session, lead).strip()[:300]
    for other in agenda_store.list_proposals(session=req.session, board_id=board.id, since=meeting.date):
        if other.meeting_id == meeting.id and other.title.lower() == title.lower() and other.status != "declined":
            raise Conflict(f"“{title}” is already proposed for that meeting (A{other.ref}, {other.status}).",
                           field="title", title="Already proposed")
    proposal = agenda_store.create_proposal(
        session=req.session, board_id=board.id, meeting=meeting, title=title, lead=lead,
        lead_links=plan_store.link_lead(session=req.session, board=board, lead=lead), proposer=member, now=req.now())
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="agenda_proposal", entity_id=proposal.id,
                 operation="create", after={"title": title, "lead": lead, "meeting": meeting.date.isoformat()})
    data = {"p": proposal_data(proposal), "board": board.name}
    for decider in _deciders(req, board):
        req.notify.to_user(decider.slack_user_id, "slack/agenda_proposal_dm.json.j2", data,
                           key=agenda_store.proposal_ask_key(proposal.id, decider.slack_user_id))
    return Reply("slack/agenda_proposed.json.j2", data)


def handle_agenda_proposals(req: Request) -> Reply:
    """Every proposal for meetings to come (or `all`), with its status, for everyone on the board."""
    parsed, board = req.parsed, req.board
    show_all = bool(parsed.args) and parsed.args[0].value.lower() == "all"
    since = None if show_all else req.today(board.timezone)
    grouped: dict[dt.date, list[dict[str, Any]]] = {}
    for p in agenda_store.list_proposals(session=req.session, board_id=board.id, since=since):
        grouped.setdefault(p.meeting.date, []).append(proposal_data(p))
    return Reply("slack/agenda_proposals.json.j2", {
        "board": board.name, "meetings": [{"date": d, "proposals": ps} for d, ps in grouped.items()]})


def _proposal_by_ref(req: Request, verb: str) -> tuple[BoardView, Actor, AgendaProposal, str]:
    parsed, board, actor = req.parsed, req.board, req.actor
    if not parsed.args:
        raise UsageError("Which proposal?", examples=[f"/agenda {verb} A3"])
    m = _PROPOSAL_REF.match(parsed.args[0].value)
    if not m:
        raise UsageError(f"`{parsed.args[0].value}` is not a proposal reference.", examples=[f"/agenda {verb} A3"])
    proposal = agenda_store.get_proposal_by_ref(session=req.session, board_id=board.id, ref=int(m.group(1)),
                                                for_update=True)
    if proposal is None:
        raise NotFound(f"There is no proposal A{m.group(1)} on {board.name}.")
    remainder = " ".join(a.value for a in parsed.args[1:])
    return board, actor, proposal, remainder


def _require_decider(actor: Actor) -> MemberView:
    if actor.left and not actor.manages_board:
        raise Forbidden(actor.not_on_board)
    if not actor.manages_board:
        raise Forbidden(f"Only the chair, vice-chair or secretariat of {actor.board.name} can decide on proposals.")
    if actor.member is None:
        raise Forbidden("Join the board first: decisions are recorded against a member.")
    return actor.member


def handle_agenda_approve(req: Request) -> Reply:
    board, actor, proposal, _ = _proposal_by_ref(req, "approve")
    return decide_proposal(req, board, actor, proposal, ProposalStatus.APPROVED, None, None)


def handle_agenda_decline(req: Request) -> Reply:
    board, actor, proposal, reason = _proposal_by_ref(req, "decline")
    _require_decider(actor)
    if proposal.status == ProposalStatus.PENDING.value:
        reason = mentions.typed_text(req.session, reason, "reason") if reason.strip() else ""
        if not reason:
            raise UsageError("Say why, so the proposer and the board know.",
                             examples=[f"/agenda decline A{proposal.ref} Covered under the Borough Plan update"])
    return decide_proposal(req, board, actor, proposal, ProposalStatus.DECLINED, reason, None)


def decide_proposal(
    req: Request,
    board: BoardView,
    actor: Actor,
    proposal: AgendaProposal,
    status: ProposalStatus,
    reason: str | None,
    message: tuple[str, str] | None,
) -> Reply:
    """Approve or decline once; a second decision (a stale button, a second chair) changes nothing and says so.

    `message` is the (channel, ts) of the chair's DM whose button was clicked. It, and every other delivered DM
    asking a decider about the proposal (a decision by command, or by another decider), is updated to show
    the outcome, so no live button is left on it.
    """
    decider = _require_decider(actor)
    if proposal.status != ProposalStatus.PENDING.value:
        data = {"p": proposal_data(proposal), "board": board.name}
        if message:
            req.notify.update_message(message[0], message[1], "slack/agenda_proposal_dm.json.j2", data)
        who = proposal.decided_by.display_name if proposal.decided_by else "someone"
        when = f" {ago(req.now(), proposal.decided_at, board.timezone)}" if proposal.decided_at else ""
        return Reply("slack/agenda_note.json.j2", {"text": (
            f"Thanks — A{proposal.ref} “{proposal.title}” was {proposal.status} by {who}{when}, so nothing "
            "has changed.")})
    agenda_store.decide(session=req.session, proposal=proposal, status=status, by=decider, now=req.now(), reason=reason)
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="agenda_proposal", entity_id=proposal.id,
                 operation=status.value, before={"status": "pending"}, after={"status": status.value, "reason": reason})
    data = {"p": proposal_data(proposal), "board": board.name}
    asks = agenda_store.delivered_proposal_asks(session=req.session, proposal_id=proposal.id)
    for channel, ts in ([message] if message else []) + [ask for ask in asks if not message or ask.ts != message[1]]:
        req.notify.update_message(channel, ts, "slack/agenda_proposal_dm.json.j2", data,
                                  key=f"agenda-proposal-dm:{proposal.id}:{ts}")
    if proposal.proposer.slack_user_id != req.user_id:
        req.notify.to_user(proposal.proposer.slack_user_id, "slack/agenda_proposal_result.json.j2", data,
                           key=f"agenda-proposal-result:{proposal.id}")
    verb = "Approved" if status == ProposalStatus.APPROVED else "Declined"
    where = f"it is on the agenda of {proposal.meeting.date:%A %-d %B %Y}" if status == ProposalStatus.APPROVED \
        else "the reason is kept with it"
    return Reply("slack/agenda_note.json.j2", {"text": f"{verb} A{proposal.ref} “{proposal.title}”: {where}."})


def _button_proposal(req: Request) -> tuple[BoardView, Actor, AgendaProposal]:
    proposal_id = parse_id(req.values.get("value") or req.values.get("proposal"))
    proposal = agenda_store.get_proposal(session=req.session, proposal_id=proposal_id, for_update=True) \
        if proposal_id else None
    if proposal is None:
        raise NotFound("That proposal no longer exists.")
    board = boards.get_existing(session=req.session, board_id=proposal.board_id)
    return board, access.actor_for(req, board), proposal


def _message(req: Request) -> tuple[str, str] | None:
    channel, ts = req.values.get("channel_id"), req.values.get("message_ts")
    return (channel, ts) if channel and ts else None


def handle_approve_button(req: Request) -> Reply:
    board, actor, proposal = _button_proposal(req)
    return decide_proposal(req, board, actor, proposal, ProposalStatus.APPROVED, None, _message(req))


def handle_decline_button(req: Request) -> Reply:
    """Ask for the reason in a modal (a stale click is answered at once)."""
    board, actor, proposal = _button_proposal(req)
    if proposal.status != ProposalStatus.PENDING.value:
        return decide_proposal(req, board, actor, proposal, ProposalStatus.DECLINED, None, _message(req))
    _require_decider(actor)
    channel, ts = _message(req) or ("", "")
    metadata = json.dumps({"proposal": proposal.id, "channel": channel, "ts": ts})
    return Reply("slack/agenda_note.json.j2", {"text": "Say why in the form."},
                 open_modal={"template": "slack/agenda_decline_modal.json.j2",
                             "data": {"p": proposal_data(proposal), "metadata": metadata}})


def handle_decline_submission(req: Request) -> Reply:
    """The reason modal was submitted: decline, keeping the reason, and update the chair's DM."""
    meta = forms.metadata(req)  # a dict, whatever the submission carried
    req.values = dict(req.values, value=str(meta.get("proposal", "")))
    board, actor, proposal = _button_proposal(req)
    reason = str(req.values.get("reason") or "").strip()
    if proposal.status == ProposalStatus.PENDING.value:
        reason = mentions.typed_text(req.session, reason, "reason")
    message = (meta["channel"], meta["ts"]) if meta.get("channel") and meta.get("ts") else None
    return decide_proposal(req, board, actor, proposal, ProposalStatus.DECLINED, reason, message)


# ---------------------------------------------------------------- draft and publish


def _meeting_for(req: Request, board: BoardView, phrase: str) -> Meeting:
    if phrase:
        day = parse_meeting_date(req, board, phrase)
        return existing_meeting(req, board, day, future=False)
    return _upcoming_meeting(req, board, None)


def agenda_document(agenda: Agenda, *, published: bool = False, word_attached: bool = True,
                    web_url: str | None = None) -> Document:
    """The agenda as a document (Word and Markdown, from templates/docs/agenda.*), for the transport to render.
    `word_attached`: its Word version goes where its message goes (the channel, the chair's DM), so the message
    may send readers to it for what it leaves out. `web_url`: the meeting's page, printed in it."""
    data = dict(agenda_data(agenda), published=published, word_attached=word_attached, web_url=web_url)
    title = f"{'Agenda' if published else 'Draft agenda'} — {agenda.board}, {agenda.meeting['date']:%-d %B %Y}"
    return Document(template="agenda", data=data, basename=file_stem(agenda), title=title,
                    board=agenda.board)


def file_stem(agenda: Agenda) -> str:
    return _stem(agenda.board, agenda.meeting["date"])


def _stem(board: str, day: dt.date) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", board).strip("-").lower()
    return f"{slug}-agenda-{day.isoformat()}"


def _taken_place(req: Request, board: BoardView, meeting: Meeting) -> bool:
    return meeting.date < req.today(board.timezone)


def record_reply(req: Request, board: BoardView, meeting: Meeting) -> Reply:
    """A meeting that has taken place: its agenda as last published (the record), never one compiled from today's
    data; its Word and Markdown versions go to the DM as a draft's do."""
    when = f"{meeting.date:%A %-d %B %Y}"
    published = agenda_store.latest_publication(session=req.session, meeting_id=meeting.id)
    if published is None:
        raise NotFound(f"The meeting on {when} has taken place and its agenda was never published, so there is no "
                       "agenda on record for it.")
    if "record" not in published.snapshot:  # published before the record was kept: its Markdown is
        return Reply("slack/agenda_note.json.j2", {"text": (
            f"The meeting on {when} has taken place. Its agenda as published (version {published.version}) is "
            "attached.")}, attachments=[Attachment(f"{_stem(board.name, meeting.date)}.md",
                                                   published.markdown.encode("utf-8"),
                                                   title=f"Agenda — {board.name}, {meeting.date:%-d %B %Y}")])
    data = from_record(published.snapshot["record"])
    day = data["meeting"]["date"]  # as published
    title = f"Agenda — {data['board']}, {day:%-d %B %Y} (version {published.version}, as published)"
    document = Document(template="agenda", data=dict(data, word_attached=True), basename=_stem(data["board"], day),
                        title=title, board=data["board"])
    return Reply("slack/agenda_draft.json.j2", dict(data, word_attached=False, on_record=True),
                 documents=[document])


def draft_reply(req: Request, board: BoardView, meeting: Meeting) -> Reply:
    """The draft as Block Kit; its Word and Markdown files are made by the transport after the ack. A meeting that
    has taken place shows its agenda as published instead."""
    if _taken_place(req, board, meeting):
        return record_reply(req, board, meeting)
    document = agenda_document(compile_agenda(req.session, board, meeting, req.today(board.timezone)),
                               word_attached=False,  # an ephemeral reply: the files go to the DM
                               web_url=req.notify.links.meeting(board.slug, meeting.date))
    # The draft is the requester's alone: its time is shown on their clock (the documents keep the venue's).
    when = dict(document.data["meeting"], time=time_label(meeting.starts_at, board.timezone, viewer_zone(req)))
    return Reply("slack/agenda_draft.json.j2", dict(document.data, version=None, meeting=when), documents=[document])


def handle_agenda_draft(req: Request) -> Reply:
    """Compile the next (or named) meeting's agenda: Block Kit here, Word and Markdown in the DM."""
    parsed, board = req.parsed, req.board
    meeting = _meeting_for(req, board, " ".join(a.value for a in parsed.args))
    return draft_reply(req, board, meeting)


def publish(req: Request, board: BoardView, meeting: Meeting) -> Reply:
    """Post the agenda to the board's channel, its Word version with it, and record the version; refused if
    nothing changed."""
    if _taken_place(req, board, meeting):
        raise InvalidInput(f"The meeting on {meeting.date:%A %-d %B %Y} has already taken place; its agenda as "
                           "published stays on record and can't be published again.",
                           examples=[f"/agenda draft {meeting.date.isoformat()}"])
    publication = publish_agenda(req.session, req.notify, board, meeting, by=req.user_id, now=req.now(),
                                 today=req.today(board.timezone))
    return Reply("slack/agenda_note.json.j2", {"icon": ":mega:", "channel": board.channel_id, "text": (
        f"Published version {publication.version} of the agenda for {meeting.date:%A %-d %B %Y} in")})


def publish_agenda(session: Session, notify: Notifier, board: BoardView, meeting: Meeting, *, by: str,
                   now: dt.datetime, today: dt.date) -> AgendaPublication:
    """Record a new version of the agenda, post it to the board's channel with its Word version, and audit it
    (`/agenda publish`, and the agenda pack's publication); Conflict if nothing changed since the last version."""
    # One publication at a time per meeting: a second "Publish" waits for the first to commit, then compiles the
    # agenda afresh and finds it published (see `store.db.lock_rows`).
    agenda_store.lock_meeting(session=session, meeting_id=meeting.id)
    agenda = compile_agenda(session, board, meeting, today)
    if agenda.published_version is not None and not agenda.changes:
        last = agenda_store.latest_publication(session=session, meeting_id=meeting.id)
        who = boards.get_member(session=session, slack_user_id=last.published_by) if last else None
        said = (f" by {who.display_name if who else last.published_by} {ago(now, last.published_at, board.timezone)}"
                if last else "")
        raise Conflict(f"Version {agenda.published_version} of this agenda was published{said}, and nothing has "
                       "changed since, so it was not published again.", title="Already published")
    links = getattr(notify, "links", None)  # a notifier built without the addresses (a test's) has none
    page = links.meeting(board.slug, meeting.date) if links is not None else None
    document = agenda_document(agenda, published=True, web_url=page)
    data = document.data
    publication = agenda_store.publish(session=session, board_id=board.id, meeting_id=meeting.id, by=by,
                                       snapshot=agenda.snapshot(), markdown=notify.markdown(document), now=now)
    data.update(version=publication.version, published_at=publication.published_at)
    publication.snapshot = dict(publication.snapshot, record=to_record(data))  # what the board saw, kept as it was
    key = agenda_store.publication_message_key(meeting.id, publication.version)
    notify.to_channel(board.channel_id, "slack/agenda_draft.json.j2", data, key=key)
    notify.document_to_channel(board.channel_id, document, key=f"{key}:file")
    notify.to_board_outside_slack(board.id, "slack/agenda_draft.json.j2", data, key=key)  # by email
    notify.document_to_board_outside_slack(board.id, document, key=f"{key}:file")
    audit.record(session=session, at=now, actor=by, entity="agenda", entity_id=publication.id,
                 operation="publish", after={"meeting": meeting.date.isoformat(), "version": publication.version})
    return publication


def handle_agenda_publish(req: Request) -> Reply:
    """Post the next (or named) meeting's agenda to the board's channel."""
    parsed, board = req.parsed, req.board
    return publish(req, board, _meeting_for(req, board, " ".join(a.value for a in parsed.args)))


def _button_meeting(req: Request, what: str) -> tuple[BoardView, Meeting]:
    meeting_id = parse_id(req.values.get("value"))
    meeting = req.session.get(Meeting, meeting_id) if meeting_id else None
    if meeting is None:
        raise NotFound("That meeting is no longer in the plan.")
    board = boards.get_existing(session=req.session, board_id=meeting.board_id)
    access.require_manager(access.actor_for(req, board), what)
    return board, meeting


def handle_publish_button(req: Request) -> Reply:
    board, meeting = _button_meeting(req, "publish the agenda")
    return publish(req, board, meeting)


def handle_regenerate_button(req: Request) -> Reply:
    """A fresh draft in place of the old one; its Word and Markdown files are made after the ack."""
    board, meeting = _button_meeting(req, "draft the agenda")
    return draft_reply(req, board, meeting)


# ---------------------------------------------------------------- declarations

TOPIC = Topic("agenda", "Agenda", aliases=("agendas", "proposals"),
              note="Any member proposes; the chair approves or declines; the chair, vice-chair and secretariat draft "
                   "and publish.")

COMMANDS = (
    Command("/agenda", ("add",), handle_agenda_add, aliases=(("propose",),), who=Who.MEMBERS,
            doing="propose agenda items", parsed=True, options=(Option("lead"), Option("for", Kind.PHRASE)),
            usage=USAGE[0], summary="propose an item; `/agenda add` alone opens a form",
            opens_form=True),
    Command("/agenda", ("proposals",), handle_agenda_proposals, parsed=True, usage=USAGE[1],
            summary="the proposals for meetings to come (`all` for every one) and their status"),
    Command("/agenda", ("approve",), handle_agenda_approve, who=Who.DECIDERS, doing="decide on proposals",
            parsed=True, usage=USAGE[2], summary="put a proposal on its meeting's agenda"),
    Command("/agenda", ("decline",), handle_agenda_decline, who=Who.DECIDERS, doing="decide on proposals",
            parsed=True, usage=USAGE[3], summary="decline a proposal, saying why"),
    Command("/agenda", ("draft",), handle_agenda_draft, who=Who.MANAGERS, doing="draft the agenda", parsed=True,
            usage=USAGE[4], summary="the next (or named) meeting's agenda: here, and in Word and Markdown in your DM "
            "(a meeting that has taken place: its agenda as published)"),
    Command("/agenda", ("publish",), handle_agenda_publish, who=Who.MANAGERS, doing="publish the agenda",
            parsed=True, usage=USAGE[5], summary="post the agenda, with its Word version, to the board's channel "
            "(not for a meeting that has taken place)"),
)


# ---------------------------------------------------------------- declarations

BUTTONS = (
    # Approve and Decline update the chair's DM themselves (through the outbox); the clicker is told too.
    Button(ActionId.AGENDA_APPROVE, handle_approve_button, "approve a proposal", who=Who.DECIDERS),
    Button(ActionId.AGENDA_DECLINE, handle_decline_button, "open the form for the reason to decline",
           who=Who.DECIDERS),
    # The draft is an ephemeral reply: a publication or a fresh draft takes its place, so Publish is not clicked twice.
    Button(ActionId.AGENDA_PUBLISH, handle_publish_button, "publish the drafted agenda", who=Who.MANAGERS,
           success="replace"),
    Button(ActionId.AGENDA_REGENERATE, handle_regenerate_button, "draft the agenda again", who=Who.MANAGERS,
           success="replace"),
)
FORMS = (
    Form(CallbackId.AGENDA_DECLINE_MODAL, handle_decline_submission, "the reason a proposal is declined",
         default_field="reason", who=Who.DECIDERS),
)
