"""Which slash commands lspbot answers, and the one way a command's text reaches its handler."""

from __future__ import annotations

from handlers.base import Reply, Request
from handlers.catalogue import REGISTRY
from handlers.registry import dispatch

SLASH_COMMANDS: tuple[str, ...] = tuple(REGISTRY.slash_commands)


def handle_command(command: str, req: Request) -> Reply:
    """Run `command` (`/action`) with the request's text: routed, checked and parsed by its declaration."""
    return dispatch(REGISTRY, command, req)
