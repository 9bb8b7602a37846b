"""Slack identifiers (block action_ids, view callback_ids) in one place; templates see them as `ids`."""

from __future__ import annotations

import enum


class ActionId(str, enum.Enum):
    """`action_id` of interactive elements. Each domain adds its own members here."""

    ACTION_DONE = "action_done"
    ACTION_ADD_UPDATE = "action_add_update"
    ACTION_SNOOZE = "action_snooze"
    ACTION_NOT_MINE = "action_not_mine"
    PARTNER_UPDATE_OPEN = "partner_update_open"  # opens the partner-update modal; value: the board id
    QUARTERLY_RETURN_OPEN = "quarterly_return_open"  # opens the quarterly-return modal; value: the board id
    AGENDA_APPROVE = "agenda_approve"  # value: the proposal id
    AGENDA_DECLINE = "agenda_decline"  # value: the proposal id; opens the reason modal
    AGENDA_PUBLISH = "agenda_publish"  # value: the meeting id
    AGENDA_REGENERATE = "agenda_regenerate"  # value: the meeting id
    PLAN_MEETING_CONFIRM = "plan_meeting_confirm"  # value: the board id, "|", the `/plan meeting add` text to run
    ACTION_OWNER_CHOSEN = "action_owner_chosen"  # which of the people named owns it; value: board|user|due|text
    ACTION_LIST_MORE = "action_list_more"  # the next page of `/action list`; value: board id|list|page
    HOME_PAGE_NEXT = "home_page_next"  # the Home tab's next page of actions; value: the page number
    HOME_PAGE_PREVIOUS = "home_page_previous"  # value: the page number
    # -- before the meeting: who is coming
    MEETING_ATTENDING = "meeting_attending"  # a member says they will come; value: the meeting id
    MEETING_APOLOGIES = "meeting_apologies"  # a member sends apologies; value: the meeting id
    MEETING_SUBSTITUTE = "meeting_substitute"  # opens the form naming a substitute; value: the meeting id

    # -- in the meeting: the meeting's message and each item's
    MEETING_PRESENCE = "meeting_presence"  # Present/apologies on the meeting's message; value: the meeting's id
    MEETING_DECLARATION = "meeting_declaration"  # on an item's message; value: meeting id|item number (all four)
    MEETING_OUTCOME = "meeting_outcome"
    MEETING_ADD_ACTION = "meeting_add_action"
    MEETING_NOTE = "meeting_note"

    # -- the register of interests and declarations
    INTERESTS_CONFIRM = "interests_confirm"  # "Confirm, no change" in the yearly ask; value: the board id

    # -- the minutes and the decisions register
    DECISIONS_MORE = "decisions_more"  # the next page of `/lsp decisions`; value: board id|page|filter

    # -- papers and the agenda pack
    PAPER_UPLOAD_OPEN = "paper_upload_open"  # "Send the paper" in an author's reminder; value: the plan item's id
    PACK_APPROVE = "pack_approve"  # the chair approves the pack for publication; value: the meeting id
    PACK_PREVIEW = "pack_preview"  # the chair asks for the pack's PDF; value: the meeting id



class CallbackId(str, enum.Enum):
    """`callback_id` of modals and shortcuts."""

    ACTION_ADD = "action_add_modal"
    ACTION_FROM_MESSAGE = "action_from_message"
    PARTNER_UPDATE = "partner_update_modal"
    QUARTERLY_RETURN = "quarterly_return_modal"
    CHASE_UPDATE = "chase_update_modal"  # "Add update" from an action reminder
    AGENDA_DECLINE_MODAL = "agenda_decline_modal"  # private_metadata: {"proposal", "channel", "ts"}
    AGENDA_ADD = "agenda_add_modal"  # `/agenda add` with no text
    # -- before the meeting: who is coming
    MEETING_SUBSTITUTE_MODAL = "meeting_substitute_modal"  # private_metadata: {"meeting_id"}

    # -- in the meeting
    MEETING_PRESENCE_MODAL = "meeting_presence_modal"  # private_metadata: {"meeting": id}
    MEETING_OUTCOME_MODAL = "meeting_outcome_modal"  # private_metadata: {"item": "meeting id|item number"} (all three)
    MEETING_NOTE_MODAL = "meeting_note_modal"
    MEETING_DECLARATION_MODAL = "meeting_declaration_modal"

    # -- the register of interests and declarations

    # -- the minutes
    MINUTES_EDIT = "minutes_edit_modal"  # private_metadata: {"item": the meeting item's id}

    # -- papers
    PAPER_ATTACH = "paper_attach"  # the message shortcut "Attach as paper…" on a message with a file
    PAPER_UPLOAD = "paper_upload_modal"  # the form taking a paper's file; private_metadata: {"item": plan item id}

