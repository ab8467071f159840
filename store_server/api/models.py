"""Stored answers of idempotent POSTs (the ``Idempotency-Key`` header)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store_server.db import Base, BigID, UTCDateTime, utcnow


class IdempotentRequest(Base):
    __tablename__ = "idempotent_request"
    __table_args__ = (UniqueConstraint("principal", "key", name="uq_idempotent_request_key"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    # Keys are per caller: two tills may pick the same key without colliding.
    principal: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    method_path: Mapped[str] = mapped_column(String(300))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
