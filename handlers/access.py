"""Who is asking, on which board, and what they may do. Permissions live here, not in the Slack layer."""

from __future__ import annotations

from handlers.base import MANAGING_ROLES, Actor, Forbidden, NotFound, Request, UsageError
from store import boards
from store.models import Board, Member

__all__ = ["MANAGING_ROLES", "Actor", "actor_for", "require_manager", "require_member",
           "resolve_board"]


def resolve_board(req: Request, board_name: str | None = None) -> Board:
    """The board bound to the request's channel, a named board, or the sender's only board."""
    if board_name:
        board = boards.get_by_name(session=req.session, name=board_name)
        if board is None:
            raise NotFound(f"There is no board called “{board_name}”.")
        return board
    if req.channel_id:
        board = boards.get_by_channel(session=req.session, channel_id=req.channel_id)
        if board is not None:
            return board
    member = boards.get_member(session=req.session, slack_user_id=req.user_id)
    mine = boards.memberships_of(session=req.session, member_id=member.id) if member else []
    if len(mine) == 1:
        return mine[0].board
    if not mine:
        raise Forbidden(
            "You are not a member of any board yet, and this channel is not a board's channel. "
            "Ask your board's chair or secretariat to add you with `/lsp member add`."
        )
    names = ", ".join(f"“{m.board.name}”" for m in sorted(mine, key=lambda m: m.board.name))
    raise UsageError(
        f"You sit on several boards ({names}). Use the board's channel, or name it with `board:\"Name\"`.",
        examples=['board:"LSP Executive"'],
    )


def actor_for(req: Request, board: Board) -> Actor:
    member = boards.get_member(session=req.session, slack_user_id=req.user_id)
    membership = boards.get_membership(session=req.session, board_id=board.id, member_id=member.id) if member else None
    if member is not None and membership is not None and req.user_name and member.display_name == member.slack_user_id:
        member.display_name = req.user_name
    left = member is not None and membership is None and boards.left_board(
        session=req.session, board_id=board.id, member_id=member.id)
    return Actor(board=board, member=member, membership=membership, is_admin=req.is_admin, left=left)


def require_member(actor: Actor) -> Member:
    """The actor's member record, refusing anyone not on the board (admins get one made)."""
    if actor.member is not None and actor.membership is not None:
        return actor.member
    raise Forbidden(actor.not_on_board)


def require_manager(actor: Actor, what: str) -> None:
    if not actor.manages_board:
        raise Forbidden(f"Only the chair, vice-chair or secretariat of {actor.board.name} can {what}.")
