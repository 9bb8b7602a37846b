"""Members' personal data: erasing a person (`/lsp member erase`, `lspbot member erase`) and the subject access
export (`lspbot member export`). The rules are here, shared by the slash command and the command line; the
rewriting itself is `store.personal_data`. What is held and why: docs/data-protection.md."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from handlers.base import Forbidden, InvalidInput, NotFound
from store import audit, boards
from store import emails as email_store
from store import personal_data as pd
from store.models import Member, Role
from store.models.views import BoardView


def find_person(session: Session, slack_user_id: str) -> Member:
    """The person with this Slack id (or `mail:…` id), or this email address."""
    member = pd.find(session=session, slack_user_id=slack_user_id)
    if member is None and "@" in slack_user_id:
        member = email_store.member_with_email(session=session, email=slack_user_id.strip())
    if member is None:
        raise NotFound(f"lspbot holds nothing about {slack_user_id}: no member record has that Slack id or address.")
    return member


def refuse_chairless(session: Session, member: Member, board: BoardView | None) -> None:
    """A board always has a chair: its only chair is handed over before they are erased from it."""
    for membership in boards.memberships_of(session=session, member_id=member.id):
        if board is not None and membership.board_id != board.id:
            continue
        if membership.role != Role.CHAIR:
            continue
        chairs = boards.members_with_roles(session=session, board_id=membership.board_id, roles=(Role.CHAIR,))
        if [c.id for c in chairs] == [member.id]:
            raise Forbidden(f"{member.display_name} is the only chair of {membership.board.name}, and a board "
                            "always has one. Hand the chair over first (`/lsp member add @someone role:chair`), then "
                            "erase them.", examples=["/lsp member add @someone role:chair"])


def what_erasing_does(member: Member, board: BoardView | None) -> list[str]:
    """The lines the confirmation shows."""
    if board is None:
        return [f"Their name and Slack id are replaced by “{pd.pseudonym_name(member.id)}” everywhere: actions, "
                "updates, decisions, agendas and the audit trail stay, under that name.",
                "They leave every board they are on; their DM channel, time zone, email address (and its "
                "confirmation) and how they are reached are forgotten.",
                "Messages not yet sent to them are cancelled (never sent, their content deleted); the content of "
                "those sent to them is purged.",
                "This cannot be undone. `lspbot member export` gives them a copy of what is held first."]
    return [f"They leave {board.name}, and its record (actions, updates, decisions, its audit entries) shows "
            "“Former member N” for them instead of their name and Slack id.",
            "Their other boards, and their member record, stay as they are.",
            "This cannot be undone."]


def erase_person(session: Session, member: Member, *, now: dt.datetime, actor: str,
                 board: BoardView | None = None) -> pd.Erasure:
    """Erase the person (everywhere, or from one board's record), recording it in the audit trail."""
    if pd.is_erased(member):
        raise InvalidInput(f"{member.display_name} has already been erased.")
    refuse_chairless(session, member, board)
    if board is not None and boards.get_membership(session=session, board_id=board.id, member_id=member.id) is None \
            and not _has_record_on(session, member, board):
        raise InvalidInput(f"{member.display_name} has no membership or record on {board.name}.")
    if board is None:
        result = pd.erase(session=session, member=member, now=now)
        erased_id = member.id
    else:
        result, stand_in = pd.erase_from_board(session=session, member=member, board=board, now=now)
        erased_id = stand_in.id
    for name in result.boards_left:
        left = boards.get_by_name(session=session, name=name)
        audit.record(session=session, at=now, actor=actor, entity="membership", entity_id=erased_id,
                     operation="remove", before={"board": name, "board_id": left.id if left else None},
                     after={"erased": True})
    audit.record(session=session, at=now, actor=actor, entity="member", entity_id=erased_id, operation="erase",
                 after={"pseudonym": result.pseudonym, "board": board.name if board else None,
                        "rows_rewritten": result.rows_rewritten, "messages_cancelled": result.messages_cancelled,
                        "messages_purged": result.messages_purged})
    session.flush()
    return result


def _has_record_on(session: Session, member: Member, board: BoardView) -> bool:
    export = pd.export(session=session, member=member)
    return any(row.get("board") == board.name for key in ("actions_owned", "actions_created", "action_updates",
                                                             "agenda_proposals", "partner_updates",
                                                             "quarterly_returns", "performance_items_led")
               for row in export[key])


def export_person(session: Session, member: Member, *, now: dt.datetime) -> dict[str, Any]:
    """The subject access export: everything held about the person, with when it was made."""
    return {"exported_at": now.isoformat(), "held_about": member.slack_user_id, **pd.export(session=session, member=member)}
