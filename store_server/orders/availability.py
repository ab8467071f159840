"""Available to sell, per SKU, the three ways an online shopper can get it.

- ship: across warehouses and stores that ship online orders;
- pickup: at each store offering click & collect;
- quick delivery: at each store whose delivery radius covers the address (great-circle).

Every figure is on hand − reserved − safety stock, never below zero.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from retail.geo import distance_km
from store_server.catalog.service import skus_by_code
from store_server.inventory.models import StockLevel
from store_server.inventory.service import available_to_sell
from store_server.locations.models import Location


def covering_stores(session: Session, latitude: float, longitude: float) -> list[tuple[Location, float]]:
    """Stores whose quick-delivery radius covers the point, nearest first."""
    result = []
    for store in session.execute(
        select(Location).where(Location.active.is_(True), Location.kind == "store",
                               Location.quick_delivery_radius_km.is_not(None))
    ).scalars():
        if store.latitude is None or store.longitude is None:
            continue
        km = distance_km(store.latitude, store.longitude, latitude, longitude)
        if km <= (store.quick_delivery_radius_km or 0):
            result.append((store, km))
    return sorted(result, key=lambda pair: (pair[1], pair[0].id))


def availability(session: Session, sku_codes: list[str], latitude: float | None = None,
                 longitude: float | None = None) -> list[dict[str, Any]]:
    ids = skus_by_code(session, sku_codes)
    locations = {loc.id: loc for loc in session.execute(
        select(Location).where(Location.active.is_(True))).scalars()}
    ats: dict[tuple[int, int], int] = {
        (loc_id, sku_id): available_to_sell(on_hand, reserved, safety)
        for loc_id, sku_id, on_hand, reserved, safety in session.execute(
            select(StockLevel.location_id, StockLevel.sku_id, StockLevel.on_hand,
                   StockLevel.reserved, StockLevel.safety_stock)
            .where(StockLevel.sku_id.in_(list(ids.values())))
        )
    }
    covering = covering_stores(session, latitude, longitude) if (
        latitude is not None and longitude is not None) else []
    result = []
    for code in sku_codes:
        sku_id = ids[code]
        result.append({
            "sku": code,
            "ship": sum(ats.get((loc.id, sku_id), 0) for loc in locations.values()
                        if loc.ships_online_orders),
            "pickup": [
                {"location": loc.code, "name": loc.name, "available": ats.get((loc.id, sku_id), 0)}
                for loc in sorted(locations.values(), key=lambda x: x.code)
                if loc.kind == "store" and loc.click_and_collect
            ],
            "delivery": [
                {"location": store.code, "name": store.name, "available": ats.get((store.id, sku_id), 0),
                 "distance_km": round(km, 2), "promise_minutes": store.quick_delivery_minutes}
                for store, km in covering
            ],
        })
    return result
