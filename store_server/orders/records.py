"""Writing and reading orders, shared by online orders and till-sale ingestion.

Orders are written with set-based Core inserts (an order, its lines, discounts, taxes,
tenders and first transition in six statements however many orders a batch holds): sale
ingestion takes batches of hundreds, and the ORM one object at a time would cost 5× more.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from retail.pricing import PricedOrder
from store_server.db import utcnow
from store_server.errors import NotFound
from store_server.locations.models import Location
from store_server.orders.models import (
    Order,
    OrderDiscount,
    OrderLine,
    OrderTax,
    OrderTender,
    OrderTransition,
)


@dataclass
class TenderIn:
    kind: str
    amount: int
    tendered: int | None = None
    change: int = 0
    reference: str = ""


@dataclass
class NewOrder:
    channel: str
    fulfilment: str
    status: str
    location_id: int
    priced: PricedOrder
    sku_ids: dict[str, int]  # SKU code -> id, for every line
    occurred_at: datetime
    actor: str
    number: str = ""
    client_uuid: str | None = None
    content_hash: str = ""
    receipt_number: str | None = None  # a till receipt's number in its till's series
    device_id: int | None = None
    cashier: str = ""
    customer: dict[str, Any] = field(default_factory=dict)
    promised_at: datetime | None = None
    expires_at: datetime | None = None
    pickup_token: str | None = None
    tenders: list[TenderIn] = field(default_factory=list)
    note: str = ""
    customer_id: int | None = None  # a member, identified by their member QR
    cash_session_uuid: str | None = None  # the till's cash session (till sales)
    device_occurred_at: datetime | None = None  # a till sale: what the till's clock said
    review_flags: list[dict[str, str]] = field(default_factory=list)  # for the manager to look at
    cash_rounding: int = 0  # a till's cash part rounded to the coins in circulation
    gifts: dict[int, str] = field(default_factory=dict)  # line index -> the giveaway it is the gift of
    created_at: datetime | None = None  # set by insert_orders


def new_order_number(prefix: str) -> str:
    """Short, unique, readable over the phone: ``ON-261122-7KQ2M9``."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return f"{prefix}-{utcnow():%y%m%d}-" + "".join(secrets.choice(alphabet) for _ in range(6))


def insert_orders(session: Session, orders: list[NewOrder]) -> list[int]:
    """Insert orders with everything they carry; returns their ids in the same order."""
    if not orders:
        return []
    now = utcnow()
    for o in orders:
        o.number = o.number or new_order_number("ON" if o.channel == "online" else "S")
    rows = [{
        "number": o.number, "client_uuid": o.client_uuid, "content_hash": o.content_hash,
        "receipt_number": o.receipt_number,
        "channel": o.channel, "fulfilment": o.fulfilment, "status": o.status,
        "location_id": o.location_id, "device_id": o.device_id, "cashier": o.cashier,
        "cash_session_uuid": o.cash_session_uuid,
        "currency": o.priced.currency, "prices_include_tax": o.priced.prices_include_tax,
        "subtotal": o.priced.subtotal.amount, "discount_total": o.priced.discount_total.amount,
        "tax_total": o.priced.tax_total.amount, "total": o.priced.total.amount,
        "cash_rounding": o.cash_rounding,
        "customer_name": o.customer.get("name", ""), "customer_phone": o.customer.get("phone", ""),
        "customer_email": o.customer.get("email", ""),
        "customer_id": o.customer_id,
        "delivery_address": o.customer.get("address", ""),
        "delivery_latitude": o.customer.get("latitude"),
        "delivery_longitude": o.customer.get("longitude"),
        "distance_km": o.customer.get("distance_km"),
        "promised_at": o.promised_at, "expires_at": o.expires_at, "pickup_token": o.pickup_token,
        "payment_reference": "", "occurred_at": o.occurred_at,
        "device_occurred_at": o.device_occurred_at, "review_flags": o.review_flags,
        "needs_review": bool(o.review_flags), "created_at": now,
        "updated_at": now, "paid_at": o.occurred_at if o.status == "completed" else None,
        "version": 1,
    } for o in orders]
    conn = session.connection()  # Core inserts: batches of sales make the ORM's cost count
    ids_by_number = dict(conn.execute(
        insert(Order.__table__).returning(Order.__table__.c.number, Order.__table__.c.id), rows).all())
    ids = [ids_by_number[o.number] for o in orders]
    lines, discounts, taxes, tenders, transitions = [], [], [], [], []
    for order_id, o in zip(ids, orders, strict=True):
        for no, line in enumerate(o.priced.lines):
            lines.append({
                "order_id": order_id, "line_no": no, "sku_id": o.sku_ids[line.sku],
                "sku_code": line.sku, "quantity": line.quantity, "sold_by": line.sold_by,
                "unit_price": line.unit_price.amount, "tax_class": line.tax_class,
                "tax_rate": str(line.tax_rate), "gross": line.gross.amount,
                "discount": line.discount.amount, "net": line.net.amount, "gift": o.gifts.get(no),
            })
        discounts += [{"order_id": order_id, "line_no": d.line, "amount": d.amount.amount,
                       "reason": d.reason[:200], "code": d.code} for d in o.priced.discounts]
        taxes += [{"order_id": order_id, "rate": str(t.rate), "base": t.base.amount,
                   "tax": t.tax.amount} for t in o.priced.taxes]
        tenders += [{"order_id": order_id, "kind": t.kind, "amount": t.amount,
                     "tendered": t.tendered, "change": t.change, "reference": t.reference}
                    for t in o.tenders]
        transitions.append({"order_id": order_id, "from_status": None, "to_status": o.status,
                            "actor": o.actor, "note": o.note, "at": now})
        o.created_at = now
    for model, batch in ((OrderLine, lines), (OrderDiscount, discounts), (OrderTax, taxes),
                         (OrderTender, tenders), (OrderTransition, transitions)):
        if batch:
            conn.execute(insert(model.__table__), batch)
    return ids


def new_order_document(o: NewOrder, location_code: str) -> dict[str, Any]:
    """The document of an order just inserted, from what was written (no re-read).

    It has the same shape as ``order_document``; a test keeps the two in step.
    """
    p = o.priced
    created = o.created_at.isoformat() if o.created_at else None
    return {
        "number": o.number, "client_uuid": o.client_uuid, "channel": o.channel,
        "fulfilment": o.fulfilment, "status": o.status, "location": location_code,
        "currency": p.currency, "prices_include_tax": p.prices_include_tax,
        "subtotal": p.subtotal.amount, "discount_total": p.discount_total.amount,
        "tax_total": p.tax_total.amount, "total": p.total.amount, "cash_rounding": o.cash_rounding,
        "lines": [{"line": no, "sku": ln.sku, "quantity": ln.quantity, "sold_by": ln.sold_by,
                   "unit_price": ln.unit_price.amount, "gross": ln.gross.amount,
                   "discount": ln.discount.amount, "net": ln.net.amount, "tax_rate": str(ln.tax_rate),
                   "gift": o.gifts.get(no)}
                  for no, ln in enumerate(p.lines)],
        "discounts": [{"line": d.line, "amount": d.amount.amount, "reason": d.reason[:200],
                       "code": d.code} for d in p.discounts],
        "taxes": [{"rate": str(t.rate), "base": t.base.amount, "tax": t.tax.amount} for t in p.taxes],
        "tenders": [{"kind": t.kind, "amount": t.amount, "tendered": t.tendered, "change": t.change,
                     "reference": t.reference} for t in o.tenders],
        "customer": {"name": o.customer.get("name", ""), "phone": o.customer.get("phone", ""),
                     "email": o.customer.get("email", ""), "address": o.customer.get("address", ""),
                     "latitude": o.customer.get("latitude"), "longitude": o.customer.get("longitude")},
        "distance_km": o.customer.get("distance_km"),
        "promised_at": o.promised_at.isoformat() if o.promised_at else None,
        "expires_at": o.expires_at.isoformat() if o.expires_at else None,
        "occurred_at": o.occurred_at.isoformat(), "created_at": created,
        "paid_at": o.occurred_at.isoformat() if o.status == "completed" else None,
        "refund": {"status": "", "amount": 0},
        "cashier": o.cashier,
        "device_occurred_at": o.device_occurred_at.isoformat() if o.device_occurred_at else None,
        "review_flags": o.review_flags,
        "history": [{"from": None, "to": o.status, "actor": o.actor, "note": o.note, "at": created}],
    }


def get_order(session: Session, number: str, *, lock: bool = False) -> Order:
    stmt = select(Order).where(Order.number == number)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    order = session.execute(stmt).scalar_one_or_none()
    if order is None:
        raise NotFound(f"no order {number}", order=number)
    return order


def order_document(session: Session, order: Order) -> dict[str, Any]:
    """The order as the API, the events and the webhooks show it."""
    location_code = session.execute(
        select(Location.code).where(Location.id == order.location_id)).scalar_one()
    lines = session.execute(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.line_no)
    ).scalars().all()
    discounts = session.execute(
        select(OrderDiscount).where(OrderDiscount.order_id == order.id).order_by(OrderDiscount.id)
    ).scalars().all()
    taxes = session.execute(
        select(OrderTax).where(OrderTax.order_id == order.id).order_by(OrderTax.rate)
    ).scalars().all()
    tenders = session.execute(
        select(OrderTender).where(OrderTender.order_id == order.id).order_by(OrderTender.id)
    ).scalars().all()
    history = session.execute(
        select(OrderTransition).where(OrderTransition.order_id == order.id)
        .order_by(OrderTransition.id)
    ).scalars().all()

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "number": order.number, "client_uuid": order.client_uuid, "channel": order.channel,
        "fulfilment": order.fulfilment, "status": order.status, "location": location_code,
        "currency": order.currency, "prices_include_tax": order.prices_include_tax,
        "subtotal": order.subtotal, "discount_total": order.discount_total,
        "tax_total": order.tax_total, "total": order.total, "cash_rounding": order.cash_rounding,
        "lines": [{"line": ln.line_no, "sku": ln.sku_code, "quantity": ln.quantity,
                   "sold_by": ln.sold_by, "unit_price": ln.unit_price, "gross": ln.gross,
                   "discount": ln.discount, "net": ln.net, "tax_rate": ln.tax_rate, "gift": ln.gift}
                  for ln in lines],
        "discounts": [{"line": d.line_no, "amount": d.amount, "reason": d.reason, "code": d.code}
                      for d in discounts],
        "taxes": [{"rate": t.rate, "base": t.base, "tax": t.tax} for t in taxes],
        "tenders": [{"kind": t.kind, "amount": t.amount, "tendered": t.tendered,
                     "change": t.change, "reference": t.reference} for t in tenders],
        "customer": {"name": order.customer_name, "phone": order.customer_phone,
                     "email": order.customer_email, "address": order.delivery_address,
                     "latitude": order.delivery_latitude, "longitude": order.delivery_longitude},
        "distance_km": order.distance_km, "promised_at": iso(order.promised_at),
        "expires_at": iso(order.expires_at), "occurred_at": iso(order.occurred_at),
        "created_at": iso(order.created_at), "paid_at": iso(order.paid_at),
        # Money given back after a cancel or expiry (the payments domain keeps it up to date).
        "refund": {"status": order.refund_status, "amount": order.refunded_amount},
        "cashier": order.cashier,
        "device_occurred_at": iso(order.device_occurred_at), "review_flags": order.review_flags,
        "history": [{"from": h.from_status, "to": h.to_status, "actor": h.actor, "note": h.note,
                     "at": iso(h.at)} for h in history],
    }
