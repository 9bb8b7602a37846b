"""Console transport: type slash commands, see what Slack would show (DMs included), no workspace needed."""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from bot.runtime import Outcome, Runtime, run_command
from bot.services.sender import with_file_content
from bot.slack.api import Delivered
from handlers.catalogue import REGISTRY
from handlers.parsing import slack_unescape
from store import boards, db
from store import outbox as outbox_store
from store.outbox import EMAIL, FILE_ID

FORM_UNAVAILABLE_BLOCK = "form_unavailable"  # a form's fallback reply says here that Slack could not open it
FORMS_IN_SLACK = "(Forms open in Slack; the console shows none. Type the command with its text instead:)"
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")


def mrkdwn_to_text(text: str, names: Callable[[str], str]) -> str:
    """Slack mrkdwn as a terminal shows it: mentions as @name, entities decoded."""
    text = _MENTION.sub(lambda m: "@" + names(m.group(1)), text)
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    return slack_unescape(text)


def element_to_text(element: dict[str, Any], names: Callable[[str], str]) -> str:
    """A form's input as a terminal shows it: `[text …]`, `[@alice ▾]`, `[pick a date 📅]`, `[Thu 10 Oct ▾]`."""
    kind = element.get("type")
    shown = (element.get("placeholder") or {}).get("text", "")
    if kind in ("plain_text_input", "email_text_input"):
        value = element.get("initial_value") or (f"e.g. {shown}" if shown else "")
        return f"[{value}{' …' if element.get('multiline') else ''}]"
    if kind == "users_select":
        return f"[@{names(element['initial_user'])} ▾]" if element.get("initial_user") else f"[{shown or 'a person'} ▾]"
    if kind == "datepicker":
        return f"[{element.get('initial_date') or shown or 'a date'} 📅]"
    options = element.get("options") or [o for g in element.get("option_groups", []) for o in g.get("options", [])]
    labels = [o["text"]["text"] for o in options]
    if kind == "radio_buttons":
        return "  ".join(f"( ) {label}" for label in labels)
    chosen = (element.get("initial_option") or {}).get("text", {}).get("text") or shown
    return f"[{chosen} ▾] ({' | '.join(labels)})" if labels else f"[{chosen} ▾]"


def payload_to_text(payload: dict[str, Any], names: Callable[[str], str]) -> str:
    """Block Kit as plain lines (a message, the Home tab, or a form with its inputs and buttons)."""
    lines: list[str] = []
    if payload.get("type") == "modal":
        lines.append(f"┌─ {payload['title']['text']} ─┐")
    for block in payload.get("blocks") or []:
        kind = block.get("type")
        if kind == "input":
            optional = " (optional)" if block.get("optional") else ""
            lines.append(f"{block['label']['text']}{optional}: {element_to_text(block['element'], names)}")
            if block.get("hint"):
                lines.append(f"  {block['hint']['text']}")
        elif kind == "header":
            lines.append(f"== {block['text']['text']} ==")
        elif kind == "section":
            if "text" in block:
                lines.append(mrkdwn_to_text(block["text"]["text"], names))
            for f in block.get("fields", []):
                lines.append("  " + mrkdwn_to_text(f["text"], names).replace("\n", ": ", 1))
            if acc := block.get("accessory"):
                if acc.get("type") == "button":
                    lines.append(f"  [{acc['text']['text']}]")
        elif kind == "context":
            lines.append("  " + " ".join(mrkdwn_to_text(e.get("text", ""), names) for e in block.get("elements", [])))
        elif kind == "divider":
            lines.append("  ---")
        elif kind == "actions":
            lines.append("  " + " ".join(f"[{e['text']['text']}]" for e in block.get("elements", []) if "text" in e))
    if payload.get("type") == "modal":
        buttons = [payload[key]["text"] for key in ("close", "submit") if payload.get(key)]
        lines.append("└─ " + " ".join(f"[{b}]" for b in buttons) + " ─┘")
    if not lines and payload.get("text"):
        lines.append(mrkdwn_to_text(payload["text"], names))
    return "\n".join(lines)


class ConsoleDelivery:
    """Delivers outbox messages to the terminal, optionally cut to a few lines each (the demo's digest)."""

    def __init__(self, out: TextIO, names: Callable[[str], str], *, indent: str = "  ",
                 max_lines: int | None = None, files: Path | None = None) -> None:
        self.out = out
        self.names = names
        self.indent = indent
        self.max_lines = max_lines
        self.files = files  # where files sent in Slack (agendas, reports, charts) are saved; None: only named

    def deliver(self, target_kind: str, target: str, payload: dict[str, Any]) -> Delivered:
        if target_kind == EMAIL:
            return self.deliver_email(target, payload)
        where = f"DM to @{self.names(target)}" if target_kind == "user" else f"post in #{target}"
        pad = self.indent
        if payload.get("_method") == "files.upload":
            saved = ""
            if self.files is not None:
                self.files.mkdir(parents=True, exist_ok=True)
                path = self.files / Path(str(payload.get("filename") or "file")).name
                path.write_bytes(payload.get("_content") or bytes.fromhex(payload.get("content_hex", "")))
                saved = f", saved as {path}"
            self.out.write(f"\n{pad}┌ {where}: file {payload.get('filename')}{saved}\n")
            return Delivered(channel=target, ts=None)
        lines = payload_to_text(payload, self.names).splitlines()
        if self.max_lines is not None and len(lines) > self.max_lines:
            lines = lines[: self.max_lines] + [f"… ({len(lines) - self.max_lines} more lines)"]
        body = f"\n{pad}│ ".join(lines)
        self.out.write(f"\n{pad}┌ {where}\n{pad}│ {body}\n{pad}└\n")
        return Delivered(channel=target, ts=None)


    def deliver_email(self, address: str, payload: dict[str, Any]) -> Delivered:
        """An email as it would be sent: its recipient, subject and attachments, and its plain-text part (the links
        in it as they are)."""
        pad = self.indent
        to = f"{payload.get('to_name')} <{address}>" if payload.get("to_name") else address
        lines = [f"Subject: {payload.get('subject', '')}", ""] + str(payload.get("text", "")).splitlines()
        lines += [f"📎 {a.get('filename')}" for a in payload.get("attachments") or []]
        if self.max_lines is not None and len(lines) > self.max_lines:
            lines = lines[: self.max_lines] + [f"… ({len(lines) - self.max_lines} more lines)"]
        body = f"\n{pad}│ ".join(lines)
        self.out.write(f"\n{pad}┌ ✉ email to {to}\n{pad}│ {body}\n{pad}└\n")
        return Delivered(channel=None, ts=None)


class Console:
    """A shell over the same handlers and database as Slack."""

    def __init__(self, runtime: Runtime, user_id: str, channel_id: str | None, out: TextIO = sys.stdout,
                 files: Path | None = None) -> None:
        self.runtime = runtime
        self.user_id = user_id
        self.channel_id = channel_id
        self.out = out
        self.delivery = ConsoleDelivery(out, self.name_of, files=files)
        # Only what its own commands queue is the console's to show: on a live database, a member's reminder
        # queued by the bot's jobs meanwhile is left to the bot's sender, to reach Slack.
        runtime.outbox_hold = HOLD

    def name_of(self, user_id: str) -> str:
        with db.session_scope(self.runtime.sessions) as session:
            member = boards.get_member(session=session, slack_user_id=user_id)
            return member.display_name if member else user_id

    def show(self, outcome: Outcome) -> None:
        visibility = "in channel" if outcome.in_channel else "only you can see this"
        payload = outcome.payload
        if outcome.ok and outcome.open_modal:
            # In Slack this command opens a form; its reply is what Slack shows when the form cannot open. The
            # console never opens forms, which is no fault: say so, and show the typed form of the command.
            payload = {**payload, "blocks": [b for b in payload.get("blocks") or []
                                              if b.get("block_id") != FORM_UNAVAILABLE_BLOCK]}
            self.out.write(f"lspbot ({visibility}):\n{FORMS_IN_SLACK}\n")
            body = payload_to_text(payload, self.name_of)
            self.out.write(f"{body}\n" if body else "")
        else:
            body = payload_to_text(payload, self.name_of)
            self.out.write(f"lspbot ({visibility}):\n{body}\n")
        for attachment in outcome.attachments:
            self.out.write(f"  📎 {attachment.filename} ({len(attachment.content):,} bytes)\n")

    def execute(self, line: str) -> Outcome | None:
        """Run one console line: a slash command, or `:as U123` / `:in C123` to switch person or channel."""
        line = line.strip()
        if not line:
            return None
        if line.startswith(":as "):
            self.user_id = line[4:].strip()
            self.out.write(f"(you are now {self.user_id})\n")
            return None
        if line.startswith(":in "):
            where = line[4:].strip()
            self.channel_id = None if where.lower() == "dm" else where
            self.out.write(f"(you are now in {self.channel_id or 'a direct message with lspbot'})\n")
            return None
        if line in (":commands", ":c"):
            self.out.write(command_list())
            return None
        if not line.startswith("/"):
            self.out.write("Type a slash command such as /lsp help, or :commands, :as U123, :in C123.\n")
            return None
        command, _, text = line.partition(" ")
        outcome = run_command(self.runtime, command, user_id=self.user_id, channel_id=self.channel_id, text=text)
        self.show(outcome)
        if outcome.documents:  # as in Slack: rendered after the reply, sent as files to the DM
            from bot.runtime import send_documents

            outcome.queued += send_documents(self.runtime, self.user_id, outcome.documents)
        if outcome.later:  # as in Slack: after the reply
            from bot.runtime import run_later

            outcome.queued += run_later(self.runtime, self.user_id, self.channel_id, outcome.later)
        self.deliver(outcome.queued)
        return outcome

    def deliver(self, keys: list[str]) -> None:
        """Show the messages its command queued (held for it, so no sender takes them) and mark them sent."""
        with db.session_scope(self.runtime.sessions) as session:
            mine = outbox_store.pending_with_keys(session=session, keys=keys)
        for message in mine:
            payload = message.payload
            if payload.get(FILE_ID) is not None:  # a stored file (a pack): its bytes from the store
                payload = with_file_content(self.runtime.sessions, payload)
            sent = self.delivery.deliver(message.target_kind, message.target, payload)
            with db.session_scope(self.runtime.sessions) as session:
                outbox_store.mark_sent(session=session, message_id=message.id, now=self.runtime.clock.now(),
                                       channel=sent.channel, ts=sent.ts)

    def loop(self, stdin: TextIO = sys.stdin) -> None:
        interactive = stdin.isatty()
        if interactive:
            _complete_commands()
        while True:
            if interactive:
                self.out.write(f"{self.user_id}@{self.channel_id or 'DM'}> ")
                self.out.flush()
            line = stdin.readline()
            if not line:
                break
            if line.strip() in (":quit", ":q", "exit"):
                break
            self.execute(line)
            self.out.flush()


def command_list() -> str:
    """Every declared command with its usage, one slash command after another (`:commands`)."""
    lines = []
    for command in REGISTRY.slash_commands:
        lines.append(command)
        for cmd in REGISTRY.of(command):
            if cmd.usage:
                lines.append(f"  {cmd.usage}  — {cmd.summary}{' (opens a form in Slack)' if cmd.opens_form else ''}")
    return "\n".join(lines) + "\n"


def _complete_commands() -> None:
    """Tab completion of the declared commands' words at an interactive prompt."""
    try:
        import readline
    except ImportError:  # not every Python has it; completion is a convenience
        return
    names = sorted({" ".join((c.command, *words)) for c in REGISTRY.commands for words in c.every_words})

    def complete(text: str, state: int) -> str | None:
        line = readline.get_line_buffer()
        found = [n[len(line) - len(text):] for n in names if n.startswith(line)]
        return found[state] if state < len(found) else None

    readline.set_completer_delims("")
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")


HOLD = dt.timedelta(minutes=10)  # how long the messages a console command queues are kept from the bot's senders
CONSOLE_CHANNEL = "CCONSOLE1"  # where a console on a database with no board yet starts, so a board can be made


def default_channel(runtime: Runtime, user_id: str) -> str:
    """The channel of the user's first board, else of the first board, else the console's own channel."""
    with db.session_scope(runtime.sessions) as session:
        member = boards.get_member(session=session, slack_user_id=user_id)
        if member:
            mine = boards.memberships_of(session=session, member_id=member.id)
            if mine:
                return sorted(mine, key=lambda m: m.board_id)[0].board.channel_id
        all_boards = boards.list_all(session=session)
        return all_boards[0].channel_id if all_boards else CONSOLE_CHANNEL

