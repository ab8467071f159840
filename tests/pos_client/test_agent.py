"""The till agent's HTTP endpoints as the till UI will call them."""

from __future__ import annotations

from typing import Any

from retail.gs1 import with_check_digit
from tests.pos_client.conftest import SCALE_ITEM, Plaza, TillProcess, wait_until


def test_the_agent_rings_up_voids_and_looks_up(server_up: Plaza, till_factory: Any) -> None:
    till: TillProcess = till_factory("till-ui")
    wait_until(lambda: till.status()["catalogue_ready"], what="the first sync")
    till.start_shift()
    [(sku, gtin)] = server_up.sql("SELECT s.code, g.gtin FROM gtin g JOIN sku s ON s.id = g.sku_id "
                                  "JOIN product p ON p.id = s.product_id WHERE p.category LIKE "
                                  "'electronics/phones%' ORDER BY g.gtin LIMIT 1")
    found = till.get(f"/api/lookup?code=https://plaza.test/01/{gtin}")
    assert (found["kind"], found["item"]["sku"]) == ("GS1DigitalLink", sku)
    label = till.get(f"/api/lookup?code={with_check_digit(SCALE_ITEM + '00645')}")
    assert (label["item"]["sku"], label["price_minor"]) == ("SCALE-HAKE", 645)
    assert sku in [i["sku"] for i in till.get(f"/api/search?q={found['item']['name']}")["items"]]

    till.post("/api/sale", {"cashier": "cashier1.xanadu"})
    till.post("/api/sale/scan", {"code": gtin[1:]})
    sale = till.post("/api/sale/items", {"sku": "SCALE-HAKE", "quantity": 250})
    assert [ln["quantity"] for ln in sale["lines"]] == [1, 250]
    sale = till.post("/api/sale/lines/0/quantity", {"quantity": 2})
    sale = till.post("/api/sale/lines/1/void")
    assert sale["lines"][1]["voided"] and sale["total"] == sale["lines"][0]["net"]
    problem = till.post("/api/sale/items", {"sku": "SCALE-HAKE"}, expect=422)
    assert problem["code"] == "needs-weight"
    problem = till.post("/api/sale/scan", {"code": with_check_digit("400638133393")}, expect=422)
    assert problem["code"] == "unknown-item"
    till.post("/api/sale/cash", {"tendered": 5000}, expect=200)
    assert till.post("/api/sale/scan", {"code": gtin[1:]}, expect=422)["code"] == "paid"
    till.post("/api/sale/cash", {"tendered": sale["total"]})
    done = till.post("/api/sale/complete")
    assert done["sale"]["cashier"] == "cashier1.xanadu"
    wait_until(lambda: till.status()["sent"] == 1, what="the sale to reach the server")
    assert till.get("/api/rejected") == {"sales": [], "returns": [], "cash_sessions": []}
    assert till.get("/api/sale")["completed"]
    assert not till.post("/api/sale/scan", {"code": gtin[1:]})["completed"]  # the next shopper
