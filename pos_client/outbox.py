"""Completed sales waiting for the server: written before the receipt prints, never lost.

Invariant 3 (DESIGN.md §4) from the till's side. A sale goes into this SQLite file in one
transaction, fsynced (``synchronous=FULL``), with the UUID the till gave it and its JSON body
exactly as it will be sent, before anything is printed or the drawer opens. A push sends the
stored bodies unchanged, every time, so a resend is recognised by the server as the same sale
(it keys sales by UUID and compares their content) and answered "duplicate". A sale is marked
done only after the server's answer is in: a till killed between the server's commit and our
mark sends it again and hears "duplicate"; nothing is lost, nothing counts twice.

Rejected sales stay here with the server's reason, for the manager, until someone sends them
again (after fixing what was wrong on the server's side); they are never dropped.

The outbox has its own file, not the replica's: SQLite has one writer per file, and a sale
must never wait behind a 5,000-SKU catalogue page being written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from pos_client.local_db import LocalDatabase
from pos_client.server_api import ServerApi

SCHEMA = """
CREATE TABLE IF NOT EXISTS sale (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,   -- sales go out in the order they were made
    uuid TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL,                      -- the JSON sent, byte for byte, on every attempt
    total INTEGER NOT NULL,
    currency TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'sent', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    order_number TEXT,
    answer TEXT,                             -- accepted or duplicate
    reject_code TEXT,
    reject_reason TEXT,
    answered_at TEXT
);
CREATE INDEX IF NOT EXISTS sale_by_state ON sale (state, seq);
"""
# A UUID already queued keeps its first body: completing a sale twice queues it once.
_INSERT = ("INSERT INTO sale (uuid, body, total, currency, created_at) VALUES (?, ?, ?, ?, ?) "
           "ON CONFLICT (uuid) DO NOTHING")


@dataclass(frozen=True)
class PushResult:
    sent: int  # accepted or duplicate: the server has them
    rejected: int
    batches: int


@dataclass(frozen=True)
class RejectedSale:
    uuid: str
    created_at: str
    total: int
    currency: str
    code: str
    reason: str
    sale: dict[str, Any]


class Outbox(LocalDatabase):
    """The till's queue of completed sales. Safe to use from several threads."""

    # A committed sale survives a power cut: the shopper has the receipt in hand.
    SYNCHRONOUS = "FULL"

    def __init__(self, path: Path | str) -> None:
        super().__init__(path)
        self._db().executescript(SCHEMA)  # its own transaction; IF NOT EXISTS makes it repeatable

    # -- writing sales ---------------------------------------------------------------------

    def add(self, sale: dict[str, Any]) -> str:
        """Queue a completed sale (a dict in the server's sale schema); returns its UUID.

        Adding the same UUID twice keeps the first: completing a sale is idempotent.
        """
        body = orjson.dumps(sale)
        with self._write() as db:
            db.execute(_INSERT, (sale["uuid"], body, sale["total"], sale.get("currency") or "", _now()))
        return str(sale["uuid"])

    def add_many(self, sales: list[dict[str, Any]]) -> None:
        """Queue many sales in one transaction (benchmarks, imports)."""
        with self._write() as db:
            db.executemany(_INSERT, [(s["uuid"], orjson.dumps(s), s["total"], s.get("currency") or "", _now())
                                     for s in sales])

    # -- reading ---------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        rows = self._db().execute("SELECT state, count(*) FROM sale GROUP BY state").fetchall()
        counts = {"waiting": 0, "sent": 0, "rejected": 0}
        counts.update(dict(rows))
        return counts

    def waiting(self, limit: int) -> list[tuple[str, bytes]]:
        return [(uuid, bytes(body)) for uuid, body in self._db().execute(
            "SELECT uuid, body FROM sale WHERE state = 'waiting' ORDER BY seq LIMIT ?", (limit,))]

    def get(self, uuid: str) -> dict[str, Any] | None:
        row = self._db().execute("SELECT body, state, order_number, reject_code, reject_reason FROM sale "
                                 "WHERE uuid = ?", (uuid,)).fetchone()
        if row is None:
            return None
        body, state, number, code, reason = row
        return {"sale": orjson.loads(body), "state": state, "order": number, "code": code,
                "reason": reason}

    def rejected(self) -> list[RejectedSale]:
        return [RejectedSale(uuid, created, total, currency, code or "", reason or "", orjson.loads(body))
                for uuid, created, total, currency, code, reason, body in self._db().execute(
                    "SELECT uuid, created_at, total, currency, reject_code, reject_reason, body FROM sale "
                    "WHERE state = 'rejected' ORDER BY seq")]

    def send_again(self, uuid: str) -> bool:
        """Put a rejected sale back in the queue, unchanged (same UUID, same content)."""
        with self._write() as db:
            return db.execute("UPDATE sale SET state = 'waiting' WHERE uuid = ? AND state = 'rejected'",
                              (uuid,)).rowcount == 1

    # -- the server's answers --------------------------------------------------------------

    def record_answers(self, uuids: list[str], answer: dict[str, Any]) -> tuple[int, int]:
        """Mark each sale of a pushed batch by the server's verdict; returns (sent, rejected).

        Results name sales by their index in the batch; a sale without a verdict stays waiting.
        """
        now = _now()
        done, rejected = [], []
        for result in answer.get("results", []):
            index = result.get("index")
            if not isinstance(index, int) or not 0 <= index < len(uuids):
                continue
            uuid = uuids[index]
            if result.get("status") in ("accepted", "duplicate"):
                done.append((result["status"], result.get("order"), now, uuid))
            elif result.get("status") == "rejected":
                rejected.append((result.get("code") or "rejected", result.get("reason") or "", now, uuid))
        with self._write() as db:
            db.executemany("UPDATE sale SET state = 'sent', answer = ?, order_number = ?, answered_at = ?, "
                           "attempts = attempts + 1, reject_code = NULL, reject_reason = NULL "
                           "WHERE uuid = ? AND state = 'waiting'", done)
            db.executemany("UPDATE sale SET state = 'rejected', reject_code = ?, reject_reason = ?, "
                           "answered_at = ?, attempts = attempts + 1 WHERE uuid = ? AND state = 'waiting'",
                           rejected)
        return len(done), len(rejected)

    def record_failed_attempt(self, uuids: list[str]) -> None:
        with self._write() as db:
            db.executemany("UPDATE sale SET attempts = attempts + 1 WHERE uuid = ?", [(u,) for u in uuids])


def push_waiting(outbox: Outbox, api: ServerApi, batch_size: int) -> PushResult:
    """Send every waiting sale, ``batch_size`` at a time, oldest first.

    Stops at the first batch that fails (``Unreachable``/``Refused`` propagate): what was
    answered before is recorded, the rest stays waiting for the next attempt.
    """
    sent = rejected = batches = 0
    while True:
        batch = outbox.waiting(batch_size)
        if not batch:
            return PushResult(sent, rejected, batches)
        uuids = [uuid for uuid, _ in batch]
        try:
            answer = api.push_sales([body for _, body in batch])
        except Exception:
            outbox.record_failed_attempt(uuids)
            raise
        done, refused = outbox.record_answers(uuids, answer)
        sent, rejected, batches = sent + done, rejected + refused, batches + 1
        if done + refused == 0:
            return PushResult(sent, rejected, batches)  # an answer about none of them: try later


def _now() -> str:
    return datetime.now(UTC).isoformat()
