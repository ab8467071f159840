"""/metrics scraped from a live gunicorn with two workers: every series an operator watches is
there, and the figures are the server's whichever worker answers; its log lines are JSON."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import requests
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from tests.server.conftest import running_server
from tests.server.factories import Chain
from tests.server.test_sales_ingestion import sale

SERIES = {
    # latency per endpoint (the route, not the raw path)
    "plaza_http_request_duration_seconds_bucket", "plaza_http_request_duration_seconds_count",
    "plaza_http_requests_total",
    # orders and sales by channel
    "plaza_orders_total", "plaza_sales_minor_units_total",
    # sync lag and outbox depth per device, as devices reported
    "plaza_device_sync_lag_events", "plaza_device_outbox_depth", "plaza_device_last_report_timestamp_seconds",
    # webhook and job backlog
    "plaza_webhook_backlog", "plaza_webhook_oldest_due_seconds", "plaza_webhook_fanout_lag_events",
    "plaza_job_backlog",
    # payment outcomes
    "plaza_payment_outcomes_total",
    "plaza_database_up", "plaza_event_log_last_seq",
}


def _samples(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = requests.get(base + "/metrics", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def test_metrics_from_a_live_two_worker_server_show_every_series(app: Flask, chain: Chain,
                                                                 tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    with running_server(app.config["DATABASE_URL"], tmp_path / "live", threads=2, log=log,
                        env={"PLAZA_DEVICE_REPORT_INTERVAL_S": "0"}) as base:
        def call(method: str, path: str, who: str, **kwargs: object) -> requests.Response:
            headers = {"Authorization": f"Bearer {chain.tokens[who]}", **kwargs.pop("headers", {})}  # type: ignore[dict-item]
            return requests.request(method, base + "/api/v1" + path, headers=headers, timeout=20, **kwargs)  # type: ignore[arg-type]

        # A till syncs, reporting where it is in the feed and what waits in its outbox.
        r = call("GET", "/sync/changes", "till.madrid", params={"after": 2},
                 headers={"Plaza-Feed-Position": "2", "Plaza-Outbox-Depth": "4",
                          "X-Request-Id": "till-sync-1"})
        assert r.status_code == 200 and r.headers["X-Request-Id"] == "till-sync-1"
        # An online order, a till sale, a cash payment.
        order = call("POST", "/orders", "admin", json={"fulfilment": "pickup", "store": "MAD-XANADU",
                                                       "lines": [{"sku": "EARBUDS", "quantity": 1}],
                                                       "customer": {"name": "Ana"}})
        assert order.status_code == 201, order.text
        assert call("GET", f"/orders/{order.json()['number']}", "admin").status_code == 200
        assert call("POST", "/sync/sales", "till.madrid", json={"sales": [sale()]}).status_code == 200
        paid = call("POST", "/payments", "till.madrid", json={
            "tender": "cash", "sale_uuid": str(uuid.uuid4()), "store": "MAD-XANADU", "amount": 500,
            "tendered": 500})
        assert paid.status_code == 201, paid.text
        # A subscriber, so the webhook backlog has something to say.
        assert call("POST", "/webhooks", "admin", json={"url": "http://127.0.0.1:9/hooks",
                                                       "event_types": ["*"]}).status_code == 201
        # Requests spread over both workers: every scrape must count all of them.
        for _ in range(12):
            assert requests.get(base + "/api/v1/openapi.json", timeout=10).status_code == 200

        scrapes = [_samples(base) for _ in range(4)]
        for samples in scrapes:
            names = {name for name, _labels in samples}
            assert names >= SERIES, SERIES - names
            openapi = ("plaza_http_requests_total", (("endpoint", "/api/v1/openapi.json"), ("method", "GET"),
                                                     ("status", "200")))
            assert samples[openapi] == 12
            assert samples[("plaza_orders_total", (("channel", "online"),))] == 1
            assert samples[("plaza_orders_total", (("channel", "pos"),))] == 1
            sales = ("plaza_sales_minor_units_total", (("channel", "online"), ("currency", "EUR")))
            assert samples[sales] == 4999
            assert samples[("plaza_payment_outcomes_total", (("outcome", "paid"), ("tender", "cash")))] == 1
            assert samples[("plaza_database_up", ())] == 1
            endpoints = {dict(labels).get("endpoint") for name, labels in samples
                         if name == "plaza_http_request_duration_seconds_count"}
            assert "/api/v1/orders/<number>" in endpoints and not any(
                e and e.startswith("/api/v1/orders/") and "<" not in e for e in endpoints)
            device = {dict(labels)["store"]: value for (name, labels), value in samples.items()
                      if name == "plaza_device_outbox_depth"}
            assert device == {"MAD-XANADU": 4}
            lag = [value for (name, _labels), value in samples.items()
                   if name == "plaza_device_sync_lag_events"]
            assert lag == [samples[("plaza_event_log_last_seq", ())] - 2]
            assert {dict(labels)["state"] for name, labels in samples if name == "plaza_webhook_backlog"} == {
                "due", "retrying", "failed"}
            assert {dict(labels)["job"] for name, labels in samples if name == "plaza_job_backlog"} >= {
                "order_expiry", "payment_settlement", "webhook_delivery"}

    # gunicorn's own lines and the app's are one JSON object each; the access line of the
    # till's sync carries the till's request id.
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    access = [line for line in lines
              if line["logger"] == "gunicorn.access" and line["request_id"] == "till-sync-1"]
    assert len(access) == 1 and access[0]["path"] == "/api/v1/sync/changes" and access[0]["status"] == 200
