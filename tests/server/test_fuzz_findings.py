"""What the API fuzzer (test_api_fuzz.py) found, each class kept found by a focused test:
ids beyond 64 bits answered 405, times off the calendar and crazy till clocks answered 500,
and amounts, indexes and maps with no bound."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.server.factories import Chain
from tests.server.test_sales_ingestion import sale

BEYOND_64_BITS = 2**63


@pytest.mark.parametrize(("method", "path"), [
    ("DELETE", f"/webhooks/{BEYOND_64_BITS}"),
    ("POST", f"/webhooks/{BEYOND_64_BITS}/pause"),
    ("POST", f"/devices/{BEYOND_64_BITS}/retire"),
    ("POST", f"/auth/tokens/{10**40}/revoke"),
    ("GET", f"/webhooks/1/deliveries/{BEYOND_64_BITS}"),
])
def test_an_id_beyond_64_bits_is_not_found_whatever_the_method(chain: Chain, method: str, path: str) -> None:
    """werkzeug checked the id's range after the method, so a DELETE of a huge id was a 405
    saying only GET was allowed; now no route has such an id at all."""
    r = chain.api("admin").client.open("/api/v1" + path, method=method,
                                       headers={"Authorization": f"Bearer {chain.tokens['admin']}"})
    assert r.status_code == 404 and r.content_type == "application/problem+json"
    assert "Allow" not in r.headers


def test_the_largest_64_bit_id_still_reaches_the_operation(chain: Chain) -> None:
    r = chain.api("admin").post(f"/webhooks/{BEYOND_64_BITS - 1}/pause")
    assert r.status_code == 404 and "no webhook subscription" in r.json["detail"]


def _push(chain: Chain, sales: list[dict[str, Any]], **batch: Any) -> dict[str, Any]:
    r = chain.api("till.madrid").post("/sync/sales", json={"sales": sales, **batch})
    assert r.status_code == 200, r.json
    return r.json


def test_a_till_time_off_the_calendar_is_refused_for_that_sale_alone(chain: Chain) -> None:
    """Year 91 corrected by a push sent in year 3909 overflowed the date arithmetic: a 500 for
    the whole batch, which wedged the till's outbox. Now that sale is answered as invalid (no
    real clock reads outside 1900-2999) and the rest of the batch lands."""
    off = sale(when=datetime(91, 8, 23, 20, 33, tzinfo=UTC))
    fine = sale()
    answer = _push(chain, [off, fine])
    assert [r["status"] for r in answer["results"]] == ["rejected", "accepted"]
    assert answer["results"][0]["code"] == "invalid" and "1900" in answer["results"][0]["reason"]
    r = chain.api("till.madrid").post("/sync/sales", json={"sales": [sale()],
                                                            "sent_at": "3909-05-25T00:34:59+12:00"})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "sent_at"


def test_a_sale_timed_before_any_till_of_ours_is_recorded_as_received_and_flagged(chain: Chain) -> None:
    """A till clock reset to 1950 sells on: the shopper paid, so the sale is kept, at the moment
    it reached us, and flagged for the manager."""
    before = datetime.now(UTC)
    answer = _push(chain, [sale(when=datetime(1950, 1, 1, 9, 0, tzinfo=UTC))])
    result = answer["results"][0]
    assert result["status"] == "accepted"
    assert [f["code"] for f in result["flags"]] == ["impossible-time"]
    order = chain.api("admin").get(f"/orders/{result['order']}").json
    assert datetime.fromisoformat(order["occurred_at"]) >= before - timedelta(seconds=1)
    assert order["device_occurred_at"].startswith("1950-01-01")


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    # Stored as UTC: year 1 at +05:00 is no UTC time Python can hold (was a 500).
    ("POST", "/inventory/receipts", {"location": "MAD-XANADU", "document": "DN-X", "occurred_at":
                                     "0001-01-01T00:00:00+05:00", "lines": [{"sku": "TEA", "quantity": 1}]},
     "occurred_at"),
    ("POST", "/price-lists/EU-EUR/prices", {"prices": [{"sku": "TEA", "amount": 799,
                                                        "valid_to": "9999-12-31T23:59:59-05:00"}]},
     "prices.0.valid_to"),
    ("POST", "/pricing/quote", {"store": "MAD-XANADU", "lines": [{"sku": "TEA", "quantity": 1}],
                                "at": "0001-01-01T00:30:00+14:00"}, "at"),
])
def test_times_beyond_the_calendar_edges_are_a_clear_422(chain: Chain, method: str, path: str,
                                                          body: dict[str, Any], field: str) -> None:
    r = chain.api("admin").client.open("/api/v1" + path, method=method, json=body,
                                       headers={"Authorization": f"Bearer {chain.tokens['admin']}"})
    assert r.status_code == 422, r.json
    assert r.json["errors"][0]["field"] == field and "1900" in r.json["errors"][0]["message"]


def test_the_last_day_of_the_calendar_is_a_422_not_a_500(chain: Chain) -> None:
    """The Z reports of a day read up to the next midnight: after 9999-12-31 there is none."""
    r = chain.api("manager.madrid").get("/cash-sessions", date="9999-12-31")
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "date"


@pytest.mark.parametrize(("change", "field"), [
    ({"total": 10**13}, "total"),
    ({"tax_total": -1}, "tax_total"),
    ({"discounts": [{"amount": 1, "reason": "x", "line": 5000}]}, "discounts.0.line"),
    ({"tenders": [{"kind": "cash", "amount": 4999, "tendered": 10**13}]}, "tenders.0.tendered"),
])
def test_sale_amounts_and_indexes_are_bounded(chain: Chain, change: dict[str, Any], field: str) -> None:
    result = _push(chain, [{**sale(), **change}])["results"][0]
    assert result["status"] == "rejected" and result["code"] == "invalid"
    assert field in result["reason"]


@pytest.mark.parametrize(("path", "body"), [
    ("/pricing/quote", {"store": "MAD-XANADU", "lines": [{"sku": "TEA", "quantity": 1,
                                                          "unit_price": 10**13}]}),
    ("/pricing/quote", {"store": "MAD-XANADU", "lines": [{"sku": "TEA", "quantity": 1}],
                        "coupons": ["C" * 81]}),
    ("/promotions/ANY/grants", {"reference": str(uuid.uuid4()), "store": "MAD-XANADU",
                                "basket_total": 10**13}),
])
def test_quote_and_grant_figures_are_bounded(chain: Chain, path: str, body: dict[str, Any]) -> None:
    r = chain.api("till.madrid").post(path, json=body)
    assert r.status_code == 422, r.json


def test_a_stores_opening_hours_are_a_week_of_short_lines(chain: Chain) -> None:
    """They go to every till with the store; 200,000 of them would too."""
    store = chain.api("admin").get("/locations/MAD-XANADU").json
    del store["id"], store["active"]
    hours = {f"day-{i}": "10:00-22:00" for i in range(15)}
    r = chain.api("admin").put("/locations/MAD-XANADU", json={**store, "opening_hours": hours})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "opening_hours"
    r = chain.api("admin").put("/locations/MAD-XANADU", json={**store, "opening_hours": {"mon-sun": "9-21"}})
    assert r.status_code == 200 and r.json["opening_hours"] == {"mon-sun": "9-21"}
