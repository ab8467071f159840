"""Webhook subscriptions, the deliveries the worker owes them, and every attempt it made.

A subscription keeps a cursor (``last_seq``) into the event log: the fan-out turns events above
it into deliveries and moves it, in one transaction, so no event is skipped or queued twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from store_server.db import Base, BigID, JSONDoc, UTCDateTime, utcnow

DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    # Exact types ("stock.changed") and family patterns ("order.*", "*").
    event_types: Mapped[list[str]] = mapped_column(JSONDoc)
    description: Mapped[str] = mapped_column(String(200), default="")
    # Kept in clear because signing needs it; shown to the caller once, at creation.
    # Sealed with the instance's key (store_server.sealing), never in clear.
    secret: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The highest event seq already turned into deliveries for this subscription.
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # One delivery per event and subscription, whatever two fan-outs racing would try.
        UniqueConstraint("subscription_id", "event_seq", name="uq_webhook_delivery_event"),
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        # The claim query: due pending rows, and the earlier pending row of the same resource.
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_resource", "subscription_id", "resource", "event_seq"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscription.id"))
    event_seq: Mapped[int] = mapped_column(ForeignKey("event.seq"))
    event_type: Mapped[str] = mapped_column(String(60))
    # "<resource_type>:<resource_id>" of the event: deliveries of one resource go in seq order.
    resource: Mapped[str] = mapped_column(String(170))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A replay starts a fresh retry budget; attempts before it stay counted and listed.
    attempts_at_replay: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The lease of the worker sending it now: nobody else claims it before locked_until, and
    # only the holder of lease_token may record the outcome.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_delivery.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)

