"""Payment rows: intents (one tender of an order or a till checkout), their gateway attempts,
refunds, and the log of every gateway call and notification.

Money columns are integer minor units in the intent's currency. An intent references either an
online order (by number) or a till checkout (device + client sale UUID) that may not exist on
the server yet: a till takes the payment first and records the sale later, offline or online,
with the intent's public id as the tender reference.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store_server.db import Base, BigID, JSONDoc, UTCDateTime, utcnow

TENDERS = ("cash", "alipay_qr", "alipay_code")
STATUSES = ("pending", "waiting_for_shopper", "paid", "failed", "cancelled",
            "refunded_partially", "refunded_fully")
# Statuses in which the money was received (whatever was refunded since).
PAID_STATUSES = ("paid", "refunded_partially", "refunded_fully")
# Statuses that still hold part of an order's total while the shopper pays.
OPEN_STATUSES = ("pending", "waiting_for_shopper")


class PaymentIntent(Base):
    __tablename__ = "payment_intent"
    __table_args__ = (
        CheckConstraint("tender IN ('cash', 'alipay_qr', 'alipay_code', 'points')", name="tender"),
        CheckConstraint(
            "status IN ('pending', 'waiting_for_shopper', 'paid', 'failed', 'cancelled', "
            "'refunded_partially', 'refunded_fully')", name="status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refund_within_amount"),
        CheckConstraint("order_number IS NOT NULL OR sale_uuid IS NOT NULL", name="references_something"),
        # The Idempotency-Key of the request that created it, per caller.
        UniqueConstraint("created_by", "idempotency_key", name="uq_payment_intent_request"),
        Index("ix_payment_intent_sale", "device_id", "sale_uuid"),
        Index("ix_payment_intent_location_status", "location_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    order_number: Mapped[str | None] = mapped_column(String(40), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    sale_uuid: Mapped[str | None] = mapped_column(String(36))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)  # what this tender settles
    tender: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(24))
    # The current gateway attempt; earlier ones stay in payment_attempt.
    out_trade_no: Mapped[str | None] = mapped_column(String(64), unique=True)
    qr_code: Mapped[str | None] = mapped_column(Text)
    trade_no: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(256), default="")
    # Cash: handed over, given back, and the cash rounding (rounded due − amount).
    tendered: Mapped[int | None] = mapped_column(BigInteger)
    change: Mapped[int] = mapped_column(BigInteger, default=0)
    rounding: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    failure_code: Mapped[str] = mapped_column(String(64), default="")
    failure_reason: Mapped[str] = mapped_column(String(300), default="")
    # Set when something needs a person (an earlier attempt paid too, a cancel that did not settle).
    attention: Mapped[str] = mapped_column(String(300), default="")
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class PaymentAttempt(Base):
    """One out_trade_no sent to the gateway. A retry makes a new one; all are kept."""

    __tablename__ = "payment_attempt"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'paid', 'closed', 'failed', 'unresolved')", name="status"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    intent_id: Mapped[int] = mapped_column(ForeignKey("payment_intent.id"), index=True)
    out_trade_no: Mapped[str] = mapped_column(String(64), unique=True)
    # paid: the gateway took the money (whatever went back since).
    status: Mapped[str] = mapped_column(String(12), default="open")
    trade_no: Mapped[str | None] = mapped_column(String(64))
    # What the gateway gave back of this trade: refunds, or a cancel that caught it paid.
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PaymentRefund(Base):
    __tablename__ = "payment_refund"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
        # A retried refund request (same key) is the same refund.
        UniqueConstraint("intent_id", "request_key", name="uq_payment_refund_request"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    intent_id: Mapped[int] = mapped_column(ForeignKey("payment_intent.id"), index=True)
    out_request_no: Mapped[str] = mapped_column(String(64), unique=True)
    request_key: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    reason: Mapped[str] = mapped_column(String(256), default="")
    failure_reason: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class GatewayCall(Base):
    """Every request to the gateway and every notification from it, as sent and received.

    ``request`` never holds the signature or a full payment code; ``response`` is the raw text
    (the signed answer, or what we answered a notification).
    """

    __tablename__ = "payment_gateway_call"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # call | notification
    method: Mapped[str] = mapped_column(String(40))
    out_trade_no: Mapped[str | None] = mapped_column(String(64), index=True)
    request: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    response: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
