"""Promotions served: same price through the API as through the offline engine, synced to
tills, applied online, and a giveaway that is never given more than N times."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

from retail.money import Money
from retail.promotions import BasketLine, Context, Rule, price_basket
from retail.tax import regime_for
from tests.server.factories import Chain

TODAY = date.today()
OPENING = {
    "id": "OPENING-30", "kind": "percent_off",
    "name": {"es": "30% en todo", "en": "30% off everything"},
    "percent": "30", "target": {"kind": "order"}, "priority": 10, "stacking": "exclusive",
    "valid_from": TODAY.isoformat(), "valid_to": (TODAY + timedelta(days=6)).isoformat(),
    "locations": ["MAD-XANADU"],
}
GIFTS = {
    "id": "OPENING-GIFT", "kind": "giveaway", "name": {"es": "Regalo para los primeros 500"},
    "gift_sku": "EARBUDS", "limit": 500, "limit_per": "campaign",
    "min_spend": {"amount": 1000, "currency": "EUR"},
}


def _create(chain: Chain, rule: dict[str, Any], who: str = "admin") -> Any:
    return chain.api(who).post("/promotions", json={"rule": rule})


def test_the_server_quote_equals_the_offline_engine_fed_by_the_sync_feed(chain: Chain) -> None:
    assert _create(chain, OPENING).status_code == 201
    basket = [{"sku": "PHONE-128-BLK", "quantity": 1}, {"sku": "EARBUDS", "quantity": 2}]
    quote = chain.api("till.madrid").post("/pricing/quote",
                                          json={"store": "MAD-XANADU", "lines": basket}).json
    assert quote["total"] == round((29900 + 2 * 4999) * 0.7)
    assert {d["reason"] for d in quote["discounts"]} == {"30% en todo"}
    # What a till does offline: rules and prices from its feed, the shared engine.
    feed = chain.api("till.madrid").get("/sync/changes", after=0, limit=100).json
    rules = [Rule.from_dict(p["rule"]) for p in feed["promotions"]]
    prices = {i["sku"]["code"]: i["prices"][0]["amount"] for i in feed["items"] if i["prices"]}
    offline_basket = [BasketLine(line["sku"], line["quantity"], Money(prices[line["sku"]], "EUR"),
                                 "electronics", "") for line in basket]
    _evaluation, offline = price_basket(offline_basket, rules, Context(
        at=datetime.now(UTC), timezone="Europe/Madrid", location="MAD-XANADU", channel="pos",
        locale="es"), regime_for("ES"))
    assert offline.total.amount == quote["total"]
    assert offline.tax_total.amount == quote["tax_total"]
    assert [d.amount.amount for d in offline.discounts] == [d["amount"] for d in quote["discounts"]]


def test_an_online_order_carries_the_promotion_with_its_reason(chain: Chain) -> None:
    _create(chain, OPENING)
    order = chain.api("admin").post("/orders", json={
        "fulfilment": "pickup", "store": "MAD-XANADU", "lines": [{"sku": "EARBUDS", "quantity": 1}]}).json
    assert order["total"] == 3499 and order["discount_total"] == 1500
    assert order["discounts"] == [{"line": 0, "amount": 1500, "reason": "30% en todo", "code": "OPENING-30"}]


def test_pausing_a_promotion_reaches_the_tills_and_stops_the_discount(chain: Chain) -> None:
    _create(chain, OPENING)
    after = chain.api("till.madrid").get("/sync/changes", after=0, limit=100).json["resume_after"]
    assert chain.api("manager.madrid").post("/promotions/OPENING-30/pause").json["status"] == "paused"
    events = chain.api("till.madrid").get("/sync/changes", after=after).json["events"]
    assert [(e["type"], e["payload"]["rule"]["enabled"]) for e in events] == [("promotion.upserted", False)]
    quote = chain.api("till.madrid").post("/pricing/quote", json={
        "store": "MAD-XANADU", "lines": [{"sku": "EARBUDS", "quantity": 1}]}).json
    assert quote["total"] == 4999 and quote["discounts"] == []


def test_a_store_manager_runs_promotions_for_their_own_store_only(chain: Chain) -> None:
    assert _create(chain, {**OPENING, "locations": ["SHA-JINQIAO"]}, "manager.madrid").status_code == 403
    assert _create(chain, {**OPENING, "locations": []}, "manager.madrid").status_code == 403
    assert _create(chain, OPENING, "manager.madrid").status_code == 201
    assert _create(chain, OPENING, "manager.madrid").status_code == 409
    bad = _create(chain, {**OPENING, "id": "BAD", "percent": "130"})
    assert bad.status_code == 422 and "not valid" in bad.json["detail"]


def test_the_giveaway_grants_once_per_sale_and_says_how_many_are_left(chain: Chain) -> None:
    _create(chain, {**GIFTS, "limit": 2})
    till = chain.api("till.madrid")
    first = till.post("/promotions/OPENING-GIFT/grants", json={"reference": "sale-1", "store": "MAD-XANADU"})
    assert first.status_code == 201 and first.json["remaining"] == 1 and first.json["gift_sku"] == "EARBUDS"
    again = till.post("/promotions/OPENING-GIFT/grants", json={"reference": "sale-1", "store": "MAD-XANADU"})
    assert again.status_code == 201 and again.json["remaining"] == 1  # asking again gives nothing new
    small = till.post("/promotions/OPENING-GIFT/grants", json={
        "reference": "sale-2", "store": "MAD-XANADU", "basket_total": 500})
    assert small.status_code == 409 and "minimum spend" in small.json["detail"]
    assert till.post("/promotions/OPENING-GIFT/grants", json={
        "reference": "sale-3", "store": "MAD-XANADU"}).status_code == 201
    gone = till.post("/promotions/OPENING-GIFT/grants", json={"reference": "sale-4", "store": "MAD-XANADU"})
    assert gone.status_code == 409 and "all 2 gifts" in gone.json["detail"]
    assert chain.api("manager.madrid").get("/promotions/OPENING-GIFT/giveaway").json["remaining"] == 0
    other = chain.api("till.madrid").post("/promotions/OPENING-GIFT/grants", json={
        "reference": "sale-5", "store": "SHA-JINQIAO"})
    assert other.status_code == 403


def test_sixty_four_tills_at_two_stores_give_exactly_five_hundred_gifts_of_a_thousand_asked(
    chain: Chain,
) -> None:
    _create(chain, GIFTS)
    tokens = [("MAD-XANADU", chain.tokens["till.madrid"]), ("SHA-JINQIAO", chain.tokens["till.shanghai"])]
    answers: list[int] = []
    lock = threading.Lock()

    def checkout(worker: int) -> None:
        client = chain.app.test_client()
        store, token = tokens[worker % 2]
        for n in range(worker, 1000, 64):
            r = client.post("/api/v1/promotions/OPENING-GIFT/grants",
                            json={"reference": f"sale-{n}", "store": store},
                            headers={"Authorization": f"Bearer {token}"})
            with lock:
                answers.append(r.status_code)

    threads = [threading.Thread(target=checkout, args=(w,)) for w in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 1000
    assert answers.count(201) == 500 and answers.count(409) == 500
    status = chain.api("admin").get("/promotions/OPENING-GIFT/giveaway").json
    assert (status["given"], status["remaining"]) == (500, 0)
