"""The web app: built once per process beside the Bolt app; each area of pages registers its routes
(`register(app, runtime)`), as the Slack listeners do."""

from __future__ import annotations

import importlib
import secrets

from flask import Flask
from jinja2 import FileSystemLoader

from bot.render.templates import SHIPPED_DIR
from bot.runtime import Runtime

WEB_PREFIX = "/b/"  # every page of a board: /b/<slug>/…
ANSWER_PREFIX = "/a/"  # the pages behind the answer links in emails: /a/<token> (bot/web/answers.py)
AREAS = ("bot.web.pages", "bot.web.feeds", "bot.web.answers")  # each has register(app, runtime)


def create_web_app(runtime: Runtime) -> Flask:
    """The Flask app of the boards' pages, on this runtime's database and clock."""
    app = Flask("lspbot.web", static_folder=None)
    app.config.update(
        # the session cookie (a member's way in, after their signed link) is signed with the links' key
        SECRET_KEY=runtime.settings.link_secret or secrets.token_hex(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=runtime.settings.public_url.startswith("https://"),
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.jinja_loader = FileSystemLoader(str(SHIPPED_DIR / "web"))
    app.jinja_env.autoescape = True  # .html.j2 is not a suffix Flask escapes by itself
    app.extensions["lspbot.runtime"] = runtime
    for area in AREAS:
        importlib.import_module(area).register(app, runtime)
    return app
