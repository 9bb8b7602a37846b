"""Answering from an email: what the page behind an answer link shows (`answer_page`), and its form's change
(`answer`), made by the same handlers the Slack buttons and forms call, as that person, so the same permissions
apply and the audit names them as it would from Slack.

A link does its work once: `answer` remembers it as used (store.links) in the same unit of work as the change,
before making it, so a second request with the same link (even at the same moment) changes nothing.
The page of a link whose answer cannot be given (the action closed, the meeting past, not theirs to change)
says why, as the Slack button would have."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from handlers import access, attendance, performance, reminders, updates
from handlers.actions import closed_said
from handlers.base import Conflict, DomainError, Forbidden, InvalidInput, NotFound, Reply, Request
from handlers.board_rules import next_meeting
from handlers.links import Answer, AnswerPass
from handlers.parsing import clean_text
from store import actions as action_store
from store import attendance as attendance_store
from store import audit, boards, emails
from store import links as link_store
from store.models import Action, ActionStatus, AttendanceReply, Board, Meeting, Member
from store.models.views import BoardView

ACTION_CHOICES = ("done", "progress", "snooze", "not_mine")  # the action page's four forms (`do`)
REPLIES = {"attending": AttendanceReply.ATTENDING, "apologies": AttendanceReply.APOLOGIES,
           "substitute": AttendanceReply.SUBSTITUTE}


@dataclass
class AnswerPage:
    """What an answer link's page shows: its template (templates/web/answers/), the data, and the board whose pages
    (the pack, the minutes) it links to, with the meeting to open there."""

    template: str
    data: dict[str, Any]
    board: BoardView | None = None
    meeting_date: dt.date | None = None
    refusal: DomainError | None = None  # why the form is not there (the action closed, the meeting past)
    fields: dict[str, str] = field(default_factory=dict)  # the form's values as sent, to show again


class LinkUsed(Conflict):
    """The link has done its work already (perhaps by another request a moment ago)."""

    title = "This link has been used"


class LinkNotForThem(DomainError):
    """A link bound to a member id that is not its own person's (altered data under a genuine signature: never)."""

    title = "This link does not work"


# ---------------------------------------------------------------- the pages (GET: reading only)


def answer_page(req: Request, passed: AnswerPass, member: Member) -> AnswerPage:
    """The page of a genuine, unused link, with its form; a refusal (as the Slack button's) in place of the form."""
    try:
        return PAGES[passed.kind](req, passed, member)
    except DomainError as exc:
        page = refused_page(req, passed, member)
        page.refusal = exc
        return page


def refused_page(req: Request, passed: AnswerPass, member: Member) -> AnswerPage:
    """The page of a link whose answer cannot be given: what it was for, and why not (no form)."""
    board, when = where_about(req, passed)
    return AnswerPage("answers/refused.html.j2", {"kind": passed.kind.value}, board, when)


def where_about(req: Request, passed: AnswerPass) -> tuple[Board | None, dt.date | None]:
    """The board (and meeting) a link is about, for the link to its pages."""
    if passed.kind is Answer.ACTION:
        action = req.session.get(Action, passed.object_id)
        return (action.board, _next_date(req, action.board)) if action else (None, None)
    if passed.kind in (Answer.UPDATE, Answer.RETURN):
        board = boards.get(session=req.session, board_id=passed.object_id)
        return (board, _next_date(req, board)) if board else (None, None)
    if passed.kind is Answer.ATTENDANCE:
        meeting = req.session.get(Meeting, passed.object_id)
        return (meeting.board, meeting.date) if meeting else (None, None)
    return None, None


def _next_date(req: Request, board: BoardView) -> dt.date | None:
    meeting = next_meeting(session=req.session, board=board, now=req.now())
    return meeting.date if meeting else None


def action_page(req: Request, passed: AnswerPass, member: Member) -> AnswerPage:
    action = req.session.get(Action, passed.object_id)
    actor = reminders.may_answer(req, action)
    assert action is not None
    if action.status != ActionStatus.OPEN:
        raise Conflict(f"{closed_said(req, action)}, so there is nothing to answer.", title="Already closed")
    today = req.today(action.board.timezone)
    last = action_store.last_change(session=req.session, action_id=action.id, kinds=("progress",))
    return AnswerPage("answers/action.html.j2", {
        "ref": action.ref, "text": action.text, "board_name": action.board.name, "due": action.due_date,
        "owner": action.owner.display_name, "yours": actor.member is not None and actor.member.id == action.owner_id,
        "last_note": last.note if last else "", "snooze_from": today + dt.timedelta(days=1),
        "snooze_to": today + dt.timedelta(days=reminders.SNOOZE_MAX_DAYS),
        "snooze_default": today + dt.timedelta(days=7),
    }, action.board, _next_date(req, action.board))


def update_page(req: Request, passed: AnswerPass, member: Member) -> AnswerPage:
    board = _board(req, passed)
    actor = access.actor_for(req, board)
    access.require_member(actor)
    form = updates.open_update_modal(req, actor).data
    return AnswerPage("answers/update.html.j2", {
        "board_name": board.name, "meeting_date": form["meeting_date"], "organisation": form["organisation"],
        "text": form["initial"]}, board, form["meeting_date"])


def return_page(req: Request, passed: AnswerPass, member: Member) -> AnswerPage:
    board = _board(req, passed)
    actor = access.actor_for(req, board)
    form = performance.open_return_modal(req, board, access.require_member(actor), actor.manages_board).data
    return AnswerPage("answers/return.html.j2", {"board_name": board.name, "quarter": form["quarter"],
                                                 "items": form["items"]}, board, _next_date(req, board))


def attendance_page(req: Request, passed: AnswerPass, member: Member) -> AnswerPage:
    form = attendance.handle_substitute_button(_with(req, value=str(passed.object_id))).open_modal
    assert form is not None
    data = form["data"]
    meeting = req.session.get_one(Meeting, passed.object_id)
    row = attendance_store.reply_row(session=req.session, meeting_id=meeting.id, member_id=member.id)
    return AnswerPage("answers/attendance.html.j2", {
        "board_name": data["board"], "meeting_date": data["meeting_date"], "venue": meeting.venue or "",
        "organisation": data["organisation"], "colleagues": data["colleagues"],
        "chosen_member": (data["chosen"] or {}).get("value", ""), "name": data["name"], "email": data["email"],
        "replied": row.reply if row is not None and row.reply else ""}, meeting.board, meeting.date)


def confirm_page(req: Request, passed: AnswerPass, member: Member) -> AnswerPage:
    _own(passed, member)
    if not passed.email or not member.email or member.email.casefold() != passed.email.casefold():
        raise Conflict("This address has changed since the link was sent, so it cannot be confirmed here. The "
                       "email sent to the new address has a link of its own.", title="This address has changed")
    return AnswerPage("answers/confirm.html.j2", {"email": passed.email,
                                                  "confirmed": member.email_confirmed_at is not None})


def unsubscribe_page(req: Request, passed: AnswerPass, member: Member) -> AnswerPage:
    _own(passed, member)
    return AnswerPage("answers/unsubscribe.html.j2", {"email": member.email or "", "stopped": not member.email_digests})


PAGES: dict[Answer, Callable[[Request, AnswerPass, Member], AnswerPage]] = {
    Answer.ACTION: action_page, Answer.UPDATE: update_page, Answer.RETURN: return_page,
    Answer.ATTENDANCE: attendance_page, Answer.CONFIRM: confirm_page, Answer.UNSUBSCRIBE: unsubscribe_page,
}


def _board(req: Request, passed: AnswerPass) -> BoardView:
    board = boards.get(session=req.session, board_id=passed.object_id)
    if board is None:
        raise NotFound("That board is no longer on lspbot.")
    return board


def _own(passed: AnswerPass, member: Member) -> None:
    if passed.object_id != member.id:
        raise LinkNotForThem("This link is not valid: it may have been altered or cut short.")


def _with(req: Request, **values: Any) -> Request:
    """The request with these form values, as a Slack button or form would carry them (typed text cleaned as the
    transports clean it)."""
    req.values = {k: clean_text(v) if isinstance(v, str) else v for k, v in values.items() if v is not None}
    return req


# ---------------------------------------------------------------- the forms (POST: the change)


def answer(req: Request, passed: AnswerPass, member: Member, form: dict[str, str]) -> str:
    """Make the change the form asks for, as its person, once: what was done, in words (kept with the used link)."""
    if not link_store.use_link(session=req.session, digest=passed.digest, member_id=member.id, now=req.now()):
        raise LinkUsed("This link has been used already, so nothing more was changed.")
    did = ANSWERS[passed.kind](req, passed, member, form)
    link_store.record_use(session=req.session, digest=passed.digest, member_id=member.id, actor=req.user_id,
                          kind=passed.kind.value, did=did, now=req.now())
    return did


def _changed(reply: Reply) -> None:
    """A reminder button's answer, refused when it is a stale click's (nothing was changed)."""
    if reply.show:  # the action had moved on: the button says so, and so does the page
        raise Conflict(str(reply.data.get("text") or "Nothing has changed."), title="Nothing changed")


def answer_action(req: Request, passed: AnswerPass, member: Member, form: dict[str, str]) -> str:
    choice = form.get("do", "")
    value = str(passed.object_id)
    action = req.session.get(Action, passed.object_id)
    ref = f"#{action.ref}" if action is not None else ""
    note = (form.get("note") or "").strip()
    if choice == "done":
        _changed(reminders.handle_chase_done(_with(req, value=value, note=note or None)))
        return f"Action {ref} marked done" + (f", with the note “{note}”." if note else ".")
    if choice == "progress":
        if not note:
            raise InvalidInput("Write your progress note.", field="note")
        _changed(reminders.handle_chase_update_submit(_with(req, value=value, note=note)))
        return f"A progress note added to action {ref}: “{note}”."
    if choice == "snooze":
        if not form.get("until"):
            raise InvalidInput("Choose the date to snooze to.", field="until")
        _changed(reminders.handle_chase_snooze(_with(req, value=value, until=form["until"])))
        until = dt.date.fromisoformat(form["until"].strip())
        return f"The reminders about action {ref} snoozed until {until:%-d %B %Y}."
    if choice == "not_mine":
        reason = (form.get("reason") or "").strip()
        _changed(reminders.handle_chase_not_mine(_with(req, value=value, reason=reason or None)))
        return f"The secretariat told that action {ref} is not {member.display_name}'s" + (
            f": “{reason}”." if reason else ".")
    raise InvalidInput("Choose what to do with the action.")


def answer_update(req: Request, passed: AnswerPass, member: Member, form: dict[str, str]) -> str:
    metadata = json.dumps({"board_id": passed.object_id})
    reply = updates.handle_update_modal_submit(_with(req, private_metadata=metadata,
                                                     **{updates.MODAL_TEXT: form.get("text", "")}))
    return f"{reply.data['organisation']}'s update sent for the meeting on {reply.data['meeting_date']:%-d %B %Y}."


def answer_return(req: Request, passed: AnswerPass, member: Member, form: dict[str, str]) -> str:
    metadata = json.dumps({"board_id": passed.object_id})
    sent: list[str] = []
    quarter = ""
    for item_id in [k.removeprefix("rag-") for k in form if k.startswith("rag-")]:
        rag, commentary = form.get(f"rag-{item_id}", ""), form.get(f"commentary-{item_id}", "")
        if not rag and not commentary.strip():
            continue  # not answered this time
        try:
            reply = performance.handle_return_modal_submit(_with(req, private_metadata=metadata, **{
                performance.FIELD_ITEM: item_id, performance.FIELD_RAG: rag,
                performance.FIELD_COMMENTARY: commentary}))
        except DomainError as exc:  # the item's own field, on the page
            exc.field = {performance.FIELD_RAG: f"rag-{item_id}"}.get(exc.field or "", f"commentary-{item_id}")
            raise
        quarter = reply.data["quarter"]
        sent.append(f"{reply.data['item']} ({reply.data['rag']})")
    if not sent:
        raise InvalidInput("Give a RAG status and a line of commentary for at least one of them.")
    return f"The {quarter} return sent for " + ", ".join(sent) + "."


def answer_attendance(req: Request, passed: AnswerPass, member: Member, form: dict[str, str]) -> str:
    reply = REPLIES.get(form.get("reply", ""))
    value = str(passed.object_id)
    if reply is AttendanceReply.ATTENDING:
        data = attendance.handle_attending_button(_with(req, value=value)).data
        return f"Reply sent for the meeting on {data['meeting_date']:%-d %B %Y}: attending."
    if reply is AttendanceReply.APOLOGIES:
        data = attendance.handle_apologies_button(_with(req, value=value)).data
        return f"Reply sent for the meeting on {data['meeting_date']:%-d %B %Y}: apologies."
    if reply is AttendanceReply.SUBSTITUTE:
        data = attendance.handle_substitute_submission(_with(
            req, private_metadata=json.dumps({"meeting_id": passed.object_id}),
            **{attendance.SUB_MEMBER: form.get("substitute_member") or None,
               attendance.SUB_NAME: form.get("substitute_name", ""),
               attendance.SUB_EMAIL: form.get("substitute_email", "")})).data
        return f"Reply sent for the meeting on {data['meeting_date']:%-d %B %Y}: {data['substitute']} comes instead."
    raise InvalidInput("Say whether you are coming.", field="reply")


def answer_confirm(req: Request, passed: AnswerPass, member: Member, form: dict[str, str]) -> str:
    _own(passed, member)
    first = member.email_confirmed_at is None
    if not passed.email or not emails.confirm_email(session=req.session, member_id=member.id, email=passed.email,
                                                    now=req.now()):
        raise Conflict("This address has changed since the link was sent, so it was not confirmed.",
                       title="This address has changed")
    if first:
        audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="member", entity_id=member.id,
                     operation="email_confirmed", after={"email": member.email})
    return f"The address {passed.email} confirmed."


def answer_unsubscribe(req: Request, passed: AnswerPass, member: Member, form: dict[str, str]) -> str:
    _own(passed, member)
    link_store.stop_digests(session=req.session, member=member, actor=req.user_id, now=req.now())
    return "The optional digests by email stopped."


ANSWERS: dict[Answer, Callable[[Request, AnswerPass, Member, dict[str, str]], str]] = {
    Answer.ACTION: answer_action, Answer.UPDATE: answer_update, Answer.RETURN: answer_return,
    Answer.ATTENDANCE: answer_attendance, Answer.CONFIRM: answer_confirm, Answer.UNSUBSCRIBE: answer_unsubscribe,
}


def unsubscribe_once_more(req: Request, passed: AnswerPass, member: Member) -> None:
    """A List-Unsubscribe one-click POST for a link used or run out (a mail client may send it again, and an
    unsubscribe should work for as long as the email is read): the digests stopped, nothing else."""
    _own(passed, member)
    link_store.stop_digests(session=req.session, member=member, actor=req.user_id, now=req.now())


def fresh_address(member: Member, passed: AnswerPass) -> str | None:
    """Where a fresh link for an old one may go: the member's confirmed address; for a confirmation link, the address
    it was for, if it is still theirs and still unconfirmed (never another address they have given since); None when
    there is none."""
    if passed.kind is Answer.CONFIRM:
        unconfirmed = member.email is not None and member.email_confirmed_at is None
        return member.email if unconfirmed and member.email == passed.email else None
    return member.email if member.email_ready else None


def error_field(kind: Answer, form: dict[str, str], exc: DomainError) -> str:
    """The id of the page's field a refused form's error belongs to ('' for the form as a whole)."""
    if kind is Answer.ACTION:
        choice = form.get("do", "")
        if choice not in ACTION_CHOICES:
            return ""
        return f"{choice}-" + ("until" if choice == "snooze" else "reason" if choice == "not_mine" else "note")
    if kind is Answer.UPDATE:
        return "text"
    if kind is Answer.RETURN:
        return exc.field if exc.field and exc.field.startswith(("rag-", "commentary-")) else ""
    if kind is Answer.ATTENDANCE:
        fields = (attendance.SUB_MEMBER, attendance.SUB_NAME, attendance.SUB_EMAIL)
        return exc.field if exc.field in fields else "reply"
    return ""


def forbidden_to_see(exc: DomainError) -> bool:
    """Whether a refusal means the page must show nothing of the object (not theirs), not just no form."""
    return isinstance(exc, Forbidden | NotFound | LinkNotForThem)
