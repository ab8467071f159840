"""The background worker as real processes: killed (SIGKILL) in the middle of an order-expiry
pass, a webhook delivery and a payment-code charge, its job is finished exactly once by another
worker; an abandoned QR is closed at the gateway with nobody waiting on it.

Each kill happens at a moment the test knows, never after a sleep: a barrier in the expiry pass
(tests/server/worker_harness.py), a webhook receiver holding the request, the sandbox gateway
holding the charge's query. Leases are two seconds here, so a dead worker's job comes back fast.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from store_server.db import utcnow
from store_server.events.models import Event
from store_server.inventory.models import StockMovement
from store_server.inventory.service import verify
from store_server.jobs.models import Job
from store_server.orders.models import Order
from store_server.payments.models import GatewayCall, PaymentAttempt
from store_server.webhooks.models import WebhookAttempt, WebhookDelivery
from store_server.webhooks.signing import verify_signature

# The payments tests' sandbox gateway and the store server wired to it (no worker of its own).
from tests.payments.conftest import (  # noqa: F401 - fixtures, found by pytest by these names
    bare_shop,
    gateway_private_key,
    merchant_private_key,
    sandbox,
)
from tests.server.factories import Chain
from tests.server.processes import WorkerProcess, server_env

pytestmark = pytest.mark.slow
NEEDS_CONFIRMATION = "286600000000000002"  # the sandbox answers 10003: the shopper must confirm
T = TypeVar("T")


def eventually(check: Callable[[], T], what: str, timeout: float = 60) -> T:
    """Wait for a condition the workers bring about (each look is a fresh read)."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def worker_env(app: Flask, **extra: str) -> dict[str, str]:
    """A worker process of the test's deployment: its database, its instance folder (so the
    same sealing key), the payment gateway settings, and two-second leases."""
    env = server_env(app.config["DATABASE_URL"], Path(app.instance_path),
                     PLAZA_WORKER_LEASE_S="2", PLAZA_WORKER_POLL_S="0.05", **extra)
    for key, value in app.config.items():
        if key.startswith(("PLAZA_ALIPAY_", "PLAZA_PAYMENT_")) and value is not None:
            env.setdefault(key, str(value))
    return env


def job(session: Session, key: str) -> Job:
    session.rollback()
    return session.execute(select(Job).where(Job.key == key)).scalar_one()


@pytest.fixture
def shop(bare_shop: Any) -> Any:  # noqa: F811 - the imported fixture
    """The store server wired to the sandbox; the tests start the workers."""
    return bare_shop


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    """The worker processes a test starts; every one is ended when it ends, failing or not."""
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.stop(timeout=30)


# --------------------------------------------------------------------------- order expiry


def test_a_worker_killed_mid_expiry_pass_leaves_each_order_expired_exactly_once_by_another(
        app: Flask, chain: Chain, session: Session, tmp_path: Path, workers: list[WorkerProcess]) -> None:
    numbers = []
    for _ in range(5):
        placed = chain.api("admin").post("/orders", json={
            "fulfilment": "pickup", "store": "MAD-XANADU", "lines": [{"sku": "EARBUDS", "quantity": 1}]})
        assert placed.status_code == 201, placed.json
        numbers.append(placed.json["number"])
    session.execute(update(Order).where(Order.number.in_(numbers))
                    .values(expires_at=utcnow() - timedelta(minutes=1)))
    session.commit()

    env = worker_env(app, PLAZA_WORKER_EXPIRY_EVERY_S="0.05")
    first = WorkerProcess("A", env, tmp_path, only=["orders.expire"],
                          command=[sys.executable, "-m", "tests.server.worker_harness", "worker"])
    workers.append(first.start())
    # Batches of two: the first committed, the second's orders locked and half released.
    first.wait_for_line("HOLD expiry batch 2")
    assert expired(session, numbers) == 2
    first.kill()
    assert expired(session, numbers) == 2, "the dead worker's open batch must roll back"

    second = WorkerProcess("B", env, tmp_path, only=["orders.expire"])
    workers.append(second.start())
    eventually(lambda: expired(session, numbers) == 5, "the second worker to expire the rest")
    second.stop()

    session.rollback()
    for number in numbers:
        events = session.scalar(select(func.count()).where(
            Event.type == "order.expired", Event.resource_id == number))
        releases = session.scalar(select(func.count()).where(
            StockMovement.kind == "release", StockMovement.document == f"order:{number}"))
        assert (events, releases) == (1, 1), number
    stock = chain.api("admin").get("/locations/MAD-XANADU/stock/EARBUDS").json
    assert stock["reserved"] == 0, stock
    assert verify(session) == []
    assert job(session, "every:orders.expire").finished_by == "B"


def expired(session: Session, numbers: list[str]) -> int:
    session.rollback()
    return int(session.scalar(select(func.count()).where(
        Order.number.in_(numbers), Order.status == "expired")) or 0)


# --------------------------------------------------------------------------- webhooks


class HoldingReceiver:
    """A shop's webhook endpoint written as docs/WEBHOOKS.md asks (verify, skip an event id it
    has processed, act, answer 2xx), whose first answer is held until the test releases it."""

    def __init__(self) -> None:
        self.secret = ""
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.requests: list[dict[str, Any]] = []
        self.processed: list[str] = []
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hooks"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        raw = request.get_data()
        if not verify_signature(self.secret, request.headers.get("Plaza-Signature"), raw):
            return Response(status=401)(environ, start_response)
        body = json.loads(raw)
        with self._lock:
            first = not self.requests
            self.requests.append({"id": body["id"], "attempt": request.headers["Plaza-Delivery-Attempt"]})
            if body["id"] not in self.processed:
                self.processed.append(body["id"])
        if first:
            self.arrived.set()
            self.release.wait(60)  # the sender is killed meanwhile and never hears this answer
        return Response(status=200)(environ, start_response)

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._thread.join()


def test_a_worker_killed_mid_webhook_delivery_leaves_it_delivered_once_by_another(
        app: Flask, chain: Chain, session: Session, tmp_path: Path, workers: list[WorkerProcess]) -> None:
    receiver = HoldingReceiver()
    try:
        subscribed = chain.api("admin").post("/webhooks", json={"url": receiver.url,
                                                                "event_types": ["stock.changed"]})
        assert subscribed.status_code == 201, subscribed.json
        receiver.secret = subscribed.json["secret"]
        adjusted = chain.api("manager.madrid").post("/inventory/adjustments", json={
            "location": "MAD-XANADU", "sku": "EARBUDS", "delta": 3, "reason": "found on the shelf"})
        assert adjusted.status_code == 201, adjusted.json

        env = worker_env(app, PLAZA_WEBHOOK_TIMEOUT_S="30")
        first = WorkerProcess("A", env, tmp_path, only=["webhooks.deliver"])
        workers.append(first.start())
        assert receiver.arrived.wait(60), "the first worker never sent the delivery"
        second = WorkerProcess("B", env, tmp_path, only=["webhooks.deliver"])
        workers.append(second.start())  # waits: the delivery is leased to A, alive and sending
        first.kill()
        receiver.release.set()

        def delivered() -> WebhookDelivery | None:
            session.rollback()
            row = session.execute(select(WebhookDelivery)).scalar_one()
            return row if row.status == "delivered" else None

        delivery = eventually(delivered, "another worker to deliver the webhook")
        second.stop()
    finally:
        receiver.stop()

    # Sent twice (the dead worker's request did arrive), processed once, recorded once.
    assert [r["id"] for r in receiver.requests] == [delivery_event_id(delivery)] * 2
    assert receiver.processed == [delivery_event_id(delivery)]
    attempts = session.execute(select(WebhookAttempt.status_code).where(
        WebhookAttempt.delivery_id == delivery.id)).scalars().all()
    assert attempts == [200] and delivery.attempts == 1
    assert job(session, "every:webhooks.deliver").finished_by == "B"


def delivery_event_id(delivery: WebhookDelivery) -> str:
    return f"evt_{delivery.event_seq}"


# --------------------------------------------------------------------------- payment code


def test_a_worker_killed_while_the_shopper_confirms_leaves_the_charge_paid_once_by_another(
        shop: Any, tmp_path: Path, workers: list[WorkerProcess]) -> None:
    app = shop.chain.app
    # Time enough for the second worker to start and take over before the poll gives up.
    env = worker_env(app, PLAZA_PAYMENT_POLL_LIMIT="60", PLAZA_PAYMENT_POLL_INTERVAL="0.1")
    first = WorkerProcess("A", env, tmp_path, only=["payments.charge_code"])
    workers.append(first.start())
    gate = shop.sandbox.gateway.hooks.hold("alipay.trade.query")  # the first worker's first poll

    created = shop.pay("till.shanghai", tender="alipay_code", sale_uuid=str(uuid.uuid4()), amount=5800,
                       auth_code=NEEDS_CONFIRMATION)
    assert created.status_code == 201, created.json
    payment = created.json
    gate.wait_until_arrived(timeout=60)  # A sent the pay (10003) and is polling the shopper
    out_trade_no = payment["out_trade_no"]
    second = WorkerProcess("B", env, tmp_path, only=["payments.charge_code"])
    workers.append(second.start())  # waits: the charge is leased to A, alive and polling
    first.kill()
    gate.release()

    with shop.sandbox.gateway.notifications_held():  # so B's own query is what settles it
        approved = shop.sandbox.admin.post(
            f"{shop.sandbox.url}/_sandbox/trades/{out_trade_no}/approve", timeout=5)
        assert approved.status_code == 200, approved.text
        paid = shop.wait_for_status("till.shanghai", payment, "paid", timeout=60)
    charge = eventually(lambda: (j := job(shop.chain.session, f"payment-code:{out_trade_no}"))
                        .status == "done" and j, "the charge job to be recorded as done")
    second.stop()

    assert (charge.finished_by, charge.attempts) == ("B", 2)
    assert "pay_sent_at" in charge.state
    session = shop.chain.session
    session.rollback()
    calls = session.execute(select(GatewayCall.method).where(
        GatewayCall.kind == "call", GatewayCall.out_trade_no == out_trade_no)).scalars().all()
    assert calls.count("alipay.trade.pay") == 1, calls  # the second worker never paid again
    assert "alipay.trade.cancel" not in calls
    assert paid["refunded_amount"] == 0
    trade = shop.sandbox.trade(out_trade_no)
    assert trade["status"] == "TRADE_SUCCESS" and trade["refund_fee"] == "0.00"
    assert session.scalar(select(func.count()).where(
        Event.type == "payment.paid", Event.resource_id == payment["id"])) == 1


# --------------------------------------------------------------------------- abandoned QR


def test_an_abandoned_qr_is_closed_at_the_gateway_by_the_worker_with_nobody_waiting(
        shop: Any, tmp_path: Path, workers: list[WorkerProcess]) -> None:
    created = shop.pay("till.shanghai", tender="alipay_qr", sale_uuid=str(uuid.uuid4()), amount=5800)
    assert created.status_code == 201 and created.json["status"] == "waiting_for_shopper", created.json
    payment = created.json
    out_trade_no = payment["out_trade_no"]
    # The shopper scans the QR, then walks away; the till is switched off.
    scanned = shop.sandbox.admin.post(f"{shop.sandbox.url}/_sandbox/trades/{out_trade_no}/scan", timeout=5)
    assert scanned.status_code == 200 and shop.sandbox.trade(out_trade_no)["status"] == "WAIT_BUYER_PAY"

    # Its time passes (the QR was shown longer ago than its lifetime and the margin).
    session = shop.chain.session
    session.rollback()
    long_ago = utcnow() - timedelta(minutes=shop.payments.settings.qr_timeout_minutes + 1)
    session.execute(update(PaymentAttempt).where(PaymentAttempt.out_trade_no == out_trade_no)
                    .values(created_at=long_ago))
    session.execute(update(Job).where(Job.key == f"qr-close:{out_trade_no}").values(run_at=long_ago))
    session.commit()

    worker = WorkerProcess("W", worker_env(shop.chain.app), tmp_path, only=["payments.close_qr"])
    workers.append(worker.start())

    def read() -> dict[str, Any] | None:  # a plain read: a long-poll would close it itself
        doc = shop.api("till.shanghai").get(f"/payments/{payment['id']}").json
        return doc if doc["status"] != "waiting_for_shopper" else None

    closed = eventually(read, "the worker to close the abandoned QR")
    assert closed["status"] == "cancelled"
    assert shop.sandbox.trade(out_trade_no)["status"] == "TRADE_CLOSED"
    close = eventually(lambda: (j := job(session, f"qr-close:{out_trade_no}")).status == "done" and j,
                       "the close job to be recorded as done")
    assert close.finished_by == "W"
    session.rollback()
    calls = session.execute(select(GatewayCall.method).where(
        GatewayCall.kind == "call", GatewayCall.out_trade_no == out_trade_no)).scalars().all()
    assert "alipay.trade.cancel" in calls


def test_the_worker_stops_on_sigterm_after_finishing_the_job_in_hand(
        shop: Any, tmp_path: Path, workers: list[WorkerProcess]) -> None:
    """SIGTERM while a charge waits for the shopper: the worker keeps it until it ends (here,
    the shopper confirms), records it, and only then exits."""
    env = worker_env(shop.chain.app, PLAZA_PAYMENT_POLL_LIMIT="60", PLAZA_PAYMENT_POLL_INTERVAL="0.1")
    worker = WorkerProcess("W", env, tmp_path, only=["payments.charge_code"])
    workers.append(worker.start())
    gate = shop.sandbox.gateway.hooks.hold("alipay.trade.query")
    payment = shop.pay("till.shanghai", tender="alipay_code", sale_uuid=str(uuid.uuid4()), amount=5800,
                       auth_code=NEEDS_CONFIRMATION).json
    gate.wait_until_arrived(timeout=60)
    assert worker.process is not None
    worker.process.terminate()  # SIGTERM while the job is in hand
    approved = shop.sandbox.admin.post(
        f"{shop.sandbox.url}/_sandbox/trades/{payment['out_trade_no']}/approve", timeout=5)
    assert approved.status_code == 200
    gate.release()
    assert worker.process.wait(timeout=60) == 0
    charge = job(shop.chain.session, f"payment-code:{payment['out_trade_no']}")
    assert (charge.status, charge.finished_by, charge.attempts) == ("done", "W", 1)
    final = shop.api("till.shanghai").get(f"/payments/{payment['id']}").json
    assert final["status"] == "paid"


def test_several_workers_share_the_queue_and_each_job_runs_once(
        app: Flask, session: Session, tmp_path: Path, workers: list[WorkerProcess]) -> None:
    """Many one-off jobs at once, three workers: each job is claimed and finished by one."""
    from store_server.db import transaction
    from store_server.jobs.queue import enqueue

    with transaction(session):
        for n in range(60):  # purge jobs with nothing to purge: quick, and safe to run anywhere
            enqueue(session, "jobs.purge", f"test-purge:{n}")
    env = worker_env(app)
    for name in ("A", "B", "C"):
        workers.append(WorkerProcess(name, env, tmp_path, only=["jobs.purge"]).start())

    def all_done() -> bool:
        session.rollback()
        return session.scalar(select(func.count()).where(
            Job.key.startswith("test-purge:"), Job.status == "done")) == 60

    eventually(all_done, "the three workers to run the 60 jobs")
    rows = session.execute(select(Job.attempts, Job.runs).where(Job.key.startswith("test-purge:"))).all()
    assert {(r.attempts, r.runs) for r in rows} == {(1, 1)}


def test_an_unknown_job_kind_is_refused_by_name(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["worker", "--only", "orders.explode"])
    assert result.exit_code == 2 and "no job kind orders.explode" in result.output


def test_a_code_charge_no_worker_got_to_in_time_is_failed_not_sent_late(shop: Any) -> None:
    """With no worker running, a scanned payment code waits; a worker that starts long after
    the shopper has gone must not charge it: the payment fails, and the gateway never sees it."""
    from store_server.jobs.kinds import kinds
    from store_server.jobs.worker import Services, Worker, WorkerSettings

    created = shop.pay("till.shanghai", tender="alipay_code", sale_uuid=str(uuid.uuid4()), amount=5800,
                       auth_code="286600000000000001")
    assert created.json["status"] == "pending", created.json  # nobody charged it
    session = shop.chain.session
    session.rollback()
    limit = shop.payments.settings.poll.limit
    session.execute(update(PaymentAttempt).where(PaymentAttempt.out_trade_no == created.json["out_trade_no"])
                    .values(created_at=utcnow() - timedelta(seconds=limit + 1)))
    session.commit()

    app = shop.chain.app
    worker = Worker(Services(app.config, app.extensions["plaza"].session_factory, lambda: shop.payments),
                    WorkerSettings(poll_s=0.02), kinds(["payments.charge_code"]), name="late")
    assert worker.run(once=True) == 1
    final = shop.api("till.shanghai").get(f"/payments/{created.json['id']}").json
    assert final["status"] == "failed" and final["failure"]["code"] == "NOT_CHARGED"
    assert shop.sandbox.trade(created.json["out_trade_no"]) is None
