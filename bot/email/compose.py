"""Emails composed from what would have gone to a person's Slack DM.

An email's outbox payload (target kind `email`, target the address; store.outbox.EMAIL) is:
    {"_method": "email", "subject": str, "text": str, "html": str,
     "headers": {name: value},                       # List-Unsubscribe and the like
     "attachments": [{"filename", "mimetype", "content_hex"} | {"filename", "mimetype", "_file_id"}],
     "to_name": str, "member": str}                  # the person's name and lspbot id (their Slack id or mail:…)

Both parts come from Jinja2 templates: `email/message.txt.j2` and `email/message.html.j2` lay out a message's parts
(the generic path: a rendered Block Kit message converted part by part, bot.email.blocks), and a message that
reads poorly that way has its own pair, `email/<the Slack template's stem>.txt.j2` and `.html.j2`, rendered with
the Slack message's data and `mail` (its person, their answer links, names, mrkdwn as HTML). The HTML is tables
and inline CSS, no scripts and no images, so Outlook shows it as meant.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, Environment, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound
from markupsafe import Markup

from bot.email import mrkdwn
from bot.email.blocks import AnswerLink, message_parts

log = logging.getLogger("lspbot.email")

SHIPPED_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SUBJECT_MAX = 120
LARGE_ATTACHMENT = 10 * 1024 * 1024  # a file over this goes as a link to the board's page, not attached

# The subject of each message that has one of its own (else the message's fallback text), before the board's name.
SUBJECTS: dict[str, str] = {
    "action_assigned": "An action for you",
    "chase_actions": "Your actions: a reminder",
    "reminder_update_request": "Your partner update, please",
    "reminder_quarterly": "Quarterly return due",
    "digest_escalated": "Weekly digest: escalated actions",
    "digest_quarterly_summary": "Quarterly returns: summary",
    "minutes": "Minutes",
    "pack": "Agenda pack",
    "attendance_warning": "Who is coming to the meeting",
    "paper_chase": "Papers for the agenda pack",
}
# Messages a member may stop by email (List-Unsubscribe): digests of what they can see elsewhere.
OPTIONAL_DIGESTS = frozenset({"digest_escalated", "digest_quarterly_summary"})


def stem(template: str) -> str:
    """`slack/chase_actions.json.j2` → `chase_actions`."""
    return template.rsplit("/", 1)[-1].split(".", 1)[0]


def build_email_environment(loader: BaseLoader | None = None, *, filters: Mapping[str, Any] | None = None,
                            globals_: Mapping[str, Any] | None = None) -> Environment:
    """The environment of the email templates: HTML ones (`.html.j2`) autoescaped, every one strict."""
    env = Environment(loader=loader or FileSystemLoader(str(SHIPPED_TEMPLATES)), undefined=StrictUndefined,
                      autoescape=lambda name: bool(name) and str(name).endswith((".html.j2", ".html")),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(filters or {})
    env.globals.update(globals_ or {})
    return env


_DEFAULT_ENV: Environment | None = None


def default_environment() -> Environment:
    global _DEFAULT_ENV
    if _DEFAULT_ENV is None:
        _DEFAULT_ENV = build_email_environment()
    return _DEFAULT_ENV


class Mail:
    """What an email template sees as `mail`: its person, their answer links, names and mrkdwn as HTML or text."""

    def __init__(self, *, to_name: str, board: str | None, name_of: mrkdwn.NameOf | None,
                 answer: Callable[[str, int], str | None] | None = None, unsubscribe: str | None = None,
                 page: str | None = None) -> None:
        self.to_name = to_name
        self.board = board
        self.unsubscribe = unsubscribe
        self.page = page  # the board's web page, where known
        self._name_of = name_of
        self._answer = answer

    def answer(self, kind: str, object_id: Any) -> str | None:
        """A signed answer link (handlers.links.Answer by name: ACTION, UPDATE, RETURN, ATTENDANCE) or None."""
        if self._answer is None or object_id is None:
            return None
        return self._answer(kind, int(object_id))

    def name(self, user_id: str) -> str:
        """A person's name from their lspbot id."""
        return (self._name_of(str(user_id)) if self._name_of else None) or "a member"

    def md(self, text: str) -> Markup:
        """mrkdwn (as the Slack templates write it) as safe HTML."""
        return Markup(mrkdwn.to_html(str(text), self._name_of))

    def md_text(self, text: str) -> str:
        return mrkdwn.to_text(str(text), self._name_of)


def board_of(data: Mapping[str, Any]) -> str | None:
    """The board a message's data is about, where it says: `board` (a name or {"name"}), or its action's or pack's."""
    board = data.get("board")
    if isinstance(board, str) and board:
        return board
    if isinstance(board, Mapping) and isinstance(board.get("name"), str):
        return str(board["name"])
    for holder in ("action", "pack"):
        inner = data.get(holder)
        if isinstance(inner, Mapping) and isinstance(inner.get("board"), str):
            return str(inner["board"])
    return None


def subject_for(template: str | None, payload: Mapping[str, Any], board: str | None,
                name_of: mrkdwn.NameOf | None = None) -> str:
    """The template's own subject, else the message's fallback text, trimmed; after the board's name where known."""
    own = SUBJECTS.get(stem(template)) if template else None
    words = own or mrkdwn.plain(str(payload.get("text") or ""), name_of) or "A message from lspbot"
    if board and not words.startswith(board):
        words = f"{board}: {words}"
    words = " ".join(words.split())
    return words if len(words) <= SUBJECT_MAX else words[:SUBJECT_MAX - 1].rstrip() + "…"


def unsubscribe_headers(url: str | None) -> dict[str, str]:
    """RFC 8058's one-click List-Unsubscribe (an optional digest's)."""
    if not url:
        return {}
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def own_templates(env: Environment, template: str) -> tuple[str, str] | None:
    """A message's own pair of email templates (text, HTML), if it has one."""
    names = (f"email/{stem(template)}.txt.j2", f"email/{stem(template)}.html.j2")
    try:
        env.get_template(names[1])
        env.get_template(names[0])
    except TemplateNotFound:
        return None
    return names


def render_pair(env: Environment, names: tuple[str, str], data: Mapping[str, Any]) -> tuple[str, str]:
    """A pair of email templates rendered with the same data: (text, HTML)."""
    text = env.get_template(names[0]).render(**data)
    html = env.get_template(names[1]).render(**data)
    return text.strip() + "\n", html


def payload(*, subject: str, text: str, html: str, to_name: str, member: str,
            headers: Mapping[str, str] | None = None, attachments: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """An email's outbox payload (the contract above)."""
    return {"_method": "email", "subject": subject, "text": text, "html": html, "headers": dict(headers or {}),
            "attachments": [dict(a) for a in attachments], "to_name": to_name, "member": member}


def email_from_slack(payload_: dict[str, Any], *, to_name: str, member: str, subject: str | None = None,
                     answer_link: AnswerLink | None = None, env: Environment | None = None,
                     name_of: mrkdwn.NameOf | None = None, template: str | None = None,
                     data: Mapping[str, Any] | None = None, mail: Mail | None = None,
                     headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An email payload carrying a rendered Slack message (blocks and fallback text) to one person: the message's
    own email templates where it has them (`template`, with its `data`), else its blocks converted."""
    env = env or default_environment()
    board = board_of(data or {})
    mail = mail or Mail(to_name=to_name, board=board, name_of=name_of)
    names = own_templates(env, template) if template and data is not None else None
    rendered = None
    if names is not None:
        try:
            rendered = render_pair(env, names, {**(data or {}), "mail": mail})
        except TemplateError:  # a (custom) email template that does not fit its data: the generic email instead
            log.exception("email template %s could not be rendered; the message is converted instead", names[1])
    if rendered is not None:
        text, html = rendered
    else:
        parts = message_parts(payload_, name_of=name_of, answer_link=answer_link)
        context = {"parts": parts, "mail": mail, "preheader": mrkdwn.plain(str(payload_.get("text") or ""), name_of)}
        text, html = render_pair(env, ("email/message.txt.j2", "email/message.html.j2"), context)
    return payload(subject=subject or subject_for(template, payload_, board, name_of), text=text, html=html,
                   to_name=to_name, member=member, headers=headers)


def email_with_files(files: Sequence[Mapping[str, Any]], *, to_name: str, member: str, title: str, note: str = "",
                     board: str | None = None, link: str | None = None, env: Environment | None = None,
                     name_of: mrkdwn.NameOf | None = None) -> dict[str, Any]:
    """A short covering note with files attached (each {"filename", "content_hex"} or {"filename", "_file_id"}), or,
    given `link` (a file too large to attach), the note and the link to where it can be read."""
    env = env or default_environment()
    mail = Mail(to_name=to_name, board=board, name_of=name_of, page=link)
    attachments = [] if link else [dict(f, mimetype=f.get("mimetype") or mimetype_of(str(f["filename"])))
                                   for f in files]
    context = {"mail": mail, "title": title, "note": note, "link": link,
               "files": [str(f["filename"]) for f in files]}
    text, html = render_pair(env, ("email/files.txt.j2", "email/files.html.j2"), context)
    return payload(subject=subject_for(None, {"text": title}, board), text=text, html=html, to_name=to_name,
                   member=member, attachments=attachments)


def mimetype_of(filename: str) -> str:
    known = {".md": "text/markdown", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    suffix = Path(filename).suffix.lower()
    return known.get(suffix) or mimetypes.guess_type(filename)[0] or "application/octet-stream"
