"""The email that asks a member to confirm their address: the first and, until they follow its link, the only
thing lspbot sends to it. Its link is an answer link (handlers.links, Answer.CONFIRM, bound to the member and the
address); the page behind it (`/a/<token>`) confirms with store.emails.confirm_email.

Queued through the outbox as an email (store.outbox.EMAIL, the payload bot.email.compose describes), built here
without the transport: `queue_confirmation` is the one place that queues it."""

from __future__ import annotations

import hashlib
import html

from handlers.base import Conflict, Request
from handlers.links import ANSWER_DAYS, Answer, LinkRefused
from store import outbox
from store.models import Member


def confirmation_key(member: Member, address: str, request_key: str) -> str:
    """The outbox key of one confirmation: the member, the address (by digest) and the request that sent it."""
    digest = hashlib.sha256(address.lower().encode()).hexdigest()[:16]
    return f"email-confirm:{member.id}:{digest}:{request_key}"


def confirmation_email(*, member: Member, address: str, link: str, board: str, by: str) -> dict[str, object]:
    """The email payload (bot.email.compose's contract) asking `member` to confirm `address` by `link`; `by`: who
    gave it, with its verb ("Sam Patel has", "You have")."""
    subject = f"Please confirm your email address for {board}"[:150]
    lines = [
        f"Hello {member.display_name},",
        f"{by} given this address for you on {board}, so that its papers, actions and requests can reach you "
        "by email.",
        f"Please confirm it is yours by following this link (it lasts {ANSWER_DAYS} days):",
        link,
        "Until you do, nothing else is sent to this address. If you were not expecting this, you can ignore it.",
    ]
    text = "\n\n".join(lines)
    page = "".join(
        f'<p style="margin:0 0 12px 0"><a href="{html.escape(line, quote=True)}">Confirm my address</a></p>'
        if line == link else f'<p style="margin:0 0 12px 0">{html.escape(line)}</p>'
        for line in lines)
    body = f'<div style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#1d1c1d">{page}</div>'
    return {"_method": "email", "subject": subject, "text": text, "html": body, "headers": {}, "attachments": [],
            "to_name": member.display_name, "member": member.slack_user_id}


def queue_confirmation(req: Request, member: Member, address: str) -> None:
    """Queue the confirmation of `address` for `member` (refused when lspbot has no key to sign its link)."""
    links = req.notify.links
    try:
        link = links.answer(Answer.CONFIRM, member.id, member.id, req.clock.now, email=address)
    except LinkRefused:
        raise Conflict("lspbot has no key to sign the link that confirms an email address, so it cannot add one. "
                       "Its operator sets LSPBOT_SECRET_KEY (or SLACK_SIGNING_SECRET, which it is derived from "
                       "otherwise).", title="No key for links") from None
    board = req.board.name
    giver = req.actor.member
    by = ("You have" if giver is not None and giver.id == member.id
          else f"{giver.display_name if giver is not None else req.user_name or 'The secretariat'} has")
    payload = confirmation_email(member=member, address=address, link=link, board=board, by=by)
    outbox.enqueue(session=req.session, key=confirmation_key(member, address, req.now().isoformat()),
                   target_kind=outbox.EMAIL, target=address, payload=payload, now=req.now())
