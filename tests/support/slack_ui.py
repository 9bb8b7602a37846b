"""What a person does and sees in Slack: clicks, form submissions, and the DMs, posts and views the fake Slack got."""

from __future__ import annotations

import json
from typing import Any

from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import HttpResult, SlackUser
from tests.support.waiting import wait_until


def click(user: SlackUser, action_id: str, value: str, *, channel: str, ts: str, response_url: str) -> HttpResult:
    """A signed `block_actions` interaction, as Slack posts it when a button is clicked."""
    return user.interact({
        "type": "block_actions", "team": {"id": "T0LSP", "domain": "lsp"}, "api_app_id": "A0LSP", "token": "x",
        "user": {"id": user.user_id, "username": user.user_name or user.user_id.lower(), "team_id": "T0LSP"},
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": "directmessage"}, "message": {"ts": ts, "type": "message", "text": ""},
        "trigger_id": "12345.98765.abcd", "response_url": response_url,
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                     "action_ts": "1563265800.000100", "text": {"type": "plain_text", "text": action_id}}],
    })


def click_reminder(user: SlackUser, action_id: str, value: str, channel: str, ts: str, fake: FakeSlack) -> HttpResult:
    """A click on a button of a message the bot sent to a DM (a reminder), answered through the fake's response URL."""
    return click(user, action_id, value, channel=channel, ts=ts, response_url=fake.url + "respond")


def buttons(payload: dict[str, Any]) -> dict[tuple[int, str], str]:
    """{(action ref, button label): value} of a reminder."""
    out = {}
    ref = None
    for block in payload["blocks"]:
        if block["type"] == "section":
            text = block["text"]["text"]
            if text.startswith("*#"):
                ref = int(text[2:text.index("*", 2)])
        if block["type"] == "actions":
            for element in block["elements"]:
                out[(ref, element["text"]["text"])] = element["value"]
    return out


def submit_view(user: SlackUser, view: dict[str, Any], values: dict[str, dict[str, Any]]) -> HttpResult:
    """A signed `view_submission` of an opened modal, with the given state values."""
    return user.interact({
        "type": "view_submission", "team": {"id": "T0LSP"}, "api_app_id": "A0LSP", "token": "x",
        "user": {"id": user.user_id, "username": user.user_name or user.user_id.lower()}, "trigger_id": "1.2.3",
        "view": {"id": "V1", "type": "modal", "callback_id": view["callback_id"],
                 "private_metadata": view["private_metadata"], "state": {"values": values}},
    })


def submit(user: SlackUser, view: dict[str, Any], **fields: Any) -> HttpResult:
    """A signed `view_submission` of the form with these values (text, owner, due, meeting, board, title, lead)."""
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if name in ("text", "title", "lead"):
            element = {"type": "plain_text_input", "value": value}
        elif name == "owner":
            element = {"type": "users_select", "selected_user": value}
        elif name == "due":
            element = {"type": "datepicker", "selected_date": value}
        else:
            element = {"type": "static_select",
                       "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": value} if value else None}
        values[name] = {name: element}
    return user.interact({
        "type": "view_submission", "team": {"id": "T0LSP"}, "api_app_id": "A0LSP", "token": "x",
        "user": {"id": user.user_id, "username": user.user_name or user.user_id.lower()}, "trigger_id": "1.2.3",
        "view": {"id": "V1", "type": "modal", "callback_id": view["callback_id"],
                 "private_metadata": view["private_metadata"], "state": {"values": values}},
    })


def text_input(block: str, value: str) -> dict[str, Any]:
    """The state of a text input block, as a submitted view carries it."""
    return {block: {block: {"type": "plain_text_input", "value": value}}}


def errors(r: HttpResult) -> dict[str, str]:
    """The errors by field of a refused form submission (`response_action: errors`)."""
    assert r.status == 200 and r.json().get("response_action") == "errors", r.body
    return r.json()["errors"]


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    """One block of a view, by its id."""
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def opened_view(fake_slack: FakeSlack) -> dict[str, Any]:
    """The view of the first views.open (waiting for it)."""
    view = fake_slack.wait_for("views.open")[0].params["view"]
    return json.loads(view) if isinstance(view, str) else view


def dm_containing(fake_slack: FakeSlack, user: SlackUser, needle: str, timeout: float = 10) -> dict[str, Any]:
    """The first direct message to a user whose blocks contain `needle` (waiting for the outbox to send it)."""
    return wait_until(lambda: next((c.params for c in fake_slack.messages() if c.params.get("channel") ==
                                    "D" + user.user_id[1:] and needle in str(c.params.get("blocks"))), None),
                      timeout, interval=0.02,
                      what=lambda: f"a DM to {user.user_id} containing {needle!r}: "
                                   f"{[c.params for c in fake_slack.messages()]}")


def posts_to(fake_slack: FakeSlack, channel: str, timeout: float = 10) -> list:
    """Successful chat.postMessage calls to one channel, waiting for the first (others' messages may interleave)."""
    return wait_until(lambda: [c for c in fake_slack.messages() if c.params.get("channel") == channel], timeout,
                      interval=0.02, what=f"a post to {channel}")


def publishes(fake: FakeSlack, user: SlackUser) -> list[dict[str, Any]]:
    """Every Home view published for the user, oldest first."""
    views = [c.params["view"] for c in fake.calls("views.publish")
             if c.params.get("user_id") == user.user_id and c.params.get("_ok", True)]
    return [json.loads(v) if isinstance(v, str) else v for v in views]


def next_home(fake: FakeSlack, user: SlackUser, seen: int, timeout: float = 10) -> dict[str, Any]:
    """The first Home view published for the user after the `seen` they already had."""
    def published() -> list[dict[str, Any]] | None:
        views = publishes(fake, user)
        return views if len(views) > seen else None

    return wait_until(published, timeout, interval=0.02,
                      what=lambda: f"a Home view published for {user.user_id}: {fake.invalid()}")[seen]


def home_buttons(view: dict[str, Any]) -> dict[tuple[int, str], str]:
    """{(action ref, button label): value} of the Home tab's action list."""
    out, ref = {}, None
    for block in view["blocks"]:
        if block["type"] == "section" and block["text"]["text"].startswith("*#"):
            ref = int(block["text"]["text"][2:block["text"]["text"].index("*", 2)])
        if block["type"] == "actions" and block.get("block_id", "").startswith("home_action_"):
            for element in block["elements"]:
                out[(ref, element["text"]["text"])] = element["value"]
    return out
