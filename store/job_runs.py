"""Job runs: the claim of each occasion of a scheduled job for a board, so it runs once across replicas."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from store.db import upsert_insert
from store.models import JobRun


def claim_run(*, session: Session, job_id: str, board_id: int, occasion: dt.datetime, how: str,
              now: dt.datetime, runner: str | None = None) -> bool:
    """Record that this occasion of the job runs now; False if it already ran (or is running elsewhere:
    on PostgreSQL the insert waits for the other transaction and then finds the row)."""
    stmt = upsert_insert(session, JobRun).values(job_id=job_id, board_id=board_id, occasion=occasion, how=how,
                                                 started_at=now, queued=0, runner=runner).on_conflict_do_nothing(
        index_elements=["job_id", "board_id", "occasion"])
    return session.execute(stmt.returning(JobRun.id)).first() is not None


def finish_run(*, session: Session, job_id: str, board_id: int, occasion: dt.datetime, queued: int,
               summary: str) -> None:
    """Note what a claimed run queued and its summary."""
    session.execute(update(JobRun).where(JobRun.job_id == job_id, JobRun.board_id == board_id,
                                         JobRun.occasion == occasion).values(queued=queued, summary=summary[:4000]))


def last_runs(*, session: Session) -> dict[tuple[str, int], JobRun]:
    """The latest run of each (job, board)."""
    latest = (select(JobRun.job_id, JobRun.board_id, func.max(JobRun.occasion).label("occasion"))
              .group_by(JobRun.job_id, JobRun.board_id).subquery())
    rows = session.scalars(select(JobRun).join(latest, (JobRun.job_id == latest.c.job_id)
                                               & (JobRun.board_id == latest.c.board_id)
                                               & (JobRun.occasion == latest.c.occasion)))
    return {(r.job_id, r.board_id): r for r in rows}


def has_run(*, session: Session, job_id: str, board_id: int, occasion: dt.datetime) -> bool:
    """Whether this occasion of the job was claimed for the board."""
    return (session.scalar(select(func.count()).where(JobRun.job_id == job_id, JobRun.board_id == board_id,
                                                      JobRun.occasion == occasion)) or 0) > 0
