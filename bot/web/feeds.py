"""The calendar feeds: a public board's /b/<slug>/meetings.ics and each member's secret feed
/b/<slug>/feeds/<token>.ics (`/plan ics feed`), which calendars subscribe to and fetch again now and then."""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, abort

from bot.runtime import Runtime
from bot.web.reading import DatabaseAway, reading
from handlers.board_rules import board_config
from handlers.plan_ics import plan_ics
from store import boards, feeds

log = logging.getLogger("lspbot.web")

PUBLIC_MAX_AGE = 900  # seconds a cache may keep the public feed (calendars fetch feeds every few hours anyway)
MEMBER_MAX_AGE = 300  # the member's feed: private, kept by the member's own calendar only
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _calendar(content: bytes, slug: str, *, public: bool) -> Response:
    response = Response(content, status=200, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{slug}-meetings.ics"'
    response.headers["Cache-Control"] = (f"public, max-age={PUBLIC_MAX_AGE}" if public
                                         else f"private, max-age={MEMBER_MAX_AGE}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    if not public:
        response.headers["X-Robots-Tag"] = "noindex"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def register(app: Flask, runtime: Runtime) -> None:
    """Add the feeds' routes."""

    def unavailable() -> Response:
        return Response("The calendar is not available just now; try again shortly.\n", status=503,
                        mimetype="text/plain", headers={"Retry-After": "60"})

    @app.get("/b/<slug>/meetings.ics")
    def public_feed(slug: str) -> Response:
        """A public board's meetings, confidential items left out; a private or unknown board is 404."""
        if not _SLUG.match(slug):
            abort(404)
        try:
            with reading(runtime, "calendar feed") as session:
                board = boards.by_slug(session=session, slug=slug)
                if board is None or not board_config(board).public:
                    abort(404)
                content, _ = plan_ics(session, board, runtime.clock.now(), links=runtime.links, public=True)
        except DatabaseAway:
            return unavailable()
        return _calendar(content, slug, public=True)

    @app.get("/b/<slug>/feeds/<token>.ics")
    def member_feed(slug: str, token: str) -> Response:
        """One member's feed (everything they see in Slack), while the token is live and they are on the board."""
        if not _SLUG.match(slug) or not _TOKEN.match(token):
            abort(404)
        try:
            with reading(runtime, "calendar feed") as session:
                feed = feeds.by_token(session=session, token=token)
                board = boards.by_slug(session=session, slug=slug)
                if (feed is None or board is None or feed.board_id != board.id
                        or boards.get_membership(session=session, board_id=board.id, member_id=feed.member_id) is None):
                    abort(404)
                content, _ = plan_ics(session, board, runtime.clock.now(), links=runtime.links, public=False)
        except DatabaseAway:
            return unavailable()
        return _calendar(content, slug, public=False)
