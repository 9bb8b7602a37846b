"""The natural due-date grammar, form by form."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.dates import DateParseError, parse_absolute_date, parse_date

TUESDAY = dt.date(2019, 7, 16)
FRIDAY = dt.date(2019, 7, 19)


def next_meeting() -> dt.date:
    return dt.date(2019, 10, 10)


@pytest.mark.parametrize(
    ("phrase", "today", "expected"),
    [
        ("Friday", TUESDAY, dt.date(2019, 7, 19)),
        ("friday", FRIDAY, dt.date(2019, 7, 26)),  # a bare weekday is always after today
        ("fri", TUESDAY, dt.date(2019, 7, 19)),
        ("next Friday", TUESDAY, dt.date(2019, 7, 26)),
        ("next Friday", FRIDAY, dt.date(2019, 7, 26)),
        ("next Monday", dt.date(2019, 7, 21), dt.date(2019, 7, 22)),  # said on a Sunday
        ("15 July", TUESDAY, dt.date(2019, 7, 15)),  # yesterday: this year's, refused as a due date for being past
        ("15 March", TUESDAY, dt.date(2020, 3, 15)),  # months past this year: next year's
        ("14 April", TUESDAY, dt.date(2020, 4, 14)),  # 92 days back at most are this year's
        ("15 April", TUESDAY, dt.date(2019, 4, 15)),
        ("15 August", TUESDAY, dt.date(2019, 8, 15)),
        ("August 15", TUESDAY, dt.date(2019, 8, 15)),
        ("1st August", TUESDAY, dt.date(2019, 8, 1)),
        ("2019-07-15", TUESDAY, dt.date(2019, 7, 15)),
        ("15/07/2019", TUESDAY, dt.date(2019, 7, 15)),
        ("5/8/2019", TUESDAY, dt.date(2019, 8, 5)),  # British day-first
        ("in 2 weeks", TUESDAY, dt.date(2019, 7, 30)),
        ("in two weeks", TUESDAY, dt.date(2019, 7, 30)),
        ("in 3 days", TUESDAY, dt.date(2019, 7, 19)),
        ("in a fortnight", TUESDAY, dt.date(2019, 7, 30)),
        ("in 1 month", dt.date(2019, 1, 31), dt.date(2019, 2, 28)),
        ("end of month", TUESDAY, dt.date(2019, 7, 31)),
        ("end of the month", dt.date(2019, 2, 3), dt.date(2019, 2, 28)),
        ("end of week", TUESDAY, dt.date(2019, 7, 19)),
        ("end of quarter", TUESDAY, dt.date(2019, 9, 30)),
        ("end of next month", TUESDAY, dt.date(2019, 8, 31)),
        ("today", TUESDAY, TUESDAY),
        ("tomorrow", TUESDAY, dt.date(2019, 7, 17)),
        ("next meeting", TUESDAY, dt.date(2019, 10, 10)),
        ("by next meeting", TUESDAY, dt.date(2019, 10, 10)),
        ("by 15 August", TUESDAY, dt.date(2019, 8, 15)),
    ],
)
def test_forms(phrase: str, today: dt.date, expected: dt.date) -> None:
    assert parse_date(phrase, today, next_meeting) == expected


@pytest.mark.parametrize("phrase", ["someday", "the partners", "32 July", "30 February", "2019-13-01",
                                    "in 2 weeks or so", "", "next blursday", "in 9999 weeks", "15 Jully 2019"])
def test_refusals_quote_the_phrase(phrase: str) -> None:
    with pytest.raises(DateParseError) as err:
        parse_date(phrase, TUESDAY, next_meeting)
    assert err.value.phrase == phrase


def test_next_meeting_without_a_plan() -> None:
    with pytest.raises(DateParseError, match="no future meeting"):
        parse_date("next meeting", TUESDAY, lambda: None)


def test_dateutil_alone_would_misread_relative_phrases() -> None:
    """Why the grammar exists: dateutil reads 'in 2 weeks' as the 2nd of the month."""
    from dateutil import parser

    assert parser.parse("in 2 weeks", fuzzy=True, default=dt.datetime(2019, 7, 16)).date() == dt.date(2019, 7, 2)
    assert parse_date("in 2 weeks", TUESDAY) == dt.date(2019, 7, 30)


@pytest.mark.parametrize(("phrase", "expected"), [
    ("2019-07-15", dt.date(2019, 7, 15)), ("15/07/2019", dt.date(2019, 7, 15)), ("5/8/2019", dt.date(2019, 8, 5)),
    ("15 July 2019", dt.date(2019, 7, 15)), ("Monday 15th July 2019", dt.date(2019, 7, 15)),
    ("July 2019", dt.date(2019, 7, 1)),
])
def test_absolute_dates_with_their_year(phrase: str, expected: dt.date) -> None:
    """The one reading of written-out dates: the plan CSV and the command line use it without a `today`."""
    assert parse_absolute_date(phrase) == expected
    assert parse_date(phrase, TUESDAY) == expected


@pytest.mark.parametrize("phrase", ["15 July", "2019", "15.07.2019", "07/15/2019", "15 July 2019 10am", "Q3 2019",
                                    "next Thursday", "9999-12-31", "2019-02-30", ""])
def test_absolute_dates_without_a_today_need_their_year(phrase: str) -> None:
    with pytest.raises(DateParseError):
        parse_absolute_date(phrase)


@pytest.mark.parametrize(("phrase", "today", "year_start_month", "expected"), [
    ("end of March", TUESDAY, 4, dt.date(2020, 3, 31)),  # more than 92 days back: next year's
    ("end of July", TUESDAY, 4, dt.date(2019, 7, 31)),
    ("end of March 2021", TUESDAY, 4, dt.date(2021, 3, 31)),
    ("end of Feb", dt.date(2020, 1, 6), 4, dt.date(2020, 2, 29)),
    ("mid-April", dt.date(2019, 3, 20), 4, dt.date(2019, 4, 15)),
    ("mid October", TUESDAY, 4, dt.date(2019, 10, 15)),
    ("middle of August", TUESDAY, 4, dt.date(2019, 8, 15)),
    ("next week", TUESDAY, 4, dt.date(2019, 7, 26)),  # the Friday of next week
    ("next week", dt.date(2019, 7, 21), 4, dt.date(2019, 7, 26)),  # said on a Sunday
    ("next week", FRIDAY, 4, dt.date(2019, 7, 26)),
    ("Q1", TUESDAY, 4, dt.date(2020, 6, 30)),  # April-June 2019 has ended: the coming Q1
    ("end of Q2", TUESDAY, 4, dt.date(2019, 9, 30)),
    ("q4", TUESDAY, 4, dt.date(2020, 3, 31)),
    ("end of Q1", TUESDAY, 1, dt.date(2020, 3, 31)),
    ("Q3", TUESDAY, 1, dt.date(2019, 9, 30)),
])
def test_common_phrases(phrase: str, today: dt.date, year_start_month: int, expected: dt.date) -> None:
    assert parse_date(phrase, today, year_start_month=year_start_month) == expected


@pytest.mark.parametrize(("phrase", "reason"), [
    ("31/02", "February has 28 days (29 in a leap year), so there is no 31 February"),
    ("30 February", "February has 28 days (29 in a leap year), so there is no 30 February"),
    ("29 February 2019", "2019 is not a leap year, so February has 28 days"),
    ("29/02/2019", "2019 is not a leap year, so February has 28 days"),
    ("31 June", "June has 30 days, so there is no 31 June"),
    ("April 31st", "April has 30 days, so there is no 31 April"),
    ("by 2021", "a year alone is not a date: say which day of 2021"),
    ("end of 2021", "a year alone is not a date: say which day of 2021"),
])
def test_refusals_say_why(phrase: str, reason: str) -> None:
    with pytest.raises(DateParseError) as err:
        parse_date(phrase, TUESDAY)
    assert err.value.reason == reason


def test_a_bare_year_comes_with_examples_of_that_year() -> None:
    with pytest.raises(DateParseError) as err:
        parse_date("2021", TUESDAY)
    assert err.value.examples == ("31 March 2021", "end of March 2021", "2021-03-31")
    assert parse_date("29 February 2020", TUESDAY) == dt.date(2020, 2, 29)
