"""A real multi-server deployment on PostgreSQL: two gunicorn servers on their own ports and two
workers, each with its own instance folder and the shared secrets from the environment (as
docs/DEPLOY.md describes). Online shoppers, a till and webhook deliveries spread across both
servers while one server and one worker are killed with SIGKILL and started again; clients fail
over to the other server, as a load balancer would send them.

Afterwards: no reservation took a unit that was not there (the ledger replayed), every till sale
recorded exactly once, every online order once per Idempotency-Key, every order told paid is
paid, every webhook delivered, and `store-server inventory verify` finds nothing.
"""

from __future__ import annotations

import random
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store_server.events.models import Event
from store_server.inventory.service import LineIn, ReceiptIn, receive
from store_server.orders.models import Order
from store_server.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.server.factories import Chain
from tests.server.processes import ROOT, STORE_SERVER, ServerProcess, WorkerProcess, server_env
from tests.server.test_storm import _reservations_beyond_available
from tests.server.test_webhooks import Receiver

pytestmark = pytest.mark.slow
PRICES = {"PHONE-128-BLK": 29900, "EARBUDS": 4999, "TEA": 799}
SHARED_SECRETS = {  # what every server and worker of one deployment must share
    "PLAZA_SECRET_KEY": "multi-server-secret", "PLAZA_MEMBER_QR_KEY": "multi-server-member-qr",
    "PLAZA_SEALING_KEY": "multi-server-sealing"}
# Operations done by all clients before the kill, while one server and one worker are down,
# and after they are back.
BEFORE_KILL, WHILE_DOWN, AFTER_RESTART = 40, 40, 40


@dataclass
class Progress:
    """Operations the clients completed, for the test to act at known points of the run."""

    done: int = 0
    cond: threading.Condition = field(default_factory=threading.Condition)

    def tick(self) -> None:
        with self.cond:
            self.done += 1
            self.cond.notify_all()

    def wait_for(self, count: int, timeout: float = 120) -> None:
        with self.cond:
            if not self.cond.wait_for(lambda: self.done >= count, timeout):
                raise AssertionError(f"the clients got only {self.done} of {count} operations done")


class Failover:
    """A client of two servers: a dropped connection or a refused one (the server was killed)
    sends the same request, with the same Idempotency-Key, to the other server."""

    def __init__(self, urls: list[str], token: str) -> None:
        self.urls = urls
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.failovers = 0
        self.server_errors: list[str] = []

    def call(self, method: str, path: str, body: Any, *, start: int,
             key: str | None = None) -> requests.Response:
        headers = {"Idempotency-Key": key} if key else {}
        for attempt in range(20):
            base = self.urls[(start + attempt) % len(self.urls)]
            try:
                r = self.http.request(method, f"{base}/api/v1{path}", json=body, headers=headers, timeout=30)
            except requests.RequestException:
                self.failovers += 1
                continue
            if r.status_code >= 500:
                self.server_errors.append(f"{method} {path} {r.status_code}: {r.text[:300]}")
                continue
            return r
        raise AssertionError(f"no server answered {method} {path}")


def shopper(client: Failover, name: str, stop: threading.Event, progress: Progress) -> dict[str, Any]:
    """Places pickup orders in Madrid, pays most of them; the rest expire."""
    rng = random.Random(name)
    placed: dict[str, str] = {}  # Idempotency-Key -> order number
    paid: list[str] = []
    n = 0
    while not stop.is_set():
        n += 1
        key = f"{name}-{n}"
        sku = rng.choice(["PHONE-128-BLK", "EARBUDS"])
        r = client.call("POST", "/orders", {"fulfilment": "pickup", "store": "MAD-XANADU",
                                            "lines": [{"sku": sku, "quantity": 1}]}, start=n, key=key)
        if r.status_code == 201:
            order = r.json()
            placed[key] = order["number"]
            if rng.random() < 0.6:
                p = client.call("POST", f"/orders/{order['number']}/pay",
                                {"amount": order["total"], "payment_reference": key}, start=n + 1)
                # A retry of a payment that did commit on the server that died finds it paid.
                if p.status_code == 200 or (p.status_code == 409 and p.json().get("order_status") == "paid"):
                    paid.append(order["number"])
        else:
            assert r.status_code == 409, r.text  # out of stock: refused whole
        progress.tick()
    return {"placed": placed, "paid": paid}


def till(client: Failover, stop: threading.Event, progress: Progress) -> dict[str, Any]:
    """A Madrid till pushing cash sales in small batches; a failed push is sent again whole."""
    rng = random.Random("till")
    sent: list[str] = []
    n = 0
    while not stop.is_set():
        n += 1
        sales = []
        for _ in range(rng.randint(1, 3)):
            sku = rng.choice(list(PRICES))
            sales.append({"uuid": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat(),
                          "lines": [{"sku": sku, "quantity": 1, "unit_price": PRICES[sku]}],
                          "tenders": [{"kind": "card", "amount": PRICES[sku]}], "total": PRICES[sku]})
        r = client.call("POST", "/sync/sales", {"sales": sales, "sent_at": datetime.now(UTC).isoformat()},
                        start=n)
        assert r.status_code == 200, r.text
        assert {x["status"] for x in r.json()["results"]} <= {"accepted", "duplicate"}, r.text
        sent += [s["uuid"] for s in sales]
        progress.tick()
    return {"sent": sent}


def eventually(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def deployment(app: Flask, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Two servers and two workers, each with an instance folder of its own; all ended at the
    end, whatever happened."""
    url = app.config["DATABASE_URL"]

    def env(name: str) -> dict[str, str]:
        return server_env(url, tmp_path / name, **SHARED_SECRETS,
                          PLAZA_ORDER_RESERVATION_MINUTES="0.02",  # about a second
                          PLAZA_WORKER_LEASE_S="2", PLAZA_WORKER_POLL_S="0.05",
                          PLAZA_WORKER_EXPIRY_EVERY_S="0.2", PLAZA_WORKER_WEBHOOKS_EVERY_S="0.2",
                          PLAZA_WEBHOOK_BACKOFF_BASE_S="0.05",
                          PLAZA_WEBHOOK_BACKOFF_MAX_S="0.2")

    servers = [ServerProcess(f"server-{i}", env(f"server-{i}"), tmp_path) for i in (1, 2)]
    workers = [WorkerProcess(f"worker-{i}", env(f"worker-{i}"), tmp_path) for i in (1, 2)]
    with ExitStack() as stack:
        for process in [*servers, *workers]:
            stack.enter_context(process)  # stopped on the way out, failing or not
        with ThreadPoolExecutor(4) as pool:  # start them side by side
            for started in [pool.submit(p.start) for p in [*servers, *workers]]:
                started.result()
        yield {"servers": servers, "workers": workers}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_servers_and_two_workers_survive_a_server_and_a_worker_killed_mid_traffic(
        app: Flask, chain: Chain, session: Session, deployment: dict[str, Any]) -> None:
    receive(session, ReceiptIn(location="MAD-XANADU", document="DN-MULTI", lines=[
        LineIn(sku="PHONE-128-BLK", quantity=40), LineIn(sku="EARBUDS", quantity=40)]), "test")
    servers: list[ServerProcess] = deployment["servers"]
    workers: list[WorkerProcess] = deployment["workers"]
    urls = [s.url for s in servers]
    admin = chain.tokens["admin"]

    with Receiver() as receiver:
        hooks = Failover(urls, admin).call("POST", "/webhooks", {
            "url": receiver.url + "/hooks", "event_types": ["order.*"]}, start=0)
        assert hooks.status_code == 201, hooks.text
        receiver.secrets["/hooks"] = hooks.json()["secret"]
        session.rollback()
        first_seq = session.scalar(select(WebhookSubscription.last_seq))

        stop, progress = threading.Event(), Progress()
        clients = [Failover(urls, admin) for _ in range(3)] + [Failover(urls, chain.tokens["till.madrid"])]
        with ThreadPoolExecutor(len(clients)) as pool:
            running = [pool.submit(shopper, c, f"shopper-{i}", stop, progress)
                       for i, c in enumerate(clients[:3])]
            running.append(pool.submit(till, clients[3], stop, progress))
            try:
                progress.wait_for(BEFORE_KILL)
                servers[0].kill()
                workers[0].kill()
                progress.wait_for(BEFORE_KILL + WHILE_DOWN)  # all on the other server meanwhile
                with ThreadPoolExecutor(2) as restart:
                    for restarted in [restart.submit(servers[0].start), restart.submit(workers[0].start)]:
                        restarted.result()
                progress.wait_for(BEFORE_KILL + WHILE_DOWN + AFTER_RESTART)
            finally:
                stop.set()
            results = [r.result(timeout=120) for r in running]

        # The workers catch up: every unpaid reservation expired (nothing changes after that),
        # and every event delivered.
        def caught_up() -> bool:
            session.rollback()
            high = session.scalar(select(func.max(Event.seq)))
            undelivered = select(func.count()).where(WebhookDelivery.status != "delivered")
            return (session.scalar(select(func.count()).where(Order.status == "reserved")) == 0
                    and session.scalar(select(WebhookSubscription.last_seq)) == high
                    and session.scalar(undelivered) == 0)

        eventually(caught_up, "the workers to expire every unpaid order and deliver every webhook")
        delivered_ids = {body["id"] for body in receiver.processed}

    assert [e for c in clients for e in c.server_errors] == []
    assert sum(c.failovers for c in clients) > 0, "no request ever met the killed server"

    # Online orders: one per Idempotency-Key, whichever server took it; paid ones stay paid.
    placed = {key: number for r in results[:3] for key, number in r["placed"].items()}
    online = session.execute(select(Order.number, Order.status).where(Order.channel == "online")).all()
    assert sorted(n for n, _ in online) == sorted(placed.values())
    status = dict(online)
    told_paid = [n for r in results[:3] for n in r["paid"]]
    assert told_paid and all(status[n] == "paid" for n in told_paid)
    assert "expired" in status.values(), "no reservation expired: the workers did not run"
    assert _reservations_beyond_available(session) == []

    # Till sales: every one recorded exactly once.
    sent = results[3]["sent"]
    assert len(sent) == len(set(sent)) > 0
    recorded = session.scalar(select(func.count()).where(Order.client_uuid.in_(sent)))
    assert recorded == len(sent)

    # Webhooks: every order event after the subscription reached the receiver.
    expected = set(session.scalars(select(Event.seq).where(
        Event.seq > first_seq, Event.type.startswith("order."))))
    assert delivered_ids == {f"evt_{seq}" for seq in expected}

    verified = subprocess.run([STORE_SERVER, "inventory", "verify"], cwd=ROOT, capture_output=True,
                              text=True, timeout=120, env=workers[1].env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "0 discrepancies" in verified.stdout
