"""The demo's forward plan and agenda: the workshop slide's 2019-2020 plan, a member's proposal the chair
approves, and the chair's agenda draft left as .docx and .md in the demo folder."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from bot.console import Console
from bot.render.documents import write_documents
from bot.runtime import Outcome, Runtime
from handlers.plan_io import import_plan_csv
from store import boards, db

# The "Future dates and EXAMPLE forward plan" slide: date, item, lead; every location TBC.
SLIDE_PLAN = [
    ("2019-07-15", "Northolt final recommendations", "LB Ealing/DWP", "for decision"),
    ("2019-07-15", "One Public Service for the LSP", "LB Ealing", "for discussion"),
    ("2019-07-15", "Borough Plan Performance Framework", "LB Ealing", "for decision"),
    ("2019-10-10", "LSP Annual Report for Scrutiny", "LB Ealing", "for decision"),
    ("2019-10-10", "Future policy 'theme' setting", "LSP Executive", "for discussion"),
    ("2020-03-30", "New Vice Chair", "LSP Executive Chair", "for decision"),
    ("2020-11-16", "LSP Annual Report for Scrutiny", "LB Ealing", "for decision"),
    ("2020-11-16", "Future policy 'theme' setting", "LSP Executive", "for discussion"),
]
# The slide lists the Borough Plan Performance Update at every meeting from October: declared once on the board
# as a standing item (date: the first meeting it comes to; kind: how often), not copied into each meeting.
SLIDE_STANDING = [
    ("2019-10-10", "Borough Plan Performance Update", "LB Ealing", "standing item, every meeting"),
]
# Meetings on the slide with no planned item of their own: only the standing item.
SLIDE_MEETINGS_WITHOUT_ITEMS = ["2020-01-20", "2020-07-13"]


def slide_csv() -> str:
    """The slide as the CSV `lspbot plan import` reads."""
    lines = ["date,time,item,lead,kind,venue"]
    dated = [(day, f'{day},10:00,"{item}",{lead},{kind},TBC') for day, item, lead, kind in SLIDE_PLAN]
    dated += [(day, f"{day},10:00,,,,TBC") for day in SLIDE_MEETINGS_WITHOUT_ITEMS]
    lines += [line for _, line in sorted(dated, key=lambda row: row[0])]
    lines += [f'{day},,"{item}",{lead},"{kind}",' for day, item, lead, kind in SLIDE_STANDING]
    return "\n".join(lines) + "\n"


def _step(out: TextIO, console: Console, who: str, line: str) -> Outcome | None:
    console.user_id = who
    name = console.name_of(who)
    out.write(f"\n\033[1m{name} ({who})> {line}\033[0m\n" if out.isatty() else f"\n{name} ({who})> {line}\n")
    return console.execute(line)


def run_plan_demo(runtime: Runtime, console: Console, out: TextIO, workdir: Path, channel: str) -> list[Path]:
    """Load the slide's plan, show it, take a member's proposal through the chair, draft the agenda."""
    out.write("\n— The secretariat loads the forward plan from the workshop slide —\n")
    csv_path = workdir / "forward-plan-2019-2020.csv"
    csv_path.write_text(slide_csv(), encoding="utf-8")
    out.write(f"\n$ lspbot plan import {csv_path.name} --board \"LSP Executive\" --include-past\n")
    with db.session_scope(runtime.sessions) as session:
        board = boards.get_by_channel(session=session, channel_id=channel)
        s = import_plan_csv(session=session, board=board, text=slide_csv(), now=runtime.clock.now(), actor="demo",
                            include_past=True)  # the slide starts with the meeting just held
    out.write(f"LSP Executive: {s.meetings_added} meetings added, {s.meetings_changed} changed; "
              f"{s.items_added} items added; standing items declared: "
              + ", ".join(f"{item} (from {day}, {kind.split(', ')[-1]})" for day, item, _, kind in SLIDE_STANDING)
              + ".\n")
    _step(out, console, "UCREIGHT1", "/plan all")
    out.write("\n— A partner proposes an item; the chair gets Approve / Decline and approves it —\n")
    _step(out, console, "UBASRAN1", '/agenda add "Community hubs in Southall" lead:"Southall Community Alliance"')
    _step(out, console, "UBELL01", "/agenda approve A1")
    _step(out, console, "UROPER01", "/agenda proposals")
    out.write("\n— The chair asks for the October agenda —\n")
    outcome = _step(out, console, "UBELL01", "/agenda draft")
    written = write_documents(runtime.renderer, outcome.documents, workdir) if outcome else []
    if written:
        out.write("\nThe chair's agenda draft is in " + str(workdir) + ":\n")
        for path in written:
            out.write(f"  {path}\n")
    return written
