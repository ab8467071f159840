"""Stock levels and the append-only movement ledger.

``stock_level.on_hand`` is the sum of ``delta_on_hand`` and ``reserved`` the sum of
``delta_reserved`` over the level's movements (docs/ARCHITECTURE.md, promise 4). A movement records both
what happened (``quantity``) and what it did to the level (the deltas): a sale that happened
before a physical count but reached the server after it is recorded with ``delta_on_hand`` 0,
because the count already saw the shelf without that unit.
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

from store_server.db import Base, BigID, UTCDateTime, utcnow


class StockLevel(Base):
    __tablename__ = "stock_level"
    __table_args__ = (
        UniqueConstraint("location_id", "sku_id", name="uq_stock_level_location_sku"),
        CheckConstraint("reserved >= 0", name="reserved_non_negative"),
        CheckConstraint("safety_stock >= 0", name="safety_stock_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"), index=True)
    on_hand: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    safety_stock: Mapped[int] = mapped_column(BigInteger, default=0)
    # Set when a till sold past zero (invariant 2) or a count found a gap; a count clears it.
    needs_count: Mapped[bool] = mapped_column(Boolean, default=False)
    last_counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockMovement(Base):
    __tablename__ = "stock_movement"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('receipt','sale','return','transfer_out','transfer_in','adjustment',"
            "'count','reserve','release','fulfil')",
            name="kind",
        ),
        Index("ix_stock_movement_level_time", "location_id", "sku_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"))
    kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(BigInteger)
    delta_on_hand: Mapped[int] = mapped_column(BigInteger, default=0)
    delta_reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    # For counts: what was counted; what the ledger expected at that moment is
    # counted_quantity - delta_on_hand.
    counted_quantity: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200), default="")
    document: Mapped[str] = mapped_column(String(120), default="", index=True)
    actor: Mapped[str] = mapped_column(String(120), default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")


class Transfer(Base):
    """Stock sent from one location to another: dispatched (transfer_out), then received."""

    __tablename__ = "transfer"
    __table_args__ = (
        CheckConstraint("status IN ('in_transit', 'received')", name="status"),
        CheckConstraint("from_location_id <> to_location_id", name="distinct_locations"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    from_location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    status: Mapped[str] = mapped_column(String(20), default="in_transit")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(120), default="")
    dispatched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TransferLine(Base):
    __tablename__ = "transfer_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfer.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"))
    quantity: Mapped[int] = mapped_column(BigInteger)


class StockCount(Base):
    """A cycle count: the shelf truth for some SKUs at one moment, and what it found."""

    __tablename__ = "stock_count"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), index=True)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    counted_by: Mapped[str] = mapped_column(String(120), default="")
    lines_counted: Mapped[int] = mapped_column(Integer, default=0)
    discrepancies: Mapped[int] = mapped_column(Integer, default=0)
