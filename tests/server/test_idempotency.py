"""Idempotency-Key: the same request twice gives the first answer; a different body is a 409."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from store_server.catalog.models import Product
from tests.server.factories import Chain

PRODUCT = {"code": "POWERBANK", "names": {"en": "Power bank 10000 mAh"},
           "skus": [{"code": "PB-10K", "gtins": ["6901234500042"]}]}


def _products(chain: Chain) -> int:
    chain.session.rollback()
    return chain.session.scalar(select(func.count(Product.id))) or 0


def test_retrying_a_create_with_the_same_key_returns_the_first_answer(chain: Chain) -> None:
    api = chain.api("admin")
    first = api.post("/products", json=PRODUCT, key="create-pb-1")
    again = api.post("/products", json=PRODUCT, key="create-pb-1")
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _products(chain) == 5


def test_same_key_with_a_different_body_is_a_conflict(chain: Chain) -> None:
    api = chain.api("admin")
    api.post("/products", json=PRODUCT, key="k-1")
    r = api.post("/products", json={**PRODUCT, "brand": "Other"}, key="k-1")
    assert r.status_code == 409 and "different request" in r.json["detail"]
    assert _products(chain) == 5


def test_keys_belong_to_their_caller(chain: Chain) -> None:
    """Two tills may pick the same key; each gets its own answer."""
    body = {"location": "MAD-XANADU", "document": "DN-A", "lines": [{"sku": "TEA", "quantity": 1}]}
    assert chain.api("manager.madrid").post("/inventory/receipts", json=body, key="same").status_code == 201
    other = {**body, "location": "SHA-JINQIAO"}
    r = chain.api("manager.shanghai").post("/inventory/receipts", json=other, key="same")
    assert r.status_code == 201 and r.json["levels"][0]["location"] == "SHA-JINQIAO"


def test_a_failed_request_does_not_burn_its_key(chain: Chain) -> None:
    api = chain.api("manager.madrid")
    bad = {"location": "MAD-XANADU", "document": "DN-B", "lines": [{"sku": "NOPE", "quantity": 1}]}
    assert api.post("/inventory/receipts", json=bad, key="retry-me").status_code == 422
    good = {**bad, "lines": [{"sku": "TEA", "quantity": 1}]}
    assert api.post("/inventory/receipts", json=good, key="retry-me").status_code == 201


def test_concurrent_retries_with_one_key_create_one_product(chain: Chain) -> None:
    token = chain.tokens["admin"]
    answers: list[tuple[int, str]] = []

    def post() -> None:
        client = chain.app.test_client()
        r = client.post("/api/v1/products", json=PRODUCT,
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "race"})
        answers.append((r.status_code, r.get_data(as_text=True)))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {code for code, _ in answers} == {201}
    assert len({body for _, body in answers}) == 1
    assert _products(chain) == 5
