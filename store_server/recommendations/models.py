"""Stored recommendations: computed by ``store-server recommendations compute``, read per request.

Associations are kept per *product* (a phone and a case go together whatever their colours);
the API turns each into the SKU of that product a store has in stock and sells most. Statistics
are floats: they rank suggestions and explain them, they are never money.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from store_server.db import Base, BigID, JSONDoc, UTCDateTime, utcnow


class RecommendationRun(Base):
    """One computation: when, from how much history, with which settings."""

    __tablename__ = "recommendation_run"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    baskets: Mapped[int] = mapped_column(Integer, default=0)
    lines: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)


class BoughtTogether(Base):
    """``other_product`` is bought with ``product`` more often than its popularity explains."""

    __tablename__ = "rec_bought_together"

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    other_product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    support: Mapped[int] = mapped_column(Integer)  # baskets holding both
    confidence: Mapped[float] = mapped_column(Float)  # share of baskets with product that hold other
    lift: Mapped[float] = mapped_column(Float)  # confidence / the other's share of all baskets
    score: Mapped[float] = mapped_column(Float)  # confidence − base rate: what the pairing adds


class PopularSku(Base):
    """A location's best sellers by baskets (``location_id`` NULL: the whole chain)."""

    __tablename__ = "rec_popular"
    __table_args__ = (Index("ix_rec_popular_location_rank", "location_id", "rank"),
                      Index("ix_rec_popular_location_sku", "location_id", "sku_id"))

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    rank: Mapped[int] = mapped_column(Integer)
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    baskets: Mapped[int] = mapped_column(Integer)


class ForYou(Base):
    """Suggestions for one member who consented, from what they bought; never for others."""

    __tablename__ = "rec_for_you"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    score: Mapped[float] = mapped_column(Float)
    because_product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
