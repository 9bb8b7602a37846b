"""Render what members see in Slack as text, from the real commands, handlers, job and templates: docs/views.md.

There is no Slack workspace here to take screenshots in. This script builds a small board on a throw-away
SQLite database with the clock fixed at Tuesday 16 July 2019, 09:30 in London, runs the real slash
commands, the Home tab's handler and the chase-actions job, and prints each view with the console
transport's Block Kit-to-text rendering (bot/console.py): buttons as `[Label]`, form inputs as `[value ▾]`.

    python docs/render_views.py           # rewrite docs/views.md and the examples in docs/commands.md
    python docs/render_views.py --check   # exit 1 if either is out of date
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.clock import FixedClock  # noqa: E402
from bot.console import payload_to_text  # noqa: E402
from bot.runtime import Runtime, build_runtime, run_command, run_handler  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from handlers import action_forms, attendance, home, meeting_items, meeting_view  # noqa: E402
from jobs.registry import get as get_job  # noqa: E402
from store import boards, db, meetings  # noqa: E402
from store import meeting_record as record_store  # noqa: E402
from store.models import OutboxMessage  # noqa: E402
from store.outbox import Outbox  # noqa: E402

LONDON = ZoneInfo("Europe/London")
OUT = ROOT / "docs" / "views.md"
GUIDE = ROOT / "docs" / "commands.md"  # the user guide, whose examples block (between the markers) is rendered here
BEGIN, END = "<!-- rendered views: begin -->", "<!-- rendered views: end -->"
CHANNEL, ADMIN, CHAIR, ALICE, BOB = "CLSPEXEC", "UADMIN", "UJULIAN", "UALICE", "UBOB"


def _command(runtime: Runtime, user: str, command: str, text: str, channel: str = CHANNEL) -> Any:
    outcome = run_command(runtime, command, user_id=user, channel_id=channel, text=text)
    assert outcome.ok, outcome.payload
    return outcome


def _names(runtime: Runtime):
    def name_of(user_id: str) -> str:
        with db.session_scope(runtime.sessions) as session:
            member = boards.get_member(session=session, slack_user_id=user_id)
            return member.display_name if member else user_id
    return name_of


def build_board(runtime: Runtime, clock: FixedClock) -> None:
    """The LSP Executive, three members, a meeting, and Alice's actions (one raised a fortnight ago)."""
    _command(runtime, ADMIN, "/lsp", f'board create "LSP Executive" chair:<@{CHAIR}|julian> org:"LB Ealing"')
    _command(runtime, CHAIR, "/lsp", f'member add <@{ALICE}|alice> org:"Ealing PCT"')
    _command(runtime, CHAIR, "/lsp", f'member add <@{BOB}|bob> org:"Metropolitan Police"')
    _command(runtime, CHAIR, "/plan", 'meeting add 2019-10-10 10:00 venue:"Southall Town Hall"')
    now = clock.now()
    clock.set(dt.datetime(2019, 7, 1, 10, 0, tzinfo=LONDON))
    _command(runtime, CHAIR, "/action", f"add Send the CCG the data-sharing draft <@{ALICE}|alice> by 2019-07-10")
    clock.set(now)
    _command(runtime, CHAIR, "/action", f"add Circulate the Northolt recommendations <@{ALICE}|alice> by 2019-07-17")
    _command(runtime, CHAIR, "/action", f"add Map support for young people in Southall <@{ALICE}|alice> by 2019-07-31")
    _command(runtime, ALICE, "/action", "add Find a venue for the away day")
    with db.session_scope(runtime.sessions) as session:  # Alice's Slack profile says she is in Paris this month
        boards.set_timezone(session=session, slack_user_id=ALICE, timezone="Europe/Paris")


def render_all() -> tuple[str, str]:
    """docs/views.md, and the examples block of docs/commands.md (the Home tab, a reminder, the /action add form)."""
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings({"DATABASE_URL": f"sqlite:///{Path(folder) / 'views.db'}", "LSPBOT_ADMINS": ADMIN},
                                 env_file=None)
        clock = FixedClock(dt.datetime(2019, 7, 16, 9, 30, tzinfo=LONDON))
        runtime = build_runtime(settings, clock=clock, migrate=True)
        try:
            return _render(runtime, clock)
        finally:
            runtime.close()


def _render(runtime: Runtime, clock: FixedClock) -> tuple[str, str]:
    build_board(runtime, clock)
    names = _names(runtime)
    home_tab = run_handler(runtime, home.handle_home, user_id=ALICE, channel_id=None,
                           values={"workspace_url": "https://lsp.slack.com/"}).payload
    _command(runtime, ALICE, "/agenda", 'add "Joint apprenticeship programme" lead:"Ealing PCT/DWP"')
    chair_home = run_handler(runtime, home.handle_home, user_id=CHAIR, channel_id=None,
                             values={"workspace_url": "https://lsp.slack.com/"}).payload

    opened = _command(runtime, ALICE, "/action", "add").open_modal
    form = runtime.renderer(opened["template"], opened["data"])
    from_message = run_handler(runtime, action_forms.handle_action_from_message, user_id=ALICE, channel_id=CHANNEL,
                               values={"channel_id": CHANNEL, "message_ts": "1563265000.000100", "message_user": BOB,
                                       "message_text": f"<@{ALICE}> could you send partners the Northolt report "
                                                       "before the meeting?"}).open_modal
    shortcut_form = runtime.renderer(from_message["template"], action_forms.with_permalink(
        from_message, "https://lsp.slack.com/archives/CLSPEXEC/p1563265000000100")["data"])

    clock.set(dt.datetime(2019, 7, 17, 9, 0, tzinfo=LONDON))
    with db.session_scope(runtime.sessions) as session:
        board = boards.get_by_channel(session=session, channel_id=CHANNEL)
        get_job("chase-actions").run(session, clock, Outbox(session, runtime.renderer, clock.now), board)
        reminder = session.query(OutboxMessage).filter(OutboxMessage.target == ALICE,
                                                       OutboxMessage.key.like("chase:%")).one().payload

    attendance_view, substitute_form = _attendance(runtime)
    meeting_message, item_message, outcome_form = _meeting(runtime)
    draft_minutes = _minutes(runtime, clock)

    def shown(payload: dict[str, Any]) -> str:
        return "```text\n" + payload_to_text(payload, names) + "\n```\n"

    examples = "\n".join([
        BEGIN,
        "Alice's Home tab (her Slack profile puts her in Paris; the board meets in London):",
        "",
        shown(home_tab),
        "The next morning's reminder in her direct messages (each click updates it in place):",
        "",
        shown(reminder),
        "`/action add` with no text:",
        "",
        shown(form) + END,
    ])
    return "\n".join([
        "# What members see",
        "",
        "Rendered as text from the real templates by `python docs/render_views.py` (there is no Slack workspace",
        "here to take screenshots in): a board made with the real commands on a throw-away database, the clock",
        "at Tuesday 16 July 2019, 09:30 in London. Buttons show as `[Label]`, form inputs as `[value ▾]`,",
        "mentions as `@name`, and dates as the fallback text inside Slack's `<!date^…>`, which Slack itself",
        "shows on each reader's clock. Alice's Slack profile puts her in Paris, so her Home tab gives her",
        "times first and the venue's beside them.",
        "",
        "## The Home tab (Alice)",
        "",
        "Published with `views.publish` when she opens the app. Done, Add update and Snooze are the reminder's",
        "own buttons; clicked here, the Home tab is published again showing the new state.",
        "",
        shown(home_tab),
        "The chair's Home tab adds a summary of each board they run (the secretariat's too):",
        "",
        shown(chair_home),
        "## A reminder in Alice's direct messages (chase-actions, Wednesday 17 July, 09:00)",
        "",
        "Each click updates this message in place (`chat.update`), so a button is never clicked twice;",
        "a late click on an action already closed is answered politely and changes nothing.",
        "",
        shown(reminder),
        "## The `/action add` form",
        "",
        "`/action add` with no text opens it. A refusal is shown on the field at fault",
        "(`response_action: errors`): an owner not on the board, a due date in the past, an empty text.",
        "",
        shown(form),
        "## \"Create action from message\"",
        "",
        "The message shortcut opens the same form pre-filled with the message and its author as the owner;",
        "the message's permalink (`chat.getPermalink`) is added to the open form and kept on the action. Where",
        "Slack gives none (a private channel or DM the bot is not in) the link is built from the workspace's",
        "address, as Slack builds its permalinks.",
        "",
        shown(shortcut_form),
        "## Who is coming (`/meeting attendance`)",
        "",
        "The published agenda and the request for partner updates carry **Attending**, **Apologies** and",
        "**Sending a substitute**; each member clicks for themselves. With the board's quorum set to",
        "`members:1/2 orgs:3 chair:yes`, Alice coming and Bob sending someone in his place:",
        "",
        shown(attendance_view),
        "**Sending a substitute** opens this form (Bob is the only member from his organisation, so there is no",
        "colleague to choose; with colleagues on the board, a select of them comes first):",
        "",
        shown(substitute_form),
        "## In the meeting (`/meeting start`)",
        "",
        "The meeting's message in the board's channel, once the secretariat has recorded who is there with",
        "`/meeting attend` and `/meeting apologies` (**Present/apologies** opens a form for the same, used once;",
        "Bob's substitute, named before the meeting, keeps it quorate):",
        "",
        shown(meeting_message),
        "One of the items in its thread, with a note, a declaration and its outcome recorded; the buttons stay",
        "until the meeting ends:",
        "",
        shown(item_message),
        "**Outcome** opens this form:",
        "",
        shown(outcome_form),
        "## The draft minutes (the chair's and the secretariat's direct messages)",
        "",
        "Sent when the meeting ends (`/meeting end`), with the Word and Markdown files: the meeting above, with an",
        "action raised against item 3 (`/action add … item:3`), ended.",
        "",
        shown(draft_minutes),
    ]), examples


def _minutes(runtime: Runtime, clock: FixedClock) -> dict[str, Any]:
    """The draft minutes the chair gets when the meeting of 10 October (opened in `_meeting`) ends, with an action
    raised against item 3."""
    _command(runtime, CHAIR, "/action", f"add Send partners the Northolt figures by ward <@{ALICE}|alice> "
                                        "by 2019-10-31 item:3")
    clock.set(dt.datetime(2019, 10, 10, 11, 50, tzinfo=LONDON))
    _command(runtime, CHAIR, "/meeting", "end")
    with db.session_scope(runtime.sessions) as session:
        return session.query(OutboxMessage).filter(OutboxMessage.target == CHAIR,
                                                   OutboxMessage.key.like("minutes-draft:%"),
                                                   OutboxMessage.key.not_like("%:file%")).one().payload


def _attendance(runtime: Runtime) -> tuple[dict[str, Any], dict[str, Any]]:
    """The chair's `/meeting attendance` once Alice has said she is coming and Bob has named a substitute, and
    the substitute's form as Bob sees it."""
    with db.session_scope(runtime.sessions) as session:
        meeting = meetings.next_meeting(session=session, board_id=boards.get_by_channel(
            session=session, channel_id=CHANNEL).id, after=dt.date(2019, 7, 17))
        value = {"value": str(meeting.id)}
    _command(runtime, CHAIR, "/lsp", "board set quorum members:1/2 orgs:3 chair:yes")
    run_handler(runtime, attendance.handle_attending_button, user_id=ALICE, channel_id=CHANNEL, values=value)
    opened = run_handler(runtime, attendance.handle_substitute_button, user_id=BOB, channel_id=CHANNEL,
                         values=value).open_modal
    form = runtime.renderer(opened["template"], opened["data"])
    run_handler(runtime, attendance.handle_substitute_submission, user_id=BOB, channel_id=None, values={
        "private_metadata": form["private_metadata"], "substitute_name": "Priya Shah",
        "substitute_email": "priya.shah@met.police.uk"})
    return _command(runtime, CHAIR, "/meeting", "attendance").payload, form


def _meeting(runtime: Runtime) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The meeting of 10 October opened by the chair, who is there recorded, item 3 noted with a note and a
    declaration: the meeting's message, item 3's message, and item 3's Outcome form."""
    _command(runtime, CHAIR, "/meeting", "start 2019-10-10")
    _command(runtime, CHAIR, "/meeting", f'attend <@{ALICE}|alice> <@{CHAIR}|julian> "Sam Patel (CCG)"')
    _command(runtime, CHAIR, "/meeting", f"apologies <@{BOB}|bob>")
    _command(runtime, CHAIR, "/meeting", "note 3 The Northolt recommendations went to every partner")
    _command(runtime, CHAIR, "/meeting", f'declare <@{ALICE}|alice> item:3 "Trustee of the Northolt Trust"')
    _command(runtime, CHAIR, "/meeting", "item 3 noted")
    with db.session_scope(runtime.sessions) as session:
        board = boards.get_by_channel(session=session, channel_id=CHANNEL)
        record = record_store.open_record(session=session, board_id=board.id)
        item = record_store.item_by_number(session=session, meeting_id=record.meeting_id, number=3)
        meeting_message = runtime.renderer(meeting_view.MEETING_TEMPLATE, meeting_view.meeting_data(
            session, board, record.meeting, record))
        item_message = runtime.renderer(meeting_view.ITEM_TEMPLATE, meeting_view.items_data(session, record, [item])[0])
        value = f"{record.meeting_id}|3"
    opened = run_handler(runtime, meeting_items.handle_outcome_button, user_id=CHAIR, channel_id=CHANNEL,
                         values={"value": value}).open_modal
    return meeting_message, item_message, runtime.renderer(opened["template"], opened["data"])


def with_examples(guide: str, block: str) -> str:
    """The user guide with its examples block (between the markers) replaced."""
    start, end = guide.index(BEGIN), guide.index(END) + len(END)
    return guide[:start] + block + guide[end:]


def main(argv: list[str]) -> int:
    text, block = render_all()
    guide = with_examples(GUIDE.read_text(encoding="utf-8"), block)
    if "--check" in argv:
        stale = [p for p, want in ((OUT, text), (GUIDE, guide))
                 if not p.exists() or p.read_text(encoding="utf-8") != want]
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run python docs/render_views.py", file=sys.stderr)
        return 1 if stale else 0
    OUT.write_text(text, encoding="utf-8")
    GUIDE.write_text(guide, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} and the examples in {GUIDE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
