"""The pages behind the answer links in emails (`/a/<token>`, handlers/links.py): a member marks an action done,
sends their organisation's update or a quarterly return, replies for a meeting, confirms their address or stops
the optional digests, without Slack.

GET only shows (mail scanners such as Outlook Safe Links fetch every link in an email): the page and its form.
The change is the form's POST, which carries a CSRF token (an HMAC, with the links' key, of the link's digest and
a nonce of the page's; no session is kept) and runs the same handlers as the Slack buttons and forms
(handlers/answer_pages.py) in one unit of work, as the link's person. A link does its work once; after it, its page
says what was done and when. An expired (or used) link offers a fresh one by email (Outbox.to_email, once for
each old link); an altered one offers nothing but the
secretariat's address. RFC 8058's one-click unsubscribe (`List-Unsubscribe=One-Click`) needs no CSRF token: the
token in the address is the secret."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Flask, Response, g, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from bot.runtime import Runtime, handler_request, run_in_unit_of_work
from bot.web.reading import DatabaseAway, reading
from handlers import answer_pages, web_pages
from handlers.base import Conflict, DomainError, Forbidden, NotFound, Reply
from handlers.links import ANSWER_DAYS, Answer, AnswerPass, LinkRefused
from store import links as link_store
from store.models import Member
from store.models.views import BoardView

_CSRF_SALT = b"lspbot.answer-form"
_CODE = re.compile(r"`([^`<>]{1,200})`")
_KEPT = ("csrf", "nonce", "fresh")  # the form's own fields, not the answer's
_WHAT = {Answer.ACTION: "to answer about an action", Answer.UPDATE: "to send your organisation's update",
         Answer.RETURN: "to send your quarterly return", Answer.ATTENDANCE: "to say whether you are coming",
         Answer.CONFIRM: "to confirm your email address", Answer.UNSUBSCRIBE: "to stop the optional digest emails"}


def csrf_token(secret: str, digest: str, nonce: str) -> str:
    """The form's CSRF token: the link's digest and the page's nonce, signed with the links' key."""
    return hmac.new(secret.encode() + _CSRF_SALT, f"{digest}|{nonce}".encode(), hashlib.sha256).hexdigest()


def _status(exc: DomainError) -> int:
    if isinstance(exc, Forbidden | answer_pages.LinkNotForThem):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    return 422


def code_spans(text: str) -> Markup:
    """A handler's message on a page: escaped, its `commands` as code."""
    return Markup(_CODE.sub(r"<code>\1</code>", str(escape(text))))


def local_time(at: dt.datetime, timezone: str) -> str:
    return f"{at.astimezone(ZoneInfo(timezone)):%A %-d %B %Y at %H:%M}"


def register(app: Flask, runtime: Runtime) -> None:
    """Add the answer pages' routes."""
    app.jinja_env.filters["code_spans"] = code_spans

    def now() -> dt.datetime:
        return runtime.clock.now()

    def secretariat() -> dict[str, str]:
        name, address = parseaddr(runtime.settings.mail_from or "")
        return {"name": name or "the board's secretariat", "email": address}

    def form_fields(digest: str) -> dict[str, str]:
        nonce = secrets.token_urlsafe(16)
        return {"nonce": nonce, "csrf": csrf_token(runtime.settings.link_secret or "", digest, nonce)}

    def csrf_ok(digest: str) -> bool:
        nonce, sent = request.form.get("nonce", ""), request.form.get("csrf", "")
        return bool(nonce and sent and runtime.settings.link_secret) and hmac.compare_digest(
            sent, csrf_token(runtime.settings.link_secret or "", digest, nonce))

    def show(template: str, status: int = 200, **data: Any) -> Response:
        g.members_view = True  # a person's own page: never cached, never shared
        body = render_template(template, secretariat=secretariat(), **data)
        response = Response(body, status=status, content_type="text/html; charset=utf-8")
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def entry(s: Session, board: BoardView | None, member: Member, when: dt.date | None) -> str:
        """The member's way into the board's pages (the pack, the minutes), when they are on it."""
        if board is None or web_pages.member_viewer(s, board, member.id) is None:
            return ""
        path = urlsplit(runtime.links.member_entry(board.slug, board.id, member.id, now)).path
        return f"{path}?meeting={when.isoformat()}" if when else path

    def invalid(message: str) -> Response:
        return show("answers/invalid.html.j2", 403, message=message)

    def expired(token: str, found: AnswerPass) -> Response:
        return show("answers/expired.html.j2", 410, what=_WHAT[found.kind], action=url_for("answer_post", token=token),
                    **form_fields(found.digest))

    def request_for(s: Session, member: Member, outbox: Any = None) -> Any:
        return handler_request(runtime, s, outbox or runtime.outbox(s), user_id=member.slack_user_id,
                               channel_id=None, user_name=member.display_name)

    def page(token: str, passed: AnswerPass, *, error: DomainError | None = None, sent: dict[str, str] | None = None,
             done: bool = False) -> Response:
        """The link's page as it stands: used (what was done), or its form (with the error of a refused POST)."""
        def work(s: Session) -> Response:
            used = link_store.link_use(session=s, digest=passed.digest)
            member = s.get(Member, passed.member_id)
            if member is None:
                return invalid("This link was for someone who is no longer on lspbot's list.")
            if used is not None:
                board, when = answer_pages.where_about(request_for(s, member), passed)
                return show("answers/used.html.j2", did=used.did, done=done, person=member.display_name,
                            used_at=local_time(used.used_at, board.timezone if board else runtime.settings.timezone),
                            entry=entry(s, board, member, when),
                            action=url_for("answer_post", token=token), what=_WHAT[passed.kind],
                            fresh=answer_pages.fresh_address(member, passed) is not None,
                            **form_fields(passed.digest))
            shown = answer_pages.answer_page(request_for(s, member), passed, member)
            refusal = shown.refusal or error
            status = _status(refusal) if refusal is not None else 200
            hidden = shown.refusal is not None and answer_pages.forbidden_to_see(shown.refusal)
            return show(shown.template, status, **shown.data, person=member.display_name, error=refusal,
                        error_field=answer_pages.error_field(passed.kind, sent or {}, error) if error else "",
                        sent=sent or {}, expires_at=passed.expires_at,
                        entry="" if hidden else entry(s, shown.board, member, shown.meeting_date),
                        action=url_for("answer_post", token=token), **form_fields(passed.digest))
        return read(work)

    def read(work: Any) -> Response:
        try:
            with reading(runtime, "answer page") as s:
                result = work(s)
            assert isinstance(result, Response)
            return result
        except DatabaseAway:
            return show("error.html.j2", 503, code=503, title="Temporarily unavailable", hint="",
                        message="The board's database could not be reached just now, so nothing was changed. "
                                "Please try again in a minute.")

    def unavailable(outcome: Any) -> Response:
        blocks = outcome.payload.get("blocks") or []
        said = " ".join(b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict))
        return show("error.html.j2", 503, code=503, title="Not done", hint="",
                    message=said or "It could not be done just now. Please try again in a minute.")

    def send_fresh(found: AnswerPass) -> Response:
        """Queue an email with a fresh link to the person an old one was for (once for each old link, however its
        token is spelt: the key is the link's digest)."""
        kind, member_id, object_id = found.kind, found.member_id, found.object_id
        address: list[str] = []

        def work(s: Session, outbox: Any) -> Reply:
            member = s.get(Member, member_id)
            to = answer_pages.fresh_address(member, found) if member is not None else None
            if member is None or to is None or runtime.mail is None:
                raise NotFound("There is no confirmed email address to send a fresh link to.")
            link = runtime.links.answer(kind, member.id, object_id, runtime.clock.now,
                                        email=to if kind is Answer.CONFIRM else None)
            if not outbox.to_email(member.slack_user_id, "email/fresh_link",
                                   {"link": link, "what": _WHAT[kind], "days": ANSWER_DAYS},
                                   key=f"fresh-link:{found.digest}", unconfirmed_ok=kind is Answer.CONFIRM,
                                   subject="Your fresh link"):
                raise NotFound("There is no confirmed email address to send a fresh link to.")
            address.append(to)
            return Reply("slack/reminder_ack.json.j2", {"text": "A fresh link is on its way."})

        outcome = run_in_unit_of_work(runtime, work, what="answer link: a fresh one")
        if not outcome.ok and outcome.error is None:
            return unavailable(outcome)
        if outcome.error is not None:
            return show("answers/fresh.html.j2", 404, problem=outcome.error.message, sent_to="")
        if outcome.queued:
            runtime.wake_sender()
        return show("answers/fresh.html.j2", 200, problem="", sent_to=masked(address[0]))

    @app.route("/a/<token>", methods=["GET"])
    def answer_link(token: str) -> Response:
        try:
            passed = runtime.links.read_answer(token, now)
        except LinkRefused as exc:
            found = runtime.links.expired_answer(token, now) if exc.expired else None
            if found is not None:
                return expired(token, found)
            return invalid(str(exc))
        return page(token, passed, done=request.args.get("done") == "1")

    @app.route("/a/<token>", methods=["POST"])
    def answer_post(token: str) -> Response:
        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        try:
            passed = runtime.links.read_answer(token, now)
        except LinkRefused as exc:
            found = runtime.links.expired_answer(token, now) if exc.expired else None
            if found is None:
                return invalid(str(exc))
            if one_click and found.kind is Answer.UNSUBSCRIBE:
                return unsubscribe_again(found.member_id, found.object_id)
            if not csrf_ok(found.digest):
                return refused_form()
            return send_fresh(found)
        if one_click and passed.kind is Answer.UNSUBSCRIBE:
            return one_click_unsubscribe(passed)
        if not csrf_ok(passed.digest):
            return refused_form()
        if request.form.get("fresh"):
            return send_fresh(passed)
        sent = {k: v for k, v in request.form.items() if k not in _KEPT}

        def work(s: Session, outbox: Any) -> Reply:
            member = s.get(Member, passed.member_id)
            if member is None:
                raise answer_pages.LinkNotForThem("This link was for someone who is no longer on lspbot's list.")
            did = answer_pages.answer(request_for(s, member, outbox), passed, member, sent)
            return Reply("slack/reminder_ack.json.j2", {"text": did})

        outcome = run_in_unit_of_work(runtime, work, what=f"answer link: {passed.kind.value}")
        if outcome.ok:
            if outcome.queued:
                runtime.wake_sender()
            return redirect(url_for("answer_link", token=token, done="1"), 303)
        if outcome.error is None:
            return unavailable(outcome)
        if isinstance(outcome.error, answer_pages.LinkUsed):
            return redirect(url_for("answer_link", token=token), 303)
        return page(token, passed, error=outcome.error, sent=sent)

    def refused_form() -> Response:
        return show("error.html.j2", 403, code=403, title="This form could not be accepted",
                    message="It did not come from its page here, or the page is too old, so nothing was changed.",
                    hint="Open the link from your email again and send the form from that page.")

    def one_click_unsubscribe(passed: AnswerPass) -> Response:
        def work(s: Session, outbox: Any) -> Reply:
            member = s.get(Member, passed.member_id)
            if member is None:
                raise answer_pages.LinkNotForThem("This link was for someone who is no longer on lspbot's list.")
            req = request_for(s, member, outbox)
            if link_store.link_use(session=s, digest=passed.digest) is not None:
                answer_pages.unsubscribe_once_more(req, passed, member)
            else:
                answer_pages.answer(req, passed, member, {})
            return Reply("slack/reminder_ack.json.j2", {"text": "unsubscribed"})
        return unsubscribed(run_in_unit_of_work(runtime, work, what="answer link: one-click unsubscribe"))

    def unsubscribe_again(member_id: int, object_id: int) -> Response:
        def work(s: Session, outbox: Any) -> Reply:
            member = s.get(Member, member_id)
            if member is None or member.id != object_id:
                raise answer_pages.LinkNotForThem("This link is not valid.")
            answer_pages.unsubscribe_once_more(request_for(s, member, outbox), AnswerPass(
                Answer.UNSUBSCRIBE, member_id, object_id, None, now(), now(), ""), member)
            return Reply("slack/reminder_ack.json.j2", {"text": "unsubscribed"})
        return unsubscribed(run_in_unit_of_work(runtime, work, what="answer link: one-click unsubscribe"))

    def unsubscribed(outcome: Any) -> Response:
        if outcome.ok:
            return Response("Unsubscribed: no more optional digests by email.\n", status=200,
                            content_type="text/plain; charset=utf-8")
        if outcome.error is None:
            return Response("Temporarily unavailable: please try again.\n", status=503,
                            content_type="text/plain; charset=utf-8")
        return Response(outcome.error.message + "\n", status=_status(outcome.error),
                        content_type="text/plain; charset=utf-8")


def masked(address: str) -> str:
    """An address as a page shows it to whoever holds the link: `j…@nhs.net`."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}"
