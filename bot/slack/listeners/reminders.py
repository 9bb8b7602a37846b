"""The buttons of an action reminder (Done, Add update, Snooze a week, Not mine) and the update modal.

Each click runs its handler as the person who clicked; the handler queues a `chat.update` of the
reminder through the outbox, so the message itself shows what was done. Refusals, and the answer to
a stale click, come back to the clicker alone. The Home tab carries the same buttons: clicked there,
the Home tab is republished instead.
"""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.interactions import register_button, register_form
from bot.runtime import Runtime
from handlers import reminders
from handlers.ids import ActionId, CallbackId


def register(app: App, runtime: Runtime) -> None:
    register_button(app, runtime, ActionId.ACTION_DONE.value, reminders.handle_chase_done, success="quiet")
    register_button(app, runtime, ActionId.ACTION_ADD_UPDATE.value, reminders.handle_chase_update_open,
                    success="quiet")
    register_button(app, runtime, ActionId.ACTION_SNOOZE.value, reminders.handle_chase_snooze, success="quiet")
    register_button(app, runtime, ActionId.ACTION_NOT_MINE.value, reminders.handle_chase_not_mine, success="quiet")
    register_form(app, runtime, CallbackId.CHASE_UPDATE.value, reminders.handle_chase_update_submit,
                  default_field="note_block")
