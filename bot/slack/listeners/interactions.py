"""Buttons, forms and shortcuts: how a Slack interaction becomes a handler call and how its outcome goes back.

Every interaction is acknowledged at once. The handler's transaction runs inside the acknowledgement (it
takes milliseconds, and a refused form must carry its field errors in the ack itself); every call to
Slack that follows — opening a form, answering through the response URL, republishing the Home tab,
rendering documents — runs in a Bolt lazy listener after the ack has gone.

A click is answered where it happened:
- on the Home tab, the Home tab is republished (with any refusal or stale-click note at its top);
- on a message, a form opens if the handler asked for one; a refusal goes back to the clicker alone
  (`response_url`, else an ephemeral message); success is either shown (`say`), put in place of the
  message (`replace`), or left to the handler, which updated the message itself (`quiet`, the reminders).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.slack.files import fetch_files
from bot.slack.home import publish_home
from bot.runtime import Outcome, Runtime, run_handler, run_later, send_documents
from handlers.base import Later, Reply, Request
from handlers.registry import Registry, Success

log = logging.getLogger("lspbot.interactions")

HOME_MARK = "home:"  # private_metadata prefix of a form opened from the Home tab: its submission refreshes Home
MAX_ERROR = 150  # Slack shows at most this much of a field error
_OUTCOME = "lspbot_outcome"  # the context key carrying an outcome from the ack to the lazy listener


def user_of(body: dict[str, Any]) -> tuple[str, str | None]:
    """(Slack user id, user name) of whoever clicked, submitted or used a shortcut."""
    user = body.get("user") or {}
    return user.get("id", ""), user.get("username") or user.get("name")


def from_home(body: dict[str, Any]) -> bool:
    """Whether a click came from the Home tab."""
    return (body.get("view") or {}).get("type") == "home"


def block_action_values(body: dict[str, Any]) -> dict[str, Any]:
    """What a handler needs from a `block_actions` payload: the button's value and where its message is."""
    action = (body.get("actions") or [{}])[0]
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    return {
        "action_id": action.get("action_id"),
        "value": action.get("value") or (action.get("selected_option") or {}).get("value"),
        "channel_id": channel,
        "message_ts": container.get("message_ts") or (body.get("message") or {}).get("ts"),
        "trigger_id": body.get("trigger_id"),
        "view_id": (body.get("view") or {}).get("id"),
        "from_home": from_home(body),
    }


def run_block_action(runtime: Runtime, handler: Callable[[Request], Reply], body: dict[str, Any]) -> Outcome:
    """Run a button's handler as the member who clicked it."""
    values = block_action_values(body)
    user_id, user_name = user_of(body)
    return run_handler(runtime, handler, user_id=user_id, channel_id=values["channel_id"], values=values,
                       user_name=user_name)


def view_state_values(view: dict[str, Any]) -> dict[str, Any]:
    """Flatten a submitted view's state to {action_id: value} (text, dates, users, selects)."""
    out: dict[str, Any] = {}
    for block in (view.get("state") or {}).get("values", {}).values():
        for action_id, element in block.items():
            kind = element.get("type")
            if kind == "plain_text_input":
                out[action_id] = element.get("value") or ""
            elif kind == "datepicker":
                out[action_id] = element.get("selected_date")
            elif kind == "users_select":
                out[action_id] = element.get("selected_user")
            elif kind in ("static_select", "external_select", "radio_buttons"):
                out[action_id] = (element.get("selected_option") or {}).get("value")
            elif kind in ("checkboxes", "multi_static_select"):
                out[action_id] = [o.get("value") for o in element.get("selected_options") or []]
            elif kind == "multi_users_select":
                out[action_id] = list(element.get("selected_users") or [])
            elif kind == "file_input":  # the files uploaded on the form: what a handler may check before fetching
                out[action_id] = [{"id": f.get("id"), "name": f.get("name") or f.get("title") or "",
                                   "size": f.get("size") or 0, "mimetype": f.get("mimetype") or ""}
                                  for f in element.get("files") or [] if isinstance(f, dict)]
            else:
                out[action_id] = element.get("value")
    out["private_metadata"] = view.get("private_metadata") or ""
    return out


def submitted_values(view: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A submitted form's values, and whether it was opened from the Home tab (the mark is taken off)."""
    values = view_state_values(view)
    marked = values["private_metadata"].startswith(HOME_MARK)
    if marked:
        values["private_metadata"] = values["private_metadata"][len(HOME_MARK):]
    return values, marked


def render_modal(runtime: Runtime, modal: dict[str, Any], *, home: bool = False) -> dict[str, Any]:
    """A handler's modal ({"template", "data"}) as a view, marked when it was opened from the Home tab."""
    view = runtime.renderer(modal["template"], modal["data"])
    if home:
        view["private_metadata"] = HOME_MARK + (view.get("private_metadata") or "")
    return view


def open_modal(runtime: Runtime, client: WebClient, trigger_id: str | None, modal: dict[str, Any], *,
               home: bool = False) -> dict[str, Any] | None:
    """Open a handler's modal with a trigger; Slack's answer (with the view's id), or None if Slack refused."""
    if not trigger_id:
        return None
    try:
        return client.views_open(trigger_id=trigger_id, view=render_modal(runtime, modal, home=home)).data
    except Exception:
        log.warning("could not open a modal", exc_info=True)
        return None


def answer(payload: dict[str, Any], body: dict[str, Any], client: WebClient, respond: Any, *,
           replace_original: bool = False) -> None:
    """Show a reply to the person who clicked: through the response URL, else as an ephemeral message."""
    try:
        if body.get("response_url") and respond is not None:
            respond(text=payload.get("text", ""), blocks=payload.get("blocks"), response_type="ephemeral",
                    replace_original=replace_original)
            return
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        if channel:
            client.chat_postEphemeral(channel=channel, user=user_of(body)[0], text=payload.get("text", ""),
                                      blocks=payload.get("blocks"))
    except Exception:  # the click itself succeeded; a lost confirmation is logged, not raised
        log.warning("could not show the outcome of a click", exc_info=True)


def _carry(outcome: Outcome) -> dict[str, Any]:
    """An outcome as plain data for the lazy listener (Bolt copies the context into it)."""
    return {"payload": outcome.payload, "ok": outcome.ok, "open_modal": outcome.open_modal, "show": outcome.show,
            "documents": outcome.documents, "error": outcome.error.message if outcome.error else None,
            "later": outcome.later if outcome.ok else []}


def run_after_ack(runtime: Runtime, client: WebClient, user_id: str, channel_id: str | None,
                  later: list[Later]) -> None:
    """The work a button's or a form's handler left for after the ack, the Slack files it names downloaded first."""
    run_later(runtime, user_id, channel_id, later, fetch=partial(fetch_files, runtime, client))


def button(runtime: Runtime, handler: Callable[[Request], Reply], *, success: Success = "say"):
    """The (ack, lazy) pair of listeners of a button that runs `handler`."""

    def ack_click(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        context[_OUTCOME] = _carry(run_block_action(runtime, handler, body))
        ack()

    def after_click(body: dict[str, Any], client: WebClient, context: BoltContext, respond: Any = None) -> None:
        done = context.get(_OUTCOME) or {}
        user_id = user_of(body)[0]
        home = from_home(body)
        opened = False
        if done.get("ok") and done.get("open_modal"):
            opened = open_modal(runtime, client, body.get("trigger_id"), done["open_modal"], home=home) is not None
        if done.get("documents"):
            send_documents(runtime, user_id, done["documents"])
        if done.get("later"):
            channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
            run_after_ack(runtime, client, user_id, channel, done["later"])
        if home:
            if not opened:
                note = "" if done.get("ok") and not done.get("show") else _plain(done)
                publish_home(runtime, client, user_id, notice=note)
            return
        if opened:
            return
        if not done.get("ok") or done.get("open_modal") or done.get("show") or success != "quiet":
            answer(done.get("payload") or {}, body, client, respond,
                   replace_original=bool(done.get("ok")) and success == "replace")

    ack_click.__name__ = f"ack_{handler.__name__}"
    after_click.__name__ = f"after_{handler.__name__}"
    return ack_click, after_click


def _plain(done: dict[str, Any]) -> str:
    """A reply's message as one line for the Home tab's notice."""
    return done.get("error") or (done.get("payload") or {}).get("text", "")


def register(app: App, runtime: Runtime, registry: Registry) -> None:
    """Every declared button with a handler, and every declared form."""
    for declared in registry.buttons:
        if declared.handler is not None:
            ack_click, after_click = button(runtime, declared.handler, success=declared.success)
            app.action(declared.action_id)(ack=ack_click, lazy=[after_click])
    for form in registry.forms:
        register_form(app, runtime, form.callback_id, form.handler, default_field=form.default_field,
                      fields=form.fields)


def field_errors(outcome: Outcome, default_field: str, fields: tuple[str, ...]) -> dict[str, str]:
    """`{block_id: message}` for a refused submission: on the field the refusal names, else the default one."""
    error = outcome.error
    field = error.field if error is not None and error.field in fields else default_field
    message = error.message if error is not None else outcome.payload.get("text", "")
    if len(message) > MAX_ERROR:
        message = message[: MAX_ERROR - 1] + "…"
    return {field: message}


def register_form(app: App, runtime: Runtime, callback_id: str, handler: Callable[[Request], Reply], *,
                  default_field: str, fields: tuple[str, ...] = ()) -> None:
    """A form's submission: checked by `handler`; a refusal stays on the form, on the field at fault.

    Accepted, the form closes; after the ack its reply's documents are sent and the work it left (`Later`: storing
    a paper once its file is downloaded, bot/slack/files.py) runs as a button's does; if it was opened from the
    Home tab, the Home tab is then republished."""

    def ack_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        values, home = submitted_values(view)
        user_id, user_name = user_of(body)
        outcome = run_handler(runtime, handler, user_id=user_id, channel_id=None, values=values, user_name=user_name)
        context[_OUTCOME] = {"ok": outcome.ok, "home": home, "documents": outcome.documents,
                             "later": outcome.later if outcome.ok else []}
        if outcome.ok:
            ack()
        else:
            ack(response_action="errors", errors=field_errors(outcome, default_field, fields or (default_field,)))

    def after_submission(body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        done = context.get(_OUTCOME) or {}
        if done.get("later"):
            run_after_ack(runtime, client, user_of(body)[0], None, done["later"])
        if done.get("documents"):
            send_documents(runtime, user_of(body)[0], done["documents"])
        if done.get("ok") and done.get("home"):
            publish_home(runtime, client, user_of(body)[0])

    ack_submission.__name__ = f"ack_{handler.__name__}"
    after_submission.__name__ = f"after_{handler.__name__}"
    app.view(callback_id)(ack=ack_submission, lazy=[after_submission])
