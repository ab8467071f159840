"""Running it: liveness and readiness, request ids on answers, logs and webhooks, what devices
report, who may read /metrics, and the settings table in the README."""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from store_server import create_app, migrate
from store_server.config import settings_table
from store_server.monitoring.health import migrations_head
from store_server.monitoring.logs import JsonFormatter, RequestIdFilter
from store_server.webhooks.worker import WorkerSettings, run_once
from tests.conftest import PG_ADMIN_URL, REQUIRE_PG
from tests.server.factories import Chain
from tests.server.test_sales_ingestion import sale
from tests.server.test_webhooks import Receiver, subscribe

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- health


@pytest.fixture(params=["sqlite", "postgresql"])
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """An empty database of this test's own, and how to stop it: the file's folder goes away,
    or PostgreSQL drops the database, cutting its connections."""
    if request.param == "sqlite":
        folder = tmp_path / "db"
        folder.mkdir()

        def stop_sqlite() -> None:
            shutil.rmtree(folder)

        yield f"sqlite:///{folder / 'plaza.sqlite3'}", stop_sqlite
        return
    name = f"plaza_ready_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required here but does not answer: {exc}")
        pytest.skip("no PostgreSQL")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def stop_postgres() -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, stop_postgres
    stop_postgres()


def test_ready_only_when_migrated_to_head_and_503_once_the_database_is_gone(
        own_database: tuple[str, Any], tmp_path: Path) -> None:
    url, stop = own_database
    app = create_app({"INSTANCE_PATH": tmp_path / "instance", "DATABASE_URL": url, "SECRET_KEY": "t"})
    engine = app.extensions["plaza"].engine
    client = app.test_client()
    try:
        from alembic.script import ScriptDirectory

        head = migrations_head()
        previous = ScriptDirectory.from_config(migrate.alembic_config("")).get_revision(head).down_revision
        migrate.upgrade(engine, str(previous))
        r = client.get("/readyz")
        assert r.status_code == 503 and r.mimetype == "application/problem+json"
        assert r.json["migrations"] == previous and r.json["migrations_head"] == head
        assert "store-server db upgrade" in r.json["detail"]

        migrate.upgrade(engine)
        r = client.get("/readyz")
        assert r.status_code == 200, r.json
        assert r.json == {"status": "ready", "database": "ok", "migrations": head, "migrations_head": head}

        stop()
        engine.dispose()  # SQLite: pooled connections would still read the unlinked file
        r = client.get("/readyz")
        assert r.status_code == 503 and r.mimetype == "application/problem+json"
        assert r.json["database"] == "unreachable" and r.headers["Retry-After"]
        # Alive all the same: a restart would not bring the database back.
        assert client.get("/healthz").json == {"status": "ok"}
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- request ids


def test_every_answer_carries_a_request_id_the_callers_own_when_it_is_sane(app: Flask) -> None:
    client = app.test_client()
    made = client.get("/healthz").headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/healthz").headers["X-Request-Id"] != made
    echoed = client.get("/healthz", headers={"X-Request-Id": "lb-7f3a:91"}).headers["X-Request-Id"]
    assert echoed == "lb-7f3a:91"
    for insane in ("two words", "x" * 200, "<script>", "a\u00e9b"):
        answered = client.get("/api/v1/nothing", headers={"X-Request-Id": insane}).headers["X-Request-Id"]
        assert answered != insane and re.fullmatch(r"[0-9a-f]{32}", answered)


def test_log_lines_are_json_with_the_request_id_of_the_request_they_belong_to(app: Flask) -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("store_server.app")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)

    @app.get("/test-fails")
    def fails() -> Any:
        logging.getLogger("store_server.app").info("about to fail", extra={"till": "T-1"})
        raise RuntimeError("boom")

    try:
        r = app.test_client().get("/test-fails", headers={"X-Request-Id": "req-42"})
        logging.getLogger("store_server.app").warning("after the request")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert r.status_code == 500
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    first, error, after = lines
    assert first["message"] == "about to fail" and first["request_id"] == "req-42" and first["till"] == "T-1"
    assert error["level"] == "ERROR" and error["request_id"] == "req-42"
    assert "RuntimeError: boom" in error["exception"]
    assert after["request_id"] is None


def test_a_webhook_carries_the_id_of_the_request_that_caused_its_event(chain: Chain) -> None:
    with Receiver() as receiver:
        subscribe(chain, receiver, ["stock.changed"])
        r = chain.app.test_client().post(
            "/api/v1/inventory/adjustments", headers={
                "Authorization": f"Bearer {chain.tokens['manager.madrid']}", "X-Request-Id": "shop-req-9"},
            json={"location": "MAD-XANADU", "sku": "EARBUDS", "delta": 1, "reason": "found on the shelf"})
        assert r.status_code == 201, r.json
        with chain.app.extensions["plaza"].session_factory() as session:
            summary = run_once(session, WorkerSettings.from_config(chain.app.config))
        assert summary.delivered == 1
        assert [x.headers.get("Plaza-Request-Id") for x in receiver.log] == ["shop-req-9"]


# --------------------------------------------------------------------------- metrics


def scrape(app: Flask, **kwargs: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = app.test_client().get("/metrics", **kwargs)
    assert r.status_code == 200, r.get_data(as_text=True)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.get_data(as_text=True)) for s in family.samples}


def test_metrics_are_for_this_machine_or_the_bearer_of_the_metrics_token(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/metrics").status_code == 200  # from loopback
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    refused = client.get("/metrics", environ_base=outside)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    # A reverse proxy on this machine forwards outsiders from loopback: not enough.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    app.config["METRICS_TOKEN"] = "scrape-me"
    assert client.get("/metrics", environ_base=outside,
                      headers={"Authorization": "Bearer scrape-me"}).status_code == 200
    assert client.get("/metrics", environ_base=outside,
                      headers={"Authorization": "Bearer guess"}).status_code == 403


def test_a_tills_reported_position_and_outbox_show_as_its_lag_and_depth(chain: Chain) -> None:
    chain.app.config["DEVICE_REPORT_INTERVAL_S"] = 0
    client = chain.app.test_client()
    till = {"Authorization": f"Bearer {chain.tokens['till.madrid']}"}
    last = scrape(chain.app)[("plaza_event_log_last_seq", ())]
    assert last > 5
    r = client.get("/api/v1/sync/changes", query_string={"after": 3},
                   headers={**till, "Plaza-Feed-Position": "3", "Plaza-Outbox-Depth": "7"})
    assert r.status_code == 200
    device = chain.app.extensions["plaza"].session_factory
    with device() as session:
        from store_server.devices.models import Device
        till_id = session.query(Device.id).filter(Device.name == "till.madrid").scalar()
    labels = (("device", str(till_id)), ("kind", "till"), ("store", "MAD-XANADU"))
    figures = scrape(chain.app)
    assert figures[("plaza_device_sync_lag_events", labels)] == last - 3
    assert figures[("plaza_device_outbox_depth", labels)] == 7
    # Its sales land: the outbox empties and the log moves on; the till has caught up.
    r = client.post("/api/v1/sync/sales", json={"sales": [sale()]},
                    headers={**till, "Plaza-Feed-Position": str(int(last)), "Plaza-Outbox-Depth": "0"})
    assert r.status_code == 200, r.json
    figures = scrape(chain.app)
    assert figures[("plaza_device_outbox_depth", labels)] == 0
    moved_on = figures[("plaza_event_log_last_seq", ())] - last
    assert figures[("plaza_device_sync_lag_events", labels)] == moved_on > 0


def test_orders_sales_and_payments_are_counted_once_committed(chain: Chain) -> None:
    def figures() -> dict[Any, float]:
        return scrape(chain.app)

    before = figures()
    admin = chain.api("admin")
    pickup = {"fulfilment": "pickup", "store": "MAD-XANADU", "customer": {"name": "Ana"}}
    placed = admin.post("/orders", json={**pickup, "lines": [{"sku": "EARBUDS", "quantity": 1}]})
    assert placed.status_code == 201, placed.json
    refused = admin.post("/orders", json={**pickup, "lines": [{"sku": "EARBUDS", "quantity": 999}]})
    assert refused.status_code == 409  # rolled back: counted nowhere
    assert chain.api("till.madrid").post("/sync/sales", json={"sales": [sale()]}).status_code == 200
    paid = chain.api("till.madrid").post("/payments", json={
        "tender": "cash", "sale_uuid": str(uuid.uuid4()), "store": "MAD-XANADU", "amount": 500,
        "tendered": 500})
    assert paid.status_code == 201, paid.json
    after = figures()

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("plaza_orders_total", channel="online") == 1
    assert grew("plaza_orders_total", channel="pos") == 1
    assert grew("plaza_sales_minor_units_total", channel="online", currency="EUR") == 4999
    assert grew("plaza_payment_outcomes_total", tender="cash", outcome="paid") == 1
    assert grew("plaza_http_requests_total", endpoint="/api/v1/orders", method="POST", status="409") == 1
    assert grew("plaza_http_request_duration_seconds_count", endpoint="/api/v1/orders", method="POST") == 2


# --------------------------------------------------------------------------- settings


def test_the_readme_table_is_the_settings_as_declared() -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("<!-- settings table: generated by `store-server settings` -->\n")
    end = readme.index("<!-- end of settings table -->")
    table = readme[start:end].split("\n", 1)[1]
    assert table == settings_table(), "the README's settings table is stale: paste `store-server settings`"


def test_no_module_reads_a_plaza_setting_from_the_environment_on_its_own() -> None:
    """Every PLAZA_* variable the server reads is declared in store_server/config.py (and so in
    the README); only the payment sandbox, a separate tool, has its own."""
    declared = set(re.findall(r"`((?:PLAZA_)[A-Z0-9_]+)`", settings_table()))
    for path in (ROOT / "store_server").rglob("*.py"):
        if "sandbox" in path.parts or path.name == "config.py" or "migrations" in path.parts:
            continue
        for name in re.findall(r"PLAZA_[A-Z0-9_]+", path.read_text()):
            if name.endswith("_"):  # a prefix named in prose: PLAZA_ALIPAY_*
                continue
            assert name in declared or name.startswith("PLAZA_TILL_"), f"{path}: {name} is not in Settings"


def test_settings_come_from_the_environment_checked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PLAZA_SIGNIN_ACCOUNT_LIMIT", "9")
    monkeypatch.setenv("PLAZA_SECURE_COOKIES", "1")
    monkeypatch.setenv("PLAZA_ALIPAY_SELLER_ID", "2088000000000001")
    app = create_app({"INSTANCE_PATH": tmp_path, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["SIGNIN_ACCOUNT_LIMIT"] == 9
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PLAZA_ALIPAY_SELLER_ID"] == "2088000000000001"
    assert app.config["WEBHOOK_MAX_ATTEMPTS"] == 15
    monkeypatch.setenv("PLAZA_WEBHOOK_TIMEOUT_S", "soon")
    with pytest.raises(ValueError, match="webhook_timeout_s"):
        create_app({"INSTANCE_PATH": tmp_path, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
