"""HTTP for the device changes feed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from store_server.api import Ctx, operation
from store_server.api.auth import ANYONE_SIGNED_IN
from store_server.api.pagination import PageQuery
from store_server.catalog.api import PriceWindowOut, SkuOut
from store_server.errors import InvalidInput
from store_server.events.feed import events_page, snapshot_page
from store_server.locations.models import Location
from store_server.locations.service import LocationOut, get_location
from store_server.promotions.api import PromotionOut


class ChangesQuery(PageQuery):
    after: int = Field(0, ge=0, lt=2**63, description="the last seq applied; 0 starts with a snapshot")
    store: str | None = Field(None, max_length=40, description="store code; defaults to the caller's store")
    limit: int = Field(1000, ge=1, le=5000)


class SnapshotStockOut(BaseModel):
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    needs_count: bool


class SnapshotItemOut(BaseModel):
    sku: SkuOut
    prices: list[PriceWindowOut] = Field(description="the store's price list: now and later")
    stock: SnapshotStockOut = Field(description="at the store")


class SnapshotPageOut(BaseModel):
    mode: Literal["snapshot"]
    items: list[SnapshotItemOut]
    next_cursor: str | None = Field(description="send as `cursor` (with after=0) for the next page")
    resume_after: int = Field(description="after the last page: continue with after=resume_after")
    # The first page only (no cursor sent): the store, its prices' list and currency, promotions.
    store: LocationOut | None = None
    price_list: str | None = None
    currency: str | None = None
    promotions: list[PromotionOut] | None = None


class FeedEventOut(BaseModel):
    seq: int
    type: str = Field(description="location.upserted, sku.upserted, price.changed, stock.changed, ...")
    resource: str = Field(description="type:id")
    payload: dict[str, Any] = Field(description="the whole document of the resource as it is now")
    occurred_at: datetime


class EventsPageOut(BaseModel):
    mode: Literal["events"]
    events: list[FeedEventOut]
    next_after: int
    has_more: bool


ChangesOut = Annotated[SnapshotPageOut | EventsPageOut, Field(discriminator="mode")]


@operation("GET", "/sync/changes", summary="Catalogue, prices and store stock changes",
           tag="sync", roles=ANYONE_SIGNED_IN, query=ChangesQuery, response=ChangesOut,
           problems=(404,))
def get_changes(ctx: Ctx) -> dict[str, Any]:
    """`after=0`: page through a snapshot with `cursor`, then continue with
    `after=resume_after`. Later calls: `after=next_after` until `has_more` is false."""
    q: ChangesQuery = ctx.query
    if q.store:
        location = get_location(ctx.session, q.store)
    elif ctx.who.store_id is not None:
        location = ctx.session.get(Location, ctx.who.store_id)
    else:
        raise InvalidInput("say which store's feed: ?store=CODE")
    assert location is not None
    ctx.who.require_location(location.id)
    if q.after == 0:
        return snapshot_page(ctx.session, location, q.cursor, q.limit)
    return events_page(ctx.session, location, q.after, q.limit)
