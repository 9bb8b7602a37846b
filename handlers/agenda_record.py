"""A published agenda kept as the record: the data its channel post and Word version were made from, stored with
the publication as JSON and read back as it was, so a meeting that has taken place shows the agenda the board saw."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

_DATE, _DATETIME = "__date__", "__datetime__"


def to_record(value: Any) -> Any:
    """Template data as JSON: dataclasses become dicts (templates read their fields the same way), dates and times
    are tagged so `from_record` gives them back."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_record(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dt.datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, dt.date):
        return {_DATE: value.isoformat()}
    if isinstance(value, dict):
        return {str(k): to_record(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_record(v) for v in value]
    return value


def from_record(value: Any) -> Any:
    """The template data `to_record` stored."""
    if isinstance(value, dict):
        if len(value) == 1 and _DATETIME in value:
            return dt.datetime.fromisoformat(value[_DATETIME])
        if len(value) == 1 and _DATE in value:
            return dt.date.fromisoformat(value[_DATE])
        return {k: from_record(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_record(v) for v in value]
    return value
