"""The commands each slash command has, from the registry, for the table-driven tests' coverage checks.

A table-driven test (permissions, fuzzing) fails when a command is declared without a row of its own.
"""

from __future__ import annotations

from handlers.catalogue import REGISTRY

__all__ = ["REGISTRY", "SLASH_COMMANDS", "uncovered"]

SLASH_COMMANDS = tuple(REGISTRY.slash_commands)


def uncovered(command: str, texts: list[str]) -> set[str]:
    """The declared commands of `command` (`/lsp member add`) that none of `texts` is routed to."""
    reached = {REGISTRY.find(command, text)[0] for text in texts}
    return {c.name for c in REGISTRY.of(command) if c not in reached}
