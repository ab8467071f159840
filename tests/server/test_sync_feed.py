"""The device changes feed: a paged snapshot, then every change after it, store-scoped."""

from __future__ import annotations

from typing import Any

from store_server.catalog.service import PriceIn, PricesIn, set_prices
from tests.server.factories import Api, Chain


def full_sync(api: Api, page: int = 2) -> tuple[dict[str, Any], int]:
    """What a till does on first start: page through the snapshot, then note where to resume."""
    items: dict[str, Any] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"after": 0, "limit": page}
        if cursor:
            params["cursor"] = cursor
        body = api.get("/sync/changes", **params).json
        items.update({item["sku"]["code"]: item for item in body["items"]})
        cursor = body["next_cursor"]
        if cursor is None:
            return items, body["resume_after"]


def test_first_sync_pages_through_catalogue_prices_and_this_stores_stock(chain: Chain) -> None:
    first = chain.api("till.madrid").get("/sync/changes", after=0, limit=2).json
    assert first["store"]["code"] == "MAD-XANADU" and first["currency"] == "EUR"
    items, _ = full_sync(chain.api("till.madrid"))
    assert set(items) == {"PHONE-128-BLK", "PHONE-256-BLK", "EARBUDS", "SALMON", "TEA"}
    phone = items["PHONE-128-BLK"]
    assert phone["sku"]["names"]["es"] == "Teléfono X5"
    assert "zh" not in phone["sku"]["names"]  # a Madrid till gets Spanish and English
    assert phone["prices"][0]["amount"] == 29900
    assert phone["stock"]["on_hand"] == 10
    assert items["SALMON"]["stock"]["on_hand"] == 0  # Shanghai's salmon is not Madrid's


def test_changes_after_the_snapshot_arrive_as_events_in_order(chain: Chain) -> None:
    api = chain.api("till.madrid")
    _, resume = full_sync(api)
    manager = chain.api("manager.madrid")
    manager.post("/inventory/adjustments", json={"location": "MAD-XANADU", "sku": "EARBUDS",
                                                 "delta": -1, "reason": "damaged"})
    chain.api("manager.shanghai").post("/inventory/adjustments", json={
        "location": "SHA-JINQIAO", "sku": "TEA", "delta": -1, "reason": "damaged"})
    set_prices(chain.session, "EU-EUR", PricesIn(prices=[PriceIn(sku="TEA", amount=899)]))
    set_prices(chain.session, "CN-CNY", PricesIn(prices=[PriceIn(sku="TEA", amount=6800)]))
    body = api.get("/sync/changes", after=resume).json
    kinds = [(e["type"], e["resource"]) for e in body["events"]]
    assert kinds == [("stock.changed", "stock:MAD-XANADU:EARBUDS"), ("price.changed", "price:EU-EUR:TEA")]
    assert body["events"][0]["payload"]["on_hand"] == 19
    seqs = [e["seq"] for e in body["events"]]
    assert seqs == sorted(seqs) and body["next_after"] >= seqs[-1]
    assert api.get("/sync/changes", after=body["next_after"]).json["events"] == []


def test_a_change_made_while_the_snapshot_is_paged_is_not_missed(chain: Chain) -> None:
    api = chain.api("till.madrid")
    first = api.get("/sync/changes", after=0, limit=1).json
    chain.api("manager.madrid").post("/inventory/adjustments", json={
        "location": "MAD-XANADU", "sku": "PHONE-128-BLK", "delta": -1, "reason": "damaged"})
    cursor = first["next_cursor"]
    while cursor:
        cursor = api.get("/sync/changes", after=0, cursor=cursor, limit=1).json["next_cursor"]
    events = api.get("/sync/changes", after=first["resume_after"]).json["events"]
    assert [e["payload"]["on_hand"] for e in events if e["type"] == "stock.changed"] == [9]


def test_a_till_cannot_read_another_stores_feed(chain: Chain) -> None:
    r = chain.api("till.madrid").get("/sync/changes", after=0, store="SHA-JINQIAO")
    assert r.status_code == 403
    assert chain.api("admin").get("/sync/changes", after=0).status_code == 422
    assert chain.api("admin").get("/sync/changes", after=0, store="SHA-JINQIAO").status_code == 200


def test_a_damaged_cursor_is_a_clear_error(chain: Chain) -> None:
    r = chain.api("till.madrid").get("/sync/changes", after=0, cursor="eyJ4IjoxfQ")
    assert r.status_code == 422 and "snapshot" in r.json["detail"]
