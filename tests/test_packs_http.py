"""The agenda pack through `lspbot serve`: `/agenda pack` answers at once and the preview's PDF reaches the
requester's DM after the ack, as does "Preview PDF"; `/agenda pack publish` posts the pack to the board's channel,
uploaded from the stored file."""

from __future__ import annotations

from tests.support.databases import db_rows
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess
from tests.support.slack_ui import click
from tests.support.waiting import wait_until


def uploads(fake: FakeSlack, ending: str) -> list[dict]:
    return [c.params for c in fake.calls("files.getUploadURLExternal") if str(c.params.get("filename", "")).endswith(ending)]


def completed_in(fake: FakeSlack, channel: str) -> list[dict]:
    return [c.params for c in fake.calls("files.completeUploadExternal") if c.params.get("channel_id") == channel]


def test_preview_and_publication_reach_slack_after_the_ack(server: ServerProcess, board: BoardFixture,
                                                           fake_slack: FakeSlack):
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    board.chair.command("/plan", 'item add 2019-10-10 "LSP Annual Report for Scrutiny" lead:"LB Ealing"')
    slug, meeting_id = db_rows(server.database_url, "SELECT b.slug, m.id FROM boards b JOIN meetings m "
                               "ON m.board_id = b.id WHERE b.channel_id = :c", c=board.channel_id)[0]

    r = board.secretary.command("/agenda", "pack 2019-10-10")
    assert r.status == 200 and "in your direct messages in a moment" in r.text
    preview = f"{slug}-agenda-pack-2019-10-10-preview.pdf"
    wait_until(lambda: uploads(fake_slack, preview), 30, what="the preview's upload")
    dm = "D" + board.secretary.user_id[1:]
    wait_until(lambda: completed_in(fake_slack, dm), 10, what="the preview in the secretary's DM")
    assert int(uploads(fake_slack, preview)[0]["length"]) > 1000

    r = click(board.chair, "pack_preview", str(meeting_id), channel="D" + board.chair.user_id[1:], ts="1.2",
              response_url=fake_slack.url + "respond")
    assert r.status == 200
    wait_until(lambda: completed_in(fake_slack, "D" + board.chair.user_id[1:]), 30, what="the chair's preview")

    r = board.chair.command("/agenda", "pack publish 2019-10-10")
    assert r.status == 200 and "being published" in r.text
    wait_until(lambda: completed_in(fake_slack, board.channel_id), 30, what="the pack in the board's channel")
    assert uploads(fake_slack, f"{slug}-agenda-pack-2019-10-10.pdf")
    posted = [c.params for c in fake_slack.messages() if c.params.get("channel") == board.channel_id
              and "is published" in str(c.params.get("text", "")) + str(c.params.get("blocks", ""))]
    assert posted and f"/b/{slug}/meetings/2019-10-10/" in str(posted[0]["blocks"])
    assert db_rows(server.database_url, "SELECT number, audience, published_by FROM agenda_packs WHERE meeting_id = :m "
                   "AND published_at IS NOT NULL", m=meeting_id) == [(0, "public", board.chair.user_id)]
