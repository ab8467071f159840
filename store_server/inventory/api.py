"""HTTP for inventory: levels, movement history, receipts, adjustments, transfers, counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select

from store_server.api import Ctx, operation
from store_server.api.auth import ANYONE_SIGNED_IN, MANAGERS, STAFF
from store_server.api.pagination import Page, PageQuery, decode_cursor, page
from store_server.catalog.models import Sku
from store_server.catalog.service import skus_by_code
from store_server.inventory import service
from store_server.inventory.models import StockLevel, StockMovement
from store_server.inventory.service import (
    AdjustmentIn,
    CountIn,
    ReceiptIn,
    SafetyStockIn,
    TransferIn,
)
from store_server.locations.service import get_location


class StockQuery(PageQuery):
    needs_count: bool | None = Field(None, description="only levels flagged for a count")


class MovementQuery(PageQuery):
    sku: str | None = Field(None, max_length=64)


class LevelOut(BaseModel):
    """A SKU's stock at a location (``inventory.service.level_document``)."""

    location: str
    sku: str
    on_hand: int
    reserved: int = Field(description="held for online orders")
    safety_stock: int
    available: int = Field(description="to sell: on hand - reserved - safety stock, never below 0")
    needs_count: bool = Field(description="the ledger went below zero: count the shelf")
    last_counted_at: datetime | None


class LevelsOut(BaseModel):
    levels: list[LevelOut] = Field(description="the levels as they are after the change")


class ReceiptOut(LevelsOut):
    document: str


class MovementOut(BaseModel):
    id: int
    location: str
    sku: str
    kind: str = Field(description="receipt, adjustment, sale, return, transfer_out, transfer_in, "
                                  "count, reserve, release, fulfil")
    quantity: int
    delta_on_hand: int
    delta_reserved: int
    counted_quantity: int | None
    reason: str
    document: str
    actor: str
    occurred_at: datetime
    recorded_at: datetime
    note: str


class TransferLineOut(BaseModel):
    sku: str
    quantity: int


class TransferOut(BaseModel):
    number: str
    status: Literal["in_transit", "received"]
    from_location: str
    to_location: str
    lines: list[TransferLineOut]
    dispatched_at: datetime
    received_at: datetime | None


class CountLineOut(BaseModel):
    sku: str
    expected: int = Field(description="what the ledger says the shelf held when counted")
    counted: int
    difference: int


class CountOut(LevelsOut):
    number: str
    location: str
    counted_at: datetime
    discrepancies: int
    lines: list[CountLineOut]


class LedgerCountsOut(BaseModel):
    on_hand: int
    reserved: int


class LedgerProblemOut(BaseModel):
    """A level that differs from its ledger (``level``, ``ledger``), or a count dated after it
    was recorded (``problem``, ``document``, ``occurred_at``, ``recorded_at``)."""

    location_id: int
    sku_id: int
    level: LedgerCountsOut | None = None
    ledger: LedgerCountsOut | None = None
    problem: str | None = None
    document: str | None = None
    occurred_at: datetime | None = None
    recorded_at: datetime | None = None


class VerifyOut(BaseModel):
    discrepancies: int
    levels: list[LedgerProblemOut]


@operation("GET", "/locations/<code>/stock", summary="Stock levels at a location",
           tag="inventory", roles=ANYONE_SIGNED_IN, query=StockQuery, response=Page[LevelOut])
def list_stock(ctx: Ctx, code: str) -> dict[str, Any]:
    q: StockQuery = ctx.query
    location = get_location(ctx.session, code)
    ctx.who.require_location(location.id)
    stmt = (
        select(StockLevel, Sku.code)
        .join(Sku, Sku.id == StockLevel.sku_id)
        .where(StockLevel.location_id == location.id)
        .order_by(StockLevel.sku_id)
        .limit(q.limit + 1)
    )
    after = decode_cursor(q.cursor)
    if after is not None:
        stmt = stmt.where(StockLevel.sku_id > after)
    if q.needs_count is not None:
        stmt = stmt.where(StockLevel.needs_count.is_(q.needs_count))
    rows = ctx.session.execute(stmt).all()
    result = page(rows, q.limit, key=lambda r: r[0].sku_id)
    result["items"] = [service.level_document(lvl, location.code, sku) for lvl, sku in result["items"]]
    return result


@operation("GET", "/locations/<code>/stock/<sku>", summary="Stock of one SKU at a location",
           tag="inventory", roles=ANYONE_SIGNED_IN, response=LevelOut, problems=(422,))
def get_stock(ctx: Ctx, code: str, sku: str) -> dict[str, Any]:
    ctx.who.require_location(get_location(ctx.session, code).id)
    return service.stock_at(ctx.session, code, sku)


@operation("GET", "/locations/<code>/movements", summary="Movement history (newest first)",
           tag="inventory", roles=STAFF, query=MovementQuery, response=Page[MovementOut])
def list_movements(ctx: Ctx, code: str) -> dict[str, Any]:
    q: MovementQuery = ctx.query
    location = get_location(ctx.session, code)
    ctx.who.require_location(location.id)
    stmt = (
        select(StockMovement, Sku.code)
        .join(Sku, Sku.id == StockMovement.sku_id)
        .where(StockMovement.location_id == location.id)
        .order_by(StockMovement.id.desc())
        .limit(q.limit + 1)
    )
    if q.sku:
        stmt = stmt.where(StockMovement.sku_id == skus_by_code(ctx.session, [q.sku])[q.sku])
    after = decode_cursor(q.cursor)
    if after is not None:
        stmt = stmt.where(StockMovement.id < after)
    rows = ctx.session.execute(stmt).all()
    result = page(rows, q.limit, key=lambda r: r[0].id)
    result["items"] = [movement_document(m, sku, location.code) for m, sku in result["items"]]
    return result


def movement_document(m: StockMovement, sku: str, location: str) -> dict[str, Any]:
    return {
        "id": m.id, "location": location, "sku": sku, "kind": m.kind, "quantity": m.quantity,
        "delta_on_hand": m.delta_on_hand, "delta_reserved": m.delta_reserved,
        "counted_quantity": m.counted_quantity, "reason": m.reason, "document": m.document,
        "actor": m.actor, "occurred_at": m.occurred_at.isoformat(),
        "recorded_at": m.recorded_at.isoformat(), "note": m.note,
    }


@operation("POST", "/inventory/receipts", summary="Receive goods against a delivery note",
           tag="inventory", roles=STAFF, body=ReceiptIn, response=ReceiptOut, status=201,
           idempotent=True, problems=(404,))
def post_receipt(ctx: Ctx, body: ReceiptIn) -> dict[str, Any]:
    return service.receive(ctx.session, body, ctx.actor, ctx.who.require_location)


@operation("POST", "/inventory/adjustments", summary="Adjust stock for a reason",
           tag="inventory", roles=MANAGERS, body=AdjustmentIn, response=LevelsOut, status=201,
           idempotent=True, problems=(404,))
def post_adjustment(ctx: Ctx, body: AdjustmentIn) -> dict[str, Any]:
    return service.adjust(ctx.session, body, ctx.actor, ctx.who.require_location)


@operation("POST", "/inventory/transfers", summary="Send stock to another location",
           tag="inventory", roles=MANAGERS, body=TransferIn, response=TransferOut, status=201,
           idempotent=True, problems=(404,))
def post_transfer(ctx: Ctx, body: TransferIn) -> dict[str, Any]:
    return service.dispatch_transfer(ctx.session, body, ctx.actor, ctx.who.require_location)


@operation("POST", "/inventory/transfers/<number>/receive", summary="Record a transfer's arrival",
           tag="inventory", roles=STAFF, response=TransferOut, problems=(409,))
def post_transfer_received(ctx: Ctx, number: str) -> dict[str, Any]:
    return service.receive_transfer(ctx.session, number, ctx.actor, ctx.who.require_location)


@operation("POST", "/inventory/counts", summary="Record a cycle count; get the discrepancies",
           tag="inventory", roles=STAFF, body=CountIn, response=CountOut, status=201,
           idempotent=True, problems=(404,))
def post_count(ctx: Ctx, body: CountIn) -> dict[str, Any]:
    return service.record_count(ctx.session, body, ctx.actor, ctx.who.require_location)


@operation("PUT", "/inventory/safety-stock", summary="Set the safety stock of a level",
           tag="inventory", roles=MANAGERS, body=SafetyStockIn, response=LevelOut, problems=(404,))
def put_safety_stock(ctx: Ctx, body: SafetyStockIn) -> dict[str, Any]:
    return service.set_safety_stock(ctx.session, body, ctx.who.require_location)


@operation("GET", "/inventory/verify", summary="Levels that differ from their ledger",
           tag="inventory", roles=frozenset({"admin"}), response=VerifyOut)
def get_verify(ctx: Ctx) -> dict[str, Any]:
    problems = service.verify(ctx.session)
    return {"discrepancies": len(problems), "levels": problems}
