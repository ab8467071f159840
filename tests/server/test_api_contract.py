"""The API's contract: OpenAPI document, problem details, authentication and authorisation."""

from __future__ import annotations

import re
from typing import Any, get_origin

import orjson
import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from store_server.api.framework import OPERATIONS, api_blueprint
from store_server.catalog.models import Product
from store_server.events.models import Event
from tests.server.contract import ContractViolation, contract
from tests.server.factories import Chain


def _counts(chain: Chain) -> tuple[int, int]:
    chain.session.rollback()
    return (chain.session.scalar(select(func.count(Product.id))) or 0,
            chain.session.scalar(select(func.count(Event.seq))) or 0)


def test_openapi_document_is_valid_and_lists_every_operation(chain: Chain) -> None:
    doc = chain.api().get("/openapi.json").json
    validate(doc)
    assert "/api/v1/gtins/{gtin}" in doc["paths"]
    assert doc["paths"]["/api/v1/products"]["post"]["requestBody"]
    assert any(p["name"] == "Idempotency-Key"
               for p in doc["paths"]["/api/v1/products"]["post"]["parameters"])
    assert doc["paths"]["/api/v1/devices/pair"]["post"]["security"] == []


def test_missing_and_unknown_tokens_get_401_problems(chain: Chain) -> None:
    r = chain.api().get("/locations")
    assert r.status_code == 401
    assert r.content_type == "application/problem+json"
    assert r.json["type"].endswith("/unauthorized") and r.json["detail"]
    r = chain.api().client.get("/api/v1/locations", headers={"Authorization": "Bearer plz_nope"})
    assert r.status_code == 401


def test_unknown_api_path_is_a_problem_not_html(chain: Chain) -> None:
    r = chain.api("admin").get("/no-such-thing")
    assert r.status_code == 404 and r.content_type == "application/problem+json"


def test_malformed_json_is_400_and_writes_nothing(chain: Chain) -> None:
    before = _counts(chain)
    r = chain.api("admin").post("/products", data=b'{"code": "X", names: }')
    assert r.status_code == 400
    assert r.json["type"].endswith("/malformed-json")
    assert _counts(chain) == before


def test_invalid_gtin_is_422_naming_the_field_and_writes_nothing(chain: Chain) -> None:
    before = _counts(chain)
    r = chain.api("admin").post("/products", json={
        "code": "CABLE", "names": {"en": "Cable"},
        "skus": [{"code": "CABLE-1M", "gtins": ["8412345000011"]}],
    })
    assert r.status_code == 422
    assert r.json["errors"][0]["field"] == "skus.0.gtins.0"
    assert "check digit" in r.json["errors"][0]["message"]
    assert _counts(chain) == before


def test_cashier_may_not_create_products(chain: Chain) -> None:
    before = _counts(chain)
    r = chain.api("cashier.madrid").post("/products", json={"code": "X", "names": {"en": "X"}})
    assert r.status_code == 403
    assert "admin" in r.json["detail"]
    assert _counts(chain) == before


def test_a_till_cannot_read_another_stores_stock(chain: Chain) -> None:
    r = chain.api("till.madrid").get("/locations/SHA-JINQIAO/stock")
    assert r.status_code == 403
    assert r.json["type"].endswith("/forbidden")
    assert chain.api("till.madrid").get("/locations/MAD-XANADU/stock").status_code == 200


def test_a_manager_cannot_receive_stock_into_another_store(chain: Chain) -> None:
    r = chain.api("manager.madrid").post("/inventory/receipts", json={
        "location": "SHA-JINQIAO", "document": "DN-9", "lines": [{"sku": "TEA", "quantity": 5}]})
    assert r.status_code == 403
    assert chain.api("admin").get("/locations/SHA-JINQIAO/stock/TEA").json["on_hand"] == 50


def test_negative_and_zero_quantities_are_refused(chain: Chain) -> None:
    api = chain.api("manager.madrid")
    for quantity in (-3, 0):
        r = api.post("/inventory/receipts", json={
            "location": "MAD-XANADU", "document": f"DN-{quantity}",
            "lines": [{"sku": "EARBUDS", "quantity": quantity}]})
        assert r.status_code == 422
        assert r.json["errors"][0]["field"] == "lines.0.quantity"
    assert api.get("/locations/MAD-XANADU/stock/EARBUDS").json["on_hand"] == 20


def test_unknown_sku_is_named_and_nothing_is_received(chain: Chain) -> None:
    api = chain.api("manager.madrid")
    r = api.post("/inventory/receipts", json={
        "location": "MAD-XANADU", "document": "DN-7",
        "lines": [{"sku": "EARBUDS", "quantity": 5}, {"sku": "NOPE", "quantity": 1}]})
    assert r.status_code == 422
    assert r.json["unknown_skus"] == ["NOPE"]
    assert api.get("/locations/MAD-XANADU/stock/EARBUDS").json["on_hand"] == 20


# -- the document describes every answer (tests/server/contract.py checks them all) -------------


def _schema_of(doc: dict[str, Any], path: str, method: str,
               status: str = "200") -> tuple[str, dict[str, Any]]:
    (media, content), = doc["paths"]["/api/v1" + path][method]["responses"][status]["content"].items()
    schema = content["schema"]
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return media, schema


def test_every_operation_declares_what_it_answers(chain: Chain) -> None:
    doc = chain.api().get("/openapi.json").json
    undeclared = [op.name for op in OPERATIONS if op.response is None]
    assert undeclared == []
    for methods in doc["paths"].values():
        for entry in methods.values():
            (success,) = [s for s in entry["responses"] if s.startswith("2")]
            (content,) = entry["responses"][success]["content"].values()
            assert content["schema"], entry["operationId"]
            assert "default" not in entry["responses"]


def test_lists_are_documented_as_arrays_and_answered_as_arrays(chain: Chain) -> None:
    doc = chain.api().get("/openapi.json").json
    lists = [op for op in OPERATIONS if get_origin(op.response) is list]
    assert len(lists) >= 9
    for op in lists:
        path = api_blueprint.url_prefix + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", op.rule)
        media, schema = _schema_of(doc, path.removeprefix("/api/v1"), op.method.lower(), str(op.status))
        assert (media, schema["type"]) == ("application/json", "array"), op.name
    assert isinstance(chain.api("admin").get("/users").json, list)


def test_the_qr_codes_are_documented_and_answered_as_png(chain: Chain) -> None:
    doc = chain.api().get("/openapi.json").json
    assert _schema_of(doc, "/skus/{code}/qr.png", "get")[0] == "image/png"
    assert _schema_of(doc, "/orders/{number}/qr.png", "get")[0] == "image/png"
    r = chain.api("till.madrid").get("/skus/TEA/qr.png")
    assert r.status_code == 200 and r.content_type == "image/png" and r.data.startswith(b"\x89PNG")


def test_problems_are_documented_where_they_can_happen(chain: Chain) -> None:
    doc = chain.api().get("/openapi.json").json
    sign_in = doc["paths"]["/api/v1/auth/tokens"]["post"]["responses"]
    assert {"401", "422", "429", "503"} <= set(sign_in)
    too_many = doc["components"]["responses"][sign_in["429"]["$ref"].rsplit("/", 1)[1]]
    assert too_many["headers"]["Retry-After"]["required"] is True
    assert "application/problem+json" in too_many["content"]
    receipt = doc["paths"]["/api/v1/inventory/receipts"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "422", "503"} <= set(receipt)
    assert "500" not in receipt


def test_the_contract_check_refuses_what_the_document_does_not_describe() -> None:
    """The check every test client runs can fail: an extra field, an undocumented status, the
    wrong media type and a missing field are each caught."""
    me = {"kind": "user", "id": 1, "role": "admin", "name": "admin", "store_id": None}
    contract().check("me", 200, "application/json", orjson.dumps(me))
    for status, media, body in [
        (200, "application/json", {**me, "password_hash": "x"}),
        (200, "application/json", {k: v for k, v in me.items() if k != "role"}),
        (500, "application/problem+json", {"type": "t", "title": "t", "status": 500, "detail": ""}),
        (200, "text/html", me),
    ]:
        with pytest.raises(ContractViolation):
            contract().check("me", status, media, orjson.dumps(body))
