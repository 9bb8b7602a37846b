"""Settings from the environment and an optional `.env` file."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from store.db import Timeouts

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///lspbot.db"
SECRET_SETTINGS = ("slack_bot_token", "slack_signing_secret", "slack_app_token", "secret_key")
DEFAULT_PUBLIC_URL = "http://localhost:3000"
_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:).*@")
_SMTP_URL = re.compile(r"smtps?://([^@/\s]+@)?[A-Za-z0-9.\-]+(:[0-9]{1,5})?/?(\?[A-Za-z0-9=&_\-]*)?")
_PUBLIC_URL = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~\-/]*)?")


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "Europe/London"
    admins: frozenset[str] = field(default_factory=frozenset)
    now: dt.datetime | None = None  # LSPBOT_NOW: start the clock at this instant (staging, tests)
    log_level: str = "INFO"
    templates_dir: Path | None = None  # LSPBOT_TEMPLATES_DIR: templates here replace the shipped ones of the same name
    # PostgreSQL timeouts, in seconds (store.db.Timeouts says what each bounds)
    db_connect_timeout: int = 2  # LSPBOT_DB_CONNECT_TIMEOUT
    db_statement_timeout: float = 30.0  # LSPBOT_DB_STATEMENT_TIMEOUT
    db_idle_in_transaction_timeout: float = 60.0  # LSPBOT_DB_IDLE_IN_TRANSACTION_TIMEOUT
    db_keepalive: int = 10  # LSPBOT_DB_KEEPALIVE
    db_request_timeout: float = 2.0  # LSPBOT_DB_REQUEST_TIMEOUT: a Slack request's waits for the database, in all
    outbox_retention_days: int = 90  # LSPBOT_OUTBOX_RETENTION_DAYS: delivered messages' payloads are purged after it
    # LSPBOT_PUBLIC_URL: where people reach `lspbot serve` (its web pages); every link lspbot sends is built on it
    public_url: str = DEFAULT_PUBLIC_URL
    public_url_set: bool = False  # whether LSPBOT_PUBLIC_URL was set (else links point at the default)
    papers_dir: Path | None = None  # LSPBOT_PAPERS_DIR: papers and packs kept in this folder, not the database
    secret_key: str | None = None  # LSPBOT_SECRET_KEY: signs members' web links (else derived from the signing secret)
    libreoffice: str | None = None  # LSPBOT_LIBREOFFICE: the soffice program (else `soffice` on the PATH)
    # LSPBOT_SMTP_URL: the mail server email goes through, `smtp://[user:password@]host[:port]` (STARTTLS when the
    # server offers it; `?starttls=required` refuses a server that does not) or `smtps://…` (TLS from the start)
    smtp_url: str | None = None
    mail_from: str | None = None  # LSPBOT_MAIL_FROM: the From of every email, `LSP Secretariat <lsp@council.gov.uk>`
    mail_domain_interval: float = 1.0  # LSPBOT_MAIL_DOMAIN_INTERVAL: seconds between two emails to one mail domain

    def __repr__(self) -> str:
        """Every setting, the tokens and the database password masked: a repr can end up in a log or a traceback."""
        shown = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for name in SECRET_SETTINGS:
            shown[name] = "***" if shown[name] else shown[name]
        shown["database_url"] = _PASSWORD_IN_URL.sub(r"\1***@", self.database_url)
        if self.smtp_url:
            shown["smtp_url"] = _PASSWORD_IN_URL.sub(r"\1***@", self.smtp_url)
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    def require(self, *names: str) -> None:
        """Stop with one line naming the first missing setting."""
        for name in names:
            if not getattr(self, name.lower()):
                raise SettingsError(f"missing setting {name}: set it in the environment or in .env")

    @property
    def link_secret(self) -> str | None:
        """The key members' signed web links are signed with: LSPBOT_SECRET_KEY, else one derived from the Slack
        signing secret (so a deployment's links work without another setting; set one to rotate it separately)."""
        if self.secret_key:
            return self.secret_key
        if self.slack_signing_secret:
            return hmac.new(self.slack_signing_secret.encode(), b"lspbot web links", hashlib.sha256).hexdigest()
        return None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def db_timeouts(self) -> Timeouts:
        return Timeouts(connect=self.db_connect_timeout, statement=self.db_statement_timeout,
                        idle_in_transaction=self.db_idle_in_transaction_timeout, keepalive=self.db_keepalive,
                        request=self.db_request_timeout)


# name: (lowest, highest, default); seconds
DB_TIMEOUTS = {
    "LSPBOT_DB_CONNECT_TIMEOUT": (2, 300, 2),
    "LSPBOT_DB_STATEMENT_TIMEOUT": (1, 3600, 30),
    "LSPBOT_DB_IDLE_IN_TRANSACTION_TIMEOUT": (1, 3600, 60),
    "LSPBOT_DB_KEEPALIVE": (1, 3600, 10),
    "LSPBOT_DB_REQUEST_TIMEOUT": (0.5, 2.5, 2),
    "LSPBOT_MAIL_DOMAIN_INTERVAL": (0, 3600, 1),
}


def _seconds(name: str, raw: str | None) -> float:
    low, high, default = DB_TIMEOUTS[name]
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # NaN fails too
        raise SettingsError(f"{name}: a number of seconds from {low} to {high} is needed, not {raw!r}")
    return value


def load_settings(environ: dict[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
    """Read settings: process environment first, then `.env` for anything unset."""
    values: dict[str, str | None] = {}
    if env_file and Path(env_file).is_file():
        values.update(dotenv_values(env_file))
    values.update(os.environ if environ is None else environ)

    def get(name: str, default: str | None = None) -> str | None:
        value = values.get(name)
        return value if value not in (None, "") else default

    tz = get("LSPBOT_TIMEZONE", "Europe/London")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"LSPBOT_TIMEZONE: unknown time zone {tz!r}") from exc
    now = None
    if raw := get("LSPBOT_NOW"):
        try:
            now = dt.datetime.fromisoformat(raw)
        except ValueError as exc:
            raise SettingsError(f"LSPBOT_NOW: not an ISO date-time: {raw!r}") from exc
        if now.tzinfo is None:
            now = now.replace(tzinfo=ZoneInfo(tz))
    api_url = get("SLACK_API_URL", DEFAULT_SLACK_API_URL)
    if not api_url.endswith("/"):
        api_url += "/"
    templates_dir = Path(raw_dir).expanduser() if (raw_dir := get("LSPBOT_TEMPLATES_DIR")) else None
    if templates_dir is not None and not templates_dir.is_dir():
        raise SettingsError(f"LSPBOT_TEMPLATES_DIR: no such folder: {raw_dir}")
    raw_retention = get("LSPBOT_OUTBOX_RETENTION_DAYS", "90") or "90"
    if not (raw_retention.isascii() and raw_retention.isdigit()) or not 1 <= int(raw_retention) <= 3650:
        raise SettingsError(f"LSPBOT_OUTBOX_RETENTION_DAYS: a whole number of days from 1 to 3650, not {raw_retention!r}")
    public_url = (get("LSPBOT_PUBLIC_URL") or "").strip().rstrip("/")
    if public_url and not _PUBLIC_URL.fullmatch(public_url):
        raise SettingsError(f"LSPBOT_PUBLIC_URL: an http:// or https:// address, like https://lsp.example.org, "
                            f"not {public_url!r}")
    papers_dir = Path(raw_papers).expanduser() if (raw_papers := get("LSPBOT_PAPERS_DIR")) else None
    if papers_dir is not None and not papers_dir.is_dir():
        raise SettingsError(f"LSPBOT_PAPERS_DIR: no such folder: {raw_papers}")
    smtp_url = (get("LSPBOT_SMTP_URL") or "").strip() or None
    if smtp_url and not _SMTP_URL.fullmatch(smtp_url):
        raise SettingsError("LSPBOT_SMTP_URL: smtp://[user:password@]host[:port] or smtps://…, "
                            "like smtp://lspbot:secret@mail.council.gov.uk:587")
    admins = frozenset(a.strip() for a in (get("LSPBOT_ADMINS", "") or "").replace(";", ",").split(",") if a.strip())
    return Settings(
        slack_bot_token=get("SLACK_BOT_TOKEN"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET"),
        slack_app_token=get("SLACK_APP_TOKEN"),
        slack_api_url=api_url,
        database_url=get("DATABASE_URL", DEFAULT_DATABASE_URL),
        timezone=tz,
        admins=admins,
        now=now,
        log_level=get("LSPBOT_LOG_LEVEL", "INFO").upper(),
        templates_dir=templates_dir,
        db_connect_timeout=int(_seconds("LSPBOT_DB_CONNECT_TIMEOUT", get("LSPBOT_DB_CONNECT_TIMEOUT"))),
        db_statement_timeout=_seconds("LSPBOT_DB_STATEMENT_TIMEOUT", get("LSPBOT_DB_STATEMENT_TIMEOUT")),
        db_idle_in_transaction_timeout=_seconds("LSPBOT_DB_IDLE_IN_TRANSACTION_TIMEOUT",
                                                get("LSPBOT_DB_IDLE_IN_TRANSACTION_TIMEOUT")),
        db_keepalive=int(_seconds("LSPBOT_DB_KEEPALIVE", get("LSPBOT_DB_KEEPALIVE"))),
        db_request_timeout=_seconds("LSPBOT_DB_REQUEST_TIMEOUT", get("LSPBOT_DB_REQUEST_TIMEOUT")),
        outbox_retention_days=int(raw_retention),
        public_url=public_url or DEFAULT_PUBLIC_URL,
        public_url_set=bool(public_url),
        papers_dir=papers_dir,
        secret_key=get("LSPBOT_SECRET_KEY"),
        libreoffice=get("LSPBOT_LIBREOFFICE"),
        smtp_url=smtp_url,
        mail_from=(get("LSPBOT_MAIL_FROM") or "").strip() or None,
        mail_domain_interval=_seconds("LSPBOT_MAIL_DOMAIN_INTERVAL", get("LSPBOT_MAIL_DOMAIN_INTERVAL")),
    )
