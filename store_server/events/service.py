"""Writing events in the same transaction as the change they describe.

Sequence numbers come from a one-row counter updated inside the writing transaction. The row
stays locked until that transaction commits, so numbers become visible strictly in order: a
reader that has seen ``seq`` N never later finds a committed event below N. A database
sequence would not promise that (a transaction holding N-1 may commit after N), and a device
paging the feed with ``after=N`` would silently skip N-1.

Because the counter is one row every writer takes, it must be the last lock a transaction
takes: a writer that held it while waiting for a stock level or an order would deadlock
with one holding that row and waiting for the counter. So ``record_many`` only queues the
events; they are numbered and written when the transaction commits, after everything else
(the ``before_commit`` hook below). Events queued inside a savepoint that rolls back are
dropped with it, and a rolled-back transaction writes none.

Each event keeps the id of the request that wrote it (its webhooks carry it on), and once the
transaction has committed, the listeners registered with ``on_committed`` hear of its events
(the metrics count orders and payment outcomes there, whichever process committed them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, event, func, select, update
from sqlalchemy.orm import Session, SessionTransaction

from store_server.db import utcnow
from store_server.events.models import Event, EventCounter
from store_server.monitoring.logs import current_request_id

log = logging.getLogger(__name__)


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
_QUEUE = "plaza_events"  # session.info key: [(innermost transaction, event), ...]
_WRITTEN = "plaza_events_written"  # session.info key: the events of the committing transaction
_LISTENERS: list[Callable[[list[NewEvent]], None]] = []


def on_committed(listener: Callable[[list[NewEvent]], None]) -> None:
    """Call ``listener`` with the events of every transaction of this process that commits."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def record_many(session: Session, events: list[NewEvent]) -> None:
    """Queue events to be appended to the log, in order, when the caller's transaction commits."""
    if not events:
        return
    if not session.in_transaction():
        raise RuntimeError("events are recorded inside the transaction of the change they describe")
    scope = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_QUEUE, []).extend((scope, e) for e in events)


def record(
    session: Session,
    type: str,
    resource_type: str,
    resource_id: str,
    payload: dict[str, Any],
    location_id: int | None = None,
) -> None:
    record_many(session, [NewEvent(type, resource_type, resource_id, payload, location_id)])


def _write_queued(session: Session) -> None:
    """Number and insert the queued events: the counter row is locked from here to commit."""
    if session.in_nested_transaction():
        return  # a savepoint is being released; the outer commit writes everything
    session.flush()  # any row the ORM still has to write is locked before the counter
    queued = session.info.pop(_QUEUE, None)
    if not queued:
        return
    conn = session.connection()
    last = int(conn.execute(_ALLOCATE, {"count": len(queued)}).scalar_one())
    first = last - len(queued) + 1
    now = utcnow()
    request_id = current_request_id()
    conn.execute(_INSERT_EVENTS, [
        {"seq": first + i, "type": e.type, "resource_type": e.resource_type,
         "resource_id": e.resource_id, "location_id": e.location_id, "payload": e.payload,
         "occurred_at": now, "request_id": request_id}
        for i, (_scope, e) in enumerate(queued)
    ])
    if _LISTENERS:
        session.info[_WRITTEN] = [e for _scope, e in queued]


def _tell_listeners(session: Session) -> None:
    events = session.info.pop(_WRITTEN, None)
    for listener in _LISTENERS if events else ():
        try:
            listener(events)
        except Exception:  # a listener (metrics) must never turn a committed change into an error
            log.exception("an events listener failed")


def _drop_rolled_back(session: Session, rolled_back: SessionTransaction) -> None:
    """Forget events queued in a transaction (or savepoint) that rolled back, or inside it."""
    queued = session.info.get(_QUEUE)
    if not queued:
        return

    def inside(scope: SessionTransaction | None) -> bool:
        while scope is not None:
            if scope is rolled_back:
                return True
            scope = scope.parent
        return False

    session.info[_QUEUE] = [(scope, e) for scope, e in queued if not inside(scope)]


def _forget_on_end(session: Session, ended: SessionTransaction) -> None:
    if ended.parent is None:  # the whole transaction is over, whichever way it ended
        session.info.pop(_QUEUE, None)
        session.info.pop(_WRITTEN, None)


event.listen(Session, "before_commit", _write_queued)
event.listen(Session, "after_commit", _tell_listeners)
event.listen(Session, "after_soft_rollback", _drop_rolled_back)
event.listen(Session, "after_transaction_end", _forget_on_end)


def last_seq(session: Session) -> int:
    return int(session.execute(select(func.coalesce(func.max(Event.seq), 0))).scalar_one())
