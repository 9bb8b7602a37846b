"""The `lspbot` command line."""

from __future__ import annotations

import argparse
import csv
import ctypes
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.exc import OperationalError

from bot.settings import Settings, SettingsError, load_settings
from store.db import SchemaMismatch

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger("lspbot")

# Domains add their own subcommands: each module has `add_parsers(subparsers)` (one line each below).
CLI_MODULES: list[str] = [
    "bot.cli.decisions",
    "bot.cli.doctor",
    "bot.cli.jobs",
    "bot.cli.members",
    "bot.cli.plan",
    "bot.cli.report",
]


def _setup_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=getattr(logging, settings.log_level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


MALLOC_ARENAS = 2  # glibc heaps the server's threads share (glibc's own limit is 8 per core)
_M_ARENA_MAX = -8  # glibc's mallopt() parameter number for the limit that MALLOC_ARENA_MAX sets


def _share_malloc_arenas() -> None:
    """Let the server's threads share MALLOC_ARENAS of glibc's heaps, as MALLOC_ARENA_MAX=2 would (unless the
    environment sets that itself). Left to glibc, each thread that allocates while another does gets a heap of its
    own, which keeps the memory freed in it; once the seen-set's purge ran alongside requests, the resident set
    crept up by about 2 MiB every few thousand requests. Must run before the threads start; nothing off glibc."""
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc
        return
    mallopt(_M_ARENA_MAX, MALLOC_ARENAS)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    _share_malloc_arenas()
    from bot.health import HealthProbe
    from bot.slack.app import create_app
    from bot.runtime import build_runtime
    from bot.services.scheduler import JobScheduler
    from bot.services.sender import build_sender
    from bot.slack.web import make_wsgi, serve_http

    required = ["SLACK_BOT_TOKEN"] + (["SLACK_APP_TOKEN"] if args.socket else ["SLACK_SIGNING_SECRET"])
    settings.require(*required)
    runtime = build_runtime(settings, check_schema=True)
    from bot.cli.doctor import libreoffice_missing

    if (missing := libreoffice_missing(settings)) is not None:
        log.warning("%s; `lspbot doctor` checks the rest", missing)
    probe = HealthProbe(runtime.engine, runtime.health)
    sender = build_sender(runtime, batch=args.outbox_batch)
    app = create_app(runtime)
    probe.start()
    sender.start()
    scheduler = handler = None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if args.socket:
            handler = _connect_socket_mode(app, settings)  # before the scheduler: a refused token starts nothing
            if handler is None:
                return 1
        scheduler = None if args.no_scheduler else JobScheduler(runtime, leader_poll=args.leader_poll)
        if scheduler:
            scheduler.start()
        if handler:
            print("lspbot connected over Socket Mode", flush=True)
            threading.Event().wait()  # the client's threads answer envelopes; SIGTERM ends the wait
        else:
            def ready(host: str, port: int) -> None:
                print(f"lspbot listening on http://{host}:{port}", flush=True)

            purges = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lspbot-seen-purge")  # not in a request
            serve_http(make_wsgi(app, runtime, purge_in=purges), args.host, args.port, threads=args.threads,
                       on_ready=ready)
    finally:
        if handler:
            handler.close()
        if scheduler:
            scheduler.stop()
        sender.stop()
        probe.stop()
        runtime.close()
    return 0


def _connect_socket_mode(app: App, settings: Settings) -> SocketModeHandler | None:
    """Open the Socket Mode connection (apps.connections.open, then the WebSocket) before saying so. A token
    Slack refuses stops the command with one line (exit 2, as a missing setting does); an unreachable Slack
    with one line and exit 1: None."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.errors import SlackApiError, SlackClientError

    handler = SocketModeHandler(app, settings.slack_app_token)
    try:
        handler.connect()
    except SlackApiError as exc:
        handler.close()
        error = exc.response.get("error") if exc.response is not None else None
        raise SettingsError(f"Slack refused SLACK_APP_TOKEN for Socket Mode ({error or exc}): it must be the "
                            "app-level token (xapp-...) with the connections:write scope") from None
    except (OSError, SlackClientError) as exc:
        handler.close()
        print(f"lspbot: could not open the Socket Mode connection: {exc}", file=sys.stderr)
        return None
    if not handler.client.is_connected():  # the WebSocket handshake was answered with something other than 101
        handler.close()
        print("lspbot: could not open the Socket Mode connection: the WebSocket handshake failed", file=sys.stderr)
        return None
    return handler


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import Console, default_channel
    from bot.runtime import build_runtime

    with build_runtime(settings) as runtime:
        user = args.as_user or (sorted(settings.admins)[0] if settings.admins else "UCONSOLE")
        channel = args.channel or default_channel(runtime, user)
        console = Console(runtime, user, channel, files=Path(args.files).resolve())
        if sys.stdin.isatty():
            print(f"lspbot console as {user} in channel {channel}. Type /lsp help; :as U123 to switch person; "
                  ":in C123 to switch channel (:in dm for a direct message); :q to quit.")
        console.loop()
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.demo.run import run_demo

    run_demo(settings, workdir=Path(args.out) if args.out else None)
    return 0


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from store import backup, db

    if args.db_command in ("backup", "restore"):
        try:
            if args.db_command == "backup":
                backup.backup(settings.database_url, Path(args.out))
                print(f"backed up to {args.out} ({Path(args.out).stat().st_size} bytes)")
                return 0
            backup.restore(settings.database_url, Path(args.file), replace=args.replace)
        except backup.BackupError as exc:
            print(f"lspbot: {exc}", file=sys.stderr)
            return 1
    engine = db.make_engine(settings.database_url, timeouts=settings.db_timeouts)
    try:
        if args.db_command == "restore":
            print(f"restored {args.file}: database at revision {db.current_revision(engine)}; "
                  "`lspbot db upgrade` brings it up to this version")
        elif args.db_command == "upgrade":
            db.upgrade(engine)
            print(f"database at revision {db.current_revision(engine)}")
        else:
            print(db.current_revision(engine) or "empty")
    finally:
        engine.dispose()
    return 0


def cmd_actions_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import build_runtime
    from store import actions, boards, db

    try:
        with build_runtime(settings) as runtime, db.session_scope(runtime.sessions) as session:
            board_id = None
            if args.board:
                board = boards.get_by_name(session=session, name=args.board)
                if board is None:
                    print(f"lspbot: no board called {args.board!r}", file=sys.stderr)
                    return 2
                board_id = board.id
            if args.bom:
                sys.stdout.write("\ufeff")  # Excel reads the file as UTF-8 only with it
            writer = csv.writer(sys.stdout, lineterminator="\r\n")
            writer.writerow(["ref", "board", "text", "owner", "organisation", "due", "status", "created", "last update",
                             "last update at"])
            for row in actions.export_rows(session=session, board_id=board_id):
                zone = ZoneInfo(row.timezone)  # times on the board's own clock, as every reply shows them
                writer.writerow([
                    f"#{row.ref}", _csv_safe(row.board), _csv_safe(row.text), _csv_safe(row.owner),
                    _csv_safe(row.organisation), row.due.isoformat() if row.due else "", row.status,
                    _on_clock(row.created, zone), _csv_safe(row.last_update), _on_clock(row.last_update_at, zone),
                ])
            sys.stdout.flush()
    except BrokenPipeError:  # `lspbot actions export | head`: the reader has gone; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _on_clock(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at else ""


def _csv_safe(value: str) -> str:
    """Stop Excel treating a cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lspbot", description="Slack bot and scheduler for a partnership board.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the bot (HTTP, or Socket Mode with --socket)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--socket", action="store_true", help="connect over Socket Mode with SLACK_APP_TOKEN")
    serve.add_argument("--threads", type=int, default=8, help="HTTP worker threads")
    serve.add_argument("--no-scheduler", action="store_true", help="leave the scheduled jobs to `lspbot scheduler`")
    serve.add_argument("--leader-poll", type=float, default=10.0, metavar="SECONDS",
                       help="how often a replica checks for (or keeps) the scheduler lock on PostgreSQL")
    serve.add_argument("--outbox-batch", type=int, default=50, metavar="N",
                       help="messages the sender claims from the outbox at a time")
    serve.set_defaults(func=cmd_serve)

    console = sub.add_parser("console", help="a shell that shows what Slack would show")
    console.add_argument("--as", dest="as_user", metavar="U123", help="the Slack user id to act as")
    console.add_argument("--channel", metavar="C123", help="the channel to type in (default: your first board's)")
    console.add_argument("--files", metavar="DIR", default="lspbot-files",
                         help="folder where files sent to you (agendas, reports, charts) are saved (default: lspbot-files)")
    console.set_defaults(func=cmd_console)

    demo = sub.add_parser("demo", help="a scripted walk through a board's cycle on a throw-away database")
    demo.add_argument("--out", metavar="DIR", help="folder for the demo's database and documents")
    demo.set_defaults(func=cmd_demo)

    dbp = sub.add_parser("db", help="database schema")
    dbsub = dbp.add_subparsers(dest="db_command", required=True)
    dbsub.add_parser("upgrade", help="apply migrations")
    dbsub.add_parser("current", help="show the schema revision")
    dump = dbsub.add_parser("backup", help="write a consistent copy of the database to a file, while the bot runs")
    dump.add_argument("--out", required=True, metavar="FILE",
                      help="the file to write (SQLite: a database file; PostgreSQL: pg_dump's custom format)")
    load = dbsub.add_parser("restore", help="replace the database with a backup (stop the bot first)")
    load.add_argument("file", metavar="FILE", help="a file written by `lspbot db backup`")
    load.add_argument("--replace", action="store_true", help="overwrite a database that is not empty")
    dbp.set_defaults(func=cmd_db)

    actions = sub.add_parser("actions", help="the action log")
    asub = actions.add_subparsers(dest="actions_command", required=True)
    export = asub.add_parser("export", help="write every action as CSV to standard output")
    export.add_argument("--board", metavar="NAME")
    export.add_argument("--format", choices=["csv"], default="csv")
    export.add_argument("--no-bom", dest="bom", action="store_false",
                        help="leave out the UTF-8 byte-order mark Excel needs to read accents")
    export.set_defaults(func=cmd_actions_export)
    for module in CLI_MODULES:
        importlib.import_module(module).add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    """The command line; `environ` in place of the process's environment (and no .env file), for a caller that
    runs a command in its own process."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings() if environ is None else load_settings(environ, env_file=None)
    except SettingsError as exc:
        print(f"lspbot: {exc}", file=sys.stderr)
        return 2
    _setup_logging(settings)
    try:
        return args.func(args, settings)
    except (SettingsError, SchemaMismatch) as exc:
        print(f"lspbot: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:  # at start-up: the database cannot be reached
        reason = str(exc.orig or exc).strip().splitlines()
        print(f"lspbot: the database cannot be reached: {reason[0] if reason else exc.__class__.__name__}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
