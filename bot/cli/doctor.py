"""`lspbot doctor`: what this installation lacks, and what that means for the board.

Each check is a line: `ok`, `warn` (lspbot works, with something less: Word papers beside the pack rather than in
it, links to localhost, no members' links) or `FAIL` (something it needs: the database, its schema, a papers folder
it can write to, a configured LibreOffice that is not there). Exit status 0 when nothing failed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from typing import TextIO

from bot.settings import DEFAULT_PUBLIC_URL, Settings

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass
class Finding:
    status: str  # ok, warn or FAIL
    what: str
    said: str


def add_parsers(sub: argparse._SubParsersAction) -> None:
    doctor = sub.add_parser("doctor", help="say what this installation lacks (LibreOffice, the public address, "
                                           "the links' key, the papers folder, the database, the mail server) "
                                           "and what it means")
    doctor.set_defaults(func=cmd_doctor)


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    findings = diagnose(settings)
    report(findings, sys.stdout)
    return 1 if any(f.status == FAIL for f in findings) else 0


def report(findings: list[Finding], out: TextIO) -> None:
    for f in findings:
        out.write(f"{f.status:<4} {f.what}: {f.said}\n")
    failed = sum(f.status == FAIL for f in findings)
    warned = sum(f.status == WARN for f in findings)
    out.write("everything lspbot needs is in place" if not failed else f"{failed} thing(s) lspbot needs are missing")
    out.write(f" ({warned} warning(s))\n" if warned else "\n")


def diagnose(settings: Settings) -> list[Finding]:
    return [_database(settings), _libreoffice(settings), _public_url(settings), _secret(settings), _papers(settings),
            _slack(settings), _email(settings)]


def libreoffice_missing(settings: Settings) -> str | None:
    """Why Word papers cannot be converted into the pack (LibreOffice not found), or None when they can."""
    from bot.render.convert import find_libreoffice

    if find_libreoffice(settings.libreoffice):
        return None
    if settings.libreoffice:
        return (f"LSPBOT_LIBREOFFICE names {settings.libreoffice}, which is not there: Word papers are sent beside "
                "the agenda pack instead of inside it")
    return ("LibreOffice (soffice) is not installed or not on the PATH: Word papers are sent beside the agenda pack "
            "instead of inside it (install LibreOffice, or set LSPBOT_LIBREOFFICE)")


def _libreoffice(settings: Settings) -> Finding:
    from bot.render.convert import find_libreoffice

    missing = libreoffice_missing(settings)
    if missing is None:
        return Finding(OK, "LibreOffice", f"{find_libreoffice(settings.libreoffice)}: Word papers are converted "
                                          "into the agenda pack")
    # configured but absent is a mistake to fix; never installed is a choice with a known cost
    return Finding(FAIL if settings.libreoffice else WARN, "LibreOffice", missing)


def _public_url(settings: Settings) -> Finding:
    if settings.public_url_set:
        return Finding(OK, "LSPBOT_PUBLIC_URL", f"links point at {settings.public_url}")
    return Finding(WARN, "LSPBOT_PUBLIC_URL", f"not set: every link in messages and documents points at "
                                              f"{DEFAULT_PUBLIC_URL}, which only this machine can open")


def _secret(settings: Settings) -> Finding:
    if settings.secret_key:
        return Finding(OK, "links' key", "LSPBOT_SECRET_KEY signs members' links")
    if settings.link_secret:
        return Finding(OK, "links' key", "members' links are signed with a key derived from SLACK_SIGNING_SECRET "
                                         "(set LSPBOT_SECRET_KEY to rotate it on its own)")
    return Finding(WARN, "links' key", "neither LSPBOT_SECRET_KEY nor SLACK_SIGNING_SECRET is set: no member can be "
                                       "sent a link to the board's private pages (/lsp web), no email address can be "
                                       "confirmed, and no email carries an answer link")


def _papers(settings: Settings) -> Finding:
    folder = settings.papers_dir
    if folder is None:
        return Finding(OK, "papers", "kept in the database (LSPBOT_PAPERS_DIR not set)")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".lspbot-doctor-"):
            pass
    except OSError as exc:
        return Finding(FAIL, "papers", f"LSPBOT_PAPERS_DIR {folder} cannot be written to ({exc.strerror}): no paper "
                                       "or pack can be stored")
    return Finding(OK, "papers", f"kept in {folder} (every replica must see the same folder)")


def _slack(settings: Settings) -> Finding:
    if not settings.slack_bot_token:
        return Finding(FAIL, "Slack", "SLACK_BOT_TOKEN is not set: nothing can be sent to Slack")
    return Finding(OK, "Slack", "a bot token is set")


def _email(settings: Settings) -> Finding:
    """The mail server: reachable (greeted, TLS as asked, logged in, NOOP) or why not; without one, members reached
    by email are not reached."""
    from email.utils import parseaddr

    from bot.email.smtp import SmtpSettingsError, parse_smtp_url, probe
    from bot.slack.api import DeliveryError

    if not settings.smtp_url or not settings.mail_from:
        missing = " and ".join(n for n, v in (("LSPBOT_SMTP_URL", settings.smtp_url),
                                              ("LSPBOT_MAIL_FROM", settings.mail_from)) if not v)
        return Finding(WARN, "email", f"{missing} not set: members reached by email (and those Slack cannot DM) "
                                      "cannot be reached; what is queued for them fails with the reason")
    if "@" not in parseaddr(settings.mail_from)[1]:
        return Finding(FAIL, "email", f"LSPBOT_MAIL_FROM has no address: {settings.mail_from!r} (like "
                                      "`LSP Secretariat <lsp@council.gov.uk>`)")
    try:
        server = parse_smtp_url(settings.smtp_url)
    except SmtpSettingsError as exc:
        return Finding(FAIL, "email", str(exc))
    try:
        said = probe(server)
    except DeliveryError as exc:
        return Finding(FAIL, "email", f"the mail server {server} cannot be used: {exc}: no email goes out "
                                      "(it waits in the outbox and is tried again)")
    warning = not server.tls and server.user and "not encrypted" in said
    return Finding(WARN if warning else OK, "email",
                   f"{server} {said}; email goes from {settings.mail_from}"
                   + ("; the password goes over a connection that is not encrypted" if warning else ""))


def _database(settings: Settings) -> Finding:
    from sqlalchemy.exc import SQLAlchemyError

    from store import db

    try:
        engine = db.make_engine(settings.database_url, timeouts=settings.db_timeouts)
    except (SQLAlchemyError, ValueError) as exc:
        return Finding(FAIL, "database", f"DATABASE_URL cannot be used: {exc}")
    try:
        current = db.current_revision(engine)
        try:
            db.check_schema(engine)
        except db.SchemaMismatch as exc:
            if engine.dialect.name == "sqlite":
                try:
                    db.check_schema(engine, upgrading=True)
                except db.SchemaMismatch:
                    return Finding(FAIL, "database", str(exc))
                return Finding(WARN, "database", f"reachable, at revision {current or 'none (empty)'}: `lspbot "
                                                 "serve` brings a SQLite database up to date as it starts "
                                                 "(or run `lspbot db upgrade`)")
            return Finding(FAIL, "database", str(exc))
        return Finding(OK, "database", f"reachable, schema current ({current})")
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return Finding(FAIL, "database", f"cannot be reached: {reason[0] if reason else exc.__class__.__name__}")
    finally:
        engine.dispose()
