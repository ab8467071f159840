"""``store-server demo run``: the whole demo chain on one machine, with its URLs printed.

It migrates the SQLite database in the instance folder, loads the demo chain once, and
starts the server (gunicorn, two workers) with its companions: one background worker (order
expiry, webhooks, payment-code charges, closing abandoned QRs), the virtual receipt printer
and the payment sandbox gateway. Ctrl-C stops them all.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from sqlalchemy import select

from retail.gs1 import digital_link
from store_server import create_app
from store_server.accounts.models import User
from store_server.api.auth import Principal
from store_server.config import instance_path
from store_server.demo.catalogue import demo_catalogue
from store_server.demo.load import load_demo
from store_server.devices.service import DeviceIn, enrol_device
from store_server.migrate import upgrade
from store_server.monitoring.logs import configure_logging

PRINTER_PORT, PRINTER_PAGE_PORT, SANDBOX_PORT, TILL_PORT = 9100, 9101, 8700, 8765
DEMO_ALIPAY_CURRENCY = os.environ.get("PLAZA_ALIPAY_CURRENCY", "EUR")


def _bin(name: str) -> str:
    """A console script from this environment, whether or not it is on PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def _wait_for(url: str, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urlopen(url, timeout=1):
                return True
        except (URLError, OSError):
            time.sleep(0.2)
    return False


def _payment_env(env_file: Path, port: int) -> dict[str, str]:
    """``PLAZA_ALIPAY_*`` from the sandbox's env file, unless the environment sets them already."""
    values: dict[str, str] = {}
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and not line.startswith("#") and not os.environ.get(name.strip()):
                values[name.strip()] = value.strip()
    values.setdefault("PLAZA_ALIPAY_NOTIFY_URL", os.environ.get(
        "PLAZA_ALIPAY_NOTIFY_URL", f"http://127.0.0.1:{port}/api/v1/payments/notify/alipay"))
    return values


def run_demo(host: str, port: int) -> None:
    if not os.environ.get("PLAZA_LOG_FORMAT"):
        configure_logging("text")  # a person reads this terminal
    folder = instance_path()
    app = create_app()
    plaza = app.extensions["plaza"]
    upgrade(plaza.engine)
    with plaza.session_factory() as session:
        summary = load_demo(session)
    plaza.engine.dispose()

    # Logs for the person watching the terminal: text, and no access lines (the till's feed
    # polls every 2 s would scroll the banner and its PINs away).
    env = {"PLAZA_LOG_FORMAT": "text", "PLAZA_ACCESS_LOG": "0", **os.environ, "PLAZA_INSTANCE": str(folder),
           "PLAZA_PUBLIC_URL": os.environ.get("PLAZA_PUBLIC_URL", f"http://{host}:{port}")}
    children = [
        subprocess.Popen([_bin("plaza-virtual-printer"), "--host", "127.0.0.1",
                          "--port", str(PRINTER_PORT), "--http-port", str(PRINTER_PAGE_PORT),
                          "--jobs-dir", str(folder / "printer-jobs")], env=env),
        # The demo's till sells in Madrid: the sandbox merchant is a cross-border account
        # pricing and settling in euros (one account, one currency), and its env file says so.
        subprocess.Popen([_bin("plaza-payment-sandbox"), "--host", "127.0.0.1",
                          "--port", str(SANDBOX_PORT), "--currency", DEMO_ALIPAY_CURRENCY,
                          "--state-dir", str(folder / "payment-sandbox")], env=env),
    ]
    # The sandbox writes plaza-payment.env before it listens; the server reads it from its
    # environment, with the notification URL pointing back at the server over loopback.
    _wait_for(f"http://127.0.0.1:{SANDBOX_PORT}/", 20)
    server_env = {**env, **_payment_env(folder / "payment-sandbox" / "plaza-payment.env", port)}
    # Threads as well as processes: a till waiting on a wallet payment long-polls for up to
    # 25 s, and must not hold a whole worker while the other tills and the shop wait.
    children.append(
        subprocess.Popen([_bin("gunicorn"), "-c", "python:store_server.gunicorn_conf",
                          "--workers", "2", "--threads", "8", "--bind", f"{host}:{port}",
                          "store_server:create_app()"], env=server_env))
    # The background jobs: a payment code the till scans is charged here, not in the web process.
    children.append(subprocess.Popen([_bin("store-server"), "worker"], env=server_env))

    def stop(*_args: object) -> None:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    base = f"http://{host}:{port}"
    if not _wait_for(f"{base}/healthz"):
        print("the server did not start; see the log above", file=sys.stderr)
        stop()
    _wait_for(f"http://127.0.0.1:{PRINTER_PAGE_PORT}/", 5)
    _wait_for(f"http://127.0.0.1:{SANDBOX_PORT}/", 5)
    children.append(_start_till(base, folder, env))
    _wait_for(f"http://127.0.0.1:{TILL_PORT}/", 60)
    _print_banner(base, folder, summary)
    while all(child.poll() is None for child in children):
        time.sleep(1)
    print("a demo process stopped; shutting the others down", file=sys.stderr)
    stop()


def _start_till(base: str, folder: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A Madrid till printing to the virtual printer, paired on first run like a real one."""
    data_dir = folder / "till-madrid"
    args = [_bin("pos-client"), "--server", base, "--data-dir", str(data_dir),
            "--printer", f"tcp://127.0.0.1:{PRINTER_PORT}", "--port", str(TILL_PORT)]
    # pos_client.config.TOKEN_FILE: named, not imported, since the server never imports clients.
    if not (data_dir / "device.json").exists():
        app = create_app()
        with app.extensions["plaza"].session_factory() as session:
            admin = session.execute(select(User).where(User.role == "admin")).scalars().first()
            assert admin is not None
            enrolled = enrol_device(session, DeviceIn(
                store="MAD-XANADU", kind="till", name="Till 1 (demo)",
                printer_url=f"tcp://127.0.0.1:{PRINTER_PORT}"),
                Principal("user", admin.id, "admin", None, admin.username))
        app.extensions["plaza"].engine.dispose()
        args += ["--pairing-code", enrolled["pairing_code"]]
    return subprocess.Popen(args, env=env)


def _print_banner(base: str, folder: Path, summary: dict[str, object]) -> None:
    people = json.loads((folder / "demo-credentials.json").read_text())
    admin = next(p for p in people if p["role"] == "admin")
    managers = [p for p in people if p["role"] == "manager"]
    cashier = next(p for p in people if p["username"] == "cashier1.xanadu")
    manager = next(p for p in people if p["username"] == "manager.xanadu")
    lines = [
        "",
        "Plaza demo chain is running",
        f"  catalogue          {summary.get('skus')} SKUs in {summary.get('locations')} locations",
        f"  back office        {base}/backoffice/   (admin / {admin['password']})",
        *[f"                     {m['username']} / {m['password']}" for m in managers],
        f"  API                {base}/api/v1/openapi.json",
        f"  product page       {digital_link(base, demo_catalogue()[0].skus[0].gtins[0])}"
        "  (what a shelf QR opens)",
        f"  virtual printer    tcp://127.0.0.1:{PRINTER_PORT}  jobs: http://127.0.0.1:{PRINTER_PAGE_PORT}/",
        f"  payment sandbox    http://127.0.0.1:{SANDBOX_PORT}/",
        "  background worker  store-server worker (expiry, webhooks, wallet charges)",
        f"  till (Madrid)      http://127.0.0.1:{TILL_PORT}/  (sign in: "
        f"{cashier['username']}, PIN {cashier['pin']}; manager PIN {manager['pin']})",
        f"  customer display   http://127.0.0.1:{TILL_PORT}/display",
        f"  credentials        {folder / 'demo-credentials.json'} (every PIN and password)",
        "Ctrl-C stops everything.",
        "",
    ]
    print("\n".join(lines), flush=True)
