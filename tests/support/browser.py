"""A real browser for the web pages' tests: Debian's Chromium driven by Playwright (its sync API, launched with the
system browser's executable, so nothing is downloaded), and axe-core run on a page.

LSPBOT_TEST_CHROMIUM names another Chromium. Where none is installed the tests are skipped, except under CI
(`CI=true`), where a missing browser fails them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DEFAULT_CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"


def chromium_path() -> str:
    return os.environ.get("LSPBOT_TEST_CHROMIUM") or DEFAULT_CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for the module's tests (one browser; each test opens its own contexts)."""
    path = chromium_path()
    if not Path(path).exists():
        message = f"no Chromium at {path} (install Debian's chromium or set LSPBOT_TEST_CHROMIUM)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations on the page as it is (WCAG 2.x A and AA rules and best practice), one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    out = []
    for violation in results.response.get("violations", []):
        targets = [", ".join(map(str, node.get("target", []))) for node in violation.get("nodes", [])][:5]
        out.append(f"{violation['id']} ({violation.get('impact')}): {violation.get('help')} at {targets}")
    return out


def assert_accessible(page: Any) -> None:
    """Zero axe-core violations on the page, each printed when there are some."""
    found = axe_violations(page)
    assert not found, f"axe-core on {page.url}:\n" + "\n".join(found)


def no_sideways_scroll(page: Any) -> bool:
    """Whether the page fits its viewport's width (no horizontal scroll)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def screenshot(page: Any, name: str) -> None:
    """Keep a screenshot in docs/screenshots/ when LSPBOT_SCREENSHOTS=1 (ordinary runs leave the committed ones)."""
    if os.environ.get("LSPBOT_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
