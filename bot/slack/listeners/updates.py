"""The partner-update and quarterly-return forms: the buttons that open them and their submissions.

A submission is checked by the same handler code as the slash command. A refusal comes back on the
form itself (`response_action: errors`, on the field at fault); an accepted one closes the form and
the confirmation arrives in the member's DM through the outbox.
"""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.interactions import register_button, register_form
from bot.runtime import Runtime
from handlers import performance, updates
from handlers.ids import ActionId, CallbackId


def register(app: App, runtime: Runtime) -> None:
    register_button(app, runtime, ActionId.PARTNER_UPDATE_OPEN.value, updates.handle_update_button)
    register_button(app, runtime, ActionId.QUARTERLY_RETURN_OPEN.value, performance.handle_return_button)
    register_form(app, runtime, CallbackId.PARTNER_UPDATE.value, updates.handle_update_modal_submit,
                  default_field=updates.MODAL_TEXT, fields=(updates.MODAL_TEXT,))
    register_form(app, runtime, CallbackId.QUARTERLY_RETURN.value, performance.handle_return_modal_submit,
                  default_field=performance.FIELD_COMMENTARY,
                  fields=(performance.FIELD_ITEM, performance.FIELD_RAG, performance.FIELD_COMMENTARY))
