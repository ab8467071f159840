"""Device rows: a till, kiosk or printer belonging to one store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from store_server.db import Base, BigID, UTCDateTime, utcnow


class Device(Base):
    __tablename__ = "device"
    __table_args__ = (
        CheckConstraint("kind IN ('till', 'kiosk', 'printer')", name="kind"),
        CheckConstraint("status IN ('awaiting_pairing', 'paired', 'retired')", name="status"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("location.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    printer_url: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="awaiting_pairing")
    # One-time pairing code, stored hashed; cleared once exchanged for a token.
    pairing_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    pairing_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the device last reported with its sync calls (metrics): the last event seq it has
    # applied, and how many documents wait in its outbox.
    feed_position: Mapped[int | None] = mapped_column(BigInteger)
    outbox_depth: Mapped[int | None] = mapped_column(Integer)
