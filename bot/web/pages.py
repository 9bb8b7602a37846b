"""The board's pages: the forward plan, meetings, decisions, reports, members.

Each page's data comes from handlers/web_pages.py, read in one unit of work that only reads; the templates are
templates/web/*.html.j2 (one layout, one stylesheet, no JavaScript). A private board's pages answer 404 to the
public; a member comes in through the signed link `/lsp web` sends them (`/b/<slug>/enter/<token>`), which leaves
Flask's signed session cookie naming them for that board until the link's own expiry."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, g, redirect, render_template, request, session, url_for
from jinja2 import StrictUndefined
from werkzeug.exceptions import HTTPException, NotFound

from bot.render.templates import SHIPPED_DIR
from bot.runtime import Runtime
from bot.web.reading import DatabaseAway, reading
from handlers import web_pages as pages
from handlers.links import LINK_DAYS, LinkRefused
from store.models import Board
from store.models.views import BoardView

log = logging.getLogger("lspbot.web")

CSP = ("default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'; img-src 'self' data:; style-src 'self'")
SESSION_KEY = "boards"  # in the signed cookie: {board id: [member id, expiry as a Unix time]}
FRESH_LINK = "Type /lsp web in the board's Slack channel (or in a message to lspbot) for a fresh link."
WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class Refused(HTTPException):
    """An HTML error page with its status, title and message."""

    def __init__(self, code: int, title: str, message: str, hint: str = "") -> None:
        super().__init__(description=message)
        self.code = code
        self.title = title
        self.hint = hint


def _disposition(kind: str, filename: str) -> str:
    """`inline` or `attachment`, with the name in ASCII and, exactly, in UTF-8 (RFC 6266)."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _date_long(value: dt.date | dt.datetime | None) -> str:
    return f"{value:%A %-d %B %Y}" if value else ""


def _size(value: int | None) -> str:
    if value is None:
        return ""
    if value < 1024:
        return f"{value} bytes"
    if value < 1024 * 1024:
        return f"{value / 1024:.0f} KB"
    return f"{value / (1024 * 1024):.1f} MB"


def meeting_day(value: str) -> dt.date | None:
    """A meeting's date as its page's address has it (YYYY-MM-DD), or None."""
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def register(app: Flask, runtime: Runtime) -> None:
    """Add the pages' routes."""
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.filters.update(date_long=_date_long, size=_size)
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(days=LINK_DAYS)
    css = (SHIPPED_DIR / "web" / "style.css").read_bytes()

    def now() -> dt.datetime:
        return runtime.clock.now()

    def links():
        return runtime.links

    def signed_in(board: BoardView) -> int | None:
        """The member id the session cookie names for this board, while its link's time lasts."""
        entry = (session.get(SESSION_KEY) or {}).get(str(board.id))
        if not isinstance(entry, list) or len(entry) != 2:
            return None
        member_id, expires = entry
        if not isinstance(member_id, int) or not isinstance(expires, int | float) or expires <= now().timestamp():
            return None
        return member_id

    def read(work: Callable[[Any], Any]) -> Any:
        """Run one page's work in a unit of work that only reads."""
        try:
            with reading(runtime, "web page") as s:
                return work(s)
        except pages.NoPage as exc:
            raise NotFound(str(exc)) from None
        except DatabaseAway:
            raise Refused(503, "Temporarily unavailable",
                          "The board's database could not be reached just now. Please try again in a minute.",
                          ) from None

    def board_view(s: Any, slug: str) -> tuple[BoardView, pages.Viewer]:
        """The board at `slug` and who is looking; 404 if there is none, or it is private and they are not in."""
        board = pages.board_by_slug(s, slug)
        if board is None:
            raise NotFound("There is no board at this address.")
        viewer = pages.PUBLIC
        member_id = signed_in(board)
        if member_id is not None:
            viewer = pages.member_viewer(s, board, member_id) or pages.PUBLIC
        if not pages.visible(board, viewer):
            raise NotFound("There is no board at this address.")
        g.members_view = viewer.member
        return board, viewer

    def page(template: str, data: dict[str, Any], **extra: Any) -> str:
        return render_template(template, **data, **extra)

    def board_page(slug: str, template: str, section: str,
                   build: Callable[[Any, Board, pages.Viewer], dict[str, Any]]) -> str:
        """One of a board's HTML pages: the board and who is looking, the page's data built, its template."""
        def work(s: Any) -> str:
            board, viewer = board_view(s, slug)
            return page(template, build(s, board, viewer), section=section)
        return read(work)

    @app.route("/b/style.css")
    def stylesheet() -> Response:
        response = Response(css, mimetype="text/css")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    @app.route("/b/<slug>/")
    def board_home(slug: str) -> Response | str:
        return board_page(slug, "board.html.j2", "plan", lambda s, board, viewer: pages.board_page(
            s, board, viewer, now()))

    @app.route("/b/<slug>/meetings/<day>/")
    def meeting(slug: str, day: str) -> Response | str:
        when = meeting_day(day)
        if when is None:
            raise NotFound("That is not a meeting's date (YYYY-MM-DD).")
        return board_page(slug, "meeting.html.j2", "plan", lambda s, board, viewer: pages.meeting_page(
            s, board, viewer, when, now()))

    @app.route("/b/<slug>/decisions/")
    def decisions(slug: str) -> Response | str:
        text = request.args.get("q", "")
        return board_page(slug, "decisions.html.j2", "decisions", lambda s, board, viewer: pages.decisions_page(
            s, board, viewer, text, now()))

    @app.route("/b/<slug>/reports/")
    def reports(slug: str) -> Response | str:
        return board_page(slug, "reports.html.j2", "reports", lambda s, board, viewer: pages.reports_page(
            s, board, viewer, now()))

    @app.route("/b/<slug>/reports/annual-<int:year>.<any(docx, md):kind>")
    def annual_report(slug: str, year: int, kind: str) -> Response | str:
        def work(s: Any) -> Any:
            board, viewer = board_view(s, slug)
            return pages.annual_report(s, board, viewer, year, now())
        document = read(work)
        if kind == "md":
            body = runtime.renderer.markdown(document).encode("utf-8")
            response = Response(body, content_type="text/markdown; charset=utf-8")
        else:
            files = runtime.renderer.documents(document)
            body = next(f.content for f in files if f.filename.endswith(".docx"))
            response = Response(body, content_type=WORD)
        response.headers["Content-Disposition"] = _disposition("attachment", f"{document.basename}.{kind}")
        return response

    @app.route("/b/<slug>/members/")
    def members(slug: str) -> Response | str:
        return board_page(slug, "members.html.j2", "members", lambda s, board, viewer: pages.members_page(
            s, board, viewer, now()))

    def download(found: pages.StoredDownload) -> Response:
        response = Response(found.content, content_type=found.content_type)
        response.headers["Content-Disposition"] = _disposition("inline" if found.inline else "attachment",
                                                               found.filename)
        return response

    @app.route("/b/<slug>/papers/<int:paper_id>/<path:filename>")
    def paper(slug: str, paper_id: int, filename: str) -> Response | str:
        def work(s: Any) -> Response:
            board, viewer = board_view(s, slug)
            return download(pages.paper_file(s, board, viewer, paper_id, filename))
        return read(work)

    @app.route("/b/<slug>/packs/<int:pack_id>/<path:filename>")
    def pack(slug: str, pack_id: int, filename: str) -> Response | str:
        def work(s: Any) -> Response:
            board, viewer = board_view(s, slug)
            return download(pages.pack_file(s, board, viewer, pack_id, filename))
        return read(work)

    @app.route("/b/<slug>/enter/<token>")
    def enter(slug: str, token: str) -> Response:
        def work(s: Any) -> Response:
            board = pages.board_by_slug(s, slug)
            if board is None:
                raise NotFound("There is no board at this address.")
            try:
                passed = links().read_member_entry(token, board.id, now)
            except LinkRefused as exc:
                if exc.expired:
                    raise Refused(410, "This link has expired", str(exc), FRESH_LINK) from None
                raise Refused(403, "This link does not work", str(exc), FRESH_LINK) from None
            viewer = pages.member_viewer(s, board, passed.member_id)
            if viewer is None:
                raise Refused(403, "Not a member of this board",
                              f"This link was for a member of {board.name}, and they are no longer on it.",
                              "Ask the board's secretariat if you think you should be.")
            kept = {k: v for k, v in (session.get(SESSION_KEY) or {}).items()
                    if isinstance(v, list) and len(v) == 2 and isinstance(v[1], int | float)
                    and v[1] > now().timestamp()}
            kept[str(board.id)] = [viewer.member_id, int(passed.expires_at.timestamp())]
            session[SESSION_KEY] = kept
            session.permanent = True
            g.members_view = True
            day = meeting_day(request.args.get("meeting", ""))  # an answer link's page leads to its meeting's
            if day is not None:
                return redirect(url_for("meeting", slug=board.slug, day=day.isoformat()), 303)
            return redirect(url_for("board_home", slug=board.slug), 303)
        result = read(work)
        assert isinstance(result, Response)
        return result

    @app.route("/b/<slug>/leave", methods=["POST"])
    def leave(slug: str) -> Response:
        def work(s: Any) -> Response:
            board = pages.board_by_slug(s, slug)
            if board is None:
                raise NotFound("There is no board at this address.")
            kept = dict(session.get(SESSION_KEY) or {})
            kept.pop(str(board.id), None)
            session[SESSION_KEY] = kept
            g.members_view = True  # this answer still concerns the members' view: not to be cached
            return redirect(url_for("board_home", slug=board.slug), 303)
        result = read(work)
        assert isinstance(result, Response)
        return result

    @app.errorhandler(HTTPException)
    def error_page(exc: HTTPException) -> Response:
        code = exc.code or 500
        titles = {404: "Page not found", 405: "Not allowed here", 400: "Bad request", 413: "Too large"}
        title = getattr(exc, "title", None) or titles.get(code, exc.name)
        message = exc.description or ""
        if code == 404 and message == NotFound.description:  # werkzeug's own words, for an address no route has
            message = "There is no page at this address."
        html = render_template("error.html.j2", code=code, title=title, message=message,
                               hint=getattr(exc, "hint", ""))
        response = Response(html, status=code, content_type="text/html; charset=utf-8")
        if code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def failure(exc: Exception) -> Response:
        incident = uuid.uuid4().hex[:8]
        log.exception("web page %s failed (incident %s)", request.path, incident)
        html = render_template("error.html.j2", code=500, title="Something went wrong on our side",
                               message=f"This page could not be shown. Quote incident {incident} to the board's "
                                       "secretariat.", hint="")
        return Response(html, status=500, content_type="text/html; charset=utf-8")

    @app.after_request
    def headers(response: Response) -> Response:
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("X-Frame-Options", "DENY")
        if g.get("members_view"):
            h["Cache-Control"] = "private, no-store"
            h["Vary"] = "Cookie"
        elif request.path.startswith("/b/") and "Cache-Control" not in h:
            h["Cache-Control"] = "no-cache"
        return response
