"""Buttons and the modals of the agenda: Approve / Decline on a proposal, Publish / Regenerate on a draft,
the reason for a decline, and `/agenda add`'s form."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.interactions import register_button, register_form
from bot.runtime import Runtime
from handlers import agenda as agenda_handlers
from handlers import agenda_forms
from handlers.ids import ActionId, CallbackId


def register(app: App, runtime: Runtime) -> None:
    # Approve and Decline update the chair's DM themselves (through the outbox); the clicker is told too.
    register_button(app, runtime, ActionId.AGENDA_APPROVE.value, agenda_handlers.handle_approve_button)
    register_button(app, runtime, ActionId.AGENDA_DECLINE.value, agenda_handlers.handle_decline_button)
    # The draft is an ephemeral reply: a publication or a fresh draft takes its place, so Publish is not clicked twice.
    register_button(app, runtime, ActionId.AGENDA_PUBLISH.value, agenda_handlers.handle_publish_button,
                    success="replace")
    register_button(app, runtime, ActionId.AGENDA_REGENERATE.value, agenda_handlers.handle_regenerate_button,
                    success="replace")
    register_form(app, runtime, CallbackId.AGENDA_DECLINE_MODAL.value, agenda_handlers.handle_decline_submission,
                  default_field="reason")
    register_form(app, runtime, CallbackId.AGENDA_ADD.value, agenda_forms.handle_agenda_add_submit,
                  default_field=agenda_forms.FIELD_TITLE, fields=agenda_forms.FIELDS)
