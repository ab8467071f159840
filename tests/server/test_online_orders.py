"""Online orders: availability, sourcing, all-or-nothing reservation, the status machine,
expiry, and the stock movements each step means."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select, update

from store_server.api.auth import Principal
from store_server.db import transaction, utcnow
from store_server.inventory.service import verify
from store_server.orders.models import Order
from store_server.orders.service import TransitionIn, expire_due, transition
from tests.server.factories import Chain

# Near Hema Jinqiao (about 1 km away) and in Madrid (outside every delivery radius).
NEAR_JINQIAO = {"text": "金桥路 1号", "latitude": 31.2650, "longitude": 121.5950}
IN_MADRID = {"text": "Gran Vía 1, Madrid", "latitude": 40.4200, "longitude": -3.7050}


def _stock(chain: Chain, location: str, sku: str) -> dict:
    return chain.api("admin").get(f"/locations/{location}/stock/{sku}").json


def _order(chain: Chain, **body) -> object:
    return chain.api("admin").post("/orders", json=body)


def test_availability_for_shipping_pickup_and_quick_delivery(chain: Chain) -> None:
    r = chain.api("admin").get("/availability", skus="TEA,EARBUDS", **{
        "latitude": NEAR_JINQIAO["latitude"], "longitude": NEAR_JINQIAO["longitude"]})
    assert r.status_code == 200, r.json
    tea, earbuds = r.json
    assert tea["ship"] == 0  # the warehouse and Madrid ship, and neither holds tea
    assert earbuds["ship"] == 20
    assert {p["location"]: p["available"] for p in tea["pickup"]} == {"MAD-XANADU": 0, "SHA-JINQIAO": 50}
    assert tea["delivery"][0]["location"] == "SHA-JINQIAO" and tea["delivery"][0]["distance_km"] < 3
    assert tea["delivery"][0]["promise_minutes"] == 30
    assert earbuds["delivery"][0]["available"] == 0


def test_pickup_order_reserves_then_handover_consumes_the_reservation(chain: Chain) -> None:
    r = _order(chain, fulfilment="pickup", store="MAD-XANADU",
               lines=[{"sku": "EARBUDS", "quantity": 2}], customer={"name": "Lucía"})
    assert r.status_code == 201, r.json
    order = r.json
    assert order["status"] == "reserved" and order["total"] == 9998 and order["currency"] == "EUR"
    assert order["taxes"] == [{"rate": "0.21", "base": 9998, "tax": 1735}]
    level = _stock(chain, "MAD-XANADU", "EARBUDS")
    assert (level["on_hand"], level["reserved"], level["available"]) == (20, 2, 18)
    number = order["number"]
    admin, staff = chain.api("admin"), chain.api("manager.madrid")
    paid = admin.post(f"/orders/{number}/pay", json={"amount": 9998, "payment_reference": "T1"})
    assert paid.json["status"] == "paid"
    assert staff.post(f"/orders/{number}/start_picking", json={}).json["status"] == "picking"
    assert staff.post(f"/orders/{number}/mark_ready", json={}).json["status"] == "ready"
    assert staff.post(f"/orders/{number}/complete", json={}).status_code == 403  # no QR scanned
    chain.session.rollback()
    token = chain.session.execute(select(Order.pickup_token).where(Order.number == number)).scalar_one()
    done = staff.post(f"/orders/{number}/complete", json={"pickup_token": token})
    assert done.json["status"] == "completed"
    level = _stock(chain, "MAD-XANADU", "EARBUDS")
    assert (level["on_hand"], level["reserved"]) == (18, 0)
    assert [h["to"] for h in done.json["history"]] == ["reserved", "paid", "picking", "ready", "completed"]
    assert done.json["history"][2]["actor"].startswith("user:")
    assert verify(chain.session) == []


def test_quick_delivery_goes_to_the_nearest_covering_store_with_a_promised_time(chain: Chain) -> None:
    r = _order(chain, fulfilment="delivery", address=NEAR_JINQIAO,
               lines=[{"sku": "SALMON", "quantity": 600}, {"sku": "TEA", "quantity": 1}])
    assert r.status_code == 201, r.json
    order = r.json
    assert order["location"] == "SHA-JINQIAO" and order["currency"] == "CNY"
    assert order["total"] == 11280 + 5800  # 188.00/kg × 0.6 kg + 58.00, VAT included
    assert 0 < order["distance_km"] < 3
    promised = order["promised_at"]
    assert promised and promised > order["created_at"]
    number = order["number"]
    chain.api("admin").post(f"/orders/{number}/pay", json={"amount": order["total"]})
    staff = chain.api("manager.shanghai")
    staff.post(f"/orders/{number}/start_picking", json={})
    queue = staff.get("/locations/SHA-JINQIAO/order-queue").json
    assert queue[0]["number"] == number and 25 <= queue[0]["minutes_left"] <= 30
    assert staff.post(f"/orders/{number}/send_out", json={}).json["status"] == "out_for_delivery"
    assert _stock(chain, "SHA-JINQIAO", "SALMON")["on_hand"] == 11_400


def test_address_outside_every_radius_is_refused(chain: Chain) -> None:
    r = _order(chain, fulfilment="delivery", address=IN_MADRID, lines=[{"sku": "TEA", "quantity": 1}])
    assert r.status_code == 422 and "outside" in r.json["detail"]


def test_pickup_store_without_click_and_collect_is_refused(chain: Chain) -> None:
    r = _order(chain, fulfilment="pickup", store="WH-ONLINE", lines=[{"sku": "TEA", "quantity": 1}])
    assert r.status_code == 422 and "click & collect" in r.json["detail"]


def test_shipping_falls_back_to_a_store_that_has_everything(chain: Chain) -> None:
    r = _order(chain, fulfilment="ship", address=IN_MADRID, lines=[{"sku": "PHONE-128-BLK", "quantity": 1}])
    assert r.status_code == 201, r.json
    assert r.json["location"] == "MAD-XANADU"  # the warehouse has none


def test_multi_line_order_never_reserves_partially(chain: Chain) -> None:
    r = _order(chain, fulfilment="pickup", store="MAD-XANADU",
               lines=[{"sku": "EARBUDS", "quantity": 1}, {"sku": "PHONE-128-BLK", "quantity": 11}])
    assert r.status_code == 409
    assert r.json["lines"] == [{"sku": "PHONE-128-BLK", "requested": 11, "available": 10}]
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["reserved"] == 0


def test_bad_orders_are_refused_and_change_nothing(chain: Chain) -> None:
    bad = [
        {"fulfilment": "pickup", "store": "MAD-XANADU", "lines": [{"sku": "NOPE", "quantity": 1}]},
        {"fulfilment": "pickup", "store": "MAD-XANADU", "lines": [{"sku": "EARBUDS", "quantity": 0}]},
        {"fulfilment": "pickup", "store": "MAD-XANADU", "lines": [{"sku": "EARBUDS", "quantity": -1}]},
        {"fulfilment": "pickup", "lines": [{"sku": "EARBUDS", "quantity": 1}]},
        {"fulfilment": "delivery", "lines": [{"sku": "EARBUDS", "quantity": 1}]},
    ]
    for body in bad:
        assert _order(chain, **body).status_code == 422, body
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["reserved"] == 0
    assert chain.api("cashier.madrid").post("/orders", json={
        "fulfilment": "pickup", "store": "MAD-XANADU",
        "lines": [{"sku": "EARBUDS", "quantity": 1}]}).status_code == 403


def test_cancelling_releases_the_reservation(chain: Chain) -> None:
    number = _order(chain, fulfilment="pickup", store="MAD-XANADU",
                    lines=[{"sku": "EARBUDS", "quantity": 3}]).json["number"]
    r = chain.api("admin").post(f"/orders/{number}/cancel", json={"note": "shopper changed mind"})
    assert r.json["status"] == "cancelled"
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["reserved"] == 0
    assert chain.api("admin").post(f"/orders/{number}/pay", json={"amount": 1}).status_code == 409
    assert verify(chain.session) == []


def _age(chain: Chain, number: str) -> None:
    with transaction(chain.session):
        chain.session.execute(update(Order).where(Order.number == number).values(
            expires_at=utcnow() - timedelta(minutes=1)))


def test_an_unpaid_order_expires_by_the_worker_and_releases_its_stock(chain: Chain) -> None:
    number = _order(chain, fulfilment="pickup", store="MAD-XANADU",
                    lines=[{"sku": "EARBUDS", "quantity": 5}]).json["number"]
    _age(chain, number)
    result = chain.app.test_cli_runner().invoke(args=["orders", "expire"])
    assert "expired 1 orders" in result.output
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["reserved"] == 0
    # Meanwhile another shopper takes 16 of the 20: the late payment finds 4, not 5.
    assert _order(chain, fulfilment="pickup", store="MAD-XANADU",
                  lines=[{"sku": "EARBUDS", "quantity": 16}]).status_code == 201
    r = chain.api("admin").post(f"/orders/{number}/pay", json={"amount": 24995})
    assert r.status_code == 409 and "no longer available" in r.json["detail"]
    assert chain.api("admin").get(f"/orders/{number}").json["status"] == "expired"
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["reserved"] == 16
    assert verify(chain.session) == []


def test_a_payment_after_expiry_holds_the_stock_again_when_it_is_still_there(chain: Chain) -> None:
    number = _order(chain, fulfilment="pickup", store="MAD-XANADU",
                    lines=[{"sku": "EARBUDS", "quantity": 5}]).json["number"]
    _age(chain, number)
    chain.app.test_cli_runner().invoke(args=["orders", "expire"])
    r = chain.api("admin").post(f"/orders/{number}/pay", json={"amount": 24995})
    assert r.status_code == 200 and r.json["status"] == "paid"
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["reserved"] == 5
    history = [(t["from"], t["to"], t["note"]) for t in r.json["history"]]
    assert ("expired", "reserved", "stock held again for a late payment") in history
    assert "held for it again" in history[-1][2]
    # Cancelled afterwards, it releases the stock it holds now, once.
    assert chain.api("admin").post(f"/orders/{number}/cancel", json={}).status_code == 200
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["reserved"] == 0
    assert verify(chain.session) == []


def test_a_payment_after_the_deadline_before_any_expiry_ran_keeps_the_held_stock(chain: Chain) -> None:
    number = _order(chain, fulfilment="pickup", store="MAD-XANADU",
                    lines=[{"sku": "EARBUDS", "quantity": 5}]).json["number"]
    _age(chain, number)
    r = chain.api("admin").post(f"/orders/{number}/pay", json={"amount": 24995})
    assert r.status_code == 200 and r.json["status"] == "paid"
    assert "still held" in r.json["history"][-1]["note"]
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["reserved"] == 5
    assert verify(chain.session) == []


def test_a_payment_committing_while_the_expiry_pass_runs_is_never_expired(chain: Chain) -> None:
    """The payment holds the order's lock when the expiry pass starts: on PostgreSQL the pass
    skips it, on SQLite it waits for the payment's commit; either way the order stays paid."""
    number = _order(chain, fulfilment="pickup", store="MAD-XANADU",
                    lines=[{"sku": "EARBUDS", "quantity": 5}]).json["number"]
    _age(chain, number)
    factory = chain.app.extensions["plaza"].session_factory
    admin = Principal("user", 1, "admin", None, "admin")
    expired: list[int] = []
    with factory() as paying, factory() as expiring:
        with transaction(paying):
            transition(paying, number, "pay", TransitionIn(amount=24995), admin)
            worker = threading.Thread(target=lambda: expired.append(expire_due(expiring)))
            worker.start()
            worker.join(timeout=1.0)  # PostgreSQL: done already; SQLite: waiting for our commit
        worker.join(timeout=30)
    assert expired == [0]
    assert chain.api("admin").get(f"/orders/{number}").json["status"] == "paid"
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["reserved"] == 5
    assert verify(chain.session) == []


def test_expiry_is_enforced_without_the_worker(chain: Chain) -> None:
    first = _order(chain, fulfilment="pickup", store="MAD-XANADU",
                   lines=[{"sku": "PHONE-128-BLK", "quantity": 10}]).json["number"]
    assert _order(chain, fulfilment="pickup", store="MAD-XANADU",
                  lines=[{"sku": "PHONE-128-BLK", "quantity": 1}]).status_code == 409
    _age(chain, first)
    second = _order(chain, fulfilment="pickup", store="MAD-XANADU",
                    lines=[{"sku": "PHONE-128-BLK", "quantity": 1}])
    assert second.status_code == 201
    assert chain.api("admin").get(f"/orders/{first}").json["status"] == "expired"
    assert _stock(chain, "MAD-XANADU", "PHONE-128-BLK")["reserved"] == 1
    assert verify(chain.session) == []


def test_wrong_amount_does_not_pay(chain: Chain) -> None:
    number = _order(chain, fulfilment="pickup", store="MAD-XANADU",
                    lines=[{"sku": "EARBUDS", "quantity": 1}]).json["number"]
    r = chain.api("admin").post(f"/orders/{number}/pay", json={"amount": 100})
    assert r.status_code == 422 and r.json["total"] == 4999
    assert chain.api("admin").get(f"/orders/{number}").json["status"] == "reserved"


def test_staff_of_another_store_cannot_touch_the_order(chain: Chain) -> None:
    number = _order(chain, fulfilment="pickup", store="MAD-XANADU",
                    lines=[{"sku": "EARBUDS", "quantity": 1}]).json["number"]
    assert chain.api("manager.shanghai").get(f"/orders/{number}").status_code == 403
    assert chain.api("manager.shanghai").post(f"/orders/{number}/cancel", json={}).status_code == 403


def test_concurrent_orders_for_the_last_units_never_oversell(chain: Chain) -> None:
    """Ten units of PHONE-128-BLK at Madrid, 30 shoppers each wanting one."""
    token = chain.tokens["admin"]
    codes: list[int] = []

    def buy() -> None:
        r = chain.app.test_client().post("/api/v1/orders", json={
            "fulfilment": "pickup", "store": "MAD-XANADU",
            "lines": [{"sku": "PHONE-128-BLK", "quantity": 1}]},
            headers={"Authorization": f"Bearer {token}"})
        codes.append(r.status_code)

    threads = [threading.Thread(target=buy) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] * 10 + [409] * 20
    level = _stock(chain, "MAD-XANADU", "PHONE-128-BLK")
    assert (level["reserved"], level["available"]) == (10, 0)
    assert verify(chain.session) == []


def test_the_document_of_a_new_order_matches_what_is_read_back(chain: Chain) -> None:
    created = _order(chain, fulfilment="delivery", address=NEAR_JINQIAO, customer={"name": "王芳"},
                     lines=[{"sku": "SALMON", "quantity": 450}, {"sku": "TEA", "quantity": 2}]).json
    read = chain.api("admin").get(f"/orders/{created['number']}").json
    assert created == read


def test_staff_hand_over_a_pickup_by_scanning_the_order_qr_the_shop_showed(chain: Chain) -> None:
    import io

    import zxingcpp
    from PIL import Image

    order = _order(chain, fulfilment="pickup", store="MAD-XANADU",
                   lines=[{"sku": "EARBUDS", "quantity": 1}]).json
    number = order["number"]
    assert order["pickup_qr"].startswith(f"https://plaza.test/o/{number}?t=")
    admin, staff = chain.api("admin"), chain.api("manager.madrid")
    assert "pickup_qr" not in staff.get(f"/orders/{number}").json
    admin.post(f"/orders/{number}/pay", json={"amount": order["total"]})
    staff.post(f"/orders/{number}/start_picking", json={})
    staff.post(f"/orders/{number}/mark_ready", json={})
    png = admin.get(f"/orders/{number}/qr.png")
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert decoded.text == order["pickup_qr"]
    forged = staff.post("/orders/handover", json={"qr": f"https://plaza.test/o/{number}?t=guess"})
    assert forged.status_code == 403
    assert staff.post("/orders/handover", json={"qr": "hello"}).status_code == 422
    done = staff.post("/orders/handover", json={"qr": decoded.text})
    assert done.status_code == 200 and done.json["status"] == "completed"
    assert _stock(chain, "MAD-XANADU", "EARBUDS")["on_hand"] == 19


def test_store_staff_cannot_mark_an_order_paid_without_a_payment(chain: Chain) -> None:
    order = _order(chain, fulfilment="pickup", store="MAD-XANADU",
                   lines=[{"sku": "EARBUDS", "quantity": 1}]).json
    for who in ("cashier.madrid", "manager.madrid"):
        r = chain.api(who).post(f"/orders/{order['number']}/pay",
                                json={"amount": order["total"], "payment_reference": "made-up"})
        assert r.status_code == 403 and "/payments" in r.json["detail"], who
    assert chain.api("admin").get(f"/orders/{order['number']}").json["status"] == "reserved"
