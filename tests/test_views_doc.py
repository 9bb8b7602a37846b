"""docs/views.md and the examples in docs/commands.md show what the current templates render (they stand in for
screenshots, there being no Slack workspace to take them in)."""

from __future__ import annotations

import importlib.util

from tests.support.settings import ROOT


def test_the_rendered_views_in_the_docs_are_current() -> None:
    spec = importlib.util.spec_from_file_location("render_views", ROOT / "docs" / "render_views.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    views, examples = module.render_all()
    assert "[Done] [Add update] [Snooze a week]" in examples and "┌─ New action ─┐" in examples
    hint = "out of date: run `python docs/render_views.py` and commit the result"
    assert (ROOT / "docs" / "views.md").read_text(encoding="utf-8") == views, f"docs/views.md is {hint}"
    guide = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    assert module.with_examples(guide, examples) == guide, f"the rendered views in docs/commands.md are {hint}"
