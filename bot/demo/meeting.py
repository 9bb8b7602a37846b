"""The demo's meeting: the 10 October 2019 meeting of the slide's forward plan held in meeting mode — the agenda
published and the replies to it, a declared interest, attendance, outcomes agreed, noted and deferred, two
actions raised at their items — its minutes drafted and circulated, and confirmed at the next meeting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.console import Console
from bot.demo.plan import _step
from bot.render.documents import write_documents
from bot.runtime import Runtime

LONDON = ZoneInfo("Europe/London")
CHAIR, SECRETARIAT = "UBELL01", "UWILSON1"
MAX_LINES = 12  # each message cut to this many lines: the minutes go to every member


def _at(clock: FixedClock, out: TextIO, when: dt.datetime, what: str) -> None:
    clock.set(when)
    out.write(f"\n— {when:%A %-d %B %Y, %H:%M}: {what} —\n")


def _in_the_room(out: TextIO, console: Console, clock: FixedClock, line: str, minutes: int = 6) -> None:
    """A step of the meeting, taken by the secretariat a few minutes after the last (so the minutes say how long it ran)."""
    clock.advance(dt.timedelta(minutes=minutes))
    _step(out, console, SECRETARIAT, line)


def run_meeting_prep(console: Console, out: TextIO, clock: FixedClock) -> None:
    """A week before: the quorum set, the agenda published with its reply buttons, replies typed, an interest declared."""
    _at(clock, out, dt.datetime(2019, 10, 3, 10, 0, tzinfo=LONDON),
        "the chair sets the quorum and opens the board's web pages to the public; members say whether they are "
        "coming")
    _step(out, console, CHAIR, "/lsp board set quorum members:1/3 orgs:3 chair:yes")
    _step(out, console, CHAIR, "/lsp board set public yes")
    _step(out, console, "UROPER01", "/lsp web")
    _step(out, console, "UROPER01", "/plan ics feed")
    _step(out, console, "UCREIGHT1", "/meeting reply attending 10 October 2019")
    _step(out, console, "UMATHARU1", "/meeting reply apologies 10 October 2019")
    _step(out, console, "ULOWE0001", '/meeting reply substitute "Dr Sam Patel" email:sam.patel@nhs.net 10 October 2019')
    _step(out, console, "UBASRAN1",
          '/lsp interests declare "Trustee of Southall Community Alliance, which seeks council funding for community '
          'hubs" kind:non-pecuniary')
    _step(out, console, SECRETARIAT, "/meeting attendance 10 October 2019")


def run_meeting_demo(runtime: Runtime, console: Console, out: TextIO, clock: FixedClock, workdir: Path) -> list[Path]:
    """The meeting itself, run by the secretariat with `/meeting` commands; its draft minutes left in `workdir`."""
    _at(clock, out, dt.datetime(2019, 10, 10, 10, 0, tzinfo=LONDON),
        "the meeting: the secretariat opens it in the board's channel and records it as it goes")
    _step(out, console, SECRETARIAT, "/meeting start")
    _in_the_room(out, console, clock, "/meeting attend <@UBELL01|Cllr Julian Bell> <@UWILSON1|Maggie Wilson> "
                                      "<@UJENKINS1|Supt Ian Jenkins> <@UCREIGHT1|Robert Creighton> "
                                      "<@UBASRAN1|Janpal Basran> <@UWHITTLE1|Paula Whittle> <@UROPER01|Andy Roper> "
                                      '"Dr Sam Patel"')
    _in_the_room(out, console, clock, "/meeting apologies <@UMATHARU1|Inder Matharu> <@ULOWE0001|Julie Lowe>")
    _in_the_room(out, console, clock, '/meeting item 4 agreed "The LSP Annual Report goes to Overview and Scrutiny on '
                                      '5 November 2019, with the partners\' comments added"')
    _in_the_room(out, console, clock, "/meeting note 5 Partners favour skills and employment as the theme for 2020; "
                                      "the police ask that youth safety stays in it")
    _in_the_room(out, console, clock, "/meeting item 5 noted")
    _in_the_room(out, console, clock, "/action add Draft the 2020 theme paper on skills and employment "
                                      "<@UWHITTLE1|Paula Whittle> by 6 January 2020 item:5")
    _in_the_room(out, console, clock, '/meeting item 6 agreed "Proceed on the terms offered for the site; the chair '
                                      'to agree the final terms"')  # the confidential item, held in private
    _in_the_room(out, console, clock, '/meeting declare <@UBASRAN1|Janpal Basran> item:7 "Trustee of Southall '
                                      'Community Alliance" left:yes')
    _in_the_room(out, console, clock, "/meeting item 7 deferred")
    _in_the_room(out, console, clock, "/action add Cost the community hubs proposal with the council's property team "
                                      "<@UROPER01|Andy Roper> by 10 January 2020 item:7")
    _in_the_room(out, console, clock, '/meeting item 8 noted "Performance at quarter 1 noted; red measures to come '
                                      'back with recovery plans"')
    _in_the_room(out, console, clock, "/meeting end", minutes=15)
    out.write("\n— The secretariat reads the draft minutes and circulates them —\n")
    outcome = _step(out, console, SECRETARIAT, "/meeting minutes 10 October 2019")
    written = write_documents(runtime.renderer, outcome.documents, workdir) if outcome else []
    if written:
        out.write("\nThe draft minutes are in " + str(workdir) + ":\n")
        for path in written:
            out.write(f"  {path}\n")
    lines, console.delivery.max_lines = console.delivery.max_lines, MAX_LINES
    out.write(f"(each member's copy cut to {MAX_LINES} lines here)\n")
    _step(out, console, SECRETARIAT, "/meeting minutes circulate")
    console.delivery.max_lines = lines
    _step(out, console, CHAIR, "/plan")  # the deferred item, on the January meeting's plan with where it came from
    return written


def run_confirmation_demo(console: Console, out: TextIO, clock: FixedClock) -> None:
    """The next meeting confirms the minutes (its "Minutes of the last meeting" item agreed) and takes the item
    deferred to it; then the decisions register and the register of interests."""
    _at(clock, out, dt.datetime(2020, 1, 20, 10, 0, tzinfo=LONDON),
        "the next meeting agrees the minutes of 10 October as a true record and takes the deferred item")
    _step(out, console, SECRETARIAT, "/meeting start")
    _in_the_room(out, console, clock, "/meeting attend <@UBELL01|Cllr Julian Bell> <@UWILSON1|Maggie Wilson> "
                                      "<@UCREIGHT1|Robert Creighton> <@UMATHARU1|Inder Matharu> "
                                      "<@UBASRAN1|Janpal Basran> <@UROPER01|Andy Roper> <@ULOWE0001|Julie Lowe>")
    _in_the_room(out, console, clock, "/meeting apologies <@UJENKINS1|Supt Ian Jenkins> <@UWHITTLE1|Paula Whittle>")
    _in_the_room(out, console, clock, "/meeting item 3 agreed")
    _in_the_room(out, console, clock, '/meeting declare <@UBASRAN1|Janpal Basran> item:4 "Trustee of Southall '
                                      'Community Alliance" left:yes')
    _in_the_room(out, console, clock, '/meeting item 4 agreed "Two community hubs open in Southall from April 2020, '
                                      'within the costs Ealing CVS set out"')
    _in_the_room(out, console, clock, "/meeting item 5 noted")
    lines, console.delivery.max_lines = console.delivery.max_lines, MAX_LINES
    _in_the_room(out, console, clock, "/meeting end", minutes=10)
    console.delivery.max_lines = lines
    _step(out, console, CHAIR, "/meeting minutes versions 2019-10-10")
    _step(out, console, "UROPER01", "/meeting minutes 10 October 2019")
    _step(out, console, "UROPER01", "/lsp decisions")
    _step(out, console, "UJENKINS1", "/lsp interests all")
