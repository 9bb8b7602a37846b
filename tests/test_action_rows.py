"""An action's rows written with Core (store.rows): a new action and a change to one come back in the session as a
query would load them, clean, so nothing is flushed for them again and later reads see the database's values. On
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import actions as action_store
from store import boards
from store.models import Action, ActionStatus, ActionUpdate, Board
from store.models.views import BoardRow, MemberRow
from tests.support.direct import Caller, seeded_fixtures
from tests.support.settings import ADMIN

CHANNEL = "CROWS01"
CHAIR = "URCHAIR"
NOW = dt.datetime(2019, 7, 16, 8, 30, tzinfo=dt.UTC)


def _seed(caller: Caller) -> None:
    caller.as_user(ADMIN, CHANNEL)("/lsp", f'board create "Rows Board" chair:<@{CHAIR}|chair> org:"LB Ealing"')


sessions, session = seeded_fixtures(_seed, channel=CHANNEL, label="rows")


def columns(obj: object) -> dict[str, object]:
    return {c.key: getattr(obj, c.key) for c in Action.__table__.c}


def loaded(session: Session, action_id: int) -> dict[str, object]:
    """The action's columns as the database has them, read past the identity map."""
    return dict(session.execute(select(*Action.__table__.c).where(Action.__table__.c.id == action_id)).one()._mapping)


def test_a_new_action_is_in_the_session_as_loaded(session: Session):
    board = session.scalars(select(Board)).one()
    chair = boards.get_member(session=session, slack_user_id=CHAIR)
    numbered = board.next_action_ref
    action = action_store.create(session=session, board=board, text="Draft the protocol", owner=chair,
                                 created_by=chair, due_date=dt.date(2019, 7, 19), now=NOW)
    assert action.ref == numbered and board.next_action_ref == numbered + 1
    assert session.get(Action, action.id) is action and not session.dirty and not session.new
    assert columns(action) == loaded(session, action.id)
    assert action.status == ActionStatus.OPEN and action.closed_at is None and action.created_at == NOW
    assert (action.owner, action.board, action.created_by) == (chair, board, chair)
    session.expire(board)
    assert board.next_action_ref == numbered + 1  # as the database has it


def test_a_change_is_written_and_the_action_kept_in_step(session: Session):
    board = session.scalars(select(Board)).one()
    chair = boards.get_member(session=session, slack_user_id=CHAIR)
    action = action_store.create(session=session, board=board, text="Map the hubs", owner=chair, created_by=chair,
                                 due_date=None, now=NOW)
    action.text = "Map the community hubs"  # a change of its own, left to the flush
    later = NOW + dt.timedelta(hours=2)
    action_store.add_update(session=session, action=action, author=chair, note="Sent", kind="done", now=later,
                            changes={"status": ActionStatus.DONE, "closed_at": later})
    assert (action.status, action.closed_at, action.updated_at) == (ActionStatus.DONE, later, later)
    assert list(session.dirty) == [action]  # for its text alone
    session.flush()
    assert columns(action) == loaded(session, action.id)
    assert loaded(session, action.id)["text"] == "Map the community hubs"
    entry = session.scalars(select(ActionUpdate).where(ActionUpdate.action_id == action.id)).one()
    assert (entry.kind, entry.note, entry.author_id, entry.created_at) == ("done", "Sent", chair.id, later)


def test_the_seat_reads_plain_rows_and_a_named_member_is_renamed_in_the_session_too(session: Session):
    """A command's board and sender are rows (store.boards.seat); naming a member whose record had only their
    Slack id renames the row the command holds, the database, and a mapped copy the session holds."""
    board = session.scalars(select(Board)).one()
    chair = boards.get_member(session=session, slack_user_id=CHAIR)
    chair.display_name = CHAIR  # as a record made from a Slack id alone
    session.flush()
    found = boards.seat(session=session, slack_user_id=CHAIR, channel_id=CHANNEL)
    assert found is not None and found.member is not None and found.membership is not None
    assert (type(found.board), type(found.member)) == (BoardRow, MemberRow)
    assert (found.board.id, found.board.name, found.member.id) == (board.id, "Rows Board", chair.id)
    assert found.membership.organisation is not None and found.membership.organisation.name == "LB Ealing"
    renamed = boards.name_member(session=session, member=found.member, display_name="Chair Person")
    assert renamed.display_name == "Chair Person" and found.member.display_name == CHAIR  # rows are frozen
    assert chair.display_name == "Chair Person" and chair not in session.dirty  # the session's copy, as loaded
    session.expire(chair)
    assert chair.display_name == "Chair Person"  # as the database has it
    assert boards.seat(session=session, slack_user_id="UNOBODY", channel_id=CHANNEL).member is None
    assert boards.seat(session=session, slack_user_id=CHAIR, channel_id="CNOSUCH") is None
