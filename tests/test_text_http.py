"""Text as people type it, end to end (signed slash commands to `lspbot serve` and the fake Slack): error replies in
the board's words with headings that fit, mentions, quotes, paging."""

from __future__ import annotations

import io
import json
import re

import docx

from tests.support.databases import db_rows
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess
from tests.support.slack_requests import HttpResult, blocks_text
from tests.support.slack_ui import click, opened_view, submit
from tests.support.waiting import wait_until


def examples_of(reply: HttpResult) -> list[str]:
    """The commands an error reply shows under "For example:"."""
    text = reply.text
    if "For example:" not in text:
        return []
    shown = text.split("For example:", 1)[1]
    return [line.strip().strip("`") for line in shown.splitlines() if line.strip().startswith("`/")]


def run_example(board: BoardFixture, example: str) -> HttpResult:
    command, _, text = example.partition(" ")
    return board.chair.command(command, text)


def test_an_error_reply_never_shows_a_python_exception_and_its_examples_work(board: BoardFixture):
    r = board.chair.command("/plan", "cadence fortnightly")
    assert "unpack" not in r.text and "not a cadence I know" in r.text, r.text
    assert "monthly, bimonthly, quarterly" in r.text
    examples = examples_of(r)
    assert len(examples) == 3, r.text
    for example in examples:
        done = run_example(board, example)
        assert ":warning:" not in done.text, (example, done.text)


def test_refusals_have_a_heading_that_fits(board: BoardFixture):
    r = board.admin.command("/lsp", f'board create "Second board" chair:<@{board.alice.user_id}|alice> org:"LB Ealing"')
    assert "This channel already belongs to a board" in r.text, r.text
    assert "Already done" not in r.text and "*Channel taken*" in r.text
    assert board.chair.command("/plan", "meeting add 2019-10-10 10:00").status == 200
    r = board.chair.command("/plan", "meeting add 2019-10-10")
    assert "already has a meeting" in r.text and "*Already planned*" in r.text, r.text


def action_texts(server: ServerProcess, board: BoardFixture) -> list[str]:
    return [row[0] for row in db_rows(server.database_url, "SELECT a.text FROM actions a JOIN boards b ON "
                                      "b.id = a.board_id WHERE b.channel_id = :c ORDER BY a.ref", c=board.channel_id)]


def test_quotes_inside_quoted_text_keep_their_meaning(server: ServerProcess, board: BoardFixture):
    bob = f"<@{board.bob.user_id}|bob>"
    typed = [
        (f'"Agree the \\"protocol\\" with partners" {bob} by Friday', 'Agree the "protocol" with partners'),
        (f'"Agree the "protocol" with partners" {bob} by Friday', 'Agree the "protocol" with partners'),
        (f"\u201cCirculate the \u201cprotocol\u201d\u201d {bob} by Friday", "Circulate the \u201cprotocol\u201d"),
        (f"Check the council\u2019s \u2018draft\u2019 plan {bob} by Friday", "Check the council\u2019s \u2018draft\u2019 plan"),
    ]
    for text, meant in typed:
        r = board.chair.command("/action", f"add {text}")
        assert "Recorded" in r.text, (text, r.text)
        assert meant in r.text, (text, r.text)
    assert action_texts(server, board) == [meant for _, meant in typed]
    r = board.chair.command("/action", f'add "Agree the protocol {bob} by Friday')
    assert "never closed" in r.text and '\\"' in r.text, r.text


def test_a_long_list_of_actions_offers_the_next_page(server: ServerProcess, board: BoardFixture,
                                                     fake_slack: FakeSlack):
    for n in range(1, 46):  # the chair's own (nobody is sent 45 DMs)
        assert "Recorded" in board.chair.command("/action", f'add "Paged action {n:02d}" by 2019-08-{n % 28 + 1:02d}').text
    first = board.alice.command("/action", "list all")
    assert first.text.count("Paged action") == 40 and "Showing 1–40 of 45" in first.text, first.text
    assert "`/action list all page:2`" in first.text
    more = [e for b in first.json()["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [e["text"]["text"] for e in more] == ["More"], more

    typed = board.alice.command("/action", "list all page:2")
    assert typed.text.count("Paged action") == 5 and "Showing 41–45 of 45" in typed.text, typed.text
    assert not [b for b in typed.json()["blocks"] if b["type"] == "actions"]
    seen = set(re.findall(r"Paged action \d\d", first.text + typed.text))
    assert len(seen) == 45

    fake_slack.reset()
    click(board.alice, more[0]["action_id"], more[0]["value"], channel=board.channel_id, ts="1563265800.000100",
          response_url=fake_slack.url + "respond")
    answer = fake_slack.wait_for("respond")[0].params
    assert blocks_text(answer).count("Paged action") == 5 and "(page 2)" in blocks_text(answer), answer
    assert not answer.get("replace_original")
    # An outsider's click on the same button is refused like the command.
    fake_slack.reset()
    click(board.outsider, more[0]["action_id"], more[0]["value"], channel=board.channel_id, ts="1563265800.000100",
          response_url=fake_slack.url + "respond")
    assert "not a member" in fake_slack.wait_for("respond")[0].params["text"]

    # Nothing is silently ignored: a page past the end and words no list takes are refused with what works.
    r = board.alice.command("/action", "list all page:3")
    assert "There is no page 3" in r.text and "/action list all page:2" in r.text, r.text
    r = board.alice.command("/action", "list all overdue")
    assert "“overdue” is not part of a list I know" in r.text, r.text
    r = board.alice.command("/action", "list all page:two")
    assert "`page:two` must be a whole number" in r.text, r.text


def action_rows(server: ServerProcess, board: BoardFixture) -> list[tuple[str, str]]:
    return [tuple(row) for row in db_rows(server.database_url, "SELECT a.text, m.slack_user_id FROM actions a JOIN boards b "
                                          "ON b.id = a.board_id JOIN members m ON m.id = a.owner_id "
                                          "WHERE b.channel_id = :c ORDER BY a.ref", c=board.channel_id)]


def test_an_action_naming_two_people_asks_who_owns_it(server: ServerProcess, board: BoardFixture,
                                                      fake_slack: FakeSlack):
    alice, bob = board.alice.user_id, board.bob.user_id
    r = board.chair.command("/action", f"add Ask <@{alice}|alice> and <@{bob}|bob> to agree the protocol by Friday")
    assert "Who owns this action?" in r.text and "<@" not in r.text, r.text
    assert action_rows(server, board) == []
    buttons = {e["text"]["text"]: e for b in r.json()["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert sorted(buttons) == ["Owner: alice", "Owner: bob"], buttons
    example = '/action add "Ask alice and bob to agree the protocol" @alice by Friday'
    assert f"`{example}`" in r.text, r.text

    shown = run_example(board, example)  # the way to type it, shown with the question, works as shown
    assert "Recorded" in shown.text, shown.text
    assert action_rows(server, board) == [("Ask alice and bob to agree the protocol", alice)]

    fake_slack.reset()
    chosen = buttons["Owner: bob"]
    click(board.chair, chosen["action_id"], chosen["value"], channel=board.channel_id, ts="1563265800.000100",
          response_url=fake_slack.url + "respond")
    answer = fake_slack.wait_for("respond")[0].params
    assert "Recorded" in blocks_text(answer) and answer.get("replace_original"), answer
    assert action_rows(server, board)[1:] == [("Ask alice and bob to agree the protocol", bob)]

    # The owner at the end and another person inside the text: two people, the same question.
    r = board.chair.command("/action", f"add Agree the protocol with <@{alice}|alice> <@{bob}|bob> by Friday")
    assert "Who owns this action?" in r.text, r.text
    # One person mentioned inside the text: recorded for the sender, the mention kept as the name.
    r = board.chair.command("/action", f"add Thank <@{alice}|alice> for the venue by Friday")
    assert "Recorded" in r.text, r.text
    assert action_rows(server, board)[-1] == ("Thank alice for the venue", board.chair.user_id)
    # An outsider's click on a question's button is refused.
    fake_slack.reset()
    click(board.outsider, chosen["action_id"], chosen["value"], channel=board.channel_id, ts="1563265800.000100",
          response_url=fake_slack.url + "respond")
    assert "not a member" in fake_slack.wait_for("respond")[0].params["text"]
    assert len(action_rows(server, board)) == 3


def queued_files(server: ServerProcess, user_id: str) -> dict[str, bytes]:
    """The files queued for someone's DM (the bytes that are sent)."""
    rows = db_rows(server.database_url, "SELECT payload FROM outbox WHERE target = :u AND target_kind = 'user' "
                   "ORDER BY id", u=user_id)
    return {p["filename"]: bytes.fromhex(p["content_hex"]) for p in
            (json.loads(x[0]) if isinstance(x[0], str) else x[0] for x in rows) if p.get("_method") == "files.upload"}


def test_mentions_typed_in_text_print_as_names_and_a_lead_mention_links_the_member(
        server: ServerProcess, board: BoardFixture, fake_slack: FakeSlack):
    chair, alice, bob = board.chair, board.alice.user_id, board.bob.user_id
    assert chair.command("/plan", "meeting add 2019-10-10 10:00").status == 200
    r = chair.command("/plan", f'item add 2019-10-10 "Protocol drafted by <@{alice}|alice>" lead:"<@{bob}|bob>"')
    assert "Item added" in r.text and "<@" not in r.body.decode().replace(f"<@{chair.user_id}>", ""), r.text
    lead = db_rows(server.database_url, "SELECT p.title, p.lead, p.lead_links FROM plan_items p JOIN boards b ON "
                   "b.id = p.board_id WHERE b.channel_id = :c", c=board.channel_id)[0]
    links = json.loads(lead[2]) if isinstance(lead[2], str) else lead[2]
    assert lead[:2] == ("Protocol drafted by alice", "bob")
    assert [(link["kind"], link["slack_user_id"]) for link in links] == [("member", bob)]

    assert "Recorded" in chair.command("/action", f"add Draft the protocol <@{bob}|bob> by 2019-09-30").text
    r = board.bob.command("/action", f"update #1 Spoke to <@{alice}|alice> about the data")
    assert "<@" not in r.body.decode().replace(f"<@{bob}>", ""), r.text
    r = board.bob.command("/update", f"Met <@{alice}|alice> about the hubs")
    assert r.status == 200 and ":warning:" not in r.text, r.text
    stored = db_rows(server.database_url, "SELECT u.note FROM action_updates u JOIN actions a ON a.id = u.action_id "
                     "JOIN boards b ON b.id = a.board_id WHERE b.channel_id = :c", c=board.channel_id)
    assert ("Spoke to alice about the data",) in stored
    updates = db_rows(server.database_url, "SELECT text FROM partner_updates")
    assert ("Met alice about the hubs",) in updates, updates

    fake_slack.reset()
    r = chair.command("/agenda", "draft")
    assert "Protocol drafted by alice" in r.text and "Met alice about the hubs" in r.text, r.text
    assert f"<@{alice}" not in r.body.decode()
    stem = "-".join(board.name.lower().split()) + "-agenda-2019-10-10"
    wait_until(lambda: len(queued_files(server, chair.user_id)) >= 2, what="the agenda's files in the outbox")
    files = queued_files(server, chair.user_id)
    markdown = files[f"{stem}.md"].decode()
    word = "\n".join(p.text for p in docx.Document(io.BytesIO(files[f"{stem}.docx"])).paragraphs)
    word += "\n".join(c.text for t in docx.Document(io.BytesIO(files[f"{stem}.docx"])).tables
                      for row in t.rows for c in row.cells)
    for shown in (markdown, word):
        assert "Protocol drafted by alice" in shown and "Met alice about the hubs" in shown
        assert "<@" not in shown and "UALI" not in shown
    # Nobody is notified by the text: only the owner hears of their action, never alice of these mentions.
    assert not [c for c in fake_slack.messages() if alice[1:] in str(c.params.get("channel"))]


def test_an_option_value_with_spaces_needs_no_quotes_where_it_is_unambiguous(server: ServerProcess,
                                                                             board: BoardFixture):
    chair = board.chair
    assert "Healthy lives" in chair.command("/lsp", 'outcome add "Healthy lives" lead:"Ealing PCT"').text
    r = chair.command("/update", 'quarterly "Healthy lives" rag:green On track quarter:Q1 2019')
    assert ":warning:" not in r.text, r.text
    r = chair.command("/update", 'quarterly "Healthy lives" rag:amber quarter:2018/19 Q4 Slipping a little')
    assert ":warning:" not in r.text, r.text
    rows = db_rows(server.database_url, "SELECT q.quarter, q.rag, q.commentary FROM quarterly_returns q JOIN "
                   "performance_items p ON p.id = q.item_id JOIN boards b ON b.id = p.board_id WHERE b.channel_id = :c "
                   "ORDER BY q.quarter", c=board.channel_id)
    assert [tuple(row) for row in rows] == [("2018-Q4", "amber", "Slipping a little"), ("2019-Q1", "green", "On track")]
    # A quarter that cannot be read shows examples that work as typed, unquoted ones included.
    r = chair.command("/update", 'quarterly "Healthy lives" rag:green On track quarter:Q9')
    examples = examples_of(r)
    assert '/update quarterly "Healthy lives" rag:green On track quarter:Q2 2019' in examples, r.text
    for example in examples:
        assert ":warning:" not in run_example(board, example).text, example


def test_a_mention_typed_into_the_action_form_is_stored_as_the_name(server: ServerProcess, board: BoardFixture,
                                                                    fake_slack: FakeSlack):
    alice, bob = board.alice.user_id, board.bob.user_id
    fake_slack.reset()
    assert board.chair.command("/action", "add").status == 200
    view = opened_view(fake_slack)
    r = submit(board.chair, view, text=f"Send <@{alice}|alice> and <@{alice}> the minutes", owner=bob)
    assert r.status == 200 and r.json().get("response_action") != "errors", r.body
    texts = [t for (t,) in db_rows(server.database_url, "SELECT a.text FROM actions a JOIN boards b ON "
                                   "b.id = a.board_id WHERE b.channel_id = :c", c=board.channel_id)]
    assert "Send alice and alice the minutes" in texts, texts
    assert not [t for t in texts if "<@" in t]
