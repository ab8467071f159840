"""Test factories: a small chain built through the real services, and an API client."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from store_server.accounts.service import UserIn, check_password, create_user, issue_user_token
from store_server.api.auth import Principal
from store_server.catalog.service import (
    PriceIn,
    PriceListIn,
    PricesIn,
    ProductIn,
    SkuIn,
    add_product,
    create_price_list,
    set_prices,
)
from store_server.devices.service import DeviceIn, PairIn, enrol_device, pair_device
from store_server.inventory.service import LineIn, ReceiptIn, receive
from store_server.locations.service import LocationIn, QuickDelivery, open_location

PASSWORD = "correct horse battery"

# Real-format GTIN-13s with valid check digits.
GTINS = {
    "PHONE-128-BLK": "8412345000010",
    "PHONE-256-BLK": "8412345000027",
    "EARBUDS": "6901234500011",
    "SALMON": "4601234500012",
    "TEA": "6901234500028",
}


class Api:
    """The test client speaking JSON with a bearer token."""

    def __init__(self, client: FlaskClient, token: str | None = None) -> None:
        self.client = client
        self.token = token

    def _headers(self, key: str | None) -> dict[str, str]:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def get(self, path: str, **params: Any) -> TestResponse:
        return self.client.get("/api/v1" + path, query_string=params, headers=self._headers(None))

    def post(self, path: str, json: Any = None, key: str | None = None,
             data: bytes | None = None) -> TestResponse:
        if data is not None:
            return self.client.post("/api/v1" + path, data=data, headers=self._headers(key),
                                    content_type="application/json")
        return self.client.post("/api/v1" + path, json=json, headers=self._headers(key))

    def put(self, path: str, json: Any) -> TestResponse:
        return self.client.put("/api/v1" + path, json=json, headers=self._headers(None))

    def patch(self, path: str, json: Any) -> TestResponse:
        return self.client.patch("/api/v1" + path, json=json, headers=self._headers(None))


_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of a back-office form, as a browser would send it back."""
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def back_office(app: Flask, username: str, password: str = PASSWORD) -> FlaskClient:
    """A browser signed in to the back office as ``username``."""
    client = app.test_client()
    token = csrf_token(client.get("/backoffice/login").get_data(as_text=True))
    r = client.post("/backoffice/login", data={"username": username, "password": password,
                                               "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


@dataclass
class Chain:
    app: Flask
    session: Session
    tokens: dict[str, str] = field(default_factory=dict)

    def api(self, who: str | None = None) -> Api:
        return Api(self.app.test_client(), self.tokens.get(who) if who else None)


def build_chain(app: Flask, session: Session) -> Chain:
    """Warehouse + Madrid store (EUR) + Shanghai store (CNY), five SKUs, staff and tills."""
    chain = Chain(app, session)
    create_price_list(session, PriceListIn(code="EU-EUR", name="Eurozone", currency="EUR"))
    create_price_list(session, PriceListIn(code="CN-CNY", name="China", country="CN",
                                           currency="CNY"))
    open_location(session, LocationIn(
        code="WH-ONLINE", name="Online warehouse", kind="warehouse", country="ES", currency="EUR",
        locale="es_ES", timezone="Europe/Madrid", latitude=40.30, longitude=-3.72,
        price_list="EU-EUR", ships_online_orders=True))
    open_location(session, LocationIn(
        code="MAD-XANADU", name="Plaza Madrid Xanadú", kind="store", country="ES",
        currency="EUR", locale="es_ES", timezone="Europe/Madrid", latitude=40.2969,
        longitude=-3.9308, price_list="EU-EUR", click_and_collect=True, ships_online_orders=True))
    open_location(session, LocationIn(
        code="SHA-JINQIAO", name="Hema Jinqiao", kind="store", country="CN", currency="CNY",
        locale="zh_CN", timezone="Asia/Shanghai", latitude=31.2590, longitude=121.5873,
        price_list="CN-CNY", click_and_collect=True,
        quick_delivery=QuickDelivery(radius_km=3, promise_minutes=30)))
    add_product(session, ProductIn(
        code="PHONE", brand="Xiaomi", category="electronics/phones",
        names={"en": "Phone X5", "es": "Teléfono X5", "zh": "手机 X5"},
        descriptions={"en": "A phone.", "es": "Un teléfono."},
        origin={"country": "CN", "warranty_months": 24},
        skus=[SkuIn(code="PHONE-128-BLK", gtins=[GTINS["PHONE-128-BLK"]],
                    variant={"storage": "128 GB"}),
              SkuIn(code="PHONE-256-BLK", gtins=[GTINS["PHONE-256-BLK"]],
                    variant={"storage": "256 GB"})]))
    add_product(session, ProductIn(
        code="EARBUDS", brand="Anker", category="electronics/audio",
        names={"en": "Earbuds", "zh": "耳机"}, skus=[SkuIn(code="EARBUDS", gtins=[GTINS["EARBUDS"]])]))
    add_product(session, ProductIn(
        code="SALMON", brand="Hema", category="grocery/fresh-fish",
        names={"en": "Norwegian salmon fillet", "zh": "挪威三文鱼"},
        origin={"country": "NO", "catch_method": "farmed"},
        skus=[SkuIn(code="SALMON", gtins=[GTINS["SALMON"]], sold_by="weight",
                    tax_class="reduced")]))
    add_product(session, ProductIn(
        code="TEA", brand="Longjing", category="grocery/tea", names={"en": "Green tea", "zh": "龙井茶"},
        skus=[SkuIn(code="TEA", gtins=[GTINS["TEA"]], tax_class="reduced")]))
    set_prices(session, "EU-EUR", PricesIn(prices=[
        PriceIn(sku="PHONE-128-BLK", amount=29900), PriceIn(sku="PHONE-256-BLK", amount=34900),
        PriceIn(sku="EARBUDS", amount=4999), PriceIn(sku="SALMON", amount=2490),
        PriceIn(sku="TEA", amount=799)]))
    set_prices(session, "CN-CNY", PricesIn(prices=[
        PriceIn(sku="PHONE-128-BLK", amount=229900), PriceIn(sku="EARBUDS", amount=39900),
        PriceIn(sku="SALMON", amount=18800), PriceIn(sku="TEA", amount=5800)]))
    receive(session, ReceiptIn(location="MAD-XANADU", document="DN-1", lines=[
        LineIn(sku="PHONE-128-BLK", quantity=10), LineIn(sku="EARBUDS", quantity=20)]), "test")
    receive(session, ReceiptIn(location="SHA-JINQIAO", document="DN-2", lines=[
        LineIn(sku="SALMON", quantity=12_000), LineIn(sku="TEA", quantity=50)]), "test")
    for username, role, store in [
        ("admin", "admin", None), ("manager.madrid", "manager", "MAD-XANADU"),
        ("manager.shanghai", "manager", "SHA-JINQIAO"), ("cashier.madrid", "cashier", "MAD-XANADU"),
    ]:
        create_user(session, UserIn(username=username, role=role, store=store,  # type: ignore[arg-type]
                                    password=PASSWORD, pin="4321" if role == "cashier" else None),
                    by=None)
        user = check_password(session, username, PASSWORD)
        chain.tokens[username] = issue_user_token(session, user)["token"]
    admin = Principal("user", 1, "admin", None, "admin")
    for store, name in [("MAD-XANADU", "till.madrid"), ("SHA-JINQIAO", "till.shanghai")]:
        enrolled = enrol_device(session, DeviceIn(store=store, kind="till", name=name), admin)
        chain.tokens[name] = pair_device(session, PairIn(code=enrolled["pairing_code"]))["token"]
    session.commit()
    return chain
