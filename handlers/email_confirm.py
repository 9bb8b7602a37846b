"""The email that asks a member to confirm their address: the first and, until they follow its link, the only
thing lspbot sends to it. Its link is an answer link (handlers.links, Answer.CONFIRM, bound to the member and the
address); the page behind it (`/a/<token>`) confirms with store.emails.confirm_email.

Queued through the outbox (`email_confirmation`, templates/email/confirm_address), the one email that goes to an
address not yet confirmed: `queue_confirmation` is the one place that queues it."""

from __future__ import annotations

import hashlib

from handlers.base import Conflict, Request
from handlers.links import ANSWER_DAYS, Answer, LinkRefused
from store.models import Member


def confirmation_key(member: Member, address: str, request_key: str) -> str:
    """The outbox key of one confirmation: the member, the address (by digest) and the request that sent it."""
    digest = hashlib.sha256(address.lower().encode()).hexdigest()[:16]
    return f"email-confirm:{member.id}:{digest}:{request_key}"


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
    req.notify.email_confirmation(member.slack_user_id, link, key=confirmation_key(member, address, req.now().isoformat()),
                                  board=board, by=by, days=ANSWER_DAYS)
