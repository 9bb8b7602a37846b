"""The bot's settings in the tests: secrets, admin and start time, in-process or as a real `lspbot`'s environment."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.settings import Settings, load_settings

LONDON = ZoneInfo("Europe/London")
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
ADMIN = "UADMIN"
DEFAULT_NOW = dt.datetime(2019, 7, 16, 9, 30, tzinfo=LONDON)
ROOT = Path(__file__).resolve().parent.parent.parent


def settings_for(database_url: str, **extra: str) -> Settings:
    """Settings for the bot's parts in-process, on `database_url`."""
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "DATABASE_URL": database_url,
        "LSPBOT_ADMINS": ADMIN,
        **extra,
    }
    return load_settings(env, env_file=None)


def lspbot_env(database_url: str, slack_url: str, **extra: str) -> dict[str, str]:
    """The environment of a real `lspbot` process: this one's, less any Slack or lspbot setting, plus the tests'."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LSPBOT_", "DATABASE_URL"))}
    env.update({
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_url,
        "DATABASE_URL": database_url,
        "LSPBOT_ADMINS": ADMIN,
        "LSPBOT_NOW": DEFAULT_NOW.isoformat(),
        "PYTHONUNBUFFERED": "1",
        **extra,
    })
    return env
