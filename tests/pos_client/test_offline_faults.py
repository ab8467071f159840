"""Invariant 3 with real processes: a till that sells while the server is gone, is killed
mid-sync, and a server killed mid-batch — and still every sale lands exactly once."""

from __future__ import annotations

import signal
import sqlite3
import time
from typing import Any

from retail.gs1 import with_check_digit
from tests.pos_client.conftest import SCALE_ITEM, Plaza, TillProcess, wait_until

SALES = 50
HAKE_LABEL = with_check_digit(SCALE_ITEM + "00516")  # 5.16 EUR: 400 g at 12.90 EUR/kg


def _a_boxed_item(plaza: Plaza) -> tuple[str, str]:
    [(sku, gtin)] = plaza.sql(
        "SELECT s.code, g.gtin FROM gtin g JOIN sku s ON s.id = g.sku_id JOIN product p ON "
        "p.id = s.product_id WHERE p.category LIKE 'electronics/audio%' ORDER BY g.gtin LIMIT 1")
    return sku, gtin[1:]


def _ring_up_cash_sales(till: TillProcess, count: int, ean: str) -> None:
    for _ in range(count):
        till.post("/api/sale/scan", {"code": ean})
        summary = till.post("/api/sale/scan", {"code": HAKE_LABEL})
        till.post("/api/sale/cash", {"tendered": summary["total"] + 500})
        done = till.post("/api/sale/complete")
        assert done["change"] == 500


def _paired_till_offline_with_sales(plaza: Plaza, till_factory: Any, name: str,
                                    *extra: str) -> tuple[TillProcess, int, dict[str, int]]:
    """A synced till; the server is stopped; 50 cash sales wait in the till's outbox."""
    till: TillProcess = till_factory(name, "--sync-interval", "0.2", "--max-backoff", "0.5", *extra)
    status = wait_until(lambda: (s := till.status())["online"] and s["catalogue_ready"] and s, what="sync")
    till.start_shift()
    sku, ean = _a_boxed_item(plaza)
    before = {sku: plaza.on_hand(sku), "SCALE-HAKE": plaza.on_hand("SCALE-HAKE")}
    plaza.server.stop()
    wait_until(lambda: not till.status()["online"], what="the till to notice the server is gone")
    _ring_up_cash_sales(till, SALES, ean)
    status = till.status()
    assert (status["online"], status["waiting"]) == (False, SALES)
    return till, int(status["device"]["id"]), {sku: before[sku] - SALES,
                                                "SCALE-HAKE": before["SCALE-HAKE"] - 400 * SALES}


def _freeze_server_with_a_push_in_flight(plaza: Plaza, till: TillProcess) -> None:
    """Start the server, pause it, and make the till push: its request waits in the socket.

    The till is paused while the server starts, so it cannot slip a whole push in before the
    server is frozen."""
    till.send(signal.SIGSTOP)
    try:
        plaza.server.start()
        plaza.server.send(signal.SIGSTOP)
    finally:
        till.send(signal.SIGCONT)
    till.post("/api/sync")
    wait_until(lambda: till.status()["syncing"], what="the till to be pushing")
    time.sleep(0.3)  # the batch is on the wire


def _assert_exactly_once(plaza: Plaza, till: TillProcess, device_id: int, stock: dict[str, int]) -> None:
    wait_until(lambda: (s := till.status())["online"] and s["waiting"] == 0, 30, 0.1, "the outbox to drain")
    assert plaza.sales_of_device(device_id) == (SALES, SALES)
    status = till.status()
    assert (status["waiting"], status["rejected"], status["sent"]) == (0, 0, SALES)
    assert {sku: plaza.on_hand(sku) for sku in stock} == stock
    assert plaza.verify() == 0


def _answers(till: TillProcess) -> dict[str, int]:
    outbox = till.args[till.args.index("--data-dir") + 1] + "/outbox.sqlite3"
    with sqlite3.connect(outbox) as db:
        return dict(db.execute("SELECT answer, count(*) FROM sale GROUP BY answer").fetchall())


def test_a_till_killed_during_a_sync_loses_and_doubles_no_sale(server_up: Plaza, till_factory: Any) -> None:
    till, device_id, stock = _paired_till_offline_with_sales(server_up, till_factory, "till-a",
                                                             "--batch-size", "10")
    _freeze_server_with_a_push_in_flight(server_up, till)
    till.kill()  # mid-request: the server will record the batch, the till never hears of it
    server_up.server.send(signal.SIGCONT)
    wait_until(lambda: server_up.sales_of_device(device_id)[0] >= 10, what="the orphaned batch to land")
    assert till.process is not None
    till.start()  # same data dir: the stored token, the replica and the outbox survive
    _assert_exactly_once(server_up, till, device_id, stock)
    answers = _answers(till)
    assert answers["duplicate"] >= 10  # the batch sent before the kill, sent again and recognised
    assert answers["duplicate"] + answers["accepted"] == SALES


def _kill_server_inside_its_write_transaction(plaza: Plaza) -> None:
    """SIGKILL the server while it holds SQLite's write lock: in the middle of the batch.

    Nothing else writes while the till's push is the only request, so a failed probe for the
    lock means the batch's transaction is open."""
    probe = sqlite3.connect(plaza.database_path, timeout=0, isolation_level=None)
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
            except sqlite3.OperationalError:
                plaza.server.stop(signal.SIGKILL)
                return
            time.sleep(0.0005)
    finally:
        probe.close()
    raise AssertionError("the server never started writing the batch")


def test_a_server_killed_in_the_middle_of_a_batch_loses_and_doubles_no_sale(
        server_up: Plaza, till_factory: Any) -> None:
    till, device_id, stock = _paired_till_offline_with_sales(server_up, till_factory, "till-b",
                                                             "--batch-size", "50")
    _freeze_server_with_a_push_in_flight(server_up, till)
    server_up.server.send(signal.SIGCONT)
    _kill_server_inside_its_write_transaction(server_up)
    assert server_up.sales_of_device(device_id) == (0, 0)  # the batch's transaction rolled back whole
    assert till.status()["waiting"] == SALES

    # Once more, now killed just after the commit: the till may never hear the answer.
    _freeze_server_with_a_push_in_flight(server_up, till)
    server_up.server.send(signal.SIGCONT)
    wait_until(lambda: server_up.sales_of_device(device_id)[0] > 0, every=0.001, what="the commit")
    server_up.server.stop(signal.SIGKILL)

    server_up.server.start()
    till.post("/api/sync")
    _assert_exactly_once(server_up, till, device_id, stock)
