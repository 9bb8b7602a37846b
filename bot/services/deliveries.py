"""Which delivery takes which outbox message: email rows (target kind `email`) go by SMTP when it is set up, the
rest to Slack; and what a DM Slack refused for good turns into (handlers.dm_failures)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.email.compose import email_from_slack
from bot.slack.api import Delivered, Delivery, DeliveryError
from handlers.answers import answer_for_button
from handlers.dm_failures import EmailOf, FailedDm, handle_dm_failed
from handlers.links import LinkRefused
from store.models import Member
from store.outbox import FILE_ID, ClaimedMessage
from store.reach import EmailTo

UNKNOWN_WORST_CASE = 30.0  # a delivery that cannot say how long it may take (the sender's DEFAULT_WORST_CASE)
NOT_SET_UP = "email is not set up: set LSPBOT_SMTP_URL and LSPBOT_MAIL_FROM"


class EmailNotSetUp:
    """Email rows where no mail server is configured: each fails for good, saying so (`lspbot outbox retry`
    sends them once it is set up)."""

    def deliver(self, target_kind: str, target: str, payload: dict[str, Any]) -> Delivered:
        raise DeliveryError(NOT_SET_UP, retry_after=None)

    def worst_case(self, target_kind: str, target: str, payload: dict[str, Any]) -> float:
        return 0.0


class DeliveryByKind:
    """One delivery for each target kind (`email`), another for the rest (Slack's `user` and `channel`); pacing,
    holds and the longest a delivery may take asked of the one that delivers."""

    def __init__(self, default: Delivery, by_kind: dict[str, Delivery]) -> None:
        self.default = default
        self.by_kind = by_kind

    def _for(self, target_kind: str) -> Any:
        return self.by_kind.get(target_kind, self.default)

    def deliver(self, target_kind: str, target: str, payload: dict[str, Any]) -> Delivered:
        return self._for(target_kind).deliver(target_kind, target, payload)

    def delay_for(self, target_kind: str, target: str) -> float:
        delay_for = getattr(self._for(target_kind), "delay_for", None)
        return float(delay_for(target_kind, target)) if delay_for else 0.0

    def hold(self, target_kind: str, target: str, seconds: float) -> None:
        hold = getattr(self._for(target_kind), "hold", None)
        if hold:
            hold(target_kind, target, seconds)

    def worst_case(self, target_kind: str, target: str, payload: dict[str, Any]) -> float:
        worst_case = getattr(self._for(target_kind), "worst_case", None)
        return float(worst_case(target_kind, target, payload)) if worst_case else UNKNOWN_WORST_CASE


def dm_emails(runtime: Any) -> EmailOf:
    """How a DM's payload becomes the email carrying it to its member: a message converted (its buttons as their
    signed answer links, bound to them), or an upload's file attached with a covering note; from the same email
    templates as the rest (bot.render.emails)."""
    def email_of(payload: dict[str, Any], member: Member, link: str | None) -> dict[str, Any]:
        emails = runtime.renderer.emails()  # made on first use
        to = EmailTo(member.slack_user_id, member.id, member.display_name, member.email or "", member.email_digests)
        if payload.get("_method") == "files.upload":
            filename = str(payload.get("filename") or "file")
            file = {"filename": filename, **({FILE_ID: payload[FILE_ID]} if payload.get(FILE_ID) is not None
                                             else {"content_hex": str(payload.get("content_hex") or "")})}
            return emails.files([file], to, title=str(payload.get("title") or filename),
                                note=str(payload.get("initial_comment") or ""),
                                link=link)

        def answer_link(action_id: str, value: str) -> str | None:
            target = answer_for_button(action_id, value)
            if target is None or not runtime.settings.link_secret:
                return None
            try:
                return str(runtime.links.answer(target.kind, member.id, target.object_id, runtime.clock.now))
            except LinkRefused:
                return None

        return email_from_slack(payload, to_name=to.name, member=to.user_id, answer_link=answer_link,
                                env=emails.env, name_of=emails.names)

    return email_of


def dm_failure_handler(runtime: Any) -> Any:
    """The sender's `on_failed`: a DM to someone Slack will not let lspbot DM goes to them by email, and their
    boards' secretariat is told (handlers.dm_failures), in the unit of work that marks it failed."""
    email_set_up = bool(runtime.settings.smtp_url and runtime.settings.mail_from)
    email_of = dm_emails(runtime)

    def on_failed(session: Session, message: ClaimedMessage, error: str) -> str | None:
        if message.target_kind != "user":
            return None
        return handle_dm_failed(session=session, notify=runtime.outbox(session),
                                failed=FailedDm(message.id, message.target, message.payload, error),
                                now=runtime.clock.now(), due=runtime.outbox_clock.now(), email_of=email_of,
                                email_set_up=email_set_up)

    return on_failed


def email_delivery(runtime: Any) -> Delivery:
    """SMTP when LSPBOT_SMTP_URL and LSPBOT_MAIL_FROM are set, else every email row failing with the reason."""
    settings = runtime.settings
    if not (settings.smtp_url and settings.mail_from):
        return EmailNotSetUp()
    from bot.email.smtp import SmtpDelivery, parse_smtp_url

    return SmtpDelivery(parse_smtp_url(settings.smtp_url), settings.mail_from,
                        domain_interval=settings.mail_domain_interval, now=runtime.clock.now)

