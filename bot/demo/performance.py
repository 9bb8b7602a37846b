"""The demo's partner updates and performance reporting: the nine Borough Plan outcomes (as placeholders)
and the four 2011 LSP projects, partner updates for October, a quarter's RAG returns, and the quarterly
report with its chart left in the demo folder."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TextIO

from bot.console import Console
from bot.demo.plan import _step
from bot.render.documents import write_documents
from bot.runtime import Runtime, run_command

# The Borough Plan 2018-2022 has nine outcomes, each with its partners; their names are placeholders here.
OUTCOME_LEADS = ["LB Ealing", "Ealing PCT", "Metropolitan Police", "Jobcentre Plus (DWP)", "West London College",
                 "Ealing CVS", "Ealing Hospital", "LB Ealing", "Southall Community Alliance"]
# The projects LSP Executive agreed for 2011 (seed 003), with a lead each and their first milestones.
PROJECTS = [
    ("High-need families", "UCREIGHT1", "Robert Creighton",
     ["Families in highest need identified by 30 September 2019", "Services they receive mapped"]),
    ("Data sharing and joint analysis", "UWILSON1", "Maggie Wilson",
     ["Data held by each partner listed", "Data-sharing protocol signed"]),
    ("Joint asset strategy", "UROPER01", "Andy Roper",
     ["Partners' property assets and their use listed", "Options for shared use agreed"]),
    ("Southall joined-up approach", "UBASRAN1", "Janpal Basran",
     ["Partners working in Southall mapped by 31 August 2019", "Joint problem-solving plan agreed"]),
]
UPDATES = [
    ("UCREIGHT1", "The CCG's winter plan is agreed; the flu programme for partners' staff starts on 1 October."),
    ("UJENKINS1", "Knife crime is down 8% on last year. Neighbourhood teams in Southall are fully staffed."),
    ("UMATHARU1", "Jobcentre Plus will run an apprenticeship fair with West London College in November."),
    ("UBASRAN1", "The Southall community hub pilot opens in September; partners are welcome to use it."),
]
RETURNS = [  # returns for the quarter just ended (April-June 2019), asked for in July: (who, item, RAG, commentary)
    ("UWILSON1", "Borough Plan outcome 1 (placeholder)", "green", "Housing delivery on target for the quarter."),
    ("UCREIGHT1", "Borough Plan outcome 2 (placeholder)", "amber", "GP access below target in two localities."),
    ("UJENKINS1", "Borough Plan outcome 3 (placeholder)", "green", "Knife crime down 8%; repeat victims down."),
    ("UMATHARU1", "Borough Plan outcome 4 (placeholder)", "red", "Claimant count up 0.4 points; fair planned."),
    ("UROPER01", "Borough Plan outcome 6 (placeholder)", "green", "Volunteering policy drafted with partners."),
    ("UCREIGHT1", "High-need families", "amber", "Data from two partners still awaited."),
    ("UWILSON1", "Data sharing and joint analysis", "green", "Protocol drafted; legal review under way."),
    ("UBASRAN1", "Southall joined-up approach", "red", "Mapping delayed by the venue change."),
]
EARLIER = [  # some for the quarter before (January-March 2019), for the history beside it
    ("UCREIGHT1", "Borough Plan outcome 2 (placeholder)", "green", "GP access on target."),
    ("UMATHARU1", "Borough Plan outcome 4 (placeholder)", "amber", "Claimant count rising."),
    ("UBASRAN1", "Southall joined-up approach", "amber", "Venue for the hub not yet confirmed."),
]


def seed_outcomes_and_projects(runtime: Runtime, chair: str, channel: str) -> None:
    """The nine outcomes and four projects, added as the chair would (their replies are not shown)."""
    quiet = Console(runtime, chair, channel, out=io.StringIO())
    for number, lead in enumerate(OUTCOME_LEADS, start=1):
        quiet.execute(f'/lsp outcome add "Borough Plan outcome {number} (placeholder)" lead:"{lead}"')
    for name, user_id, user_name, milestones in PROJECTS:
        quoted = " ".join(f'"{m}"' for m in milestones)
        quiet.execute(f'/lsp project add "{name}" lead:<@{user_id}|{user_name}> {quoted}')


def run_performance_demo(runtime: Runtime, console: Console, out: TextIO, workdir: Path, channel: str) -> list[Path]:
    """Partner updates for the next meeting, a quarter's returns and the quarterly report in the demo folder."""
    out.write("\n— The chair sets up the Borough Plan's nine outcomes (names to follow) and the four LSP projects —\n")
    seed_outcomes_and_projects(runtime, "UBELL01", channel)
    _step(out, console, "UJENKINS1", "/lsp outcome list")
    _step(out, console, "UJENKINS1", "/lsp project list")
    out.write("\n— Partners send their updates for the October meeting —\n")
    for user_id, text in UPDATES:
        _step(out, console, user_id, f"/update {text}")
    _step(out, console, "UCREIGHT1", "/update The winter plan is agreed; the flu programme starts on 1 October.")
    _step(out, console, "UWILSON1", "/update list")
    out.write("\n— Leads send their quarterly returns for April to June (and a few late ones for January to March) —\n")
    for user_id, item, rag, commentary in EARLIER:
        _step(out, console, user_id, f'/update quarterly "{item}" rag:{rag} {commentary} quarter:2018-Q4')
    for user_id, item, rag, commentary in RETURNS:
        _step(out, console, user_id, f'/update quarterly "{item}" rag:{rag} {commentary}')
    _step(out, console, "UWHITTLE1", '/update quarterly "High-need families" rag:green Looks fine to me')
    out.write("\n— The chair asks for the quarterly performance report —\n")
    line = "/lsp report quarter"
    out.write(f"\n{console.name_of('UBELL01')} (UBELL01)> {line}\n")
    outcome = run_command(runtime, "/lsp", user_id="UBELL01", channel_id=channel, text="report quarter")
    console.show(outcome)
    written = write_documents(runtime.renderer, outcome.documents, workdir)
    if written:
        out.write("\nThe quarterly report, its chart and the Markdown are in " + str(workdir) + ":\n")
        for path in written:
            out.write(f"  {path}\n")
    return written
