"""The till's replica and sale against a real server: the catalogue arrives whole, scans
resolve offline, and a sale priced on the till is the sale the server records."""

from __future__ import annotations

import os
import stat

import pytest

from pos_client.outbox import push_waiting
from pos_client.replica import sync_catalogue
from pos_client.sale import Sale, SaleError, grams_for_label_price
from retail.gs1 import with_check_digit
from retail.money import Money
from retail.pricing import LineInput, line_amount
from tests.pos_client.conftest import HAKE_PER_KG, SCALE_GTIN, SCALE_ITEM, LocalTill, Plaza


def _server_counts(plaza: Plaza) -> dict[str, int]:
    [(skus,)] = plaza.sql("SELECT count(*) FROM sku")
    [(gtins,)] = plaza.sql("SELECT count(*) FROM gtin")
    [(priced,)] = plaza.sql("SELECT count(DISTINCT p.sku_id) FROM price p JOIN price_list l ON "
                            "l.id = p.price_list_id WHERE l.code = 'EU-EUR'")
    return {"sku": skus, "gtin": gtins, "priced": priced}


def test_pairing_keeps_the_token_readable_by_the_till_only(local_till: LocalTill) -> None:
    mode = stat.S_IMODE(os.stat(local_till.config.token_path).st_mode)
    assert mode == 0o600
    assert local_till.api.token and local_till.api.token in local_till.config.token_path.read_text()


def test_first_sync_builds_a_replica_that_matches_the_server(local_till: LocalTill,
                                                             server_up: Plaza) -> None:
    sync_catalogue(local_till.replica, local_till.api, page_size=100)  # several snapshot pages
    counts = local_till.replica.counts()
    server = _server_counts(server_up)
    assert counts["sku"] == counts["stock"] == server["sku"]
    assert counts["gtin"] == server["gtin"]
    [(with_windows,)] = local_till.replica._db().execute(
        "SELECT count(*) FROM price WHERE windows != '[]'").fetchall()
    assert with_windows == server["priced"]
    assert local_till.replica.ready and local_till.replica.after > 0
    assert [r.id for r in local_till.replica.rules()] == ["AUDIO-15"]
    store = local_till.replica.store()
    assert (store.code, store.currency, store.country) == ("MAD-XANADU", "EUR", "ES")


def test_changes_after_the_first_sync_arrive_as_events(local_till: LocalTill, server_up: Plaza) -> None:
    sync_catalogue(local_till.replica, local_till.api)
    [(sku, on_hand)] = server_up.sql(
        "SELECT s.code, l.on_hand FROM stock_level l JOIN sku s ON s.id = l.sku_id JOIN location c ON "
        "c.id = l.location_id WHERE c.code = 'MAD-XANADU' AND l.on_hand > 5 ORDER BY s.code LIMIT 1")
    response = server_up.api("POST", "/price-lists/EU-EUR/prices",
                             json={"prices": [{"sku": sku, "amount": 12345}]})
    assert response.status_code in (200, 201), response.text
    response = server_up.api("POST", "/inventory/adjustments", json={
        "location": "MAD-XANADU", "reason": "damaged", "sku": sku, "delta": -1})
    assert response.status_code in (200, 201), response.text
    sync_catalogue(local_till.replica, local_till.api)
    item = local_till.replica.by_code(sku)
    assert item is not None
    assert item.price_at(Sale(local_till.replica).clock.now()) == 12345
    assert item.on_hand == on_hand - 1


def test_scans_resolve_from_the_replica(local_till: LocalTill, server_up: Plaza) -> None:
    sync_catalogue(local_till.replica, local_till.api)
    [(sku, gtin)] = server_up.sql("SELECT s.code, g.gtin FROM gtin g JOIN sku s ON s.id = g.sku_id "
                                  "WHERE g.gtin LIKE '08%' ORDER BY g.gtin LIMIT 1")
    sale = Sale(local_till.replica)
    sale.scan(gtin[1:])  # the EAN-13 as printed on the box
    sale.scan(f"https://plaza.test/01/{gtin}")  # the shelf label's GS1 Digital Link
    label = with_check_digit(SCALE_ITEM + "00645")  # 6.45 EUR of hake
    sale.scan(label)
    lines = sale.summary()["lines"]
    assert [(ln["sku"], ln["quantity"]) for ln in lines] == [(sku, 2), ("SCALE-HAKE", 500)]
    assert lines[1]["net"] == 645
    assert local_till.replica.by_gtin(gtin[1:]).code == sku  # type: ignore[union-attr]
    assert sku in [i.code for i in local_till.replica.search(local_till.replica.by_code(sku).name)]  # type: ignore[union-attr]
    assert [i.code for i in local_till.replica.search("merluza cantabrico")] == ["SCALE-HAKE"]


def test_a_price_label_becomes_a_weight_that_prices_back_to_the_label() -> None:
    for per_kg in (99, 1290, 2490, 18800, 129999):
        for price in range(1, 5000, 7):
            grams, unit = grams_for_label_price(price, per_kg, "EUR")
            line = LineInput("HAKE", grams, Money(unit, "EUR"), sold_by="weight")
            assert line_amount(line).amount == price, (price, per_kg)


def test_gs1_fresh_food_labels_ring_up_their_weight_and_price(local_till: LocalTill,
                                                               server_up: Plaza) -> None:
    sync_catalogue(local_till.replica, local_till.api)
    hake = "01" + SCALE_GTIN.zfill(14)
    sale = Sale(local_till.replica, cashier="cashier1.xanadu")
    # The fish counter's scale prints GS1 DataBar Expanded: 750 g and 9.68 EUR to pay (392n).
    sale.scan(f"]e0{hake}31030007503922968\r\n")
    # Another scale still at an older price per kg, its amount with the currency (393n, 978 EUR):
    # the shopper pays what the label says.
    sale.scan(f"]e0{hake}310300120039329781600")
    # Coupons and misreads are said to be so, and the basket stays as it was.
    with pytest.raises(SaleError) as coupon:
        sale.scan("2551234567890128")  # a Global Coupon Number, shaped like an Alipay code
    with pytest.raises(SaleError) as misread:
        sale.scan(f"]e0{hake[:-1]}931030007503922968")  # check digit 9 for 4
    lines = sale.summary()["lines"]

    assert [(ln["sku"], ln["quantity"], ln["net"], ln["label_price"]) for ln in lines] == [
        ("SCALE-HAKE", 750, 968, 968), ("SCALE-HAKE", 1200, 1600, 1600)]
    assert (coupon.value.code, misread.value.code) == ("coupon", "wrong-check-digit")
    sale.pay_cash(2568)
    sale.complete(local_till.outbox)
    result = push_waiting(local_till.outbox, local_till.api, 50)
    assert (result.sent, result.rejected) == (1, 0)  # the server prices the lines to the labels
    record = local_till.outbox.get(sale.uuid)
    assert record is not None
    assert server_up.api("GET", f"/orders/{record['order']}").json()["total"] == 2568


def test_a_cash_sale_is_priced_as_the_server_prices_it(local_till: LocalTill, server_up: Plaza) -> None:
    sync_catalogue(local_till.replica, local_till.api)
    [(audio,)] = server_up.sql("SELECT s.code FROM sku s JOIN product p ON p.id = s.product_id "
                               "WHERE p.category LIKE 'electronics/audio%' ORDER BY s.code LIMIT 1")
    [(phone,)] = server_up.sql("SELECT s.code FROM sku s JOIN product p ON p.id = s.product_id "
                               "WHERE p.category LIKE 'electronics/phones%' ORDER BY s.code LIMIT 1")
    before = {sku: server_up.on_hand(sku) for sku in (audio, phone, "SCALE-HAKE")}
    sale = Sale(local_till.replica, cashier="cashier1.xanadu")
    sale.add(audio, 3)
    sale.add(phone)
    sale.scan(with_check_digit(SCALE_ITEM + "00387"))
    summary = sale.summary()
    assert summary["discount_total"] > 0 and summary["discounts"][0]["reason"] == "15% en audio"
    sale.pay_cash(summary["total"] // 2)
    sale.pay_cash(summary["total"] + 1000)
    assert sale.summary()["change"] == 1000 + summary["total"] // 2
    done = sale.complete(local_till.outbox)
    assert sale.complete(local_till.outbox) is done  # a double tap makes one sale
    result = push_waiting(local_till.outbox, local_till.api, 50)
    assert (result.sent, result.rejected) == (1, 0)
    record = local_till.outbox.get(sale.uuid)
    assert record is not None and record["state"] == "sent"
    order = server_up.api("GET", f"/orders/{record['order']}").json()
    assert order["total"] == summary["total"]
    assert order["tax_total"] == summary["tax_total"]
    grams = sale.lines[2].quantity
    assert server_up.on_hand(audio) == before[audio] - 3
    assert server_up.on_hand(phone) == before[phone] - 1
    assert server_up.on_hand("SCALE-HAKE") == before["SCALE-HAKE"] - grams
    assert server_up.verify() == 0


def test_a_rejected_sale_is_kept_with_the_reason(local_till: LocalTill, server_up: Plaza) -> None:
    sync_catalogue(local_till.replica, local_till.api)
    sale = Sale(local_till.replica)
    sale.scan(with_check_digit(SCALE_ITEM + "01290"))
    sale.pay_cash(1290)
    body = dict(sale.complete(local_till.outbox)["sale"])
    # A till whose arithmetic went wrong: the server refuses the total, the till keeps the sale.
    bad = {**body, "uuid": "00000000-0000-4000-8000-000000000001", "total": body["total"] + 1}
    local_till.outbox.add(bad)
    result = push_waiting(local_till.outbox, local_till.api, 50)
    assert (result.sent, result.rejected) == (1, 1)
    [rejected] = local_till.outbox.rejected()
    assert rejected.code == "totals-mismatch" and rejected.uuid == bad["uuid"]
    counts = local_till.outbox.counts()
    assert (counts["waiting"], counts["sent"], counts["rejected"]) == (0, 1, 1)
    assert sale.lines[0].unit_price == HAKE_PER_KG


def test_a_till_reports_its_feed_position_and_outbox_depth_with_its_syncs(local_till: LocalTill,
                                                                         server_up: Plaza) -> None:
    from pos_client.sync import SyncLoop

    loop = SyncLoop(local_till.replica, local_till.outbox, local_till.api)
    assert loop.sync_once()
    # The server keeps the first report of a till it has not heard from (later ones at most
    # every few seconds): a fresh till, at the start of the feed, nothing waiting.
    [(position, depth, seen)] = server_up.sql(
        "SELECT feed_position, outbox_depth, last_seen_at FROM device WHERE id = ?", local_till.device_id)
    assert (position, depth) == (0, 0) and seen is not None
    # What the next sync will say: where the replica is now.
    assert local_till.replica.after > 0
    assert loop.report() == {"Plaza-Feed-Position": str(local_till.replica.after), "Plaza-Outbox-Depth": "0"}
