"""`/lsp`: help, boards and their members."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers import board_settings, member_email, membership, personal_data
from handlers.action_input import resolve_member
from handlers.member_ref import ADDRESS_RE, is_member_reference, member_referred_to
from handlers.base import Conflict, Forbidden, InvalidInput, Reply, Request, UsageError
from handlers.links import LINK_DAYS, LinkRefused
from handlers.organisations import NEW_ORG, organisation_named
from handlers.parsing import PLAIN_MENTION_RE, check_text, mention_id
from handlers.registry import Command, Kind, Option, Topic, Who
from store import audit, boards, reach
from store import emails as email_store
from store.models import Role

_ROLE_NAMES = {r.value: r for r in Role} | {"vice": Role.VICE_CHAIR, "vicechair": Role.VICE_CHAIR}


def _user_token_parts(token: str) -> tuple[str, str | None]:
    """(user id, display name) from `<@U123|name>`; the name is None when Slack sent none."""
    user_id = mention_id(token)
    if user_id is None:
        if PLAIN_MENTION_RE.match(token) and token[1:].upper() == token[1:] and token[1:2] in ("U", "W"):
            return token[1:], None  # console: @U123
        raise InvalidInput(f"`{token}` is not a Slack user. Mention them, like @alice.")
    _, _, name = token.strip("<>").partition("|")
    return user_id, name or None


def _person_parts(req: Request, token: str) -> tuple[str, str | None]:
    """(lspbot id, name Slack sent) of a person named by a Slack mention, or of a member named as `@"Full Name"`
    (on this board) or by their address (any member)."""
    if not is_member_reference(token):
        return _user_token_parts(token)
    if ADDRESS_RE.match(token.strip()):
        member = email_store.member_with_email(session=req.session, email=token.strip())
        if member is None:
            raise InvalidInput(f"No member has the address {token.strip()}. A new member by email is added with "
                               '`email:` and `name:`.', examples=[member_email.ADD_EMAIL_EXAMPLE])
        return member.slack_user_id, None
    found = member_referred_to(req.session, req.board, token, field="member")
    if found is None:
        raise InvalidInput(f"`{token}` is not a person.")
    return found.slack_user_id, None


def handle_board_create(req: Request) -> Reply:
    """Bind the current channel to a new board (admins only)."""
    if not req.channel_id or req.channel_id.startswith("D"):
        raise UsageError("Create a board from inside the channel it will use.")
    parsed = req.parsed
    if not parsed.args:
        raise UsageError("Name the board.", examples=['/lsp board create "LSP Executive" chair:@alice'])
    name = check_text(" ".join(a.value for a in parsed.args), "board name")
    if len(name) > 200:
        raise InvalidInput("A board name can be at most 200 characters.")
    chair_token = parsed.options.get("chair")
    if not chair_token:
        raise UsageError("Who chairs it?", examples=[f'/lsp board create "{name}" chair:@alice'])
    chair_id, chair_name = _user_token_parts(chair_token)
    tz = parsed.options.get("tz") or req.default_timezone
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"`{tz}` is not a time zone I know.", examples=["tz:Europe/London"]) from None
    if boards.get_by_channel(session=req.session, channel_id=req.channel_id):
        raise Conflict("This channel already belongs to a board: one board per channel. Create the new board in a "
                       "channel of its own.", title="Channel taken")
    if boards.get_by_name(session=req.session, name=name):
        raise Conflict(f"There is already a board called “{name}”.", title="Name taken")
    board = boards.create(session=req.session, name=name, channel_id=req.channel_id, timezone=tz, now=req.now())
    org = organisation_named(req, parsed.options["org"], board=board) if parsed.options.get("org") else None
    chair = boards.upsert_member(session=req.session, slack_user_id=chair_id, display_name=chair_name)
    boards.set_role(session=req.session, board=board, member=chair, role=Role.CHAIR, organisation=org)
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="board", entity_id=board.id,
                 operation="create", after={"name": name, "channel_id": req.channel_id, "chair": chair_id, "timezone": tz})
    if chair_id != req.user_id:
        req.notify.to_user(chair_id, "slack/board_welcome.json.j2", {"board": name, "role": "chair", "by": req.user_id})
    links = req.notify.links
    return Reply("slack/board_created.json.j2", {"board": name, "chair": chair_id, "timezone": tz,
                                                 "page": links.board(board.slug), "configured": links.configured},
                 in_channel=True)


def handle_member_add(req: Request) -> Reply:
    """Add (or change) a member of this board, with their organisation and role.

    Without `role:` an existing member keeps theirs. `role:chair` hands the chair over (the chair or an admin):
    the board has exactly one, so the previous chair becomes a member; the only chair is never demoted."""
    parsed, board = req.parsed, req.board
    if parsed.options.get("email") is not None and not parsed.args:
        return member_email.handle_member_add_by_email(req)
    if len(parsed.args) != 1:
        raise UsageError("Name one person to add.", examples=['/lsp member add @bob org:"Ealing PCT" role:member',
                                                               member_email.ADD_EMAIL_EXAMPLE])
    user_id, display = _person_parts(req, parsed.args[0].raw)
    address = member_email.checked_address(parsed.options["email"]) if parsed.options.get("email") else None
    display = parsed.options.get("name") or display
    role_name = parsed.options.get("role")
    role = _ROLE_NAMES.get(role_name.lower()) if role_name is not None else None
    if role_name is not None and role is None:
        raise InvalidInput(f"`{role_name}` is not a role. Use member, vice-chair, secretariat or chair.", field="role")
    org_name = parsed.options.get("org")
    if org_name is not None:
        org_name = check_text(org_name, "organisation")
        if len(org_name) > 200:
            raise InvalidInput("An organisation name can be at most 200 characters.")
    existing = boards.get_member(session=req.session, slack_user_id=user_id)
    if address is not None:
        member_email.refuse_taken(req, address, existing)
    before = boards.get_membership(session=req.session, board_id=board.id, member_id=existing.id) if existing else None
    had = boards.organisation_of(session=req.session, board_id=board.id, member_id=existing.id) if existing else None
    if org_name is None and had is None:  # someone coming back represents whom they did before
        raise UsageError(f"Which organisation do they represent on {board.name}?",
                         examples=['/lsp member add @name org:"Ealing PCT"'])
    before_role = before.role if before else None
    role = role or before_role or Role.MEMBER
    if role == Role.CHAIR and before_role != Role.CHAIR:
        membership.refuse_chair_appointment(req, board)
        if existing is not None and not existing.in_slack:
            raise InvalidInput(f"{existing.display_name} is reached by email alone, and the chair decides proposals "
                               "in Slack: choose a chair who is in Slack.", field="role")
    if existing is not None and before_role == Role.CHAIR and role != Role.CHAIR:
        membership.refuse_losing_the_chair(req, board, existing, f"make them {role.value}")
    org = organisation_named(req, org_name) if org_name else None
    member = boards.upsert_member(session=req.session, slack_user_id=user_id, display_name=display)
    if role == Role.VICE_CHAIR and before_role != Role.VICE_CHAIR:
        membership.refuse_too_many_vice_chairs(req, board, member)
    before_org = before.organisation.name if before is not None and before.organisation else None
    added = boards.set_role(session=req.session, board=board, member=member, role=role, organisation=org)
    org_now = added.organisation.name if added.organisation else None
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="membership", entity_id=member.id,
                 operation="add" if before is None else "change",
                 before={"role": before_role.value, "organisation": before_org} if before_role else None,
                 after={"board": board.name, "role": role.value, "organisation": org_now})
    if address is not None:
        member_email.give_address(req, member, address)
    previous_chairs = []
    if role == Role.CHAIR and before_role != Role.CHAIR:
        previous_chairs = membership.hand_chair_to(req, board, member)
    elif before is None and user_id != req.user_id:
        req.notify.to_user(user_id, "slack/board_welcome.json.j2", {"board": board.name, "role": role.value, "by": req.user_id})
    return Reply("slack/member_added.json.j2", {
        "board": board.name, "user_id": user_id, "role": role.value,
        "organisation": org_now or "", "changed": before is not None,
        "previous_chairs": [m.slack_user_id for m in previous_chairs],
    })


def handle_member_remove(req: Request) -> Reply:
    """Take someone off this board. The only chair stays (the chair is handed over first); what they answer for
    (open actions, projects, outcomes only they represent) is listed, and `handover:@y` moves it all to y."""
    parsed, board = req.parsed, req.board
    if len(parsed.args) != 1:
        raise UsageError("Name one person to remove.", examples=["/lsp member remove @bob"])
    user_id, _ = _person_parts(req, parsed.args[0].raw)
    member = boards.get_member(session=req.session, slack_user_id=user_id)
    existing = boards.get_membership(session=req.session, board_id=board.id, member_id=member.id) if member else None
    if member is None or existing is None:
        raise InvalidInput(f"{member.display_name if member else user_id} is not a member of {board.name}.")
    if existing.role == Role.CHAIR:
        membership.refuse_losing_the_chair(req, board, member, "remove them")
        if not req.is_admin:
            raise Forbidden("Only an admin can remove a chair.")
    successor = None
    if parsed.options.get("handover"):
        successor = resolve_member(req, board, parsed.options["handover"])
        if successor.id == member.id:
            raise InvalidInput("Hand over to someone staying on the board.", field="handover",
                               examples=["/lsp member remove @bob handover:@carol"])
    held = membership.holdings_of(req, board, member)
    lines = held.lines()
    moved = membership.hand_over(req, board, member, successor, held) if successor is not None and held else []
    boards.leave(session=req.session, membership=existing, now=req.now())
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="membership", entity_id=member.id,
                 operation="remove", before={"board": board.name, "board_id": board.id, "role": existing.role.value},
                 after={"handover": successor.slack_user_id} if successor is not None else None)
    name = member.display_name
    if not held:
        text, hint = f"{name} is no longer a member of {board.name}. Their closed actions stay on the record.", ""
    elif successor is not None:
        text = f"{name} is no longer a member of {board.name}. What they answered for is {successor.display_name}'s now:"
        hint = f"{successor.display_name} has been told, in one message." if moved and successor.slack_user_id != req.user_id else ""
    else:
        text = (f"{name} is no longer a member of {board.name}. They still answer for these, shown as "
                "“owner left the board” until someone takes them on:")
        hint = ("Move them with `/action reassign #N @someone`, `/lsp project lead \"<project>\" @someone` and "
                "`/lsp outcome lead \"<outcome>\" \"<organisation>\"`. Meanwhile their actions go to the chair's "
                "escalation digest and Home, not to them.")
    return Reply("slack/member_note.json.j2", {"text": text, "items": lines, "hint": hint})


def handle_member_erase(req: Request) -> Reply:
    """Erase a person (admins): their name and Slack id replaced by "Former member N" everywhere, or with `board:`
    on that board's record only. Irreversible, so it asks first: the same command with `confirm:yes` does it."""
    parsed = req.parsed
    if len(parsed.args) != 1:
        raise UsageError("Name one person to erase.", examples=["/lsp member erase @bob"])
    token = parsed.args[0].raw
    found = (email_store.member_with_email(session=req.session, email=token.strip())
             if ADDRESS_RE.match(token.strip()) else None)
    user_id = found.slack_user_id if found is not None else _user_token_parts(token)[0]
    member = personal_data.find_person(req.session, user_id)
    board = None
    if parsed.options.get("board"):
        board = boards.get_by_name(session=req.session, name=parsed.options["board"])
        if board is None:
            raise InvalidInput(f"There is no board called “{parsed.options['board']}”.", field="board")
    where = f" from {board.name}" if board else ""
    if parsed.options.get("confirm") != "yes":
        personal_data.refuse_chairless(req.session, member, board)
        again = f"/lsp member erase {token if found is not None else f'<@{user_id}>'}" + (f' board:"{board.name}"' if board else "") + " confirm:yes"
        return Reply("slack/member_note.json.j2", {
            "text": f"Erase {member.display_name}{where}? Nothing has been changed yet.",
            "items": personal_data.what_erasing_does(member, board),
            "hint": f"To go ahead, type `{again}`."})
    result = personal_data.erase_person(req.session, member, now=req.now(), actor=req.user_id, board=board)
    return Reply("slack/member_note.json.j2", {
        "text": f"Erased{where}: they now appear as “{result.pseudonym}”"
                + (f", and have left {', '.join(result.boards_left)}." if result.boards_left else "."),
        "items": [f"{result.rows_rewritten} record(s) rewritten",
                  f"{result.messages_cancelled} unsent message(s) to them cancelled",
                  f"{result.messages_purged} sent message(s) to them purged"],
        "hint": "Recorded in the audit trail. docs/data-protection.md says what is held and for how long."})


def handle_member_list(req: Request) -> Reply:
    """Who sits on the board, by role and organisation."""
    board = req.board
    order = {Role.CHAIR: 0, Role.VICE_CHAIR: 1, Role.SECRETARIAT: 2, Role.MEMBER: 3}
    rows = sorted(
        boards.list_members(session=req.session, board_id=board.id),
        key=lambda m: (order[m.role], (m.organisation.name if m.organisation else "").lower(),
                       m.member.display_name.lower()),
    )
    full = req.actor.manages_board  # the chair and secretariat see members' addresses; others their domains
    return Reply("slack/member_list.json.j2", {
        "board": board.name,
        "members": [
            {"user_id": m.member.slack_user_id, "name": m.member.display_name, "role": m.role.value,
             "organisation": m.organisation.name if m.organisation else "",
             "reach": member_email.reach_of(m.member, full=full)}
            for m in rows
        ],
        "unreachable": [u._asdict() for u in reach.unreachable_members(
            session=req.session, board_id=board.id, mail=req.notify.mail is not None)],
    })

def handle_lsp_web(req: Request) -> Reply:
    """A signed link to the board's private view of its pages, by DM, lasting LINK_DAYS days (any member)."""
    board, links, member = req.board, req.notify.links, req.actor.member
    if member is None:  # the declaration lets only the board's members in
        raise RuntimeError("a web link for someone with no member record")
    if not links.secret:
        raise Conflict("lspbot has no key to sign members' links with, so it cannot send you one. Its operator sets "
                       "LSPBOT_SECRET_KEY (or SLACK_SIGNING_SECRET, which it is derived from otherwise).",
                       title="No key for links")
    try:
        url = links.member_entry(board.slug, board.id, member.id, req.clock.now)
    except LinkRefused as exc:
        raise Conflict(f"{exc}.", title="No key for links") from None
    data = {"what": "web", "board": board.name, "url": url, "days": LINK_DAYS,
            "expires": req.now() + dt.timedelta(days=LINK_DAYS), "configured": links.configured}
    req.notify.to_user(req.user_id, "slack/web_links.json.j2", data)
    return Reply("slack/web_links.json.j2", {"what": "sent", "board": board.name, "thing": "a link"})


# ---------------------------------------------------------------- declarations

TOPIC = Topic("lsp", "Boards and members", aliases=("boards", "board", "members", "member"))

COMMANDS = (
    Command("/lsp", ("board", "create"), handle_board_create, who=Who.ADMINS, board=False, doing="create boards",
            parsed=True, options=(Option("chair", required=False), Option("org"), Option("tz", aliases=("timezone",)), NEW_ORG),
            usage='/lsp board create "LSP Executive" chair:@alice', summary="bind this channel to a board (admins)"),
    Command("/lsp", ("member", "add"), handle_member_add, who=Who.MANAGERS, doing="add members", parsed=True,
            options=(Option("org"), Option("role"), Option("name"), Option("email", help="an email address"),
                     NEW_ORG),
            usage='/lsp member add @bob org:"Ealing PCT" [role:member|vice-chair|secretariat|chair] [email:…]',
            summary="add a member, or change one's organisation or role (without `role:` their role stays); "
                    "`role:chair` hands the chair over; `email:` gives their address (a link emailed to it "
                    "confirms it). Someone not in Slack: `/lsp member add email:<address> name:\"Their Name\" "
                    "org:…`, reached by email",
            narrower="the chair, vice-chair, secretariat and admins; only the chair or an admin hands the chair over",
            examples=('/lsp member add @bob org:"Ealing PCT" role:member', "/lsp member add @carol role:chair",
                      member_email.ADD_EMAIL_EXAMPLE)),
    Command("/lsp", ("member", "remove"), handle_member_remove, who=Who.MANAGERS, doing="remove members",
            parsed=True, options=(Option("handover"),), usage="/lsp member remove @bob [handover:@carol]",
            summary="remove a member; `handover:` gives their open actions, projects and outcomes to someone else",
            narrower="the chair, vice-chair, secretariat and admins; the chair is handed over first, never removed",
            examples=("/lsp member remove @bob handover:@carol",)),
    Command("/lsp", ("member", "erase"), handle_member_erase, who=Who.ADMINS, board=False, doing="erase a person",
            parsed=True, options=(Option("confirm", Kind.CHOICE, choices=("yes",)),
                                  Option("board", help="only that board's record")),
            usage='/lsp member erase @bob [board:"LSP Executive"] [confirm:yes]',
            summary="erase a person's personal data (admins): “Former member N” everywhere, or on one board's "
                    "record; asks first, `confirm:yes` does it",
            examples=("/lsp member erase @bob", "/lsp member erase @bob confirm:yes")),
    Command("/lsp", ("member", "list"), handle_member_list, aliases=(("member", "ls"), ("member",)),
            usage="/lsp member list", summary="who sits on the board"),
    Command("/lsp", ("web",), handle_lsp_web, who=Who.MEMBERS, doing="open the board's private pages", bare=True,
            usage="/lsp web", summary=f"a link to the board's web pages as a member (confidential items included), "
            f"by DM; it lasts {LINK_DAYS} days"),
    Command("/lsp", ("board", "settings"), board_settings.handle_board_settings,
            usage="/lsp board settings", summary="the board's reminder timings"),
    Command("/lsp", ("board", "set"), board_settings.handle_board_set, who=Who.CHAIR, doing="change its settings",
            parsed=True, usage="/lsp board set <key> <value>", summary="change one setting (the chair, admins)",
            examples=("/lsp board set chase_lead_days 5", "/lsp board set chase_time 08:30")),
)
