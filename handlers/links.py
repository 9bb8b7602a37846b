"""The addresses lspbot puts in messages, documents and emails, all built on LSPBOT_PUBLIC_URL, and members'
signed links to the private view of a board's pages (itsdangerous: signed, timestamped, bound to the person and
the board; no password store of our own)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

LINK_DAYS = 7  # how long a member's link to the private view lasts
_SALT = "lspbot.member-link"


class LinkRefused(Exception):
    """A member's link that is altered, made with another key, or for another board (`expired`: it was real but
    its time is up)."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


class _Serializer(URLSafeTimedSerializer):
    """itsdangerous's signed, timestamped tokens, on our clock rather than the system's."""

    def __init__(self, secret: str, now: Callable[[], dt.datetime]) -> None:
        now_seconds = lambda: int(now().timestamp())  # noqa: E731

        class Signer(TimestampSigner):
            def get_timestamp(self) -> int:
                return now_seconds()

        super().__init__(secret, salt=_SALT, signer=Signer)
        self._now_seconds = now_seconds


@dataclass(frozen=True)
class MemberPass:
    """Who a verified link is for, and when it runs out."""

    board_id: int
    member_id: int
    expires_at: dt.datetime


class Links:
    """Addresses on the public URL, and members' signed links (without a secret, no signed link is made)."""

    def __init__(self, public_url: str, secret: str | None = None, *, configured: bool = True) -> None:
        self.base = public_url.rstrip("/")
        self.secret = secret
        self.configured = configured  # False: LSPBOT_PUBLIC_URL not set, the default is used

    def board(self, slug: str) -> str:
        return f"{self.base}/b/{slug}/"

    def meeting(self, slug: str, day: dt.date) -> str:
        return f"{self.base}/b/{slug}/meetings/{day.isoformat()}/"

    def paper(self, slug: str, paper_id: int, filename: str) -> str:
        return f"{self.base}/b/{slug}/papers/{paper_id}/{quote(filename)}"

    def pack(self, slug: str, pack_id: int, filename: str) -> str:
        return f"{self.base}/b/{slug}/packs/{pack_id}/{quote(filename)}"

    def public_calendar(self, slug: str) -> str:
        return f"{self.base}/b/{slug}/meetings.ics"

    def member_calendar(self, slug: str, token: str) -> str:
        return f"{self.base}/b/{slug}/feeds/{token}.ics"

    def member_entry(self, slug: str, board_id: int, member_id: int, now: Callable[[], dt.datetime]) -> str:
        """A signed link that lets one member into the board's private view for LINK_DAYS."""
        if not self.secret:
            raise LinkRefused("no key to sign links with: set LSPBOT_SECRET_KEY (or SLACK_SIGNING_SECRET)")
        token = _Serializer(self.secret, now).dumps({"b": board_id, "m": member_id})
        return f"{self.base}/b/{slug}/enter/{token}"

    def read_member_entry(self, token: str, board_id: int, now: Callable[[], dt.datetime]) -> MemberPass:
        """Who a link is for, if it is genuine, for this board, and in date; else LinkRefused."""
        if not self.secret:
            raise LinkRefused("This link cannot be checked here.")
        serializer = _Serializer(self.secret, now)
        max_age = LINK_DAYS * 86400
        try:
            data, signed_at = serializer.loads(token, max_age=max_age, return_timestamp=True)
        except SignatureExpired:
            raise LinkRefused("This link has expired.", expired=True) from None
        except BadSignature:
            raise LinkRefused("This link is not valid: it may have been altered or cut short.") from None
        if not isinstance(data, dict) or data.get("b") != board_id or not isinstance(data.get("m"), int):
            raise LinkRefused("This link is not for this board.")
        return MemberPass(board_id, data["m"], signed_at + dt.timedelta(seconds=max_age))
