"""Arbitrary text into every command and subcommand: never an unhandled exception, always a reply, and a
refused command writes nothing (every table counted before and after)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime import Runtime, run_command
from tests.support.catalogue import SLASH_COMMANDS, uncovered
from tests.support.fuzz_board import CHAIR, CHANNEL, MEMBER, ensure_board, setup_board
from tests.support.integrity import changed_tables, table_counts
from tests.support.settings import ADMIN

# Words that steer the text into each parser's deeper paths: every declared command
# (test_every_subcommand_is_fuzzed checks that against the registry).
SUBCOMMANDS = {
    "/lsp": ["", "help", "board create", "member add", "member list", "member ls", "member remove", "member erase", "board",
             "member", "board set", "board settings", "outcome add", "outcome list", "outcome lead", "outcomes", "project add", "project lead",
             "project list", "projects", "report quarter", "report annual", "report q", "report quarterly",
             "report year", "report yearly", "report", "org list", "orgs", "organisations", "org", "org rename",
             "interests", "interests declare", "interests remove", "interests all", "decisions", "web",
             "me", "me email", "me delivery", "member email"],
    "/action": ["", "add", "new", "list", "ls", "show", "update", "note", "done", "close", "reassign", "due", "drop",
                "reopen", "help"],
    "/plan": ["", "help", "show", "all", "2020", "meeting add", "meeting edit", "generate", "cadence", "item add",
              "item move", "item drop", "item remove", "item paper", "item private", "item urgent", "standing add", "standing drop", "standing remove", "ics",
              "item", "meeting", "standing", "ics feed", "ics feed reset"],
    "/agenda": ["", "help", "add", "propose", "proposals", "approve", "decline", "draft", "publish", "pack",
                "pack publish", "paper"],
    "/update": ["", "help", "list", "ls", "quarterly"],
    "/meeting": ["", "help", "reply", "attendance", "start", "end", "attend", "apologies", "item", "note", "declare",
                 "minutes", "minutes edit", "minutes circulate", "minutes confirm", "minutes correct",
                 "minutes versions"],
}


def test_control_characters_are_dropped_before_storage(runtime: Runtime) -> None:
    """PostgreSQL refuses NUL in text; Slack never sends it, but a forged or fuzzed request might."""
    outcome = run_command(runtime, "/lsp", user_id=ADMIN, channel_id=CHANNEL,
                          text='board create "Nul\x00 board\x07" chair:<@UA1|a>')
    assert outcome.ok, outcome.payload
    assert "Nul board" in outcome.payload["text"]


def test_every_subcommand_is_fuzzed() -> None:
    assert set(SUBCOMMANDS) == set(SLASH_COMMANDS)
    for command, subs in SUBCOMMANDS.items():
        assert not uncovered(command, subs), command


FRAGMENTS = st.sampled_from([
    "#1", "#0", "#999999999", "99999999999999999999", "²", "<@UPMEMB1|m>", "<@UPCHAIR1>", "<@UNOBODY>", "@UPMEMB1",
    "@", "<!channel>", "by Friday", "by", "in 2 weeks", "in", "by 1 June 2019", "by 2019-02-30", '"', '""',
    "“quoted”", "org:", 'org:"X"', "new_org:yes", "role:chair", "role:", "chair:", "board:", 'board:"Nope"', 'board:"Prop"',
    "tz:Nowhere/Else", "{{ 7*7 }}", "'; DROP TABLE actions; --", "\x00", "\u202e", "\u2028", "🙂", "x" * 3001, "\n",
    "\t", "P1", "P0", "S1", "A1", "A99", "2019-09-12", "2019-13-45", "next meeting", "10:00", "25:99", "lead:",
    'lead:"LB Ealing"', "kind:decision", "kind:nonsense", "every:2", "every:0", "every:-1", "from:2019-09-12",
    "item:4", "item:0", "left:yes", "left:maybe", "agreed", "agreed as amended", "deferred", "LSP/19/1", "LSP/99/x",
    "email:x@example.org", "email:nope", "kind:pecuniary", "I1", "attending", "apologies", "substitute",
    "rag:green", "rag:purple", "quarter:2019-Q2", "quarter:2019-Q9", "2019-Q1", "Q5 2019", "2019", "0000",
    "FREQ=MONTHLY;BYDAY=+2TH", "FREQ=SECONDLY", "quarterly", "time:10:00", "venue:", 'venue:"Hall"', "duration:0",
    'host:"Nobody Org"', 'theme:"T"', "chase_time", "09:00", "default", "year_start_month", "13",
    '"Southall"', '"Skills outcome"', "all",
    '@"Jane Smith"', '@“Jane Smith”', '@"', '@""', '@"Nobody Here"', "jane.smith@nhs.net", "nobody@nowhere.example",
    "email:jane.smith@nhs.net", 'name:"Jane Smith"', "name:", "both", "documents", "slack", "none",
])
TEXT = st.lists(st.one_of(FRAGMENTS, FRAGMENTS, st.text(max_size=30)), max_size=6).map(" ".join)


# Found by fuzzing: each of these once answered "Something went wrong" (or, for a meeting on 9999-12-31,
# broke every later calendar export and agenda of the board).
EDGES = [("/plan", "0000"), ("/plan", "²²²²"), ("/plan", "cadence quarterly duration:²"),
         ("/plan", 'standing add "X" lead:"Y" every:²'), ("/lsp", "report annual 0000"),
         ("/lsp", "report quarter 0000-Q1"), ("/update", 'quarterly "Southall" rag:green x quarter:0000-Q1'),
         ("/update", 'quarterly "Southall" rag:green x quarter:9999-Q4'), ("/plan", "meeting add 9999-12-31"),
         ("/action", "add y by 9999-12-31"), ("/agenda", 'add "x" for:9999-12-31'), ("/action", "due #1 0001-01-01")]


def test_edge_values_are_refused_with_a_reason(runtime: Runtime) -> None:
    setup_board(runtime)
    for command, text in EDGES:
        outcome = run_command(runtime, command, user_id=CHAIR, channel_id=CHANNEL, text=text)
        assert not outcome.ok and outcome.error is not None, (command, text, outcome.payload.get("text"))
    for command, text in (("/plan", "ics"), ("/agenda", "draft")):
        assert run_command(runtime, command, user_id=CHAIR, channel_id=CHANNEL, text=text).ok


@pytest.mark.parametrize("command", sorted(SLASH_COMMANDS))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_text_gets_a_reply(runtime: Runtime, command: str, data: st.DataObject) -> None:
    ensure_board(runtime)
    sub = data.draw(st.sampled_from(SUBCOMMANDS[command]))
    text = (sub + " " + data.draw(TEXT)).strip()
    user = data.draw(st.sampled_from([CHAIR, CHAIR, MEMBER, MEMBER, ADMIN, "UOUTSIDER"]))
    channel = data.draw(st.sampled_from([CHANNEL, CHANNEL, CHANNEL, "DDIRECT1", None]))
    url = runtime.engine.url.render_as_string(hide_password=False)
    before = table_counts(url)
    outcome = run_command(runtime, command, user_id=user, channel_id=channel, text=text)
    assert isinstance(outcome.payload.get("blocks"), list) and outcome.payload["blocks"]
    assert "Something went wrong on our side" not in str(outcome.payload), (command, text)
    if not outcome.ok:
        assert changed_tables(before, table_counts(url)) == {}, f"a refused {command} {text!r} wrote something"
