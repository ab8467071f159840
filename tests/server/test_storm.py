"""The concurrent storm: shoppers, a till, a stock keeper and two expiry workers at once.

Online shoppers place orders whose reservations last about a second and pay some of them
around that second, so payments race the expiry workers; paid orders are picked, handed over
or cancelled; a till pushes cash sales of the same goods and a stock keeper receives and
counts them, all against one live server (gunicorn, two workers with threads) on SQLite and
on PostgreSQL. Before the lock order and the retries, this run saw deadlocks answered as 500,
and paid orders expired with their stock back on sale.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from store_server.inventory.models import StockMovement
from store_server.inventory.service import verify
from store_server.orders.models import Order
from tests.server import storm_clients
from tests.server.conftest import running_server
from tests.server.factories import Chain

pytestmark = pytest.mark.slow

SHOPPERS, ORDERS_EACH = 4, 30


def _expiry_worker(database_url: str, instance: Path, log: Path) -> subprocess.Popen[bytes]:
    """`orders expire --every`: the worker's expiry job alone. Its log goes to a file (a pipe
    nobody reads would fill up and stop it)."""
    env = {**os.environ, "DATABASE_URL": database_url, "PLAZA_INSTANCE": str(instance),
           "PLAZA_SECRET_KEY": "live-test"}
    with log.open("wb") as output:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "store-server"), "orders", "expire", "--every", "0.05"],
            env=env, stdout=output, stderr=subprocess.STDOUT)


def test_orders_payments_expiry_till_sales_and_counts_at_once_keep_every_invariant(
    app: Flask, chain: Chain, session: Session, tmp_path: Path,
) -> None:
    url = app.config["DATABASE_URL"]
    logs = [tmp_path / f"expiry-{n}.log" for n in range(2)]
    workers = [_expiry_worker(url, tmp_path / "live", log) for log in logs]
    try:
        with running_server(url, tmp_path / "live", threads=4,
                            env={"PLAZA_ORDER_RESERVATION_MINUTES": "0.02"}) as base:
            jobs: list[tuple[Any, tuple[Any, ...]]] = [
                (storm_clients.shopper, (base, chain.tokens["admin"], seed, ORDERS_EACH))
                for seed in range(SHOPPERS)]
            jobs.append((storm_clients.till, (base, chain.tokens["till.madrid"], 100, 25)))
            jobs.append((storm_clients.stock_keeper, (base, chain.tokens["manager.madrid"], 200, 25)))
            with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
                pending = [pool.apply_async(fn, args) for fn, args in jobs]
                results = [p.get(timeout=300) for p in pending]
        for worker, log in zip(workers, logs, strict=True):
            assert worker.poll() is None, "an expiry worker died: " + log.read_text()[-2000:]
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=10)

    failures = [f for r in results for f in r["failures"]]
    assert failures == [], f"{len(failures)} server errors, first: {failures[:3]}"
    seen: dict[str, list[int]] = defaultdict(list)
    for r in results:
        for what, codes in r["seen"].items():
            seen[what] += codes
    # The storm really stormed: orders placed, paid, refused for stock, expired underneath.
    assert seen["place"].count(201) >= 40 and seen["pay"].count(200) >= 15
    assert set(seen["sales"]) == {200}
    assert seen["receive"].count(201) + seen["count"].count(201) >= 20

    session.expire_all()
    told_paid = {n for r in results for n in r.get("paid", [])}
    status = dict(session.execute(select(Order.number, Order.status).where(Order.channel == "online")).all())
    assert {n: status[n] for n in told_paid if status[n] == "expired"} == {}
    assert "expired" in status.values(), "no reservation expired: the storm did not test expiry"
    assert session.execute(select(Order.number).where(
        Order.status == "expired", Order.paid_at.is_not(None))).all() == []
    assert _reservations_beyond_available(session) == []
    assert verify(session) == []


def _reservations_beyond_available(session: Session) -> list[dict[str, Any]]:
    """Replay each level's ledger in the order its row lock granted: no reservation may take
    more than was available to sell at that moment (invariant 1), whatever the till did."""
    levels: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    oversold = []
    for m in session.execute(select(StockMovement).order_by(StockMovement.id)).scalars():
        level = levels[(m.location_id, m.sku_id)]
        if m.kind == "reserve" and level[0] - level[1] < m.delta_reserved:
            oversold.append({"document": m.document, "sku_id": m.sku_id, "reserved": m.delta_reserved,
                             "available": level[0] - level[1]})
        level[0] += m.delta_on_hand
        level[1] += m.delta_reserved
    return oversold
