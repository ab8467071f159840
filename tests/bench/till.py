"""Till benchmark: first sync of a big catalogue over HTTP, scan-to-line in the agent, and the
drain of a long offline day's outbox.

``python -m tests.bench till [--skus 100000]``: the demo chain plus generated SKUs on SQLite,
gunicorn with two workers, the till agent in its own process on the same machine (two cores:
the figures include the server and the till competing for them).
"""

from __future__ import annotations

import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import orjson

from pos_client.config import Credentials, TillConfig, save_credentials
from pos_client.outbox import Outbox
from pos_client.replica import Replica, sync_catalogue
from pos_client.sale import Sale, SaleError
from pos_client.server_api import ServerApi
from tests.bench.harness import database, free_port, prepare, server

SCANS = 2000
BASKET = 20  # scans per sale before a new one starts, as at a supermarket till
DRAIN_SALES = 10_000


class _Collect:
    """Stands in for the outbox while the benchmark makes its sales: the bodies go in at once."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def add(self, body: dict[str, Any]) -> str:
        self.bodies.append(body)
        return str(body["uuid"])


def run(skus: int) -> None:
    with database("sqlite") as url:
        setup = prepare(url, skus)
        print(f"till: demo chain + {skus:,} SKUs loaded in {setup.seconds_to_load:.1f} s")
        with server(setup) as base:
            folder = Path(tempfile.mkdtemp(prefix="plaza-bench-till-"))
            config = TillConfig(server_url=base, data_dir=folder, port=free_port())
            save_credentials(config, Credentials(setup.till_token, {"store": "MAD-XANADU",
                                                                    "name": "bench till"}))
            gtins = _first_sync(config, setup.till_token)
            agent = _start_agent(config)
            try:
                _start_shift(config.port, setup.instance)
                _scan_to_line(config.port, gtins)
                _scan_to_line_in_browser(config.port, gtins)
                _drain(config, agent)
            finally:
                agent.terminate()
                agent.wait(timeout=10)
                shutil.rmtree(folder, ignore_errors=True)


def _first_sync(config: TillConfig, token: str) -> list[str]:
    replica = Replica(config.replica_path)
    api = ServerApi(config.server_url, token)
    started = time.perf_counter()
    applied = sync_catalogue(replica, api)
    seconds = time.perf_counter() - started
    counts = replica.counts()
    size = config.replica_path.stat().st_size / 1e6
    print(f"first sync: {counts['sku']:,} SKUs ({applied:,} items and events) over HTTP in "
          f"{seconds:.1f} s  ({counts['sku'] / seconds:,.0f} SKUs/s, replica {size:.0f} MB)")
    lookups = [g for (g,) in replica._db().execute("SELECT gtin FROM gtin ORDER BY random() LIMIT 5000")]
    _lookup_speed(replica, lookups)
    replica.close()
    return [g[1:] if g.startswith("0") else g for g in lookups]


def _lookup_speed(replica: Replica, gtins: list[str]) -> None:
    started = time.perf_counter()
    for gtin in gtins:
        replica.by_gtin(gtin)
    per_gtin = (time.perf_counter() - started) / len(gtins) * 1000
    started = time.perf_counter()
    for word in ("smartphone", "cable", "auriculares", "té", "salmon", "black 5"):
        replica.search(word)
    per_search = (time.perf_counter() - started) / 6 * 1000
    print(f"replica lookups: by GTIN {per_gtin:.3f} ms, name search {per_search:.2f} ms")


def _start_agent(config: TillConfig) -> subprocess.Popen[bytes]:
    port = config.port
    agent = subprocess.Popen([sys.executable, "-m", "pos_client.agent", "--server", config.server_url,
                              "--data-dir", str(config.data_dir), "--port", str(port)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _call(port, "GET", "/api/status")[0] == 200:
                return agent
        except OSError:
            time.sleep(0.1)
    agent.kill()
    raise RuntimeError("the till agent did not start")


def _start_shift(port: int, instance: Path) -> None:
    """A cashier signs in with the PIN the demo loader generated and opens the drawer."""
    people = orjson.loads((instance / "demo-credentials.json").read_bytes())
    pin = next(p["pin"] for p in people if p["username"] == "cashier1.xanadu")
    for path, body in (("/api/login", {"username": "cashier1.xanadu", "pin": pin}),
                       ("/api/session/open", {"float": 0})):
        status, answer = _call(port, "POST", path, body)
        assert status == 200, answer


def _call(port: int, method: str, path: str, body: Any = None,
          conn: HTTPConnection | None = None) -> tuple[int, Any]:
    conn = conn or HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=orjson.dumps(body) if body is not None else None,
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, orjson.loads(response.read())


def _scan_to_line(port: int, gtins: list[str]) -> None:
    """POST /api/sale/scan and read back the priced sale: what the till's screen waits for."""
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    rng = random.Random(7)
    latencies = []
    for i in range(SCANS):
        if i % BASKET == 0:
            _call(port, "POST", "/api/sale", {"discard": True}, conn)
        started = time.perf_counter()
        status, _ = _call(port, "POST", "/api/sale/scan", {"code": rng.choice(gtins)}, conn)
        latencies.append((time.perf_counter() - started) * 1000)
        assert status in (200, 422), status  # 422: an item with no price here, or sold by weight
    q = statistics.quantiles(latencies, n=100)
    print(f"scan-to-line in the agent (HTTP, baskets of {BASKET}): p50 {q[49]:.2f} ms  "
          f"p99 {q[98]:.2f} ms  ({SCANS} scans)")
    _call(port, "POST", "/api/sale", {"discard": True}, conn)


BROWSER_SCANS = 600
CHROMIUM = "/usr/bin/chromium"
# In the page: the time from the scanner's last keystroke (its Enter: the scan is complete) to
# the next render of the sale (the line on screen), measured with the page's own clock.
_MEASURE = """
window.__scanTimes = [];
let startedAt = null;
document.addEventListener("keydown", () => { startedAt = performance.now(); }, true);
window.addEventListener("plaza:rendered", () => {
  if (startedAt !== null) { window.__scanTimes.push(performance.now() - startedAt); startedAt = null; }
});
"""


def _scan_to_line_in_browser(port: int, gtins: list[str]) -> None:
    """The till's page in headless Chromium, a scanner typing EANs: scan to line on screen."""
    if not Path(CHROMIUM).exists():
        print(f"scan-to-line in the browser: skipped ({CHROMIUM} is not installed)")
        return
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    sellable = []
    for gtin in gtins[:BROWSER_SCANS * 2]:  # items sold by the piece with a price here
        status, found = _call(port, "GET", f"/api/lookup?code={gtin}", conn=conn)
        item = found.get("item") if status == 200 else None
        if item and item.get("sold_by") == "unit" and item.get("price") is not None:
            sellable.append(gtin)
    rng = random.Random(11)
    latencies: list[float] = []
    done = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        page.add_init_script(_MEASURE)
        for i in range(BROWSER_SCANS):
            if i % BASKET == 0:
                _call(port, "POST", "/api/sale", {"discard": True}, conn)
                page.goto(f"http://127.0.0.1:{port}/")
                page.wait_for_selector('body[data-screen="sale"]')
                page.evaluate("window.__scanTimes = []")
                done = 0
            code = rng.choice(sellable)
            page.keyboard.type(code)
            page.keyboard.press("Enter")
            done += 1
            try:
                page.wait_for_function(f"window.__scanTimes.length >= {done}", timeout=5000)
            except PlaywrightTimeout:  # the till said no (the message band says why): not a line
                message = page.locator('[data-test="message"]').all_inner_texts()
                print(f"  scan of {code} showed no line: {' '.join(message).split()}")
                page.evaluate("window.__scanTimes.push(null)")
            if i % BASKET == BASKET - 1 and i >= BASKET:  # the first basket warms the page up
                latencies.extend(t for t in page.evaluate("window.__scanTimes") if t is not None)
        browser.close()
    _call(port, "POST", "/api/sale", {"discard": True}, conn)
    q = statistics.quantiles(latencies, n=100)
    print(f"scan-to-line in the browser (last scanner keystroke to line on screen, Chromium, "
          f"{len(latencies)} scans, baskets of {BASKET}): p50 {q[49]:.1f} ms  p99 {q[98]:.1f} ms")


def _drain(config: TillConfig, agent: subprocess.Popen[bytes]) -> None:
    """10,000 sales queued at once (a long day offline); time until the server has them all."""
    replica = Replica(config.replica_path)
    codes = [c for (c,) in replica._db().execute(
        "SELECT s.code FROM sku s JOIN price p ON p.sku = s.code WHERE s.sold_by = 'unit' "
        "AND p.windows != '[]' ORDER BY random() LIMIT 2000")]
    collect = _Collect()
    rng = random.Random(11)
    while len(collect.bodies) < DRAIN_SALES:
        sale = Sale(replica, "bench")
        try:
            for code in rng.sample(codes, rng.randint(1, 4)):
                sale.add(code, rng.randint(1, 3))
        except SaleError:
            continue
        sale.pay_cash(sale.summary()["total"])
        sale.complete(collect)  # type: ignore[arg-type]
    outbox = Outbox(config.outbox_path)
    outbox.add_many(collect.bodies)
    started = time.perf_counter()
    _call(config.port, "POST", "/api/sync")
    while (counts := outbox.counts())["waiting"]:
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    print(f"outbox drain: {DRAIN_SALES:,} sales in {seconds:.1f} s ({DRAIN_SALES / seconds:,.0f} sales/s, "
          f"batches of {config.batch_size}; sent {counts['sent']:,}, rejected {counts['rejected']})")
    replica.close()
    outbox.close()
