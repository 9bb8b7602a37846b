"""Every scheduled job, registered here once under a stable id (the id names it in the CLI, the job-run
records and the APScheduler job ids, so it must never change)."""

from __future__ import annotations

from jobs.ask_interests import ask_interests
from jobs.base import Job
from jobs.chase_actions import chase_actions
from jobs.chase_minutes import chase_minutes
from jobs.chase_papers import chase_papers
from jobs.close_meetings import close_meetings
from jobs.compile_agendas import compile_agendas
from jobs.purge_outbox import purge_outbox
from jobs.quarterly_reminders import quarterly_reminders
from jobs.request_updates import request_updates
from jobs.warn_inquorate import warn_inquorate

JOBS: dict[str, Job] = {job.id: job for job in (
    Job("chase-actions", chase_actions, "chase_time",
        "remind owners of actions due soon, due today and overdue; weekly digest of escalated actions"),
    Job("request-updates", request_updates, "update_request_time",
        "ask each member organisation for its partner update before a meeting; a second ask if none came"),
    Job("compile-agendas", compile_agendas, "agenda_time",
        "send the chair the agenda draft, with Publish / Regenerate, ahead of each meeting"),
    Job("quarterly-reminders", quarterly_reminders, "quarterly_time",
        "quarterly returns: notice and DMs to leads, chase before the deadline, summary to the chair"),
    Job("warn-inquorate", warn_inquorate, "quorum_warning_time",
        "the working day before a meeting, tell the chair and secretariat if the replies so far make it inquorate"),
    Job("ask-interests", ask_interests, "interests_ask_time",
        "once a year (interests_ask_day): ask each member to confirm or update their register of interests"),
    Job("chase-minutes", chase_minutes, "minutes_time",
        "remind the secretariat the working day before drafted minutes are due to be circulated; tell the chair "
        "when they are late"),
    Job("chase-papers", chase_papers, "papers_chase_time",
        "remind each paper's author before its deadline, on it and every working day after until it arrives or the "
        "pack is published (one DM a day at most); list the overdue papers to the secretariat once a day"),
    Job("purge-outbox", purge_outbox, "purge_time",
        "every day: empty the content of messages delivered longer ago than LSPBOT_OUTBOX_RETENTION_DAYS (90)",
        every_day=True),
    Job("close-meetings", close_meetings, "close_meetings_time",
        "every day: close a meeting left open at the end of its day, carry its deferred and unreached items "
        "forward, and tell the secretariat", every_day=True),
)}


def get(job_id: str) -> Job:
    """A job by id; KeyError names the known ones."""
    try:
        return JOBS[job_id]
    except KeyError:
        raise KeyError(f"no job {job_id!r}; jobs: {', '.join(JOBS)}") from None
