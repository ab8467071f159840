"""Till-sale ingestion benchmark (issue 3): ``POST /api/v1/sync/sales`` over real HTTP.

Single sales at 1, 8 and 32 concurrent clients (throughput, p50/p99) and batches of 100
(sales/s) against gunicorn with 2 sync workers, on the demo chain's Madrid store. Every sale has
its own UUID and is priced with ``retail.pricing`` as a till prices it offline, so each one is
accepted; the run checks that none was rejected and that the ledger still verifies.

Aim: at least 5,000 sales/s in batches of 100 on SQLite on this 2-core machine, and p99 under
50 ms at 8 clients.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path

from sqlalchemy import func, select

from retail.money import Money
from retail.pricing import LineInput, price_order
from retail.tax import regime_for
from store_server import create_app
from store_server.catalog.models import Price, Sku
from store_server.inventory.models import StockLevel
from store_server.inventory.service import verify
from store_server.locations.models import Location
from store_server.orders.models import Order
from tests.bench.harness import LoadResult, Setup, database, prepare, server

STORE = "MAD-XANADU"
PATH = "/api/v1/sync/sales"


def sale_bodies(setup: Setup, count: int = 200) -> list[str]:
    """Sales as a Madrid till sends them, minus the leading ``{"uuid": ...,``.

    Lines come from SKUs in stock at the store, at their shelf price; totals and tenders from
    the same pricing code the server checks them with.
    """
    app = create_app({"INSTANCE_PATH": setup.instance, "DATABASE_URL": setup.database_url})
    with app.extensions["plaza"].session_factory() as session:
        store = session.execute(select(Location).where(Location.code == STORE)).scalar_one()
        rows = session.execute(
            select(Sku.code, Sku.sold_by, Sku.tax_class, func.max(Price.amount))
            .join(StockLevel, StockLevel.sku_id == Sku.id)
            .join(Price, Price.sku_id == Sku.id)
            .where(StockLevel.location_id == store.id, StockLevel.on_hand > 0,
                   Price.price_list_id == store.price_list_id)
            .group_by(Sku.code, Sku.sold_by, Sku.tax_class).order_by(Sku.code)
        ).all()
        currency, regime = store.currency, regime_for(store.country)
    app.extensions["plaza"].engine.dispose()
    rng = random.Random(3)
    occurred_at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    bodies = []
    for _ in range(count):
        picked = rng.sample(rows, rng.randint(1, 4))
        lines = [LineInput(code, rng.randint(150, 900) if sold_by == "weight" else rng.randint(1, 3),
                           Money(price, currency), tax_class, sold_by)
                 for code, sold_by, tax_class, price in picked]
        priced = price_order(lines, regime, currency)
        sale = {
            "occurred_at": occurred_at, "cashier": "bench",
            "lines": [{"sku": ln.sku, "quantity": ln.quantity, "unit_price": ln.unit_price.amount}
                      for ln in lines],
            "tenders": [{"kind": "cash", "amount": priced.total.amount}],
            "total": priced.total.amount,
        }
        bodies.append(json.dumps(sale, separators=(",", ":"))[1:])
    return bodies


_LUA = """
local rests = {%(rests)s}
local per_request = %(per_request)d
local run = %(run)d
local headers = {["Authorization"] = "Bearer %(token)s", ["Content-Type"] = "application/json"}
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  bad = 0
end

function request()
  local sales = {}
  for i = 1, per_request do
    n = n + 1
    local uuid = string.format("%%08x-%%04x-4000-8000-%%012x", run, id, n)
    sales[i] = '{"uuid":"' .. uuid .. '",' .. rests[n %% #rests + 1]
  end
  return wrk.format("POST", "%(path)s", headers, '{"sales":[' .. table.concat(sales, ",") .. ']}')
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"rejected":0', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do
    total = total + t:get("bad")
  end
  io.write(string.format("BAD %%d\\n", total))
end
"""

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def push_load(base: str, token: str, rests: list[str], per_request: int, clients: int,
              seconds: float) -> LoadResult:
    """Clients posting batches of ``per_request`` fresh sales for ``seconds``.

    ``errors`` counts answers that were not 200 with every sale accepted.
    """
    if not shutil.which("wrk"):
        return _python_push(base, token, rests, per_request, clients, seconds)
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(_LUA % {
        "rests": ",".join(f"[==[{r}]==]" for r in rests), "per_request": per_request,
        "run": random.getrandbits(31), "token": token, "path": PATH})
    out = subprocess.run(
        ["wrk", "-t", str(min(2, clients)), "-c", str(clients), "-d", f"{int(seconds)}s",
         "--timeout", "10s", "--latency", "-s", str(script), base],
        capture_output=True, text=True, check=True).stdout
    script.unlink()

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")

    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = int(re.search(r"^BAD (\d+)$", out, re.M).group(1))  # type: ignore[union-attr]
    return LoadResult(total, seconds, bad, latency("50"), latency("99"), "wrk")


def _python_push(base: str, token: str, rests: list[str], per_request: int, clients: int,
                 seconds: float) -> LoadResult:
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client() -> None:
        nonlocal errors
        mine, bad, n = [], 0, 0
        while time.monotonic() < stop:
            sales = []
            for _ in range(per_request):
                n += 1
                sales.append(f'{{"uuid":"{uuid.uuid4()}",' + rests[n % len(rests)])
            body = '{"sales":[' + ",".join(sales) + "]}"
            t = time.perf_counter()
            conn = HTTPConnection(host, int(port), timeout=30)
            try:
                conn.request("POST", PATH, body=body, headers=headers)
                response = conn.getresponse()
                bad += response.status != 200 or b'"rejected":0' not in response.read()
            except OSError:
                bad += 1
            conn.close()
            mine.append((time.perf_counter() - t) * 1000)
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    q = statistics.quantiles(latencies, n=100)
    return LoadResult(len(latencies), seconds, errors, q[49], q[98], "python client")


def _check_ledger(setup: Setup) -> tuple[int, int]:
    app = create_app({"INSTANCE_PATH": setup.instance, "DATABASE_URL": setup.database_url})
    with app.extensions["plaza"].session_factory() as session:
        orders = session.scalar(select(func.count(Order.id)).where(Order.channel == "pos")) or 0
        problems = len(verify(session))
    app.extensions["plaza"].engine.dispose()
    return orders, problems


def run(kinds: list[str], seconds: float) -> None:
    for kind in kinds:
        with database(kind) as url:
            setup = prepare(url, 0)
            print(f"\n== {kind}: demo chain loaded in {setup.seconds_to_load:.1f} s", flush=True)
            rests = sale_bodies(setup)
            with server(setup, workers=2) as base:
                push_load(base, setup.till_token, rests, 1, 1, 1)  # warm the workers
                for clients in (1, 8, 32):
                    result = push_load(base, setup.till_token, rests, 1, clients, seconds)
                    print(f"single sales, gunicorn 2 sync workers, {clients:2d} clients: "
                          f"{result.line()}", flush=True)
                for clients in (1, 8):
                    result = push_load(base, setup.till_token, rests, 100, clients, seconds)
                    print(f"batches of 100, gunicorn 2 sync workers, {clients:2d} clients: "
                          f"{result.per_second * 100:8.0f} sales/s  ({result.line()})", flush=True)
            orders, problems = _check_ledger(setup)
            print(f"{orders:,} till sales recorded; ledger verify: {problems} discrepancies",
                  flush=True)
