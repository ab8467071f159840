"""Location rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store_server.db import Base, BigID, JSONDoc, UTCDateTime, utcnow


class Location(Base):
    __tablename__ = "location"
    __table_args__ = (
        CheckConstraint("kind IN ('warehouse', 'store')", name="kind"),
        CheckConstraint("quick_delivery_radius_km IS NULL OR quick_delivery_radius_km > 0",
                        name="radius_positive"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    locale: Mapped[str] = mapped_column(String(10))
    timezone: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(Text, default="")
    # The seller as a tax inspector reads it on a receipt: the company's registered name (the
    # store's ``name`` is its trading name) and its tax ID (NIF, USt-IdNr., ИНН, CNPJ...).
    legal_name: Mapped[str] = mapped_column(String(200), default="")
    tax_id: Mapped[str] = mapped_column(String(40), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    price_list_id: Mapped[int | None] = mapped_column(ForeignKey("price_list.id"))
    click_and_collect: Mapped[bool] = mapped_column(Boolean, default=False)
    ships_online_orders: Mapped[bool] = mapped_column(Boolean, default=False)
    quick_delivery_radius_km: Mapped[float | None] = mapped_column(Float)
    quick_delivery_minutes: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
