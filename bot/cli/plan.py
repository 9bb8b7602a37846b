"""`lspbot plan import|export` and `lspbot agenda draft`: the forward plan and the agenda without Slack."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from pathlib import Path

from bot.settings import Settings


def add_parsers(sub: argparse._SubParsersAction) -> None:
    plan = sub.add_parser("plan", help="the forward plan: import from CSV, export as CSV or iCalendar")
    psub = plan.add_subparsers(dest="plan_command", required=True)
    imp = psub.add_parser("import", help="load meetings and items from a CSV (ref,date,time,item,lead,kind,venue,host,theme); "
                                         "all rows or none")
    imp.add_argument("file", metavar="FILE.csv")
    imp.add_argument("--board", metavar="NAME", help="the board (needed when there is more than one)")
    imp.add_argument("--include-past", action="store_true",
                     help="accept meetings before today: the board's history (refused otherwise)")
    imp.set_defaults(func=cmd_plan_import)
    exp = psub.add_parser("export", help="write the plan to standard output")
    exp.add_argument("--format", choices=["csv", "ics"], default="csv")
    exp.add_argument("--board", metavar="NAME")
    exp.set_defaults(func=cmd_plan_export)

    agenda = sub.add_parser("agenda", help="agenda documents")
    asub = agenda.add_subparsers(dest="agenda_command", required=True)
    draft = asub.add_parser("draft", help="write a meeting's draft agenda as .docx and .md")
    draft.add_argument("--board", metavar="NAME")
    draft.add_argument("--date", metavar="YYYY-MM-DD", help="the meeting (default: the next one)")
    draft.add_argument("--out", metavar="DIR", default=".", help="folder to write to (default: here)")
    draft.set_defaults(func=cmd_agenda_draft)
    paper = asub.add_parser("paper", help="store a file (PDF or Word) as the paper of a forward-plan item: its next "
                                          "version, checked as in Slack (type, size, an item needing a paper, a "
                                          "meeting to come)")
    paper.add_argument("file", metavar="FILE")
    paper.add_argument("--board", metavar="NAME")
    paper.add_argument("--item", metavar="P4", required=True, help="the item's reference on the forward plan")
    paper.set_defaults(func=cmd_agenda_paper)


class CliError(Exception):
    pass


def _board(session, name: str | None):
    from store import boards

    if name:
        board = boards.get_by_name(session=session, name=name)
        if board is None:
            raise CliError(f"no board called {name!r}")
        return board
    every = boards.list_all(session=session)
    if len(every) != 1:
        names = ", ".join(repr(b.name) for b in every) or "none yet"
        raise CliError(f"name the board with --board (boards: {names})")
    return every[0]


def _run(settings: Settings, work, *, documents_to: str | None = None, outbox: bool = False) -> int:
    """Run `work(session, now)` in one transaction (`work(session, now, outbox)` with `outbox`: what it sends is
    queued for the running bot to deliver). With `documents_to`, the work returns documents
    (handlers.base.Document): they are rendered into that folder and each file's path printed."""
    from bot.render.documents import write_documents
    from bot.runtime import build_runtime
    from handlers.base import DomainError
    from store import db

    try:
        with build_runtime(settings) as runtime, db.session_scope(runtime.sessions) as session:
            result = work(session, runtime.clock.now(), runtime.outbox(session)) if outbox else \
                work(session, runtime.clock.now())
            if documents_to is None:
                return result
            for path in write_documents(runtime.renderer, result, Path(documents_to)):
                print(path)
            return 0
    except CliError as exc:
        print(f"lspbot: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"lspbot: {exc.message}", file=sys.stderr)
        return 1


def cmd_plan_import(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.plan_io import import_plan_csv

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"lspbot: cannot read {path}: {exc}", file=sys.stderr)
        return 2

    def work(session, now: dt.datetime) -> int:
        board = _board(session, args.board)
        s = import_plan_csv(session=session, board=board, text=text, now=now, actor="cli",
                            include_past=args.include_past)
        print(f"{board.name}: {s.line()}")
        return 0

    return _run(settings, work)


def cmd_plan_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.main import _csv_safe
    from handlers.links import Links
    from handlers.plan_ics import plan_ics
    from handlers.plan_io import export_rows

    def work(session, now: dt.datetime) -> int:
        board = _board(session, args.board)
        if args.format == "ics":
            content, _ = plan_ics(session, board, now, links=Links(settings.public_url))
            sys.stdout.buffer.write(content)
            sys.stdout.flush()
            return 0
        writer = csv.writer(sys.stdout, lineterminator="\r\n")
        for row in export_rows(session=session, board=board):
            writer.writerow([_csv_safe(cell) for cell in row])
        return 0

    return _run(settings, work)


def cmd_agenda_paper(args: argparse.Namespace, settings: Settings) -> int:
    from bot.render.pages import count_pages
    from handlers.papers import item_by_ref, pages_label, size_label, submit_paper

    path = Path(args.file)
    try:
        content = path.read_bytes()
    except OSError as exc:
        print(f"lspbot: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    pages = count_pages(content, path.name, settings.libreoffice)

    def work(session, now: dt.datetime, notify) -> int:
        board = _board(session, args.board)
        item = item_by_ref(session, board, args.item)
        done = submit_paper(session=session, notify=notify, board=board, item=item,
                            filename=path.name, content=content, pages=pages, submitted_by="cli", submitter=None,
                            actor=None, now=now)
        paper = done.paper
        counted = pages_label(paper.pages)
        print(f"{board.name}: P{item.ref} paper version {paper.version} stored: {paper.filename}, "
              f"{size_label(paper.size)}, {counted}" + (" (late: the pack was published)" if paper.late else ""))
        if done.data.get("note"):
            print(done.data["note"])
        return 0

    return _run(settings, work, outbox=True)


def cmd_agenda_draft(args: argparse.Namespace, settings: Settings) -> int:
    from zoneinfo import ZoneInfo

    from handlers.agenda import agenda_document
    from handlers.agenda_compile import compile_agenda
    from handlers.dates import DateParseError, parse_absolute_date
    from handlers.links import Links
    from store import meetings

    def work(session, now: dt.datetime) -> int:
        board = _board(session, args.board)
        today = now.astimezone(ZoneInfo(board.timezone)).date()
        if args.date:
            try:
                day = parse_absolute_date(args.date)
            except DateParseError:
                raise CliError(f"--date {args.date!r} is not a date like 2019-07-15") from None
            meeting = meetings.get_by_date(session=session, board_id=board.id, date=day)
            if meeting is None:
                raise CliError(f"{board.name} has no meeting on {day:%A %-d %B %Y}")
        else:
            meeting = meetings.next_meeting(session=session, board_id=board.id, after=today)
            if meeting is None:
                raise CliError(f"{board.name} has no meeting to come; give --date")
        page = Links(settings.public_url).meeting(board.slug, meeting.date)
        return [agenda_document(compile_agenda(session, board, meeting, today), web_url=page)]

    return _run(settings, work, documents_to=args.out)
