"""Who is asking, on which board, and what they may do. Permissions live here, not in the Slack layer."""

from __future__ import annotations

from handlers.base import MANAGING_ROLES, Actor, Forbidden, NotFound, Request, UsageError
from store import boards, db
from store.models.views import BoardView, MemberView

__all__ = ["MANAGING_ROLES", "Actor", "actor_for", "board_and_actor", "require_manager", "require_member",
           "resolve_board"]


def resolve_board(req: Request, board_name: str | None = None) -> BoardView:
    """The board bound to the request's channel, a named board, or the sender's only board."""
    return _seat(req, board_name).board


def board_and_actor(req: Request, board_name: str | None = None) -> tuple[BoardView, Actor]:
    """The board `resolve_board` finds and the person as it sees them: one statement for a board named or bound to
    the channel (the dispatcher's every command)."""
    found = _seat(req, board_name)
    return found.board, _actor(req, found)


def actor_for(req: Request, board: BoardView) -> Actor:
    found = boards.seat(session=req.session, slack_user_id=req.user_id, board_id=board.id)
    return _actor(req, found or boards.Seat(board, None, None))


def _seat(req: Request, board_name: str | None) -> boards.Seat:
    if board_name:
        found = boards.seat(session=req.session, slack_user_id=req.user_id, name=board_name)
        if found is None:
            raise NotFound(f"There is no board called “{board_name}”.")
        return found
    if req.channel_id:
        found = boards.seat(session=req.session, slack_user_id=req.user_id, channel_id=req.channel_id)
        if found is not None:
            return found
    member = boards.get_member(session=req.session, slack_user_id=req.user_id)
    mine = boards.memberships_of(session=req.session, member_id=member.id) if member else []
    if len(mine) == 1:
        return boards.Seat(mine[0].board, member, mine[0])
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


def _actor(req: Request, found: boards.Seat) -> Actor:
    member, membership = found.member, found.membership
    left = membership is not None and membership.left_at is not None
    if left:
        membership = None
    if (member is not None and membership is not None and req.user_name and member.display_name == member.slack_user_id
            and not db.only_reads(req.session)):  # a command that only reads writes nothing: the next one will
        member = boards.name_member(session=req.session, member=member, display_name=req.user_name)
    return Actor(board=found.board, member=member, membership=membership, is_admin=req.is_admin, left=left)


def require_member(actor: Actor) -> MemberView:
    """The actor's member record, refusing anyone not on the board (admins get one made)."""
    if actor.member is not None and actor.membership is not None:
        return actor.member
    raise Forbidden(actor.not_on_board)


def require_manager(actor: Actor, what: str) -> None:
    if not actor.manages_board:
        raise Forbidden(f"Only the chair, vice-chair or secretariat of {actor.board.name} can {what}.")
