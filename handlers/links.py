"""The addresses lspbot puts in messages, documents and emails, all built on LSPBOT_PUBLIC_URL, and members'
signed links to the private view of a board's pages (itsdangerous: signed, timestamped, bound to the person and
the board; no password store of our own)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

LINK_DAYS = 7  # how long a member's link to the private view lasts
ANSWER_DAYS = 14  # how long an answer link in an email lasts (a chaser that follows brings a new one)
_SALT = "lspbot.member-link"
_ANSWER_SALT = "lspbot.answer-link"


class Answer(str, enum.Enum):
    """What an answer link in an email lets its person do, on a small page of the board's web app (`/a/<token>`),
    and the object it is bound to. The page only shows; the change is its form's POST (with a CSRF token)."""

    ACTION = "action"  # an action (its id): mark it done with a note, add progress, snooze it, say it is not theirs
    UPDATE = "update"  # a board (its id): send their organisation's partner update for the next meeting
    RETURN = "return"  # a board (its id): send the quarter's returns (RAG and commentary) for what they lead
    ATTENDANCE = "attendance"  # a meeting (its id): attending, apologies, or a substitute
    UNSUBSCRIBE = "unsubscribe"  # their own member id: no more optional digests by email (List-Unsubscribe)
    CONFIRM = "confirm"  # their own member id: confirm the address the email went to (bound to that address)


class LinkRefused(Exception):
    """A member's link that is altered, made with another key, or for another board (`expired`: it was real but
    its time is up)."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


class _Serializer(URLSafeTimedSerializer):
    """itsdangerous's signed, timestamped tokens, on our clock rather than the system's."""

    def __init__(self, secret: str, now: Callable[[], dt.datetime], salt: str = _SALT) -> None:
        now_seconds = lambda: int(now().timestamp())  # noqa: E731

        class Signer(TimestampSigner):
            def get_timestamp(self) -> int:
                return now_seconds()

        super().__init__(secret, salt=salt, signer=Signer)
        self._now_seconds = now_seconds


@dataclass(frozen=True)
class AnswerPass:
    """What a verified answer link is for: its person, what they may do to which object, when it was made and runs
    out, and its digest (store: a used link is remembered by it, never by the token itself)."""

    kind: Answer
    member_id: int
    object_id: int
    email: str | None  # the address a CONFIRM link confirms
    signed_at: dt.datetime
    expires_at: dt.datetime
    digest: str


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

    # ------------------------------------------------------------ answer links (email)

    def answer(self, kind: Answer, member_id: int, object_id: int, now: Callable[[], dt.datetime], *,
               email: str | None = None) -> str:
        """A signed link for one person to answer about one object from an email (`/a/<token>`), for ANSWER_DAYS."""
        if not self.secret:
            raise LinkRefused("no key to sign links with: set LSPBOT_SECRET_KEY (or SLACK_SIGNING_SECRET)")
        data: dict[str, object] = {"k": kind.value, "m": member_id, "o": object_id}
        if email is not None:
            data["e"] = email
        token = _Serializer(self.secret, now, _ANSWER_SALT).dumps(data)
        return f"{self.base}/a/{token}"

    def read_answer(self, token: str, now: Callable[[], dt.datetime]) -> AnswerPass:
        """What a genuine, in-date answer link is for; else LinkRefused (`expired` for one whose time is up)."""
        return self._answer_pass(token, now, ANSWER_DAYS * 86400)

    def expired_answer(self, token: str, now: Callable[[], dt.datetime]) -> AnswerPass | None:
        """What an expired (but genuine) answer link was for, so its page can offer a fresh one by email; None for a
        link that is not genuine."""
        try:
            return self._answer_pass(token, now, None)
        except LinkRefused:
            return None

    def _answer_pass(self, token: str, now: Callable[[], dt.datetime], max_age: int | None) -> AnswerPass:
        if not self.secret:
            raise LinkRefused("This link cannot be checked here.")
        try:
            data, signed_at = _Serializer(self.secret, now, _ANSWER_SALT).loads(token, max_age=max_age,
                                                                               return_timestamp=True)
        except SignatureExpired:
            raise LinkRefused("This link has expired.", expired=True) from None
        except BadSignature:
            raise LinkRefused("This link is not valid: it may have been altered or cut short.") from None
        try:
            kind = Answer(data["k"])
            member_id, object_id = int(data["m"]), int(data["o"])
            email = data.get("e")
            if email is not None and not isinstance(email, str):
                raise TypeError(email)
        except (TypeError, KeyError, ValueError):
            raise LinkRefused("This link is not valid: it may have been altered or cut short.") from None
        lasts = dt.timedelta(seconds=ANSWER_DAYS * 86400)
        return AnswerPass(kind, member_id, object_id, email, signed_at, signed_at + lasts,
                          answer_digest(kind, member_id, object_id, email, signed_at))


def answer_digest(kind: Answer, member_id: int, object_id: int, email: str | None, signed_at: dt.datetime) -> str:
    """The digest an answer link is remembered by once used (store.links), and its fresh link's outbox key: of what
    its signature vouches for, not of the token's text, which has many spellings that verify alike (base64's
    padding and alphabet are read leniently), so a used link cannot be used again by spelling it otherwise."""
    signed = json.dumps([kind.value, member_id, object_id, email, int(signed_at.timestamp())])
    return hashlib.sha256(signed.encode()).hexdigest()
