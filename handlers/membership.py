"""The rules of a board's membership that outlast one command: exactly one chair (handed over, never left
without), at most `vice_chairs_max` vice-chairs, and what a member leaving holds (open actions, projects they
lead, outcomes only their organisation's member answers for) and its handover to someone else."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.agenda import proposal_data
from handlers.base import Forbidden, Request
from handlers.board_rules import board_config
from store import actions as action_store
from store import agenda as agenda_store
from store import audit, boards
from store import performance as perf_store
from store.models import Action, Member, PerformanceItem, ProposalStatus, Role
from store.models.views import BoardView

HANDOVER_HINT = "`/lsp member add @someone role:chair` makes them the chair and {name} a member"


def refuse_losing_the_chair(req: Request, board: BoardView, member: Member, doing: str) -> None:
    """Refuse to remove or demote the board's only chair, saying how to hand the chair over."""
    chairs = boards.members_with_roles(session=req.session, board_id=board.id, roles=(Role.CHAIR,))
    if [c.id for c in chairs] == [member.id]:
        raise Forbidden(
            f"{member.display_name} is the only chair of {board.name}, and a board always has one, so I can't "
            f"{doing}. Hand the chair over first: {HANDOVER_HINT.format(name=member.display_name)}.",
            examples=["/lsp member add @someone role:chair"])


def refuse_chair_appointment(req: Request, board: BoardView) -> None:
    """Only the current chair or an lspbot admin hands the chair over."""
    if not (req.is_admin or req.actor.role == Role.CHAIR):
        raise Forbidden(f"Only the chair of {board.name} (or an lspbot admin) can hand the chair over.")


def refuse_too_many_vice_chairs(req: Request, board: BoardView, member: Member) -> None:
    """At most the board's `vice_chairs_max` vice-chairs."""
    most = board_config(board).vice_chairs_max
    others = [m for m in boards.members_with_roles(session=req.session, board_id=board.id, roles=(Role.VICE_CHAIR,))
              if m.id != member.id]
    if len(others) >= most:
        names = ", ".join(m.display_name for m in others)
        raise Forbidden(
            f"{board.name} already has {'a vice-chair' if most == 1 else f'{most} vice-chairs'} ({names}), as many "
            f"as it allows. Make one of them a member first (`/lsp member add @name role:member`), or let the chair "
            f"allow more with `/lsp board set vice_chairs_max {most + 1}`.",
            examples=["/lsp member add @name role:member", f"/lsp board set vice_chairs_max {most + 1}"])


def hand_chair_to(req: Request, board: BoardView, new_chair: Member) -> list[Member]:
    """Make every other chair a member (they are told by DM, and so is the new chair), and send the proposals
    waiting for a decision to the new chair. The previous chairs."""
    previous = [m for m in boards.members_with_roles(session=req.session, board_id=board.id, roles=(Role.CHAIR,))
                if m.id != new_chair.id]
    for old in previous:
        boards.set_role(session=req.session, board=board, member=old, role=Role.MEMBER)
        audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="membership", entity_id=old.id,
                     operation="change", before={"role": Role.CHAIR.value},
                     after={"board": board.name, "role": Role.MEMBER.value, "chair": new_chair.slack_user_id})
    waiting = [p for p in agenda_store.list_proposals(session=req.session, board_id=board.id,
                                                      since=req.today(board.timezone))
               if p.status == ProposalStatus.PENDING.value]
    for proposal in waiting:
        req.notify.to_user(new_chair.slack_user_id, "slack/agenda_proposal_dm.json.j2",
                           {"p": proposal_data(proposal), "board": board.name},
                           key=agenda_store.proposal_ask_key(proposal.id, new_chair.slack_user_id))
        for old in previous:  # the previous chair's ask loses its buttons: the decision is not theirs now
            sent = agenda_store.delivered_ask_to(session=req.session, proposal_id=proposal.id,
                                                 slack_user_id=old.slack_user_id)
            if sent is not None:
                req.notify.update_message(sent.channel, sent.ts, "slack/agenda_note.json.j2", {
                    "text": f"A{proposal.ref} “{proposal.title}” now waits for {new_chair.display_name}, the new chair "
                            f"of {board.name}, to decide."}, key=f"agenda-proposal-handed-over:{proposal.id}:{sent.ts}")
    was = " and ".join(m.display_name for m in previous)
    if new_chair.slack_user_id != req.user_id:
        req.notify.to_user(new_chair.slack_user_id, "slack/member_note.json.j2", {
            "text": f"You are now the chair of {board.name}" + (f", taking over from {was}." if was else "."),
            "items": [f"A{p.ref} “{p.title}” is waiting for your decision (asked separately)." for p in waiting],
            "hint": "Proposals come to you for Approve / Decline; `/lsp member list` shows the board."})
    for old in previous:
        if old.slack_user_id != req.user_id:
            req.notify.to_user(old.slack_user_id, "slack/member_note.json.j2", {
                "text": f"{new_chair.display_name} is now the chair of {board.name}; you stay on it as a member.",
                "items": [], "hint": "Proposals now go to the new chair for a decision."})
    return previous


@dataclass
class Holdings:
    """What a member answers for on a board."""

    actions: list[Action] = field(default_factory=list)
    projects: list[PerformanceItem] = field(default_factory=list)
    outcomes: list[PerformanceItem] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.actions or self.projects or self.outcomes)

    def lines(self) -> list[str]:
        return ([f"#{a.ref} {a.text}" + (f" (due {a.due_date:%a %-d %b %Y})" if a.due_date else "")
                 for a in self.actions]
                + [f"{p.kind.value.capitalize()} “{p.name}”: they lead it" for p in self.projects]
                + [f"Outcome “{o.name}”: led by {o.lead_organisation.name if o.lead_organisation else 'their organisation'}"
                   ", whose only member on the board they are" for o in self.outcomes])


def holdings_of(req: Request, board: BoardView, member: Member) -> Holdings:
    return Holdings(
        actions=action_store.open_actions_of(session=req.session, board_id=board.id, owner_id=member.id),
        projects=perf_store.projects_led_by(session=req.session, board_id=board.id, member_id=member.id),
        outcomes=perf_store.outcomes_only_member_leads(session=req.session, board_id=board.id, member=member))


def hand_over(req: Request, board: BoardView, leaving: Member, successor: Member, held: Holdings) -> list[str]:
    """Move everything `leaving` holds to `successor` in one step, telling the successor once. What moved."""
    author = boards.get_member(session=req.session, slack_user_id=req.user_id) or boards.upsert_member(
        session=req.session, slack_user_id=req.user_id, display_name=req.user_name)  # an admin off the board
    moved: list[str] = []
    for action in held.actions:
        action.owner_id = successor.id
        action.owner = successor
        action.updated_at = req.now()
        action_store.add_update(session=req.session, action=action, author=author, kind="reassigned", now=req.now(),
                                note=f"Reassigned from {leaving.display_name} to {successor.display_name} "
                                     f"({leaving.display_name} left the board)")
        audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="action", entity_id=action.id,
                     operation="reassign", before={"owner_id": leaving.id}, after={"owner_id": successor.id})
        moved.append(f"#{action.ref} {action.text}" + (f" (due {action.due_date:%a %-d %b %Y})" if action.due_date else ""))
    for project in held.projects:
        project.lead_member_id = successor.id
        project.lead_member = successor
        audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="performance_item",
                     entity_id=project.id, operation="lead", before={"lead_member": leaving.slack_user_id},
                     after={"lead_member": successor.slack_user_id})
        moved.append(f"{project.kind.value.capitalize()} “{project.name}”: you lead it now")
    successor_org = successor.organisation_on(board.id)
    for outcome in held.outcomes:
        before = outcome.lead_organisation.name if outcome.lead_organisation else None
        if successor_org is not None:
            outcome.lead_organisation_id = successor_org.id
            outcome.lead_organisation = successor_org
            lead = successor_org.name
        else:
            outcome.lead_member_id = successor.id
            outcome.lead_member = successor
            lead = successor.display_name
        audit.record(session=req.session, at=req.now(), actor=req.user_id, entity="performance_item",
                     entity_id=outcome.id, operation="lead",
                     before={"lead_organisation": before},
                     after={"lead": lead})
        moved.append(f"Outcome “{outcome.name}”: led by {lead} now")
    if moved and successor.slack_user_id != req.user_id:
        req.notify.to_user(successor.slack_user_id, "slack/member_note.json.j2", {
            "text": f"{leaving.display_name} has left {board.name}, and what they answered for is yours now:",
            "items": moved, "hint": "`/action list` shows your actions; `/lsp project list` and `/lsp outcome list` "
                                    "the projects and outcomes."})
    return moved
