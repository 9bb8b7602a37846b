"""Text as people type it, end to end (signed slash commands to `lspbot serve` and the fake Slack): error replies in
the board's words with headings that fit, mentions, quotes, paging."""

from __future__ import annotations

from tests.support.server import BoardFixture
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
