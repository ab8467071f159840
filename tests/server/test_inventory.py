"""Inventory: receipts, adjustments, transfers, cycle counts, and the ledger they write."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from store_server.catalog.service import skus_by_code
from store_server.db import transaction
from store_server.inventory.models import StockMovement
from store_server.inventory.service import Movement, apply_movements, verify
from store_server.locations.service import get_location
from tests.server.factories import Chain


def _stock(chain: Chain, location: str, sku: str) -> dict:
    return chain.api("admin").get(f"/locations/{location}/stock/{sku}").json


def _sell_at_till(chain: Chain, location: str, sku: str, quantity: int, when: datetime) -> None:
    """A till sale as the sales ingestion writes it: allowed to go below zero (invariant 2)."""
    s = chain.session
    s.rollback()
    with transaction(s):
        loc = get_location(s, location).id
        sku_id = skus_by_code(s, [sku])[sku]
        apply_movements(s, [Movement(loc, sku_id, "sale", -quantity, when, document="sale:test")])


def _receive_earlier(chain: Chain, sku: str, quantity: int, when: datetime) -> None:
    r = chain.api("manager.madrid").post("/inventory/receipts", json={
        "location": "MAD-XANADU", "document": f"DN-{sku}-{when:%H%M%S}", "occurred_at": when.isoformat(),
        "lines": [{"sku": sku, "quantity": quantity}]})
    assert r.status_code == 201, r.json


def test_receiving_a_delivery_note_raises_stock_once(chain: Chain) -> None:
    api = chain.api("manager.madrid")
    body = {"location": "MAD-XANADU", "document": "DN-100",
            "lines": [{"sku": "EARBUDS", "quantity": 5}, {"sku": "PHONE-256-BLK", "quantity": 3}]}
    r = api.post("/inventory/receipts", json=body)
    assert r.status_code == 201, r.json
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["on_hand"] == 25
    again = api.post("/inventory/receipts", json=body)
    assert again.status_code == 409 and "recorded before" in again.json["detail"]
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["on_hand"] == 25


def test_adjustment_needs_a_reason_and_cannot_go_below_zero(chain: Chain) -> None:
    api = chain.api("manager.madrid")
    r = api.post("/inventory/adjustments", json={"location": "MAD-XANADU", "sku": "EARBUDS",
                                                 "delta": -2, "reason": "damaged in store"})
    assert r.status_code == 201
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["on_hand"] == 18
    r = api.post("/inventory/adjustments", json={"location": "MAD-XANADU", "sku": "EARBUDS",
                                                 "delta": -19, "reason": "theft"})
    assert r.status_code == 409 and "Count the shelf" in r.json["detail"]
    assert api.post("/inventory/adjustments", json={"location": "MAD-XANADU", "sku": "EARBUDS",
                                                    "delta": 1, "reason": ""}).status_code == 422
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["on_hand"] == 18


def test_transfer_moves_stock_out_at_dispatch_and_in_at_arrival(chain: Chain) -> None:
    r = chain.api("manager.madrid").post("/inventory/transfers", json={
        "from_location": "MAD-XANADU", "to_location": "WH-ONLINE",
        "lines": [{"sku": "PHONE-128-BLK", "quantity": 4}]})
    assert r.status_code == 201, r.json
    number = r.json["number"]
    assert r.json["status"] == "in_transit"
    assert _stock(chain, "MAD-XANADU", "PHONE-128-BLK")["on_hand"] == 6
    assert _stock(chain, "WH-ONLINE", "PHONE-128-BLK")["on_hand"] == 0
    # The Madrid manager cannot sign for the warehouse's arrival; an admin can.
    assert chain.api("manager.madrid").post(f"/inventory/transfers/{number}/receive").status_code == 403
    r = chain.api("admin").post(f"/inventory/transfers/{number}/receive")
    assert r.status_code == 200 and r.json["status"] == "received"
    assert _stock(chain, "WH-ONLINE", "PHONE-128-BLK")["on_hand"] == 4
    assert chain.api("admin").post(f"/inventory/transfers/{number}/receive").status_code == 409
    assert _stock(chain, "WH-ONLINE", "PHONE-128-BLK")["on_hand"] == 4


def test_transfer_of_more_than_the_shelf_holds_is_refused_whole(chain: Chain) -> None:
    r = chain.api("manager.madrid").post("/inventory/transfers", json={
        "from_location": "MAD-XANADU", "to_location": "SHA-JINQIAO",
        "lines": [{"sku": "EARBUDS", "quantity": 5}, {"sku": "PHONE-128-BLK", "quantity": 11}]})
    assert r.status_code == 409
    assert r.json["lines"] == [{"sku": "PHONE-128-BLK", "requested": 11, "available": 10}]
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["on_hand"] == 20
    assert _stock(chain, "SHA-JINQIAO", "EARBUDS")["on_hand"] == 0


def test_cycle_count_reports_discrepancies_and_sets_the_truth(chain: Chain) -> None:
    r = chain.api("manager.madrid").post("/inventory/counts", json={
        "location": "MAD-XANADU",
        "lines": [{"sku": "EARBUDS", "counted": 17}, {"sku": "PHONE-128-BLK", "counted": 10}]})
    assert r.status_code == 201, r.json
    assert r.json["discrepancies"] == 1
    assert r.json["lines"][0] == {"sku": "EARBUDS", "expected": 20, "counted": 17, "difference": -3}
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["on_hand"] == 17


def test_offline_sale_made_before_a_count_is_not_subtracted_twice(chain: Chain) -> None:
    """The till sold 2 at 10:00 while offline; the shelf was counted at 11:00 (it already
    lacked those 2); the till syncs at 12:00. The count is the truth: 8, not 6."""
    now = datetime.now(UTC)
    _receive_earlier(chain, "PHONE-256-BLK", 10, now - timedelta(hours=3))
    chain.api("manager.madrid").post("/inventory/counts", json={
        "location": "MAD-XANADU", "counted_at": (now - timedelta(hours=1)).isoformat(),
        "lines": [{"sku": "PHONE-256-BLK", "counted": 8}]})
    _sell_at_till(chain, "MAD-XANADU", "PHONE-256-BLK", 2, now - timedelta(hours=2))
    assert _stock(chain, "MAD-XANADU", "PHONE-256-BLK")["on_hand"] == 8
    # A sale made after the count does count.
    _sell_at_till(chain, "MAD-XANADU", "PHONE-256-BLK", 1, now - timedelta(minutes=30))
    assert _stock(chain, "MAD-XANADU", "PHONE-256-BLK")["on_hand"] == 7
    history = chain.api("manager.madrid").get("/locations/MAD-XANADU/movements",
                                              sku="PHONE-256-BLK").json
    late = [m for m in history["items"] if m["kind"] == "sale" and m["delta_on_hand"] == 0]
    assert len(late) == 1 and "before the count" in late[0]["note"]
    assert verify(chain.session) == []


def test_count_taken_before_sales_that_synced_earlier_keeps_those_sales(chain: Chain) -> None:
    """Sales after the count moment that reached us before the count was entered stay applied."""
    now = datetime.now(UTC)
    _receive_earlier(chain, "PHONE-256-BLK", 20, now - timedelta(hours=3))
    _sell_at_till(chain, "MAD-XANADU", "PHONE-256-BLK", 3, now - timedelta(minutes=10))
    r = chain.api("manager.madrid").post("/inventory/counts", json={
        "location": "MAD-XANADU", "counted_at": (now - timedelta(minutes=20)).isoformat(),
        "lines": [{"sku": "PHONE-256-BLK", "counted": 19}]})
    assert r.json["lines"][0]["expected"] == 20
    assert _stock(chain, "MAD-XANADU", "PHONE-256-BLK")["on_hand"] == 16


def test_an_older_count_cannot_overrule_a_newer_one(chain: Chain) -> None:
    now = datetime.now(UTC)
    api = chain.api("manager.madrid")
    api.post("/inventory/counts", json={"location": "MAD-XANADU", "counted_at": now.isoformat(),
                                        "lines": [{"sku": "EARBUDS", "counted": 15}]})
    r = api.post("/inventory/counts", json={
        "location": "MAD-XANADU", "counted_at": (now - timedelta(hours=1)).isoformat(),
        "lines": [{"sku": "EARBUDS", "counted": 30}]})
    assert r.status_code == 409 and r.json["skus"] == ["EARBUDS"]
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["on_hand"] == 15


def test_selling_past_zero_is_allowed_and_flags_the_item_for_a_count(chain: Chain) -> None:
    _sell_at_till(chain, "MAD-XANADU", "EARBUDS", 21, datetime.now(UTC))
    level = _stock(chain, "MAD-XANADU", "EARBUDS")
    assert level["on_hand"] == -1 and level["available"] == 0 and level["needs_count"]
    flagged = chain.api("manager.madrid").get("/locations/MAD-XANADU/stock", needs_count="true").json
    assert [item["sku"] for item in flagged["items"]] == ["EARBUDS"]
    chain.api("manager.madrid").post("/inventory/counts", json={
        "location": "MAD-XANADU", "lines": [{"sku": "EARBUDS", "counted": 2}]})
    assert not _stock(chain, "MAD-XANADU", "EARBUDS")["needs_count"]


def test_safety_stock_lowers_what_is_available_to_sell(chain: Chain) -> None:
    r = chain.api("manager.madrid").put("/inventory/safety-stock", json={
        "location": "MAD-XANADU", "sku": "EARBUDS", "safety_stock": 5})
    assert r.status_code == 200 and r.json["available"] == 15


def test_future_occurred_at_is_refused(chain: Chain) -> None:
    r = chain.api("manager.madrid").post("/inventory/receipts", json={
        "location": "MAD-XANADU", "document": "DN-F",
        "occurred_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        "lines": [{"sku": "EARBUDS", "quantity": 1}]})
    assert r.status_code == 422 and "clock" in r.json["detail"]


def test_verify_endpoint_and_command_agree_the_ledger_is_whole(chain: Chain) -> None:
    assert chain.api("admin").get("/inventory/verify").json["discrepancies"] == 0
    assert chain.api("manager.madrid").get("/inventory/verify").status_code == 403
    result = chain.app.test_cli_runner().invoke(args=["inventory", "verify"])
    assert result.exit_code == 0 and "0 discrepancies" in result.output


def test_verify_finds_a_level_edited_behind_the_ledgers_back(chain: Chain) -> None:
    from sqlalchemy import update

    from store_server.inventory.models import StockLevel

    with transaction(chain.session):
        chain.session.execute(update(StockLevel).where(StockLevel.on_hand == 20).values(on_hand=21))
    problems = verify(chain.session)
    assert len(problems) == 1 and problems[0]["ledger"]["on_hand"] == 20
    result = chain.app.test_cli_runner().invoke(args=["inventory", "verify"])
    assert result.exit_code == 1


def test_a_count_dated_ahead_of_the_server_is_refused_and_stores_nothing(chain: Chain) -> None:
    """A count dated minutes ahead would absorb the sales and shipments of those minutes."""
    api = chain.api("manager.madrid")
    ahead = datetime.now(UTC) + timedelta(minutes=5)
    r = api.post("/inventory/counts", json={"location": "MAD-XANADU", "counted_at": ahead.isoformat(),
                                            "lines": [{"sku": "EARBUDS", "counted": 3}]})
    assert r.status_code == 422 and "in the future" in r.json["detail"]
    assert chain.api("admin").get("/locations/MAD-XANADU/stock/EARBUDS").json["on_hand"] == 20
    # A tablet a few seconds fast is taken as now: the sale a minute later still counts.
    r = api.post("/inventory/counts", json={
        "location": "MAD-XANADU", "counted_at": (datetime.now(UTC) + timedelta(seconds=20)).isoformat(),
        "lines": [{"sku": "EARBUDS", "counted": 18}]})
    assert r.status_code == 201
    assert datetime.fromisoformat(r.json["counted_at"]) <= datetime.now(UTC)
    sold = chain.api("till.madrid").post("/sync/sales", json={"sales": [{
        "uuid": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat(),
        "lines": [{"sku": "EARBUDS", "quantity": 1, "unit_price": 4999}],
        "tenders": [{"kind": "card", "amount": 4999}], "total": 4999}]})
    assert sold.json["accepted"] == 1
    assert chain.api("admin").get("/locations/MAD-XANADU/stock/EARBUDS").json["on_hand"] == 17
    assert verify(chain.session) == []


def test_verify_reports_a_count_that_was_dated_after_it_was_recorded(chain: Chain) -> None:
    """Counts stored before the rule above: the level adds up, but the count hid later movements."""
    chain.api("manager.madrid").post("/inventory/counts", json={
        "location": "MAD-XANADU", "lines": [{"sku": "EARBUDS", "counted": 20}]})
    with transaction(chain.session):
        chain.session.execute(update(StockMovement).where(StockMovement.kind == "count").values(
            occurred_at=datetime.now(UTC) + timedelta(minutes=10)))
    problems = verify(chain.session)
    assert len(problems) == 1 and "dated after it was recorded" in problems[0]["problem"]
    result = chain.app.test_cli_runner().invoke(args=["inventory", "verify"])
    assert result.exit_code == 1 and "dated after it was recorded" in result.output


def test_only_the_receiving_store_says_a_transfer_arrived(chain: Chain) -> None:
    madrid, shanghai = chain.api("manager.madrid"), chain.api("manager.shanghai")
    body = {"from_location": "MAD-XANADU", "to_location": "SHA-JINQIAO",
            "lines": [{"sku": "EARBUDS", "quantity": 5}]}
    assert madrid.post("/inventory/transfers", json={**body, "receive_now": True}).status_code == 403
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["on_hand"] == 20
    sent = madrid.post("/inventory/transfers", json=body).json["number"]
    assert madrid.post(f"/inventory/transfers/{sent}/receive").status_code == 403
    assert shanghai.post(f"/inventory/transfers/{sent}/receive").json["status"] == "received"
    assert _stock(chain, "SHA-JINQIAO", "EARBUDS")["on_hand"] == 5
