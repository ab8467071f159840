"""Rows for what a till sends besides its sales: returns of recorded sales and Z reports.

A return points at the sale it undoes (an order with the till's client UUID) and keeps, per
line of that sale, how many units came back and what they refunded, and per tender what went
back to the shopper. What a sale's line has left to return is its quantity minus the sum of
its return lines; nothing on the order itself changes, so a sale reads as it was made.

A cash session is the till's own record of a cashier's shift (float, cash in and out, counted
cash), stored as the till sent it in its Z report; the server's side of the story (the sales
and returns that carry the session's UUID) is read from the orders and returns when asked.
Money columns are integer minor units in the store's currency.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from store_server.db import Base, BigID, JSONDoc, UTCDateTime, utcnow


class SaleReturn(Base):
    __tablename__ = "sale_return"
    __table_args__ = (
        CheckConstraint("total >= 0", name="total_non_negative"),
        Index("ix_sale_return_location_time", "location_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    # Made by the till with the return: the key that lands it once, however often it is sent.
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    cash_session_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    cashier: Mapped[str] = mapped_column(String(80), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(BigInteger)  # what went back to the shopper
    # On the server's clock; the till's clock as it read beside it (store_server/devices/clock.py).
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device_occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_flags: Mapped[list[dict[str, str]]] = mapped_column(JSONDoc, default=list)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SaleReturnLine(Base):
    """Units of one line of the original sale that came back, and what they refunded."""

    __tablename__ = "sale_return_line"
    __table_args__ = (
        UniqueConstraint("return_id", "line_no", name="uq_sale_return_line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("refund >= 0", name="refund_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("sale_return.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)  # the line's index in the original sale
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"))
    quantity: Mapped[int] = mapped_column(BigInteger)  # pieces, or grams when sold by weight
    refund: Mapped[int] = mapped_column(BigInteger)


class SaleReturnRefund(Base):
    """Money back on one of the original tenders: cash from the drawer, an Alipay refund."""

    __tablename__ = "sale_return_refund"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("sale_return.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)
    # Alipay: the out_request_no of the payment refund the server made; it backs one refund only.
    reference: Mapped[str] = mapped_column(String(120), default="")


class CashSession(Base):
    """A till's closed cash session, as its Z report states it."""

    __tablename__ = "cash_session"
    __table_args__ = (
        CheckConstraint("closed_at >= opened_at", name="closed_after_opened"),
        Index("ix_cash_session_location_closed", "location_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    till: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    # On the server's clock, so the report is filed under the store day it was really closed
    # on; the till's clock as it read is kept beside them.
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(80), default="")
    closed_by: Mapped[str] = mapped_column(String(80), default="")
    opening_float: Mapped[int] = mapped_column(BigInteger)
    expected_cash: Mapped[int] = mapped_column(BigInteger)
    counted_cash: Mapped[int] = mapped_column(BigInteger)
    difference: Mapped[int] = mapped_column(BigInteger)  # counted - expected: short is negative
    sales_count: Mapped[int] = mapped_column(Integer)
    returns_count: Mapped[int] = mapped_column(Integer)
    # The Z report as the till sent it (movements, figures by tender): the till's word; only each
    # cash movement's ``at`` is placed on the server's clock, with the till's as ``device_at``.
    report: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    review_flags: Mapped[list[dict[str, str]]] = mapped_column(JSONDoc, default=list)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
