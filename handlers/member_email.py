"""Members by email: adding a member who is not in Slack (`/lsp member add email:… name:"…" org:"…"`), a member's
own address and how they are reached (`/lsp me`, `/lsp me email`, `/lsp me delivery`), the secretariat setting
someone's address (`/lsp member email`), and how `/lsp member list` shows it.

Every address is checked and normalised by email-validator, belongs to one member, and gets a confirmation email
(handlers.email_confirm) before anything else goes to it; a new address undoes the old one's confirmation."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from handlers import membership
from handlers.action_input import resolve_member
from handlers.base import Conflict, InvalidInput, Reply, Request, UsageError
from handlers.email_confirm import queue_confirmation
from handlers.organisations import organisation_named
from handlers.parsing import check_text
from handlers.registry import Command, Who
from store import audit, boards
from store import emails as email_store
from store.models import Delivery, Member, Role

NOTE = "slack/member_note.json.j2"
NONE_WORDS = ("none", "remove", "clear")
DELIVERY_SAID = {
    Delivery.SLACK: "in Slack",
    Delivery.EMAIL: "by email instead of Slack",
    Delivery.BOTH: "in Slack and by email",
    Delivery.DOCUMENTS: "in Slack, with the documents (pack, minutes, reports) by email as well",
}
ADD_EMAIL_EXAMPLE = '/lsp member add email:jane.smith@nhs.net name:"Jane Smith" org:"Ealing CCG"'
MAX_NAME = 200


def checked_address(text: str, *, field: str = "email") -> str:
    """An email address as email-validator normalises it; refused with its reason when it is not one."""
    text = text.strip()
    if not text:
        raise UsageError("Give the email address.", examples=["jane.smith@nhs.net"])
    try:
        address = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput(f"“{text[:100]}” is not an email address I can use: {exc}", field=field,
                           examples=["jane.smith@nhs.net"]) from None
    if len(address) > 254:
        raise InvalidInput("An email address can be at most 254 characters.", field=field)
    return address


def refuse_taken(req: Request, address: str, member: Member | None = None) -> None:
    """Refuse an address that another member has already, saying who."""
    holder = email_store.member_with_email(session=req.session, email=address)
    if holder is None or (member is not None and holder.id == member.id):
        return
    on = [m.board.name for m in boards.memberships_of(session=req.session, member_id=holder.id)]
    where = f" (on {', '.join(on)})" if on else ""
    raise Conflict(f"{address} is already the address of {holder.display_name}{where}: an address belongs to one "
                   "member.", title="Address taken")


def address_said(member: Member) -> str:
    """Their address and whether it is confirmed, as a sentence's end."""
    if not member.email:
        return "no email address"
    if member.email_confirmed_at is None:
        return f"{member.email}, not confirmed yet: nothing but its confirmation goes to it until its link is followed"
    return f"{member.email}, confirmed {member.email_confirmed_at:%-d %B %Y}"


def give_address(req: Request, member: Member, address: str | None) -> bool:
    """Set (or clear) a member's address, recorded in the audit; a new address gets its confirmation email. True if
    the address is another one than they had."""
    before = {"email": member.email, "confirmed": member.email_confirmed_at is not None,
              "delivery": member.delivery.value}
    if address is not None:
        refuse_taken(req, address, member)
    if member.email == address:
        return False
    other = email_store.set_email(session=req.session, member=member, email=address)
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="member", entity_id=member.id,
                 operation="email", before=before,
                 after={"email": address, "confirmed": member.email_confirmed_at is not None,
                        "delivery": member.delivery.value})
    if address is not None and other:
        queue_confirmation(req, member, address)
    return other


# ---------------------------------------------------------------- /lsp member add email:…


def handle_member_add_by_email(req: Request) -> Reply:
    """`/lsp member add email:… name:"…" org:"…" [role:…]`: a member who is not in Slack, reached by email."""
    parsed, board = req.parsed, req.board
    address = checked_address(parsed.options.get("email") or "")
    name = " ".join((parsed.options.get("name") or "").split())
    if not name:
        raise UsageError("Give their name, as it should appear on the board's papers.",
                         examples=[ADD_EMAIL_EXAMPLE])
    name = check_text(name, "name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"A name can be at most {MAX_NAME} characters.", field="name")
    holder = email_store.member_with_email(session=req.session, email=address)
    if holder is not None:
        sits = boards.get_membership(session=req.session, board_id=board.id, member_id=holder.id)
        if sits is not None and sits.left_at is None:
            raise Conflict(f"{address} is already a member of {board.name}: {holder.display_name}"
                           + (f" ({sits.organisation.name})" if sits.organisation else "") + ".",
                           title="Already a member")
        raise Conflict(f"{address} is already the address of {holder.display_name}, a member of another board. To "
                       f"put them on {board.name} too, name them by their address.", title="Address taken",
                       examples=[f'/lsp member add {address} org:"{parsed.options.get("org") or "…"}"'])
    org_name = parsed.options.get("org")
    if not org_name:
        raise UsageError(f"Which organisation do they represent on {board.name}?", examples=[ADD_EMAIL_EXAMPLE])
    org_name = check_text(org_name, "organisation")
    if len(org_name) > 200:
        raise InvalidInput("An organisation name can be at most 200 characters.")
    role_name = (parsed.options.get("role") or "member").lower()
    role = {"member": Role.MEMBER, "secretariat": Role.SECRETARIAT, "vice-chair": Role.VICE_CHAIR,
            "vice": Role.VICE_CHAIR, "vicechair": Role.VICE_CHAIR}.get(role_name)
    if role is None:
        raise InvalidInput(f"`{role_name}` is not a role for a member by email. Use member, vice-chair or "
                           "secretariat: the chair decides proposals in Slack.", field="role")
    org = organisation_named(req, org_name)
    member = email_store.create_email_member(session=req.session, email=address, display_name=name)
    if role == Role.VICE_CHAIR:
        membership.refuse_too_many_vice_chairs(req, board, member)
    added = boards.set_role(session=req.session, board=board, member=member, role=role, organisation=org)
    organisation = added.organisation.name if added.organisation else ""
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="membership", entity_id=member.id,
                 operation="add", after={"board": board.name, "role": role.value, "organisation": organisation,
                                         "email": address, "delivery": Delivery.EMAIL.value})
    queue_confirmation(req, member, address)
    return Reply(NOTE, {
        "text": f"{name} joined {board.name} as {role.value}, for {organisation}, reached by email at {address}.",
        "items": [f"A confirmation email has gone to {address}: nothing else is sent to it until {name} follows "
                  "its link.",
                  f'Name them in commands as @"{name}" or by their address, like `/action add "…" @"{name}"`.'],
        "hint": "`/lsp member list` shows how each member is reached."})


# ---------------------------------------------------------------- /lsp me


def _me(req: Request) -> Member:
    """The sender's member record, mapped: `/lsp me` changes it."""
    member = req.actor.member
    if member is None:  # the declarations let only the board's members in
        raise RuntimeError("/lsp me for someone with no member record")
    return boards.member_for_change(session=req.session, member=member)


def handle_me(req: Request) -> Reply:
    """`/lsp me`: how lspbot reaches you (your address, whether it is confirmed, Slack or email)."""
    member, board = _me(req), req.board
    role = req.actor.role.value if req.actor.role else "member"
    org = member.organisation_on(board.id)
    items = [f"On {board.name}: {role}" + (f", for {org.name}" if org else ""),
             f"Email: {address_said(member)}",
             f"Messages reach you {DELIVERY_SAID[member.delivery]}"]
    if member.dm_failed_at is not None:
        items.append(f"Slack could not reach you on {member.dm_failed_at:%-d %B %Y}"
                     + (f" ({member.dm_failed_reason})" if member.dm_failed_reason else "")
                     + ": `/lsp me delivery slack` (or your choice) has lspbot DM you again")
    return Reply(NOTE, {"text": f"How lspbot reaches {member.display_name}:", "items": items,
                        "hint": "`/lsp me email <address>` sets your address (a link confirms it); "
                                "`/lsp me delivery slack|email|both|documents` chooses how you are reached."})


def handle_me_email(req: Request) -> Reply:
    """`/lsp me email <address>|none`: your address (a new one is confirmed by a link before anything goes to it)."""
    member, args = _me(req), req.rest.split()
    if len(args) != 1:
        raise UsageError("Give one email address (or `none` to remove yours).",
                         examples=["/lsp me email jane.smith@ealing.gov.uk", "/lsp me email none"])
    return _set_address(req, member, args[0], yours=True)


def handle_member_email(req: Request) -> Reply:
    """`/lsp member email <member> <address>|none`: a member's address, set by the chair or secretariat."""
    args = req.parsed.args
    if len(args) != 2:
        raise UsageError("Name the member and give their address.",
                         examples=['/lsp member email @carol carol.jones@ealing.gov.uk',
                                   '/lsp member email @"Jane Smith" jane.smith@nhs.net'])
    member = resolve_member(req, req.board, args[0].raw, field="member")
    return _set_address(req, member, args[1].value, yours=member.slack_user_id == req.user_id)


def _set_address(req: Request, member: Member, typed: str, *, yours: bool) -> Reply:
    whose, name = ("your", "you") if yours else (f"{member.display_name}'s", member.display_name)
    if typed.strip().lower() in NONE_WORDS:
        if not member.in_slack:
            raise Conflict(f"{member.display_name} is reached by email alone, so they keep an address: give another "
                           "one instead, or take them off the board.", title="Address needed")
        if not member.email:
            return Reply(NOTE, {"text": f"There is no address on file for {name}: nothing has changed.",
                                "items": [], "hint": ""})
        give_address(req, member, None)
        return Reply(NOTE, {"text": f"Removed {whose} email address: messages reach {name} in Slack.", "items": [],
                            "hint": ""})
    address = checked_address(typed)
    if member.email == address:
        if member.email_confirmed_at is None:
            queue_confirmation(req, member, address)
            return Reply(NOTE, {"text": f"{address} is {whose} address already, not confirmed yet: its "
                                        "confirmation email has gone again.", "items": [], "hint": ""})
        return Reply(NOTE, {"text": f"{address} is {whose} address already, and confirmed: nothing has changed.",
                            "items": [], "hint": ""})
    had = member.email
    give_address(req, member, address)
    return Reply(NOTE, {
        "text": f"{'Changed' if had else 'Set'} {whose} email address to {address}.",
        "items": [f"A confirmation email has gone to {address}: nothing else is sent to it until its link is "
                  "followed" + (f"; {had} gets nothing from now on." if had else ".")],
        "hint": _delivery_hint(member, yours)})


def _delivery_hint(member: Member, yours: bool) -> str:
    if not member.in_slack or member.delivery != Delivery.SLACK:
        return ""
    return (("Messages still reach you in Slack" if yours else f"Messages still reach {member.display_name} in "
             "Slack") + ": `/lsp me delivery email|both|documents` chooses email.")


def handle_me_delivery(req: Request) -> Reply:
    """`/lsp me delivery slack|email|both|documents`: how you are reached."""
    member, args = _me(req), req.rest.split()
    choices = [d.value for d in Delivery]
    if len(args) != 1 or args[0].lower() not in choices:
        raise UsageError(f"Choose one of {', '.join(choices)}.", examples=[f"/lsp me delivery {c}" for c in choices])
    delivery = Delivery(args[0].lower())
    if delivery != Delivery.SLACK and not member.email:
        raise Conflict("You have no email address on file, so email cannot reach you. Give one first with "
                       "`/lsp me email <address>`.", title="No address", examples=["/lsp me email jane@ealing.gov.uk"])
    before = member.delivery
    # Choosing from Slack shows they are there again: a DM Slack once refused for good is tried again.
    back = email_store.slack_reaches_again(session=req.session, member=member) if member.in_slack else None
    if back is not None:
        audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="member", entity_id=member.id,
                     operation="dm_reset", before={"dm_failed_at": back.isoformat()}, after={"dm_failed_at": None})
    if not email_store.set_delivery(session=req.session, member=member, delivery=delivery):
        again = [f"Slack DMs to you are tried again (Slack refused one on {back:%-d %B %Y})."] if back else []
        return Reply(NOTE, {"text": f"Messages reach you {DELIVERY_SAID[delivery]} already: nothing has changed"
                                    + (" in your choice." if back else "."), "items": again, "hint": ""})
    audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="member", entity_id=member.id,
                 operation="delivery", before={"delivery": before.value}, after={"delivery": delivery.value})
    waiting = delivery != Delivery.SLACK and member.email_confirmed_at is None
    return Reply(NOTE, {
        "text": f"Messages will reach you {DELIVERY_SAID[delivery]}.",
        "items": [f"Email goes to {member.email} once you confirm it, by the link in the email sent to it; until "
                  "then everything stays in Slack."] if waiting else [],
        "hint": "`/lsp me` shows how you are reached."})


# ---------------------------------------------------------------- /lsp member list


def reach_of(member: Member, *, full: bool) -> str:
    """How a member is reached, for `/lsp member list`: empty for Slack alone; else the way and the address
    (all of it for the chair and secretariat, its domain for others), and whether it waits for confirmation."""
    if not member.email and member.in_slack and member.delivery == Delivery.SLACK:
        return ""
    address = member.email or ""
    shown = address if full else (f"…@{address.rpartition('@')[2]}" if address else "")
    way = ("by email" if not member.in_slack else
           {Delivery.SLACK: "Slack", Delivery.EMAIL: "by email", Delivery.BOTH: "Slack and email",
            Delivery.DOCUMENTS: "Slack, documents by email"}[member.delivery])
    if not address:
        return way
    return f"{way} ({shown}" + (", not confirmed)" if member.email_confirmed_at is None else ")")


# ---------------------------------------------------------------- declarations

COMMANDS = (
    Command("/lsp", ("me",), handle_me, who=Who.MEMBERS, doing="see how you are reached", bare=True, topic="lsp",
            read_only=True, usage="/lsp me", summary="how lspbot reaches you: your email address, whether it is "
                                                     "confirmed, Slack or email"),
    Command("/lsp", ("me", "email"), handle_me_email, who=Who.MEMBERS, doing="set your email address", topic="lsp",
            usage="/lsp me email <address>|none",
            summary="set or change your email address (a link emailed to it confirms it), or remove it",
            examples=("/lsp me email jane.smith@ealing.gov.uk",)),
    Command("/lsp", ("me", "delivery"), handle_me_delivery, who=Who.MEMBERS, doing="choose how you are reached",
            topic="lsp", usage="/lsp me delivery slack|email|both|documents",
            summary="how you are reached: Slack, email instead, both, or Slack with the documents by email",
            examples=("/lsp me delivery documents",)),
    Command("/lsp", ("member", "email"), handle_member_email, who=Who.MANAGERS, doing="set members' email addresses",
            parsed=True, topic="lsp", usage="/lsp member email <@member|@\"Name\"> <address>|none",
            summary="set or change a member's email address (a link emailed to it confirms it)",
            examples=("/lsp member email @carol carol.jones@ealing.gov.uk",
                      '/lsp member email @"Jane Smith" jane.smith@nhs.net')),
)
