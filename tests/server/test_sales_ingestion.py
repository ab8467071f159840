"""Till sales ingestion: every sale lands exactly once, whatever the till retries (invariant 3)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from store_server.api.auth import Principal
from store_server.devices.service import DeviceIn, PairIn, enrol_device, pair_device
from store_server.events.models import Event
from store_server.inventory.models import StockMovement
from store_server.inventory.service import verify
from store_server.orders.models import Order, OrderTender
from tests.server.factories import Chain

PRICES = {"PHONE-128-BLK": 29900, "EARBUDS": 4999, "TEA": 799}


def _now() -> datetime:
    return datetime.now(UTC)


def sale(lines: list[tuple[str, int]] | None = None, *, when: datetime | None = None,
         discounts: list[dict[str, Any]] | None = None, tenders: list[dict[str, Any]] | None = None,
         **extra: Any) -> dict[str, Any]:
    """A Madrid till sale priced at the shelf price (VAT included, so total = lines - discounts)."""
    lines = lines or [("EARBUDS", 1)]
    discounts = discounts or []
    total = sum(PRICES[sku] * q for sku, q in lines) - sum(d["amount"] for d in discounts)
    return {
        "uuid": str(uuid.uuid4()),
        "occurred_at": (when or _now() - timedelta(minutes=1)).isoformat(),
        "lines": [{"sku": sku, "quantity": q, "unit_price": PRICES[sku]} for sku, q in lines],
        "discounts": discounts,
        "tenders": tenders if tenders is not None else [{"kind": "card", "amount": total}],
        "total": total,
        **extra,
    }


def _push(chain: Chain, sales: list[dict[str, Any]], who: str = "till.madrid",
          **batch: Any) -> dict[str, Any]:
    r = chain.api(who).post("/sync/sales", json={"sales": sales, **batch})
    assert r.status_code == 200, r.json
    return r.json


def _on_hand(chain: Chain, sku: str, location: str = "MAD-XANADU") -> int:
    return chain.api("admin").get(f"/locations/{location}/stock/{sku}").json["on_hand"]


def _stock(chain: Chain, sku: str, location: str = "MAD-XANADU") -> dict[str, Any]:
    return chain.api("admin").get(f"/locations/{location}/stock/{sku}").json


def _orders(chain: Chain) -> int:
    chain.session.rollback()
    return chain.session.scalar(select(func.count(Order.id))) or 0


def _ledger_whole(chain: Chain) -> bool:
    chain.session.rollback()
    return verify(chain.session) == []


def test_accepted_sale_lowers_stock_and_records_order_movements_and_event(chain: Chain) -> None:
    when = _now() - timedelta(minutes=7)
    s = sale([("EARBUDS", 2), ("PHONE-128-BLK", 1)], when=when, cashier="Lucía",
             discounts=[{"amount": 1000, "reason": "Earbuds -10 €", "line": 0, "code": "EAR10"}],
             tenders=[{"kind": "cash", "amount": 5000, "tendered": 5000},
                      {"kind": "card", "amount": 33898, "reference": "POS-TERMINAL-2026112222001"}])
    assert s["total"] == 38898
    body = _push(chain, [s])
    assert body["accepted"] == 1 and body["duplicates"] == 0 and body["rejected"] == 0
    result = body["results"][0]
    assert result["status"] == "accepted" and result["uuid"] == s["uuid"]
    assert result["order"].startswith("S")
    assert _on_hand(chain, "EARBUDS") == 18 and _on_hand(chain, "PHONE-128-BLK") == 9

    chain.session.rollback()
    order = chain.session.execute(select(Order).where(Order.client_uuid == s["uuid"])).scalar_one()
    assert (order.number, order.channel, order.fulfilment, order.status) == (
        result["order"], "pos", "in_store", "completed")
    assert order.total == 2 * 4999 + 29900 - 1000 and order.cashier == "Lucía"
    assert order.occurred_at == when and order.device_id is not None
    assert order.tax_total > 0 and order.prices_include_tax
    tenders = chain.session.execute(
        select(OrderTender.kind, OrderTender.amount, OrderTender.change)
        .where(OrderTender.order_id == order.id).order_by(OrderTender.id)).all()
    assert [t.kind for t in tenders] == ["cash", "card"]
    movements = chain.session.execute(
        select(StockMovement).where(StockMovement.document == f"sale:{s['uuid']}")).scalars().all()
    assert sorted((m.kind, m.quantity, m.delta_on_hand) for m in movements) == [
        ("sale", -2, -2), ("sale", -1, -1)]
    assert all(m.occurred_at == when for m in movements)
    event = chain.session.execute(
        select(Event).where(Event.type == "order.created", Event.resource_id == order.number)
    ).scalar_one()
    assert event.payload["client_uuid"] == s["uuid"] and event.payload["total"] == order.total
    assert event.location_id == order.location_id
    assert _ledger_whole(chain)


def test_cash_change_is_worked_out_from_what_was_handed_over(chain: Chain) -> None:
    s = sale([("TEA", 1)], tenders=[{"kind": "cash", "amount": 799, "tendered": 1000}])
    assert _push(chain, [s])["accepted"] == 1
    chain.session.rollback()
    tendered, change = chain.session.execute(
        select(OrderTender.tendered, OrderTender.change).join(Order, Order.id == OrderTender.order_id)
        .where(Order.client_uuid == s["uuid"])).one()
    assert (tendered, change) == (1000, 201)


def test_resent_sale_is_a_duplicate_with_the_same_order_number_and_stock_unchanged(
        chain: Chain) -> None:
    s = sale([("EARBUDS", 3)])
    first = _push(chain, [s])["results"][0]
    # Days later, the till retries with its keys in another order: still the same sale.
    reordered = json.loads(json.dumps(dict(reversed(list(s.items())))))
    again = _push(chain, [reordered, s], sent_at=_now().isoformat())
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert {r["order"] for r in again["results"]} == {first["order"]}
    assert again["accepted"] == 0 and again["duplicates"] == 2
    assert _on_hand(chain, "EARBUDS") == 17 and _orders(chain) == 1
    assert _ledger_whole(chain)


def test_same_uuid_with_different_content_is_rejected(chain: Chain) -> None:
    s = sale([("EARBUDS", 1)])
    _push(chain, [s])
    changed = {**sale([("EARBUDS", 2)]), "uuid": s["uuid"]}
    result = _push(chain, [changed])["results"][0]
    assert result["status"] == "rejected" and result["code"] == "uuid-reused"
    assert "own UUID" in result["reason"]
    # Within one batch: the same sale twice is one sale; two sales under one UUID are refused.
    twin, other = sale([("TEA", 1)]), sale([("TEA", 2)])
    clash = {**other, "uuid": twin["uuid"]}
    body = _push(chain, [twin, dict(twin), clash])
    assert [r["status"] for r in body["results"]] == ["accepted", "duplicate", "rejected"]
    assert body["results"][0]["order"] == body["results"][1]["order"]
    assert body["results"][2]["code"] == "uuid-reused"
    assert _on_hand(chain, "EARBUDS") == 19 and _on_hand(chain, "TEA") == -1
    assert _orders(chain) == 2 and _ledger_whole(chain)


def test_bad_sales_are_rejected_with_reasons_and_the_rest_of_the_batch_lands(chain: Chain) -> None:
    good = sale([("EARBUDS", 1)])
    unknown = sale([("EARBUDS", 1)])
    unknown["lines"].append({"sku": "NO-SUCH-SKU", "quantity": 1, "unit_price": 100})
    unknown["total"] += 100
    unknown["tenders"][0]["amount"] += 100
    zero = sale([("EARBUDS", 1)])
    zero["lines"][0]["quantity"] = 0
    negative = sale([("EARBUDS", 1)])
    negative["lines"][0]["quantity"] = -2
    wrong_total = sale([("EARBUDS", 1)])
    wrong_total["total"] -= 1
    wrong_total["tenders"][0]["amount"] -= 1
    short_paid = sale([("EARBUDS", 1)], tenders=[{"kind": "card", "amount": 4000}])
    bad_kind = sale([("EARBUDS", 1)], tenders=[{"kind": "cheque", "amount": 4999}])
    card_change = sale([("EARBUDS", 1)],
                       tenders=[{"kind": "card", "amount": 4999, "tendered": 5000}])
    too_much_discount = sale([("EARBUDS", 1)], discounts=[{"amount": 6000, "reason": "oops"}])
    no_uuid = sale([("EARBUDS", 1)])
    del no_uuid["uuid"]
    batch = [good, unknown, zero, negative, wrong_total, short_paid, bad_kind, card_change,
             too_much_discount, no_uuid, "not a sale"]
    body = _push(chain, batch)
    results = body["results"]
    assert [r["status"] for r in results] == ["accepted"] + ["rejected"] * 10
    assert [r["index"] for r in results] == list(range(11))
    codes = [r.get("code") for r in results[1:]]
    assert codes == ["unknown-sku", "invalid", "invalid", "totals-mismatch", "bad-tenders",
                     "invalid", "bad-tenders", "invalid", "invalid", "invalid"]
    assert "NO-SUCH-SKU" in results[1]["reason"]
    assert "lines.0.quantity" in results[2]["reason"] and "greater than 0" in results[2]["reason"]
    assert "4998" in results[4]["reason"] and "4999" in results[4]["reason"]
    assert "4000 of a total of 4999" in results[5]["reason"]
    assert "tenders.0.kind" in results[6]["reason"]
    assert "uuid" in results[9]["reason"] and results[9]["uuid"] is None
    assert body["accepted"] == 1 and body["rejected"] == 10
    # Nothing of a rejected sale was written.
    assert _on_hand(chain, "EARBUDS") == 19 and _orders(chain) == 1
    chain.session.rollback()
    assert chain.session.scalar(select(func.count(StockMovement.id)).where(
        StockMovement.kind == "sale")) == 1
    # Once fixed, a rejected sale can be sent again under its UUID.
    zero["lines"][0]["quantity"] = 1
    assert _push(chain, [zero])["accepted"] == 1
    assert _ledger_whole(chain)


def test_malformed_batch_gets_a_problem_and_changes_nothing(chain: Chain) -> None:
    api = chain.api("till.madrid")
    r = api.post("/sync/sales", data=b'{"sales": [')
    assert r.status_code == 400 and r.json["type"].endswith("/malformed-json")
    for body in ({}, {"sales": []}, {"sales": "everything"}, {"sales": [sale()] * 501},
                 {"sales": [sale()], "sent_at": "yesterday"}):
        r = api.post("/sync/sales", json=body)
        assert r.status_code == 422, body
        assert r.content_type == "application/problem+json" and r.json["errors"]
    assert _orders(chain) == 0 and _on_hand(chain, "EARBUDS") == 20


def test_only_tills_and_kiosks_push_sales(chain: Chain) -> None:
    for who in ("manager.madrid", "cashier.madrid", "admin"):
        assert chain.api(who).post("/sync/sales", json={"sales": [sale()]}).status_code == 403
    assert chain.api().post("/sync/sales", json={"sales": [sale()]}).status_code == 401
    assert _orders(chain) == 0


def test_a_shanghai_till_sells_from_shanghai_stock_only(chain: Chain) -> None:
    madrid_before = _stock(chain, "TEA")
    salmon_grams = 350  # weighed: 350 g at 188.00 CNY/kg
    s = {"uuid": str(uuid.uuid4()), "occurred_at": _now().isoformat(), "currency": "CNY",
         "store": "SHA-JINQIAO",
         "lines": [{"sku": "TEA", "quantity": 2, "unit_price": 5800},
                   {"sku": "SALMON", "quantity": salmon_grams, "unit_price": 18800}],
         "tenders": [{"kind": "card", "amount": 2 * 5800 + 6580}], "total": 2 * 5800 + 6580}
    body = _push(chain, [s], who="till.shanghai")
    assert body["accepted"] == 1, body
    assert _on_hand(chain, "TEA", "SHA-JINQIAO") == 48
    assert _on_hand(chain, "SALMON", "SHA-JINQIAO") == 12_000 - salmon_grams
    assert _stock(chain, "TEA") == madrid_before
    # A sale that says it was made in Madrid, or in euros, is not the Shanghai till's to send.
    wrong_store = {**s, "uuid": str(uuid.uuid4()), "store": "MAD-XANADU"}
    wrong_money = {**s, "uuid": str(uuid.uuid4()), "currency": "EUR"}
    results = _push(chain, [wrong_store, wrong_money], who="till.shanghai")["results"]
    assert [r["code"] for r in results] == ["wrong-store", "wrong-currency"]
    assert "MAD-XANADU" in results[0]["reason"]
    # Replaying a Madrid sale from Shanghai neither lands it again nor reveals its order.
    madrid = sale([("EARBUDS", 1)])
    _push(chain, [madrid])
    replay = _push(chain, [madrid], who="till.shanghai")["results"][0]
    assert replay["code"] == "wrong-store" and "order" not in replay
    assert _on_hand(chain, "EARBUDS") == 19 and _ledger_whole(chain)


def test_kiosk_sales_are_kiosk_orders_and_take_no_cash(chain: Chain) -> None:
    admin = Principal("user", 1, "admin", None, "admin")
    code = enrol_device(chain.session, DeviceIn(store="MAD-XANADU", kind="kiosk", name="kiosk.1"),
                        admin)["pairing_code"]
    chain.tokens["kiosk"] = pair_device(chain.session, PairIn(code=code))["token"]
    chain.session.commit()
    card, cash = sale([("TEA", 1)]), sale([("TEA", 1)], tenders=[{"kind": "cash", "amount": 799}])
    results = _push(chain, [card, cash], who="kiosk")["results"]
    assert results[0]["status"] == "accepted" and results[0]["order"].startswith("K")
    assert results[1]["code"] == "bad-tenders" and "kiosk" in results[1]["reason"]
    chain.session.rollback()
    assert chain.session.scalar(select(Order.channel).where(Order.client_uuid == card["uuid"])) == "kiosk"


def test_selling_past_zero_is_accepted_goes_negative_and_flags_a_count(chain: Chain) -> None:
    body = _push(chain, [sale([("PHONE-128-BLK", 11)])])
    assert body["accepted"] == 1
    level = _stock(chain, "PHONE-128-BLK")
    assert level["on_hand"] == -1 and level["needs_count"] and level["available"] == 0
    flagged = chain.api("manager.madrid").get("/locations/MAD-XANADU/stock", needs_count="true").json
    assert [i["sku"] for i in flagged["items"]] == ["PHONE-128-BLK"]
    assert _ledger_whole(chain)


def test_sales_from_a_till_clock_hours_behind_reconcile_with_a_count(chain: Chain) -> None:
    """The till is offline and its clock 3 hours behind. 20 tea on the shelf since morning.

    Real time: -2 h a shopper buys 2 tea; -1 h the manager counts 18 (the server, not knowing
    the sale, expected 20); -30 min a shopper buys 1 tea; now the till comes back and syncs.
    A store manager expects 17: the count saw the first sale, not the second.
    """
    now, behind = _now(), timedelta(hours=3)
    manager = chain.api("manager.madrid")
    assert manager.post("/inventory/receipts", json={
        "location": "MAD-XANADU", "document": "DN-TEA", "occurred_at": (now - timedelta(hours=8))
        .isoformat(), "lines": [{"sku": "TEA", "quantity": 20}]}).status_code == 201
    count = manager.post("/inventory/counts", json={
        "location": "MAD-XANADU", "counted_at": (now - timedelta(hours=1)).isoformat(),
        "lines": [{"sku": "TEA", "counted": 18}]})
    assert count.status_code == 201 and count.json["lines"][0]["difference"] == -2
    before_count = sale([("TEA", 2)], when=now - timedelta(hours=2) - behind)
    after_count = sale([("TEA", 1)], when=now - timedelta(minutes=30) - behind)
    body = _push(chain, [before_count, after_count], sent_at=(now - behind).isoformat())
    assert body["accepted"] == 2
    level = _stock(chain, "TEA")
    assert level["on_hand"] == 17 and not level["needs_count"]
    chain.session.rollback()
    # The orders carry the corrected time; the movements remember what the till's clock said.
    corrected = chain.session.scalar(select(Order.occurred_at).where(
        Order.client_uuid == after_count["uuid"]))
    assert corrected is not None and abs(corrected - (now - timedelta(minutes=30))) < timedelta(seconds=30)
    absorbed = chain.session.execute(select(StockMovement).where(
        StockMovement.document == f"sale:{before_count['uuid']}")).scalar_one()
    assert absorbed.delta_on_hand == 0 and "before the count" in absorbed.note
    assert "device clock said" in absorbed.note
    # A retry hours later, with the till's clock now right, changes nothing.
    again = _push(chain, [before_count, after_count], sent_at=_now().isoformat())
    assert again["duplicates"] == 2 and _on_hand(chain, "TEA") == 17
    assert _ledger_whole(chain)


def test_late_sale_made_before_a_count_is_not_subtracted_twice(chain: Chain) -> None:
    """Without the batch's clock, the sale's own time decides: it happened before the count."""
    now = _now()
    manager = chain.api("manager.madrid")
    assert manager.post("/inventory/receipts", json={
        "location": "MAD-XANADU", "document": "DN-TEA", "occurred_at": (now - timedelta(hours=8))
        .isoformat(), "lines": [{"sku": "TEA", "quantity": 20}]}).status_code == 201
    late = sale([("TEA", 4)], when=now - timedelta(hours=3))
    assert manager.post("/inventory/counts", json={
        "location": "MAD-XANADU", "counted_at": (now - timedelta(hours=1)).isoformat(),
        "lines": [{"sku": "TEA", "counted": 16}]}).status_code == 201
    later = sale([("TEA", 1)], when=now - timedelta(minutes=5))
    assert _push(chain, [later, late])["accepted"] == 2
    assert _on_hand(chain, "TEA") == 15  # the count (16) and the sale after it (-1)
    assert _ledger_whole(chain)


def _assert_landed_once(chain: Chain, batch: list[dict[str, Any]], answers: list[dict[str, Any]],
                        expected_earbuds: int) -> None:
    for i, s in enumerate(batch):
        statuses = [a["results"][i]["status"] for a in answers]
        assert sorted(statuses) == ["accepted"] + ["duplicate"] * (len(answers) - 1), statuses
        assert len({a["results"][i]["order"] for a in answers}) == 1
        assert all(a["results"][i]["uuid"] == s["uuid"] for a in answers)
    assert _orders(chain) == len(batch)
    assert _on_hand(chain, "EARBUDS") == expected_earbuds
    assert _ledger_whole(chain)


def test_same_batch_sent_five_times_concurrently_from_threads_lands_once(chain: Chain) -> None:
    batch = [sale([("EARBUDS", 1), ("PHONE-128-BLK", 1)]) for _ in range(20)]
    batch.sort(key=lambda s: s["uuid"], reverse=True)  # the server must not rely on our order
    answers: list[Any] = [None] * 5
    start = threading.Barrier(5)

    def push(n: int) -> None:
        client = chain.app.test_client()
        start.wait()
        r = client.post("/api/v1/sync/sales", json={"sales": batch},
                        headers={"Authorization": f"Bearer {chain.tokens['till.madrid']}"})
        answers[n] = r.json if r.status_code == 200 else r.status_code

    threads = [threading.Thread(target=push, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(a, dict) for a in answers), answers
    _assert_landed_once(chain, batch, answers, expected_earbuds=0)


_CLIENT = textwrap.dedent("""
    import json, sys, time
    import requests
    url, token, start, body = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.stdin.read()
    session = requests.Session()
    session.get(url.rsplit("/api/", 1)[0] + "/healthz", timeout=30)  # connect before the start
    time.sleep(max(0.0, start - time.time()))
    r = session.post(url, data=body, timeout=60, headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})
    print(json.dumps({"status": r.status_code, "body": r.json()}))
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server process exited"
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")


def test_same_batch_from_five_processes_over_http_lands_once(chain: Chain, tmp_path: Path) -> None:
    """Real HTTP to a real gunicorn (2 workers) and 5 client processes sending one batch at once."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": chain.app.config["DATABASE_URL"],
           "PLAZA_INSTANCE": str(tmp_path / "server"), "PLAZA_SECRET_KEY": "test-secret"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "store_server:create_app()"], env=env)
    try:
        _wait_for(port, server)
        batch = [sale([("EARBUDS", 1)]) for _ in range(20)]
        start = time.time() + 2.0
        clients = [subprocess.Popen(
            [sys.executable, "-c", _CLIENT, f"http://127.0.0.1:{port}/api/v1/sync/sales",
             chain.tokens["till.madrid"], str(start)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env) for _ in range(5)]
        outputs = [c.communicate(json.dumps({"sales": batch}).encode(), timeout=90)[0]
                   for c in clients]
    finally:
        server.terminate()
        server.wait(timeout=15)
    answers = [json.loads(out) for out in outputs]
    assert [a["status"] for a in answers] == [200] * 5, answers
    _assert_landed_once(chain, batch, [a["body"] for a in answers], expected_earbuds=0)


def test_a_wallet_tender_counts_only_with_a_payment_the_server_saw_paid(chain: Chain) -> None:
    from store_server.db import transaction
    from store_server.locations.service import get_location
    from store_server.payments.models import PaymentIntent

    s = sale([("EARBUDS", 1)], tenders=[{"kind": "alipay_code", "amount": 4999, "reference": "pay_forged"}])
    result = _push(chain, [s])["results"][0]
    assert result["status"] == "rejected" and result["code"] == "unverified-payment"
    assert _on_hand(chain, "EARBUDS") == 20
    with transaction(chain.session):
        chain.session.add(PaymentIntent(
            public_id="pay_real", location_id=get_location(chain.session, "MAD-XANADU").id,
            currency="EUR", amount=4999, tender="alipay_code", status="paid", sale_uuid=s["uuid"],
            created_by="test"))
    honest = {**s, "tenders": [{"kind": "alipay_code", "amount": 4999, "reference": "pay_real"}]}
    assert _push(chain, [honest])["results"][0]["status"] == "accepted"
    other_sale = sale([("EARBUDS", 1)], tenders=[{"kind": "alipay_code", "amount": 4999,
                                                  "reference": "pay_real"}])
    assert _push(chain, [other_sale])["results"][0]["code"] == "unverified-payment"
    assert _on_hand(chain, "EARBUDS") == 19
