"""A Slack DM that failed for good because its person cannot be DMed: they are reached by email if they can be,
and the secretariat of their boards is told, once.

Called by the outbox sender in the unit of work that marks the DM failed, so the member's record, the email that
carries the message and the secretariat's DMs are written together with the failure, or not at all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from handlers.base import Notifier
from store import boards as board_store
from store import mail as mail_store
from store.models import Member
from store import reach
from store.outbox import FILE_ID
from store.outbox_email import LARGE_FILE, email_key

TEMPLATE = "slack/dm_failed.json.j2"

# What Slack answers when the person themself cannot be DMed by the bot (conversations.open or chat.postMessage),
# and what that means for the secretariat. `account_inactive` is not among them: Slack gives it for the bot's own
# token (a deleted workspace or bot user), which says nothing about the person.
DM_UNREACHABLE = {
    "cannot_dm_bot": "it is a bot user, which Slack does not let lspbot message",
    "user_not_found": "Slack does not know them (their account may have been removed from the workspace)",
    "user_disabled": "their Slack account has been deactivated",
    "user_not_visible": "lspbot may not see them in Slack (a restricted or external account)",
    "invalid_user_combination": "they are an external (Slack Connect) user whom lspbot may not message directly",
}

# The same message as an email to the member, from its Slack payload (bot.email.compose)
# a DM's payload → the email carrying it to its member; the third argument: a link to the file in its place, for a
# stored file too large to attach
EmailOf = Callable[[dict[str, Any], Member, "str | None"], dict[str, Any]]


@dataclass(frozen=True)
class FailedDm:
    """An outbox message to a person's DM that Slack refused for good."""

    outbox_id: int
    user_id: str  # the Slack user it was for
    payload: dict[str, Any]
    error: str  # as the delivery gave it: Slack's error first


def cannot_dm_code(error: str) -> str | None:
    """Slack's error code in a delivery error, when it says the person cannot be DMed; else None."""
    code = error.strip().split(" ", 1)[0].strip("():,")
    return code if code in DM_UNREACHABLE else None


def handle_dm_failed(*, session: Session, notify: Notifier, failed: FailedDm, now: dt.datetime,
                     due: dt.datetime | None, email_of: EmailOf, email_set_up: bool) -> str | None:
    """Record the failure on the member, queue the message as email if they have a confirmed address, and tell the
    secretariat if this is the first such failure; a note for the failed message's error (where it went instead),
    or None."""
    code = cannot_dm_code(failed.error)
    if code is None:
        return None
    member = board_store.get_member(session=session, slack_user_id=failed.user_id)
    if member is None or not member.in_slack:
        return None
    first = mail_store.mark_dm_failed(session=session, member_id=member.id, reason=code, now=now)
    note = None
    if member.email_ready and member.email:
        key = mail_store.outbox_key(session=session, message_id=failed.outbox_id) or f"outbox:{failed.outbox_id}"
        if not _emailed_already(session, key, failed.payload):
            link = _large_file_link(session, notify, failed.payload, member, now)
            mail_store.queue_email(session=session, key=email_key(key), address=member.email,
                                   payload=email_of(failed.payload, member, link), now=now, due=due)
        note = f"sent by email to {member.email} instead" if email_set_up else None
    if first:
        _tell_secretariat(session, notify, member, code, now, email_set_up=email_set_up)
    return note


def _large_file_link(session: Session, notify: Notifier, payload: dict[str, Any], member: Member,
                     now: dt.datetime) -> str | None:
    """For a stored file too large to attach (as routing decides it), the member's signed way to it on the board's
    pages; else None."""
    file_id = payload.get(FILE_ID)
    if file_id is None or not getattr(notify.links, "secret", None):
        return None
    home = reach.file_home(session=session, file_id=int(file_id))
    if home is None or home.size <= LARGE_FILE or home.board_id is None or not home.slug:
        return None
    return notify.links.member_entry(home.slug, home.board_id, member.id, lambda: now)


def _emailed_already(session: Session, key: str, payload: dict[str, Any]) -> bool:
    """Whether the message went by email already: a document's file (`<key>:docx`, `<key>:md`) to someone who takes
    documents by email as well went in one email with the document's other files (`<key>:email`)."""
    if payload.get("_method") != "files.upload" or ":" not in key:
        return False
    return mail_store.has_message(session=session, key=email_key(key.rsplit(":", 1)[0]))


def _tell_secretariat(session: Session, notify: Notifier, member: Member, code: str, now: dt.datetime, *,
                      email_set_up: bool) -> None:
    data = {"person": member.slack_user_id, "name": member.display_name, "reason": DM_UNREACHABLE[code],
            "code": code, "email": member.email if member.email_ready else None,
            "unconfirmed": member.email if member.email and not member.email_ready else None,
            "email_set_up": email_set_up}
    for person, board_names in mail_store.board_contacts(session=session, member_id=member.id):
        notify.to_user(person.slack_user_id, TEMPLATE, dict(data, boards=board_names),
                       key=f"dm-failed:{member.id}:{person.id}:{now:%Y%m%d%H%M%S}")
