"""compile-agendas: `agenda_draft_days` (default 10) before each meeting, the agenda draft is compiled
(by the agenda's own compiler) and sent to the chair with Publish / Regenerate buttons, with the Word
and Markdown files in the same DM.

The draft goes on the last working day on or before that day; if the bot was down then, on its next
run before the meeting. Once per meeting.

The agenda pack (handlers.packs): on the working day before its publication date (`publication_days` clear
working days before the meeting) the pack is built and sent to the chair and vice-chairs to approve; from the
publication date on, an approved pack is published (the channel, the web page, the members' pack by DM), and one
not yet approved is reported to the chair and secretariat once a day until it is (Approve then publishes at once).
A run that missed the day before (the bot was down) asks on its next run before the meeting.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from handlers import packs
from handlers.agenda import agenda_document
from handlers.agenda_compile import compile_agenda
from handlers.base import Clock
from jobs.base import BoardDay, JobReport
from store import boards, meetings, reminder_log
from store import packs as pack_store
from store.models import Role
from store.models.views import BoardView
from store.outbox import Outbox

TEMPLATE = "slack/agenda_draft.json.j2"
PACK_HORIZON_DAYS = 45  # how far ahead the pack's clock looks (20 clear working days and the holidays between)


def compile_agendas(session: Session, clock: Clock, outbox: Outbox, board: BoardView) -> JobReport:
    """Send the chair the agenda draft of each meeting that is now `agenda_draft_days` away."""
    day = BoardDay.of(board, clock)
    report = JobReport()
    lead = day.config.agenda_draft_days
    upcoming = meetings.list_between(session=session, board_id=board.id, start=day.today + dt.timedelta(days=1),
                                     end=day.today + dt.timedelta(days=lead + 7))
    chairs = boards.members_with_roles(session=session, board_id=board.id, roles=(Role.CHAIR,))
    for meeting in upcoming:
        send_on = day.calendar.previous_working_day(meeting.date - dt.timedelta(days=lead))
        if day.today < send_on or not chairs:
            continue
        key = f"agenda-draft:{meeting.id}"
        if not reminder_log.log_reminder(session=session, key=key, board_id=board.id, kind="agenda-draft",
                                           occasion=day.today, now=day.now, detail=meeting.date.isoformat(),
                                           message_key=key):
            continue
        page = outbox.links.meeting(board.slug, meeting.date) if outbox.links is not None else None
        document = agenda_document(compile_agenda(session, board, meeting, day.today), web_url=page)
        for chair in chairs:
            outbox.to_user(chair.slack_user_id, TEMPLATE, dict(document.data, version=None), key=f"{key}:{chair.id}")
        outbox.document_to_users([(chair.slack_user_id, f"{key}:{chair.id}") for chair in chairs], document)
        report.say(f"sent the agenda draft for {meeting.date:%a %-d %b %Y} to the chair")
    packs_due(session, clock, outbox, board, day, report)
    if not report.lines:
        report.say("no agenda draft or pack due today")
    return report


def packs_due(session: Session, clock: Clock, outbox: Outbox, board: BoardView, day: BoardDay,
              report: JobReport) -> None:
    """Ask for the pack's approval, publish it, or say it is waiting, for each meeting whose time has come."""
    upcoming = meetings.list_between(session=session, board_id=board.id, start=day.today + dt.timedelta(days=1),
                                     end=day.today + dt.timedelta(days=PACK_HORIZON_DAYS))
    for meeting in upcoming:
        if pack_store.published_main(session=session, meeting_id=meeting.id) is not None:
            continue
        publication = packs.publication_day(board, meeting)
        ask_on = packs.approval_day(board, meeting)
        when = f"{meeting.date:%a %-d %b %Y}"
        if day.today < ask_on:
            continue
        if meeting.pack_approved_at is None and reminder_log.log_reminder(
                session=session, key=f"pack-approval:{meeting.id}", board_id=board.id, kind="pack-approval",
                occasion=day.today, now=day.now, detail=meeting.date.isoformat()):
            packs.ask_approval(session, outbox, board, meeting, day.now)
            report.say(f"sent the agenda pack for {when} to the chair to approve")
        if day.today < publication:
            continue
        if meeting.pack_approved_at is not None:
            done = packs.publish_pack(session, outbox, board, meeting, now=day.now,
                                      by=meeting.pack_approved_by or "lspbot")
            report.say(f"published the agenda pack for {when} ({done[0].built.pages} pages)")
        elif reminder_log.log_reminder(session=session, key=f"pack-waiting:{meeting.id}:{day.today.isoformat()}",
                                       board_id=board.id, kind="pack-waiting", occasion=day.today, now=day.now,
                                       detail=meeting.date.isoformat()):
            told = packs.remind_waiting(session, outbox, board, meeting, day.today)
            report.say(f"the agenda pack for {when} is due and not approved: told {told} people")
