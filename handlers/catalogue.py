"""Every command, button, form and shortcut of lspbot, gathered from the domains' own declarations, and help.

A new domain adds its module to `DOMAINS`; a new command is a line in its domain's `COMMANDS` table.
"""

from __future__ import annotations

from types import ModuleType

from handlers import (
    action_forms,
    actions,
    agenda,
    agenda_forms,
    attendance,
    decisions,
    home,
    interests,
    lsp,
    member_email,
    meeting_items,
    meeting_mode,
    meeting_presence,
    meetings,
    minutes_commands,
    organisations,
    packs,
    papers,
    performance,
    plan,
    plan_ics,
    plan_items,
    reminders,
    reports,
    updates,
)
from handlers.base import Reply, Request
from handlers.registry import Button, Command, Form, Handler, Registry, Shortcut, Topic, Who, help_data

# In the order help shows them; a module may declare any of TOPIC, COMMANDS, BUTTONS, FORMS and SHORTCUTS.
DOMAINS: tuple[ModuleType, ...] = (actions, action_forms, plan, meetings, plan_items, plan_ics, agenda, agenda_forms, packs, updates, performance, reports,
                                   reminders, attendance, minutes_commands, meeting_mode, meeting_presence, meeting_items,
                                   interests, decisions, home, lsp, member_email, organisations, papers)


def _gather(name: str) -> list:
    return [entry for module in DOMAINS for entry in getattr(module, name, ())]


TOPICS: tuple[Topic, ...] = tuple(m.TOPIC for m in DOMAINS if hasattr(m, "TOPIC"))


def handle_help(req: Request) -> Reply:
    """`/lsp help [topic]`: every command by topic, or one topic's."""
    return Reply("slack/help.json.j2", help_data(TOPICS, REGISTRY.commands, req.rest))


def _topic_help(topic: str) -> Handler:
    def handle_topic_help(req: Request) -> Reply:
        return Reply("slack/help.json.j2", help_data(TOPICS, REGISTRY.commands, topic))

    handle_topic_help.__name__ = f"handle_{topic}_help"
    return handle_topic_help


def _help_commands() -> tuple[Command, ...]:
    """`/lsp help [topic]` (and `/lsp` alone), and `/<command> help` for the others (`/action`, `/agenda` and
    `/meeting` alone too; `/plan` alone shows the plan and `/update` alone opens the update form)."""
    lsp_help = Command("/lsp", ("help",), handle_help, aliases=((),), who=Who.ANYONE, board=False,
                       usage="/lsp help [topic]", summary="what you can do, or one topic's commands", topic="lsp")
    bare = {"/action": ((),), "/agenda": ((),), "/meeting": ((),), "/plan": (), "/update": ()}
    return (lsp_help, *(
        Command(command, ("help",), _topic_help(command.lstrip("/")), aliases=aliases, who=Who.ANYONE, board=False,
                bare=command == "/update", usage="", summary="")
        for command, aliases in bare.items()
    ))


REGISTRY = Registry(
    commands=(*_help_commands(), *_gather("COMMANDS")),
    buttons=tuple[Button, ...](_gather("BUTTONS")),
    forms=tuple[Form, ...](_gather("FORMS")),
    shortcuts=tuple[Shortcut, ...](_gather("SHORTCUTS")),
    topics=TOPICS,
)
