"""The check every signed request's acknowledgement goes through (`valid_ack` of tests/support/slack_requests.py,
the fake Slack's `check_ack`): what Slack would refuse in an ack is refused here, and what it takes passes."""

from __future__ import annotations

from tests.support.fake_slack import check_ack

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "Recorded *#1*"}}


def test_a_slash_commands_answer_is_parsed_as_block_kit():
    assert check_ack({"text": "Recorded #1", "response_type": "ephemeral", "blocks": [SECTION]}) is None
    assert check_ack({"text": "Recorded #1"}) is None
    assert "unknown fields" in check_ack({"text": "x", "blocks": [dict(SECTION, colour="red")]})
    assert check_ack({"text": "x", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]})
    assert check_ack({"text": "x", "blocks": [SECTION] * 51}) == "invalid_blocks"
    assert "unknown type" in check_ack({"text": "x", "blocks": [{"type": "slideshow"}]})


def test_a_view_submissions_answer_is_well_formed():
    assert check_ack({"response_action": "errors", "errors": {"text": "Write what needs doing."}}) is None
    assert check_ack({"response_action": "errors", "errors": {}})
    assert check_ack({"response_action": "errors", "errors": {"text": " "}})
    assert check_ack({"response_action": "errors", "errors": {"x" * 256: "Too long an id"}})
    assert check_ack({"response_action": "clear"}) is None
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "New action"}, "blocks": [SECTION]}
    assert check_ack({"response_action": "update", "view": modal}) is None
    assert check_ack({"response_action": "push", "view": dict(modal, type="sheet")})
    assert check_ack({"response_action": "update"})
    assert check_ack({"response_action": "close"})
