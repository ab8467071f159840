"""HTTP for locations."""

from __future__ import annotations

from store_server.api import Ctx, operation
from store_server.api.auth import ADMIN, ANYONE_SIGNED_IN
from store_server.locations import service
from store_server.locations.service import LocationIn, LocationOut


@operation("GET", "/locations", summary="List warehouses and stores", tag="locations",
           roles=ANYONE_SIGNED_IN, response=list[LocationOut])
def list_locations(ctx: Ctx) -> list[LocationOut]:
    return [service.location_out(ctx.session, loc) for loc in service.list_locations(ctx.session)]


@operation("POST", "/locations", summary="Open a warehouse or store", tag="locations",
           roles=ADMIN, body=LocationIn, response=LocationOut, status=201, idempotent=True)
def create_location(ctx: Ctx, body: LocationIn) -> LocationOut:
    return service.open_location(ctx.session, body)


@operation("GET", "/locations/<code>", summary="One location", tag="locations",
           roles=ANYONE_SIGNED_IN, response=LocationOut)
def get_location(ctx: Ctx, code: str) -> LocationOut:
    return service.location_out(ctx.session, service.get_location(ctx.session, code))


@operation("PUT", "/locations/<code>", summary="Change a location", tag="locations",
           roles=ADMIN, body=LocationIn, response=LocationOut)
def update_location(ctx: Ctx, body: LocationIn, code: str) -> LocationOut:
    return service.update_location(ctx.session, code, body)
