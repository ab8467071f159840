"""Order rows: one model for till sales, kiosk sales and online orders.

Money columns are integer minor units in the order's currency. Lines keep the SKU code and
price as sold, so an order reads the same after the catalogue changes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from store_server.db import Base, BigID, JSONDoc, UTCDateTime, utcnow


class Order(Base):
    __tablename__ = "customer_order"
    __table_args__ = (
        CheckConstraint("channel IN ('pos', 'kiosk', 'online')", name="channel"),
        CheckConstraint("fulfilment IN ('in_store', 'pickup', 'delivery', 'ship')", name="fulfilment"),
        CheckConstraint(
            "status IN ('pending', 'reserved', 'paid', 'picking', 'ready', 'out_for_delivery', "
            "'shipped', 'completed', 'cancelled', 'expired')", name="status"),
        CheckConstraint("total >= 0", name="total_non_negative"),
        Index("ix_customer_order_expiry", "status", "expires_at"),
        Index("ix_customer_order_location_status", "location_id", "status"),
        Index("ix_customer_order_review", "location_id", "needs_review", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    # A till's client-generated sale UUID: the key that makes ingestion exactly-once.
    client_uuid: Mapped[str | None] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    # A till sale's receipt number in its till's unbroken series, where the market asks for one
    # (retail.receipt.numbers_receipts); the e-receipt shows it as the paper does.
    receipt_number: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    fulfilment: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    cashier: Mapped[str] = mapped_column(String(80), default="")
    # The till's cash session the sale was rung up in: its Z report is checked against these.
    cash_session_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=True)
    subtotal: Mapped[int] = mapped_column(BigInteger)
    discount_total: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_total: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger)
    # Where cash has no small coins (Canada, Switzerland...), what the cash part of a till sale
    # was rounded by (retail.cash): negative when the shopper paid less than the total. The
    # cash tenders hold the cash taken, so tenders = total + cash_rounding.
    cash_rounding: Mapped[int] = mapped_column(BigInteger, default=0)
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    customer_phone: Mapped[str] = mapped_column(String(40), default="")
    customer_email: Mapped[str] = mapped_column(String(200), default="")
    # The member who bought (customers/): their history across channels and their points.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    delivery_address: Mapped[str] = mapped_column(Text, default="")
    delivery_latitude: Mapped[float | None] = mapped_column(Float)
    delivery_longitude: Mapped[float | None] = mapped_column(Float)
    distance_km: Mapped[float | None] = mapped_column(Float)
    promised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Shown as the order QR at pickup; staff scan it at handover.
    pickup_token: Mapped[str | None] = mapped_column(String(64))
    payment_reference: Mapped[str] = mapped_column(String(120), default="")
    # Money taken for an online order that was then cancelled or expired, as the payments domain
    # returns it: '' (none taken), pending, refunded, needs_decision (a person must act: cash to
    # hand back, or the gateway refused the refund). refunded_amount: what went back so far.
    refund_status: Mapped[str] = mapped_column(String(20), default="")
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # When it happened on the server's clock: a till's sale corrected for the till's clock,
    # which is kept beside it as it read (store_server/devices/clock.py).
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device_occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What a manager should look at ({code, detail}: a till clock far off, a price that is not the
    # list's at the moment of the sale...); a till sale is recorded anyway, never refused for it.
    review_flags: Mapped[list[dict[str, str]]] = mapped_column(JSONDoc, default=list)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class OrderLine(Base):
    __tablename__ = "order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no", name="uq_order_line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"), index=True)
    sku_code: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(BigInteger)  # pieces, or grams when sold by weight
    sold_by: Mapped[str] = mapped_column(String(10), default="unit")
    unit_price: Mapped[int] = mapped_column(BigInteger)  # per piece or per kg
    tax_class: Mapped[str] = mapped_column(String(20), default="standard")
    tax_rate: Mapped[str] = mapped_column(String(12), default="0")
    gross: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger, default=0)
    net: Mapped[int] = mapped_column(BigInteger)
    # A limited giveaway's gift handed over with the sale (price 0): the promotion's code. The
    # server records it only when that promotion granted a gift for this sale or order.
    gift: Mapped[str | None] = mapped_column(String(64))


class OrderDiscount(Base):
    __tablename__ = "order_discount"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    line_no: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(80), default="")


class OrderTax(Base):
    __tablename__ = "order_tax"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    rate: Mapped[str] = mapped_column(String(12))
    base: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)


class OrderTender(Base):
    """How a till sale was paid: cash, Alipay QR, Alipay payment code; several for a split."""

    __tablename__ = "order_tender"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)
    tendered: Mapped[int | None] = mapped_column(BigInteger)  # cash handed over
    change: Mapped[int] = mapped_column(BigInteger, default=0)
    reference: Mapped[str] = mapped_column(String(120), default="")


class OrderTransition(Base):
    """Every status change with who made it: the order's history."""

    __tablename__ = "order_transition"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
