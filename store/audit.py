"""The audit trail: one record for every change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from store.models import AuditRecord

# A Core INSERT, built once: a record is written and never read back in the unit of work that writes it, so it
# needs no ORM object (whose flush costs several times the statement).
_INSERT = insert(AuditRecord)


def record(
    *,
    session: Session,
    at: dt.datetime,
    actor: str,
    entity: str,
    entity_id: int | None,
    operation: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add an audit record to the current unit of work (sent at once, committed or rolled back with it)."""
    session.connection().execute(_INSERT, {"at": at, "actor": actor, "entity": entity, "entity_id": entity_id,
                                           "operation": operation, "before": before, "after": after})


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """JSON-safe copy of the named fields."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if hasattr(value, "value"):
            value = value.value
        elif isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        out[name] = value
    return out
