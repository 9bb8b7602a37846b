"""Every scheduled job, registered here once under a stable id (the id names it in the CLI, the job-run
records and the APScheduler job ids, so it must never change)."""

from __future__ import annotations

from jobs.base import Job
from jobs.chase_actions import chase_actions

JOBS: dict[str, Job] = {job.id: job for job in (
    Job("chase-actions", chase_actions, "chase_time",
        "remind owners of actions due soon, due today and overdue; weekly digest of escalated actions"),
)}


def get(job_id: str) -> Job:
    """A job by id; KeyError names the known ones."""
    try:
        return JOBS[job_id]
    except KeyError:
        raise KeyError(f"no job {job_id!r}; jobs: {', '.join(JOBS)}") from None
