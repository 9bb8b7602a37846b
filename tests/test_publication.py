"""The publication clock: a pack goes out `publication_days` clear working days before its meeting, and papers
are due `paper_deadline_days` working days before that (weekends and the board's bank holidays skipped)."""

from __future__ import annotations

import datetime as dt

from handlers.board_rules import BoardConfig, WorkingCalendar, board_config
from handlers.publication import paper_deadline, publication_date
from store.models import Board


def _config(**settings: object) -> BoardConfig:
    return board_config(Board(settings={k: str(v) for k, v in settings.items()}))


def test_five_clear_working_days_leave_out_the_publication_day_and_the_meeting_day() -> None:
    meeting = dt.date(2019, 10, 17)  # a Thursday; clear days 10, 11, 14, 15 and 16 October
    assert publication_date(meeting, _config()) == dt.date(2019, 10, 9)
    assert paper_deadline(meeting, _config()) == dt.date(2019, 10, 4)


def test_a_weekend_is_not_a_clear_day() -> None:
    meeting = dt.date(2019, 10, 14)  # a Monday; clear days 7 to 11 October
    assert publication_date(meeting, _config()) == dt.date(2019, 10, 4)
    assert paper_deadline(meeting, _config(paper_deadline_days=0)) == dt.date(2019, 10, 4)
    assert publication_date(meeting, _config(publication_days=1)) == dt.date(2019, 10, 10)


def test_bank_holidays_of_the_boards_calendar_do_not_count() -> None:
    meeting = dt.date(2024, 4, 3)  # the Wednesday after Easter: Good Friday 29 March, Easter Monday 1 April
    # clear days 2 April, 28, 27, 26 and 25 March: the pack goes out on Friday 22 March, papers due Tuesday 19
    assert publication_date(meeting, _config()) == dt.date(2024, 3, 22)
    assert paper_deadline(meeting, _config()) == dt.date(2024, 3, 19)
    # a board with no bank holidays counts them as working days
    assert publication_date(meeting, _config(holidays="none")) == dt.date(2024, 3, 26)
    assert paper_deadline(meeting, _config(holidays="none")) == dt.date(2024, 3, 21)


def test_the_deadline_and_the_publication_fall_on_working_days() -> None:
    calendar = WorkingCalendar("GB-ENG")
    start = dt.date(2024, 12, 1)
    for offset in range(60):
        meeting = start + dt.timedelta(days=offset)
        config = _config()
        published = publication_date(meeting, config)
        assert calendar.is_working_day(published)
        assert calendar.is_working_day(paper_deadline(meeting, config))
        between = [published + dt.timedelta(days=k) for k in range(1, (meeting - published).days)]
        assert sum(calendar.is_working_day(d) for d in between) == 5
