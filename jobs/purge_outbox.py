"""purge-outbox: every day at `purge_time` (default 09:00, board time, with the
other jobs), the payloads of the messages delivered
(or failed) longer ago than the retention (LSPBOT_OUTBOX_RETENTION_DAYS, default 90 days) are emptied, and the
stored files nothing holds any more (agenda pack previews, once sent) older than that are deleted.

The rows stay, with their key, target, status and where Slack put them: a key is never queued twice and a posted
message can still be updated. The outbox is shared by every board, so the first board's run of the day does the
work and the others find nothing left; it runs every day, weekends and holidays included.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from handlers.base import Clock
from jobs.base import JobReport
from store import files as files_store
from store import outbox as outbox_store
from store.models.views import BoardView
from store.outbox import Outbox


def purge_outbox(session: Session, clock: Clock, outbox: Outbox, board: BoardView) -> JobReport:
    """Empty the payloads of messages delivered more than the retention ago."""
    now = clock.now()
    report = JobReport()
    purged = outbox_store.purge_payloads(session=session, before=now - outbox.retention, now=now)
    days = outbox.retention.days
    report.say(f"purged the content of {purged} message(s) delivered more than {days} days ago" if purged
               else f"nothing delivered more than {days} days ago left to purge")
    files = files_store.purge_unreferenced(session=session, before=now - outbox.retention,
                                           keep=outbox_store.files_waiting(session=session))
    if files:
        report.say(f"deleted {files} stored file(s) nothing holds (agenda pack previews) older than {days} days")
    return report
