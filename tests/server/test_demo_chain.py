"""The demo chain (README) loads on both databases with a whole ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from store_server.demo.load import load_demo
from store_server.inventory.service import verify
from tests.server.factories import Api


def test_demo_chain_loads_once_with_stock_everywhere_and_a_clean_ledger(
    app: Flask, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAZA_INSTANCE", str(tmp_path))
    summary = load_demo(session)
    assert summary["skus"] >= 300 and summary["locations"] == 5
    assert verify(session) == []
    assert load_demo(session)["status"] == "already loaded"

    people = json.loads(Path(summary["credentials_file"]).read_text())
    admin = next(p for p in people if p["role"] == "admin")
    api = Api(app.test_client())
    api.token = api.post("/auth/tokens", json={"username": "admin",
                                               "password": admin["password"]}).json["token"]
    stores = {loc["code"]: loc for loc in api.get("/locations").json}
    assert stores["SHA-JINQIAO"]["quick_delivery"] == {"radius_km": 3.0, "promise_minutes": 30}
    assert {s["currency"] for s in stores.values()} == {"EUR", "CNY", "RUB"}
    assert {p["currency"] for p in api.get("/price-lists").json} == {
        "RUB", "EUR", "BRL", "USD", "GBP", "CAD", "CNY"}
    for code in stores:
        assert api.get(f"/locations/{code}/stock", limit=1).json["items"], f"no stock at {code}"
    fish = api.get("/locations/SHA-JINQIAO/stock", limit=500).json["items"]
    weighed = [i for i in fish if i["on_hand"] >= 8000]
    assert weighed, "fresh goods sold by weight are stocked in grams"
