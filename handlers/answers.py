"""What a Slack button does, said as an answer link (handlers.links.Answer) for someone reading it by email: which
kind of answer page, bound to which object, taken from the button's value. A button with no page of its own
(approve the pack, page through a list) has no answer link."""

from __future__ import annotations

from typing import NamedTuple

from handlers.ids import ActionId
from handlers.links import Answer


class AnswerTarget(NamedTuple):
    """The answer page a button stands for: its kind and the object (an action, a board, a meeting) by id."""

    kind: Answer
    object_id: int


def _first_int(value: str) -> int | None:
    head = str(value).split("|", 1)[0].strip()
    return int(head) if head.isdigit() else None


# action_id → the kind of answer page; the object's id is the value's first `|`-separated part
# (an action reminder's buttons carry `<action id>|<the reminder's key>`; the others the bare id).
BUTTON_ANSWERS: dict[str, Answer] = {
    ActionId.ACTION_DONE.value: Answer.ACTION,
    ActionId.ACTION_ADD_UPDATE.value: Answer.ACTION,
    ActionId.ACTION_SNOOZE.value: Answer.ACTION,
    ActionId.ACTION_NOT_MINE.value: Answer.ACTION,
    ActionId.PARTNER_UPDATE_OPEN.value: Answer.UPDATE,  # value: the board id
    ActionId.QUARTERLY_RETURN_OPEN.value: Answer.RETURN,  # value: the board id
    ActionId.MEETING_ATTENDING.value: Answer.ATTENDANCE,  # value: the meeting id
    ActionId.MEETING_APOLOGIES.value: Answer.ATTENDANCE,
    ActionId.MEETING_SUBSTITUTE.value: Answer.ATTENDANCE,
}


def answer_for_button(action_id: str, value: str) -> AnswerTarget | None:
    """The answer page a button of a message stands for, or None (no such page, or a value without an id)."""
    kind = BUTTON_ANSWERS.get(str(action_id))
    object_id = _first_int(value) if kind is not None else None
    return AnswerTarget(kind, object_id) if kind is not None and object_id is not None else None
