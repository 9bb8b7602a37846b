"""Read-only faces of a board, a member, a membership and an organisation, and plain rows that have them.

Every command starts by finding its board and the person asking (`store.boards.seat`). Most commands only read
what it found, and building four ORM entities for that cost several times the statement. So the seat is read
as plain rows (`BoardRow`, `MemberRow`, `MembershipRow`, `OrganisationRow`), and code that only reads a board or
a person takes the view (`BoardView`, `MemberView`, …), which the mapped classes and the rows both have. Code
that changes one through the ORM takes the mapped class, loaded by id (`store.boards.get_existing`,
`session.get(Member, …)`), and mypy keeps the two apart: a row has no setters and no relationships.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from store.models.core import Delivery, Role, email_ready, is_email_member_id


class BoardView(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def slug(self) -> str: ...
    @property
    def channel_id(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def settings(self) -> dict[str, Any]: ...
    @property
    def created_at(self) -> dt.datetime: ...


class OrganisationView(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def board_id(self) -> int: ...
    @property
    def name(self) -> str: ...


class MemberView(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def slack_user_id(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def dm_channel_id(self) -> str | None: ...
    @property
    def timezone(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def email_confirmed_at(self) -> dt.datetime | None: ...
    @property
    def delivery(self) -> Delivery: ...
    @property
    def email_digests(self) -> bool: ...
    @property
    def dm_failed_at(self) -> dt.datetime | None: ...
    @property
    def dm_failed_reason(self) -> str | None: ...
    @property
    def in_slack(self) -> bool: ...
    @property
    def email_ready(self) -> bool: ...


class MembershipView(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def board_id(self) -> int: ...
    @property
    def member_id(self) -> int: ...
    @property
    def role(self) -> Role: ...
    @property
    def organisation_id(self) -> int | None: ...
    @property
    def left_at(self) -> dt.datetime | None: ...
    @property
    def organisation(self) -> OrganisationView | None: ...
    @property
    def current(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class BoardRow:
    id: int
    name: str
    slug: str
    channel_id: str
    timezone: str
    settings: dict[str, Any]
    next_action_ref: int
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class OrganisationRow:
    id: int
    board_id: int
    name: str


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: int
    slack_user_id: str
    display_name: str
    dm_channel_id: str | None
    timezone: str | None
    email: str | None
    email_confirmed_at: dt.datetime | None
    delivery: Delivery
    email_digests: bool
    dm_failed_at: dt.datetime | None
    dm_failed_reason: str | None

    @property
    def in_slack(self) -> bool:  # as the mapped Member's
        return not is_email_member_id(self.slack_user_id)

    @property
    def email_ready(self) -> bool:
        return email_ready(self.email, self.email_confirmed_at)


@dataclass(frozen=True, slots=True)
class MembershipRow:
    id: int
    board_id: int
    member_id: int
    role: Role
    organisation_id: int | None
    left_at: dt.datetime | None
    organisation: OrganisationRow | None

    @property
    def current(self) -> bool:
        return self.left_at is None
