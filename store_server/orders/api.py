"""HTTP for online orders: availability, placing, reading, moving through fulfilment."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any, Literal

import qrcode
from flask import Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from store_server.api import Ctx, operation
from store_server.api.auth import ADMIN, ANYONE_SIGNED_IN, STAFF
from store_server.api.framework import PNG
from store_server.errors import Conflict
from store_server.orders import service
from store_server.orders.availability import availability
from store_server.orders.models import Order
from store_server.orders.service import HandoverIn, OnlineOrderIn, TransitionIn
from store_server.payments.api import payments_of_app
from store_server.payments.service import cancel_order

ORDER_ACTORS = ADMIN | STAFF


class AvailabilityQuery(BaseModel):
    skus: str = Field(max_length=2000, description="comma-separated SKU codes")
    latitude: float | None = Field(None, ge=-90, le=90, description="for quick delivery")
    longitude: float | None = Field(None, ge=-180, le=180)


class PickupOut(BaseModel):
    location: str
    name: str
    available: int


class QuickDeliveryOut(PickupOut):
    distance_km: float
    promise_minutes: int | None


class AvailabilityOut(BaseModel):
    sku: str
    ship: int = Field(description="across the locations that ship online orders")
    pickup: list[PickupOut] = Field(description="per store offering click & collect")
    delivery: list[QuickDeliveryOut] = Field(description="per store whose quick-delivery area covers "
                                                    "the point, nearest first")


# An order as orders.records.order_document shows it: the API, the events and the webhooks.
OrderStatus = Literal["pending", "reserved", "paid", "picking", "ready", "out_for_delivery", "shipped",
                      "completed", "cancelled", "expired"]


class OrderLineOut(BaseModel):
    line: int
    sku: str
    quantity: int = Field(description="pieces, or grams when sold by weight")
    sold_by: Literal["unit", "weight"]
    unit_price: int = Field(description="per piece or per kg")
    gross: int
    discount: int
    net: int
    tax_rate: str = Field(description="a decimal fraction, e.g. 0.21")
    gift: str | None = Field(None, description="a limited gift (priced 0): the promotion that gave it")


class OrderDiscountOut(BaseModel):
    line: int | None = Field(description="its line; none for the whole order")
    amount: int
    reason: str
    code: str


class OrderTaxOut(BaseModel):
    rate: str
    base: int
    tax: int


class OrderTenderOut(BaseModel):
    kind: str = Field(description="cash, alipay_qr, alipay_code, card, points")
    amount: int
    tendered: int | None = Field(description="cash: what the shopper handed over")
    change: int
    reference: str


class OrderCustomerOut(BaseModel):
    name: str
    phone: str
    email: str
    address: str
    latitude: float | None
    longitude: float | None


class OrderRefundOut(BaseModel):
    status: str = Field(description="empty while nothing is owed back")
    amount: int


class OrderStepOut(BaseModel):
    from_: OrderStatus | None = Field(alias="from")
    to: OrderStatus
    actor: str
    note: str
    at: datetime | None


class OrderOut(BaseModel):
    """Money in minor units of ``currency``."""

    number: str
    client_uuid: str | None = Field(description="a till or kiosk sale: the UUID the device gave it")
    channel: Literal["pos", "kiosk", "online"]
    fulfilment: Literal["in_store", "pickup", "delivery", "ship"]
    status: OrderStatus
    location: str
    currency: str
    prices_include_tax: bool
    subtotal: int
    discount_total: int
    tax_total: int
    total: int
    cash_rounding: int = Field(0, description="a till's cash part rounded to the coins in circulation "
                                              "(Canada: the nickel); tenders = total + cash_rounding")
    lines: list[OrderLineOut]
    discounts: list[OrderDiscountOut]
    taxes: list[OrderTaxOut]
    tenders: list[OrderTenderOut]
    customer: OrderCustomerOut
    distance_km: float | None
    promised_at: datetime | None
    expires_at: datetime | None = Field(description="an unpaid order's reservation ends then")
    occurred_at: datetime | None
    created_at: datetime | None
    paid_at: datetime | None
    cashier: str
    receipt_number: str | None = Field(None, description="a till receipt's number in its till's "
                                                         "unbroken series, where the market asks")
    device_occurred_at: datetime | None = Field(description="a till sale: the till's clock as it read")
    review_flags: list[dict[str, str]] = Field(description="what was flagged for the manager")
    history: list[OrderStepOut]
    pickup_qr: str | None = Field(None, description="the online shop's pickup orders: the order QR "
                                                    "its customer shows at the store")
    refund: OrderRefundOut | None = Field(None, description="money given back after a cancel or expiry")


class QueuedOrderOut(OrderOut):
    minutes_left: int | None = Field(description="until the promised time; negative when late")


@operation("GET", "/availability", summary="Available to sell: ship, pickup, quick delivery",
           tag="orders", roles=ANYONE_SIGNED_IN, query=AvailabilityQuery, response=list[AvailabilityOut])
def get_availability(ctx: Ctx) -> list[dict[str, Any]]:
    q: AvailabilityQuery = ctx.query
    codes = [c for c in q.skus.split(",") if c]
    return availability(ctx.session, codes, q.latitude, q.longitude)


@operation("POST", "/orders", summary="Place an online order; its stock is reserved at once",
           tag="orders", roles=ADMIN, body=OnlineOrderIn, response=OrderOut, status=201,
           idempotent=True, problems=(404,))
def create_order(ctx: Ctx, body: OnlineOrderIn) -> dict[str, Any]:
    """Sourcing: shipping from the warehouse, else the nearest store that has everything;
    pickup at the chosen store; quick delivery from the nearest store whose radius covers
    the address, with a promised time. Unpaid orders expire and release their stock."""
    doc = service.place_order(ctx.session, body, ctx.actor, ctx.config["ORDER_RESERVATION_MINUTES"])
    return _with_qr(ctx, doc)


def _with_qr(ctx: Ctx, doc: dict[str, Any]) -> dict[str, Any]:
    """The online shop (admin) gets the pickup QR to show its customer; store staff do not."""
    if ctx.who.role == "admin" and doc["fulfilment"] == "pickup":
        token = ctx.session.execute(
            select(Order.pickup_token).where(Order.number == doc["number"])).scalar_one()
        doc = {**doc, "pickup_qr": service.pickup_qr(ctx.config["PUBLIC_URL"], doc, token)}
    return doc


@operation("GET", "/orders/<number>", summary="One order with its history", tag="orders",
           roles=ORDER_ACTORS, response=OrderOut)
def get_order(ctx: Ctx, number: str) -> dict[str, Any]:
    return _with_qr(ctx, service.read_order(ctx.session, number, ctx.who))


@operation("POST", "/orders/<number>/<action>", summary="Move an order: pay, start_picking, "
           "mark_ready, send_out, ship, complete, cancel", tag="orders", roles=ORDER_ACTORS,
           body=TransitionIn, response=OrderOut, problems=(409,))
def post_transition(ctx: Ctx, body: TransitionIn, number: str, action: str) -> dict[str, Any]:
    if action == "cancel":
        # Cancelling gives back what was paid: a payments use case (payments builds on orders),
        # which cancels the order and then, after commit, cancels or refunds its payments.
        return cancel_order(ctx.session, payments_of_app(), number, body, ctx.who)
    return service.transition(ctx.session, number, action, body, ctx.who)


@operation("POST", "/orders/handover", summary="Hand a pickup order over by scanning its QR",
           tag="orders", roles=STAFF, body=HandoverIn, response=OrderOut, problems=(404, 409))
def handover(ctx: Ctx, body: HandoverIn) -> dict[str, Any]:
    return service.hand_over(ctx.session, body, ctx.who)


@operation("GET", "/orders/<number>/qr.png", summary="The pickup order QR as PNG (for the shop)",
           tag="orders", roles=ADMIN, response=PNG, problems=(409,))
def order_qr_png(ctx: Ctx, number: str) -> Response:
    doc = _with_qr(ctx, service.read_order(ctx.session, number, ctx.who))
    if not doc.get("pickup_qr"):
        raise Conflict("only pickup orders have an order QR")
    buffer = io.BytesIO()
    qrcode.make(doc["pickup_qr"], border=2).save(buffer, format="PNG")
    return Response(buffer.getvalue(), mimetype="image/png")


@operation("GET", "/locations/<code>/order-queue", summary="A store's pick list, most urgent first",
           tag="orders", roles=ORDER_ACTORS, response=list[QueuedOrderOut])
def order_queue(ctx: Ctx, code: str) -> list[dict[str, Any]]:
    return service.order_queue(ctx.session, code, ctx.who)
