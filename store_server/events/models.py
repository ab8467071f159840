"""The event log (transactional outbox) and the counter that orders it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, BigInteger, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from store_server.db import Base, JSONDoc, UTCDateTime, utcnow


class Event(Base):
    __tablename__ = "event"
    __table_args__ = (Index("ix_event_location_seq", "location_id", "seq"),)

    # Assigned from event_counter inside the writing transaction, never by a sequence: see
    # events.service.record for why that keeps the feed gap-free in commit order.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(60))
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str] = mapped_column(String(120))
    # Store-scoped events (stock of one store) carry its location; chain-wide ones do not.
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The request that wrote it (X-Request-Id): its webhooks send it on as Plaza-Request-Id.
    request_id: Mapped[str | None] = mapped_column(String(128))


class EventCounter(Base):
    __tablename__ = "event_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)


# The counter has exactly one row, created with the table (migrations insert it too).
event.listen(
    EventCounter.__table__,
    "after_create",
    DDL("INSERT INTO event_counter (id, last_seq) VALUES (1, 0)"),
)
