"""The device changes feed: a full snapshot on first sync, then the events after it.

A device with nothing calls ``after=0``. It pages through a snapshot of every SKU with its
prices and this store's stock, taken against the event sequence at the moment the snapshot
began (``resume_after``); then it asks for the events after that number. A change committed
while the snapshot was being paged has a higher number, so it arrives as an event and nothing
is missed; applying a change twice is harmless because every payload is a whole document.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from typing_extensions import TypedDict  # pydantic validates only this one on Python 3.11

from store_server.api.pagination import RowId, decode_cursor, encode_cursor
from store_server.catalog.models import PriceList, Sku
from store_server.catalog.service import price_windows_between, sku_documents_between
from store_server.events.models import Event
from store_server.events.service import last_seq
from store_server.inventory.models import StockLevel
from store_server.inventory.service import available_to_sell
from store_server.locations.models import Location
from store_server.locations.service import location_out
from store_server.promotions.models import Promotion
from store_server.promotions.service import promotion_document

DEVICE_EVENT_TYPES = (
    "location.upserted", "sku.upserted", "price.changed", "price_list.upserted", "stock.changed",
    "promotion.upserted", "cashiers.changed",
)


class SnapshotCursor(TypedDict):
    """Where a snapshot stands: the event seq it is as of, and the last SKU id sent."""

    h: RowId
    s: RowId


def _languages(location: Location) -> list[str]:
    language = location.locale.split("_")[0]
    return sorted({language, location.locale, "en"})


def snapshot_page(session: Session, location: Location, cursor: str | None,
                  limit: int) -> dict[str, Any]:
    state: SnapshotCursor = {"h": last_seq(session), "s": 0} if cursor is None else decode_cursor(
        cursor, SnapshotCursor, "the snapshot cursor is damaged; start the snapshot again")
    high, after_sku = state["h"], state["s"]
    sku_ids = list(session.connection().execute(
        select(Sku.id).where(Sku.id > after_sku).order_by(Sku.id).limit(limit + 1)
    ).scalars())
    more = len(sku_ids) > limit
    sku_ids = sku_ids[:limit]
    lo, hi = after_sku, (sku_ids[-1] if sku_ids else after_sku)
    docs = sku_documents_between(session, lo, hi, locales=_languages(location))
    windows = (price_windows_between(session, location.price_list_id, lo, hi)
               if location.price_list_id else {})
    levels = {
        sku_id: (on_hand, reserved, safety, needs_count)
        for sku_id, on_hand, reserved, safety, needs_count in session.connection().execute(
            select(StockLevel.sku_id, StockLevel.on_hand, StockLevel.reserved,
                   StockLevel.safety_stock, StockLevel.needs_count)
            .where(StockLevel.location_id == location.id, StockLevel.sku_id > lo,
                   StockLevel.sku_id <= hi)
        )
    }
    items = []
    for sku_id in sku_ids:
        on_hand, reserved, safety, needs_count = levels.get(sku_id, (0, 0, 0, False))
        items.append({
            "sku": docs[sku_id],
            "prices": windows.get(sku_id, []),
            "stock": {"on_hand": on_hand, "reserved": reserved, "safety_stock": safety,
                      "available": available_to_sell(on_hand, reserved, safety),
                      "needs_count": needs_count},
        })
    result: dict[str, Any] = {
        "mode": "snapshot",
        "items": items,
        "next_cursor": encode_cursor({"h": high, "s": sku_ids[-1]}) if more else None,
        "resume_after": high,
    }
    if cursor is None:
        price_list = session.get(PriceList, location.price_list_id) if location.price_list_id else None
        result["store"] = location_out(session, location).model_dump(mode="json")
        result["price_list"] = price_list.code if price_list else None
        result["currency"] = location.currency
        # Promotions go with the first page: a till prices offline with these rules.
        result["promotions"] = [
            promotion_document(p) for p in session.execute(
                select(Promotion).where(Promotion.status != "ended").order_by(Promotion.code)).scalars()
            if not p.rule.get("locations") or location.code in p.rule["locations"]
        ]
    return result


def events_page(session: Session, location: Location, after: int, limit: int) -> dict[str, Any]:
    rows = session.execute(
        select(Event.seq, Event.type, Event.resource_type, Event.resource_id, Event.payload,
               Event.occurred_at)
        .where(Event.seq > after, Event.type.in_(DEVICE_EVENT_TYPES),
               (Event.location_id.is_(None)) | (Event.location_id == location.id))
        .order_by(Event.seq)
        .limit(limit)
    ).all()
    price_list = session.get(PriceList, location.price_list_id) if location.price_list_id else None
    events = [
        {"seq": seq, "type": type_, "resource": f"{rtype}:{rid}", "payload": payload,
         "occurred_at": occurred.isoformat()}
        for seq, type_, rtype, rid, payload, occurred in rows
        # Prices of other countries' lists are not this store's business.
        if type_ != "price.changed" or (price_list and payload.get("price_list") == price_list.code)
    ]
    return {
        "mode": "events",
        "events": events,
        "next_after": rows[-1][0] if rows else after,
        "has_more": len(rows) == limit,
    }
