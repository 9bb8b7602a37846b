"""Hostile text in every field a member can type: stored exactly as typed, shown as text and nothing
else. No mention or link it spells out pings anyone, no Block Kit it spells out becomes a block, no
Jinja2 it spells out is evaluated, no SQL it spells out runs; the Word and Markdown documents carry it
as text (the .docx read back with python-docx, the .md rendered by a CommonMark renderer)."""

from __future__ import annotations

import io
import json
import re
import urllib.parse
from typing import Any

import docx
import pytest
from markdown_it import MarkdownIt

from bot.runtime import Outcome, Runtime, run_command
from store import db
from store.models import (
    Action,
    ActionUpdate,
    AgendaProposal,
    Board,
    Meeting,
    Organisation,
    OutboxMessage,
    PartnerUpdate,
    PlanItem,
    QuarterlyReturn,
)
from tests.support.databases import db_rows
from tests.support.integrity import TABLES, consistency_problems, table_counts
from tests.support.server import ServerProcess, serve_one_backend
from tests.support.settings import ADMIN
from tests.support.slack_requests import http, sign

CHANNEL = "CINJECT1"
CHAIR, ALICE = "UINJCHR1", "UINJALC1"

PINGS = "<!channel> <!here> <!everyone> <@U0SPOOF1> <#C0SPOOF1|general> <!subteam^S0SPOOF1> <https://evil.example|click>"
MRKDWN = "*bold* _it_ ~strike~ `code` ```block``` &amp; &lt;b&gt; > quote"
BLOCKS = '"}]}, {"type": "section", "text": {"type": "mrkdwn", "text": "INJECTED"}} \\ \\n \u2028 \u202e'
JINJA = "{{ 7*7 }} {% for x in range(3) %}LOOP{% endfor %} {{ config }} {# hidden #} {{ ''.__class__ }}"
SQL = "'; DROP TABLE actions; -- \" OR 1=1 -- %s %(x)s ? :param $1 \\x00"
MARKUP = "<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) # heading | cell |"
# The whole of it, for free text; quoted fields get it without straight double quotes (they delimit).
HOSTILE = f"{PINGS} {MRKDWN} {BLOCKS} {JINJA} {SQL} {MARKUP}"
QUOTABLE = HOSTILE.replace('"', "'")
TITLE = QUOTABLE[:290].strip()  # a plan item's or proposal's title (300 characters at most)
SHORT = "<!channel> *x* {{ 7*7 }} '; DROP TABLE boards; -- <script>x</script> | y"  # for 200-character fields
def kept(text: str) -> str:
    """Text as lspbot keeps it: a person's mention becomes their name (here someone unknown, so their id)."""
    return text.replace("<@U0SPOOF1>", "U0SPOOF1")


RAW_PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@U0SPOOF1", "<#C0SPOOF1", "<!subteam", "<https://evil")


@pytest.fixture(scope="module", name="server")
def one_server(fake_slack_server, tmp_path_factory):
    """The HTTP path once, on PostgreSQL when the tests have it (it is the stricter about text)."""
    yield from serve_one_backend(fake_slack_server, tmp_path_factory)


def run(runtime: Runtime, user: str, command: str, text: str, channel: str = CHANNEL) -> Outcome:
    outcome = run_command(runtime, command, user_id=user, channel_id=channel, text=text, user_name=user.lower())
    assert outcome.ok, (command, text[:80], outcome.payload.get("text"))
    return outcome


def mrkdwn_texts(node: Any, top: bool = True) -> list[str]:
    """The strings Slack reads as mrkdwn: a message's top-level `text` and every `mrkdwn` text object
    (a `plain_text` object is shown exactly as it is, so `<!channel>` there is just characters)."""
    out: list[str] = []
    if isinstance(node, dict):
        if top and isinstance(node.get("text"), str):
            out.append(node["text"])
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            out.append(node["text"])
        for value in node.values():
            if isinstance(value, (dict, list)):
                out += mrkdwn_texts(value, top=False)
    elif isinstance(node, list):
        for value in node:
            out += mrkdwn_texts(value, top=False)
    return out


def assert_inert(payload: dict[str, Any], where: str) -> None:
    """No ping, link or block spelled out by user text; no template evaluated."""
    for text in mrkdwn_texts(payload):
        for ping in RAW_PINGS:
            assert ping not in text, f"{where}: {ping} would ping or link: {text[:200]}"
    raw = json.dumps(payload, ensure_ascii=False)
    assert "LOOPLOOP" not in raw and "<class" not in raw and "Config" not in raw, f"{where}: template text evaluated"
    for block in payload.get("blocks") or []:
        text = block.get("text")
        assert not (isinstance(text, dict) and text.get("text") == "INJECTED"), f"{where}: user text became a block"


def slack_payloads(runtime: Runtime) -> list[tuple[str, dict[str, Any]]]:
    with db.session_scope(runtime.sessions) as session:
        return [(f"outbox {m.key}", m.payload) for m in session.query(OutboxMessage).all()
                if m.payload.get("_method") != "files.upload"]


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def assert_markdown_inert(markdown: str, texts: list[str]) -> None:
    """Rendered by a CommonMark renderer with raw HTML allowed: the user's text stays text."""
    html = MarkdownIt("commonmark").render(markdown)
    for tag in ("<script", "<img src=x", "<code>", "<del", "href=\"javascript", "<h1>heading", "<em>it</em>",
                "<strong>bold</strong>"):
        assert tag not in html, f"user text became markup: {tag}"
    rendered_text = re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"') \
        .replace("&amp;", "&")
    flat = " ".join(rendered_text.split())
    for text in texts:
        assert " ".join(text.split()) in flat, f"not shown as typed: {text[:60]}"


def test_hostile_text_is_stored_as_typed_and_shown_as_text(runtime: Runtime):
    replies: list[tuple[str, Outcome]] = []

    def do(user: str, command: str, text: str) -> Outcome:
        outcome = run(runtime, user, command, text)
        replies.append((f"{command} {text[:30]}", outcome))
        return outcome

    board_name = "Board " + SHORT
    do(ADMIN, "/lsp", f'board create "{board_name}" chair:<@{CHAIR}|chair> org:"{SHORT}"')
    do(CHAIR, "/lsp", f'member add <@{ALICE}|alice> org:"Org {SHORT}"')
    do(CHAIR, "/plan", f'meeting add 2019-09-12 10:00 venue:"{SHORT}" theme:"{QUOTABLE[:190].strip()}"')
    do(CHAIR, "/plan", f'item add 2019-09-12 "{TITLE}" lead:"{TITLE}"')
    do(ALICE, "/action", f"add {HOSTILE} by Friday")
    do(CHAIR, "/action", f"add {HOSTILE} <@{ALICE}|alice>")  # alice is told by DM
    do(ALICE, "/action", f"update #1 {HOSTILE}")
    do(ALICE, "/agenda", f'add "{TITLE}"')  # the chair gets a DM with Approve / Decline
    do(ALICE, "/update", HOSTILE)
    do(CHAIR, "/lsp", f'outcome add "{SHORT}" lead:"Org {SHORT}"')
    do(ALICE, "/update", f'quarterly "{SHORT[:20]}" rag:amber {HOSTILE}')
    for command, text in (("/action", "list all"), ("/action", "show #1"), ("/plan", "all"), ("/agenda", "proposals"),
                          ("/update", "list"), ("/lsp", "member list"), ("/lsp", "outcome list")):
        do(CHAIR, command, text)
    draft = do(CHAIR, "/agenda", "draft")
    do(CHAIR, "/agenda", "publish")  # in the board's channel, through the outbox
    report = do(CHAIR, "/lsp", "report quarter")

    # Stored faithfully.
    with db.session_scope(runtime.sessions) as session:
        assert session.query(Board).one().name == board_name
        assert {o.name for o in session.query(Organisation)} == {SHORT, f"Org {SHORT}"}
        assert [a.text for a in session.query(Action).order_by(Action.ref)] == [kept(HOSTILE), kept(HOSTILE)]
        assert kept(HOSTILE) in [u.note for u in session.query(ActionUpdate)]
        meeting = session.query(Meeting).one()
        assert (meeting.venue, meeting.theme) == (SHORT, kept(QUOTABLE[:190].strip()))
        item = session.query(PlanItem).one()
        assert (item.title, item.lead) == (kept(TITLE), kept(TITLE))
        assert session.query(AgendaProposal).one().title == kept(TITLE)
        assert session.query(PartnerUpdate).one().text == kept(HOSTILE)
        assert session.query(QuarterlyReturn).one().commentary == kept(HOSTILE)
    assert set(table_counts(runtime.engine.url.render_as_string(hide_password=False))) == set(TABLES)  # nothing dropped
    assert consistency_problems(runtime.engine.url.render_as_string(hide_password=False)) == []

    # Shown as text: every reply and every queued message (DMs, the published agenda in the channel).
    for where, outcome in replies:
        assert_inert(outcome.payload, where)
    queued = slack_payloads(runtime)
    assert any("agenda-publish" in where for where, _ in queued)
    for where, payload in queued:
        assert_inert(payload, where)
    shown = json.dumps([o.payload for _, o in replies], ensure_ascii=False)
    assert "{{ 7*7 }}" in shown and "&lt;!channel&gt;" in shown and "DROP TABLE actions" in shown

    # The documents: Word carries the text exactly; Markdown escapes it.
    files = {a.filename.rsplit(".", 1)[1]: a.content for d in draft.documents
             for a in runtime.renderer.documents(d)}
    word = docx_text(files["docx"])
    for text in (kept(HOSTILE), kept(TITLE), SHORT, board_name):
        assert text in word, f"not in the Word agenda: {text[:60]}"
    assert_markdown_inert(files["md"].decode(), [kept(HOSTILE), kept(TITLE), SHORT])
    documents = {a.filename.rsplit(".", 1)[1]: a.content for d in report.documents
                 for a in runtime.renderer.documents(d)}
    assert kept(HOSTILE) in docx_text(documents["docx"])
    assert_markdown_inert(documents["md"].decode(), [kept(HOSTILE), SHORT])


def test_over_long_text_is_refused_with_the_limit_and_nothing_written(runtime: Runtime):
    run(runtime, ADMIN, "/lsp", f'board create "Long" chair:<@{CHAIR}|chair>')
    before = table_counts(runtime.engine.url.render_as_string(hide_password=False))
    for command, text in (("/action", "add " + "x" * 3001), ("/action", "add " + "word " * 20_000),
                          ("/update", "y" * 3001), ("/agenda", 'add "' + "z" * 5000 + '"'),
                          ("/plan", 'item add next meeting "' + "t" * 400 + '"')):
        outcome = run_command(runtime, command, user_id=CHAIR, channel_id=CHANNEL.replace("INJECT", "LONG00"),
                              text=text)
        assert not outcome.ok, (command, len(text))
        message = outcome.payload["text"]
        assert "limit" in message or "at most" in message or "longer" in message or "no meeting" in message, message
        assert len(json.dumps(outcome.payload)) < 4000, "the refusal echoes the whole text back"
    assert table_counts(runtime.engine.url.render_as_string(hide_password=False)) == before


def test_hostile_text_over_http_including_bytes_that_are_not_utf8(server: ServerProcess):
    """The whole path: form-encoded as Slack sends it, percent-escapes of invalid UTF-8 included."""
    channel = "CINJHTTP"
    admin = {"team_id": "T0LSP", "user_id": ADMIN, "channel_id": channel, "trigger_id": "1.2.3",
             "response_url": "https://hooks.slack.com/x"}

    def post(form: dict[str, str], raw_suffix: str = "") -> dict[str, Any]:
        body = (urllib.parse.urlencode(form) + raw_suffix).encode()
        r = http("POST", server.base_url + "/slack/events", body,
                 {"Content-Type": "application/x-www-form-urlencoded", **sign(body)})
        assert r.status == 200, r.body
        return r.json()

    reply = post({**admin, "command": "/lsp", "text": f'board create "HTTP {SHORT}" chair:<@{ADMIN}|admin> org:"O"'})
    assert "now runs in this channel" in json.dumps(reply), reply
    # As Slack sends it: its own tokens (the pings) as they are, the typed rest with &, < and > escaped.
    typed = HOSTILE.removeprefix(PINGS)
    wire = PINGS + typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    reply = post({**admin, "command": "/action", "text": f"add {wire}"})
    assert_inert(reply, "/action add over HTTP")
    reply = post({**admin, "command": "/action", "text": ""}, "&text=add+caf%E9+%FF%FE+bytes")  # Latin-1, not UTF-8
    assert_inert(reply, "/action add with invalid UTF-8")
    texts = [r[0] for r in db_rows(server.database_url, "SELECT a.text FROM actions a JOIN boards b ON b.id = a.board_id "
                                                        "WHERE b.channel_id = :c ORDER BY a.ref", c=channel)]
    assert texts == [kept(HOSTILE), "caf\ufffd \ufffd\ufffd bytes"]
    assert consistency_problems(server.database_url) == []


def test_names_match_whatever_their_case_in_any_alphabet(runtime: Runtime):
    """Boards and organisations are found case-insensitively on SQLite as on PostgreSQL, accents included."""
    run(runtime, ADMIN, "/lsp", f'board create "École" chair:<@{CHAIR}|chair> org:"Ève Org"', channel="CUNICODE")
    again = run_command(runtime, "/lsp", user_id=ADMIN, channel_id="CUNICOD2",
                        text=f'board create "ÉCOLE" chair:<@{CHAIR}|chair>')
    assert not again.ok and "already a board" in again.payload["text"], again.payload["text"]
    run(runtime, CHAIR, "/lsp", f'member add <@{ALICE}|alice> org:"ÈVE ORG"', channel="CUNICODE")
    assert "École" in run(runtime, ALICE, "/lsp", 'member list board:"école"', channel="DUNICODE").payload["text"]
    with db.session_scope(runtime.sessions) as session:
        assert session.query(Organisation).count() == 1
