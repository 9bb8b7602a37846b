"""How the meeting record's board settings are read: a minute number's format (and a number made by it), the
quorum rule, and a day of the year (the yearly ask about interests). Each parser checks its value and says what
is wrong with a bad one; `handlers.board_rules.SETTINGS` declares the settings with them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from handlers.base import InvalidInput

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_MINUTE_YEARS = {"yy": lambda year: f"{year % 100:02d}", "yyyy": lambda year: f"{year:04d}"}
_MINUTE_NUMBERS = {"n": "{}", "nn": "{:02d}", "nnn": "{:03d}"}
_MINUTE_TEXT = re.compile(r"^[A-Za-z0-9/\-._ ]*$")


def parse_minute_format(raw: str) -> str:
    """A minute number's pattern: `{initials}` (the board's), `{yy}` or `{yyyy}`, and `{n}` (`{nn}`, `{nnn}`: at
    least 2 or 3 digits), among letters, digits and / - . _ — one year and one number, so every minute's
    number is the board's own."""
    value = raw.strip()
    names = _PLACEHOLDER.findall(value)
    unknown = [n for n in names if n not in (*_MINUTE_YEARS, *_MINUTE_NUMBERS, "initials")]
    if unknown:
        raise InvalidInput(f"`{{{unknown[0]}}}` is not a placeholder of a minute number. Use {{initials}}, {{yy}} or "
                           "{yyyy}, and {n} (or {nn}, {nnn}), like LSP/{yy}/{n}.")
    if sum(n in _MINUTE_YEARS for n in names) != 1 or sum(n in _MINUTE_NUMBERS for n in names) != 1:
        raise InvalidInput(f"`{raw}` needs one year ({{yy}} or {{yyyy}}) and one running number ({{n}}): the "
                           "number starts again each year, so both make a minute's number the board's own. "
                           "Like LSP/{yy}/{n}.")
    if not _MINUTE_TEXT.match(_PLACEHOLDER.sub("", value)) or len(value) > 30:
        raise InvalidInput(f"`{raw}` may hold only letters, digits, / - . _ and the placeholders, at most 30 "
                           "characters. Like LSP/{yy}/{n}.")
    return value


def minute_number(pattern: str, board_name: str, year: int, seq: int) -> str:
    """A minute's number from the board's `minute_format`: `LSP/{yy}/{n}` → `LSP/19/23`."""
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z0-9]+", board_name)).upper() or "B"

    def fill(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _MINUTE_YEARS:
            return _MINUTE_YEARS[name](year)
        if name in _MINUTE_NUMBERS:
            return _MINUTE_NUMBERS[name].format(seq)
        return initials

    return _PLACEHOLDER.sub(fill, pattern)
# ---------------------------------------------------------------- quorum


@dataclass(frozen=True)
class QuorumRule:
    """What makes a meeting quorate (`members:1/3 orgs:3 chair:yes`): at least `members_count` members, or that
    share (`members_share` as (numerator, denominator)) of the board's members; at least `orgs` organisations;
    the chair or a vice-chair present. Every part given must hold. No part: no quorum is set."""

    members_count: int | None = None
    members_share: tuple[int, int] | None = None
    orgs: int | None = None
    chair: bool = False

    @property
    def is_set(self) -> bool:
        return bool(self.members_count or self.members_share or self.orgs or self.chair)

    def members_needed(self, of: int) -> int:
        """How many of `of` counted members must be there (0 if the rule sets no number)."""
        if self.members_count:
            return self.members_count
        if self.members_share:
            num, den = self.members_share
            return -(-of * num // den)  # rounded up: a third of 10 is 4
        return 0

    def share_words(self) -> str:
        """The share of members in words (`a third`, `40%`, `2/5`), or "" for a number of members or none."""
        if not self.members_share:
            return ""
        num, den = self.members_share
        named = {(1, 2): "half", (1, 3): "a third", (2, 3): "two thirds", (1, 4): "a quarter",
                 (3, 4): "three quarters", (1, 1): "all"}.get((num, den))
        return named or (f"{num}%" if den == 100 else f"{num}/{den}")

    def members_words(self) -> str:
        """`a third of members`, `40% of members`, `5 members`, or ""."""
        if self.members_count:
            return f"{self.members_count} member{'s' if self.members_count != 1 else ''}"
        return f"{self.share_words()} of members" if self.members_share else ""

    def __str__(self) -> str:
        parts = []
        if self.members_count:
            parts.append(f"members:{self.members_count}")
        elif self.members_share:
            num, den = self.members_share
            parts.append(f"members:{num}%" if den == 100 else f"members:{num}/{den}")
        if self.orgs:
            parts.append(f"orgs:{self.orgs}")
        if self.chair:
            parts.append("chair:yes")
        return " ".join(parts) or "none"


QUORUM_EXAMPLES = ["/lsp board set quorum members:1/3 orgs:3 chair:yes", "/lsp board set quorum members:5",
                   "/lsp board set quorum none"]
_QUORUM_PARTS = {"members": "members", "orgs": "orgs", "organisations": "orgs", "organizations": "orgs",
                 "chair": "chair"}


def quorum_rule(raw: str) -> QuorumRule:
    """`members:1/3 orgs:3 chair:yes` (any of the parts, in any order; `members:` a share `1/3`, a percentage
    `40%` or a number `5`), or `none`: the board's quorum. Refused with the reason if any part is wrong."""
    text = " ".join(raw.replace(",", " ").split()).lower()
    if text in ("none", "off", "no", ""):
        return QuorumRule()
    found: dict[str, str] = {}
    for word in text.split():
        key, sep, value = word.partition(":")
        part = _QUORUM_PARTS.get(key)
        if not sep or part is None:
            raise InvalidInput(f"`{word}` is not part of a quorum. Use `members:`, `orgs:` and `chair:`, or `none`.",
                               examples=QUORUM_EXAMPLES)
        if part in found:
            raise InvalidInput(f"`{part}:` is given twice.", examples=QUORUM_EXAMPLES)
        found[part] = value
    rule: dict[str, Any] = {}
    if "members" in found:
        rule.update(_quorum_members(found["members"]))
    if "orgs" in found:
        value = found["orgs"]
        if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 100:
            raise InvalidInput(f"`orgs:{value}` must be a whole number of organisations from 1 to 100.",
                               examples=QUORUM_EXAMPLES)
        rule["orgs"] = int(value)
    if "chair" in found:
        if found["chair"] not in ("yes", "no"):
            raise InvalidInput(f"`chair:{found['chair']}` must be `yes` (the chair or a vice-chair must be there) "
                               "or `no`.", examples=QUORUM_EXAMPLES)
        rule["chair"] = found["chair"] == "yes"
    return QuorumRule(**rule)


def _quorum_members(value: str) -> dict[str, Any]:
    wrong = InvalidInput(f"`members:{value}` must be a share of the members (`1/3`, `1/2`), a percentage (`40%`) "
                         "or a number of members (`5`).", examples=QUORUM_EXAMPLES)
    if value.endswith("%"):
        number = value[:-1]
        if not (number.isascii() and number.isdigit()) or not 1 <= int(number) <= 100:
            raise InvalidInput(f"`members:{value}`: a percentage goes from 1% to 100%.", examples=QUORUM_EXAMPLES)
        return {"members_share": (int(number), 100)}
    if "/" in value:
        num, _, den = value.partition("/")
        if not all(p.isascii() and p.isdigit() for p in (num, den)) or not num or not den:
            raise wrong
        if not 0 < int(num) <= int(den) <= 100:
            raise InvalidInput(f"`members:{value}`: a share goes from more than none to all (`1/3`, `2/3`, `1/1`).",
                               examples=QUORUM_EXAMPLES)
        return {"members_share": (int(num), int(den))}
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 500:
        raise wrong
    return {"members_count": int(value)}


def parse_quorum(raw: str) -> str:
    """A quorum setting in its one written form (`members:1/3 orgs:3 chair:yes`, or `none`)."""
    return str(quorum_rule(raw))


_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")


def parse_day_of_year(raw: str) -> str:
    """`start` (the first working day of the board's year), or a day of the year as `MM-DD` or `1 September`."""
    text = " ".join(raw.strip().lower().split())
    if text in ("start", "year start", "year_start"):
        return "start"
    m = _MONTH_DAY.match(text)
    try:
        day = dt.date(2019, int(m.group(1)), int(m.group(2))) if m else dt.datetime.strptime(text, "%d %B").date()
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput(f"`{raw}` is not a day of the year. Use `start` (the first working day of the board's "
                           "year), or a day like `09-01` or `1 September` (29 February is not in every year).")
    return f"{day:%m-%d}"
