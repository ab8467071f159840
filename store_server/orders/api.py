"""HTTP for online orders: availability, placing, reading, moving through fulfilment."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from store_server.api import Ctx, operation
from store_server.api.auth import ADMIN, ANYONE_SIGNED_IN, STAFF
from store_server.orders import service
from store_server.orders.availability import availability
from store_server.orders.service import OnlineOrderIn, TransitionIn

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
    return service.place_order(ctx.session, body, ctx.actor,
                               ctx.config["ORDER_RESERVATION_MINUTES"])


@operation("GET", "/orders/<number>", summary="One order with its history", tag="orders",
           roles=ORDER_ACTORS)
def get_order(ctx: Ctx, number: str) -> dict[str, Any]:
    return service.read_order(ctx.session, number, ctx.who)


@operation("POST", "/orders/<number>/<action>", summary="Move an order: pay, start_picking, "
           "mark_ready, send_out, ship, complete, cancel", tag="orders", roles=ORDER_ACTORS,
           body=TransitionIn)
def post_transition(ctx: Ctx, body: TransitionIn, number: str, action: str) -> dict[str, Any]:
    return service.transition(ctx.session, number, action, body, ctx.who)


@operation("GET", "/locations/<code>/order-queue", summary="A store's pick list, most urgent first",
           tag="orders", roles=ORDER_ACTORS)
def order_queue(ctx: Ctx, code: str) -> list[dict[str, Any]]:
    return service.order_queue(ctx.session, code, ctx.who)
