"""Before the meeting, who is coming: each member's Attending / Apologies / Sending a substitute (buttons on the
published agenda and on the request for partner updates), the substitute's form, and `/meeting attendance`.

Whether the meeting is quorate is decided by `handlers.quorum.quorum_check` (re-exported here), for the replies
before the meeting as for the presence recorded at it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from handlers import access, forms, mentions
from handlers.action_input import resolve_member
from handlers.base import Forbidden, InvalidInput, NotFound, Reply, Request, UsageError
from handlers.board_rules import board_config, next_meeting
from handlers.ids import ActionId, CallbackId
from handlers.member_ref import is_member_reference
from handlers.parsing import mention_id, parse_id
from handlers.plan import existing_meeting, parse_meeting_date
from handlers.quorum import QuorumResult, counted_members, evaluate, quorum_check
from handlers.registry import Button, Command, Form, Option, Who
from store import attendance as attendance_store
from store import audit, boards
from store.meeting_record import record_of
from store.models import Attendance, AttendanceReply, Meeting, Member, Membership, Role
from store.models.views import BoardView, MembershipView, MemberView

__all__ = ["QuorumResult", "expected_attendance", "quorum_check"]

REPLY_TEMPLATE = "slack/attendance_reply.json.j2"
MODAL_TEMPLATE = "slack/attendance_substitute_modal.json.j2"
SUB_MEMBER, SUB_NAME, SUB_EMAIL = "substitute_member", "substitute_name", "substitute_email"
# An address as people write one: something@somewhere.tld, no spaces or angle brackets, within RFC 5321's 254.
EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9]"
                   r"(?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$")
WORDS = {AttendanceReply.ATTENDING.value: "attending", AttendanceReply.APOLOGIES.value: "apologies",
         AttendanceReply.SUBSTITUTE.value: "sending a substitute"}


# ---------------------------------------------------------------- who is expected


@dataclass
class Expected:
    """A meeting's replies so far, every member's, and what they make of its quorum."""

    board: BoardView
    meeting: Meeting
    members: list[Membership]  # current members, the secretariat included
    rows: dict[int, Attendance]  # member id: their reply
    quorum: QuorumResult
    if_all_come: QuorumResult  # should everyone yet to reply come as well
    no_reply: list[Membership] = field(default_factory=list)


def expected_attendance(session: Session, board: BoardView, meeting: Meeting) -> Expected:
    """Who said they are coming, sent apologies or a substitute, and who has not replied; and the quorum they make."""
    members = boards.list_members(session=session, board_id=board.id)
    rows = {r.member_id: r for r in attendance_store.replies(session=session, meeting_id=meeting.id)
            if r.member_id is not None}
    current = {m.member_id for m in members}
    rows = {k: r for k, r in rows.items() if k in current}
    present = {k for k, r in rows.items() if r.reply == AttendanceReply.ATTENDING.value}
    # A substitute who is a member coming in their own right fills one seat, not two.
    substituted = {k for k, r in rows.items() if r.reply == AttendanceReply.SUBSTITUTE.value
                   and r.substitute_member_id not in present}
    no_reply = [m for m in members if m.member_id not in rows]
    rule = board_config(board).quorum_rule
    seated = counted_members(members)
    return Expected(board, meeting, members, rows, evaluate(rule, seated, present, substituted),
                    evaluate(rule, seated, present | {m.member_id for m in no_reply}, substituted), no_reply)


def substitute_label(row: Attendance, session: Session) -> str:
    """The substitute a reply names: a member's name, or the name (and address) given."""
    if row.substitute_member_id is not None:
        member = session.get(Member, row.substitute_member_id)
        return member.display_name if member is not None else "a colleague"
    if row.substitute_name:
        return f"{row.substitute_name} ({row.substitute_email})" if row.substitute_email else row.substitute_name
    return "someone not yet named"


def view_data(session: Session, expected: Expected, today: dt.date) -> dict[str, Any]:
    """The data of `slack/attendance_view.json.j2`: every member by organisation with their reply, and the quorum."""
    groups: dict[str, list[dict[str, Any]]] = {}
    counts = {"attending": 0, "apologies": 0, "substitute": 0, "none": 0}
    for m in sorted(expected.members, key=lambda m: m.member.display_name.casefold()):
        row = expected.rows.get(m.member_id)
        reply = row.reply if row is not None and row.reply else "none"
        counts[reply] = counts.get(reply, 0) + 1
        groups.setdefault(m.organisation.name if m.organisation else "", []).append({
            "user_id": m.member.slack_user_id, "name": m.member.display_name, "reply": reply,
            "role": m.role.value if m.role != Role.MEMBER else "",
            "substitute": substitute_label(row, session) if reply == "substitute" and row is not None else ""})
    orgs = [{"name": name or "No organisation", "people": people}
            for name, people in sorted(groups.items(), key=lambda g: (not g[0], g[0].casefold()))]
    q = expected.quorum
    return {
        "board": expected.board.name, "meeting_date": expected.meeting.date,
        "taken_place": expected.meeting.date < today, "orgs": orgs, "counts": counts,
        "quorum": {"set": q.is_set, "quorate": q.quorate, "reasons": q.reasons, "words": q.rule_words,
                   "seats": q.seats, "members": q.members, "organisations": q.organisations,
                   "if_all_come": expected.if_all_come.quorate},
    }


# ---------------------------------------------------------------- /meeting attendance


def meeting_named(req: Request, board: BoardView, phrase: str) -> Meeting:
    """The meeting on the date given (as `/agenda` and `/plan` read one), or the next meeting."""
    if phrase.strip():
        return existing_meeting(req, board, parse_meeting_date(req, board, phrase), future=False)
    found = next_meeting(session=req.session, board=board, now=req.now())
    if found is None:
        raise NotFound(f"{board.name} has no meeting planned. The chair or secretariat adds one with "
                       "`/plan meeting add <date>`.")
    return found


def handle_meeting_attendance(req: Request) -> Reply:
    """`/meeting attendance [date]`: who is coming, apologies, substitutes and no reply yet, by organisation, and
    whether the meeting is expected to be quorate."""
    board = req.board
    meeting = meeting_named(req, board, " ".join(a.value for a in req.parsed.args))
    expected = expected_attendance(req.session, board, meeting)
    return Reply("slack/attendance_view.json.j2", view_data(req.session, expected, req.today(board.timezone)))


# ---------------------------------------------------------------- replies


def _clicked(req: Request, raw: Any) -> tuple[BoardView, Meeting, MemberView, MembershipView]:
    """The meeting a button or form names, and the member replying: refused for anyone not on its board, or once
    the meeting has taken place, is under way or has ended."""
    meeting_id = parse_id(raw)
    meeting = req.session.get(Meeting, meeting_id) if meeting_id else None
    if meeting is None:
        raise NotFound("That meeting is no longer in the plan, so there is nothing to reply to.")
    board = boards.get_existing(session=req.session, board_id=meeting.board_id)
    actor = access.actor_for(req, board)
    if actor.member is None or actor.membership is None:
        raise Forbidden(actor.not_on_board)
    when = f"{meeting.date:%A %-d %B %Y}"
    if meeting.date < req.today(board.timezone):
        raise InvalidInput(f"The {board.name} meeting on {when} has taken place, so replies to it are closed.")
    record = record_of(session=req.session, meeting_id=meeting.id)
    if record is not None and record.closed_at is not None:
        raise InvalidInput(f"The {board.name} meeting on {when} has ended, so replies to it are closed.")
    if record is not None:
        raise InvalidInput(f"The {board.name} meeting on {when} is under way: the secretariat records who is there.")
    return board, meeting, actor.member, actor.membership


def record_reply(req: Request, board: BoardView, meeting: Meeting, member: MemberView, membership: MembershipView,
                 reply: AttendanceReply, *, substitute: Member | None = None, name: str | None = None,
                 email: str | None = None) -> dict[str, Any]:
    """Record (or change) a member's reply, audited; the data of the answer that tells them."""
    row = attendance_store.reply_row(session=req.session, meeting_id=meeting.id, member_id=member.id)
    before = attendance_store.reply_fields(row) if row is not None and row.reply else None
    was = str(before["reply"]) if before else None
    same = (before is not None and was == reply.value and before["substitute_member_id"] ==
            (substitute.id if substitute else None) and before["substitute_name"] == name
            and before["substitute_email"] == email)
    if not same:
        row = attendance_store.set_reply(
            session=req.session, meeting_id=meeting.id, member_id=member.id, organisation_id=membership.organisation_id,
            name=member.display_name, reply=reply, now=req.now(), substitute_member_id=substitute.id if substitute else None,
            substitute_name=name, substitute_email=email)
        audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="meeting_attendance",
                     entity_id=row.id, operation="reply", before=before,
                     after=dict(attendance_store.reply_fields(row), meeting=meeting.date.isoformat()))
    assert row is not None
    return {"board": board.name, "meeting_date": meeting.date, "reply": reply.value,
            "was": WORDS.get(was, "") if not same and was and was != reply.value else "",
            "unchanged": same, "substitute": substitute_label(row, req.session) if reply == AttendanceReply.SUBSTITUTE else ""}


def handle_attending_button(req: Request) -> Reply:
    """Attending: the member will come."""
    board, meeting, member, membership = _clicked(req, req.values.get("value"))
    return Reply(REPLY_TEMPLATE, record_reply(req, board, meeting, member, membership, AttendanceReply.ATTENDING))


def handle_apologies_button(req: Request) -> Reply:
    """Apologies: the member will not come."""
    board, meeting, member, membership = _clicked(req, req.values.get("value"))
    return Reply(REPLY_TEMPLATE, record_reply(req, board, meeting, member, membership, AttendanceReply.APOLOGIES))


def _colleagues(req: Request, board: BoardView, membership: MembershipView) -> list[Membership]:
    """The other current members of the board from the member's organisation (whom they may send)."""
    if membership.organisation_id is None:
        return []
    return sorted((m for m in boards.list_members(session=req.session, board_id=board.id)
                   if m.organisation_id == membership.organisation_id and m.member_id != membership.member_id),
                  key=lambda m: m.member.display_name.casefold())


def handle_substitute_button(req: Request) -> Reply:
    """Sending a substitute: the form naming them (a colleague from the board, or a name and address)."""
    board, meeting, member, membership = _clicked(req, req.values.get("value"))
    row = attendance_store.reply_row(session=req.session, meeting_id=meeting.id, member_id=member.id)
    current = row if row is not None and row.reply == AttendanceReply.SUBSTITUTE.value else None
    colleagues = [{"text": m.member.display_name[:forms.MAX_OPTION_TEXT], "value": str(m.member_id)}
                  for m in _colleagues(req, board, membership)]
    chosen = next((c for c in colleagues if current and c["value"] == str(current.substitute_member_id)), None)
    data = {"board": board.name, "meeting_date": meeting.date, "metadata": json.dumps({"meeting_id": meeting.id}),
            "organisation": membership.organisation.name if membership.organisation else "",
            "colleagues": colleagues, "chosen": chosen,
            "name": (current.substitute_name or "") if current else "",
            "email": (current.substitute_email or "") if current else ""}
    return Reply("slack/agenda_note.json.j2", {"text": "Name your substitute in the form."},
                 open_modal={"template": MODAL_TEMPLATE, "data": data})


def choose_substitute(req: Request, board: BoardView, membership: MembershipView, *, colleague_id: int | None,
                      name: str, email: str) -> tuple[Member | None, str | None, str | None]:
    """The substitute a member names (the form's or `/meeting reply substitute`'s): a colleague from their
    organisation on the board, or a name with a valid email address; (colleague, name, email)."""
    colleagues = {m.member_id: m.member for m in _colleagues(req, board, membership)}
    name = " ".join(name.split())
    email = email.strip()
    if colleague_id is not None:
        substitute = colleagues.get(colleague_id)
        if substitute is None:
            raise InvalidInput("Choose someone from your organisation on the board.", field=SUB_MEMBER)
        if name or email:
            raise InvalidInput("Choose a colleague or give a name and email, not both.", field=SUB_NAME)
        return substitute, None, None
    if not name:
        raise InvalidInput("Choose a colleague, or give the name of the person coming." if colleagues else
                           "Give the name of the person coming in your place.", field=SUB_NAME)
    name = mentions.plain_names(req.session, name)
    if len(name) > 200:
        raise InvalidInput("A name can be at most 200 characters.", field=SUB_NAME)
    if not email:
        raise InvalidInput(f"Give {name}'s email address, so the secretariat can send them the papers.",
                           field=SUB_EMAIL)
    if len(email) > 254 or not EMAIL.match(email):
        raise InvalidInput(f"“{email[:60]}” is not an email address (like name@example.org).", field=SUB_EMAIL)
    return None, name, email


def handle_substitute_submission(req: Request) -> Reply:
    """The substitute's form: a colleague from the member's organisation, or a name with a valid email address."""
    meta = forms.metadata(req)
    board, meeting, member, membership = _clicked(req, meta.get("meeting_id"))
    picked = req.values.get(SUB_MEMBER)
    substitute, name, email = choose_substitute(
        req, board, membership, colleague_id=(parse_id(picked) or 0) if picked else None,
        name=str(req.values.get(SUB_NAME) or ""), email=str(req.values.get(SUB_EMAIL) or ""))
    data = record_reply(req, board, meeting, member, membership, AttendanceReply.SUBSTITUTE, substitute=substitute,
                        name=name, email=email)
    req.notify.to_user(req.user_id, REPLY_TEMPLATE, data)  # the form closes: the answer goes to their DM
    return Reply(REPLY_TEMPLATE, data)


REPLY_WORDS = {"attending": AttendanceReply.ATTENDING, "coming": AttendanceReply.ATTENDING,
               "apologies": AttendanceReply.APOLOGIES, "substitute": AttendanceReply.SUBSTITUTE}
REPLY_EXAMPLES = ("/meeting reply attending", "/meeting reply apologies 10 October 2019",
                  '/meeting reply substitute "Sam Patel" email:sam.patel@nhs.net')


def handle_meeting_reply(req: Request) -> Reply:
    """`/meeting reply attending|apologies|substitute [@colleague | "Name" email:…] [date]`: the buttons' reply,
    typed (the console, a phone), for the next meeting or the one on the date given."""
    args = list(req.parsed.args)
    word = args.pop(0).value.lower() if args else ""
    reply = REPLY_WORDS.get(word)
    if reply is None:
        raise UsageError("Say whether you are coming: `attending`, `apologies` or `substitute`.",
                         examples=REPLY_EXAMPLES)
    colleague: Member | None = None
    name = ""
    if reply is AttendanceReply.SUBSTITUTE:
        if not args or not (mention_id(args[0].raw) or is_member_reference(args[0].raw) or args[0].quoted):
            raise UsageError('Name your substitute: a colleague from your organisation (@name, or @"Their Name" for '
                             'a member by email), or "their name" in quotes with `email:`.',
                             examples=REPLY_EXAMPLES[2:])
        first = args.pop(0)
        user_id = mention_id(first.raw)
        if user_id:
            colleague = boards.get_member(session=req.session, slack_user_id=user_id)
            if colleague is None:
                raise InvalidInput(f"{mentions.name_of(req.session, user_id, None)} is not on {req.board.name}; "
                                   'name someone from your organisation on the board, or give "their name" with '
                                   "`email:`.", examples=REPLY_EXAMPLES[2:])
        elif not first.quoted:
            colleague = resolve_member(req, req.board, first.raw, field=SUB_MEMBER)
        else:
            name = first.value
    elif "email" in req.parsed.options:
        raise UsageError("`email:` goes with a substitute's name.", examples=REPLY_EXAMPLES[2:])
    meeting = meeting_named(req, req.board, " ".join(a.value for a in args))
    board, meeting, member, membership = _clicked(req, meeting.id)
    substitute: Member | None = None
    sub_name = sub_email = None
    if reply is AttendanceReply.SUBSTITUTE:
        substitute, sub_name, sub_email = choose_substitute(
            req, board, membership, colleague_id=colleague.id if colleague else None, name=name,
            email=req.parsed.options.get("email", ""))
    return Reply(REPLY_TEMPLATE, record_reply(req, board, meeting, member, membership, reply, substitute=substitute,
                                              name=sub_name, email=sub_email))


# ---------------------------------------------------------------- declarations

COMMANDS = (
    Command("/meeting", ("reply",), handle_meeting_reply, topic="meeting", who=Who.MEMBERS, parsed=True,
            doing="reply for a meeting", options=(Option("email", help="a substitute's email address"),),
            usage='/meeting reply attending|apologies|substitute [@colleague | "Name" email:…] [date]',
            summary="say whether you are coming to the next (or named) meeting, as the Attending / Apologies / "
                    "Sending a substitute buttons do", examples=REPLY_EXAMPLES),
    Command("/meeting", ("attendance",), handle_meeting_attendance, topic="meeting", parsed=True, read_only=True,
            usage="/meeting attendance [date]",
            summary="who is coming to the next (or named) meeting, apologies, substitutes and no reply yet, by "
                    "organisation, and whether it is expected to be quorate"),
)
BUTTONS = (
    Button(ActionId.MEETING_ATTENDING, handle_attending_button, "say you are coming to a meeting", who=Who.MEMBERS),
    Button(ActionId.MEETING_APOLOGIES, handle_apologies_button, "send your apologies for a meeting", who=Who.MEMBERS),
    Button(ActionId.MEETING_SUBSTITUTE, handle_substitute_button, "open the form naming your substitute",
           who=Who.MEMBERS),
)
FORMS = (
    Form(CallbackId.MEETING_SUBSTITUTE_MODAL, handle_substitute_submission,
         "your substitute at a meeting: a colleague from your organisation, or a name and email",
         default_field=SUB_NAME, fields=(SUB_MEMBER, SUB_NAME, SUB_EMAIL), who=Who.MEMBERS),
)
