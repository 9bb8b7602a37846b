"""The command tables of docs/commands.md, generated from the command registry (handlers/catalogue.py).

Each table stands between `<!-- commands:TOPIC -->` and `<!-- /commands -->` (TOPIC is a help topic such as
`action`, or `buttons` for the buttons, forms and shortcuts); everything outside the markers is prose.

    python docs/render_commands.py           # rewrite the tables in docs/commands.md
    python docs/render_commands.py --check   # exit 1 if they are out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from handlers.catalogue import REGISTRY  # noqa: E402
from handlers.registry import Command, Registry, Who  # noqa: E402

DOC = ROOT / "docs" / "commands.md"
SECTION = re.compile(r"(<!-- commands:([a-z]+) -->\n)(.*?)(<!-- /commands -->)", re.S)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _who(who: Who, narrower: str) -> str:
    """Who may: the handler's narrower rule where it has one, else the declared people."""
    return narrower or who.value


def _names(cmd: Command) -> str:
    others = [" ".join((cmd.command, *words)).strip() for words in cmd.aliases]
    return f" (also {', '.join(f'`{o}`' for o in others)})" if others else ""


def command_table(registry: Registry, topic: str) -> str:
    """One topic's commands: usage, what it does, who may run it."""
    rows = ["| Command | What it does | Who may |", "|---|---|---|"]
    for cmd in registry.commands:
        if cmd.help_topic == topic and cmd.usage:
            form = " Opens a form when typed alone." if cmd.opens_form and "form" not in cmd.summary else ""
            rows.append(f"| `{_cell(cmd.usage)}`{_cell(_names(cmd))} | {_cell(cmd.summary)}.{form} "
                        f"| {_cell(_who(cmd.who, cmd.narrower))} |")
    return "\n".join(rows) + "\n"


def interaction_table(registry: Registry) -> str:
    """Every button, form and message shortcut."""
    rows = ["| Kind | Id | What it does | Who may |", "|---|---|---|---|"]
    for b in registry.buttons:
        rows.append(f"| button | `{b.action_id}` | {_cell(b.summary)} | {_cell(_who(b.who, b.narrower))} |")
    for f in registry.forms:
        opened = f" (opened by `{f.opened_by}`)" if f.opened_by else ""
        rows.append(f"| form | `{f.callback_id}` | {_cell(f.summary)}{opened} | {_cell(_who(f.who, f.narrower))} |")
    for s in registry.shortcuts:
        rows.append(f"| message shortcut | `{s.callback_id}` | {_cell(s.summary)} | {_cell(s.who.value)} |")
    return "\n".join(rows) + "\n"


def render(text: str, registry: Registry = REGISTRY) -> str:
    """`text` with every marked table replaced by the registry's."""
    def table(m: re.Match[str]) -> str:
        topic = m.group(2)
        body = interaction_table(registry) if topic == "buttons" else command_table(registry, topic)
        return f"{m.group(1)}{body}{m.group(4)}"

    return SECTION.sub(table, text)


def main(argv: list[str]) -> int:
    current = DOC.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in argv:
        if fresh != current:
            print("docs/commands.md is out of date: run `python docs/render_commands.py`", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
