"""Which handler serves which slash command."""

from __future__ import annotations

from collections.abc import Callable

from handlers import actions, lsp
from handlers import agenda as agenda_handlers
from handlers import plan as plan_handlers
from handlers import updates as update_handlers
from handlers.base import Reply, Request

COMMANDS: dict[str, Callable[[Request], Reply]] = {
    "/lsp": lsp.handle,
    "/action": actions.handle,
    "/plan": plan_handlers.handle,
    "/agenda": agenda_handlers.handle,
    "/update": update_handlers.handle,
}

