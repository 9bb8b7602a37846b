"""What lspbot holds about one person, and erasing it: the subject access export and the pseudonymisation.

Erasing a person keeps the board's record (actions, decisions, updates, the audit trail) and replaces the
person in it: their member record becomes "Former member N" (N is the record's id) with the Slack id
`erased:N`, which no Slack id can match; every copy of their Slack id, DM channel, email address and name in
every text and JSON column of every table is rewritten the same way; their DM channel, time zone, email address
(with its confirmation), how they were reached and a failed DM are forgotten; the messages (and emails) waiting
to go to them are cancelled and the content of those already sent to them is purged.

With a board, only that board's record is changed: the person's rows there move to a new "Former member N"
record of their own (the member record is shared by every board, so it cannot be renamed for one), and the
copies of their Slack id and name in that board's rows and audit entries are rewritten to it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, ColumnElement, Enum, String, Table, Text, and_, cast, func, or_, select, update
from sqlalchemy.orm import Session

from store.models import (
    Action,
    ActionChase,
    ActionUpdate,
    AgendaProposal,
    AgendaPublication,
    Attendance,
    AuditRecord,
    Base,
    Board,
    Declaration,
    Delivery,
    Interest,
    Meeting,
    MeetingItem,
    MeetingNote,
    Member,
    Membership,
    MinutesVersion,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    PartnerUpdate,
    PerformanceItem,
    PlanItem,
    QuarterlyReturn,
    ReminderLog,
    StandingItem,
)
from store.models.views import BoardView
from store.outbox import EMAIL, PURGED

ERASED_PREFIX = "erased:"
CANCELLED = "cancelled: the person it was for was erased"


def pseudonym_key(member_id: int) -> str:
    """What stands for an erased person's Slack id: never a Slack id, unique per member record."""
    return f"{ERASED_PREFIX}{member_id}"


def pseudonym_name(member_id: int) -> str:
    return f"Former member {member_id}"


def is_erased(member: Member) -> bool:
    return member.slack_user_id.startswith(ERASED_PREFIX)


def find(*, session: Session, slack_user_id: str) -> Member | None:
    """A person by Slack id (or by `erased:N`, an erased record)."""
    return session.scalar(select(Member).where(Member.slack_user_id == slack_user_id))


# ---------------------------------------------------------------- finding and replacing a person in text


def _bounded(literal: str) -> str:
    """`literal` not inside a longer word or id."""
    return r"(?<![\w])" + re.escape(literal) + r"(?![\w])"


@dataclass(frozen=True)
class Terms:
    """The patterns that find one person in text, and what each becomes; and the substrings a row must hold to
    be looked at (so the database, not Python, reads past the rows that cannot name them)."""

    rules: tuple[tuple[re.Pattern[str], str], ...]
    exact: tuple[str, ...]  # substrings as they are stored (the Slack id, the DM channel)
    folded: str | None  # a lower-case ASCII substring of the name (None: the name has none; every row is looked at)

    @classmethod
    def of(cls, member: Member, key: str, name: str, addresses: Sequence[str] = ()) -> Terms:
        """The terms that name `member`; `addresses`: every address they have had (addresses_of)."""
        rules: list[tuple[re.Pattern[str], str]] = []
        slack_id = member.slack_user_id
        rules.append((re.compile(r"<@" + re.escape(slack_id) + r"(\|[^>]*)?>"), name))  # a Slack mention, with its label
        rules.append((re.compile(_bounded(slack_id)), key))
        exact = [slack_id]
        if member.dm_channel_id:
            rules.append((re.compile(_bounded(member.dm_channel_id)), key))
            exact.append(member.dm_channel_id)
        for address in dict.fromkeys([*([member.email] if member.email else []), *addresses]):
            # an address of theirs, as stored (normalised) wherever it was copied: the audit, the outbox
            rules.append((re.compile(r"(?<![\w.+-])" + re.escape(address) + r"(?![\w.-])", re.IGNORECASE), key))
            exact.append(address)
        display = member.display_name.strip()
        folded: str | None = None
        if display and display != slack_id and not display.startswith("Former member "):
            rules.append((re.compile(_bounded(display), re.IGNORECASE), name))
            # The longest ASCII run of the name: JSON may store the rest as \u escapes, and SQLite's lower() folds
            # ASCII only.
            runs = re.findall(r"[A-Za-z0-9' .-]+", display)
            folded = max(runs, key=lambda r: len(r.strip())).strip().lower() if runs else None
            if not folded or not folded.strip():
                return cls(tuple(rules), tuple(exact), None)
        return cls(tuple(rules), tuple(exact), folded)

    @property
    def looks_everywhere(self) -> bool:
        return any(p.flags & re.IGNORECASE for p, _ in self.rules) and self.folded is None

    def condition(self, column: Any) -> ColumnElement[bool]:
        """A SQL test that is true of every value of `column` naming the person (and of a few more)."""
        text = cast(column, Text) if isinstance(column.type, JSON) else column
        tests = [text.contains(needle, autoescape=True) for needle in self.exact]
        if self.folded is not None:
            tests.append(func.lower(text).contains(self.folded, autoescape=True))
        return or_(*tests)

    def found(self, text: str) -> bool:
        return any(pattern.search(text) for pattern, _ in self.rules)

    def replace(self, text: str) -> str:
        for pattern, replacement in self.rules:
            text = pattern.sub(replacement, text)
        return text


def _walk(value: Any, fix: Callable[[str], str]) -> Any:
    """A JSON value with `fix` applied to every string in it (keys included)."""
    if isinstance(value, str):
        return fix(value)
    if isinstance(value, list):
        return [_walk(v, fix) for v in value]
    if isinstance(value, dict):
        return {fix(k) if isinstance(k, str) else k: _walk(v, fix) for k, v in value.items()}
    return value


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str):
                yield k
            yield from _strings(v)


def text_columns(table: Table) -> list[Any]:
    """The columns of a table that hold text a person's name or id could be in: strings, text and JSON."""
    return [c for c in table.columns
            if isinstance(c.type, (String, Text, JSON)) and not isinstance(c.type, Enum) and not c.primary_key]


def _board_scope(board: BoardView, member: Member) -> dict[str, ColumnElement[bool]]:
    """For each table holding a board's record, the condition that picks that board's rows."""
    actions = select(Action.id).where(Action.board_id == board.id)
    items = select(PerformanceItem.id).where(PerformanceItem.board_id == board.id)
    meetings = select(Meeting.id).where(Meeting.board_id == board.id)
    entities: dict[str, Any] = {
        "action": actions,
        "agenda_proposal": select(AgendaProposal.id).where(AgendaProposal.board_id == board.id),
        "agenda": select(AgendaPublication.id).where(AgendaPublication.board_id == board.id),
        "meeting": select(Meeting.id).where(Meeting.board_id == board.id),
        "plan_item": select(PlanItem.id).where(PlanItem.board_id == board.id),
        "standing_item": select(StandingItem.id).where(StandingItem.board_id == board.id),
        "partner_update": select(PartnerUpdate.id).where(PartnerUpdate.board_id == board.id),
        "interest": select(Interest.id).where(Interest.board_id == board.id),
        "performance_item": items,
        "quarterly_return": select(QuarterlyReturn.id).where(QuarterlyReturn.item_id.in_(items)),
        "meeting_attendance": select(Attendance.id).where(Attendance.meeting_id.in_(meetings)),
        "minutes": select(MinutesVersion.id).where(MinutesVersion.meeting_id.in_(meetings)),
    }
    audit = or_(*(and_(AuditRecord.entity == entity, AuditRecord.entity_id.in_(ids)) for entity, ids in entities.items()),
                and_(AuditRecord.entity == "board", AuditRecord.entity_id == board.id),
                # membership records name the board they are about
                and_(AuditRecord.entity == "membership", AuditRecord.entity_id == member.id))
    scope: dict[str, ColumnElement[bool]] = {
        "boards": Base.metadata.tables["boards"].c.id == board.id,
        "action_updates": ActionUpdate.action_id.in_(actions),
        "action_chases": ActionChase.action_id.in_(actions),
        "quarterly_returns": QuarterlyReturn.item_id.in_(items),
        "meeting_attendance": Attendance.meeting_id.in_(meetings),
        "minutes_versions": MinutesVersion.meeting_id.in_(meetings),  # every version of the board's minutes
        "declarations": Declaration.meeting_id.in_(meetings),
        "meeting_notes": MeetingNote.item_id.in_(select(MeetingItem.id).where(MeetingItem.board_id == board.id)),
        "audit_log": audit,
    }
    for table in Base.metadata.sorted_tables:
        if "board_id" in table.c and table.name not in ("memberships",):
            scope[table.name] = table.c.board_id == board.id
    return scope


def _membership_rows_of_other_boards(board: BoardView) -> Callable[[str, dict[str, Any]], bool]:
    """A membership audit row is about this board when its JSON names the board (by id or name)."""
    def about_board(table: str, row: dict[str, Any]) -> bool:
        if table != "audit_log" or row.get("entity") != "membership":
            return True
        for side in (row.get("before"), row.get("after")):
            if isinstance(side, dict) and (side.get("board_id") == board.id or side.get("board") == board.name):
                return True
        return False
    return about_board


@dataclass
class Mention:
    """A place a person is named: table, row id, column and the text (the matching strings of a JSON value)."""

    table: str
    row_id: Any
    column: str
    text: list[str]


def _scan(session: Session, terms: Terms, *, scope: dict[str, ColumnElement[bool]] | None,
          keep_row: Callable[[str, dict[str, Any]], bool] | None = None,
          skip: tuple[str, ...] = ("members",)) -> Iterator[tuple[Table, Any, dict[str, Any]]]:
    """Every row (of the scope's tables) with a text column naming the person: (table, primary key, row)."""
    for table in Base.metadata.sorted_tables:
        if table.name in skip or (scope is not None and table.name not in scope):
            continue
        columns = text_columns(table)
        if not columns:
            continue
        pk = list(table.primary_key.columns)
        stmt = select(*pk, *columns)
        if scope is not None:
            stmt = stmt.where(scope[table.name])
        if not terms.looks_everywhere:
            stmt = stmt.where(or_(*(terms.condition(c) for c in columns)))
        for row in session.execute(stmt.execution_options(yield_per=500)).mappings():
            values = dict(row)
            texts = [s for c in columns for s in _strings(values[c.name])]
            if not any(terms.found(s) for s in texts):
                continue
            if keep_row is not None and not keep_row(table.name, values):
                continue
            yield table, tuple(values[c.name] for c in pk), values


def mentions(*, session: Session, member: Member) -> list[Mention]:
    """Every text and JSON value outside the member record that names the person (their Slack id, DM channel or
    name), for the export."""
    terms = Terms.of(member, pseudonym_key(member.id), pseudonym_name(member.id),
                     addresses_of(session=session, member=member))
    found = []
    for table, key, values in list(_scan(session, terms, scope=None)):
        for column in text_columns(table):
            strings = [s for s in _strings(values[column.name]) if terms.found(s)]
            if strings:
                found.append(Mention(table.name, key[0] if len(key) == 1 else list(key), column.name, strings))
    return found


def _rewrite(session: Session, terms: Terms, *, scope: dict[str, ColumnElement[bool]] | None,
             keep_row: Callable[[str, dict[str, Any]], bool] | None = None) -> int:
    """Rewrite every copy of the person in the scope's text columns; the number of rows changed."""
    changed = 0
    for table, key, values in list(_scan(session, terms, scope=scope, keep_row=keep_row)):
        new = {}
        for column in text_columns(table):
            value = values[column.name]
            if value is None:
                continue
            fixed = _walk(value, terms.replace)
            if fixed != value:
                new[column.name] = fixed
        if new:
            pk = list(table.primary_key.columns)
            session.execute(update(table).where(*(c == k for c, k in zip(pk, key, strict=True))).values(**new))
            changed += 1
    return changed


# ---------------------------------------------------------------- erasing


@dataclass
class Erasure:
    """What an erasure did."""

    pseudonym: str
    key: str
    boards_left: list[str] = field(default_factory=list)
    rows_rewritten: int = 0
    messages_cancelled: int = 0
    messages_purged: int = 0


def erase(*, session: Session, member: Member, now: dt.datetime) -> Erasure:
    """Pseudonymise the person everywhere (see the module's description). The caller checks first that no board
    is left without its chair, and records the erasure in the audit trail."""
    key, name = pseudonym_key(member.id), pseudonym_name(member.id)
    addresses = addresses_of(session=session, member=member)
    terms = Terms.of(member, key, name, addresses)
    result = Erasure(name, key)
    to_them = _messages_to(member, addresses)
    # Messages not yet sent are cancelled rather than deleted: the row (and so its id and key) stays, failed and
    # emptied, never to be claimed or retried. A deleted row's id can be given to the next message on SQLite while
    # a sender still holds the deleted one in flight, which it would then mark sent in the new one's place.
    result.messages_cancelled = _count(session.execute(
        update(OutboxMessage).where(to_them, OutboxMessage.status != OutboxStatus.SENT)
        .values(status=OutboxStatus.FAILED, payload=PURGED, last_error=CANCELLED, purged_at=now, target=key,
                slack_channel=None, claimed_until=None)))
    result.messages_purged = _count(session.execute(
        update(OutboxMessage).where(to_them)
        .values(payload=PURGED, last_error=None, purged_at=now, slack_channel=None, target=key)))
    session.expire_all()
    result.rows_rewritten = _rewrite(session, terms, scope=None)
    result.boards_left = leave_boards(session=session, member=member, now=now)
    session.execute(update(Member).where(Member.id == member.id)
                    .values(display_name=name, slack_user_id=key, dm_channel_id=None, timezone=None, email=None,
                            email_confirmed_at=None, delivery=Delivery.SLACK, dm_failed_at=None,
                            dm_failed_reason=None))
    session.expire_all()
    return result


def addresses_of(*, session: Session, member: Member) -> list[str]:
    """Every address the person has had: the one they have, and those the audit of their address's changes and of
    their joining by email records (an erasure forgets them all)."""
    found = [member.email] if member.email else []
    for before, after in session.execute(select(AuditRecord.before, AuditRecord.after).where(
            AuditRecord.entity.in_(("member", "membership")), AuditRecord.entity_id == member.id)):
        for values in (before, after):
            if isinstance(values, dict) and isinstance(values.get("email"), str) and values["email"]:
                found.append(values["email"])
    return list(dict.fromkeys(a.lower() for a in found))


def _messages_to(member: Member, addresses: Sequence[str] = ()) -> ColumnElement[bool]:
    """The outbox rows for the person: to their Slack DM, and the emails to any address they have had (`addresses`,
    with the one they have; its confirmation too)."""
    to_them = and_(OutboxMessage.target_kind == "user", OutboxMessage.target == member.slack_user_id)
    emails = list(dict.fromkeys(a.lower() for a in [*([member.email] if member.email else []), *addresses]))
    if not emails:
        return to_them
    return or_(to_them, and_(OutboxMessage.target_kind == EMAIL, func.lower(OutboxMessage.target).in_(emails)))


def leave_boards(*, session: Session, member: Member, now: dt.datetime, board: BoardView | None = None) -> list[str]:
    """Take the person off every board they are on (or one); the boards' names. The memberships stay, marked as
    left, so each board's record still knows which organisation its former member represented."""
    stmt = select(Membership, Board.name).join(Board).where(Membership.member_id == member.id,
                                                           Membership.left_at.is_(None))
    if board is not None:
        stmt = stmt.where(Membership.board_id == board.id)
    left = []
    for membership, board_name in session.execute(stmt).all():
        left.append(board_name)
        membership.left_at = now
    session.flush()
    return left


def erase_from_board(*, session: Session, member: Member, board: BoardView, now: dt.datetime) -> tuple[Erasure, Member]:
    """Take the person off one board and replace them in that board's record by a new "Former member N" record;
    their member record, and every other board's record, stay as they are. (The erasure and the new record.)"""
    stand_in = Member(slack_user_id=f"{ERASED_PREFIX}new", display_name="Former member")
    session.add(stand_in)
    session.flush()
    was_on = session.scalar(select(Membership).where(Membership.board_id == board.id,
                                                     Membership.member_id == member.id))
    key, name = pseudonym_key(stand_in.id), pseudonym_name(stand_in.id)
    stand_in.slack_user_id, stand_in.display_name = key, name
    session.flush()
    actions = select(Action.id).where(Action.board_id == board.id)
    items = select(PerformanceItem.id).where(PerformanceItem.board_id == board.id)
    moves: list[tuple[Any, ColumnElement[bool]]] = [
        (Action.owner_id, Action.board_id == board.id),
        (Action.created_by_id, Action.board_id == board.id),
        (ActionUpdate.author_id, ActionUpdate.action_id.in_(actions)),
        (ActionChase.disowned_by, ActionChase.action_id.in_(actions)),
        (AgendaProposal.proposer_id, AgendaProposal.board_id == board.id),
        (AgendaProposal.decided_by_id, AgendaProposal.board_id == board.id),
        (PartnerUpdate.author_id, PartnerUpdate.board_id == board.id),
        (PerformanceItem.lead_member_id, PerformanceItem.board_id == board.id),
        (QuarterlyReturn.author_id, QuarterlyReturn.item_id.in_(items)),
        (ReminderLog.member_id, ReminderLog.board_id == board.id),
        (Interest.member_id, Interest.board_id == board.id),
        *((column, Attendance.meeting_id.in_(select(Meeting.id).where(Meeting.board_id == board.id)))
          for column in (Attendance.member_id, Attendance.substitute_member_id, Attendance.substitute_for_id)),
        (Declaration.member_id, Declaration.meeting_id.in_(select(Meeting.id).where(Meeting.board_id == board.id))),
    ]
    for column, where in moves:
        session.execute(update(column.class_).where(where, column == member.id).values({column.key: stand_in.id})
                        .execution_options(synchronize_session=False))
    about_board = _membership_rows_of_other_boards(board)
    for row in session.execute(select(AuditRecord.id, AuditRecord.entity, AuditRecord.before, AuditRecord.after)
                               .where(AuditRecord.entity == "membership", AuditRecord.entity_id == member.id)).mappings():
        if about_board("audit_log", dict(row)):  # the board's membership records: now of the stand-in
            session.execute(update(AuditRecord).where(AuditRecord.id == row["id"]).values(entity_id=stand_in.id))
    for row_id, after in session.execute(select(AuditRecord.id, AuditRecord.after).where(
            AuditRecord.entity == "interests", AuditRecord.entity_id == member.id)):
        if isinstance(after, dict) and after.get("board_id") == board.id:  # their confirmations of this register
            session.execute(update(AuditRecord).where(AuditRecord.id == row_id).values(entity_id=stand_in.id))
    terms = Terms.of(member, key, name, addresses_of(session=session, member=member))
    result = Erasure(name, key)
    scope = _board_scope(board, member)
    result.rows_rewritten = _rewrite(session, terms, scope=scope, keep_row=_membership_rows_of_other_boards(board))
    result.boards_left = leave_boards(session=session, member=member, now=now, board=board)
    if was_on is not None:  # the board's record of the membership (its organisation, when it ended): the stand-in's
        session.execute(update(Membership).where(Membership.id == was_on.id).values(member_id=stand_in.id)
                        .execution_options(synchronize_session=False))
    session.expire_all()
    return result, stand_in


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


# ---------------------------------------------------------------- the subject access export


def _iso(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def _row(obj: Any, *names: str) -> dict[str, Any]:
    return {name: _iso(getattr(obj, name)) for name in names}


def export(*, session: Session, member: Member) -> dict[str, Any]:
    """Everything held about the person, as JSON-ready data: their record, memberships, what they own, wrote and
    decided, the audit entries naming them, the messages to them, and every other place their name or id is."""
    mid, slack_id = member.id, member.slack_user_id
    board_names = {board_id: name for board_id, name in session.execute(select(Board.id, Board.name))}

    def board_of(obj: Any) -> str | None:
        return board_names.get(getattr(obj, "board_id", None) or 0)

    def actions(where: ColumnElement[bool]) -> list[dict[str, Any]]:
        return [dict(_row(a, "ref", "text", "status", "due_date", "created_at", "closed_at"), board=board_of(a))
                for a in session.scalars(select(Action).where(where).order_by(Action.id))]

    memberships = session.execute(select(Membership.role, Board.name, Organisation.name, Membership.left_at)
                                  .join(Board, Board.id == Membership.board_id)
                                  .outerjoin(Organisation, Organisation.id == Membership.organisation_id)
                                  .where(Membership.member_id == mid).order_by(Board.name)).all()
    updates = session.execute(select(ActionUpdate, Action.ref, Action.board_id).join(Action)
                              .where(ActionUpdate.author_id == mid).order_by(ActionUpdate.id)).all()
    proposals = session.scalars(select(AgendaProposal).where(
        or_(AgendaProposal.proposer_id == mid, AgendaProposal.decided_by_id == mid)).order_by(AgendaProposal.id))
    partner_updates = session.scalars(select(PartnerUpdate).where(PartnerUpdate.author_id == mid)
                                      .order_by(PartnerUpdate.id))
    returns = session.execute(select(QuarterlyReturn, PerformanceItem.name, PerformanceItem.board_id)
                              .join(PerformanceItem).where(QuarterlyReturn.author_id == mid)
                              .order_by(QuarterlyReturn.id)).all()
    led = session.scalars(select(PerformanceItem).where(PerformanceItem.lead_member_id == mid))
    reminders = session.scalars(select(ReminderLog).where(ReminderLog.member_id == mid).order_by(ReminderLog.id))
    interests = session.scalars(select(Interest).where(Interest.member_id == mid).order_by(Interest.id))
    attendance = session.execute(select(Attendance, Meeting.date, Meeting.board_id).join(Meeting)
                                 .where(or_(Attendance.member_id == mid, Attendance.substitute_member_id == mid,
                                            Attendance.substitute_for_id == mid)).order_by(Attendance.id)).all()
    declarations = session.execute(select(Declaration, Meeting.date, Meeting.board_id, MeetingItem.title)
                                   .join(Meeting, Meeting.id == Declaration.meeting_id)
                                   .join(MeetingItem, MeetingItem.id == Declaration.item_id)
                                   .where(Declaration.member_id == mid).order_by(Declaration.id)).all()
    addresses = addresses_of(session=session, member=member)
    terms = Terms.of(member, pseudonym_key(mid), pseudonym_name(mid), addresses)
    naming = select(AuditRecord).where(or_(AuditRecord.actor == slack_id, terms.condition(AuditRecord.before),
                                           terms.condition(AuditRecord.after))).order_by(AuditRecord.id)
    if terms.looks_everywhere:
        naming = select(AuditRecord).order_by(AuditRecord.id)
    audit = [_row(a, "id", "at", "actor", "entity", "entity_id", "operation", "before", "after")
             for a in session.scalars(naming)
             if a.actor == slack_id or any(terms.found(s) for s in _strings([a.before, a.after]))]
    messages = [_row(m, "id", "key", "status", "created_at", "sent_at", "purged_at", "payload")
                for m in session.scalars(select(OutboxMessage).where(_messages_to(member, addresses))
                                         .order_by(OutboxMessage.id))]
    return {
        "member": _row(member, "id", "slack_user_id", "display_name", "dm_channel_id", "timezone", "email",
                       "email_confirmed_at", "delivery", "dm_failed_at", "dm_failed_reason"),
        "memberships": [{"board": board, "role": _iso(role), "organisation": org, "left_at": _iso(left)}
                        for role, board, org, left in memberships],
        "actions_owned": actions(Action.owner_id == mid),
        "actions_created": actions(Action.created_by_id == mid),
        "action_updates": [dict(_row(u, "kind", "note", "created_at"), action_ref=ref, board=board_names.get(b))
                           for u, ref, b in updates],
        "agenda_proposals": [dict(_row(p, "ref", "title", "lead", "status", "decline_reason", "created_at",
                                       "decided_at"), board=board_of(p),
                                  proposed=p.proposer_id == mid, decided=p.decided_by_id == mid) for p in proposals],
        "partner_updates": [dict(_row(p, "text", "submitted_at", "late", "replaced_at"), board=board_of(p))
                            for p in partner_updates],
        "quarterly_returns": [dict(_row(r, "quarter", "rag", "commentary", "submitted_at", "replaced_at"),
                                   item=item, board=board_names.get(b)) for r, item, b in returns],
        "performance_items_led": [dict(_row(p, "kind", "name"), board=board_of(p)) for p in led],
        "reminders": [dict(_row(r, "kind", "occasion", "detail", "sent_at"), board=board_of(r)) for r in reminders],
        "interests": [dict(_row(i, "ref", "interest", "kind", "declared_at", "confirmed_at", "removed_at"),
                           board=board_of(i)) for i in interests],
        "meeting_attendance": [dict(_row(a, "reply", "replied_at", "substitute_name", "substitute_email", "presence",
                                         "recorded_at"), meeting=_iso(day), board=board_names.get(b),
                                    substitute=a.substitute_member_id == mid, stood_in_for=a.substitute_for_id == mid)
                               for a, day, b in attendance],
        "declarations": [dict(_row(d, "interest", "left_room", "recorded_at"), meeting=_iso(day), item=title,
                              board=board_names.get(b)) for d, day, b, title in declarations],
        "audit_entries": audit,
        "messages_to_them": messages,
        "mentions": [{"table": m.table, "id": m.row_id, "column": m.column, "text": m.text}
                     for m in mentions(session=session, member=member)
                     if not (m.table == "outbox" and m.column in ("target", "key", "slack_channel"))],
    }

