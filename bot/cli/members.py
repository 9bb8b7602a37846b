"""`lspbot member export|erase`: a subject access export, and erasing a person (docs/data-protection.md)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from bot.settings import Settings


def cmd_member_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import build_runtime
    from handlers import personal_data
    from handlers.base import DomainError
    from store import db

    with build_runtime(settings) as runtime:
        with db.session_scope(runtime.sessions) as session:
            try:
                member = personal_data.find_person(session, args.user)
            except DomainError as exc:
                print(f"lspbot: {exc.message}", file=sys.stderr)
                return 2
            data = personal_data.export_person(session, member, now=runtime.clock.now())
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
    return 0


def cmd_member_erase(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import build_runtime
    from handlers import personal_data
    from handlers.base import DomainError
    from store import boards, db

    with build_runtime(settings) as runtime:
        with db.session_scope(runtime.sessions) as session:
            try:
                member = personal_data.find_person(session, args.user)
                board = None
                if args.board:
                    board = boards.get_by_name(session=session, name=args.board)
                    if board is None:
                        print(f"lspbot: no board called {args.board!r}", file=sys.stderr)
                        return 2
                personal_data.refuse_chairless(session, member, board)
                where = f" from {board.name}" if board else ""
                if not args.yes:
                    print(f"Erase {member.display_name} ({member.slack_user_id}){where}?")
                    for line in personal_data.what_erasing_does(member, board):
                        print(f"  - {line}")
                    if not sys.stdin.isatty():
                        print("lspbot: nothing erased; add --yes to erase without asking", file=sys.stderr)
                        return 1
                    if input("Type ERASE to go ahead: ").strip() != "ERASE":
                        print("Nothing erased.")
                        return 1
                result = personal_data.erase_person(session, member, now=runtime.clock.now(),
                                                    actor=f"cli:{getpass.getuser()}"[:40], board=board)
            except DomainError as exc:
                print(f"lspbot: {exc.message}", file=sys.stderr)
                return 2
        print(f"erased{where}: now “{result.pseudonym}” ({result.key}); {result.rows_rewritten} record(s) rewritten, "
              f"{result.messages_cancelled} unsent message(s) cancelled, {result.messages_purged} sent message(s) purged"
              + (f"; left {', '.join(result.boards_left)}" if result.boards_left else ""))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    member = sub.add_parser("member", help="one person's data: export it, or erase them")
    msub = member.add_subparsers(dest="member_command", required=True)
    export = msub.add_parser("export", help="everything held about a person, as JSON on standard output")
    export.add_argument("user", metavar="U123", help="their Slack user id (mail:… for a member by email) or email address")
    export.set_defaults(func=cmd_member_export)
    erase = msub.add_parser("erase", help="replace a person by “Former member N” everywhere (or on one board)")
    erase.add_argument("user", metavar="U123", help="their Slack user id (mail:… for a member by email) or email address")
    erase.add_argument("--board", metavar="NAME", help="only that board's record; they stay on their other boards")
    erase.add_argument("--yes", action="store_true", help="erase without asking (it cannot be undone)")
    erase.set_defaults(func=cmd_member_erase)
