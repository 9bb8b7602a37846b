"""Text as people type it, end to end (signed slash commands to `lspbot serve` and the fake Slack): error replies in
the board's words with headings that fit, mentions, quotes, paging."""

from __future__ import annotations

from tests.support.databases import db_rows
from tests.support.server import BoardFixture, ServerProcess
from tests.support.slack_requests import HttpResult


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
