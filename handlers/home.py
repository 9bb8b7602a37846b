"""The Home tab: one member's open actions on every board, their next meetings, what they owe, and for the
chair's side a summary of each board they run.

Slack allows 100 blocks in a view. Actions come a page at a time (two blocks each, with their buttons);
meetings, forms owed and board summaries are capped, and anything beyond a cap is counted, never dropped
silently. The buttons are the reminders' own (Done, Add update, Snooze), so a click from Home runs exactly
the code a click in a reminder does.
"""

from __future__ import annotations

from typing import Any

from handlers import access
from handlers.actions import describe
from handlers.base import Reply, Request
from handlers.ids import ActionId
from handlers.registry import Button, Who
from handlers.parsing import parse_id
from handlers.performance import reporting_quarter
from handlers.zones import time_label, viewer_zone, zone_city
from store import boards
from store import chase as chase_store
from store import home as home_store
from store import performance as perf_store
from store import updates as update_store
from store.models import Board, Member, Membership

TEMPLATE = "slack/home.json.j2"
PAGE_SIZE = 15  # actions with buttons on one page: 30 blocks
MEETINGS_PER_BOARD = 2
MAX_MEETINGS = 6
MAX_OWED = 10
MAX_BOARDS = 8


def handle_home(req: Request) -> Reply:
    """The Home tab of the member asking (`req.values`: page, notice, timezone, workspace_url)."""
    viewer = viewer_zone(req)
    zone = viewer or req.default_timezone
    base = {"user_id": req.user_id, "notice": str(req.values.get("notice") or ""), "zone": zone,
            "zone_city": zone_city(zone), "zone_known": viewer is not None, "now": req.now()}
    member = boards.get_member(session=req.session, slack_user_id=req.user_id)
    memberships = sorted(boards.memberships_of(session=req.session, member_id=member.id),
                         key=lambda m: m.board.name.lower()) if member else []
    if member is None or not memberships:
        return Reply(TEMPLATE, dict(base, member=False))
    page = _page(req.values.get("page"))
    actions, total, page = _actions_page(req, member, page)
    return Reply(TEMPLATE, dict(
        base, member=True, page=page, page_size=PAGE_SIZE, total=total, actions=actions,
        overdue=home_store.overdue_count_of(session=req.session, owner_id=member.id, today=req.today(zone)),
        meetings=_meetings(req, memberships, viewer, str(req.values.get("workspace_url") or "")),
        owed=_owed(req, member, memberships),
        boards=_summaries(req, memberships),
        board_count=len(memberships),
    ))


def _page(raw: Any) -> int:
    return parse_id(raw) or 0  # a page past the end shows the last one; nonsense shows the first


def _actions_page(req: Request, member: Member, page: int) -> tuple[list[dict[str, Any]], int, int]:
    """One page of the member's open actions (a page past the end shows the last one)."""
    found, total = home_store.open_actions_of(session=req.session, owner_id=member.id, limit=PAGE_SIZE,
                                              offset=page * PAGE_SIZE)
    if not found and page:  # a stale pager click: the store counted them all, so go to the last page there is
        page = max(total - 1, 0) // PAGE_SIZE
        if total:
            found, total = home_store.open_actions_of(session=req.session, owner_id=member.id, limit=PAGE_SIZE,
                                                      offset=page * PAGE_SIZE)
    items = [dict(describe(a, req.today(a.board.timezone)), value=f"{a.id}|") for a in found]
    return items, total, page


def message_link(workspace_url: str, channel: str, ts: str, thread_ts: str | None = None) -> str:
    """A link to a Slack message built from the workspace's address (auth.test's `url`), as Slack's own
    permalinks are: for messages chat.getPermalink will not answer for (a channel the bot is not in)."""
    link = f"{workspace_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel}"
    return link


def _meetings(req: Request, memberships: list[Membership], viewer: str | None, workspace_url: str) -> dict[str, Any]:
    """The next meetings of the member's boards, soonest first, with venue, time and the published agenda."""
    found = []
    for m in memberships:
        board = m.board
        found += [(meeting, board) for meeting in home_store.upcoming_meetings(
            session=req.session, board_id=board.id, after=req.today(board.timezone), limit=MEETINGS_PER_BOARD)]
    found.sort(key=lambda pair: (pair[0].date, pair[1].name.lower()))
    shown = found[:MAX_MEETINGS]
    agendas = home_store.published_agendas(session=req.session, meeting_ids=[m.id for m, _ in shown])
    items = []
    for meeting, board in shown:
        agenda = agendas.get(meeting.id)
        link = None
        if agenda is not None and agenda.channel and agenda.ts and workspace_url:
            link = message_link(workspace_url, agenda.channel, agenda.ts)
        items.append({
            "board": board.name, "channel_id": board.channel_id, "date": meeting.date,
            "time": time_label(meeting.starts_at, board.timezone, viewer), "starts_at": meeting.starts_at,
            "venue": meeting.venue or "TBC", "theme": meeting.theme,
            "agenda": {"version": agenda.version, "published_at": agenda.published_at, "link": link} if agenda else None,
        })
    return {"items": items, "more": len(found) - len(shown)}


def _owed(req: Request, member: Member, memberships: list[Membership]) -> dict[str, Any]:
    """Partner updates (for the next meeting, when the member's organisation has sent none) and quarterly
    returns (items the member answers for with no return for the last quarter complete) still to send."""
    items: list[dict[str, Any]] = []
    for m in memberships:
        board = m.board
        today = req.today(board.timezone)
        if m.organisation is not None:
            upcoming = home_store.upcoming_meetings(session=req.session, board_id=board.id, after=today, limit=1)
            if upcoming and update_store.current(session=req.session, meeting_id=upcoming[0].id,
                                                 organisation_id=m.organisation.id) is None:
                items.append({"kind": "update", "board": board.name, "board_id": board.id,
                              "organisation": m.organisation.name, "meeting_date": upcoming[0].date})
        quarter = reporting_quarter(req, board)
        missing = [entry.item.name for entry in perf_store.leads_without_return(
            session=req.session, board_id=board.id, quarter=quarter.label) if any(l.id == member.id for l in entry.leads)]
        if missing:
            items.append({"kind": "return", "board": board.name, "board_id": board.id, "quarter": quarter.title,
                          "names": missing})
    return {"items": items[:MAX_OWED], "more": max(len(items) - MAX_OWED, 0)}


def _summaries(req: Request, memberships: list[Membership]) -> dict[str, Any]:
    """For each board the member chairs or runs: its actions, proposals waiting and the next agenda's state."""
    managed: list[Board] = [m.board for m in memberships if m.role in access.MANAGING_ROLES]
    items = []
    for board in managed[:MAX_BOARDS]:
        today = req.today(board.timezone)
        counts = home_store.board_counts(session=req.session, board_id=board.id, today=today)
        upcoming = home_store.upcoming_meetings(session=req.session, board_id=board.id, after=today, limit=1)
        agenda = home_store.published_agendas(session=req.session, meeting_ids=[upcoming[0].id]).get(
            upcoming[0].id) if upcoming else None
        left = chase_store.orphaned_actions(session=req.session, board_id=board.id)
        items.append({
            "left": [{"ref": a.ref, "owner_name": a.owner.display_name} for a in left],
            "board": board.name, "channel_id": board.channel_id, "open": counts.open_actions,
            "overdue": counts.overdue_actions, "proposals": counts.proposals_waiting,
            "next_meeting": upcoming[0].date if upcoming else None,
            "agenda": {"version": agenda.version, "published_at": agenda.published_at} if agenda else None,
        })
    return {"items": items, "more": max(len(managed) - MAX_BOARDS, 0)}


# ---------------------------------------------------------------- declarations

BUTTONS = (  # the transport republishes the Home tab itself: no handler of their own
    Button(ActionId.HOME_PAGE_NEXT, None, "the next page of your actions on the Home tab", who=Who.ANYONE,
           where="home"),
    Button(ActionId.HOME_PAGE_PREVIOUS, None, "the previous page", who=Who.ANYONE, where="home"),
)
