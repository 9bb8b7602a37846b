"""The demo's meeting: the 10 October 2019 meeting held in meeting mode (who came, a declaration, items agreed,
noted and deferred, two actions raised at their items), its minutes drafted and circulated, and confirmed at the
next meeting, where the deferred item is back on the plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.console import Console

LONDON = ZoneInfo("Europe/London")
SECRETARY, CHAIR = "UWILSON1", "UBELL01"
MAX_LINES = 12  # each message cut to this many lines: the minutes go to every member


def _step(out: TextIO, console: Console, who: str, line: str) -> None:
    console.user_id = who
    name = console.name_of(who)
    out.write(f"\n\033[1m{name} ({who})> {line}\033[0m\n" if out.isatty() else f"\n{name} ({who})> {line}\n")
    console.execute(line)


def run_meeting_demo(console: Console, out: TextIO, clock: FixedClock, workdir: Path) -> None:
    """Hold the October meeting in meeting mode, then confirm its minutes at the January one."""
    was, files, lines = clock.now(), console.delivery.files, console.delivery.max_lines
    console.delivery.files = workdir  # the minutes' Word and Markdown files are kept with the agenda's
    console.delivery.max_lines = MAX_LINES
    clock.set(dt.datetime(2019, 10, 10, 10, 0, tzinfo=LONDON))
    out.write("\n— Thursday 10 October 2019, 10:00: the secretariat runs the meeting in its channel (each message "
              f"cut to {MAX_LINES} lines) —\n")
    _step(out, console, CHAIR, "/lsp board set quorum members:1/3 orgs:3 chair:yes")
    for line in (
        "/meeting start",
        '/meeting attend <@UBELL01|Cllr Julian Bell> <@UJENKINS1|Supt Ian Jenkins> <@UCREIGHT1|Robert Creighton> '
        '<@UBASRAN1|Janpal Basran> <@UWHITTLE1|Paula Whittle> "Sam Patel (Ealing CCG)"',
        "/meeting apologies <@UMATHARU1|Inder Matharu> <@UROPER01|Andy Roper> <@ULOWE0001|Julie Lowe>",
        "/meeting item 3 noted",
        '/meeting item 4 agreed "The annual report goes to the Scrutiny Committee on 5 November"',
        "/action add Send the annual report to the Scrutiny Committee <@UWILSON1|Maggie Wilson> by 1 November",
        "/meeting item 5 deferred",
        '/meeting declare <@UBASRAN1|Janpal Basran> item:6 "Trustee of Southall Community Alliance" left:yes',
        "/meeting note 6 Partners want the hubs where the Southall joined-up approach already works",
        '/meeting item 6 agreed as amended "Two pilot hubs in Southall, reviewed at the March meeting"',
        "/action add Draft the pilot hubs plan <@UCREIGHT1|Robert Creighton> by next meeting item:6",
        "/meeting item 7 noted",
    ):
        _step(out, console, SECRETARY, line)
    clock.set(dt.datetime(2019, 10, 10, 11, 50, tzinfo=LONDON))
    _step(out, console, SECRETARY, "/meeting end")
    clock.set(dt.datetime(2019, 10, 14, 9, 30, tzinfo=LONDON))
    out.write("\n— Monday 14 October: the secretariat sends the minutes to every member —\n")
    _step(out, console, SECRETARY, "/meeting minutes circulate")
    _step(out, console, CHAIR, "/plan")  # the deferred item, on the January meeting's plan
    clock.set(dt.datetime(2020, 1, 20, 10, 0, tzinfo=LONDON))
    out.write("\n— Monday 20 January 2020: the next meeting agrees the minutes of the last, which are confirmed —\n")
    for line in ("/meeting start",
                 "/meeting attend <@UBELL01|Cllr Julian Bell> <@UJENKINS1|Supt Ian Jenkins> "
                 "<@UMATHARU1|Inder Matharu> <@UBASRAN1|Janpal Basran> <@ULOWE0001|Julie Lowe>",
                 "/meeting item 3 agreed",
                 '/meeting item 4 agreed "Skills and employment is the theme for 2020-21"'):
        _step(out, console, SECRETARY, line)
    clock.set(dt.datetime(2020, 1, 20, 11, 30, tzinfo=LONDON))
    _step(out, console, SECRETARY, "/meeting end")
    _step(out, console, CHAIR, "/meeting minutes versions 2019-10-10")
    clock.set(was)
    console.delivery.files, console.delivery.max_lines = files, lines
