"""Arbitrary text into every command: never an unhandled exception, always a reply, nothing half-written."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime import Runtime, run_command
from handlers.router import COMMANDS
from store import db
from store.models import Action, AuditRecord
from tests.conftest import ADMIN

CHANNEL = "CPROP01"
CHAIR = "UPCHAIR1"
MEMBER = "UPMEMB1"

# Words that steer the text into each parser's deeper paths.
SUBCOMMANDS = {
    "/lsp": ["", "help", "board create", "member add", "member list", "member remove", "board", "member"],
    "/action": ["", "add", "list", "show", "update", "done", "reassign", "due", "drop", "reopen", "help"],
}


def test_control_characters_are_dropped_before_storage(runtime: Runtime) -> None:
    """PostgreSQL refuses NUL in text; Slack never sends it, but a forged or fuzzed request might."""
    outcome = run_command(runtime, "/lsp", user_id=ADMIN, channel_id=CHANNEL,
                          text='board create "Nul\x00 board\x07" chair:<@UA1|a>')
    assert outcome.ok, outcome.payload
    assert "Nul board" in outcome.payload["text"]
FRAGMENTS = st.sampled_from([
    "#1", "#0", "#999999999", "<@UPMEMB1|m>", "<@UPCHAIR1>", "<@UNOBODY>", "@UPMEMB1", "@", "<!channel>",
    "by Friday", "by", "in 2 weeks", "in", "by 1 June 2019", "by 2019-02-30", '"', '""', "“quoted”", "org:",
    'org:"X"', "role:chair", "role:", "chair:", "board:", 'board:"Nope"', "tz:Nowhere/Else", "{{ 7*7 }}",
    "'; DROP TABLE actions; --", "\x00", "\u202e", "🙂", "x" * 3001, "\n", "\t",
])
TEXT = st.lists(st.one_of(FRAGMENTS, FRAGMENTS, st.text(max_size=30)), max_size=6).map(" ".join)


def _setup(runtime: Runtime) -> None:
    ok = run_command(runtime, "/lsp", user_id=ADMIN, channel_id=CHANNEL, text=f'board create "Prop" chair:<@{CHAIR}|c>')
    assert ok.ok
    ok = run_command(runtime, "/lsp", user_id=CHAIR, channel_id=CHANNEL, text=f'member add <@{MEMBER}|m> org:"Org"')
    assert ok.ok
    ok = run_command(runtime, "/action", user_id=MEMBER, channel_id=CHANNEL, text="add An action to poke at")
    assert ok.ok


CASES = [(command, sub) for command in sorted(COMMANDS) for sub in SUBCOMMANDS.get(command, [""])]


@pytest.mark.parametrize(("command", "sub"), CASES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_text_gets_a_reply(runtime: Runtime, command: str, sub: str, data: st.DataObject) -> None:
    with db.session_scope(runtime.sessions) as session:
        fresh = session.query(AuditRecord).count() == 0
    if fresh:
        _setup(runtime)
    text = (sub + " " + data.draw(TEXT)).strip()
    user = data.draw(st.sampled_from([CHAIR, CHAIR, MEMBER, MEMBER, ADMIN, "UOUTSIDER"]))
    channel = data.draw(st.sampled_from([CHANNEL, CHANNEL, CHANNEL, "DDIRECT1", None]))
    with db.session_scope(runtime.sessions) as session:
        before_actions = session.query(Action).count()
    outcome = run_command(runtime, command, user_id=user, channel_id=channel, text=text)
    assert isinstance(outcome.payload.get("blocks"), list) and outcome.payload["blocks"]
    assert "Something went wrong on our side" not in str(outcome.payload), (command, text)
    with db.session_scope(runtime.sessions) as session:
        after_actions = session.query(Action).count()
    if not outcome.ok:
        assert after_actions == before_actions, "a refused command wrote an action"
