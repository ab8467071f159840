"""Fixtures: the sandbox gateway on a real loopback port, our client, a notification receiver.

Keys are real 2048-bit RSA, made once per session because generating them costs ~0.1 s each.
Each test gets a fresh sandbox (its own trades, faults and notifier thread).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from store_server.jobs.kinds import kinds
from store_server.jobs.worker import Services, Worker, WorkerSettings
from store_server.payments.gateway import AlipayGateway, GatewayConfig, Outcome
from store_server.payments.sandbox import crypto
from store_server.payments.sandbox.app import create_app, get_gateway
from store_server.payments.sandbox.trades import SELLER_ID, SandboxGateway

APP_ID = "2021000000000042"

# Fast clocks for the sandbox: notifications retry within a second, sweeps are frequent.
SANDBOX_TEST_CONFIG = {
    "NOTIFY_RETRY_DELAYS": [0.05, 0.1, 0.2],
    "NOTIFY_TIMEOUT": 2.0,
    "CONFIRM_TIMEOUT": 30.0,
    "SWEEP_INTERVAL": 0.1,
}


class LiveServer:
    """A WSGI app served by werkzeug on 127.0.0.1 with an ephemeral port, in a thread."""

    def __init__(self, app: Any) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        # A short poll interval makes shutdown (once per test) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Sandbox:
    url: str
    app: Any
    gateway: SandboxGateway
    admin: requests.Session = field(default_factory=requests.Session)

    @property
    def gateway_url(self) -> str:
        return self.url + "/gateway.do"

    def faults(self, **switches: Any) -> dict[str, Any]:
        response = self.admin.post(self.url + "/_sandbox/faults", json=switches, timeout=5)
        response.raise_for_status()
        return response.json()

    def trade(self, out_trade_no: str) -> dict[str, Any] | None:
        response = self.admin.get(f"{self.url}/_sandbox/trades/{out_trade_no}", timeout=5)
        return response.json() if response.status_code == 200 else None

    def wait_for_trade(self, out_trade_no: str, timeout: float = 5.0) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            trade = self.trade(out_trade_no)
            if trade is not None:
                return trade
            time.sleep(0.01)
        raise AssertionError(f"trade {out_trade_no} never appeared on the gateway")

    def notifications(self, out_trade_no: str | None = None) -> list[dict[str, Any]]:
        params = {"out_trade_no": out_trade_no} if out_trade_no else {}
        response = self.admin.get(self.url + "/_sandbox/notifications", params=params, timeout=5)
        return response.json()["notifications"]


class Receiver:
    """The merchant's notify_url: records every form POSTed and answers what ``handler`` says."""

    def __init__(self) -> None:
        self.forms: list[dict[str, str]] = []
        self.answers: list[str] = []
        self.handler: Callable[[dict[str, str]], str] = lambda form: "success"
        self._cond = threading.Condition()
        self._server = LiveServer(self._wsgi)
        self.url = self._server.url + "/notify"

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        form = {k: request.form[k] for k in request.form}
        answer = self.handler(form)
        with self._cond:
            self.forms.append(form)
            self.answers.append(answer)
            self._cond.notify_all()
        return Response(answer, mimetype="text/plain")(environ, start_response)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, str]]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.forms) >= count, timeout=timeout):
                raise AssertionError(f"expected {count} notifications, got {len(self.forms)}")
            return list(self.forms)

    def settle(self, quiet: float = 0.3) -> list[dict[str, str]]:
        """All forms once nothing new has arrived for ``quiet`` seconds."""
        last = -1
        while True:
            with self._cond:
                if len(self.forms) == last:
                    return list(self.forms)
                last = len(self.forms)
            time.sleep(quiet)

    def stop(self) -> None:
        self._server.stop()


@pytest.fixture(scope="session")
def gateway_private_key() -> Any:
    return crypto.generate_private_key()


@pytest.fixture(scope="session")
def merchant_private_key() -> Any:
    return crypto.generate_private_key()


@pytest.fixture
def sandbox(gateway_private_key: Any, merchant_private_key: Any) -> Iterator[Sandbox]:
    app = create_app(
        {
            **SANDBOX_TEST_CONFIG,
            "GATEWAY_PRIVATE_KEY": crypto.private_key_pem(gateway_private_key),
            "APPS": {APP_ID: crypto.public_key_pem(merchant_private_key)},
        }
    )
    server = LiveServer(app)
    yield Sandbox(url=server.url, app=app, gateway=get_gateway(app))
    server.stop()
    get_gateway(app).close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


@dataclass
class RecordedCall:
    method: str
    request: dict[str, str]
    raw: str
    outcome: Outcome


@pytest.fixture
def recorded() -> list[RecordedCall]:
    return []


@pytest.fixture
def make_client(
    sandbox: Sandbox,
    receiver: Receiver,
    recorded: list[RecordedCall],
    gateway_private_key: Any,
    merchant_private_key: Any,
) -> Callable[..., AlipayGateway]:
    def make(
        recorder: Callable[..., None] | None = None,
        session: requests.Session | None = None,
        **overrides: Any,
    ) -> AlipayGateway:
        values: dict[str, Any] = {
            "gateway_url": sandbox.gateway_url,
            "app_id": APP_ID,
            "merchant_private_key": crypto.private_key_pem(merchant_private_key),
            "gateway_public_key": crypto.public_key_pem(gateway_private_key),
            "notify_url": receiver.url,
            "read_timeout": 3.0,
        }
        values.update(overrides)
        return AlipayGateway(
            GatewayConfig(**values),
            recorder=recorder or (lambda *args: recorded.append(RecordedCall(*args))),
            session=session,
        )

    return make


@pytest.fixture
def client(make_client: Callable[..., AlipayGateway]) -> AlipayGateway:
    return make_client()


@pytest.fixture
def app_id() -> str:
    return APP_ID


@pytest.fixture
def order_no() -> Callable[[], str]:
    """Fresh out_trade_no values, as the server would make one per payment attempt."""
    return lambda: "T" + uuid.uuid4().hex[:20].upper()


# --------------------------------------------------------------------------- the store server


@dataclass
class Shop:
    """The store server (on a real port, so the sandbox's notifications reach it) wired to the
    sandbox gateway, with the test chain loaded."""

    chain: Any
    sandbox: Sandbox
    url: str

    @property
    def payments(self) -> Any:
        from store_server.payments.api import payments_of_app

        with self.chain.app.app_context():
            return payments_of_app()

    def api(self, who: str | None = None) -> Any:
        return self.chain.api(who)

    def place_order(self, lines: list[dict[str, Any]] | None = None, store: str = "SHA-JINQIAO") -> dict:
        """A pickup order in Shanghai (CNY, the currency the Alipay app charges)."""
        response = self.api("admin").post("/orders", json={
            "fulfilment": "pickup", "store": store,
            "lines": lines or [{"sku": "TEA", "quantity": 2}]})
        assert response.status_code == 201, response.json
        return response.json

    def pay(self, who: str, **body: Any) -> Any:
        return self.api(who).post("/payments", json=body)

    def wait(self, who: str, payment: dict, seconds: float = 10, **params: Any) -> dict:
        response = self.api(who).get(f"/payments/{payment['id']}", wait=seconds, **params)
        assert response.status_code == 200, response.json
        return response.json

    def wait_for_status(self, who: str, payment: dict, status: str, timeout: float = 15) -> dict:
        end = time.monotonic() + timeout
        doc = payment
        while time.monotonic() < end:
            doc = self.wait(who, doc, seconds=min(5, timeout), status=doc["status"])
            if doc["status"] == status:
                return doc
        raise AssertionError(f"payment stayed {doc['status']}, expected {status}: {doc}")

    def order(self, number: str) -> dict:
        response = self.api("admin").get(f"/orders/{number}")
        assert response.status_code == 200, response.json
        return response.json

    def jobs_done(self, timeout: float = 30) -> None:
        """Wait until the worker has no payment job due or in hand (a charge has ended)."""
        from sqlalchemy import func, select

        from store_server.db import utcnow
        from store_server.jobs.models import Job

        end = time.monotonic() + timeout
        with self.chain.app.extensions["plaza"].session_factory() as session:
            while True:
                left = session.scalar(select(func.count()).where(
                    Job.kind.in_(PAYMENT_JOBS), Job.status == "pending", Job.run_at <= utcnow()))
                session.rollback()
                if not left:
                    return
                if time.monotonic() > end:
                    raise AssertionError(f"{left} payment jobs still to run")
                time.sleep(0.02)


# The jobs a payments test's worker runs: charges and QR closes, not expiry (tests time that).
PAYMENT_JOBS = ("payments.charge_code", "payments.close_qr")


SERVER_PAYMENT_CONFIG = {
    "PLAZA_PAYMENT_POLL_INTERVAL": 0.1,
    "PLAZA_PAYMENT_POLL_LIMIT": 3.0,
    "PLAZA_PAYMENT_CANCEL_RETRY_S": 0.05,
    "PLAZA_PAYMENT_QUERY_INTERVAL": 0.5,
    "PLAZA_PAYMENT_CREATE_WAIT": 3.0,
    "PLAZA_PAYMENT_QR_TIMEOUT_MINUTES": 5,
}


@pytest.fixture
def chain(app: Any, session: Any) -> Any:
    from tests.server.factories import build_chain

    return build_chain(app, session)


@contextmanager
def _serving_shop(chain: Any, sandbox: Sandbox, gateway_private_key: Any,
                  merchant_private_key: Any) -> Iterator[Shop]:
    """The store server on a loopback port, wired to the sandbox."""
    from store_server.payments.api import EXTENSION

    app = chain.app
    server = LiveServer(app)
    app.config.update({
        **SERVER_PAYMENT_CONFIG,
        "PLAZA_ALIPAY_GATEWAY_URL": sandbox.gateway_url,
        "PLAZA_ALIPAY_APP_ID": APP_ID,
        "PLAZA_ALIPAY_SELLER_ID": SELLER_ID,
        "PLAZA_ALIPAY_PRIVATE_KEY": crypto.private_key_pem(merchant_private_key),
        "PLAZA_ALIPAY_PUBLIC_KEY": crypto.public_key_pem(gateway_private_key),
        "PLAZA_ALIPAY_NOTIFY_URL": server.url + "/api/v1/payments/notify/alipay",
        "PLAZA_ALIPAY_READ_TIMEOUT": 3.0,
    })
    try:
        yield Shop(chain=chain, sandbox=sandbox, url=server.url)
    finally:
        app.extensions.pop(EXTENSION, None)
        # Let the sandbox stop notifying before the database goes away.
        get_gateway(sandbox.app).close()
        server.stop()


@pytest.fixture
def bare_shop(chain: Any, sandbox: Sandbox, gateway_private_key: Any,
              merchant_private_key: Any) -> Iterator[Shop]:
    """The store server wired to the sandbox, with no worker: the test runs its own."""
    with _serving_shop(chain, sandbox, gateway_private_key, merchant_private_key) as shop:
        yield shop


@pytest.fixture
def shop(chain: Any, sandbox: Sandbox, gateway_private_key: Any,
         merchant_private_key: Any) -> Iterator[Shop]:
    """The store server wired to the sandbox, and a worker that charges payment codes and
    closes abandoned QRs as `store-server worker` does, in a thread of this process (the kill
    tests run real worker processes instead)."""
    with _serving_shop(chain, sandbox, gateway_private_key, merchant_private_key) as shop:
        app = chain.app
        worker = Worker(Services(app.config, app.extensions["plaza"].session_factory, lambda: shop.payments),
                        WorkerSettings(threads=8, lease_s=10, poll_s=0.02), kinds(list(PAYMENT_JOBS)),
                        name="payments-test-worker")
        thread = threading.Thread(target=worker.run, name="payments-test-worker", daemon=True)
        thread.start()
        try:
            yield shop
        finally:
            worker.stop()  # the charges in hand finish first
            thread.join(timeout=60)
        assert not thread.is_alive(), "the payments worker did not stop"
