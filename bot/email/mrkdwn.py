"""Slack mrkdwn, as the templates write it, into an email's HTML and plain text.

The text is mrkdwn already escaped for Slack (user text's `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;`), with Slack's
entities: `<@U…>` and `<@U…|name>` (a person: their name), `<#C…|name>` (a channel), `<!date^…|fallback>` (the
fallback), `<!channel>`, `<url|text>` and `<url>`. Formatting: *bold*, _italic_, ~strike~, `code`, ```pre```, and
the emoji the templates use. In the HTML every piece of text is escaped once, and only http(s) and mailto links are
made links.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

NameOf = Callable[[str], "str | None"]

_PRE = re.compile(r"```\n?(.*?)\n?```", re.S)
_CODE = re.compile(r"`([^`\n]+)`")
_ENTITY = re.compile(r"<([^<>\n]+)>")
_BOLD = re.compile(r"(?<![\w*])\*(?![\s*])([^*\n]*?[^\s*])\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?![\s_])([^_\n]*?[^\s_])_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?![\s~])([^~\n]*?[^\s~])~(?![\w~])")
_EMOJI = re.compile(r":([a-z0-9_+-]+):")
_HELD = re.compile(r"\x00(\d+)\x00")
_SAFE_URL = re.compile(r"(?:https?://|mailto:)[^\s\"<>]+", re.I)

EMOJI = {
    "white_check_mark": "✅", "warning": "⚠️", "memo": "📝", "wave": "👋", "page_facing_up": "📄",
    "hourglass_flowing_sand": "⏳", "hourglass": "⌛", "bar_chart": "📊", "raised_hand": "✋", "no_entry_sign": "🚫",
    "lock": "🔒", "large_green_circle": "🟢", "red_circle": "🔴", "large_orange_circle": "🟠", "white_circle": "⚪",
    "busts_in_silhouette": "👥", "bust_in_silhouette": "👤", "wastebasket": "🗑️", "spiral_calendar_pad": "🗓️",
    "calendar": "📆", "date": "📅", "rotating_light": "🚨", "mega": "📣", "leftwards_arrow_with_hook": "↩️",
    "information_source": "ℹ️", "grey_question": "❔", "globe_with_meridians": "🌐", "door": "🚪",
    "checkered_flag": "🏁", "bellhop_bell": "🛎️", "ballot_box_with_check": "☑️", "zzz": "💤", "x": "❌",
    "tada": "🎉", "repeat": "🔁", "raising_hand": "🙋", "pushpin": "📌", "mailbox_with_mail": "📬", "mag": "🔍",
    "heavy_minus_sign": "➖", "envelope_with_arrow": "📩", "classical_building": "🏛️",
    "arrows_counterclockwise": "🔄", "arrow_right": "➡️", "paperclip": "📎",
}

CODE_STYLE = "font-family:Consolas,'Courier New',monospace;background:#f3f4f6;padding:1px 4px;font-size:90%;"
PRE_STYLE = ("font-family:Consolas,'Courier New',monospace;background:#f3f4f6;padding:8px;margin:4px 0;"
             "white-space:pre-wrap;font-size:90%;")
LINK_STYLE = "color:#1d4ed8;text-decoration:underline;"


def unescape(text: str) -> str:
    """Slack's three escapes undone (`&amp;`, `&lt;`, `&gt;`), nothing else."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class _Entity:
    """One `<…>` entity: what it shows and, for a link, where it goes."""

    def __init__(self, inner: str, name_of: NameOf | None) -> None:
        target, _, label = inner.partition("|")
        self.url: str | None = None
        if target.startswith("@"):
            person = target[1:]
            self.text = (name_of(person) if name_of else None) or unescape(label) or "a member"
        elif target.startswith("#"):
            self.text = "#" + (unescape(label) if label else "the channel")
        elif target.startswith("!date^"):
            self.text = unescape(label) or ""
        elif target.startswith("!"):
            word = target[1:].split("^", 1)[0]
            self.text = "@" + (unescape(label) or word)
        else:
            url = unescape(target)
            self.text = unescape(label) if label else url
            self.url = url if _SAFE_URL.fullmatch(url) else None


def _emoji(text: str) -> str:
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


class _Held:
    """Pieces of a converted text (code, links, names) set aside while the rest is escaped and formatted, so no
    formatting reaches into them, and put back at the end."""

    def __init__(self) -> None:
        self.pieces: list[str] = []

    def hold(self, fragment: str) -> str:
        self.pieces.append(fragment)
        return f"\x00{len(self.pieces) - 1}\x00"

    def back(self, text: str) -> str:
        return _HELD.sub(lambda m: self.pieces[int(m.group(1))], text)


def _convert(text: str, name_of: NameOf | None, *, pre: Callable[[str], str], code: Callable[[str], str],
             entity: Callable[[_Entity], str], rest: Callable[[str], str]) -> str:
    """mrkdwn converted: its ```pre``` blocks, `code` spans and <entities> (links, people, channels, dates) each
    by its own function, set aside, and what remains by `rest`."""
    held = _Held()
    text = str(text).replace("\x00", "")  # the marker of what is set aside: never in the text itself
    text = _PRE.sub(lambda m: held.hold(pre(unescape(m.group(1)))), str(text))
    text = _CODE.sub(lambda m: held.hold(code(unescape(m.group(1)))), text)
    text = _ENTITY.sub(lambda m: held.hold(entity(_Entity(m.group(1), name_of))), text)
    return held.back(rest(text))


def _entity_html(e: _Entity) -> str:
    if e.url:
        return f'<a href="{html.escape(e.url)}" style="{LINK_STYLE}">{html.escape(e.text)}</a>'
    return html.escape(e.text)


def _rest_html(text: str) -> str:
    text = html.escape(unescape(text), quote=False)
    text = _BOLD.sub(r"<strong>\1</strong>", text)
    text = _ITALIC.sub(r"<em>\1</em>", text)
    text = _STRIKE.sub(r"<s>\1</s>", text)
    return _emoji(text).replace("\n", "<br>\n")


def to_html(text: str, name_of: NameOf | None = None) -> str:
    """mrkdwn as HTML (inline, line breaks as <br>): escaped, formatted, with its links and people's names."""
    return _convert(text, name_of,
                    pre=lambda t: f'<pre style="{PRE_STYLE}">{html.escape(t)}</pre>',
                    code=lambda t: f'<code style="{CODE_STYLE}">{html.escape(t)}</code>',
                    entity=_entity_html, rest=_rest_html)


def _entity_text(e: _Entity) -> str:
    if e.url and e.text != e.url:
        return f"{e.text} ({e.url})"
    return e.url or e.text


def _rest_text(text: str) -> str:
    text = _STRIKE.sub(r"\1", _ITALIC.sub(r"\1", unescape(text)))
    return _emoji(text)


def to_text(text: str, name_of: NameOf | None = None) -> str:
    """mrkdwn as plain text: links as `text (url)`, people by name, italics and strikes unmarked, *bold* kept."""
    return _convert(text, name_of, pre=lambda t: "\n" + t + "\n", code=lambda t: t, entity=_entity_text,
                    rest=_rest_text)


def plain(text: str, name_of: NameOf | None = None) -> str:
    """mrkdwn as one plain line (a subject): no formatting marks at all."""
    return " ".join(_BOLD.sub(r"\1", to_text(text, name_of)).split())


def mrkdwn_escape(text: str) -> str:
    """Plain text made safe to read as mrkdwn (its `&`, `<`, `>` escaped as Slack escapes them)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_url(url: str) -> bool:
    """Whether an address may be a link in an email: http(s) or mailto, nothing that runs."""
    return bool(_SAFE_URL.fullmatch(url))
