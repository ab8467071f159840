"""Webhooks: signed deliveries from the event log to a real HTTP receiver on loopback, retried,
ordered per resource, replayable, and never sent twice at once by two workers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from store_server.webhooks.models import WebhookDelivery, WebhookSubscription
from store_server.webhooks.signing import sign, verify_signature
from store_server.webhooks.worker import WorkerSettings, backoff_delay, deliver_due, fan_out, run_once
from tests.server.factories import Chain


@dataclass(frozen=True)
class Received:
    path: str
    id: str
    seq: int | None
    type: str
    resource: str
    verified: bool
    status: int
    headers: dict[str, str]


class Receiver:
    """A webhook endpoint as a shop would write one: verify the signature, then process each
    event id once (deduplication), answering what ``answer`` says."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}  # path → secret of the subscription posting there
        self.log: list[Received] = []  # every request, in arrival order
        self.processed: list[dict[str, Any]] = []  # bodies acted on, once per event id
        # (body, how many times this id arrived before) → HTTP status to answer
        self.answer: Callable[[dict[str, Any], int], int] = lambda body, before: 200
        self.delay_s = 0.0
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        raw = request.get_data()
        verified = verify_signature(self.secrets.get(request.path, ""),
                                    request.headers.get("Plaza-Signature"), raw)
        body = json.loads(raw)
        if self.delay_s:
            time.sleep(self.delay_s)
        with self._lock:
            before = sum(1 for r in self.log if r.id == body["id"])
            status = self.answer(body, before) if verified else 401
            resource = body["resource"]
            self.log.append(Received(request.path, body["id"], body["seq"], body["type"],
                                     f"{resource['type']}:{resource['id']}", verified, status,
                                     dict(request.headers)))
            if 200 <= status < 300 and all(p["id"] != body["id"] for p in self.processed):
                self.processed.append(body)
        return Response(status=status)(environ, start_response)

    def requests_for(self, event_id: str) -> list[Received]:
        return [r for r in self.log if r.id == event_id]

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._server.shutdown()
        self._thread.join()


@pytest.fixture
def receiver(app: Flask) -> Iterator[Receiver]:
    # Retries a few milliseconds apart keep the suite fast; the schedule's shape is unit-tested.
    app.config.update(WEBHOOK_BACKOFF_BASE_S=0.005, WEBHOOK_BACKOFF_MAX_S=0.02, WEBHOOK_TIMEOUT_S=3)
    with Receiver() as r:
        yield r


def subscribe(chain: Chain, receiver: Receiver, event_types: list[str], path: str = "/hooks") -> int:
    r = chain.api("admin").post("/webhooks", json={"url": receiver.url + path,
                                                   "event_types": event_types})
    assert r.status_code == 201, r.json
    assert r.json["secret"].startswith("whsec_")
    receiver.secrets[path] = r.json["secret"]
    return int(r.json["id"])


def adjust(chain: Chain, sku: str, delta: int, location: str = "MAD-XANADU") -> None:
    who = "manager.madrid" if location == "MAD-XANADU" else "admin"
    r = chain.api(who).post("/inventory/adjustments", json={
        "location": location, "sku": sku, "delta": delta, "reason": "found on the shelf"})
    assert r.status_code == 201, r.json


def pending(app: Flask) -> int:
    with app.extensions["plaza"].session_factory() as session:
        return session.scalar(select(func.count()).where(WebhookDelivery.status == "pending")) or 0


def drain(app: Flask, max_passes: int = 200) -> None:
    """Run worker passes until no delivery is pending, as `webhooks worker` would."""
    settings = WorkerSettings.from_config(app.config)
    with app.extensions["plaza"].session_factory() as session:
        for _ in range(max_passes):
            run_once(session, settings)
            if pending(app) == 0:
                return
            time.sleep(0.01)
    raise AssertionError("deliveries still pending after the worker ran")


def deliveries(chain: Chain, subscription_id: int, **query: Any) -> list[dict[str, Any]]:
    r = chain.api("admin").get(f"/webhooks/{subscription_id}/deliveries", **query)
    assert r.status_code == 200, r.json
    return list(r.json["items"])


def test_stock_change_reaches_the_receiver_signed_with_an_event_id(
        app: Flask, chain: Chain, receiver: Receiver) -> None:
    sid = subscribe(chain, receiver, ["stock.changed"])
    adjust(chain, "EARBUDS", +2)
    drain(app)

    [request] = receiver.log
    assert request.verified and request.status == 200
    assert request.headers["Plaza-Event-Id"] == request.id and request.id.startswith("evt_")
    [event] = receiver.processed
    assert event["type"] == "stock.changed" and event["seq"] == int(event["id"][4:])
    assert event["resource"] == {"type": "stock", "id": "MAD-XANADU:EARBUDS"}
    assert event["data"]["on_hand"] == 22 and event["occurred_at"]
    [delivery] = deliveries(chain, sid)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1
    assert delivery["event_id"] == event["id"] and delivery["last_status_code"] == 200
    # The secret was shown once, at creation; lists and reads never carry it.
    listed = chain.api("admin").get("/webhooks").json
    assert [s["id"] for s in listed] == [sid] and "secret" not in listed[0]
    one = chain.api("admin").get(f"/webhooks/{sid}").json
    assert "secret" not in one and one["deliveries"] == {"pending": 0, "delivered": 1, "failed": 0}


def test_receiver_failing_three_times_then_succeeding_processes_the_event_exactly_once(
        app: Flask, chain: Chain, receiver: Receiver) -> None:
    receiver.answer = lambda body, before: 500 if before < 3 else 200
    sid = subscribe(chain, receiver, ["stock.changed"])
    adjust(chain, "EARBUDS", -1)
    drain(app)

    [event] = receiver.processed
    arrivals = receiver.requests_for(event["id"])
    assert [r.status for r in arrivals] == [500, 500, 500, 200]
    assert all(r.verified for r in arrivals)
    assert [r.headers["Plaza-Delivery-Attempt"] for r in arrivals] == ["1", "2", "3", "4"]
    [delivery] = deliveries(chain, sid)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 4
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 500, 500, 200]
    assert "answered 500" in delivery["attempt_log"][0]["error"]


def test_later_changes_of_a_resource_wait_until_the_earlier_one_is_delivered(
        app: Flask, chain: Chain, receiver: Receiver) -> None:
    subscribe(chain, receiver, ["stock.changed"])
    for delta in (-1, -2, -3):
        adjust(chain, "EARBUDS", delta)  # on hand 19, 17, 14
    adjust(chain, "PHONE-128-BLK", -1)
    # The receiver fails the first EARBUDS change twice.
    receiver.answer = lambda body, before: (
        503 if body["resource"]["id"] == "MAD-XANADU:EARBUDS" and body["data"]["on_hand"] == 19
        and before < 2 else 200)
    drain(app)

    sent = [r for r in receiver.log if r.resource == "stock:MAD-XANADU:EARBUDS"]
    # Nothing later was sent while the first change was failing: arrivals never go back in seq.
    assert [r.seq for r in sent] == sorted(r.seq for r in sent)
    assert [r.status for r in sent] == [503, 503, 200, 200, 200]
    applied = [e for e in receiver.processed if e["resource"]["id"] == "MAD-XANADU:EARBUDS"]
    assert [e["data"]["on_hand"] for e in applied] == [19, 17, 14]
    # Another resource is not held back by the failing one.
    phone = next(i for i, r in enumerate(receiver.log) if r.resource.endswith("PHONE-128-BLK"))
    first_earbuds_ok = next(i for i, r in enumerate(receiver.log) if r in sent and r.status == 200)
    assert phone < first_earbuds_ok


def test_a_dead_delivery_stops_holding_back_the_next_change_of_its_resource(
        app: Flask, chain: Chain, receiver: Receiver) -> None:
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 3
    sid = subscribe(chain, receiver, ["stock.changed"])
    adjust(chain, "EARBUDS", -1)
    adjust(chain, "EARBUDS", -1)
    receiver.answer = lambda body, before: 500 if body["data"]["on_hand"] == 19 else 200
    drain(app)

    dead, ok = sorted(deliveries(chain, sid), key=lambda d: d["event_seq"])
    assert dead["status"] == "failed" and dead["attempts"] == 3 and dead["last_status_code"] == 500
    assert ok["status"] == "delivered" and ok["attempts"] == 1
    assert [e["data"]["on_hand"] for e in receiver.processed] == [18]
    assert [d["id"] for d in deliveries(chain, sid, status="failed")] == [dead["id"]]


def test_patterns_choose_the_events_a_subscription_gets(
        app: Flask, chain: Chain, receiver: Receiver) -> None:
    stock = subscribe(chain, receiver, ["stock.*"], path="/stock")
    skus = subscribe(chain, receiver, ["sku.upserted"], path="/skus")
    orders = subscribe(chain, receiver, ["order.*", "payment.*"], path="/orders")
    adjust(chain, "EARBUDS", 1)
    r = chain.api("admin").post("/products", json={
        "code": "CABLE", "brand": "Ugreen", "category": "electronics/cables",
        "names": {"en": "USB-C cable"}, "skus": [{"code": "CABLE-1M", "gtins": ["6901234500035"]}]})
    assert r.status_code == 201, r.json
    drain(app)

    by_path = {p: {r.type for r in receiver.log if r.path == p} for p in ("/stock", "/skus", "/orders")}
    assert by_path == {"/stock": {"stock.changed"}, "/skus": {"sku.upserted"}, "/orders": set()}
    assert all(r.verified for r in receiver.log)
    assert {d["event_type"] for d in deliveries(chain, stock)} == {"stock.changed"}
    assert [d["resource"] for d in deliveries(chain, skus)] == ["sku:CABLE-1M"]
    assert deliveries(chain, orders) == []


def test_replay_sends_the_same_event_id_again_and_the_receiver_ignores_it(
        app: Flask, chain: Chain, receiver: Receiver) -> None:
    sid = subscribe(chain, receiver, ["stock.changed"])
    adjust(chain, "EARBUDS", -1)
    drain(app)
    [delivery] = deliveries(chain, sid)

    r = chain.api("admin").post(f"/webhooks/{sid}/deliveries/{delivery['id']}/replay")
    assert r.status_code == 200, r.json
    assert r.json["status"] == "pending" and r.json["replayed_at"]
    drain(app)

    assert [r.id for r in receiver.log] == [delivery["event_id"]] * 2
    assert all(r.verified and r.status == 200 for r in receiver.log)
    assert len(receiver.processed) == 1
    again = chain.api("admin").get(f"/webhooks/{sid}/deliveries/{delivery['id']}").json
    assert again["status"] == "delivered" and again["attempts"] == 2
    assert again["event_id"] == delivery["event_id"]


def test_two_workers_running_at_once_send_each_delivery_once(
        app: Flask, chain: Chain, receiver: Receiver) -> None:
    app.config.update(WEBHOOK_BATCH_SIZE=3, WEBHOOK_CONCURRENCY=3)
    receiver.delay_s = 0.02  # hold each request long enough for the workers to overlap
    subscribe(chain, receiver, ["stock.changed"])
    skus = ["PHONE-128-BLK", "PHONE-256-BLK", "EARBUDS", "SALMON", "TEA"]
    for round_ in range(2):
        for location in ("WH-ONLINE", "MAD-XANADU", "SHA-JINQIAO"):
            r = chain.api("admin").post("/inventory/receipts", json={
                "location": location, "document": f"DN-{location}-{round_}",
                "lines": [{"sku": sku, "quantity": 5} for sku in skus]})
            assert r.status_code == 201, r.json
    settings = WorkerSettings.from_config(app.config)
    factory = app.extensions["plaza"].session_factory
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with factory() as session:
                start.wait()
                fan_out(session)  # both fan out the same subscription at once, too
                for _ in range(100):
                    deliver_due(session, settings)
                    if pending(app) == 0:
                        return
                    time.sleep(0.005)
        except BaseException as exc:  # surfaced below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = [r.id for r in receiver.log]
    assert len(ids) == 30 and len(set(ids)) == 30  # every change once, none twice
    assert pending(app) == 0


def test_ping_sends_a_signed_test_event_now(chain: Chain, receiver: Receiver) -> None:
    sid = subscribe(chain, receiver, ["stock.changed"])
    r = chain.api("admin").post(f"/webhooks/{sid}/test")
    assert r.status_code == 200, r.json
    assert r.json["delivered"] is True and r.json["status_code"] == 200
    [request] = receiver.log
    assert request.type == "ping" and request.verified and request.id == r.json["id"]


def test_paused_subscription_gets_what_happened_meanwhile_on_resume_and_deleted_gets_nothing(
        app: Flask, chain: Chain, receiver: Receiver) -> None:
    sid = subscribe(chain, receiver, ["stock.changed"])
    admin = chain.api("admin")
    assert admin.post(f"/webhooks/{sid}/pause").json["status"] == "paused"
    adjust(chain, "EARBUDS", -1)
    drain(app)
    assert receiver.log == []
    assert admin.post(f"/webhooks/{sid}/resume").json["status"] == "active"
    drain(app)
    assert [e["data"]["on_hand"] for e in receiver.processed] == [19]

    deleted = admin.client.delete(f"/api/v1/webhooks/{sid}",
                                  headers={"Authorization": f"Bearer {admin.token}"})
    assert deleted.status_code == 200 and deleted.json["status"] == "deleted"
    adjust(chain, "EARBUDS", -1)
    drain(app)
    assert len(receiver.log) == 1
    assert admin.post(f"/webhooks/{sid}/resume").status_code == 409
    assert admin.get("/webhooks").json == []


BAD_SUBSCRIPTIONS = [
    ({"url": "ftp://shop.example/hooks", "event_types": ["stock.changed"]}, "url"),
    ({"url": "shop.example/hooks", "event_types": ["stock.changed"]}, "url"),
    ({"url": "https://user:pw@shop.example/hooks", "event_types": ["stock.changed"]}, "url"),
    ({"url": "https://shop.example:99999/hooks", "event_types": ["stock.changed"]}, "url"),
    ({"url": "https://shop.example/hooks", "event_types": []}, "event_types"),
    ({"url": "https://shop.example/hooks", "event_types": ["Order.*"]}, "event_types"),
    ({"url": "https://shop.example/hooks", "event_types": ["*.changed"]}, "event_types"),
]


def test_bad_url_or_event_types_are_a_422_naming_the_field(chain: Chain) -> None:
    for body, field in BAD_SUBSCRIPTIONS:
        r = chain.api("admin").post("/webhooks", json=body)
        assert r.status_code == 422 and r.content_type == "application/problem+json", body
        assert r.json["errors"][0]["field"] == field, body
        assert r.json["errors"][0]["message"], body
    assert chain.api("admin").get("/webhooks").json == []


def test_only_admins_manage_webhooks(chain: Chain) -> None:
    body = {"url": "https://shop.example/hooks", "event_types": ["order.*"]}
    assert chain.api("manager.madrid").post("/webhooks", json=body).status_code == 403
    assert chain.api("till.madrid").get("/webhooks").status_code == 403
    created = chain.api("admin").post("/webhooks", json=body, key="sub-1")
    replayed = chain.api("admin").post("/webhooks", json=body, key="sub-1")
    assert created.status_code == replayed.status_code == 201
    assert replayed.json["id"] == created.json["id"]
    assert chain.api("manager.madrid").get(f"/webhooks/{created.json['id']}").status_code == 403
    assert chain.api("admin").get("/webhooks/999").status_code == 404


def test_signature_verifies_only_the_exact_body_with_the_right_secret_in_time() -> None:
    body = b'{"id":"evt_1"}'
    header = sign("whsec_a", body, timestamp=1_700_000_000)
    now = 1_700_000_100.0
    assert verify_signature("whsec_a", header, body, now=now)
    assert not verify_signature("whsec_b", header, body, now=now)
    assert not verify_signature("whsec_a", header, body + b" ", now=now)
    assert not verify_signature("whsec_a", header, body, now=now + 300)  # too old
    assert not verify_signature("whsec_a", None, body, now=now)
    assert not verify_signature("whsec_a", "t=x,v1=00", body, now=now)
    rotated = sign("whsec_old", body, timestamp=1_700_000_000) + "," + header.split(",")[1]
    assert verify_signature("whsec_a", rotated, body, now=now)


def test_backoff_doubles_from_the_base_up_to_the_cap_with_jitter() -> None:
    settings = WorkerSettings(backoff_base_s=30, backoff_max_s=600)
    assert [backoff_delay(n, settings, rand=lambda: 1.0) for n in (1, 2, 3, 6, 30)] == [
        30, 60, 120, 600, 600]
    assert backoff_delay(2, settings, rand=lambda: 0.0) == 30


def test_the_online_shop_follows_an_order_to_completion_through_webhooks(
    chain: Chain, receiver: Receiver
) -> None:
    subscribe(chain, receiver, ["order.*"])
    admin, staff = chain.api("admin"), chain.api("manager.madrid")
    order = admin.post("/orders", json={"fulfilment": "ship",
                                        "lines": [{"sku": "EARBUDS", "quantity": 1}]}).json
    number = order["number"]
    admin.post(f"/orders/{number}/pay", json={"amount": order["total"]})
    staff.post(f"/orders/{number}/start_picking", json={})
    staff.post(f"/orders/{number}/ship", json={})
    staff.post(f"/orders/{number}/complete", json={})
    drain(chain.app)
    seen = [(body["type"], body["data"]["status"]) for body in receiver.processed]
    assert seen == [("order.created", "reserved"), ("order.paid", "paid"), ("order.picking", "picking"),
                    ("order.shipped", "shipped"), ("order.completed", "completed")]
    assert all(r.verified for r in receiver.log)


def test_signing_secrets_are_sealed_at_rest_and_old_clear_ones_can_be_sealed(
        app: Flask, chain: Chain, receiver: Receiver) -> None:
    sid = subscribe(chain, receiver, ["stock.changed"])
    with app.extensions["plaza"].session_factory() as session:
        stored = session.scalar(select(WebhookSubscription.secret).where(WebhookSubscription.id == sid))
        assert stored is not None and receiver.secrets["/hooks"] not in stored
        assert stored.startswith("sealed:v1:")
        # A subscription from before sealing: its secret sits in clear until seal-secrets runs.
        session.execute(update(WebhookSubscription).where(WebhookSubscription.id == sid)
                        .values(secret=receiver.secrets["/hooks"]))
        session.commit()
    adjust(chain, "EARBUDS", +1)
    drain(app)
    result = app.test_cli_runner().invoke(args=["webhooks", "seal-secrets"])
    assert "sealed 1 secrets" in result.output
    adjust(chain, "EARBUDS", +1)
    drain(app)
    assert [r.verified for r in receiver.log] == [True, True]
    with app.extensions["plaza"].session_factory() as session:
        assert session.scalar(select(WebhookSubscription.secret)).startswith("sealed:v1:")
