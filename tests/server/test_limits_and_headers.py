"""Every bad request answered well and nothing stored: size limits, field limits, crafted
cursors and ids, and the security headers on every page."""

from __future__ import annotations

import base64
import json
import re

import orjson
import pytest
import requests
from flask.testing import FlaskClient

from tests.server.factories import Chain, back_office


def _product_count(chain: Chain) -> int:
    return len(chain.api("admin").get("/products", limit=500).json["items"])


def test_an_oversized_body_is_refused_before_it_is_read_and_nothing_is_stored(chain: Chain) -> None:
    before = _product_count(chain)
    huge = {"code": "HUGE", "names": {"en": "Huge"}, "descriptions": {"en": "x" * (10 * 1024 * 1024)}}
    r = chain.api("admin").post("/products", json=huge)
    assert r.status_code == 413 and r.headers["Content-Type"] == "application/problem+json"
    assert _product_count(chain) == before


@pytest.mark.parametrize("field, value", [
    ("descriptions", {"en": "x" * 5001}),
    ("origin", {f"k{i}": i for i in range(200_000)}),
    ("origin", {"bad key!": "x"}),
    ("origin", {"country": "x" * 501}),
    ("image_urls", ["javascript:alert(1)"]),
    ("image_urls", ["data:text/html,<script>alert(1)</script>"]),
    ("names", {"en": ""}),
    ("names", {f"l{i:03d}": "x" for i in range(31)}),
])
def test_product_fields_are_bounded_on_create_and_on_change(chain: Chain, field: str, value: object) -> None:
    api = chain.api("admin")
    r = api.post("/products", json={"code": "NEW", "names": {"en": "New"}, field: value})
    assert r.status_code == 422, r.json
    r = api.patch("/products/PHONE", json={field: value})
    assert r.status_code == 422, r.json
    assert api.get("/products/NEW").status_code == 404
    assert api.get("/products/PHONE").json["image_urls"] == []


def test_numbers_beyond_what_a_store_counts_are_refused(chain: Chain) -> None:
    manager = chain.api("manager.madrid")
    r = manager.post("/inventory/adjustments", json={
        "location": "MAD-XANADU", "sku": "EARBUDS", "delta": 10**15, "reason": "found"})
    assert r.status_code == 422
    assert chain.api("admin").get("/locations/MAD-XANADU/stock/EARBUDS").json["on_hand"] == 20
    assert manager.post(f"/devices/{2**64}/retire").status_code == 404
    assert manager.post(f"/devices/{2**63}/retire").status_code == 404
    assert chain.api("admin").get("/sync/changes", store="MAD-XANADU", after=2**70).status_code == 422


@pytest.mark.parametrize("cursor", [
    base64.urlsafe_b64encode(json.dumps(2**70).encode()).decode(),
    base64.urlsafe_b64encode(orjson.dumps({"id": 1})).decode(),
    base64.urlsafe_b64encode(orjson.dumps("7; DROP TABLE")).decode(),
    base64.urlsafe_b64encode(orjson.dumps(-5)).decode(),
    "!!!",
])
def test_crafted_cursors_are_a_clear_error(chain: Chain, cursor: str) -> None:
    api = chain.api("admin")
    for path, params in [("/products", {}), ("/locations/MAD-XANADU/stock", {}),
                         ("/locations/MAD-XANADU/movements", {}),
                         ("/sync/changes", {"store": "MAD-XANADU"})]:
        r = api.get(path, cursor=cursor, **params)
        assert r.status_code == 422 and r.headers["Content-Type"] == "application/problem+json", path


def test_json_nested_hundreds_of_levels_deep_is_refused(chain: Chain) -> None:
    rule: dict = {"id": "deep"}
    node = rule
    for _ in range(300):
        node["x"] = {}
        node = node["x"]
    r = chain.api("admin").post("/promotions", json={"rule": rule})
    assert r.status_code == 422
    shallow: dict = {"id": "deep", "target": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {}}}}}}}}}
    assert chain.api("admin").post("/promotions", json={"rule": shallow}).status_code == 422


def test_a_method_not_allowed_says_which_are(chain: Chain) -> None:
    r = chain.api("admin").client.delete("/api/v1/products")
    assert r.status_code == 405 and r.headers["Content-Type"] == "application/problem+json"
    assert set(re.split(r",\s*", r.headers["Allow"])) >= {"GET", "POST"}


def _pages(client: FlaskClient) -> list[str]:
    return ["/backoffice/", "/backoffice/devices", "/backoffice/z-reports",
            "/backoffice/locations/MAD-XANADU"]


def test_every_page_and_answer_carries_the_security_headers(chain: Chain) -> None:
    login = chain.app.test_client().get("/backoffice/login")
    client = back_office(chain.app, "manager.madrid")
    answers = [login] + [client.get(path) for path in _pages(client)]
    answers += [client.get("/01/08412345000010"), client.get("/healthz"),
                chain.api("admin").get("/products"), chain.api().get("/me")]
    for r in answers:
        assert r.status_code < 500
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"], r.request.path
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"


def test_a_url_too_long_is_answered_by_the_app_through_gunicorn(live_server: str) -> None:
    r = requests.get(live_server + "/api/v1/products?skus=" + "A" * 9000, timeout=10)
    assert r.status_code == 414 and r.headers["Content-Type"] == "application/problem+json"
    r = requests.get(live_server + "/api/v1/products?x=" + "A" * 5000, timeout=10)
    assert r.status_code == 401  # longer than gunicorn's default line, still ours to answer
