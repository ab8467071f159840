"""Writing events in the same transaction as the change they describe.

Sequence numbers come from a one-row counter updated inside the writing transaction. The row
stays locked until that transaction commits, so numbers become visible strictly in order: a
reader that has seen ``seq`` N never later finds a committed event below N. A database
sequence would not promise that (a transaction holding N-1 may commit after N), and a device
paging the feed with ``after=N`` would silently skip N-1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from store_server.db import utcnow
from store_server.events.models import Event, EventCounter


@dataclass(frozen=True, slots=True)
class NewEvent:
    type: str
    resource_type: str
    resource_id: str
    payload: dict[str, Any]
    location_id: int | None = None


_COUNTER = EventCounter.__table__
# Built once and run through the Core connection: every write transaction runs it.
_ALLOCATE = (
    update(_COUNTER)
    .where(_COUNTER.c.id == 1)
    .values(last_seq=_COUNTER.c.last_seq + bindparam("count"))
    .returning(_COUNTER.c.last_seq)
)
_INSERT_EVENTS = Event.__table__.insert()


def _allocate(session: Session, count: int) -> int:
    """Reserve ``count`` sequence numbers; returns the last one."""
    return int(session.connection().execute(_ALLOCATE, {"count": count}).scalar_one())


def record_many(session: Session, events: list[NewEvent]) -> list[int]:
    """Append events to the log, in order, inside the caller's transaction.

    Call it last in a unit of work: the counter row is locked from here to commit.
    """
    if not events:
        return []
    last = _allocate(session, len(events))
    first = last - len(events) + 1
    now = utcnow()
    rows = [
        {
            "seq": first + i,
            "type": e.type,
            "resource_type": e.resource_type,
            "resource_id": e.resource_id,
            "location_id": e.location_id,
            "payload": e.payload,
            "occurred_at": now,
        }
        for i, e in enumerate(events)
    ]
    session.connection().execute(_INSERT_EVENTS, rows)
    return [r["seq"] for r in rows]


def record(
    session: Session,
    type: str,
    resource_type: str,
    resource_id: str,
    payload: dict[str, Any],
    location_id: int | None = None,
) -> int:
    return record_many(
        session, [NewEvent(type, resource_type, resource_id, payload, location_id)]
    )[0]


def last_seq(session: Session) -> int:
    return int(session.execute(select(func.coalesce(func.max(Event.seq), 0))).scalar_one())
