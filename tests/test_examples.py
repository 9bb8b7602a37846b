"""Every example lspbot shows works as shown: the usage lines and examples of the registry's declarations, and
the examples its error replies offer, each run in-process (`bot.runtime.run_command`) on a board with people,
meetings, actions, outcomes and projects. "Works" means understood: it may still find no such row or clash with
one (the board's data decides that), but it is never answered with a usage or input error."""

from __future__ import annotations

import re

from bot.runtime import Outcome, Runtime, run_command
from handlers.base import InvalidInput, UsageError
from handlers.catalogue import REGISTRY
from tests.support.settings import ADMIN

CHANNEL = "CEXAMPLE1"
CHAIR = "UCHAIR01"
PEOPLE = {"bob": "UBOB0001", "carol": "UCAROL01", "janpal": "UJANPAL1", "alice": "UALICE01"}
PLACEHOLDER = re.compile(r"[<\[…]|\.\.\.|\|")  # a usage line with something to fill in, or a choice


def as_slack_sends(text: str) -> str:
    """`@bob` typed in Slack arrives as a mention (`<@U…|bob>`), as Slack sends what a person picks."""
    return re.sub(r"(?<![\w<])@(\w+)", lambda m: f"<@{PEOPLE[m.group(1)]}|{m.group(1)}>" if m.group(1) in PEOPLE
                  else m.group(0), text)


def run(runtime: Runtime, line: str, user: str = CHAIR) -> Outcome:
    command, _, text = as_slack_sends(line).partition(" ")
    return run_command(runtime, command, user_id=user, channel_id=CHANNEL, text=text)


def ok(runtime: Runtime, line: str, user: str = CHAIR) -> None:
    outcome = run(runtime, line, user)
    assert outcome.ok, (line, outcome.payload.get("text"))


def build_board(runtime: Runtime) -> None:
    ok(runtime, f'/lsp board create "LSP Executive" chair:<@{CHAIR}|chair> org:"LB Ealing"', ADMIN)
    for name, user in PEOPLE.items():
        ok(runtime, f'/lsp member add <@{user}|{name}> org:"Ealing PCT"')
    ok(runtime, "/plan cadence quarterly time:10:00")
    for day in ("2019-09-12", "2019-10-10", "2020-01-20"):
        ok(runtime, f"/plan meeting add {day} 10:00")
    ok(runtime, '/plan item add 2019-09-12 "Skills strategy" lead:"LB Ealing"')
    ok(runtime, '/plan standing add "Borough Plan Performance Update" lead:"LB Ealing"')
    for n in range(12):
        ok(runtime, f"/action add Action number {n + 1} by Friday")
    ok(runtime, '/lsp outcome add "Healthy lives" lead:"Ealing PCT"')
    ok(runtime, f'/lsp project add "Southall joined-up approach" lead:<@{PEOPLE["janpal"]}|janpal>')
    ok(runtime, '/agenda add "Youth violence" lead:"Metropolitan Police"', PEOPLE["bob"])


MISTAKES = [  # errors that show examples only once the rest of the command is right
    '/update quarterly "Healthy lives" rag:green On track quarter:Q9',
    "/lsp report quarter Q9",
    "/lsp report quarter 2030-Q1",
    "/plan cadence fortnightly",
    "/action list sideways",
    "/action list all page:9",
    "/action add Something by someday",
    "/action due #1 someday",
    '/plan item add someday "Title" lead:"LB Ealing"',
    '/agenda add "Title" for:someday',
]


def declared_examples() -> list[str]:
    """The usage lines with nothing to fill in, and the examples, of every declared command."""
    shown = []
    for cmd in REGISTRY.commands:
        for line in (cmd.usage, *cmd.examples):
            if line and not PLACEHOLDER.search(line) and line not in shown:
                shown.append(line)
    return shown


def understood(outcome: Outcome) -> bool:
    return outcome.ok or not isinstance(outcome.error, (UsageError, InvalidInput))


def check(runtime: Runtime, example: str, where: str) -> str | None:
    user = ADMIN if example.startswith("/lsp board create") else CHAIR
    outcome = run(runtime, example, user)
    if understood(outcome):
        return None
    return f"{where}: `{example}` is answered {outcome.payload.get('text')!r}"


def test_every_declared_example_works_as_shown(runtime: Runtime):
    build_board(runtime)
    problems = [p for e in declared_examples() if (p := check(runtime, e, "declared"))]
    assert not problems, "\n".join(problems)


def test_every_example_an_error_reply_shows_works_as_shown(runtime: Runtime):
    """Each command given text it cannot take (nothing, a stray word, a broken option) shows examples; they work."""
    build_board(runtime)
    offered: dict[str, str] = {}
    asked = [cmd.name + text for cmd in REGISTRY.commands
             for text in ("", " frobnicate", " frobnicate:x", ' "unclosed', " page:zero quarter:Q9 rag:purple")]
    asked += MISTAKES
    for line in asked:
        outcome = run(runtime, line)
        if outcome.error is not None:
            for example in outcome.error.examples:
                if example.startswith("/") and not PLACEHOLDER.search(example):
                    offered.setdefault(example, line)
    assert len(offered) > 20, offered
    assert '/update quarterly "Healthy lives" rag:green On track quarter:Q2 2019' in offered, offered
    problems = [p for e, asked in offered.items() if (p := check(runtime, e, f"shown for `{asked}`"))]
    assert not problems, "\n".join(problems)
