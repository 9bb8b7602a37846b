"""The board's web pages in a real browser (headless Chromium through Playwright) against `lspbot serve`: a private
board answers 404; once public its pages lead from the plan to a meeting to its paper, which downloads with its
bytes and headers; a confidential item is absent publicly and present through a member's signed link; an expired,
altered or other board's link is refused; axe-core finds nothing on any page; a phone's width needs no sideways
scroll."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.runtime import build_runtime
from bot.settings import load_settings
from bot.web.app import create_web_app
from handlers.links import Links
from store import db
from store.models import Board, Member
from tests.support.browser import assert_accessible, browser, no_sideways_scroll, screenshot  # noqa: F401 - fixture
from tests.support.direct import RecordingNotifier
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess
from tests.support.settings import DEFAULT_NOW, settings_for
from tests.support.slack_requests import http
from tests.support.waiting import wait_until
from tests.support.web_board import NEXT, PUBLIC_TITLE, SECRET_DECISION, SECRET_REASON, SECRET_TITLE, WebBoard, \
    seed_web_board

NEXT_LABEL = f"{NEXT:%A %-d %B %Y}"
SHOWN_NAME = "Ealing LSP Executive Board"


@pytest.fixture
def seeded(server: ServerProcess, board: BoardFixture) -> Iterator[tuple[Board, WebBoard]]:
    """The fixture's board filled with meetings, items, papers, packs, minutes and decisions."""
    engine = db.make_engine(server.database_url)
    sessions = db.make_session_factory(engine)
    try:
        with db.session_scope(sessions) as session:
            found = session.query(Board).filter(Board.channel_id == board.channel_id).one()
            if session.query(Board).filter(Board.name == SHOWN_NAME).count() == 0:
                found.name = SHOWN_NAME  # as the screenshots show it (one board of the server's may have it)
            web = seed_web_board(session, found, DEFAULT_NOW, RecordingNotifier())
            session.expunge(found)
        yield found, web
    finally:
        engine.dispose()


def member_id(server: ServerProcess, slack_user_id: str) -> int:
    engine = db.make_engine(server.database_url)
    try:
        with db.session_scope(db.make_session_factory(engine)) as session:
            return session.query(Member.id).filter(Member.slack_user_id == slack_user_id).scalar()
    finally:
        engine.dispose()


def entry_path(server: ServerProcess, slug: str, board_id: int, member: int, at: dt.datetime) -> str:
    """A member's signed link to the board's private view, made with the server's key as of `at`."""
    settings = load_settings(server.env, env_file=None)
    link = Links(settings.public_url, settings.link_secret).member_entry(slug, board_id, member, lambda: at)
    return urlsplit(link).path


def open_page(context: Any, url: str) -> Any:
    page = context.new_page()
    response = page.goto(url)
    assert response is not None
    return page, response


def test_public_pages_in_a_browser(server: ServerProcess, board: BoardFixture, seeded: tuple[Board, WebBoard],
                                   browser: Any) -> None:  # noqa: F811 - the fixture
    found, web = seeded
    home = f"{server.base_url}/b/{web.slug}/"
    private = http("GET", home)
    assert private.status == 404 and b"<h1>" in private.body and b"text/html" in private.headers["Content-Type"].encode()
    assert found.name.encode() not in private.body  # a private board's page says nothing of it

    r = board.chair.command("/lsp", "board set public yes")
    assert r.status == 200 and "public" in r.text, r.text

    context = browser.new_context(base_url=server.base_url)
    context.set_default_timeout(15_000)
    page, response = open_page(context, home)
    assert response.status == 200
    headers = response.headers
    assert "default-src 'self'" in headers["content-security-policy"] and "script-src 'none'" in headers[
        "content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"]
    assert "no-store" not in headers.get("cache-control", "")
    assert page.locator("h1").count() == 1 and page.locator("html").get_attribute("lang") == "en-GB"
    text = page.inner_text("main")
    assert PUBLIC_TITLE in text and SECRET_TITLE not in text and "Confidential item" in text
    assert "Members' view" not in page.content()
    assert_accessible(page)
    screenshot(page, "board")

    # plan → meeting → paper
    page.get_by_role("link", name=NEXT_LABEL).first.click()
    assert page.url == f"{home}meetings/{NEXT.isoformat()}/"
    main = page.inner_text("main")
    assert PUBLIC_TITLE in main and SECRET_TITLE not in main and SECRET_REASON not in main
    assert web.secret_paper_name not in page.content() and "members-pack" not in page.content()
    assert "annual-report-draft.pdf" not in page.content()  # older versions are for members
    assert_accessible(page)
    screenshot(page, "meeting")
    link = page.get_by_role("link", name=web.public_paper_name).first
    paper = context.request.get(link.get_attribute("href"))
    assert paper.status == 200 and paper.body() == web.public_paper
    assert paper.headers["content-type"] == "application/pdf"
    assert paper.headers["content-disposition"].startswith("inline;")
    assert "filename*=UTF-8''annual%20report%202019%E2%80%9320.pdf" in paper.headers["content-disposition"]
    pack = context.request.get(page.get_by_role("link", name="Agenda pack").get_attribute("href"))
    assert pack.status == 200 and pack.body() == web.pack and pack.headers["content-type"] == "application/pdf"
    for hidden in (f"papers/{web.secret_paper_id}/{web.secret_paper_name}",
                   f"papers/{web.old_paper_id}/annual-report-draft.pdf",
                   f"packs/{web.members_pack_id}/members-pack-{NEXT.isoformat()}.pdf"):
        assert context.request.get(home + hidden).status == 404, hidden

    # the meeting held: its confirmed minutes, without the confidential item
    page.goto(f"{home}meetings/2019-07-04/")
    main = page.inner_text("main")
    assert "Skills strategy" in main and "Partners sign the LSP commitment" in main and SECRET_DECISION not in main
    assert_accessible(page)

    # decisions, searched with the form
    page.get_by_role("link", name="Decisions").click()
    assert SECRET_DECISION not in page.inner_text("main")
    page.get_by_label("Search the decisions").fill("skills")
    page.get_by_role("button", name="Search").click()
    assert "q=skills" in page.url and "Partners sign the LSP commitment" in page.inner_text("main")
    assert_accessible(page)
    screenshot(page, "decisions")

    page.get_by_role("link", name="Annual reports").click()
    assert_accessible(page)
    # made on request: the first Word document of a process loads docxtpl and matplotlib (seconds on a busy machine)
    word = context.request.get(page.locator("a[href$='annual-2019.docx']").get_attribute("href"), timeout=60_000)
    assert word.status == 200 and word.body()[:2] == b"PK"
    assert word.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert word.headers["content-disposition"].startswith("attachment;")
    markdown = context.request.get(page.locator("a[href$='annual-2019.md']").get_attribute("href"), timeout=30_000)
    assert markdown.status == 200 and markdown.headers["content-type"].startswith("text/markdown")
    assert SECRET_DECISION.encode() not in markdown.body()

    page.get_by_role("link", name="Members").click()
    main = page.inner_text("main")
    assert "Metropolitan Police" in main and "chair" in main
    assert board.alice.user_id not in page.content()  # no Slack ids
    assert_accessible(page)

    for missing in ("meetings/2019-02-30/", "meetings/2019-10-11/", "meetings/soon/", "nothing/"):
        page, response = open_page(context, home + missing)
        assert response.status == 404 and page.locator("h1").inner_text() == "Page not found", missing
    page, response = open_page(context, f"{server.base_url}/b/no-such-board/")
    assert response.status == 404
    assert_accessible(page)

    page.goto(home)
    page.emulate_media(media="print")  # printed: no navigation
    assert not page.get_by_role("navigation").is_visible() and page.locator("h1").is_visible()

    # a phone: nothing wider than the screen
    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    for path in ("", f"meetings/{NEXT.isoformat()}/", "meetings/2019-07-04/", "decisions/", "reports/", "members/"):
        page, response = open_page(phone, home + path)
        assert response.status == 200 and no_sideways_scroll(page), path
    phone.close()
    context.close()


def test_members_view_through_a_signed_link(server: ServerProcess, board: BoardFixture, fake_slack: FakeSlack,
                                            seeded: tuple[Board, WebBoard], browser: Any) -> None:  # noqa: F811
    found, web = seeded
    home = f"{server.base_url}/b/{web.slug}/"
    alice = member_id(server, board.alice.user_id)
    now = DEFAULT_NOW  # the server's clock started there (LSPBOT_NOW) and has run on since

    context = browser.new_context(base_url=server.base_url)
    context.set_default_timeout(15_000)
    refused = [
        (entry_path(server, web.slug, found.id, alice, now - dt.timedelta(days=8)), 410, "expired"),
        (entry_path(server, web.slug, found.id, alice, now)[:-3] + "AAA", 403, "not valid"),
        (entry_path(server, web.slug, found.id + 1000, alice, now), 403, "not for this board"),
    ]
    for path, status, words in refused:
        page, response = open_page(context, server.base_url + path)
        assert response.status == status and words in page.inner_text("main"), (path, page.inner_text("main"))
        assert "/lsp web" in page.inner_text("main")
        assert_accessible(page)
    assert open_page(context, home)[1].status == 404  # still private to this browser

    # the link as `/lsp web` sends it, by DM
    r = board.alice.command("/lsp", "web")
    assert r.status == 200, r.text
    dm = "D" + board.alice.user_id[1:]
    entry = re.compile(rf"/b/{re.escape(web.slug)}/enter/[A-Za-z0-9._-]+")
    wait_until(lambda: any(c.params.get("channel") == dm and entry.search(json.dumps(c.params))
                           for c in fake_slack.messages()), 20, interval=0.05, what="the DM with alice's link")
    sent = next(entry.search(json.dumps(c.params)) for c in fake_slack.messages()
                if c.params.get("channel") == dm and entry.search(json.dumps(c.params)))
    assert sent is not None
    page, response = open_page(context, server.base_url + sent.group(0))
    assert response.status == 200 and page.url == home  # after the 303
    assert response.headers["cache-control"] == "private, no-store"
    banner = page.get_by_role("region", name="Members' view")
    assert "signed in as" in banner.inner_text()
    assert SECRET_TITLE in page.inner_text("main")
    assert_accessible(page)

    page.get_by_role("link", name=NEXT_LABEL).first.click()
    main = page.inner_text("main")
    assert SECRET_TITLE in main and SECRET_REASON in main
    assert "members' version" in main
    assert_accessible(page)
    secret = context.request.get(page.get_by_role("link", name=web.secret_paper_name).first.get_attribute("href"))
    assert secret.status == 200 and secret.body().startswith(b"%PDF")
    assert secret.headers["cache-control"] == "private, no-store"
    older = context.request.get(page.get_by_role("link", name="annual-report-draft.pdf").get_attribute("href"))
    assert older.status == 200

    page.goto(f"{home}decisions/")
    assert SECRET_DECISION in page.inner_text("main")

    page.get_by_role("button", name="Sign out").click()
    assert page.url == home and page.locator("h1").inner_text() == "Page not found"  # private again

    # a member who leaves the board: their cookie stops working at once, and their link too
    page.goto(server.base_url + sent.group(0))
    assert "signed in as" in page.get_by_role("region", name="Members' view").inner_text()
    assert "no longer a member" in board.chair.command("/lsp", f"member remove <@{board.alice.user_id}>").text
    assert page.reload().status == 404
    page, response = open_page(context, server.base_url + sent.group(0))
    assert response.status == 403 and "no longer on it" in page.inner_text("main")
    context.close()


def test_the_pages_and_the_feeds_answer_503_while_the_database_is_away() -> None:
    """A database nobody answers on (a closed port): a page is the HTML 503 page, a calendar feed a plain 503 with
    Retry-After, in the web app itself (the same app `lspbot serve` mounts at /b/)."""
    runtime = build_runtime(settings_for("postgresql+psycopg://postgres@127.0.0.1:9/nowhere"), migrate=False)
    try:
        client = create_web_app(runtime).test_client()
        page = client.get("/b/any-board/")
        assert page.status_code == 503 and "Temporarily unavailable" in page.get_data(as_text=True)
        assert page.headers["Content-Type"].startswith("text/html")
        feed = client.get("/b/any-board/meetings.ics")
        assert feed.status_code == 503 and feed.headers["Retry-After"] == "60"
        assert "not available just now" in feed.get_data(as_text=True)
    finally:
        runtime.close()
