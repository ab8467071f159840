"""What every benchmark needs: a database with the demo chain, a server process, load.

Load comes from ``wrk`` when it is installed (Debian package ``wrk``: light enough to leave
the server most of the two cores) and otherwise from a Python generator in a second process.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import psycopg

from store_server import create_app
from store_server.accounts.service import check_password, issue_user_token
from store_server.api.auth import Principal
from store_server.demo.load import load_demo, load_large_catalogue
from store_server.devices.service import DeviceIn, PairIn, enrol_device, pair_device
from store_server.migrate import upgrade

PG_ADMIN_URL = os.environ.get("PLAZA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
VENV_BIN = Path(sys.executable).parent


@dataclass
class Setup:
    database_url: str
    instance: Path
    admin_token: str
    till_token: str
    seconds_to_load: float


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def database(kind: str) -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="plaza-bench-"))
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'plaza.sqlite3'}"
        shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"plaza_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(database_url: str, extra_skus: int) -> Setup:
    """Migrate, load the demo chain and ``extra_skus`` generated SKUs, pair a Madrid till."""
    instance = Path(tempfile.mkdtemp(prefix="plaza-bench-instance-"))
    os.environ["PLAZA_INSTANCE"] = str(instance)
    app = create_app({"INSTANCE_PATH": instance, "DATABASE_URL": database_url})
    plaza = app.extensions["plaza"]
    upgrade(plaza.engine)
    started = time.perf_counter()
    with plaza.session_factory() as session:
        summary = load_demo(session)
        if extra_skus:
            load_large_catalogue(session, extra_skus, "MAD-XANADU")
        people = json.loads(Path(summary["credentials_file"]).read_text())
        admin = next(p for p in people if p["role"] == "admin")
        user = check_password(session, "admin", admin["password"])
        admin_token = issue_user_token(session, user)["token"]
        who = Principal("user", user.id, "admin", None, "admin")
        code = enrol_device(session, DeviceIn(store="MAD-XANADU", kind="till", name="bench till"),
                            who)["pairing_code"]
        till_token = pair_device(session, PairIn(code=code))["token"]
    elapsed = time.perf_counter() - started
    plaza.engine.dispose()
    return Setup(database_url, instance, admin_token, till_token, elapsed)


@contextmanager
def server(setup: Setup, workers: int = 2, threads: int = 1) -> Iterator[str]:
    """gunicorn serving the store server on a free port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": setup.database_url, "PLAZA_INSTANCE": str(setup.instance)}
    args = [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
            "--log-level", "warning"]
    if threads > 1:
        args += ["--worker-class", "gthread", "--threads", str(threads)]
    process = subprocess.Popen([*args, "store_server:create_app()"], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("gunicorn did not start")
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class LoadResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    tool: str

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def line(self) -> str:
        return (f"{self.per_second:8.0f} req/s  p50 {self.p50_ms:6.2f} ms  p99 {self.p99_ms:6.2f} ms"
                f"  errors {self.errors}  ({self.requests} requests, {self.tool})")


def load(base: str, paths: list[str], token: str, clients: int, seconds: float,
         bodies: list[str] | None = None) -> LoadResult:
    """GET ``paths`` (or POST ``bodies`` to ``paths[0]``) from ``clients`` connections."""
    if shutil.which("wrk"):
        return _wrk(base, paths, token, clients, seconds, bodies)
    return _python_load(base, paths, token, clients, seconds, bodies)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(base: str, paths: list[str], token: str, clients: int, seconds: float,
         bodies: list[str] | None) -> LoadResult:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    headers = f'{{["Authorization"] = "Bearer {token}", ["Content-Type"] = "application/json"}}'
    if bodies:
        # Each wrk thread starts at its own offset so two threads never send the same body.
        script.write_text(
            "local bodies = {" + ",".join(json.dumps(b) for b in bodies) + "}\n"
            "local i = 0\n"
            "setup = function(thread) thread:set('offset', math.random(#bodies)) end\n"
            "request = function()\n  i = i + 1\n"
            "  local n = (i + (offset or 0)) % #bodies + 1\n"
            f'  return wrk.format("POST", {json.dumps(paths[0])}, {headers}, bodies[n])\nend\n'
        )
    else:
        sample = random.Random(1).sample(paths, min(len(paths), 5000))
        script.write_text(
            "local paths = {" + ",".join(json.dumps(p) for p in sample) + "}\n"
            "local i = 0\n"
            "request = function()\n  i = i % #paths + 1\n"
            f'  return wrk.format("GET", paths[i], {headers})\nend\n'
        )
    out = subprocess.run(
        ["wrk", "-t", str(min(2, clients)), "-c", str(clients), "-d", f"{int(seconds)}s",
         "--latency", "-s", str(script), base], capture_output=True, text=True, check=True).stdout
    script.unlink()

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")

    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return LoadResult(total, seconds, int(errors.group(1)) if errors else 0,
                      latency("50"), latency("99"), "wrk")


def _python_load(base: str, paths: list[str], token: str, clients: int, seconds: float,
                 bodies: list[str] | None) -> LoadResult:
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        conn = HTTPConnection(host, int(port), timeout=10)
        mine, bad = [], 0
        while time.monotonic() < stop:
            t = time.perf_counter()
            try:
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                if bodies:
                    conn.request("POST", paths[0], body=rng.choice(bodies), headers=headers)
                else:
                    conn.request("GET", rng.choice(paths), headers=headers)
                response = conn.getresponse()
                response.read()
                bad += response.status >= 300
            except OSError:
                bad += 1
                conn = HTTPConnection(host, int(port), timeout=10)
            mine.append((time.perf_counter() - t) * 1000)
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    q = statistics.quantiles(latencies, n=100)
    return LoadResult(len(latencies), seconds, errors, q[49], q[98], "python client")


def get_json(base: str, path: str, token: str) -> Any:
    host, port = base.removeprefix("http://").split(":")
    conn = HTTPConnection(host, int(port), timeout=120)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {body[:300]!r}")
    return json.loads(body)
