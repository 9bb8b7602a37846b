"""The outbox's side of reaching people by email (store.outbox.Outbox takes it in): where each DM goes
(store.reach, its people read once per unit of work), the email of a message or of files, and emails of their own
(the address's confirmation)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import reach
from store.models import OutboxMessage
from store.names import NameOf, naming
from store.reach import EmailTo, Mail

LARGE_FILE = 10 * 1024 * 1024  # a stored file over this goes by email as a link to the board's pages, not attached
EMAIL = "email"  # the target kind of an email: its target is the address, its payload bot.email.compose's


KEY_LENGTH = 200  # outbox.key


def email_key(key: str) -> str:
    """The outbox key of the email that carries the message keyed `key` (`<key>:email`, shortened by a hash when
    that would not fit)."""
    out = f"{key}:email"
    if len(out) <= KEY_LENGTH:
        return out
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return f"{key[:KEY_LENGTH - len(digest) - 8]}:{digest}:email"


class EmailRouting:
    """Routing and email for the Outbox: what it needs of it is declared here."""

    _session: Session
    _recipients: dict[str, reach.Recipient | None]
    _outside: dict[int, list[str]]
    names: NameOf
    _render_message: Any  # store.outbox.Render
    _now: Callable[[], dt.datetime]
    links: Any
    mail: Mail | None

    def _render(self, template: str, data: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _enqueue_payload(self, kind: str, target: str, payload: dict[str, Any], key: str) -> None:
        raise NotImplementedError

    def _lookup(self, user_ids: Sequence[str]) -> None:
        missing = {user_id for user_id in user_ids if user_id not in self._recipients}
        if missing:
            found = reach.recipients(session=self._session, user_ids=missing)
            self._recipients.update({user_id: found.get(user_id) for user_id in missing})

    def _route(self, user_id: str, *, document: bool = False) -> reach.Route:
        self._lookup([user_id])
        return reach.route(self._recipients[user_id], user_id, document=document, mail=self.mail is not None)

    def _email_to(self, user_id: str, address: str) -> EmailTo:
        recipient = self._recipients.get(user_id)
        if recipient is None:
            raise LookupError(f"no member {user_id} to email")
        return EmailTo(user_id, recipient.member_id, recipient.name, address, recipient.email_digests)

    def _email(self, user_id: str, address: str, template: str, data: dict[str, Any],
               payload: dict[str, Any]) -> dict[str, Any] | None:
        with naming(self.names):
            return self._render_message.email(template, data, payload, self._email_to(user_id, address),
                                              links=self.links, now=self._now)

    def _email_files(self, user_id: str, address: str, files: list[dict[str, Any]], *, title: str, note: str = "",
                     link: str | None = None, key: str) -> None:
        with naming(self.names):
            email = self._render_message.email_files(files, self._email_to(user_id, address), title=title,
                                                     note=note, link=link)
        self._enqueue_payload(EMAIL, address, email, email_key(key))

    def to_email(self, user_id: str, template: str, data: dict[str, Any], *, key: str,
                 unconfirmed_ok: bool = False, subject: str = "") -> bool:
        """Queue an email to a member whatever their delivery (keyed `<key>:email`): a Slack message's template
        (converted, or its own email templates), or an email's own (`email/<stem>`, with `subject`). Only to a
        confirmed address unless `unconfirmed_ok` (the confirmation itself). False if nothing could be queued:
        email not set up, no such member, no address (or none confirmed)."""
        if self.mail is None and not unconfirmed_ok:
            return False
        self._recipients.pop(user_id, None)  # read afresh: the address may have changed in this unit of work
        self._lookup([user_id])
        recipient = self._recipients[user_id]
        if recipient is None or not recipient.email or not (recipient.email_confirmed_at or unconfirmed_ok):
            return False
        to = self._email_to(user_id, recipient.email)
        with naming(self.names):
            email: dict[str, Any] | None
            if template.startswith("email/"):
                email = self._render_message.email_direct(template, data, to, subject=subject or template,
                                                          links=self.links, now=self._now)
            else:
                email = self._render_message.email(template, data, self._render(template, data), to,
                                                   links=self.links, now=self._now)
        if email is None:
            return False
        self._enqueue_payload(EMAIL, recipient.email, email, email_key(key))
        return True

    # A post to a board's channel reaches its members outside Slack (email-only, or whose DM Slack refused) the way
    # their DMs do, keyed `<key>:<their id>`: the published agenda and the agenda pack, which the members in Slack
    # read in the channel.

    def _outside_slack(self, board_id: int) -> list[str]:
        """The board's members outside Slack, read once per unit of work (a publication tells them several things)."""
        if board_id not in self._outside:
            self._outside[board_id] = reach.outside_slack(session=self._session, board_id=board_id)
        return self._outside[board_id]

    def to_board_outside_slack(self, board_id: int, template: str, data: dict[str, Any], *, key: str) -> None:
        """What a post to the board's channel says, to each of its members outside Slack."""
        for user_id in self._outside_slack(board_id):
            self.to_user(user_id, template, data, key=f"{key}:{user_id}")

    def stored_file_to_board_outside_slack(self, board_id: int, file_id: int, filename: str, *, title: str = "",
                                           key: str) -> None:
        """A stored file posted to the board's channel (the public pack), to each of its members outside Slack."""
        for user_id in self._outside_slack(board_id):
            self.stored_file_to_user(user_id, file_id, filename, title=title, key=f"{key}:{user_id}")

    def document_to_board_outside_slack(self, board_id: int, document: Any, *, key: str) -> None:
        """A document posted to the board's channel (the published agenda's Word version), to each of its members
        outside Slack."""
        people = self._outside_slack(board_id)
        if people:
            self.document_to_users([(user_id, f"{key}:{user_id}") for user_id in people], document)

    def stored_file_to_user(self, user_id: str, file_id: int, filename: str, *, title: str = "", comment: str = "",
                            key: str | None = None) -> None:
        raise NotImplementedError

    def document_to_users(self, recipients: Sequence[tuple[str, str]], document: Any) -> None:
        raise NotImplementedError

    def to_user(self, user_id: str, template: str, data: dict[str, Any], *, key: str | None = None) -> None:
        raise NotImplementedError

    def email_confirmation(self, user_id: str, link: str, *, key: str, board: str | None = None,
                           by: str = "", days: int = 14) -> bool:
        """Queue the email asking a member to confirm their (not yet confirmed) address by `link` (a signed
        Answer.CONFIRM link); False if it cannot go (see to_email). Queued even where email is not set up yet: the
        sender fails it saying so, and `lspbot outbox retry` sends it once it is. `by`: who gave the address, with
        its verb ("Sam Patel has", "You have"); `days`: how long the link lasts."""
        data: dict[str, Any] = {"link": link, "board": board or "", "by": by, "days": days}
        return self.to_email(user_id, "email/confirm_address", data, key=key, unconfirmed_ok=True,
                             subject="Confirm your email address")


def email_texts_to(*, session: Session, address: str) -> list[str]:
    """The plain-text parts of the emails queued for `address`, oldest first (the demo follows their links)."""
    rows = session.scalars(select(OutboxMessage.payload).where(OutboxMessage.target_kind == EMAIL,
                                                               OutboxMessage.target == address)
                           .order_by(OutboxMessage.id))
    return [str(payload.get("text", "")) for payload in rows]
