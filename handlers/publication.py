"""The publication clock of a meeting's agenda pack and the deadline of its papers.

The pack is published `publication_days` *clear* working days before the meeting (Local Government Act 1972
s.100B): the day of publication and the day of the meeting do not count, nor do weekends or the bank holidays
of the board's calendar (its `holidays` setting). Papers are due from their authors `paper_deadline_days`
working days before the publication date.

For a meeting on Thursday 17 October 2019 with the defaults (5 and 3): the clear days are 10, 11, 14, 15
and 16 October, so the pack is published on Wednesday 9 October and papers are due on Friday 4 October.
"""

from __future__ import annotations

import datetime as dt

from handlers.board_rules import BoardConfig, WorkingCalendar


def publication_date(meeting_date: dt.date, config: BoardConfig) -> dt.date:
    """The working day the meeting's pack is published: `publication_days` clear working days before the
    meeting (neither the publication's day nor the meeting's counts)."""
    calendar = WorkingCalendar(config.holidays)
    return calendar.add_working_days(meeting_date, -(config.publication_days + 1))


def paper_deadline(meeting_date: dt.date, config: BoardConfig) -> dt.date:
    """The working day the meeting's papers are due: `paper_deadline_days` working days before its
    publication date (the publication date itself when the setting is 0)."""
    calendar = WorkingCalendar(config.holidays)
    return calendar.add_working_days(publication_date(meeting_date, config), -config.paper_deadline_days)
