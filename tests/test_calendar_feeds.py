"""The calendar feeds a calendar subscribes to, over HTTP from `lspbot serve`: a public board's meetings.ics and a
member's secret feed (`/plan ics feed`, `reset`), with the links lspbot sends built on LSPBOT_PUBLIC_URL: the
board's page address in `/lsp board set public yes`, and a member's signed link from `/lsp web`."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import uuid
from collections.abc import Iterator

import docx
import icalendar
import pytest
from sqlalchemy import create_engine, update

from handlers.base import Conflict
from handlers.links import Links
from store import db
from store.models import AuditRecord, Meeting, PlanItem
from tests.support.databases import backends, db_rows, make_database
from tests.support.direct import Caller, RecordingNotifier
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess, known_board_people, start_server
from tests.support.settings import ADMIN, DEFAULT_NOW
from tests.support.slack_requests import blocks_text, http
from tests.support.waiting import wait_until

PUBLIC_URL = "https://lsp.example.org"
SECRET_KEY = "calendar-feeds-test-key"


@pytest.fixture(scope="module", params=backends())
def server(request: pytest.FixtureRequest, fake_slack_server: FakeSlack,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`lspbot serve` as the other modules have it, told its public address and the key of members' links."""
    db = make_database(request.param, tmp_path_factory.mktemp("serve"), migrated=True)
    suffixes = known_board_people(db.url)
    proc = start_server(db.url, fake_slack_server.url, migrate=False, LSPBOT_PUBLIC_URL=PUBLIC_URL,
                        LSPBOT_SECRET_KEY=SECRET_KEY)
    proc.board_suffixes.extend(suffixes)
    yield proc
    proc.stop()
    db.drop()


def board_row(server: ServerProcess, board: BoardFixture) -> tuple[int, str]:
    """(id, slug) of the board."""
    return db_rows(server.database_url, "SELECT id, slug FROM boards WHERE channel_id = :c", c=board.channel_id)[0]


def member_id(server: ServerProcess, user_id: str) -> int:
    return db_rows(server.database_url, "SELECT id FROM members WHERE slack_user_id = :u", u=user_id)[0][0]


def local(server: ServerProcess, url: str) -> str:
    """An address lspbot sent (on its public URL), on the test server."""
    assert url.startswith(PUBLIC_URL + "/b/"), url
    return server.base_url + url[len(PUBLIC_URL):]


def fetch(server: ServerProcess, url: str) -> tuple[int, icalendar.Calendar | None, dict[str, str]]:
    r = http("GET", local(server, url))
    return r.status, icalendar.Calendar.from_ical(r.body) if r.status == 200 else None, r.headers


def events(cal: icalendar.Calendar | None) -> dict[str, icalendar.Event]:
    assert cal is not None
    return {e.decoded("dtstart").date().isoformat(): e for e in cal.walk("VEVENT")}


def dm_text(fake_slack: FakeSlack, user_id: str, contains: str, count: int = 1) -> list[str]:
    """The texts of the DMs to one person that contain `contains`, once there are `count` of them."""
    channel = "D" + user_id[1:]

    def found() -> list[str]:
        texts = [blocks_text(c.params) for c in fake_slack.messages() if c.params.get("channel") == channel]
        return [t for t in texts if contains in t]

    wait_until(lambda: len(found()) >= count, 20, interval=0.02, what=f"{count} DM(s) to {user_id} with {contains!r}")
    return found()


def feed_address(text: str) -> str:
    match = re.search(r"<(https://lsp\.example\.org/b/[a-z0-9-]+/feeds/[A-Za-z0-9_-]+\.ics)>", text)
    assert match, text
    return match.group(1)


def backdate(server: ServerProcess, meeting: int, when: dt.datetime) -> None:
    """The meeting and its items made (and last changed) at `when`: a change now is then seconds apart from it
    at least (LAST-MODIFIED counts whole seconds)."""
    engine = create_engine(server.database_url)
    with engine.begin() as conn:
        conn.execute(update(Meeting).where(Meeting.id == meeting).values(created_at=when))
        conn.execute(update(AuditRecord).where(AuditRecord.entity == "meeting", AuditRecord.entity_id == meeting)
                     .values(at=when))
        conn.execute(update(PlanItem).where(PlanItem.meeting_id == meeting).values(updated_at=when))
    engine.dispose()


def test_the_public_feed_answers_once_the_board_is_public_and_follows_the_plan(server, board: BoardFixture):
    board_id, slug = board_row(server, board)
    chair = board.chair
    assert "Meeting added" in chair.command("/plan", 'meeting add 2019-10-10 10:00 venue:"Perceval House"').text
    assert "Meeting added" in chair.command("/plan", "meeting add 2020-01-20 10:00").text
    r = chair.command("/plan", 'item add 2019-10-10 "LSP Annual Report for Scrutiny" lead:"LB Ealing" kind:decision')
    assert "Item added" in r.text, r.text
    r = chair.command("/plan", 'item add 2019-10-10 "Northolt site disposal" lead:"LB Ealing" kind:decision '
                               'private:yes reason:"Information relating to the financial affairs of any person"')
    assert "Item added" in r.text, r.text
    feed = f"{PUBLIC_URL}/b/{slug}/meetings.ics"

    # Private by default: the feed is not there, as for a board that does not exist.
    assert fetch(server, feed)[0] == 404
    assert http("GET", f"{server.base_url}/b/no-such-board-{uuid.uuid4().hex[:6]}/meetings.ics").status == 404

    r = chair.command("/lsp", "board set public yes")
    assert "is now *yes*" in r.text and f"{PUBLIC_URL}/b/{slug}/" in r.text, r.text
    status, cal, headers = fetch(server, feed)
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert headers["Content-Disposition"].startswith("inline; filename=") and ".ics" in headers["Content-Disposition"]
    assert "max-age=" in headers["Cache-Control"] and "private" not in headers["Cache-Control"]
    first = events(cal)
    assert sorted(first) == ["2019-10-10", "2020-01-20"]
    october = first["2019-10-10"]
    page = f"{PUBLIC_URL}/b/{slug}/meetings/2019-10-10/"
    assert str(october["url"]) == page and page in str(october["description"])
    assert str(october["location"]) == "Perceval House"
    assert "LSP Annual Report for Scrutiny" in str(october["description"])
    assert "Northolt site disposal" not in cal.to_ical().decode()  # a confidential item, left out of the public feed
    assert october.decoded("sequence") == 0 and october.get("dtstamp") is not None

    # Fetched again: the same events, the same UIDs.
    again = events(fetch(server, feed)[1])
    assert {d: str(e["uid"]) for d, e in again.items()} == {d: str(e["uid"]) for d, e in first.items()}
    assert again["2019-10-10"].to_ical() == october.to_ical()

    # The venue changes in the plan: the same UID, SEQUENCE up, LAST-MODIFIED later, the new LOCATION.
    backdate(server, october_id := db_rows(server.database_url, "SELECT id FROM meetings WHERE board_id = :b AND "
                                           "date = :d", b=board_id, d=dt.date(2019, 10, 10))[0][0],
             DEFAULT_NOW - dt.timedelta(days=1))
    before = events(fetch(server, feed)[1])["2019-10-10"]
    r = chair.command("/plan", 'meeting edit 2019-10-10 venue:"Southall Town Hall"')
    assert "Meeting changed" in r.text, r.text
    moved = events(fetch(server, feed)[1])["2019-10-10"]
    assert str(moved["uid"]) == str(before["uid"]) and october_id
    assert moved.decoded("sequence") == before.decoded("sequence") + 1
    assert moved.decoded("last-modified") > before.decoded("last-modified")
    assert str(moved["location"]) == "Southall Town Hall"

    # Private again: 404 again, and the reply says who can still open the pages.
    r = chair.command("/lsp", "board set public no")
    assert "now answer only members' links" in r.text, r.text
    assert fetch(server, feed)[0] == 404


def test_a_members_own_feed_reset_and_removal(server, board: BoardFixture, fake_slack: FakeSlack):
    board_id, slug = board_row(server, board)
    chair = board.chair
    chair.command("/plan", 'meeting add 2019-10-10 10:00 venue:"Perceval House"')
    r = chair.command("/plan", 'item add 2019-10-10 "Northolt site disposal" lead:"LB Ealing" kind:decision '
                               'private:yes reason:"Information relating to the financial affairs of any person"')
    assert "Item added" in r.text, r.text

    r = board.alice.command("/plan", "ics feed")
    assert r.status == 200 and "Sent you the address of your calendar feed by DM" in r.text, r.text
    assert r.json().get("response_type") != "in_channel"
    text = dm_text(fake_slack, board.alice.user_id, "/feeds/")[0]
    assert "From internet" in text and "From URL" in text
    address = feed_address(text)
    status, cal, headers = fetch(server, address)
    assert status == 200 and "private" in headers["Cache-Control"]
    october = events(cal)["2019-10-10"]
    assert "Northolt site disposal" in str(october["description"])  # the member's feed has the confidential item
    assert "[confidential: members only]" in str(october["description"])
    assert str(october["url"]) == f"{PUBLIC_URL}/b/{slug}/meetings/2019-10-10/"

    # Asked again: the same address. Reset: the old address stops working, the new one works.
    board.alice.command("/plan", "ics feed")
    assert feed_address(dm_text(fake_slack, board.alice.user_id, "/feeds/", 2)[-1]) == address
    r = board.alice.command("/plan", "ics feed reset")
    assert "a new address" in r.text, r.text
    new = feed_address(dm_text(fake_slack, board.alice.user_id, "new calendar feed")[0])
    assert new != address
    assert fetch(server, address)[0] == 404
    assert fetch(server, new)[0] == 200
    assert fetch(server, new.replace(f"/b/{slug}/", "/b/another-board/"))[0] == 404  # another board's address

    # Bob's feed works until he leaves the board; someone not on it gets none.
    board.bob.command("/plan", "ics feed")
    bobs = feed_address(dm_text(fake_slack, board.bob.user_id, "/feeds/")[0])
    assert fetch(server, bobs)[0] == 200
    assert "no longer a member" in chair.command("/lsp", f"member remove <@{board.bob.user_id}>").text
    assert fetch(server, bobs)[0] == 404
    assert "not a member" in board.outsider.command("/plan", "ics feed").text


def test_lsp_web_sends_a_signed_link_and_board_settings_show_the_address(server, board: BoardFixture,
                                                                        fake_slack: FakeSlack):
    board_id, slug = board_row(server, board)
    r = board.alice.command("/lsp", "web")
    assert r.status == 200 and "Sent you a link by DM" in r.text, r.text
    assert r.json().get("response_type") != "in_channel"
    text = dm_text(fake_slack, board.alice.user_id, "/enter/")[0]
    assert "7 days" in text
    match = re.search(rf"<({re.escape(PUBLIC_URL)}/b/{slug}/enter/([^>|]+))\|", text)
    assert match, text
    links = Links(PUBLIC_URL, SECRET_KEY)
    seen = links.read_member_entry(match.group(2), board_id, lambda: DEFAULT_NOW + dt.timedelta(hours=1))
    assert seen.member_id == member_id(server, board.alice.user_id)

    r = board.bob.command("/lsp", "board settings")
    assert f"{PUBLIC_URL}/b/{slug}/" in r.text and "members only" in r.text, r.text
    assert "LSPBOT_PUBLIC_URL" not in r.text  # it is set


def test_the_published_agenda_and_the_decisions_register_link_to_the_meeting_page(server, board: BoardFixture,
                                                                                   fake_slack: FakeSlack):
    _, slug = board_row(server, board)
    page = f"{PUBLIC_URL}/b/{slug}/meetings/2019-10-10/"
    chair = board.chair
    chair.command("/plan", "meeting add 2019-10-10 10:00")
    chair.command("/plan", 'item add 2019-10-10 "LSP Annual Report for Scrutiny" lead:"LB Ealing" kind:decision')
    assert "Published version 1" in board.secretary.command("/agenda", "publish").text

    def posted() -> list[str]:
        return [blocks_text({"blocks": c.params["blocks"] if isinstance(c.params["blocks"], list)
                             else json.loads(c.params["blocks"])})
                for c in fake_slack.messages() if c.params.get("channel") == board.channel_id and c.params.get("blocks")]

    wait_until(lambda: any("Agenda v1" in t for t in posted()), 20, interval=0.02, what="the published agenda")
    assert f"<{page}|View on the web>" in next(t for t in posted() if "Agenda v1" in t)
    markdown = db_rows(server.database_url, "SELECT p.markdown FROM agenda_publications p JOIN boards b "
                       "ON b.id = p.board_id WHERE b.channel_id = :c", c=board.channel_id)[0][0]
    assert f"**On the web:** <{page}>" in markdown  # the Markdown document, kept as published
    word = None
    for (payload,) in db_rows(server.database_url, "SELECT payload FROM outbox WHERE target = :c",
                              c=board.channel_id):
        data = json.loads(payload) if isinstance(payload, str) else payload
        if str(data.get("filename", "")).endswith(".docx"):
            word = docx.Document(io.BytesIO(bytes.fromhex(data["content_hex"])))
    assert word is not None and f"On the web: {page}" in [p.text for p in word.paragraphs]

    r = board.alice.command("/lsp", "decisions")
    assert f"<{PUBLIC_URL}/b/{slug}/decisions/|View on the web>" in r.text, r.text


def test_without_a_public_url_or_a_key_the_replies_say_which_setting(runtime, clock):
    """Where LSPBOT_PUBLIC_URL is not set the addresses are on the default, and the replies say so; where there is
    no key to sign links with, `/lsp web` refuses and names LSPBOT_SECRET_KEY. Handlers called directly."""
    notes = RecordingNotifier(links=Links("http://localhost:3000", None, configured=False))
    with db.session_scope(runtime.sessions) as session:
        admin = Caller(session, clock, notes, ADMIN, "CFEEDS01")
        created = admin("/lsp", 'board create "Feeds Board" chair:<@UFCHAIR|chair> org:"LB Ealing"')
        text = blocks_text(runtime.renderer(created.template, created.data))
        assert "http://localhost:3000/b/feeds-board/" in text and "until LSPBOT_PUBLIC_URL is set" in text
        chair = admin.as_user("UFCHAIR")
        changed = chair("/lsp", "board set public yes")
        text = blocks_text(runtime.renderer(changed.template, changed.data))
        assert "public at <http://localhost:3000/b/feeds-board/>" in text and "until LSPBOT_PUBLIC_URL is set" in text
        welcomed = len(notes.sent)
        with pytest.raises(Conflict, match="LSPBOT_SECRET_KEY"):
            chair("/lsp", "web")
        assert len(notes.sent) == welcomed  # no link sent
