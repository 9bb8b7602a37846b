"""`lspbot decisions export`: the decisions register as CSV, for a spreadsheet or the council's records."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path
from typing import TextIO

from bot.settings import Settings

HEADER = ["minute", "board", "date", "item", "lead", "outcome", "decision"]


def add_parsers(sub: argparse._SubParsersAction) -> None:
    decisions = sub.add_parser("decisions", help="the decisions register")
    dsub = decisions.add_subparsers(dest="decisions_command", required=True)
    export = dsub.add_parser("export", help="write every decision (of every board, or one) as CSV, newest first")
    export.add_argument("--format", choices=["csv"], default="csv")
    export.add_argument("--board", metavar="NAME")
    export.add_argument("--output", metavar="FILE", help="the file to write (default: standard output)")
    export.add_argument("--no-bom", dest="bom", action="store_false",
                        help="leave out the UTF-8 byte-order mark Excel needs to read accents")
    export.set_defaults(func=cmd_decisions_export)


def write_decisions(out: TextIO, rows: list[dict], *, bom: bool) -> None:
    """The header row and one row per decision, each cell safe from spreadsheet formulas."""
    from bot.cli.main import _csv_safe

    if bom:
        out.write("\ufeff")  # Excel reads the file as UTF-8 only with it
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for d in rows:
        writer.writerow([_csv_safe(d["minute"]), _csv_safe(d["board"]), d["date"].isoformat(), _csv_safe(d["title"]),
                         _csv_safe(d["lead"]), d["outcome"], _csv_safe(d["decision"])])


def cmd_decisions_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.plan import CliError, _run
    from handlers.decisions import decision_data
    from store import boards
    from store import decisions as decision_store

    def work(session, now) -> int:
        board_id = None
        if args.board:
            board = boards.get_by_name(session=session, name=args.board)
            if board is None:
                raise CliError(f"no board called {args.board!r}")
            board_id = board.id
        rows = [decision_data(r) for r in decision_store.decisions(session=session, board_id=board_id)]
        if args.output:
            path = Path(args.output)
            try:
                with path.open("w", encoding="utf-8", newline="") as out:
                    write_decisions(out, rows, bom=args.bom)
            except OSError as exc:
                raise CliError(f"cannot write {path}: {exc}") from None
            print(f"wrote {len(rows)} decision{'s' if len(rows) != 1 else ''} to {path}", file=sys.stderr)
            return 0
        try:
            write_decisions(sys.stdout, rows, bom=args.bom)
            sys.stdout.flush()
        except BrokenPipeError:  # `lspbot decisions export | head`: the reader has gone; not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0

    return _run(settings, work)
