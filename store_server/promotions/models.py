"""Promotion rules as stored, and the counters that make a limited giveaway exact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store_server.db import Base, BigID, JSONDoc, UTCDateTime, utcnow


class Promotion(Base):
    __tablename__ = "promotion"
    __table_args__ = (CheckConstraint("status IN ('active', 'paused', 'ended')", name="status"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # the rule's id
    rule: Mapped[dict[str, Any]] = mapped_column(JSONDoc)  # retail.promotions.Rule.to_dict()
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GiveawayCounter(Base):
    """How many gifts a giveaway has given in one scope (the campaign, a store, a store's day).

    ``granted`` only ever moves by a conditional UPDATE (``WHERE granted < gift_limit``), so
    under any concurrency it never passes the limit (docs/ARCHITECTURE.md, promise 7).
    """

    __tablename__ = "giveaway_counter"
    __table_args__ = (
        UniqueConstraint("promotion_id", "scope", name="uq_giveaway_counter_scope"),
        CheckConstraint("granted >= 0 AND granted <= gift_limit", name="within_limit"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotion.id"))
    scope: Mapped[str] = mapped_column(String(80))
    gift_limit: Mapped[int] = mapped_column(Integer)
    granted: Mapped[int] = mapped_column(Integer, default=0)


class GiveawayGrant(Base):
    """One gift given, for one sale or order: asking again for the same sale gives it again."""

    __tablename__ = "giveaway_grant"
    __table_args__ = (
        UniqueConstraint("promotion_id", "reference", name="uq_giveaway_grant_reference"),
        # Sales arriving look up their grants by reference alone (any promotion).
        Index("ix_giveaway_grant_reference", "reference"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotion.id"))
    scope: Mapped[str] = mapped_column(String(80))
    reference: Mapped[str] = mapped_column(String(80))  # the till's sale UUID or the order number
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    granted_by: Mapped[str] = mapped_column(String(120), default="")
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
