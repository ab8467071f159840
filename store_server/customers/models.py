"""Customer rows: member accounts with their consents, and the points ledger.

A member's balance (``customer.points``) is the sum of their ``customer_points`` entries,
kept in step in the same transaction as the entry, the way a stock level follows its movements.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from store_server.db import Base, BigID, UTCDateTime, utcnow

POINT_KINDS = ("earn", "redeem", "refund", "adjust")


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (
        CheckConstraint("points >= 0", name="points_non_negative"),
        CheckConstraint("phone IS NOT NULL OR email IS NOT NULL", name="reachable"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    # The member number printed on a card and read out at a till: not the row id.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40), unique=True)
    email: Mapped[str | None] = mapped_column(String(200), unique=True)
    language: Mapped[str] = mapped_column(String(10), default="en")
    consent_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_recommendations: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    # Bumped to revoke every member QR issued so far (a lost phone, a shared screenshot).
    qr_version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PointsEntry(Base):
    """One change to a member's points. ``reference`` makes earning and redeeming idempotent:
    an order earns once (``order:<id>``), a redemption is applied once per caller reference.
    ``refund`` gives redeemed points back: a points tender taken back before the sale was
    completed (``void:<redemption>``), or a return refunded to points (``return:<uuid>``)."""

    __tablename__ = "customer_points"
    __table_args__ = (
        CheckConstraint("kind IN ('earn', 'redeem', 'refund', 'adjust')", name="kind"),
        UniqueConstraint("customer_id", "kind", "reference", name="uq_customer_points_reference"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    points: Mapped[int] = mapped_column(BigInteger)  # signed: redeeming is negative
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"))
    reference: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str | None] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger, default=0)  # spend earned on, or discount given
    actor: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
