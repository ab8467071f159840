"""Prometheus metrics at ``/metrics``, through the official client library (prometheus-client).

Two kinds of figures, each counted where it is true:

- **What this server's processes did**: request latency per endpoint (the Flask rule, never the
  raw path), orders and sales by channel, payment outcomes. Counted in the process that did
  the work; under gunicorn each worker writes its counts to files in
  ``PROMETHEUS_MULTIPROC_DIR`` (set up in ``gunicorn_conf``) and a scrape adds them up. With
  several servers, Prometheus scrapes each and sums (``sum(rate(plaza_orders_total[5m]))``).
  Orders, sales and payments are counted from the events a transaction committed, so every
  use case is counted the same way, by the one hook in ``events.service``.
- **The state of the chain**, read from the database at scrape time, so that any server answers
  for all of them: what each device reported with its last sync (its feed position, hence its
  lag behind the event log, and its outbox depth), the webhook backlog and the background jobs'.

``prometheus_client`` is imported only once an app is built: it chooses its multiprocess mode
when first imported, and ``gunicorn_conf`` sets the directory before any worker gets there.
"""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, Response, current_app, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store_server.db import utcnow
from store_server.events.service import NewEvent, last_seq, on_committed

# Seconds; API answers are mostly tens of milliseconds, a wallet payment long-polls up to 25 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Anything else a client invents is counted as OTHER: a label value per made-up method would
# let any caller grow the metrics without bound.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class ProcessMetrics:
    registry: Any  # prometheus_client.CollectorRegistry
    request_seconds: Any  # Histogram
    requests: Any  # Counter
    orders: Any  # Counter
    sales: Any  # Counter
    payment_outcomes: Any  # Counter


_made: ProcessMetrics | None = None
_making = threading.Lock()


def process_metrics() -> ProcessMetrics:
    """This process's metrics, made on first use (once per process, whatever the apps)."""
    global _made
    with _making:
        if _made is None:
            from prometheus_client import CollectorRegistry, Counter, Histogram

            registry = CollectorRegistry(auto_describe=True)
            _made = ProcessMetrics(
                registry=registry,
                request_seconds=Histogram(
                    "plaza_http_request_duration_seconds", "Time to answer a request, by endpoint",
                    ["endpoint", "method"], buckets=LATENCY_BUCKETS, registry=registry),
                requests=Counter(
                    "plaza_http_requests", "Requests answered, by endpoint and status",
                    ["endpoint", "method", "status"], registry=registry),
                orders=Counter(
                    "plaza_orders", "Orders created: online orders, till and kiosk sales",
                    ["channel"], registry=registry),
                sales=Counter(
                    "plaza_sales_minor_units", "Value of the orders created, in minor units of "
                    "their currency", ["channel", "currency"], registry=registry),
                payment_outcomes=Counter(
                    "plaza_payment_outcomes", "Payments that reached an outcome (paid, failed, "
                    "cancelled, refunded), by tender", ["tender", "outcome"], registry=registry),
            )
            on_committed(_count_events)
        return _made


def _count_events(events: list[NewEvent]) -> None:
    metrics = process_metrics()
    for e in events:
        if e.type == "order.created":
            channel = str(e.payload.get("channel") or "unknown")
            metrics.orders.labels(channel).inc()
            total, currency = e.payload.get("total"), e.payload.get("currency")
            if isinstance(total, int) and currency:
                metrics.sales.labels(channel, str(currency)).inc(total)
        elif e.type.startswith("payment."):
            outcome = e.type.removeprefix("payment.")
            if outcome in ("paid", "failed", "cancelled", "refunded"):
                metrics.payment_outcomes.labels(str(e.payload.get("tender") or "unknown"), outcome).inc()


# --------------------------------------------------------------------------- the chain's state


def _families() -> Any:
    from prometheus_client.core import GaugeMetricFamily

    return GaugeMetricFamily


class ChainCollector:
    """Figures read from the database at scrape time: the same from whichever server."""

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self.session_factory = session_factory

    def describe(self) -> list[Any]:
        return []  # read at scrape time only

    def collect(self) -> Iterator[Any]:
        gauge = _families()
        up = gauge("plaza_database_up", "1 when the database answered this scrape")
        try:
            with self.session_factory() as session:
                families = list(_chain_families(session, utcnow()))
        except Exception:  # noqa: BLE001 (a scrape must still answer when the database is away)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families


def _chain_families(session: Session, now: datetime) -> Iterator[Any]:
    from store_server.devices.models import Device
    from store_server.locations.models import Location
    from store_server.orders.service import count_overdue
    from store_server.payments.models import OPEN_STATUSES, PaymentIntent
    from store_server.webhooks.models import WebhookDelivery, WebhookSubscription

    gauge = _families()
    high = last_seq(session)
    seq = gauge("plaza_event_log_last_seq", "The last event sequence number of the chain")
    seq.add_metric([], high)
    yield seq

    labels = ["device", "store", "kind"]
    lag = gauge("plaza_device_sync_lag_events",
                "Events the device has not applied: the log's last seq minus its reported position",
                labels=labels)
    depth = gauge("plaza_device_outbox_depth", "Documents waiting in the device's outbox, as it reported",
                  labels=labels)
    seen = gauge("plaza_device_last_report_timestamp_seconds", "When the device last reported (Unix time)",
                 labels=labels)
    rows = session.execute(
        select(Device.id, Device.kind, Location.code, Device.feed_position, Device.outbox_depth,
               Device.last_seen_at)
        .join(Location, Location.id == Device.store_id)
        .where(Device.status == "paired", Device.last_seen_at.is_not(None))
        .order_by(Device.id)
    ).all()
    for r in rows:
        values = [str(r.id), r.code, r.kind]
        if r.feed_position is not None:
            lag.add_metric(values, max(0, high - r.feed_position))
        if r.outbox_depth is not None:
            depth.add_metric(values, r.outbox_depth)
        seen.add_metric(values, r.last_seen_at.timestamp())
    yield from (lag, depth, seen)

    d = WebhookDelivery
    webhooks = gauge("plaza_webhook_backlog", "Webhook deliveries not delivered: due now, waiting for "
                     "a retry, or given up (failed)", labels=["state"])
    pending = session.execute(
        select(func.count(), func.min(d.next_attempt_at))
        .where(d.status == "pending", d.next_attempt_at <= now)
    ).one()
    retrying = session.scalar(select(func.count()).where(d.status == "pending", d.next_attempt_at > now))
    failed = session.scalar(select(func.count()).select_from(d).where(d.status == "failed"))
    webhooks.add_metric(["due"], pending[0])
    webhooks.add_metric(["retrying"], retrying or 0)
    webhooks.add_metric(["failed"], failed or 0)
    yield webhooks
    oldest = gauge("plaza_webhook_oldest_due_seconds", "How long the oldest due delivery has waited")
    oldest.add_metric([], max(0.0, (now - pending[1]).total_seconds()) if pending[1] else 0.0)
    yield oldest
    cursor = session.scalar(select(func.min(WebhookSubscription.last_seq))
                            .where(WebhookSubscription.active.is_(True)))
    fan_out = gauge("plaza_webhook_fanout_lag_events", "Events not yet turned into deliveries for the "
                    "furthest-behind active subscription")
    fan_out.add_metric([], max(0, high - cursor) if cursor is not None else 0)
    yield fan_out

    jobs = gauge("plaza_job_backlog", "Background work waiting: reserved orders past their time "
                 "(expiry), payments not settled yet, webhook deliveries due", labels=["job"])
    jobs.add_metric(["order_expiry"], count_overdue(session, now))
    jobs.add_metric(["payment_settlement"], session.scalar(
        select(func.count()).select_from(PaymentIntent).where(PaymentIntent.status.in_(OPEN_STATUSES))) or 0)
    jobs.add_metric(["webhook_delivery"], pending[0])
    yield jobs


# --------------------------------------------------------------------------- HTTP


def _scrape(session_factory: Callable[[], Session]) -> bytes:
    import os

    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)  # every worker's files, added up
    else:
        registry.register(process_metrics().registry)
    registry.register(ChainCollector(session_factory))
    return generate_latest(registry)


def _may_scrape() -> bool:
    """From this machine, not through a proxy; or with the metrics token. A reverse proxy on
    the same machine forwards outsiders from loopback, so a forwarded request needs the token."""
    token = current_app.config.get("METRICS_TOKEN")
    presented = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
        return True
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def install_metrics(app: Flask) -> None:
    """Time every request by its endpoint, count committed orders and payments, serve /metrics."""
    from store_server.api.problems import problem

    metrics = process_metrics()

    @app.before_request
    def start_clock() -> None:
        request.environ.setdefault("plaza.started", time.perf_counter())

    @app.after_request
    def observe(response: Response) -> Response:
        started = request.environ.get("plaza.started")
        if started is not None:
            endpoint = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
            method = request.method if request.method in METHODS else "OTHER"
            metrics.request_seconds.labels(endpoint, method).observe(time.perf_counter() - started)
            metrics.requests.labels(endpoint, method, str(response.status_code)).inc()
        return response

    @app.get("/metrics")
    def scrape() -> Response:
        if not _may_scrape():
            return problem(403, "Forbidden", "metrics are served to this machine, or with the metrics "
                           "token (PLAZA_METRICS_TOKEN) as a bearer token", "forbidden")
        body = _scrape(current_app.extensions["plaza"].session_factory)
        return Response(body, mimetype=None, content_type=CONTENT_TYPE,
                        headers={"Cache-Control": "no-store"})
