"""Whether a meeting is quorate, by the board's `quorum` setting, from who is (or is expected to be) there.

One function decides it, for the replies before a meeting and for the presence recorded at it. Members are
the board's current members but its secretariat, who serve the board and do not count towards its quorum; a
substitute fills the seat (and counts for the organisation) of the member they stand in for, but does not
chair: the chair's rule wants the chair or a vice-chair in person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from handlers.board_rules import board_config
from handlers.record_settings import QuorumRule
from store import boards
from store.models import Membership, Role
from store.models.views import BoardView

CHAIRING = (Role.CHAIR, Role.VICE_CHAIR)


@dataclass(frozen=True)
class QuorumResult:
    """Whether the meeting is quorate and, when it is not, why (one reason per rule that fails), with the counts
    the reasons are made of."""

    quorate: bool
    reasons: list[str] = field(default_factory=list)
    rule: str = "none"  # the setting, as written (`members:1/3 orgs:3 chair:yes`)
    rule_words: str = ""  # the setting in words: "a third of members, 3 organisations, the chair or a vice-chair"
    members: int = 0  # the members who count (all but the secretariat)
    seats: int = 0  # those of them there, in person or by a substitute
    members_needed: int = 0
    organisations: list[str] = field(default_factory=list)  # the organisations there, by name
    chair_there: bool = False

    @property
    def is_set(self) -> bool:
        return self.rule != "none"


def counted_members(memberships: Iterable[Membership]) -> list[Membership]:
    """The memberships that count towards quorum: current, and not the secretariat."""
    return [m for m in memberships if m.left_at is None and m.role != Role.SECRETARIAT]


def quorum_check(board: BoardView, session: Session, present_member_ids: Iterable[int],
                 substitute_for_ids: Iterable[int] = ()) -> QuorumResult:
    """Whether `board`'s meeting is quorate with these members there in person (`present_member_ids`, member ids)
    and substitutes there for these members (`substitute_for_ids`, the ids of the members they stand in for)."""
    rule = board_config(board).quorum_rule
    seated = counted_members(boards.list_members(session=session, board_id=board.id))
    return evaluate(rule, seated, set(present_member_ids), set(substitute_for_ids))


def evaluate(rule: QuorumRule, seated: list[Membership], present: set[int], substituted: set[int]) -> QuorumResult:
    """`quorum_check` on memberships already loaded (the attendance view and the job reuse theirs)."""
    by_member = {m.member_id: m for m in seated}
    in_person = present & by_member.keys()
    seats = in_person | (substituted & by_member.keys())
    orgs = sorted({org.name for i in seats if (org := by_member[i].organisation) is not None}, key=str.casefold)
    chair_there = any(by_member[i].role in CHAIRING for i in in_person)
    needed = rule.members_needed(len(seated))
    reasons = []
    if needed and len(seats) < needed:
        share = f" ({rule.share_words()} of {len(seated)})" if rule.members_share else ""
        reasons.append(f"{len(seats)} of the {needed} members needed{share}")
    if rule.orgs and len(orgs) < rule.orgs:
        reasons.append(f"{len(orgs)} of the {rule.orgs} organisations needed")
    if rule.chair and not chair_there:
        reasons.append("neither the chair nor a vice-chair")
    return QuorumResult(quorate=not reasons, reasons=reasons, rule=str(rule), rule_words=rule_words(rule),
                        members=len(seated), seats=len(seats), members_needed=needed, organisations=orgs,
                        chair_there=chair_there)


def rule_words(rule: QuorumRule) -> str:
    """The quorum in words: `a third of members, 3 organisations, and the chair or a vice-chair`."""
    parts = [rule.members_words()] if rule.members_words() else []
    if rule.orgs:
        parts.append(f"{rule.orgs} organisation{'s' if rule.orgs != 1 else ''}")
    if rule.chair:
        parts.append("the chair or a vice-chair")
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return parts[0] if parts else "no quorum set"
