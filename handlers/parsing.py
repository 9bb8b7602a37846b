"""Tokenising slash-command text: quoted strings, `key:value` options, mentions and `#refs`."""

from __future__ import annotations

import re
from typing import Any

from handlers.base import Parsed, Token, UsageError

MAX_TEXT = 3000
# Slack sends mentions as <@U123|name> (should_escape: true) or <@U123>; people type @name in the console.
MENTION_RE = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
PLAIN_MENTION_RE = re.compile(r"^@([\w.\-]+)$")
REF_RE = re.compile(r"^#?(\d{1,9})$")
_QUOTES = {"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"}


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Drop control characters (NUL and friends) that no person types and PostgreSQL refuses to store."""
    return _CONTROL.sub("", text)


def normalise_quotes(text: str) -> str:
    for smart, plain in _QUOTES.items():
        text = text.replace(smart, plain)
    return text


# What opens quoted text, and what closes it. Quotes nest: curly ones pair up (`“the “protocol””`, what a phone or a
# Mac makes of `"the "protocol""`), and inside straight ones a quote after a space (or a bracket) and before a word
# opens an inner pair (`"the "protocol" today"`). Either way the inner quotes are kept as typed; `\\"` is always a
# quote inside the text.
OPENING_QUOTES = {'"': '"', "\u201c": "\u201d", "\u201d": "\u201d"}
_ESCAPED = {'"', "\u201c", "\u201d", "\\"}
_BEFORE_INNER = " \t\n([{"


def opens_quote(raw: str) -> bool:
    """Whether a token as typed begins with a quote (so `"kind:x"` is text, not an option)."""
    return raw[:1] in OPENING_QUOTES


def _opens_inner(text: str, j: int, opener: str) -> bool:
    """Whether the quote at `text[j]`, inside text quoted with `opener`, opens an inner pair."""
    if opener == "\u201c":
        return text[j] == "\u201c"
    if opener == '"' and text[j] == '"':
        return text[j - 1] in _BEFORE_INNER and j + 1 < len(text) and not text[j + 1].isspace()
    return False


def _quoted(text: str, i: int) -> tuple[str, int]:
    """The quoted text opened at `text[i]`, as meant (inner quotes kept, `\\"` a quote), and the index after its
    closing quote."""
    opener = text[i]
    closer = OPENING_QUOTES[opener]
    depth, j, out = 1, i + 1, []
    while j < len(text):
        ch = text[j]
        if ch == "\\" and j + 1 < len(text) and text[j + 1] in _ESCAPED:
            out.append(text[j + 1])
            j += 2
            continue
        if _opens_inner(text, j, opener):
            depth += 1
        elif ch == closer:
            depth -= 1
            if depth == 0:
                return "".join(out), j + 1
        out.append(ch)
        j += 1
    raise UsageError("A quote is opened but never closed. To put a quote inside quoted text, write it as \\\".",
                     examples=['"Quoted title"', '"Agree the \\"protocol\\" with partners"'])


def tokenize(text: str) -> list[Token]:
    """Split on white space, keeping "quoted strings" (straight or curly quotes) together: a token's `value` is
    what was meant (quotes taken off, `\\"` inside them a quote), its `raw` the text as typed. A member named by
    their name (`@"Jane Smith"`, `@“Jane Smith”`) is one token whose value is `@"Jane Smith"`, not quoted text."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        buf: list[str] = []
        quoted = False
        while i < n and not text[i].isspace():
            ch = text[i]
            if ch == "<" and (close := text.find(">", i + 1)) != -1:
                # Slack entities (<@U123|Some Name>, <#C1|general>, <!here>) stay whole.
                buf.append(text[i : close + 1])
                i = close + 1
            elif ch in OPENING_QUOTES and buf == ["@"] and i == start + 1:
                # `@"Jane Smith"`: a member named by their name, one token that keeps its quotes (not quoted text)
                value, i = _quoted(text, i)
                buf.append(f'"{value}"')
            elif ch in OPENING_QUOTES:
                value, i = _quoted(text, i)
                buf.append(value)
                quoted = True
            else:
                buf.append(ch)
                i += 1
        tokens.append(Token("".join(buf), text[start:i], quoted, start, i))
    return tokens


def whole_quoted(text: str) -> str | None:
    """What text typed wholly inside one pair of quotes means (`"the \\"protocol\\""` → `the "protocol"`), else None."""
    if not opens_quote(text):
        return None
    try:
        value, end = _quoted(text, 0)
    except UsageError:
        return None
    return value if end == len(text) else None


def parse(text: str, option_names: tuple[str, ...] = (), phrase_options: tuple[str, ...] = ()) -> Parsed:
    """Tokens, with `name:value` pulled out for the given option names.

    An option's value is one word unless quoted (`kind:"standing item"`). The unquoted words that directly follow
    an unquoted value are marked with `after_option`, so a command can refuse `kind:standing item` instead of
    gluing `item` onto the title; for a `phrase_options` option (a date, like `for:9 January 2020`) they are read
    as the rest of its value, up to the next option or quoted text."""
    out = Parsed()
    open_option: str | None = None  # an option given unquoted, which the next unquoted words may continue
    for tok in tokenize(text):
        key, sep, value = tok.raw.partition(":")
        if sep and key.lower() in option_names and not opens_quote(tok.raw):
            first = tokenize(value)[0] if value.strip() else None
            out.options[key.lower()] = first.value if first else ""
            open_option = None if first and first.quoted else key.lower()
        elif open_option and not tok.quoted:
            if open_option in phrase_options:
                out.options[open_option] = f"{out.options[open_option]} {tok.value}".strip()
            else:
                tok.after_option = open_option
                out.args.append(tok)
        else:
            open_option = None
            out.args.append(tok)
    return out


def refuse_stray(stray: list[Token], options: dict[str, str], *, example: str) -> None:
    """Refuse words outside a quoted title that no option takes, naming them and showing the quoted form."""
    if not stray:
        return
    words = " ".join(t.raw for t in stray)
    option = stray[0].after_option
    if option:
        continued = " ".join(t.value for t in stray if t.after_option == option)
        quoted = f'{option}:"{options.get(option, "")} {continued}"'.replace(':" ', ':"')
        raise UsageError(f"“{words}” is not part of the title or of any option. A value with spaces goes in "
                         f"quotes: `{quoted}`.", examples=[example])
    raise UsageError(f"“{words}” is outside the title's quotes. Put the whole title in one pair of quotes.",
                     examples=[example])


def mention_id(token: str) -> str | None:
    """The Slack user id in `<@U123|name>` or `<@U123>`, else None."""
    m = MENTION_RE.match(token.strip())
    return m.group(1) if m else None


MAX_ID = 2**31 - 1  # row ids are 32-bit integers on PostgreSQL


def parse_id(value: Any) -> int | None:
    """A row id carried by a button's value or a form's metadata: ASCII digits within an id's range, else None
    (so "²", "1e9" or twenty digits are "no such row", never an exception or an out-of-range query)."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_ref(token: str) -> int:
    """`#12` or `12` as an action reference."""
    m = REF_RE.match(token.strip())
    if not m:
        raise UsageError(f"`{token}` is not an action reference.", examples=["#12"])
    return int(m.group(1))


def check_text(text: str, what: str = "text") -> str:
    """Non-empty and within Slack's 3,000 characters."""
    text = text.strip()
    if not text:
        raise UsageError(f"The {what} is empty.")
    if len(text) > MAX_TEXT:
        raise UsageError(f"The {what} is {len(text):,} characters long; the limit is {MAX_TEXT:,}.")
    return text


def slack_unescape(text: str) -> str:
    """Text as the person typed it, from Slack's escaped form: Slack sends `&`, `<` and `>` typed in a message
    or a slash command as `&amp;`, `&lt;` and `&gt;` (its own `<@U…>` and `<!…>` tokens stay as they are)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
