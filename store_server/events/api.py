"""HTTP for the device changes feed."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from store_server.api import Ctx, operation
from store_server.api.auth import ANYONE_SIGNED_IN
from store_server.api.pagination import PageQuery
from store_server.errors import InvalidInput
from store_server.events.feed import events_page, snapshot_page
from store_server.locations.models import Location
from store_server.locations.service import get_location


class ChangesQuery(PageQuery):
    after: int = Field(0, ge=0, lt=2**63, description="the last seq applied; 0 starts with a snapshot")
    store: str | None = Field(None, description="store code; defaults to the caller's store")
    limit: int = Field(1000, ge=1, le=5000)


@operation("GET", "/sync/changes", summary="Catalogue, prices and store stock changes",
           tag="sync", roles=ANYONE_SIGNED_IN, query=ChangesQuery)
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
