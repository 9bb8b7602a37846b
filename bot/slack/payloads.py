"""What a signed request from Slack must look like before Bolt and the listeners see it: one place that parses the
body exactly as Bolt will and checks the shape of every part that Bolt's context builder, its listener matchers
and lspbot's listeners read (types, not values: a handler still refuses a wrong value with a reason).

A body of the wrong shape — a payload that is not JSON, or not a JSON object, `actions: null`, `view: null`,
`state.values` a list, a block that is a list, `private_metadata` a number, a form body sent as JSON, truncated
JSON, `event: null` — is refused with 400 and a one-line reason, and nothing runs. Fields Slack may add and
lspbot does not read are left alone.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.request.internals import parse_body


class Shape:
    """A rule for one value; `problem` says what is wrong with it (None when it fits)."""

    def problem(self, value: Any, path: str) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Str(Shape):
    def problem(self, value: Any, path: str) -> str | None:
        return None if isinstance(value, str) else f"{path} must be a string, not {_kind(value)}"


@dataclass(frozen=True)
class Bool(Shape):
    def problem(self, value: Any, path: str) -> str | None:
        return None if isinstance(value, bool | str) else f"{path} must be true or false, not {_kind(value)}"


@dataclass(frozen=True)
class Int(Shape):
    def problem(self, value: Any, path: str) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"{path} must be a whole number, not {_kind(value)}"


@dataclass(frozen=True)
class Opt(Shape):
    """`shape`, or null."""

    shape: Shape

    def problem(self, value: Any, path: str) -> str | None:
        return None if value is None else self.shape.problem(value, path)


@dataclass(frozen=True)
class Either(Shape):
    shapes: tuple[Shape, ...]

    def problem(self, value: Any, path: str) -> str | None:
        problems = [s.problem(value, path) for s in self.shapes]
        return None if None in problems else problems[0]


@dataclass(frozen=True)
class Obj(Shape):
    """A JSON object: the fields named are checked when present (and must be present if `required`); others pass."""

    fields: dict[str, Shape] = field(default_factory=dict)
    required: tuple[str, ...] = ()

    def problem(self, value: Any, path: str) -> str | None:
        if not isinstance(value, dict):
            return f"{path} must be an object, not {_kind(value)}"
        for name in self.required:
            if name not in value:
                return f"{path}.{name} is missing"
        for name, shape in self.fields.items():
            if name in value:
                found = shape.problem(value[name], f"{path}.{name}")
                if found:
                    return found
        return None


@dataclass(frozen=True)
class Map(Shape):
    """A JSON object whose every value has the same shape (the blocks of `state.values`, their elements)."""

    values: Shape

    def problem(self, value: Any, path: str) -> str | None:
        if not isinstance(value, dict):
            return f"{path} must be an object, not {_kind(value)}"
        for name, item in value.items():
            found = self.values.problem(item, f"{path}.{name}")
            if found:
                return found
        return None


@dataclass(frozen=True)
class List(Shape):
    items: Shape
    at_least: int = 0

    def problem(self, value: Any, path: str) -> str | None:
        if not isinstance(value, list):
            return f"{path} must be a list, not {_kind(value)}"
        if len(value) < self.at_least:
            return f"{path} must not be empty"
        for i, item in enumerate(value):
            found = self.items.problem(item, f"{path}[{i}]")
            if found:
                return found
        return None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true or false", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


TEXT = Opt(Str())
ANY_OBJECT = Opt(Obj())
OPTION = Obj({"value": TEXT})
ID_OBJECT = Obj({"id": TEXT})
STR_OR_ID = Opt(Either((Str(), ID_OBJECT)))
SLACK_FILE = Obj({"id": TEXT, "name": TEXT, "title": TEXT, "mimetype": TEXT, "filetype": TEXT, "url_private": TEXT,
                  "size": Opt(Int())})  # a file uploaded on a form (file input) or shared in a message
ELEMENT = Obj({
    "type": TEXT, "value": TEXT, "selected_date": TEXT, "selected_time": TEXT, "selected_user": TEXT,
    "selected_channel": TEXT, "selected_conversation": TEXT, "selected_option": Opt(OPTION),
    "selected_options": Opt(List(OPTION)), "selected_users": Opt(List(Str())), "files": Opt(List(SLACK_FILE)),
})
VIEW = Obj({
    "id": TEXT, "type": TEXT, "callback_id": TEXT, "private_metadata": TEXT, "hash": TEXT, "team_id": TEXT,
    "app_installed_team_id": TEXT, "external_id": TEXT, "root_view_id": TEXT, "previous_view_id": TEXT,
    "state": Opt(Obj({"values": Map(Map(ELEMENT))})),
})
ACTION = Obj({
    "action_id": TEXT, "block_id": TEXT, "type": TEXT, "value": TEXT, "action_ts": TEXT, "selected_date": TEXT,
    "selected_user": TEXT, "selected_option": Opt(OPTION), "selected_options": Opt(List(OPTION)),
})
MESSAGE = Obj({"ts": TEXT, "text": TEXT, "user": TEXT, "thread_ts": TEXT, "subtype": TEXT, "bot_id": TEXT,
               "files": Opt(List(SLACK_FILE))})
EVENT = Obj({
    "type": Str(), "user": STR_OR_ID, "channel": STR_OR_ID, "tab": TEXT, "event_ts": TEXT, "subtype": TEXT,
    "text": TEXT, "user_team": TEXT, "team": TEXT, "thread_ts": TEXT, "bot_id": TEXT, "channel_type": TEXT,
    "user_id": TEXT, "function_execution_id": TEXT, "message": Opt(MESSAGE), "previous_message": Opt(MESSAGE),
    "item": ANY_OBJECT, "assistant_thread": ANY_OBJECT, "function": ANY_OBJECT, "workflow_step": ANY_OBJECT,
}, required=("type",))

# Every field of a request that Bolt (its context builder, its matchers, its middleware) or a listener reads.
BODY = Obj({
    **{name: TEXT for name in (
        "type", "token", "team_id", "team_domain", "enterprise_id", "enterprise_name", "api_app_id", "user_id",
        "user_name", "channel_id", "channel_name", "command", "text", "trigger_id", "response_url", "callback_id",
        "message_ts", "action_ts", "thread_ts", "event_id", "challenge", "action_id", "function_execution_id",
        "bot_access_token", "context_team_id", "context_enterprise_id", "ssl_check")},
    "is_enterprise_install": Opt(Bool()), "is_ext_shared_channel": Opt(Bool()),
    "user": Opt(Obj({"id": TEXT, "username": TEXT, "name": TEXT, "team_id": TEXT})),
    "team": Opt(Either((Str(), Obj({"id": TEXT, "domain": TEXT, "enterprise_id": TEXT})))),
    "enterprise": STR_OR_ID,
    "channel": Opt(Obj({"id": TEXT, "name": TEXT})),
    "container": Opt(Obj({"type": TEXT, "channel_id": TEXT, "message_ts": TEXT, "view_id": TEXT})),
    "message": Opt(MESSAGE), "previous_message": Opt(MESSAGE),
    "view": VIEW,  # null refused: Bolt reads view.type whenever the key is there
    "actions": Opt(List(ACTION)),
    "authorizations": Opt(List(Obj({"team_id": TEXT, "enterprise_id": TEXT, "user_id": TEXT,
                                    "is_enterprise_install": Opt(Bool())}))),
    "response_urls": Opt(List(Obj({"response_url": TEXT}))),
    "event": EVENT,  # null refused: Bolt reads event.type whenever the key is there
    "item": ANY_OBJECT, "assistant_thread": ANY_OBJECT, "function_data": ANY_OBJECT, "workflow_step": ANY_OBJECT,
})

# What each kind of request must carry on top (Bolt indexes these without looking first).
_CALLBACK = Obj({"callback_id": Str()}, required=("callback_id",))
_VIEW_WITH_CALLBACK = Obj({"view": Obj({"callback_id": Str(), "type": Str()}, required=("callback_id", "type"))},
                          required=("view",))
BY_TYPE: dict[str, Shape] = {
    "block_actions": Obj({"actions": List(Obj({"action_id": Str()}, required=("action_id",)), at_least=1)},
                         required=("actions",)),
    "interactive_message": Obj({"actions": List(ANY_OBJECT, at_least=1), "callback_id": Str()},
                               required=("actions", "callback_id")),
    "view_submission": _VIEW_WITH_CALLBACK, "view_closed": _VIEW_WITH_CALLBACK,
    "message_action": _CALLBACK, "shortcut": _CALLBACK, "dialog_submission": _CALLBACK, "dialog_cancellation": _CALLBACK,
    "dialog_suggestion": _CALLBACK,
    "workflow_step_edit": Obj({"callback_id": Str(), "workflow_step": Obj()}, required=("callback_id", "workflow_step")),
    "block_suggestion": Obj({"action_id": Str()}, required=("action_id",)),
    "event_callback": Obj({"event": EVENT}, required=("event",)),
    "url_verification": Obj({"challenge": Str()}, required=("challenge",)),
}

# A slash command: a form of strings (the listener reads these as text).
SLASH_COMMAND = Obj({name: Str() for name in ("command", "text", "user_id", "user_name", "channel_id", "trigger_id",
                                              "response_url")}, required=("command",))

# What the events lspbot listens to must carry.
BY_EVENT: dict[str, Shape] = {
    "app_home_opened": Obj({"user": Str(), "tab": TEXT, "channel": TEXT}, required=("user",)),
    "user_change": Obj({"user": Obj({"id": Str(), "tz": TEXT}, required=("id",))}, required=("user",)),
}


MAX_DEPTH = 64  # Slack's payloads nest about a dozen deep (a message's rich text blocks included)


class BadBody(ValueError):
    """A signed body of a shape Slack never sends; its message says what is wrong, in one line."""


@dataclass(frozen=True)
class Parsed:
    """A body that passed: what Bolt will see, and the raw body to give it."""

    body: dict[str, Any]
    raw: str

    @property
    def kind(self) -> str:
        """`slash_command`, `ssl_check`, or the payload's `type` (`block_actions`, `event_callback`, …)."""
        if "command" in self.body:
            return "slash_command"
        if "ssl_check" in self.body:
            return "ssl_check"
        return str(self.body.get("type") or "")


def read_body(raw: str, content_type: str | None) -> Parsed:
    """Parse a (signed, UTF-8) body as Bolt will and check its shape; BadBody if Slack would never send it."""
    try:
        body = parse_body(raw, content_type)
    except (ValueError, RecursionError) as exc:  # json.JSONDecodeError is a ValueError; so is a bad form
        what = "the body" if _looks_json(raw, content_type) else "the payload"
        raise BadBody(f"{what} is not JSON ({exc.__class__.__name__})") from None
    if not isinstance(body, dict):
        raise BadBody(f"the payload must be a JSON object, not {_kind(body)}")
    if _deeper_than(body, MAX_DEPTH):  # Bolt deep-copies a request for its after-ack listeners: recursion
        raise BadBody(f"the payload is nested more than {MAX_DEPTH} deep")
    if not body and raw.strip():
        if "payload" in raw:
            raw, body = _without_payload_quirk(raw)
        if not body:
            raise BadBody("the body holds nothing Slack sends")
    problem = BODY.problem(body, "body")
    kind = body.get("type")
    if problem is None and "command" in body:
        problem = SLASH_COMMAND.problem(body, "body")
    if problem is None and isinstance(kind, str) and kind in BY_TYPE:
        problem = BY_TYPE[kind].problem(body, "body")
    if problem is None and kind == "view_submission" and body["view"]["type"] == "workflow_step":
        problem = Obj({"workflow_step": Obj()}, required=("workflow_step",)).problem(body, "body")  # Bolt reads it
    event = body.get("event")
    if problem is None and kind == "event_callback" and event["type"] in BY_EVENT:
        problem = BY_EVENT[event["type"]].problem(event, "body.event")
    if problem:
        raise BadBody(problem)
    return Parsed(body, raw)


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether a parsed JSON value nests objects and lists more than `limit` deep (without recursing)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _looks_json(raw: str, content_type: str | None) -> bool:
    return content_type == "application/json" or raw.startswith("{")


def _without_payload_quirk(raw: str) -> tuple[str, dict[str, Any]]:
    """Bolt reads any form body containing the letters "payload" as an interactivity payload, and a slash command
    whose text says "payload" as empty. The same form, its "payload"s percent-encoded (`%70ayload`, which decodes
    to the same text), reads as it should."""
    fields = urllib.parse.parse_qsl(raw, keep_blank_values=True)
    if any(name == "payload" for name, _ in fields):
        return raw, {}
    escaped = raw.replace("payload", "%70ayload")
    try:
        return escaped, parse_body(escaped, "application/x-www-form-urlencoded")
    except ValueError:
        return raw, {}


__all__ = ["BadBody", "Parsed", "read_body"]
