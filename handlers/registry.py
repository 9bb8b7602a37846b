"""The command registry: what a slash subcommand, button, form or shortcut is, and how a request reaches it.

Each domain module declares its own entries in one table (`COMMANDS`, `BUTTONS`, `FORMS`, `SHORTCUTS`);
`handlers.catalogue` gathers them. From a declaration come the routing of `/lsp board create …` to its
handler, the `board:` option and the board's resolution, option parsing and its errors, the role check
that runs before the handler, `/lsp help`, the Bolt registration, the docs' command tables and the
permission test's catalogue. A handler keeps only the checks that depend on the object it acts on
("the owner of #12").
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from handlers import access
from handlers.base import Forbidden, InvalidInput, Parsed, Reply, Request, UsageError
from handlers.parsing import parse, tokenize
from store import db

Handler = Callable[[Request], Reply]


class Who(enum.Enum):
    """Who may run a command, checked by the dispatcher before its handler runs."""

    ANYONE = "anyone"
    READERS = "members of the board and admins"
    MEMBERS = "members of the board"
    MANAGERS = "the chair, vice-chair, secretariat and admins"
    DECIDERS = "the chair, vice-chair and secretariat"
    CHAIR = "the chair and admins"
    ADMINS = "lspbot admins"

    def allows(self, actor: access.Actor) -> bool:
        """Whether `actor` (a person as seen from one board) may run a command declared for these people."""
        if self is Who.ANYONE:
            return True
        if self is Who.READERS:
            return actor.is_member or actor.is_admin
        if self is Who.MEMBERS:
            return actor.member is not None and actor.is_member
        if self is Who.MANAGERS:
            return actor.manages_board
        if self is Who.DECIDERS:
            return actor.is_member and actor.role in access.MANAGING_ROLES
        if self is Who.CHAIR:
            return actor.is_chair
        return actor.is_admin


class Kind(enum.Enum):
    """How an option's value is read."""

    TEXT = "text"  # one word, or a "quoted phrase"
    PHRASE = "phrase"  # the words up to the next option or quoted text (`for:9 January 2020`)
    CHOICE = "choice"  # one of `choices`
    NUMBER = "number"  # a whole number within `low`..`high`


@dataclass(frozen=True)
class Option:
    """A `name:value` option a command takes."""

    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    low: int = 1
    high: int = 10_000
    aliases: tuple[str, ...] = ()  # other names for it (`timezone:` for `tz:`)
    help: str = ""


BOARD = Option("board", help='the board, where the channel does not say (`board:"LSP Executive"`)')


@dataclass(frozen=True)
class Command:
    """One slash subcommand: `/lsp member add …`."""

    command: str  # the slash command: "/lsp"
    words: tuple[str, ...]  # the subcommand's words after it: ("member", "add"); () for the bare command
    handler: Handler
    usage: str  # `/lsp member add @bob org:"Ealing PCT" [role:member|vice-chair|secretariat]`
    summary: str  # what it does, for help: "add or change a member"
    who: Who = Who.READERS
    doing: str = ""  # what a refused person may not do: "add members" (Only … can add members.)
    narrower: str = ""  # the whole rule where the handler narrows `who` by the object: "its owner, the chair, …"
    options: tuple[Option, ...] = ()  # None of these is parsed unless `parsed` is set
    parsed: bool = False  # whether the dispatcher reads `options` from the text into `req.parsed`
    aliases: tuple[tuple[str, ...], ...] = ()  # other words for it: (("new",),)
    examples: tuple[str, ...] = ()
    topic: str = ""  # the help topic; defaults to the command without its slash
    board: bool = True  # whether it acts on one board (resolved from `board:`, the channel, or one's only board)
    opens_form: bool = False  # whether it opens a form (with no text): the console says forms open in Slack;
    # a form declared with `opened_by` this command and an `opener` is opened before any board is resolved
    fallback: bool = False  # the bare command with text that names no subcommand (`/update <text>`)
    bare: bool = False  # takes no text after its words: with text, the text goes to the fallback instead
    read_only: bool = False  # only reads (a list): its unit of work takes no write lock, and writes nothing
    open_ended: bool = False  # words other declarations go on from, that also take text of their own
    # (`/meeting minutes 2019-09-12` beside `/meeting minutes edit`): text naming none of those is this one's

    @property
    def name(self) -> str:
        return " ".join((self.command, *self.words))

    @property
    def help_topic(self) -> str:
        return self.topic or self.command.lstrip("/")

    @property
    def every_words(self) -> tuple[tuple[str, ...], ...]:
        return (self.words, *self.aliases)


Success = Literal["say", "replace", "quiet"]


@dataclass(frozen=True)
class Button:
    """An interactive element (`action_id`): the board comes from the row its value names, so the handler
    checks who may click it; `who` says whom it is for (docs, the permission test)."""

    action_id: str
    handler: Handler | None  # None: the transport answers it itself (the Home tab's paging)
    summary: str
    who: Who = Who.READERS
    narrower: str = ""
    success: Success = "say"  # how a success is shown: said to the clicker, put in place of the message, or left
    where: str = "message"  # "message" or "home"

    def __post_init__(self) -> None:
        object.__setattr__(self, "action_id", _plain_id(self.action_id))


@dataclass(frozen=True)
class Form:
    """A modal's submission (`callback_id`): a refusal stays on the form, on the field it names."""

    callback_id: str
    handler: Handler
    summary: str
    default_field: str
    fields: tuple[str, ...] = ()
    who: Who = Who.READERS
    narrower: str = ""
    opened_by: str = ""  # the command that opens it when typed with no text: "/action add"
    opener: Handler | None = None  # opens it for that command, offering the boards to choose from

    def __post_init__(self) -> None:
        object.__setattr__(self, "callback_id", _plain_id(self.callback_id))


@dataclass(frozen=True)
class Shortcut:
    """A message shortcut (`callback_id`)."""

    callback_id: str
    handler: Handler
    summary: str
    who: Who = Who.MEMBERS

    def __post_init__(self) -> None:
        object.__setattr__(self, "callback_id", _plain_id(self.callback_id))


def _plain_id(slack_id: str) -> str:
    """An `ActionId`/`CallbackId` member as the plain string Slack sends back."""
    return slack_id.value if isinstance(slack_id, enum.Enum) else slack_id


@dataclass(frozen=True)
class Topic:
    """A help topic: its key, title, other names and a closing note."""

    key: str
    title: str
    aliases: tuple[str, ...] = ()
    note: str = ""


@dataclass
class Registry:
    """Every declaration, looked up by slash command and words."""

    commands: Sequence[Command]
    buttons: Sequence[Button] = ()
    forms: Sequence[Form] = ()
    shortcuts: Sequence[Shortcut] = ()
    topics: Sequence[Topic] = ()
    _index: dict[str, dict[tuple[str, ...], Command]] = field(default_factory=dict, init=False, repr=False)
    _longest: int = field(default=0, init=False, repr=False)  # the most words a declaration has

    def __post_init__(self) -> None:
        for cmd in self.commands:
            if not cmd.board and cmd.who not in (Who.ANYONE, Who.ADMINS):
                raise ValueError(f"{cmd.name}: without a board only ANYONE or ADMINS can be checked")
            table = self._index.setdefault(cmd.command, {})
            for words in cmd.every_words:
                if words in table:
                    raise ValueError(f"{cmd.command} {' '.join(words)} is declared twice")
                table[words] = cmd
                self._longest = max(self._longest, len(words))
        callbacks = [f.callback_id for f in self.forms] + [s.callback_id for s in self.shortcuts]
        for kind, ids in (("button", [b.action_id for b in self.buttons]), ("form or shortcut", callbacks)):
            if len(set(ids)) != len(ids):
                raise ValueError(f"a {kind} is declared twice")

    @property
    def slash_commands(self) -> list[str]:
        return list(self._index)

    def opener_of(self, cmd: Command) -> Handler | None:
        """What opens the form of a command typed with no text, before any board is resolved."""
        return next((f.opener for f in self.forms if f.opened_by == cmd.name and f.opener is not None), None)

    def of(self, command: str) -> list[Command]:
        """The declarations of one slash command, in declaration order."""
        return [c for c in self.commands if c.command == command]

    def find(self, command: str, text: str) -> tuple[Command | None, str]:
        """The declaration `text` names (the longest match of its first words) and the text after those words."""
        table = self._index.get(command, {})
        words = text.split()
        lowered = [w.lower() for w in words]
        for n in range(min(len(words), self._longest), -1, -1):
            found = table.get(tuple(lowered[:n]))
            if found is None:
                continue
            grouped = self._is_group(command, tuple(lowered[:n])) and not found.open_ended
            if (found.bare or grouped) and _words_beyond(text, n):
                continue  # `/lsp member frobnicate`: not `/lsp member` (the list) with text
            if n or not words or found.fallback:
                return found, _after_words(text, n)
        fallback = next((c for c in table.values() if c.fallback), None)
        return fallback, text.strip()

    def _is_group(self, command: str, words: tuple[str, ...]) -> bool:
        """Whether other declarations go on from these words (`/lsp member` before `add`, `list`, `remove`)."""
        return bool(words) and any(w[:len(words)] == words and len(w) > len(words)
                                   for w in self._index.get(command, {}))

    def near(self, command: str, text: str) -> list[str]:
        """Usage lines to suggest for text that names no command: those sharing its first word, else all of them."""
        first = text.split()[0].lower() if text.split() else ""
        mine = [c for c in self.of(command) if c.usage]
        return [c.usage for c in mine if first and c.words[:1] == (first,)][:8] or [c.usage for c in mine][:8]


def _words_beyond(text: str, n: int) -> bool:
    """Whether the text goes on after its first `n` words (a `board:` option aside)."""
    try:
        return bool(take_board_option(_after_words(text, n))[0])
    except UsageError:
        return True


def _after_words(text: str, n: int) -> str:
    rest = text.strip()
    for _ in range(n):
        rest = rest.split(None, 1)[1] if len(rest.split(None, 1)) > 1 else ""
    return rest.strip()


def take_board_option(text: str) -> tuple[str, str | None]:
    """Pull `board:"Name"` (or `board:Name`) out of the text; (the text without it, the board's name or None).

    Only a word of its own counts: `board:` inside quoted text ("Review board:terms") stays part of the text. A
    text whose quotes do not close is left as it is, for the command to say so. Two different boards named is
    refused; an empty `board:` names none."""
    try:
        tokens = tokenize(text)
    except UsageError:
        return text.strip(), None
    names: list[str] = []
    cuts: list[tuple[int, int]] = []
    for tok in tokens:
        key, sep, value = tok.raw.partition(":")
        if sep and key.lower() == "board" and not tok.raw.startswith('"'):
            cuts.append((tok.start, tok.end))
            name = tokenize(value)[0].value.strip() if value.strip() else ""
            if name and name.casefold() not in {n.casefold() for n in names}:
                names.append(name)
    if len(names) > 1:
        raise UsageError(f"Name one board, not {len(names)}: {', '.join(f'“{n}”' for n in names)}.",
                         examples=['board:"LSP Executive"'])
    if not cuts:
        return text.strip(), None
    pieces, last = [], 0
    for start, end in cuts:
        pieces.append(text[last:start])
        last = end
    pieces.append(text[last:])
    out = pieces[0]
    for piece in pieces[1:]:  # one space where the option stood, the text's own line breaks kept
        if out.endswith("\n") and piece.startswith("\n"):  # the option had a line of its own
            piece = piece[1:]
        elif out.endswith((" ", "\t")) and piece[:1].isspace():
            out = out.rstrip(" \t") if piece[:1] in "\r\n" else out
            piece = piece if piece[:1] in "\r\n" else piece.lstrip(" \t")
        elif out and piece and not out[-1].isspace() and not piece[0].isspace():
            out += " "
        out += piece
    return out.strip(), names[0] if names else None


def refusal(cmd: Command | Button | Form | Shortcut, actor: access.Actor) -> Forbidden:
    """The refusal of someone a declaration does not allow, in the words of who may."""
    board = actor.board.name
    doing = getattr(cmd, "doing", "") or "do that"
    if cmd.who in (Who.READERS, Who.MEMBERS):
        return Forbidden(actor.not_on_board)
    if cmd.who in (Who.MANAGERS, Who.DECIDERS):
        return Forbidden(f"Only the chair, vice-chair or secretariat of {board} can {doing}.")
    if cmd.who is Who.CHAIR:
        return Forbidden(f"Only the chair of {board} (or an lspbot admin) can {doing}.")
    return Forbidden(f"Only lspbot admins (LSPBOT_ADMINS) can {doing}.")


def read_options(cmd: Command, text: str) -> Parsed:
    """`text` parsed for the command's declared options, each value checked against its kind."""
    names: list[str] = []
    phrases: list[str] = []
    for opt in cmd.options:
        for name in (opt.name, *opt.aliases):
            names.append(name)
            if opt.kind is Kind.PHRASE:
                phrases.append(name)
    parsed = parse(text, tuple(names), tuple(phrases))
    for opt in cmd.options:
        for alias in opt.aliases:
            if alias in parsed.options and opt.name not in parsed.options:
                parsed.options[opt.name] = parsed.options.pop(alias)
        value = parsed.options.get(opt.name)
        if value is None:
            if opt.required:
                raise UsageError(f"`{cmd.name}` needs `{opt.name}:`.", examples=[cmd.usage, *cmd.examples][:3])
            continue
        if opt.kind is Kind.CHOICE:
            if value.lower() not in opt.choices:
                raise InvalidInput(f"`{opt.name}:{value}` is not one of {', '.join(opt.choices)}.",
                                   examples=[f"{opt.name}:{c}" for c in opt.choices[:3]], field=opt.name)
            parsed.options[opt.name] = value.lower()
        if opt.kind is Kind.NUMBER:
            if not (value.isascii() and value.isdigit()) or not opt.low <= int(value) <= opt.high:
                unit = f" ({opt.help})" if opt.help else ""
                raise InvalidInput(f"`{opt.name}:{value}` must be a whole number from {opt.low} to {opt.high}{unit}.",
                                   field=opt.name)
    return parsed


def dispatch(registry: Registry, command: str, req: Request) -> Reply:
    """Route a slash command to its declaration, resolve its board and check its people, then run its handler."""
    cmd, rest = registry.find(command, req.text)
    if cmd is None:
        raise UsageError(f"`{command} {req.text.strip()[:80]}` is not a command I know.",
                         examples=registry.near(command, req.text) or ["/lsp help"])
    return run(registry, cmd, req, rest)


def run(registry: Registry, cmd: Command, req: Request, rest: str) -> Reply:
    """Run one declared command on `rest`, the text after its words."""
    if cmd.read_only:
        db.read_only(req.session)
    board_name: str | None = None
    if cmd.board:
        rest, board_name = take_board_option(rest)
    opener = registry.opener_of(cmd)
    if opener is not None and not rest and board_name is None:
        return opener(req)  # the form offers the boards to choose from
    if cmd.board:
        board, actor = access.board_and_actor(req, board_name)
        if not cmd.who.allows(actor):
            raise refusal(cmd, actor)
        req.on_board(board, actor)
        if opener is not None and not rest:
            return opener(req)  # the form for the board named
    elif cmd.who is Who.ADMINS and not req.is_admin:
        raise Forbidden(f"Only lspbot admins (LSPBOT_ADMINS) can {cmd.doing or 'do that'}.")
    req.rest = rest
    if cmd.parsed:
        req.parsed = read_options(cmd, rest)
    return cmd.handler(req)


def help_data(topics: Sequence[Topic], commands: Sequence[Command], asked: str = "") -> dict[str, object]:
    """The data of `slack/help.json.j2`: every topic's commands (usage and what it does), or the one `asked` for."""
    key = asked.strip().lstrip("/").lower()
    topic = next((t for t in topics if key == t.key or key in t.aliases), None) if key else None
    unknown = asked.strip() if key and topic is None else None
    shown = [topic] if topic is not None else list(topics)
    return {
        "topics": [
            {"key": t.key, "title": t.title, "note": t.note,
             "commands": [{"usage": c.usage, "summary": c.summary} for c in commands
                          if c.help_topic == t.key and c.usage]}
            for t in shown
        ],
        "unknown": unknown,
        "topic_names": [t.key for t in topics],
    }


def help_reply(topic: Topic, commands: Sequence[Command]) -> Reply:
    """One topic's help, as a reply (also what a form's command shows when Slack cannot open the form)."""
    return Reply("slack/help.json.j2", help_data([topic], commands, topic.key))
