"""The demo's partner outside Slack: Dr Jane Smith of Ealing CCG is on the board by email alone. She is added by
her address, confirms it from the email she gets, is given an action, and answers its chaser from the email's link,
on the board's web pages, as she would in a browser (the demo prints each email instead of sending it)."""

from __future__ import annotations

import re
from html import unescape
from typing import TextIO

from bot.console import Console
from bot.demo.plan import _step
from bot.runtime import Runtime
from store import db, emails
from store import outbox_email

CHAIR = "UBELL01"
PARTNER = ("jane.smith@nhs.net", "Dr Jane Smith", "Ealing CCG")
_LINK = re.compile(r"https?://\S+/a/[A-Za-z0-9_.\-]+")
_HIDDEN = re.compile(r'<input type="hidden" name="(nonce|csrf|do)" value="([^"]*)">')


def newest_link(runtime: Runtime, address: str, *, containing: str = "") -> str:
    """The first answer link in the newest email to `address` (whose text contains `containing`)."""
    with db.session_scope(runtime.sessions) as session:
        texts = outbox_email.email_texts_to(session=session, address=address)
    for text in reversed(texts):
        if containing in text and (found := _LINK.search(text)):
            return found.group(0)
    raise LookupError(f"no answer link in an email to {address}")


def answer_by_link(runtime: Runtime, out: TextIO, url: str, form: dict[str, str], *, do: str | None = None) -> str:
    """Open an answer link's page as a browser would, then send its form (the one for `do`, when it has several);
    the page that comes back, as text."""
    from bot.web.app import create_web_app

    client = create_web_app(runtime).test_client()
    path = url[url.index("/a/"):]
    page = client.get(path).get_data(as_text=True)
    forms = page.split("<form")[1:]
    chosen = next(f for f in forms if do is None or f'name="do" value="{do}"' in f)
    fields = dict(_HIDDEN.findall(chosen))
    reply = client.post(path, data={**fields, **form}, follow_redirects=True)
    said = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", _main(reply.get_data(as_text=True))))).strip()
    said = said.split(" The link has done its work")[0]
    out.write(f"  → the page answers ({reply.status_code}): {said[:300]}\n")
    return said


def _main(html: str) -> str:
    start, end = html.find("<main"), html.find("</main>")
    return html[start:end] if start >= 0 and end > start else html


def run_email_partner(runtime: Runtime, console: Console, out: TextIO) -> None:
    """Jane Smith joins by email, confirms her address from its link and is given an action."""
    address, name, org = PARTNER
    out.write(f"\n— {name} of {org} is not in the council's Slack: the chair adds her by her address, and lspbot "
              "emails her (each email is printed here; with LSPBOT_SMTP_URL set, it goes by SMTP) —\n")
    _step(out, console, CHAIR, f'/lsp member add email:{address} name:"{name}" org:"{org}"')
    out.write(f"\n— {name} opens the link in that email, in her browser, and confirms her address —\n")
    answer_by_link(runtime, out, newest_link(runtime, address), {})
    with db.session_scope(runtime.sessions) as session:
        member = emails.member_with_email(session=session, email=address)
        assert member is not None and member.email_confirmed_at is not None, "the demo's partner is not confirmed"
    _step(out, console, CHAIR, f'/action add Share the CCG\'s winter pressures plan with partners @"{name}" by 9 August')
    _step(out, console, CHAIR, "/lsp member list")


def run_email_answer(runtime: Runtime, out: TextIO) -> None:
    """Jane Smith answers her action's chaser from its email: marked done, with a note."""
    address, name, _ = PARTNER
    out.write(f"\n— {name} marks her action done from the chaser's link: the same handler as Slack's Done button, "
              "recorded in the audit as her —\n")
    url = newest_link(runtime, address, containing="winter pressures")
    answer_by_link(runtime, out, url, {"note": "Plan circulated to all partners on 12 August"}, do="done")
