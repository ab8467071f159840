"""HTTP for online orders: availability, placing, reading, moving through fulfilment."""

from __future__ import annotations

import io
from typing import Any

import qrcode
from flask import Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from store_server.api import Ctx, operation
from store_server.api.auth import ADMIN, ANYONE_SIGNED_IN, STAFF
from store_server.errors import Conflict
from store_server.orders import service
from store_server.orders.availability import availability
from store_server.orders.models import Order
from store_server.orders.service import HandoverIn, OnlineOrderIn, TransitionIn
from store_server.payments.api import payments_of_app
from store_server.payments.service import cancel_order

ORDER_ACTORS = ADMIN | STAFF


class AvailabilityQuery(BaseModel):
    skus: str = Field(description="comma-separated SKU codes")
    latitude: float | None = Field(None, ge=-90, le=90, description="for quick delivery")
    longitude: float | None = Field(None, ge=-180, le=180)


@operation("GET", "/availability", summary="Available to sell: ship, pickup, quick delivery",
           tag="orders", roles=ANYONE_SIGNED_IN, query=AvailabilityQuery)
def get_availability(ctx: Ctx) -> list[dict[str, Any]]:
    q: AvailabilityQuery = ctx.query
    codes = [c for c in q.skus.split(",") if c]
    return availability(ctx.session, codes, q.latitude, q.longitude)


@operation("POST", "/orders", summary="Place an online order; its stock is reserved at once",
           tag="orders", roles=ADMIN, body=OnlineOrderIn, status=201, idempotent=True)
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
           roles=ORDER_ACTORS)
def get_order(ctx: Ctx, number: str) -> dict[str, Any]:
    return _with_qr(ctx, service.read_order(ctx.session, number, ctx.who))


@operation("POST", "/orders/<number>/<action>", summary="Move an order: pay, start_picking, "
           "mark_ready, send_out, ship, complete, cancel", tag="orders", roles=ORDER_ACTORS,
           body=TransitionIn)
def post_transition(ctx: Ctx, body: TransitionIn, number: str, action: str) -> dict[str, Any]:
    if action == "cancel":
        # Cancelling gives back what was paid: a payments use case (payments builds on orders),
        # which cancels the order and then, after commit, cancels or refunds its payments.
        return cancel_order(ctx.session, payments_of_app(), number, body, ctx.who)
    return service.transition(ctx.session, number, action, body, ctx.who)


@operation("POST", "/orders/handover", summary="Hand a pickup order over by scanning its QR",
           tag="orders", roles=STAFF, body=HandoverIn)
def handover(ctx: Ctx, body: HandoverIn) -> dict[str, Any]:
    return service.hand_over(ctx.session, body, ctx.who)


@operation("GET", "/orders/<number>/qr.png", summary="The pickup order QR as PNG (for the shop)",
           tag="orders", roles=ADMIN)
def order_qr_png(ctx: Ctx, number: str) -> Response:
    doc = _with_qr(ctx, service.read_order(ctx.session, number, ctx.who))
    if not doc.get("pickup_qr"):
        raise Conflict("only pickup orders have an order QR")
    buffer = io.BytesIO()
    qrcode.make(doc["pickup_qr"], border=2).save(buffer, format="PNG")
    return Response(buffer.getvalue(), mimetype="image/png")


@operation("GET", "/locations/<code>/order-queue", summary="A store's pick list, most urgent first",
           tag="orders", roles=ORDER_ACTORS)
def order_queue(ctx: Ctx, code: str) -> list[dict[str, Any]]:
    return service.order_queue(ctx.session, code, ctx.who)
