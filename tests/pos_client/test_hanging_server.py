"""A server that accepts connections and never answers (a hung process, a wedged proxy) must
not freeze the till: it serves its page from its last sync at once, signs cashiers in against
the cached PIN hashes within seconds, and goes back to the server once a probe hears it."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from pos_client.server_api import ServerApi, Unreachable
from tests.pos_client.conftest import Plaza, TillProcess, wait_until


class HangingServer:
    """A TCP port that takes connections (the kernel completes the handshake) and never reads
    nor replies: what a till sees of a server process that is stuck."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(256)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"

    def close(self) -> None:
        self.socket.close()  # connections still queued are reset: the till's calls end at once


@pytest.fixture
def hanging_server() -> Iterator[HangingServer]:
    server = HangingServer()
    yield server
    server.close()


def _page_answers(till: TillProcess) -> bool:
    try:
        response = requests.get(till.url + "/", timeout=1)
    except requests.RequestException:
        return False
    return response.status_code == 200 and "<html" in response.text.lower()


def test_a_till_restarted_against_a_hanging_server_serves_and_signs_in_within_seconds(
        server_up: Plaza, till_factory: Any, hanging_server: HangingServer) -> None:
    till: TillProcess = till_factory("till-hang", "--sync-interval", "0.2")
    wait_until(lambda: (s := till.status())["online"] and s["catalogue_ready"], what="the first sync")
    assert till.get("/api/cashiers")  # the store's PIN hashes are on the till
    till.stop()

    # The same till (its data dir: token, replica, cashiers) restarted against a stuck server.
    till.args[till.args.index("--server") + 1] = hanging_server.url
    try:
        till.start(timeout=5)  # its status answers within 5 s of the process starting
        wait_until(lambda: _page_answers(till), timeout=5, what="the till's page")
        # The sign-in answers within 5 s (or the request times out and the test fails).
        response = requests.post(till.url + "/api/login", timeout=5,
                                 json={"username": "cashier1.xanadu", "pin": till.pins["cashier1.xanadu"]})
        assert response.status_code == 200, response.text
        assert response.json()["cashier"]["username"] == "cashier1.xanadu"
        status = till.status()
        assert status["online"] is False and status["catalogue_ready"]
        assert status["alipay"] is False  # the screen disables what needs the server

        # The next cashier does not wait for the server either, nor does a wrong PIN.
        response = requests.post(till.url + "/api/login", timeout=5,
                                 json={"username": "cashier2.xanadu", "pin": till.pins["cashier2.xanadu"]})
        assert response.status_code == 200, response.text
        wrong = "000000" if till.pins["cashier2.xanadu"] != "000000" else "111111"
        response = requests.post(till.url + "/api/login", timeout=5,
                                 json={"username": "cashier2.xanadu", "pin": wrong})
        assert response.status_code == 401 and response.json()["code"] == "bad-pin"
    finally:
        hanging_server.close()  # before stopping the till: its sync call ends, so it stops at once
        till.stop()


class _Server(BaseHTTPRequestHandler):
    """Answers every request with JSON, or holds it unanswered while ``hang`` is set."""

    hang = threading.Event()
    release = threading.Event()
    paths: list[str] = []

    def _answer(self) -> None:
        type(self).paths.append(self.path)
        if self.hang.is_set():
            self.release.wait(30)
            return
        body = json.dumps({"username": "ana", "display_name": "Ana", "role": "cashier", "status": "ok"})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def flaky_server() -> Iterator[tuple[str, type[_Server]]]:
    handler = type("Handler", (_Server,), {"hang": threading.Event(), "release": threading.Event(),
                                           "paths": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    handler.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_the_breaker_keeps_cashier_calls_off_a_silent_server_until_a_probe_hears_it(
        flaky_server: tuple[str, type[_Server]], tmp_path: Path) -> None:
    url, server = flaky_server
    api = ServerApi(url, token="t")
    closed = threading.Event()
    api.breaker.on_close.append(closed.set)
    try:
        assert api.sign_in("ana", "1234")["username"] == "ana"
        server.hang.set()
        with pytest.raises(Unreachable):  # this one waits for the short timeout
            api.sign_in("ana", "1234")
        assert api.breaker.open
        asked = server.paths.count("/api/v1/auth/pin")
        for _ in range(3):  # the breaker is open: not asked at all, so no wait
            with pytest.raises(Unreachable) as failure:
                api.sign_in("ana", "1234")
            assert failure.value.code == "not-answering"
        with pytest.raises(Unreachable):
            api.identify_member("PLAZA-M1:x.y")
        assert server.paths.count("/api/v1/auth/pin") == asked
        assert "/api/v1/customers/identify" not in server.paths
        wait_until(lambda: "/healthz" in server.paths, timeout=10, what="the probe to ask")

        server.hang.clear()  # the server answers again; the probe hears it
        server.release.set()
        assert closed.wait(15), "the probe never closed the breaker"
        assert not api.breaker.open
        assert api.sign_in("ana", "1234")["username"] == "ana"
    finally:
        server.release.set()
        api.close()
