"""`lspbot demo`: the board from the workshop notes, walked through a scripted cycle as the console shows it."""

from __future__ import annotations

import datetime as dt
import secrets
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.console import Console
from bot.demo.plan import _step
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from store import boards, db, meetings

LONDON = ZoneInfo("Europe/London")
ADMIN = "UADMIN01"
CHANNEL = "CLSPEXEC1"

# The LSP Executive as the seeds describe it: the Leader of the Council in the chair, partners around the table.
MEMBERS = [
    # (slack id, name, organisation, role)
    ("UBELL01", "Cllr Julian Bell", "LB Ealing", "chair"),
    ("UWILSON1", "Maggie Wilson", "LB Ealing", "secretariat"),
    ("UJENKINS1", "Supt Ian Jenkins", "Metropolitan Police", "vice-chair"),
    ("UCREIGHT1", "Robert Creighton", "Ealing PCT", "member"),
    ("UMATHARU1", "Inder Matharu", "Jobcentre Plus (DWP)", "member"),
    ("UBASRAN1", "Janpal Basran", "Southall Community Alliance", "member"),
    ("UWHITTLE1", "Paula Whittle", "West London College", "member"),
    ("UROPER01", "Andy Roper", "Ealing CVS", "member"),
    ("ULOWE0001", "Julie Lowe", "Ealing Hospital", "member"),
]


def seed_meetings(runtime: Runtime) -> None:
    """The first meetings of the 2019 forward plan (the forward plan itself arrives with /plan)."""
    with db.session_scope(runtime.sessions) as session:
        board = boards.get_by_channel(session=session, channel_id=CHANNEL)
        for day, venue in ((dt.date(2019, 7, 15), "TBC"), (dt.date(2019, 10, 10), "TBC")):
            if meetings.get_by_date(session=session, board_id=board.id, date=day) is None:
                starts = dt.datetime.combine(day, dt.time(10, 0), LONDON)
                meetings.create(session=session, board_id=board.id, date=day, starts_at=starts, venue=venue,
                                now=runtime.clock.now())


def run_demo(settings: Settings, out: TextIO = sys.stdout, workdir: Path | None = None) -> Path:
    """Run the scripted demo on a throw-away SQLite file; returns the folder it used."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="lspbot-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "demo.db"
    if db_path.exists():
        db_path.unlink()
    # Email is "set up" so the partner outside Slack is reached: the demo prints each email rather than sending it
    settings = replace(settings, database_url=f"sqlite:///{db_path}", admins=frozenset({ADMIN}),
                       smtp_url=settings.smtp_url or "smtp://localhost",
                       mail_from=settings.mail_from or "LSP Secretariat <lsp@ealing.gov.uk>",
                       secret_key=settings.secret_key or secrets.token_hex(32))  # a key for this demo's links
    clock = FixedClock(dt.datetime(2019, 7, 16, 9, 30, tzinfo=LONDON))
    runtime = build_runtime(settings, clock=clock, migrate=True)
    console = Console(runtime, ADMIN, CHANNEL, out=out)
    out.write(f"lspbot demo — the LSP Executive, July 2019 (database: {db_path})\n")
    out.write("Each '>' line is what a member types in Slack; below it, what Slack shows them.\n")

    chair = MEMBERS[0]
    _step(out, console, ADMIN, f'/lsp board create "LSP Executive" chair:<@{chair[0]}|{chair[1]}> org:"{chair[2]}"')
    for user_id, name, org, role in MEMBERS[1:]:
        _step(out, console, chair[0], f'/lsp member add <@{user_id}|{name}> org:"{org}" role:{role}')
    seed_meetings(runtime)
    _step(out, console, "UBELL01", "/lsp member list")
    out.write("\n— The day after the 15 July meeting, the chair records its action points —\n")
    _step(out, console, "UBELL01", "/action add Circulate the Northolt final recommendations to all partners <@UWILSON1|Maggie Wilson> by Friday")
    _step(out, console, "UBELL01", "/action add Propose the vice-chair selection process <@UJENKINS1|Supt Ian Jenkins> by end of month")
    _step(out, console, "UBELL01", "/action add Map support for disadvantaged young people across partners <@UWHITTLE1|Paula Whittle> by next meeting")
    _step(out, console, "UBASRAN1", "/action add Offer Southall venue for the October meeting in 2 weeks")
    _step(out, console, "UBELL01", "/action add Draft joint apprenticeship programme <@UMATHARU1|Inder Matharu> by 1 June 2019")
    _step(out, console, "UWILSON1", "/action update #1 Sent to partners; two replies so far")
    _step(out, console, "UWILSON1", "/action done #1 All partners have the recommendations")
    _step(out, console, "UCREIGHT1", "/action done #2")
    _step(out, console, "UJENKINS1", "/action reassign #2 <@UCREIGHT1|Robert Creighton>")
    _step(out, console, "UWHITTLE1", "/action list mine")
    _step(out, console, "UWILSON1", "/action list all")
    from bot.demo.email import run_email_answer, run_email_partner

    run_email_partner(runtime, console, out)
    from bot.demo.plan import run_plan_demo

    run_plan_demo(runtime, console, out, workdir, CHANNEL)
    from bot.demo.performance import run_performance_demo

    run_performance_demo(runtime, console, out, workdir, CHANNEL)
    from bot.demo.meeting import run_confirmation_demo, run_meeting_demo, run_meeting_prep
    from bot.demo.papers import run_papers_setup, save_packs, send_papers
    from bot.demo.schedule import run_schedule_demo

    run_papers_setup(console, out)
    run_schedule_demo(runtime, console, out, clock, end=dt.date(2019, 9, 24))
    clock.set(dt.datetime(2019, 9, 25, 11, 0, tzinfo=LONDON))
    run_email_answer(runtime, out)
    send_papers(runtime, out, workdir)
    run_schedule_demo(runtime, console, out, clock, start=dt.date(2019, 9, 25), end=dt.date(2019, 10, 2))
    out.write("\nThe published agenda packs are in " + str(workdir) + ":\n")
    save_packs(runtime, out, workdir)
    run_meeting_prep(console, out, clock)
    run_schedule_demo(runtime, console, out, clock, start=dt.date(2019, 10, 4), end=dt.date(2019, 10, 9))
    run_meeting_demo(runtime, console, out, clock, workdir)
    run_schedule_demo(runtime, console, out, clock, start=dt.date(2019, 10, 11), end=dt.date(2019, 10, 24))
    run_confirmation_demo(console, out, clock)
    clock.set(dt.datetime(2019, 7, 16, 9, 30, tzinfo=LONDON))
    out.write("\n— Finally, the board's action log (the clock back on 16 July, where the demo began) —\n")
    _step(out, console, "UROPER01", "/action list all")
    out.write(f"\nDemo finished. Its database is {db_path}; explore it with:\n"
              f"  DATABASE_URL=sqlite:///{db_path} lspbot console --as UBELL01\n")
    runtime.close()
    return workdir
