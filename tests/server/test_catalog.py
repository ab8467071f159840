"""Catalogue: products, SKUs, GTIN lookup, Digital Link QR, prices with validity windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from store_server.catalog.models import Gtin
from tests.server.factories import GTINS, Chain

CABLE = {
    "code": "CABLE", "brand": "Ugreen", "category": "electronics/cables",
    "names": {"en": "USB-C cable 1 m", "es": "Cable USB-C 1 m", "zh": "USB-C 数据线 1米"},
    "descriptions": {"en": "Braided, 100 W."},
    "origin": {"country": "CN"},
    "image_urls": ["https://images.plaza.example/cable.jpg"],
    "skus": [{"code": "CABLE-1M", "gtins": ["6901234500035"]}],
}


def test_the_chain_adds_a_product_and_a_till_resolves_its_barcode(chain: Chain) -> None:
    r = chain.api("admin").post("/products", json=CABLE)
    assert r.status_code == 201, r.json
    assert r.json["names"]["zh"] == "USB-C 数据线 1米"
    sku = chain.api("till.madrid").get("/gtins/6901234500035").json
    assert sku["code"] == "CABLE-1M" and sku["product"] == "CABLE"
    assert sku["gtins"] == ["06901234500035"]


def test_gtin_lookup_accepts_every_length_of_the_same_number(chain: Chain) -> None:
    api = chain.api("till.madrid")
    ean13 = GTINS["PHONE-128-BLK"]
    for form in (ean13, "0" + ean13):
        assert api.get(f"/gtins/{form}").json["code"] == "PHONE-128-BLK"
    r = api.get("/gtins/8412345000011")
    assert r.status_code == 422 and "check digit" in r.json["detail"]
    r = api.get("/gtins/4006381333931")
    assert r.status_code == 404 and r.json["gtin"] == "04006381333931"


def test_a_gtin_belongs_to_one_sku_only(chain: Chain) -> None:
    dup = {**CABLE, "code": "CABLE2", "skus": [{"code": "CABLE-2M", "gtins": [GTINS["TEA"]]}]}
    r = chain.api("admin").post("/products", json=dup)
    assert r.status_code == 409
    assert r.json["gtins"] == ["0" + GTINS["TEA"]]
    chain.session.rollback()
    owner = chain.session.execute(select(Gtin).where(Gtin.gtin == "0" + GTINS["TEA"])).scalar_one()
    assert owner.sku.code == "TEA"


def test_every_sku_carries_a_gs1_digital_link_that_opens_the_product_page(chain: Chain) -> None:
    sku = chain.api("admin").get("/skus/SALMON").json
    assert sku["qr"] == "https://plaza.test/01/0" + GTINS["SALMON"]
    png = chain.api("admin").get("/skus/SALMON/qr.png")
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    page = chain.app.test_client().get("/01/0" + GTINS["SALMON"] + "?lang=zh")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "挪威三文鱼" in html and "farmed" in html and "¥188.00" in html
    assert chain.app.test_client().get("/01/04006381333931").status_code == 404


def test_prices_follow_their_validity_windows(chain: Chain) -> None:
    api = chain.api("admin")
    now = datetime.now(UTC)
    r = api.post("/price-lists/EU-EUR/prices", json={"prices": [
        # A weekend promotion on top of the open-ended shelf price...
        {"sku": "EARBUDS", "amount": 3999, "valid_from": (now - timedelta(hours=1)).isoformat(),
         "valid_to": (now + timedelta(days=2)).isoformat()},
        # ...and a price rise next month.
        {"sku": "TEA", "amount": 899, "valid_from": (now + timedelta(days=30)).isoformat()},
    ]})
    assert r.status_code == 200, r.json
    prices = {p["price_list"]: p for p in api.get("/skus/EARBUDS").json["prices"]}
    assert prices["EU-EUR"]["current"] == 3999
    tea = {p["price_list"]: p for p in api.get("/skus/TEA").json["prices"]}["EU-EUR"]
    assert tea["current"] == 799 and [w["amount"] for w in tea["windows"]] == [799, 899]


def test_price_window_must_end_after_it_starts(chain: Chain) -> None:
    now = datetime.now(UTC)
    r = chain.api("admin").post("/price-lists/EU-EUR/prices", json={"prices": [
        {"sku": "TEA", "amount": 1, "valid_from": now.isoformat(),
         "valid_to": (now - timedelta(days=1)).isoformat()}]})
    assert r.status_code == 422
    assert {p["price_list"]: p for p in chain.api("admin").get("/skus/TEA").json["prices"]}[
        "EU-EUR"]["current"] == 799


def test_store_manager_sets_prices_only_in_a_list_their_store_alone_uses(chain: Chain) -> None:
    shanghai = chain.api("manager.shanghai")
    assert shanghai.post("/price-lists/CN-CNY/prices",
                         json={"prices": [{"sku": "TEA", "amount": 5900}]}).status_code == 200
    madrid = chain.api("manager.madrid")
    # EU-EUR is Madrid's list, but the online warehouse sells from it too: a chain matter.
    r = madrid.post("/price-lists/EU-EUR/prices", json={"prices": [{"sku": "TEA", "amount": 850}]})
    assert r.status_code == 403 and "shared" in r.json["detail"]
    assert madrid.post("/price-lists/CN-CNY/prices",
                       json={"prices": [{"sku": "TEA", "amount": 1}]}).status_code == 403
    # A second store on CN-CNY makes it shared: neither store's manager may change it now.
    assert chain.api("admin").post("/locations", json={
        "code": "SHA-GUBEI", "name": "Hema Gubei", "kind": "store", "country": "CN", "currency": "CNY",
        "locale": "zh_CN", "timezone": "Asia/Shanghai", "price_list": "CN-CNY"}).status_code == 201
    assert shanghai.post("/price-lists/CN-CNY/prices",
                         json={"prices": [{"sku": "TEA", "amount": 1}]}).status_code == 403
    prices = {p["price_list"]: p for p in chain.api("admin").get("/skus/TEA").json["prices"]}
    assert prices["CN-CNY"]["current"] == 5900
    r = madrid.post("/price-lists", json={"code": "BR-BRL", "name": "Brasil", "currency": "BRL"})
    assert r.status_code == 403
    # The catalogue is the chain's: store managers read it but do not change it.
    assert madrid.post("/products", json=CABLE).status_code == 403
    assert madrid.patch("/products/PHONE", json={"brand": "X"}).status_code == 403


def test_unknown_currency_is_refused(chain: Chain) -> None:
    r = chain.api("admin").post("/price-lists", json={"code": "XX", "name": "X", "currency": "ABC"})
    assert r.status_code == 422 and "ISO 4217" in r.json["errors"][0]["message"]


def test_product_pages_through_with_a_cursor(chain: Chain) -> None:
    api = chain.api("admin")
    seen, cursor = [], None
    while True:
        body = api.get("/products", limit=2, **({"cursor": cursor} if cursor else {})).json
        seen += [p["code"] for p in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ["PHONE", "EARBUDS", "SALMON", "TEA"]
    assert api.get("/products", cursor="!!bad").status_code == 422


def test_renaming_a_product_reaches_the_tills_feed(chain: Chain) -> None:
    api = chain.api("till.madrid")
    after = api.get("/sync/changes", after=0, limit=5000).json["resume_after"]
    r = chain.api("admin").patch("/products/PHONE", json={
        "names": {"en": "Phone X5 Pro", "es": "Teléfono X5 Pro"}})
    assert r.status_code == 200 and r.json["names"] == {"en": "Phone X5 Pro", "es": "Teléfono X5 Pro"}
    events = api.get("/sync/changes", after=after).json["events"]
    assert {e["payload"]["code"] for e in events if e["type"] == "sku.upserted"} == {
        "PHONE-128-BLK", "PHONE-256-BLK"}
    assert all(e["payload"]["names"]["es"] == "Teléfono X5 Pro" for e in events)
