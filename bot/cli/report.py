"""`lspbot report annual|quarter`: the annual report for scrutiny and the quarterly performance report,
written as Word, Markdown and a PNG chart without Slack."""

from __future__ import annotations

import argparse
import datetime as dt
from zoneinfo import ZoneInfo

from bot.cli.plan import CliError, _board, _run
from bot.settings import Settings


def add_parsers(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="performance reports: the annual report for scrutiny, the quarterly report")
    rsub = report.add_subparsers(dest="report_command", required=True)
    annual = rsub.add_parser("annual", help="write a year's annual report (.docx, .md and a chart .png)")
    annual.add_argument("--board", metavar="NAME", help="the board (needed when there is more than one)")
    annual.add_argument("--year", type=int, metavar="YYYY",
                        help="the reporting year, by the calendar year it starts in (default: the current one)")
    annual.add_argument("--out", metavar="DIR", default=".", help="folder to write to (default: here)")
    annual.set_defaults(func=cmd_report_annual)
    quarter = rsub.add_parser("quarter", help="write a quarter's performance report (.docx, .md and a chart .png)")
    quarter.add_argument("--board", metavar="NAME")
    quarter.add_argument("--quarter", metavar="2019-Q2", help="the quarter (default: the last one complete)")
    quarter.add_argument("--out", metavar="DIR", default=".", help="folder to write to (default: here)")
    quarter.set_defaults(func=cmd_report_quarter)


def _today(board, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(board.timezone)).date()


def cmd_report_annual(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.reports import annual_document, annual_report_data
    from store.quarters import Quarter, year_bounds, year_start_month

    def work(session, now: dt.datetime) -> int:
        board = _board(session, args.board)
        today = _today(board, now)
        start_month = year_start_month(board.settings)
        year = args.year if args.year is not None else Quarter.containing(today, start_month).year
        if year_bounds(year, start_month)[0] > today:
            raise CliError(f"the year {year} has not started yet")
        data = annual_report_data(session=session, board=board, year=year, today=today)
        return [annual_document(data)]

    return _run(settings, work, documents_to=args.out)


def cmd_report_quarter(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.reports import quarter_document, quarter_report_data
    from store.quarters import EXAMPLES, Quarter, year_start_month

    def work(session, now: dt.datetime) -> int:
        board = _board(session, args.board)
        today = _today(board, now)
        start_month = year_start_month(board.settings)
        if args.quarter:
            try:
                quarter = Quarter.parse(args.quarter, start_month)
            except ValueError:
                raise CliError(f"{args.quarter!r} is not a quarter (for example {', '.join(EXAMPLES)})") from None
        else:
            quarter = Quarter.reported_on(today, start_month)  # the last quarter complete, as in Slack
        if quarter.start > today:
            raise CliError(f"{quarter.title} has not started yet")
        data = quarter_report_data(session=session, board=board, quarter=quarter, today=today)
        return [quarter_document(data)]

    return _run(settings, work, documents_to=args.out)

