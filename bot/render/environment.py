"""The Jinja2 environment and Block Kit rendering, built once and passed in."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, MutableMapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from jinja2 import BaseLoader, Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from bot.render.templates import SHIPPED_DIR, TemplateFolders
from handlers.ids import ActionId, CallbackId
from store.models import is_email_member_id
from store.names import NAMES, NameOf, naming
from store.personal_data import ERASED_PREFIX, pseudonym_name

if TYPE_CHECKING:
    from bot.render.emails import EmailRenderer
    from handlers.base import Attachment, Document
    from handlers.pack_spec import BuiltPack, PackSpec
    from store.outbox import EmailTo

TEMPLATE_DIR = SHIPPED_DIR

MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100  # a modal or the Home tab
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_FALLBACK_TEXT = 3000
_USER_ID = re.compile(r"^[UW][A-Z0-9]{1,30}$")


def mrkdwn(value: Any) -> str:
    """Escape user text for Slack mrkdwn: `&`, `<`, `>` so no `<!channel>` or `<@U..>` ever pings."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: str) -> str:
    """A real mention for a Slack user id we hold (never built from free text); an erased person's pseudonym."""
    if _USER_ID.match(str(user_id)):  # most are (neither an erased person's id nor an email member's can be)
        return f"<@{user_id}>"
    if str(user_id).startswith(ERASED_PREFIX) and str(user_id)[len(ERASED_PREFIX):].isdigit():
        return pseudonym_name(int(str(user_id)[len(ERASED_PREFIX):]))
    if is_email_member_id(str(user_id)):  # a member by email: their name, as Slack has no mention of them
        name_of = NAMES.get()
        return mrkdwn((name_of(str(user_id)) if name_of else None) or "a member by email")
    if not _USER_ID.match(str(user_id)):
        return mrkdwn(user_id)
    return f"<@{user_id}>"


def date_long(value: dt.date | None) -> str:
    return value.strftime("%A %-d %B %Y") if value else "no date"


@functools.lru_cache(maxsize=4096)
def date_short(value: dt.date | None) -> str:
    """`Wed 17 Jul 2019` (cached: a chase run writes the same few hundred dates a hundred thousand times)."""
    return value.strftime("%a %-d %b %Y") if value else "no date"


def slack_date(value: dt.datetime | dt.date | None, fmt: str = "{date_short_pretty} {time}") -> str:
    """Slack's `<!date^...>` so each reader sees their own time zone; a plain fallback inside."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        ts = int(value.timestamp())
        fallback = value.astimezone(ZoneInfo("Europe/London")).strftime("%-d %b %Y %H:%M")
        return f"<!date^{ts}^{fmt}|{fallback}>"
    return date_short(value)


_UNESCAPED = re.compile(r"&(?!(?:amp|lt|gt);)|<|>")


def plain_fallback(text: str) -> str:
    """A message's top-level `text` (notifications, screen readers) with `<`, `>` and `&` escaped, so user
    text in it never pings (`<!channel>`, `<@U…>`) or links; what a template escaped already stays as it is."""
    return _UNESCAPED.sub(lambda m: {"&": "&amp;", "<": "&lt;", ">": "&gt;"}[m.group()], str(text))


def truncate(value: str, limit: int) -> str:
    value = str(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def due_label(a: dict[str, Any]) -> str:
    """`due Fri 5 Jul 2019`, `due today`, `overdue by 3 days`, or the closed status."""
    if a["status"] != "open":
        return a["status"]
    if a["due"] is None:
        return "no due date"
    if a["overdue_days"] > 0:
        return f":warning: *overdue by {plural(a['overdue_days'], 'day')}* (was due {date_short(a['due'])})"
    if a["due_today"]:
        return ":date: *due today*"
    return f"due {date_short(a['due'])}"


def action_line(a: dict[str, Any], with_owner: bool = True) -> str:
    """One action as a line of mrkdwn: `*#12* text — @owner · due …` (hot path: plain Python)."""
    owner = f" — {mention(a['owner_id'])}" if with_owner else ""
    return f"*#{a['ref']}* {mrkdwn(truncate(a['text'], 400))}{owner} · {due_label(a)}"


def action_sections(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A list's actions (handlers.actions.describe), a section of its line (`action_line`) each. Built as data and
    spliced into the message (`spliced`), not written as JSON text to be parsed again: that cost a list of 40 more
    than reading it from the database (hot path)."""
    return [{"type": "section", "text": {"type": "mrkdwn", "text": action_line(a)}} for a in actions]


def chase_when(i: dict[str, Any]) -> str:
    """How an action in a reminder stands (handlers.chase.chase_item): due soon, due today or overdue, with its
    date. A run of the chase job says this of every action it reminds anyone of (hot path: plain Python)."""
    if i["kind"] == "soon":
        days = "tomorrow" if i["days"] == 1 else f"in {i['days']} days"
        return f":hourglass_flowing_sand: due {days} ({date_short(i['due'])})"
    if i["kind"] == "today":
        return f":date: *due today* ({date_short(i['due'])})"
    return f":warning: *overdue by {plural(i['days'], 'day')}* (was due {date_short(i['due'])})"


def chase_lines(items: list[dict[str, Any]]) -> str:
    """The actions of a reminder beyond those with buttons, a line each: `*#12* text · due …` (hot path)."""
    return "\n".join(f"*#{i['ref']}* {mrkdwn(truncate(i['text'], 120))} · {chase_when(i)}" for i in items)


def chase_answer(i: dict[str, Any]) -> str:
    """The owner's answer to an action of a reminder, shown under it once given (empty before)."""
    response = i["response"]
    if response == "done":
        return ":white_check_mark: *Done* — closed, thank you."
    if response == "dropped":
        return ":no_entry_sign: Dropped."
    if response == "update":
        return ":memo: Update noted."
    if response == "snooze" and i["snoozed_until"]:
        return f":zzz: Snoozed: no reminder before {date_short(i['snoozed_until'])} (still due {date_short(i['due'])})."
    if response == "not_mine":
        return ":leftwards_arrow_with_hook: Passed to the secretariat to reassign."
    return ""


CHASE_BUTTONS = tuple(  # each button of an action in a reminder but its value (the action and the message)
    {"type": "button", "action_id": action.value, **({"style": "primary"} if action is ActionId.ACTION_DONE else {}),
     "text": {"type": "plain_text", "text": label}}
    for action, label in ((ActionId.ACTION_DONE, "Done"), (ActionId.ACTION_ADD_UPDATE, "Add update"),
                          (ActionId.ACTION_SNOOZE, "Snooze a week"), (ActionId.ACTION_NOT_MINE, "Not mine")))
ANSWERED = ("done", "dropped", "not_mine")  # the action needs no more buttons


def chase_blocks(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The actions of a reminder (handlers.chase.chase_item), each a section of its words and, until it is answered
    for good, a row of its four buttons. Built as data and spliced into the message (`blocks`), not written as
    JSON text to be parsed again: a run of the chase job builds tens of thousands (hot path)."""
    blocks: list[dict[str, Any]] = []
    for i in items:
        reply = chase_answer(i) if i["response"] else ""
        text = f"*#{i['ref']}* {mrkdwn(truncate(i['text'], 500))}\n{chase_when(i)}" + (f"\n{reply}" if reply else "")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
        if i["response"] not in ANSWERED:
            value = i["value"]
            buttons = [{**button, "value": value} for button in CHASE_BUTTONS]
            blocks.append({"type": "actions", "block_id": f"chase_{i['action_id']}", "elements": buttons})
    return blocks


def option(o: dict[str, Any]) -> dict[str, Any]:
    """A select option from `{"text", "value"}` (text cut to Slack's 75 characters)."""
    return {"text": {"type": "plain_text", "text": truncate(o["text"], 75)}, "value": str(o["value"])}


def board_option(b: dict[str, Any]) -> dict[str, Any]:
    """A board (`{"id", "name"}`) as a select option."""
    return option({"text": b["name"], "value": b["id"]})


SPLICED = "_spliced_blocks"  # the render's list of blocks built as data (`spliced`), a key of the template's data
SPLICE_MARK = "__spliced__"


@pass_context
def spliced(context: Context, blocks: list[dict[str, Any]]) -> str:
    """In a message template's list of blocks: `blocks` (built as data, e.g. chase_blocks) in this place. The template
    writes a mark that Renderer.message replaces with them once it has read the message, so blocks built in Python
    are never written as JSON text and parsed again."""
    found = context.get(SPLICED)
    if found is None:
        raise RuntimeError("spliced() blocks can be placed only by Renderer.message")
    found.append(blocks)
    return json.dumps({SPLICE_MARK: len(found) - 1})


def _unsplice(blocks: list[dict[str, Any]], found: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The message's blocks with each mark of `spliced` replaced by the blocks it stands for."""
    out: list[dict[str, Any]] = []
    for block in blocks:
        if len(block) == 1 and SPLICE_MARK in block:
            out.extend(found[block[SPLICE_MARK]])
        else:
            out.append(block)
    return out


class SharedGlobals(Environment):
    """Jinja2's environment, whose templates share its globals as they are (ours have none of their own).

    Jinja2 gives each template a ChainMap over the environment's globals, and a template that imports macros
    (`{% from "slack/_macros.j2" import section %}`) compares its globals with theirs, key by key through the
    ChainMaps, at every render: 4% of a short reply's CPU. With one mapping the comparison is a set operation in C,
    and the macros' module is still made once. A template given globals of its own still gets its ChainMap; none
    is (a template loaded without them and given some later would write them into the environment's globals)."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return super().make_globals(d) if d else self.globals


def build_environment(template_dir: Path = TEMPLATE_DIR, *, loader: BaseLoader | None = None) -> Environment:
    """The Jinja2 environment of every template: from `loader` if given (custom templates first), else the folder.

    A template is compiled once and kept (`auto_reload` off): each one is checked at start-up, and asking the
    file's modification time again at every message cost more than rendering a short reply. A changed template
    takes effect when the process restarts."""
    env = SharedGlobals(
        loader=loader or FileSystemLoader(str(template_dir)),
        auto_reload=False,
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(mrkdwn=mrkdwn, date_long=date_long, date_short=date_short, slack_date=slack_date,
                       truncate_to=truncate, plural=plural, mention=mention, option=option,
                       board_option=board_option)
    env.globals.update(mention=mention, plural=plural, action_line_text=action_line, due_label_text=due_label,
                       action_sections=action_sections,
                       chase_when=chase_when, chase_lines=chase_lines, chase_blocks=chase_blocks,
                       spliced=spliced, ids={e.name: e.value for e in (*ActionId, *CallbackId)})
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}
    return env


class DocumentFiles(Protocol):
    """What makes a document's files (bot.render.documents.DocumentRenderer)."""

    def render(self, document: Document) -> list[Attachment]: ...

    def markdown(self, name: str, data: dict[str, Any]) -> str: ...


class PackFiles(Protocol):
    """What builds the agenda pack's PDF (bot.render.pack.PackBuilder)."""

    def build(self, spec: PackSpec) -> BuiltPack: ...


class Renderer:
    """Renders a named template with data into a Slack message payload within Slack's limits, and, given a
    document renderer, a document (`handlers.base.Document`) into its files, both from the same templates (the
    shipped ones or a deployment's); and the agenda pack (`handlers.pack_spec.PackSpec`) into its PDF."""

    def __init__(self, env: Environment | None = None, templates: TemplateFolders | None = None,
                 documents: DocumentFiles | None = None, packs: PackFiles | None = None,
                 libreoffice: str | None = None, names: NameOf | None = None) -> None:
        self.templates = templates or TemplateFolders()
        self.names = names  # email-only members' names, where no one rendering has set a resolver (store.names)
        self.env = env or build_environment(loader=self.templates.loader())
        self._documents = documents
        self._packs = packs
        self._libreoffice = libreoffice  # LSPBOT_LIBREOFFICE, for the pack builder made on first use
        self._emails: EmailRenderer | None = None

    def build_pack(self, spec: PackSpec) -> BuiltPack:
        """The agenda pack's PDF (with LibreOffice, if there is one, for its Word papers). The builder (pypdf and
        reportlab with it) is loaded on first use, so a command that builds no pack does not pay for loading it."""
        if self._packs is None:
            from bot.render.pack import PackBuilder

            self._packs = PackBuilder(self._libreoffice)
        return self._packs.build(spec)

    def documents(self, document: Document) -> list[Attachment]:
        """A document's files: Word, Markdown and its charts."""
        return self._document_files().render(document)

    def markdown(self, document: Document) -> str:
        """A document's Markdown alone."""
        return self._document_files().markdown(document.template, document.data)

    def emails(self) -> EmailRenderer:
        """The email renderer on the same templates (bot.render.emails), made on first use."""
        if self._emails is None:
            from bot.render.emails import EmailRenderer

            self._emails = EmailRenderer(self.templates.loader(), self.env, self.names)
        return self._emails

    def email(self, template: str, data: dict[str, Any], message: dict[str, Any], to: EmailTo, *, links: Any,
              now: Callable[[], dt.datetime]) -> dict[str, Any] | None:
        """The email of a rendered Slack message to one person (None: an optional digest they have stopped)."""
        return self.emails().message(template, data, message, to, links=links, now=now)

    def email_direct(self, template: str, data: dict[str, Any], to: EmailTo, *, subject: str, links: Any,
                     now: Callable[[], dt.datetime]) -> dict[str, Any]:
        """An email with no Slack message behind it (`email/<stem>`: the address's confirmation)."""
        return self.emails().direct(template, data, to, subject=subject, links=links, now=now)

    def email_files(self, files: Sequence[dict[str, Any]], to: EmailTo, *, title: str, note: str = "",
                    board: str | None = None, link: str | None = None) -> dict[str, Any]:
        """Files by email with a covering note (or the link to them, too large to attach)."""
        return self.emails().files(files, to, title=title, note=note, board=board, link=link)

    def _document_files(self) -> DocumentFiles:
        if self._documents is None:
            raise RuntimeError("this renderer makes messages only: it was given no document renderer")
        return self._documents

    def text(self, template: str, data: dict[str, Any]) -> str:
        with naming(self.names):
            return self.env.get_template(template).render(**data)

    def message(self, template: str, data: dict[str, Any]) -> dict[str, Any]:
        found: list[list[dict[str, Any]]] = []
        raw = self.text(template, {**data, SPLICED: found})
        try:
            payload = json.loads(raw)
        except json.JSONDecodeError as exc:  # a template bug, not user input: say where
            raise ValueError(f"template {template} produced invalid JSON: {exc}") from exc
        if found:
            payload["blocks"] = _unsplice(payload["blocks"], found)
        return fit_limits(payload)

    __call__ = message


def fit_limits(payload: dict[str, Any]) -> dict[str, Any]:
    """Split or summarise so Slack never rejects the message: 50 blocks (100 in a view), 3,000 characters a section."""
    blocks = payload.get("blocks")
    if blocks is not None:
        limit = MAX_VIEW_BLOCKS if payload.get("type") in ("home", "modal") else MAX_BLOCKS
        fitted: list[dict[str, Any]] = []
        for block in blocks:
            fitted.extend(_fit_block(block))
        if len(fitted) > limit:
            fitted = _cut_to(fitted, limit)
        payload["blocks"] = fitted
    if "text" in payload:
        payload["text"] = truncate(plain_fallback(payload["text"]), MAX_FALLBACK_TEXT)
    return payload


def _cut_to(blocks: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The first blocks that fit, a note of how many more there are where the cut falls, and every button
    row and form field kept wherever it stands, so a long message still has its Publish or Done."""
    essential = {i for i, b in enumerate(blocks) if b.get("type") in ("actions", "input")}
    essential = set(sorted(essential)[: limit - 1])
    room = limit - 1 - len(essential)
    kept: list[dict[str, Any]] = []
    shown = hidden = 0
    cut_at: int | None = None
    for i, block in enumerate(blocks):
        if i in essential:
            kept.append(block)
        elif shown < room:
            kept.append(block)
            shown += 1
        else:
            hidden += 1
            cut_at = len(kept) if cut_at is None else cut_at
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"…and {hidden} more not shown here."}]}
    kept.insert(len(kept) if cut_at is None else cut_at, note)
    return kept


def _fit_block(block: dict[str, Any]) -> list[dict[str, Any]]:
    kind = block.get("type")
    if kind == "header":
        block["text"]["text"] = truncate(block["text"]["text"], MAX_HEADER_TEXT)
        return [block]
    if kind == "section" and "text" in block and len(block["text"]["text"]) > MAX_SECTION_TEXT:
        text = block["text"]["text"]
        parts = _split_text(text, MAX_SECTION_TEXT)
        first = dict(block, text=dict(block["text"], text=parts[0]))
        return [first] + [{"type": "section", "text": dict(block["text"], text=p)} for p in parts[1:]]
    if kind == "context":
        elements = block.get("elements", [])[:MAX_CONTEXT_ELEMENTS]
        for el in elements:
            if "text" in el:
                el["text"] = truncate(el["text"], MAX_SECTION_TEXT)
        block["elements"] = elements
    if kind == "section" and "fields" in block:
        block["fields"] = block["fields"][:10]
        for f in block["fields"]:
            f["text"] = truncate(f["text"], 2000)
    return [block]


def _split_text(text: str, limit: int) -> list[str]:
    """Split at line breaks where possible, else hard."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts
