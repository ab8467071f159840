"""Receipt numbers where the market wants them (docs/RECEIPTS.md): each till numbers its sales
in its own series, in the same write that queues the sale, so the series has no gap and no
number twice, whatever the threads, the double taps and the restarts."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

from pos_client.outbox import Outbox


def _sale() -> dict[str, Any]:
    return {"uuid": str(uuid.uuid4()), "occurred_at": "2026-05-12T10:00:00+02:00", "currency": "EUR",
            "lines": [{"sku": "X", "quantity": 1, "unit_price": 100}], "total": 100}


def _numbers(outbox: Outbox) -> list[str | None]:
    return [outbox.get(r[0])["sale"].get("receipt_number")  # type: ignore[index]
            for r in outbox._db().execute("SELECT uuid FROM sale ORDER BY seq")]


def test_a_series_counts_up_without_a_gap_across_double_taps_and_restarts(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    first, second = _sale(), _sale()
    outbox.add(first, "T7")
    assert first["receipt_number"] == "T7-000001"  # the body the receipt prints carries it
    again = dict(first, receipt_number=None)
    outbox.add(again, "T7")  # the same sale queued twice keeps its number and takes no other
    assert again["receipt_number"] == "T7-000001"
    outbox.add(second, "T7")
    assert second["receipt_number"] == "T7-000002"
    outbox.add(_sale())  # a market without numbered receipts: the sale has no number
    outbox.close()

    reopened = Outbox(tmp_path / "outbox.sqlite3")  # the till restarted
    third = _sale()
    reopened.add(third, "T7")
    assert _numbers(reopened) == ["T7-000001", "T7-000002", None, "T7-000003"]
    reopened.close()


def test_tills_threads_completing_at_once_never_share_a_number(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    threads = [threading.Thread(target=lambda: [outbox.add(_sale(), "T9") for _ in range(25)])
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(_numbers(outbox)) == [f"T9-{n:06d}" for n in range(1, 101)]  # type: ignore[type-var]
    outbox.close()
