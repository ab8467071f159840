"""Fixtures for the till runtime: a real store server (gunicorn, SQLite file, the demo chain)
that tests may stop, kill and start again on the same port, wired to the payment sandbox
gateway (its own process, as in the demo); tills paired with it, with helpers to sign a
cashier in and open the drawer's session; and a virtual receipt printer."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import requests

from retail.gs1 import with_check_digit

# A hake sold by weight at the fish counter, whose scale prints Spanish price-embedded labels:
# 2 + item 100421 ... the catalogue keys it by the label with the price zeroed.
SCALE_ITEM = "2100421"
SCALE_GTIN = with_check_digit(SCALE_ITEM + "00000")
HAKE_PER_KG = 1290
AUDIO_PROMOTION = {
    "id": "AUDIO-15", "kind": "percent_off", "name": {"es": "15% en audio", "en": "15% off audio"},
    "percent": "15", "target": {"kind": "category", "values": ["electronics/audio"]},
    "stacking": "combinable", "locations": ["MAD-XANADU"],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Any, timeout: float = 20.0, every: float = 0.05, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


class ServerProcess:
    """gunicorn serving the store server; stop, kill and start it again on the same port."""

    def __init__(self, database_url: str, instance: Path, port: int,
                 extra_env: dict[str, str] | None = None) -> None:
        self.database_url, self.instance, self.port = database_url, instance, port
        self.url = f"http://127.0.0.1:{port}"
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": self.database_url, "PLAZA_INSTANCE": str(self.instance),
               "PLAZA_SECRET_KEY": "till-tests", "PLAZA_PUBLIC_URL": "https://plaza.test",
               **self.extra_env}
        # Its own process group, so a SIGKILL takes the master and its workers at once, as a
        # machine losing power would.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "8",  # as in the demo
             "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "store_server:create_app()"], env=env, start_new_session=True)
        wait_until(self._healthy, 30, 0.1, "the store server to start")

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError("the store server exited while starting")
        try:
            return requests.get(self.url + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def send(self, sig: int) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, sig)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if not self.running:
            return
        assert self.process is not None
        self.send(sig)
        self.process.wait(timeout=15)
        if sig == signal.SIGKILL:
            time.sleep(0.2)  # workers die with the group; let the port go


class SandboxProcess:
    """``plaza-payment-sandbox``: the Alipay gateway the server talks to, and the shopper's
    wallet (opening a QR's page is the scan; its form approves)."""

    def __init__(self, state_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state_dir = state_dir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        executable = Path(sys.executable).with_name("plaza-payment-sandbox")
        # Madrid sells in euros: the merchant is a cross-border account pricing in EUR.
        self.process = subprocess.Popen([str(executable), "--host", "127.0.0.1", "--port", str(self.port),
                                         "--currency", "EUR", "--state-dir", str(self.state_dir)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, 30, 0.1, "the payment sandbox to start")

    def _answers(self) -> bool:
        try:
            return requests.get(self.url + "/_sandbox/info", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def server_env(self, server_url: str) -> dict[str, str]:
        """``PLAZA_ALIPAY_*`` for the server, from the env file the sandbox wrote (its merchant
        prices in euros, and the file says so)."""
        env = {}
        for line in (self.state_dir / "plaza-payment.env").read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and not line.startswith("#"):
                env[name.strip()] = value.strip()
        return {**env, "PLAZA_ALIPAY_NOTIFY_URL": f"{server_url}/api/v1/payments/notify/alipay",
                "PLAZA_PAYMENT_QUERY_INTERVAL": "0.5",
                "PLAZA_PAYMENT_POLL_INTERVAL": "0.2", "PLAZA_PAYMENT_CREATE_WAIT": "3",
                "PLAZA_ALIPAY_READ_TIMEOUT": "2"}

    def pay(self, qr_code: str) -> None:
        """The shopper scans the till's QR with the wallet and approves."""
        assert requests.get(qr_code, timeout=10).status_code == 200
        response = requests.post(qr_code, data={"action": "approve"}, timeout=10)
        assert response.status_code == 200, response.text

    def send(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


# A payment code the sandbox approves at once (store_server/payments/sandbox/trades.py).
WALLET_CODE_PAYS_NOW = "286600000000000001"


@dataclass
class Plaza:
    server: ServerProcess
    database_path: Path
    admin_token: str
    pins: dict[str, str]  # the demo staff's PINs, by username
    sandbox: SandboxProcess

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.admin_token}", "Idempotency-Key": str(uuid.uuid4())}
        return requests.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=30, **kwargs)

    def enrol_till(self, name: str, store: str = "MAD-XANADU") -> str:
        """A pairing code for a new till, as the manager reads it off the back office."""
        response = self.api("POST", "/devices", json={"store": store, "kind": "till", "name": name})
        assert response.status_code == 201, response.text
        return response.json()["pairing_code"]

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.database_path, timeout=30) as db:
            return db.execute(query, args).fetchall()

    def sales_of_device(self, device_id: int) -> tuple[int, int]:
        """(orders, distinct sale UUIDs) the server recorded from this till."""
        [(orders, uuids)] = self.sql("SELECT count(*), count(DISTINCT client_uuid) FROM customer_order "
                                     "WHERE device_id = ?", device_id)
        return orders, uuids

    def on_hand(self, sku: str, store: str = "MAD-XANADU") -> int:
        response = self.api("GET", f"/locations/{store}/stock/{sku}")
        assert response.status_code == 200, response.text
        return response.json()["on_hand"]

    def verify(self) -> int:
        response = self.api("GET", "/inventory/verify")
        assert response.status_code == 200, response.text
        return response.json()["discrepancies"]


def _build_database(folder: Path) -> tuple[str, Path, str]:
    """The demo chain plus a weighed item with scale labels and a promotion; an admin token."""
    os.environ.setdefault("PLAZA_ARGON2_PROFILE", "CHEAPEST")
    from store_server import create_app
    from store_server.accounts.service import check_password, issue_user_token
    from store_server.catalog.service import PriceIn, PricesIn, ProductIn, SkuIn, add_product, set_prices
    from store_server.demo.load import load_demo
    from store_server.models import metadata
    from store_server.promotions.service import create_promotion

    path = folder / "plaza.sqlite3"
    instance = folder / "instance"
    url = f"sqlite:///{path}"
    app = create_app({"INSTANCE_PATH": instance, "DATABASE_URL": url, "SECRET_KEY": "till-tests",
                      "PUBLIC_URL": "https://plaza.test"})
    engine = app.extensions["plaza"].engine
    metadata.create_all(engine)
    with mock.patch.dict(os.environ, {"PLAZA_INSTANCE": str(instance)}), \
            app.extensions["plaza"].session_factory() as session:
        summary = load_demo(session)
        add_product(session, ProductIn(
            code="SCALE-HAKE", brand="Lonja de Vigo", category="grocery/fresh-fish",
            names={"es": "Merluza del Cantábrico", "en": "Cantabrian hake"},
            skus=[SkuIn(code="SCALE-HAKE", gtins=[SCALE_GTIN], sold_by="weight", tax_class="reduced")]))
        set_prices(session, "EU-EUR", PricesIn(prices=[PriceIn(sku="SCALE-HAKE", amount=HAKE_PER_KG)]))
        create_promotion(session, AUDIO_PROMOTION, "tests")
        people = json.loads(Path(summary["credentials_file"]).read_text())
        admin = next(p for p in people if p["role"] == "admin")
        token = issue_user_token(session, check_password(session, "admin", admin["password"]))["token"]
    engine.dispose()
    return url, instance, token


def staff_pins(instance: Path) -> dict[str, str]:
    """The demo staff's PINs (generated by the demo loader, kept in the instance folder)."""
    people = json.loads((instance / "demo-credentials.json").read_text())
    return {p["username"]: p["pin"] for p in people if p.get("pin")}


@pytest.fixture(scope="session")
def plaza(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plaza]:
    folder = tmp_path_factory.mktemp("plaza-server")
    url, instance, token = _build_database(folder)
    pins = staff_pins(instance)
    sandbox = SandboxProcess(folder / "payment-sandbox")
    sandbox.start()
    port = free_port()
    server = ServerProcess(url, instance, port, sandbox.server_env(f"http://127.0.0.1:{port}"))
    server.start()
    # The background worker (payment-code charges, QR closing, expiry), as beside any server.
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("store-server")), "worker"],
        env={**os.environ, "DATABASE_URL": url, "PLAZA_INSTANCE": str(instance),
             "PLAZA_SECRET_KEY": "till-tests", "PLAZA_WORKER_POLL_S": "0.05",
             **sandbox.server_env(f"http://127.0.0.1:{port}")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield Plaza(server, folder / "plaza.sqlite3", token, pins, sandbox)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        server.stop()
        sandbox.stop()


@pytest.fixture
def server_up(plaza: Plaza) -> Iterator[Plaza]:
    """The server running when the test starts and again when it ends (tests stop it)."""
    if not plaza.server.running:
        plaza.server.start()
    yield plaza
    if plaza.server.running:
        plaza.server.send(signal.SIGCONT)  # a test that paused it and then failed
    else:
        plaza.server.start()


class TillProcess:
    """``python -m pos_client.agent`` in its own process, as the till runs it."""

    def __init__(self, server_url: str, data_dir: Path, pairing_code: str, *extra: str,
                 pins: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        printer = [] if "--printer" in extra else ["--printer", "dummy:"]
        self.args = [sys.executable, "-m", "pos_client.agent", "--server", server_url,
                     "--data-dir", str(data_dir), "--pairing-code", pairing_code,
                     "--port", str(self.port), *printer, *extra]
        self.pins = pins or {}
        self.log = data_dir.parent / f"{data_dir.name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._answers, timeout, 0.05, "the till agent to start")

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"the till agent exited: {self.log.read_text()[-2000:]}")
        try:
            return requests.get(self.url + "/api/status", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def send(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def kill(self) -> None:
        self.send(signal.SIGKILL)
        assert self.process is not None
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def get(self, path: str) -> Any:
        response = requests.get(self.url + path, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict[str, Any] | None = None, expect: int = 200) -> Any:
        response = requests.post(self.url + path, json=body or {}, timeout=10)
        assert response.status_code == expect, response.text
        return response.json()

    def delete(self, path: str, expect: int = 200) -> Any:
        response = requests.delete(self.url + path, timeout=10)
        assert response.status_code == expect, response.text
        return response.json()

    def status(self) -> dict[str, Any]:
        return self.get("/api/status")

    def sign_in(self, username: str = "cashier1.xanadu") -> dict[str, Any]:
        return self.post("/api/login", {"username": username, "pin": self.pins[username]})

    def start_shift(self, username: str = "cashier1.xanadu", float_amount: int = 10000) -> dict[str, Any]:
        """A cashier signs in and opens the drawer's session with a float (once per till)."""
        self.sign_in(username)
        if self.status()["session"] is None:
            self.post("/api/session/open", {"float": float_amount})
        return self.status()


@pytest.fixture
def till_factory(tmp_path: Path, plaza: Plaza) -> Iterator[Any]:
    """Start till agents for this test; each is stopped at the end."""
    tills: list[TillProcess] = []

    def start(name: str, *extra: str) -> TillProcess:
        till = TillProcess(plaza.url, tmp_path / name, plaza.enrol_till(name), *extra, pins=plaza.pins)
        till.start()
        tills.append(till)
        return till

    yield start
    for till in tills:
        till.stop()


@dataclass
class LocalTill:
    """The till's runtime pieces in this process, paired with the live server."""

    config: Any
    api: Any
    replica: Any
    outbox: Any
    device_id: int


@pytest.fixture
def local_till(tmp_path: Path, server_up: Plaza) -> Iterator[LocalTill]:
    from pos_client.agent import pair
    from pos_client.config import TillConfig
    from pos_client.outbox import Outbox
    from pos_client.replica import Replica
    from pos_client.server_api import ServerApi

    config = TillConfig(server_url=server_up.url, data_dir=tmp_path / "till",
                        pairing_code=server_up.enrol_till(f"local-{tmp_path.name}"))
    api = ServerApi(config.server_url)
    credentials = pair(config, api)
    api.token = credentials.token
    till = LocalTill(config, api, Replica(config.replica_path), Outbox(config.outbox_path),
                     int(credentials.device["id"]))
    yield till
    till.api.close()
    till.replica.close()
    till.outbox.close()


@pytest.fixture
def virtual_printer(tmp_path: Path) -> Iterator[Any]:
    """A network receipt printer that decodes what it is sent (hardware.virtual_printer)."""
    from hardware.virtual_printer import VirtualPrinter

    with VirtualPrinter(host="127.0.0.1", port=0, jobs_dir=tmp_path / "printer-jobs") as printer:
        yield printer


def printed(printer: Any, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
    """The printer's jobs once there are ``count`` of them."""
    assert printer.store.wait_for(lambda jobs: len(jobs) >= count, timeout=timeout), \
        f"expected {count} print jobs, got {len(printer.jobs)}"
    return [job.as_dict() for job in printer.jobs]
