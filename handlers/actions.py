"""`/action`: capture, list, show and move along the board's action points."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from handlers import access, mentions
from handlers.access import Actor
from handlers.action_input import names_a_member, parse_due, resolve_former_member, resolve_member, split_add_text
from handlers.base import Conflict, Forbidden, NotFound, Reply, Request, UsageError
from handlers.chase import non_working_due_note, refresh_reminder
from handlers.dates import ago
from handlers.ids import ActionId
from handlers.meeting_view import meeting_origin
from handlers.member_ref import typed_reference
from handlers.parsing import (
    PLAIN_MENTION_RE,
    check_text,
    parse_id,
    parse_ref,
    tokenize,
)
from handlers.registry import Button, Command, Kind, Option, Topic, Who, refusal
from store import actions as action_store
from store import audit, boards, reminder_log
from store import emails as email_store
from store.actions import ActionLine
from store.models import Action, ActionStatus, Member
from store.models.views import BoardView, MemberView

_SNAPSHOT = ("text", "owner_id", "due_date", "status")
_ITEM_OPTION = re.compile(r"^item:#?(\d{1,4})$", re.IGNORECASE)


# ---------------------------------------------------------------- helpers


def describe(action: Action | ActionLine, today: dt.date, last_note: str | None = None, *,
             board: BoardView | None = None, owner: MemberView | None = None) -> dict[str, Any]:
    """Template data for one action: an Action, or an ActionLine of a list (read as columns), which comes with its
    `board` (the list's). An Action given its board and its owner spares it reading its own (a command's board and
    sender are rows of the command's first statement, which the action's relationships do not hold)."""
    if board is None:
        if not isinstance(action, Action):
            raise TypeError("an action of a list is described with its board")
        board = action.board
    if isinstance(action, Action):
        owner_id, owner_name = _owner(action, owner)
    else:
        owner_id, owner_name = action.owner.slack_user_id, action.owner.display_name
    overdue_days = (today - action.due_date).days if action.due_date and action.status == ActionStatus.OPEN else 0
    return {
        "id": action.id,
        "ref": action.ref,
        "board": board.name,
        "board_id": action.board_id,
        "text": action.text,
        "owner_id": owner_id,
        "owner_name": owner_name,
        "due": action.due_date,
        "overdue_days": max(overdue_days, 0),
        "due_today": action.status == ActionStatus.OPEN and action.due_date == today,
        "status": action.status.value,
        "last_note": last_note,
        "permalink": action.source_permalink,
    }


def _owner(action: Action, owner: MemberView | None) -> tuple[str, str]:
    """The Slack id and name of the action's owner: `owner` when it is theirs, else the action's own."""
    found = owner if owner is not None and owner.id == action.owner_id else action.owner
    return found.slack_user_id, found.display_name


def _described(req: Request, actor: Actor, action: Action, note: str | None = None) -> dict[str, Any]:
    """`describe` for an action of the actor's board, given the board and (if they own it) the sender."""
    return describe(action, _today(req, actor.board), note, board=actor.board, owner=actor.member)


def _today(req: Request, board: BoardView) -> dt.date:
    return req.today(board.timezone)


def _author(req: Request, actor: Actor) -> MemberView:
    """The member record to credit with a change (admins off the board get one)."""
    if actor.member is not None:
        return actor.member
    return boards.upsert_member(session=req.session, slack_user_id=req.user_id, display_name=req.user_name)


def _load(req: Request, *, change: bool = True) -> tuple[Actor, Action, str]:
    """The actor, the action named by the first word of the command's text, and the rest of the text. To `change`
    it, the action is read under a lock held until the change is committed: of several people changing it at
    once, each decides on what the one before wrote (see `store.db.lock_rows`)."""
    first, _, remainder = req.rest.strip().partition(" ")
    if not first:
        raise UsageError("Which action? Give its number.", examples=["#12"])
    ref = parse_ref(first)
    action = action_store.get_by_ref(session=req.session, board_id=req.board.id, ref=ref, for_update=change)
    if action is None:
        raise NotFound(f"There is no action #{ref} on {req.board.name}.")
    return req.actor, action, remainder.strip()


def _require_edit(actor: Actor, action: Action) -> None:
    if actor.left and not actor.manages_board:
        raise Forbidden(actor.not_on_board)
    if not actor.may_edit_action(action):
        raise Forbidden(
            f"Only {action.owner.display_name} (the owner), the chair, the vice-chair or the secretariat "
            f"can change #{action.ref}."
        )


def last_change_said(req: Request, action: Action, kinds: tuple[str, ...]) -> tuple[str, str]:
    """(" by Bob", " a moment ago") of the action's latest change of these kinds ("", "" when it has none)."""
    last = action_store.last_change(session=req.session, action_id=action.id, kinds=kinds)
    if last is None:
        return "", ""
    return f" by {last.author.display_name}", " " + ago(req.now(), last.created_at, action.board.timezone)


def closed_said(req: Request, action: Action) -> str:
    """"#12 was closed by Bob a moment ago": who closed (or dropped) the action, and when."""
    verb = "closed" if action.status == ActionStatus.DONE else action.status.value
    who, when = last_change_said(req, action, ("done", "dropped"))
    return f"#{action.ref} was {verb}{who}{when}"


def _require_open(req: Request, action: Action) -> None:
    """Refuse a change to an action that is closed, saying who closed it and when (someone may have done it while
    this request was on its way)."""
    if action.status != ActionStatus.OPEN:
        verb = "closed" if action.status == ActionStatus.DONE else action.status.value
        raise Conflict(f"{closed_said(req, action)}, so nothing has changed. If it is still needed, reopen it with "
                       f"`/action reopen #{action.ref}`.", title=f"Already {verb}")


def _audit(req: Request, action: Action, operation: str, before: dict[str, Any] | None) -> None:
    audit.record(
        session=req.session,
        at=req.now(),
        actor=req.user_id,
        entity="action",
        entity_id=action.id,
        operation=operation,
        before=before,
        after=audit.snapshot(action, _SNAPSHOT),
    )


def _on_board(req: Request, action: Action, member: Member) -> bool:
    return boards.get_membership(session=req.session, board_id=action.board_id, member_id=member.id) is not None


def _notify_owner(req: Request, actor: Actor, action: Action, template: str, data: dict[str, Any]) -> None:
    """DM the owner about a change someone else made (not an owner who has left the board)."""
    if actor.member is not None and actor.member.id == action.owner_id:  # the sender: told by the reply
        return
    if _on_board(req, action, action.owner):
        req.notify.to_user(
            action.owner.slack_user_id,
            template,
            {"action": describe(action, _today(req, actor.board), board=actor.board), "by": req.user_id, **data},
        )


# ---------------------------------------------------------------- add


def handle_action_add(req: Request) -> Reply:
    """Record a new action; its owner defaults to the sender. Naming two people asks which one owns it."""
    rest, item_number = take_item_option(req.rest)
    body, owner_token, due_phrase = split_add_text(
        rest, lambda address: email_store.member_with_email(session=req.session, email=address) is not None)
    board, actor = req.board, req.actor
    creator = access.require_member(actor)
    origin = meeting_origin(req.session, board, item_number) if item_number is not None else None
    check_text(body, "action text")
    named = mentions.mentioned_members(req.session, board.id, body)
    text = check_text(mentions.plain_names(req.session, body), "action text")
    owner = resolve_member(req, board, owner_token) if owner_token else None
    due = parse_due(req, board, due_phrase) if due_phrase else None
    people = [*named, *([owner] if owner is not None and owner not in named else [])]
    if len(people) > 1:
        return ask_owner(req, board, text, people, due, due_phrase)
    return create_action(req, actor, board, text=text, owner=owner or creator, due=due,
                         meeting_id=origin[0] if origin else None, meeting_item_id=origin[1] if origin else None)


def take_item_option(text: str) -> tuple[str, int | None]:
    """`item:4` (the item of the meeting under way an action arose from) taken out of `/action add`'s text."""
    for tok in tokenize(text):
        m = _ITEM_OPTION.match(tok.raw)
        if m and not tok.quoted:
            return (text[:tok.start] + text[tok.end:]).strip(), int(m.group(1))
    return text, None


OWNER_CHOICES = 5  # buttons the question offers at most
OWNER_VALUE_LIMIT = 2000  # Slack's limit on a button's value, which carries the action until an owner is chosen


def ask_owner(req: Request, board: BoardView, text: str, people: list[Member], due: dt.date | None,
              due_phrase: str | None) -> Reply:
    """Two or more people named: one action has one owner, so ask which (a button each), or say how to type it."""
    names = [p.display_name for p in people]
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    first = people[0]
    handle = (f"@{first.display_name}" if PLAIN_MENTION_RE.match(f"@{first.display_name}")
              else f"@{first.slack_user_id}" if first.in_slack else typed_reference(first))
    example = f'/action add "{quoted}" {handle}' + (f" {due_phrase}" if due_phrase else "")
    values = {p.slack_user_id: f"{board.id}|{p.slack_user_id}|{due.isoformat() if due else ''}|{text}" for p in people}
    if len(people) > OWNER_CHOICES or max(len(v.encode()) for v in values.values()) > OWNER_VALUE_LIMIT:
        raise UsageError(f"This names {len(people)} people ({', '.join(names)}), and an action has one owner. Type it "
                         "again with only its owner mentioned, at the end.", examples=[example],
                         title="Who owns it?")
    return Reply("slack/action_owner_question.json.j2", {
        "board": board.name, "text": text, "due": due, "example": example,
        "people": [{"id": p.slack_user_id, "name": p.display_name, "value": values[p.slack_user_id]} for p in people],
    })


def handle_owner_chosen(req: Request) -> Reply:
    """An "Owner: …" button of the question `/action add` asks when it names two people: record the action."""
    board_ref, owner_id, due_text, text = (str(req.values.get("value") or "").split("|", 3) + ["", "", ""])[:4]
    board_id = parse_id(board_ref)
    board = boards.get(session=req.session, board_id=board_id) if board_id else None
    if board is None or not text.strip():
        raise NotFound("That question is no longer there. Type `/action add` again.")
    actor = access.actor_for(req, board)
    if not OWNER_CHOSEN.who.allows(actor):
        raise refusal(OWNER_CHOSEN, actor)
    owner = resolve_member(req, board, f"<@{owner_id}>")
    try:
        due = dt.date.fromisoformat(due_text) if due_text else None
    except ValueError:
        due = None
    return create_action(req, actor, board, text=check_text(text, "action text"), owner=owner, due=due)


RAISED_AT_MEETING_WITHIN = dt.timedelta(days=14)  # an action added this soon after a meeting arose from it


def create_action(
    req: Request,
    actor: Actor,
    board: BoardView,
    *,
    text: str,
    owner: MemberView,
    due: dt.date | None,
    meeting_id: int | None = None,
    permalink: str | None = None,
    meeting_item_id: int | None = None,
) -> Reply:
    """Store an action, tell a different owner, and confirm back. Shared by the command and the modal. An action
    with no meeting of its own arose from the board's meeting while one is open (at the item last given an outcome,
    a note or a declaration), else from the meeting held in the last fortnight, if there was one (raised at it or
    straight after): the store finds which as it stores the action."""
    creator = access.require_member(actor)
    today = _today(req, board)
    action = action_store.create(
        session=req.session,
        board=board,
        text=text,
        owner=owner,
        created_by=creator,
        due_date=due,
        now=req.now(),
        meeting_id=meeting_id,
        source_permalink=permalink,
        meeting_item_id=meeting_item_id,
        arising=(today - RAISED_AT_MEETING_WITHIN, today),
    )
    _audit(req, action, "create", None)
    _notify_owner(req, actor, action, "slack/action_assigned.json.j2", {"reason": "assigned"})
    return Reply("slack/action_added.json.j2", {"action": describe(action, today, board=board, owner=owner),
                                                "by": req.user_id,
                                                "due_note": non_working_due_note(board, due) if due else None})


# ---------------------------------------------------------------- list / show


LIST_PAGE = 40  # actions on one page of `/action list`
LIST_COUNT_CAP = 1000  # a list counts its actions this far ("Showing 1–40 of more than 1,000"), so a long one is quick
LIST_USAGE = "/action list [mine | @user | overdue | all | done | dropped] [page:2]"


def handle_action_list(req: Request) -> Reply:
    """`mine` (default), `@user`, `overdue`, `all`, `done`, `dropped`; `page:N` for the actions after the first pages."""
    args = req.parsed.args
    if len(args) > 1:
        stray = " ".join(a.raw for a in args[1:])
        raise UsageError(f"“{stray}” is not part of a list I know: name one list, and a page if you want one.",
                         examples=["/action list all", "/action list all page:2", "/action list overdue"])
    scope = args[0].raw if args else "mine"
    page = int(req.parsed.options.get("page") or 1)  # checked against its declaration: a whole number
    return action_list(req, req.board, req.actor, scope, page)


def handle_action_list_more(req: Request) -> Reply:
    """The "More" button under a list of actions: its value is `<board id>|<list>|<page>`."""
    board_id, _, rest = str(req.values.get("value") or "").partition("|")
    scope, _, page_text = rest.rpartition("|")
    board_ref, page = parse_id(board_id), parse_id(page_text)
    board = boards.get(session=req.session, board_id=board_ref) if board_ref else None
    if board is None or page is None or not scope:
        raise NotFound("That list is no longer there. Type `/action list` again.")
    actor = access.actor_for(req, board)
    if not LIST_MORE.who.allows(actor):
        raise refusal(LIST_MORE, actor)
    return action_list(req, board, actor, scope, page)


def action_list(req: Request, board: BoardView, actor: Actor, scope: str, page: int) -> Reply:
    """One page of a list of a board's actions, with a way to the next when there are more."""
    today = _today(req, board)
    flt_kwargs: dict[str, Any] = {"board_ids": [board.id]}
    title: str
    typed = scope  # the list as one types it
    lowered = scope.lower()
    if lowered == "mine":
        if actor.member is None:
            return Reply("slack/action_list.json.j2", {"title": "Your open actions", "actions": [], "total": 0,
                                                       "total_said": "0", "board": board.name, "empty": "You have no actions.",
                                                       "first": 1, "more": None})
        flt_kwargs["owner_id"] = actor.member.id
        title = "Your open actions"
    elif lowered == "overdue":
        flt_kwargs["due_before"] = today
        title = "Overdue actions"
    elif lowered == "all":
        title = "All open actions"
    elif lowered == "done":
        flt_kwargs["statuses"] = (ActionStatus.DONE,)
        title = "Completed actions"
    elif lowered == "dropped":
        flt_kwargs["statuses"] = (ActionStatus.DROPPED,)
        title = "Dropped actions"
    elif names_a_member(scope):
        former = resolve_former_member(req, board, scope) if actor.manages_board else None
        member = former or resolve_member(req, board, scope)
        flt_kwargs["owner_id"] = member.id
        title = f"Open actions of {member.display_name}" + (" (owner left the board)" if former else "")
        scope = f"<@{member.slack_user_id}>"
        typed = scope if member.in_slack else typed_reference(member)
    else:
        raise UsageError(f"`/action list {scope}` is not a list I know.", examples=[LIST_USAGE])
    offset = (page - 1) * LIST_PAGE
    found, total, more_than = action_store.counted_page(
        session=req.session, flt=action_store.ActionFilter(**flt_kwargs), limit=LIST_PAGE, offset=offset,
        count_cap=LIST_COUNT_CAP)
    if page > 1 and not found:  # nothing on the page, so counting went to the end: `total` is exact
        last = max(1, -(-total // LIST_PAGE))
        raise NotFound(f"There is no page {page}: the list has {total} action{'s' if total != 1 else ''}, "
                       f"{last} page{'s' if last != 1 else ''} of {LIST_PAGE}.",
                       examples=[f"/action list {typed} page:{last}" if last > 1 else f"/action list {typed}"])
    more = None
    if more_than or offset + len(found) < total:
        more = {"value": f"{board.id}|{scope}|{page + 1}", "command": f"/action list {typed} page:{page + 1}"}
    return Reply(
        "slack/action_list.json.j2",
        {
            "title": title if page == 1 else f"{title} (page {page})",
            "board": board.name,
            "actions": [describe(a, today, board=board) for a in found],
            "total": total,
            "total_said": f"more than {total:,}" if more_than else f"{total:,}",
            "first": offset + 1,
            "more": more,
            "empty": "Nothing here.",
        },
    )


def handle_action_show(req: Request) -> Reply:
    actor, action, _ = _load(req, change=False)
    today = _today(req, actor.board)
    entries = action_store.history(session=req.session, action_id=action.id)
    return Reply(
        "slack/action_show.json.j2",
        {
            "action": describe(action, today, board=actor.board, owner=actor.member),
            "created_by": action.created_by.slack_user_id,
            "created_at": action.created_at,
            "history": [
                {"author": e.author.slack_user_id, "at": e.created_at, "kind": e.kind, "note": e.note} for e in entries
            ],
            "can_edit": actor.may_edit_action(action),
        },
    )


# ---------------------------------------------------------------- changes


def handle_action_update(req: Request) -> Reply:
    actor, action, note = _load(req)
    _require_edit(actor, action)
    note = mentions.typed_text(req.session, note, "progress note")
    _require_open(req, action)
    return record_progress(req, actor, action, note)


def record_progress(req: Request, actor: Actor, action: Action, note: str) -> Reply:
    """Add a progress note (the command, the modal and the reminder's button all come here)."""
    before = audit.snapshot(action, _SNAPSHOT)
    action_store.add_update(
        session=req.session, action=action, author=_author(req, actor), note=note, kind="progress", now=req.now()
    )
    _audit(req, action, "progress", before)
    _notify_owner(req, actor, action, "slack/action_changed.json.j2", {"change": "progress", "note": note})
    return Reply("slack/action_changed_ack.json.j2", {"action": _described(req, actor, action, note),
                                                      "change": "progress", "note": note})


def handle_action_done(req: Request) -> Reply:
    actor, action, note = _load(req)
    _require_edit(actor, action)
    if note:
        note = mentions.typed_text(req.session, note, "note")
    _require_open(req, action)
    return close_action(req, actor, action, ActionStatus.DONE, note)


def close_action(req: Request, actor: Actor, action: Action, status: ActionStatus, note: str) -> Reply:
    before = audit.snapshot(action, _SNAPSHOT)
    kind = "done" if status == ActionStatus.DONE else "dropped"
    action_store.add_update(session=req.session, action=action, author=_author(req, actor), note=note, kind=kind,
                            now=req.now(), changes={"status": status, "closed_at": req.now()})
    _audit(req, action, kind, before)
    _notify_owner(req, actor, action, "slack/action_changed.json.j2", {"change": kind, "note": note})
    # The owner's reminders that list it lose its buttons now, not when someone next clicks one (a reminder's
    # own Done button redraws the message it is on: that one is left to it).
    clicked = req.values.get("message_ts")
    for sent in reminder_log.delivered_reminders_of(session=req.session, action_id=action.id):
        if sent.ts != clicked:
            refresh_reminder(req, sent.message_key, sent.channel, sent.ts)
    return Reply("slack/action_changed_ack.json.j2", {"action": _described(req, actor, action),
                                                      "change": kind, "note": note})


def handle_action_drop(req: Request) -> Reply:
    actor, action, reason = _load(req)
    _require_edit(actor, action)
    if not reason.strip():
        raise UsageError(f"Say why #{action.ref} is being dropped.", examples=[f"/action drop #{action.ref} Superseded by the Borough Plan review"])
    reason = mentions.typed_text(req.session, reason, "reason")
    _require_open(req, action)
    return close_action(req, actor, action, ActionStatus.DROPPED, reason)


def handle_action_reopen(req: Request) -> Reply:
    actor, action, note = _load(req)
    _require_edit(actor, action)
    if action.status == ActionStatus.OPEN:
        who, when = last_change_said(req, action, ("reopened",))
        raise Conflict(f"#{action.ref} was reopened{who}{when}, so nothing has changed." if who
                       else f"#{action.ref} is already open.", title="Already open")
    before = audit.snapshot(action, _SNAPSHOT)
    action_store.add_update(session=req.session, action=action, author=_author(req, actor), note=note,
                            kind="reopened", now=req.now(), changes={"status": ActionStatus.OPEN, "closed_at": None})
    _audit(req, action, "reopen", before)
    return Reply("slack/action_changed_ack.json.j2", {"action": _described(req, actor, action),
                                                      "change": "reopened", "note": note})


def handle_action_reassign(req: Request) -> Reply:
    actor, action, target = _load(req)
    _require_edit(actor, action)
    if not target:
        raise UsageError("Reassign to whom?", examples=[f"/action reassign #{action.ref} @carol"])
    new_owner = resolve_member(req, actor.board, tokenize(target)[0].raw)
    _require_open(req, action)
    return reassign_action(req, actor, action, new_owner)


def reassign_action(req: Request, actor: Actor, action: Action, new_owner: Member) -> Reply:
    if new_owner.id == action.owner_id:
        who, when = last_change_said(req, action, ("reassigned",))
        raise Conflict(f"#{action.ref} is already {new_owner.display_name}'s"
                       + (f": it was reassigned to them{who}{when}" if who else "") + ", so nothing has changed.",
                       title="Nothing to change")
    before = audit.snapshot(action, _SNAPSHOT)
    previous = action.owner
    action.owner_id = new_owner.id
    action.owner = new_owner
    action_store.add_update(
        session=req.session,
        action=action,
        author=_author(req, actor),
        note=f"Reassigned from {previous.display_name} to {new_owner.display_name}",
        kind="reassigned",
        now=req.now(),
    )
    _audit(req, action, "reassign", before)
    board = actor.board  # the action's: the command's own board
    today = _today(req, board)
    if new_owner.slack_user_id != req.user_id:
        req.notify.to_user(
            new_owner.slack_user_id,
            "slack/action_assigned.json.j2",
            {"action": describe(action, today, board=board), "by": req.user_id, "reason": "reassigned"},
        )
    if previous.slack_user_id != req.user_id and _on_board(req, action, previous):
        req.notify.to_user(
            previous.slack_user_id,
            "slack/action_changed.json.j2",
            {"action": describe(action, today, board=board), "by": req.user_id, "change": "reassigned", "note": ""},
        )
    return Reply("slack/action_changed_ack.json.j2", {"action": describe(action, today, board=board),
                                                      "change": "reassigned", "note": ""})


def handle_action_due(req: Request) -> Reply:
    actor, action, phrase = _load(req)
    _require_edit(actor, action)
    if not phrase:
        raise UsageError("What is the new due date?", examples=[f"/action due #{action.ref} next Friday"])
    due = parse_due(req, actor.board, phrase)
    _require_open(req, action)
    return redate_action(req, actor, action, due)


def redate_action(req: Request, actor: Actor, action: Action, due: dt.date) -> Reply:
    if due == action.due_date:
        who, when = last_change_said(req, action, ("redated",))
        raise Conflict(f"#{action.ref} is already due on {due:%A %-d %B %Y}"
                       + (f": the date was changed{who}{when}" if who else "") + ", so nothing has changed.",
                       title="Nothing to change")
    before = audit.snapshot(action, _SNAPSHOT)
    old = action.due_date
    action_store.add_update(
        session=req.session,
        action=action,
        author=_author(req, actor),
        note=f"Due date changed from {old:%-d %b %Y} to {due:%-d %b %Y}" if old else f"Due date set to {due:%-d %b %Y}",
        kind="redated",
        now=req.now(),
        changes={"due_date": due},
    )
    _audit(req, action, "redate", before)
    _notify_owner(req, actor, action, "slack/action_changed.json.j2", {"change": "redated", "note": ""})
    return Reply("slack/action_changed_ack.json.j2", {"action": _described(req, actor, action),
                                                      "change": "redated", "note": "",
                                                      "due_note": non_working_due_note(actor.board, due)})


# ---------------------------------------------------------------- declarations

EDITORS = "its owner, the chair, vice-chair or secretariat, or an admin"

TOPIC = Topic("action", "Actions", aliases=("actions",),
              note="Dates: `Friday`, `next Friday`, `15 July`, `2019-07-15`, `in 2 weeks`, `end of month`, `next meeting` "
                   "(the first not yet started), `next week` (its Friday), `end of March`, `mid-April` (the 15th), "
                   "`Q1` or `end of Q1` (of the board's year). A due date on a weekend or bank holiday is kept; "
                   "reminders then find it overdue on the next working day.")

COMMANDS = (
    Command("/action", ("add",), handle_action_add, aliases=(("new",),), who=Who.MEMBERS, doing="add actions",
            usage="/action add <text> [@owner] [by <date>] [item:<number>]",
            summary="record an action (owner defaults to you); `/action add` alone opens a form; during a "
            "meeting, `item:` names the item it arose from",
            examples=("/action add Draft the data-sharing protocol @bob by Friday",),
            opens_form=True),
    Command("/action", ("list",), handle_action_list, aliases=(("ls",),), parsed=True, read_only=True,
            options=(Option("page", Kind.NUMBER, low=1, high=10_000, help="a page of the list after the first"),),
            usage=LIST_USAGE, summary=f"list actions, soonest due first, {LIST_PAGE} to a page",
            examples=("/action list all page:2",)),
    Command("/action", ("show",), handle_action_show, read_only=True, usage="/action show #12",
            summary="one action and its history"),
    Command("/action", ("update",), handle_action_update, aliases=(("note",),), narrower=EDITORS,
            usage="/action update #12 <progress note>", summary="log progress",
            examples=("/action update #12 Met the CCG, draft due next week",)),
    Command("/action", ("done",), handle_action_done, aliases=(("close",),), narrower=EDITORS,
            usage="/action done #12 [note]", summary="close it"),
    Command("/action", ("reassign",), handle_action_reassign, narrower=EDITORS,
            usage="/action reassign #12 @carol", summary="give it to someone else"),
    Command("/action", ("due",), handle_action_due, narrower=EDITORS,
            usage="/action due #12 <date>", summary="change the due date",
            examples=("/action due #12 next Friday",)),
    Command("/action", ("drop",), handle_action_drop, narrower=EDITORS,
            usage="/action drop #12 <reason>", summary="drop it, saying why"),
    Command("/action", ("reopen",), handle_action_reopen, narrower=EDITORS,
            usage="/action reopen #12", summary="reopen a closed action"),
)

OWNER_CHOSEN = Button(ActionId.ACTION_OWNER_CHOSEN, handle_owner_chosen,
                      "record an action naming two people, with the owner chosen", who=Who.MEMBERS,
                      success="replace")
LIST_MORE = Button(ActionId.ACTION_LIST_MORE, handle_action_list_more, "the next page of a list of actions")
BUTTONS = (OWNER_CHOSEN, LIST_MORE)
