"""Who was at the meeting: the Present/apologies button on the meeting's message (a form, used once) and
`/meeting attend` / `/meeting apologies` for the rest (and for the console)."""

from __future__ import annotations

import json
from typing import Any

from handlers import access, forms
from handlers.action_input import resolve_member
from handlers.base import Forbidden, InvalidInput, NotFound, Reply, Request, UsageError
from handlers.ids import ActionId, CallbackId
from handlers.meeting_view import NOTE_TEMPLATE, open_meeting, show_meeting, when
from handlers.parsing import parse_id
from handlers.quorum import quorum_check
from handlers.registry import Button, Command, Form, Who
from store import audit, boards
from store import meeting_record as record_store
from store.models import AttendanceReply, MeetingRecord, Presence
from store.models.views import BoardView

ATTEND_EXAMPLE = '/meeting attend @alice @bob "Dr Jane Smith (CCG)"'
APOLOGIES_EXAMPLE = "/meeting apologies @carol"
MAX_NAME = 200


def record_people(req: Request, board: BoardView, record: MeetingRecord, members: list[str], guests: list[str],
                  presence: Presence) -> list[str]:
    """Record members (by mention or user id) and guests (by name, in attendance) as `presence`; their names."""
    names = []
    for token in members:
        member = resolve_member(req, board, token)
        membership = boards.get_membership(session=req.session, board_id=board.id, member_id=member.id)
        record_store.record_presence(session=req.session, meeting_id=record.meeting_id, member_id=member.id,
                                     name=member.display_name, presence=presence.value, by=req.user_id,
                                     organisation_id=membership.organisation_id if membership else None,
                                     now=req.now())
        names.append(member.display_name)
    named = record_store.named_substitutes(session=req.session, meeting_id=record.meeting_id) if guests else {}
    for name in guests:
        stands_for = named.get(" ".join(name.split()).casefold()) if presence == Presence.PRESENT else None
        if stands_for is not None:  # the substitute a member named before the meeting: in their seat
            record_store.record_presence(session=req.session, meeting_id=record.meeting_id, member_id=None,
                                         name=stands_for.substitute_name or name,
                                         organisation_id=stands_for.organisation_id,
                                         presence=Presence.PRESENT.value, by=req.user_id, now=req.now(),
                                         substitute_for_id=stands_for.member_id)
            names.append(f"{stands_for.substitute_name} (substitute for {stands_for.name})")
            continue
        record_store.record_presence(session=req.session, meeting_id=record.meeting_id, member_id=None, name=name,
                                     organisation_id=None, presence=Presence.IN_ATTENDANCE.value, by=req.user_id,
                                     now=req.now())
        names.append(f"{name} (in attendance)")
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="meeting_record", entity_id=record.id,
                 operation="attendance", after={"presence": presence.value, "people": names})
    set_quorate(req, board, record)
    show_meeting(req.session, req.notify, board, record.meeting, record)
    return names


def set_quorate(req: Request, board: BoardView, record: MeetingRecord) -> None:
    """Whether the meeting is quorate with the members recorded present (and the substitutes named before it for
    members who are not there), by the board's quorum (`handlers.quorum`); left unset on a board without one."""
    rows = record_store.attendance_of(session=req.session, meeting_id=record.meeting_id)
    present = {r.member_id for r in rows if r.member_id is not None and r.presence == Presence.PRESENT.value}
    substituted = {r.member_id for r in rows if r.member_id is not None and r.member_id not in present
                   and r.reply == AttendanceReply.SUBSTITUTE.value}
    result = quorum_check(board, req.session, present, substituted)
    record.quorate = result.quorate if result.is_set else None


def _people(req: Request, example: str, *, guests_allowed: bool) -> tuple[list[str], list[str]]:
    members, guests = [], []
    for token in req.parsed.args:
        if token.quoted:
            if not guests_allowed:
                raise UsageError(f"“{token.value}” is not a member: apologies are a member's. Mention them.",
                                 examples=[example])
            name = token.value.strip()
            if not name or len(name) > MAX_NAME:
                raise InvalidInput(f"A name in attendance is 1 to {MAX_NAME} characters.")
            guests.append(name)
        else:
            members.append(token.raw)
    if not members and not guests:
        raise UsageError("Name the people: mention members; someone in attendance who is not a member goes in "
                         "quotes.", examples=[example])
    return members, guests


def handle_meeting_attend(req: Request) -> Reply:
    """`/meeting attend @a @b "Name"`: members present, and others in attendance by name."""
    board = req.board
    members, guests = _people(req, ATTEND_EXAMPLE, guests_allowed=True)
    record = open_meeting(req, board)
    names = record_people(req, board, record, members, guests, Presence.PRESENT)
    return Reply(NOTE_TEMPLATE, {"icon": ":wave:", "text": "Present: " + ", ".join(names) + "."})


def handle_meeting_apologies(req: Request) -> Reply:
    """`/meeting apologies @c`."""
    board = req.board
    members, _ = _people(req, APOLOGIES_EXAMPLE, guests_allowed=False)
    record = open_meeting(req, board)
    names = record_people(req, board, record, members, [], Presence.APOLOGIES)
    return Reply(NOTE_TEMPLATE, {"icon": ":wave:", "text": "Apologies: " + ", ".join(names) + "."})


# ---------------------------------------------------------------- the button and its form


def _button_record(req: Request, raw: Any) -> tuple[BoardView, MeetingRecord]:
    meeting_id = parse_id(raw)
    record = record_store.record_of(session=req.session, meeting_id=meeting_id) if meeting_id else None
    if record is None:
        raise NotFound("That meeting was not held in meeting mode.")
    board = boards.get_existing(session=req.session, board_id=record.board_id)
    if not access.actor_for(req, board).manages_board:
        raise Forbidden(f"Only the chair, vice-chair or secretariat of {board.name} can record who is present.")
    if record.closed_at is not None:
        raise InvalidInput(f"The meeting of {when(record.meeting.date)} has ended.", field="present")
    return board, record


def handle_presence_button(req: Request) -> Reply:
    """Present/apologies: the form, once; after that the commands add to it."""
    board, record = _button_record(req, req.values.get("value"))
    if record.attendance_recorded_at is not None:
        return Reply(NOTE_TEMPLATE, {"text": "Present and apologies were taken with the form already. Add to them "
                                             "with `/meeting attend @name` and `/meeting apologies @name`."})
    replies = {r.member_id: r.reply for r in record_store.attendance_of(session=req.session,
                                                                        meeting_id=record.meeting_id)}
    members = sorted(boards.list_members(session=req.session, board_id=board.id),
                     key=lambda m: m.member.display_name.lower())
    options = [{"text": m.member.display_name[:75], "value": m.member.slack_user_id,
                "reply": replies.get(m.member_id) or ""} for m in members][:100]
    data = {"metadata": json.dumps({"meeting": record.meeting_id}), "board": board.name,
            "date": record.meeting.date, "members": options}
    return Reply(NOTE_TEMPLATE, {"text": "Fill in the form: who is present, and who sent apologies."},
                 open_modal={"template": "slack/meeting_attendance_modal.json.j2", "data": data})


def handle_presence_submission(req: Request) -> Reply:
    """Record the form's present and apologies (members) and those in attendance (one name a line)."""
    board, record = _button_record(req, forms.metadata(req).get("meeting"))
    if record.attendance_recorded_at is not None:
        raise InvalidInput("Present and apologies were taken already: add to them with `/meeting attend`.",
                           field="present")
    present = [str(u) for u in req.values.get("present") or []]
    apologies = [str(u) for u in req.values.get("apologies") or []]
    both = set(present) & set(apologies)
    if both:
        raise InvalidInput("Someone is both present and sending apologies: choose one.", field="apologies")
    guests = [line.strip() for line in str(req.values.get("in_attendance") or "").splitlines() if line.strip()]
    if any(len(g) > MAX_NAME for g in guests):
        raise InvalidInput(f"A name is at most {MAX_NAME} characters.", field="in_attendance")
    if not present and not apologies and not guests:
        raise InvalidInput("Choose who is present.", field="present")
    record.attendance_recorded_at = req.now()
    names = record_people(req, board, record, [f"<@{u}>" for u in present], guests, Presence.PRESENT)
    names += record_people(req, board, record, [f"<@{u}>" for u in apologies], [], Presence.APOLOGIES) \
        if apologies else []
    return Reply(NOTE_TEMPLATE, {"icon": ":wave:", "text": "Recorded: " + ", ".join(names) + "."})


# ---------------------------------------------------------------- declarations

COMMANDS = (
    Command("/meeting", ("attend",), handle_meeting_attend, who=Who.MANAGERS, doing="record who is present",
            parsed=True, usage='/meeting attend @member … ["Name"]',
            summary="members present; someone in attendance who is not a member in quotes",
            examples=(ATTEND_EXAMPLE,)),
    Command("/meeting", ("apologies",), handle_meeting_apologies, who=Who.MANAGERS, doing="record apologies",
            parsed=True, usage="/meeting apologies @member …", summary="members who sent apologies",
            examples=(APOLOGIES_EXAMPLE,)),
)
BUTTONS = (
    Button(ActionId.MEETING_PRESENCE, handle_presence_button, "open the form for who is present (once)",
           who=Who.MANAGERS),
)
FORMS = (
    Form(CallbackId.MEETING_PRESENCE_MODAL, handle_presence_submission, "who is present, apologies, in attendance",
         default_field="present", fields=("present", "apologies", "in_attendance"), who=Who.MANAGERS),
)
