"""docs/commands.md's tables are the registry's: every declared command, button, form and shortcut, with who
may use it, and nothing the registry does not declare."""

from __future__ import annotations

import importlib.util
import re

from handlers.catalogue import REGISTRY
from tests.support.settings import ROOT


def _renderer():
    spec = importlib.util.spec_from_file_location("render_commands", ROOT / "docs" / "render_commands.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_command_tables_in_the_docs_are_current() -> None:
    doc = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    assert _renderer().render(doc) == doc, "docs/commands.md is out of date: run `python docs/render_commands.py`"


def test_every_declaration_has_a_row_in_the_docs() -> None:
    doc = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    topics = set(re.findall(r"<!-- commands:([a-z]+) -->", doc))
    assert {t.key for t in REGISTRY.topics} | {"buttons"} <= topics, "a help topic without its table"
    for cmd in REGISTRY.commands:
        if cmd.usage:
            assert f"`{cmd.usage.replace('|', chr(92) + '|')}`" in doc, cmd.name
    for declared in (*REGISTRY.buttons, *REGISTRY.forms, *REGISTRY.shortcuts):
        slack_id = getattr(declared, "action_id", None) or declared.callback_id
        assert f"`{slack_id}`" in doc, slack_id


def test_the_slack_manifest_has_every_declared_command_and_shortcut() -> None:
    """The app's manifest (what a secretariat pastes into Slack) asks for exactly the declared slash commands and
    message shortcuts, so none is declared without reaching the bot and none reaches it undeclared."""
    manifest = (ROOT / "slack-manifest.yml").read_text(encoding="utf-8")
    assert sorted(re.findall(r"^\s*- command: (/\w+)", manifest, re.M)) == sorted(REGISTRY.slash_commands)
    assert sorted(re.findall(r"^\s*callback_id: (\w+)", manifest, re.M)) == sorted(s.callback_id for s in REGISTRY.shortcuts)
