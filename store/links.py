"""Answer links (handlers.links) that have done their work, remembered by their digest, never by the token; and
their optional digests stopped, which an answer link (List-Unsubscribe) does to its own person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import audit
from store.db import upsert_insert
from store.models import AuditRecord, Member, UsedLink

AUDIT_ENTITY = "answer_link"  # the audit's record of what a link did: {"digest", "did"}


@dataclass(frozen=True)
class LinkUse:
    """A used link: whose, when, and what it did (in words, from the audit)."""

    member_id: int
    used_at: dt.datetime
    did: str


def use_link(*, session: Session, digest: str, member_id: int, now: dt.datetime) -> bool:
    """Remember a link as used in the caller's unit of work; False if it already was (by another request, even one
    committing at this moment: on PostgreSQL the insert waits for it, then finds its row)."""
    stmt = upsert_insert(session, UsedLink).values(digest=digest, member_id=member_id, used_at=now) \
        .on_conflict_do_nothing(index_elements=["digest"])
    # RETURNING, not rowcount: SQLAlchemy reports no rowcount for an INSERT on PostgreSQL.
    return session.execute(stmt.returning(UsedLink.digest)).first() is not None


def record_use(*, session: Session, digest: str, member_id: int, actor: str, kind: str, did: str,
               now: dt.datetime) -> None:
    """The audit's record of what a link did, as its person (`actor`: their Slack id or mail:… id)."""
    audit.record(session=session, at=now, actor=actor, entity=AUDIT_ENTITY, entity_id=member_id, operation=kind,
                 after={"digest": digest, "did": did})


def link_use(*, session: Session, digest: str) -> LinkUse | None:
    """What a used link did and when; None for a link not used."""
    used = session.get(UsedLink, digest)
    if used is None:
        return None
    rows = session.scalars(select(AuditRecord).where(AuditRecord.entity == AUDIT_ENTITY,
                                                     AuditRecord.entity_id == used.member_id)
                           .order_by(AuditRecord.at.desc()))
    did = next((str((r.after or {}).get("did") or "") for r in rows if (r.after or {}).get("digest") == digest), "")
    return LinkUse(used.member_id, used.used_at, did)


def stop_digests(*, session: Session, member: Member, actor: str, now: dt.datetime) -> None:
    """No more optional digests by email to the member (their List-Unsubscribe)."""
    if member.email_digests:
        member.email_digests = False
        audit.record(session=session, at=now, actor=actor, entity="member", entity_id=member.id,
                     operation="email_digests_off", before={"email_digests": True}, after={"email_digests": False})
