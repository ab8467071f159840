"""Completed sales waiting for the server: written before the receipt prints, never lost.

Promise 3 (docs/ARCHITECTURE.md) from the till's side. A sale goes into this SQLite file in one
transaction, fsynced (``synchronous=FULL``), with the UUID the till gave it and its JSON body
exactly as it will be sent, before anything is printed or the drawer opens. A push sends the
stored bodies unchanged, every time, so a resend is recognised by the server as the same sale
(it keys sales by UUID and compares their content) and answered "duplicate". A sale is marked
done only after the server's answer is in: a till killed between the server's commit and our
mark sends it again and hears "duplicate"; nothing is lost, nothing counts twice.

Rejected sales stay here with the server's reason, for the manager, until someone sends them
again (after fixing what was wrong on the server's side); they are never dropped.

The same file keeps the till's other documents the same way: returns and closed cash sessions
(Z reports), each with its UUID and the body it will be sent with, and the cash session that is
open now with its cash movements, so a till that loses power mid-shift still knows its float.
A return whose wallet refund has not been answered yet waits in state ``refunding``: its body
is final, and sent, only once every refund it pays is known.

The outbox has its own file, not the replica's: SQLite has one writer per file, and a sale
must never wait behind a 5,000-SKU catalogue page being written.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from pos_client.local_db import LocalDatabase
from pos_client.server_api import Refused, ServerApi

log = logging.getLogger(__name__)

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
    answered_at TEXT,
    cash_session TEXT                        -- the drawer the sale's cash went into
);
CREATE INDEX IF NOT EXISTS sale_by_state ON sale (state, seq);
CREATE TABLE IF NOT EXISTS document (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('return', 'cash-session')),
    uuid TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL,                      -- final once the state is past 'refunding'
    detail BLOB,                             -- what only the till needs (a refund's payment id)
    original TEXT,                           -- a return: the sale it returns from
    cash_session TEXT,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'waiting'
        CHECK (state IN ('refunding', 'waiting', 'sent', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    answer TEXT,
    number TEXT,
    reject_code TEXT,                        -- rejected; or, while waiting, why the last try did not land
    reject_reason TEXT,
    answered_at TEXT
);
CREATE INDEX IF NOT EXISTS document_by_state ON document (kind, state, seq);
CREATE INDEX IF NOT EXISTS document_by_original ON document (original);
CREATE TABLE IF NOT EXISTS cash_session (
    uuid TEXT PRIMARY KEY,
    opened_at TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    float INTEGER NOT NULL CHECK (float >= 0),
    currency TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    closed_at TEXT,
    closed_by TEXT,
    counted INTEGER,
    opened_clock TEXT                        -- the till's clocks at opening (clock.py), JSON
) WITHOUT ROWID;
-- One open session per till: a second open fails here, whatever the callers do.
CREATE UNIQUE INDEX IF NOT EXISTS one_open_session ON cash_session (state) WHERE state = 'open';
-- The last receipt number of each series this till numbers its receipts in: moved in the same
-- transaction as the sale it numbers, so the series has no gap and no number twice.
CREATE TABLE IF NOT EXISTS receipt_series (series TEXT PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cash_movement (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session TEXT NOT NULL REFERENCES cash_session (uuid),
    kind TEXT NOT NULL CHECK (kind IN ('in', 'out')),
    amount INTEGER NOT NULL CHECK (amount > 0),
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    cashier TEXT NOT NULL,
    clock TEXT                               -- the till's clocks with ``at`` (clock.py), JSON
);
"""
# A UUID already queued keeps its first body: completing a sale twice queues it once.
_INSERT = ("INSERT INTO sale (uuid, body, total, currency, created_at, cash_session) "
           "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (uuid) DO NOTHING")
DOCUMENT_KINDS = ("return", "cash-session")


@dataclass(frozen=True)
class PushResult:
    sent: int  # accepted or duplicate: the server has them
    rejected: int
    batches: int


@dataclass(frozen=True)
class Document:
    kind: str
    uuid: str
    state: str
    body: dict[str, Any]
    code: str
    reason: str
    number: str | None = None
    detail: dict[str, Any] | None = None


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
        db = self._db()
        db.executescript(SCHEMA)  # its own transaction; IF NOT EXISTS makes it repeatable
        columns = {row[1] for row in db.execute("PRAGMA table_info(sale)")}
        if "cash_session" not in columns:  # an outbox from before cash sessions
            db.execute("ALTER TABLE sale ADD COLUMN cash_session TEXT")
        # Outboxes from before the clock stamps: their sessions and movements carry none.
        for table, column in (("cash_session", "opened_clock"), ("cash_movement", "clock")):
            if column not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
        db.execute("CREATE INDEX IF NOT EXISTS sale_by_session ON sale (cash_session)")

    # -- writing sales ---------------------------------------------------------------------

    def add(self, sale: dict[str, Any], receipt_series: str | None = None) -> str:
        """Queue a completed sale (a dict in the server's sale schema); returns its UUID.

        Adding the same UUID twice keeps the first: completing a sale is idempotent. With a
        ``receipt_series``, the sale gets the series' next number as ``receipt_number`` (in
        ``sale`` too) in the same transaction: numbers follow each other without a gap.
        """
        with self._write() as db:
            if receipt_series is not None:
                queued = db.execute("SELECT body FROM sale WHERE uuid = ?", (sale["uuid"],)).fetchone()
                if queued:  # queued before: it keeps its number, and takes no other
                    sale["receipt_number"] = orjson.loads(queued[0]).get("receipt_number")
                    return str(sale["uuid"])
                db.execute("INSERT INTO receipt_series (series, last) VALUES (?, 1) ON CONFLICT (series) "
                           "DO UPDATE SET last = last + 1", (receipt_series,))
                (last,) = db.execute("SELECT last FROM receipt_series WHERE series = ?",
                                     (receipt_series,)).fetchone()
                sale["receipt_number"] = receipt_number(receipt_series, last)
            db.execute(_INSERT, _sale_row(sale, orjson.dumps(sale)))
        return str(sale["uuid"])

    def add_many(self, sales: list[dict[str, Any]]) -> None:
        """Queue many sales in one transaction (benchmarks, imports)."""
        with self._write() as db:
            db.executemany(_INSERT, [_sale_row(s, orjson.dumps(s)) for s in sales])

    # -- reading ---------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        db = self._db()
        rows = db.execute("SELECT state, count(*) FROM sale GROUP BY state").fetchall()
        counts = {"waiting": 0, "sent": 0, "rejected": 0}
        counts.update(dict(rows))
        documents = dict(db.execute("SELECT state, count(*) FROM document GROUP BY state").fetchall())
        counts["documents_waiting"] = documents.get("waiting", 0) + documents.get("refunding", 0)
        counts["documents_rejected"] = documents.get("rejected", 0)
        return counts

    def depth(self) -> int:
        """Sales, returns and Z reports still to reach the server (reported with each sync)."""
        db = self._db()
        sales = db.execute("SELECT count(*) FROM sale WHERE state = 'waiting'").fetchone()[0]
        documents = db.execute("SELECT count(*) FROM document WHERE state IN ('waiting', 'refunding')"
                               ).fetchone()[0]
        return int(sales) + int(documents)

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

    def sales_of_session(self, session: str) -> list[dict[str, Any]]:
        return [orjson.loads(body) for (body,) in self._db().execute(
            "SELECT body FROM sale WHERE cash_session = ? ORDER BY seq", (session,))]

    def send_again(self, uuid: str) -> bool:
        """Put a rejected sale or document back in the queue, unchanged (same UUID, same content)."""
        with self._write() as db:
            return (db.execute("UPDATE sale SET state = 'waiting' WHERE uuid = ? AND state = 'rejected'",
                               (uuid,)).rowcount
                    + db.execute("UPDATE document SET state = 'waiting', reject_code = NULL, "
                                 "reject_reason = NULL WHERE uuid = ? AND state = 'rejected'",
                                 (uuid,)).rowcount) == 1

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


    # -- documents: returns and Z reports ---------------------------------------------------

    def add_document(self, kind: str, body: dict[str, Any], *, state: str = "waiting",
                     original: str | None = None, detail: dict[str, Any] | None = None) -> None:
        """Queue a return or a Z report; the same UUID twice keeps the first."""
        assert kind in DOCUMENT_KINDS and state in ("refunding", "waiting")
        with self._write() as db:
            db.execute("INSERT INTO document (kind, uuid, body, detail, original, cash_session, created_at, "
                       "state) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uuid) DO NOTHING",
                       (kind, body["uuid"], orjson.dumps(body), orjson.dumps(detail) if detail else None,
                        original, body.get("cash_session"), _now(), state))

    def finish_refunding(self, uuid: str, body: dict[str, Any], detail: dict[str, Any]) -> bool:
        """A return whose refunds are all answered: its final body, from now on sent as is."""
        with self._write() as db:
            return db.execute("UPDATE document SET body = ?, detail = ?, state = 'waiting' WHERE uuid = ? "
                              "AND state = 'refunding'",
                              (orjson.dumps(body), orjson.dumps(detail), uuid)).rowcount == 1

    def reject_refunding(self, uuid: str, code: str, reason: str) -> bool:
        """A return whose wallet refund was refused after its cash went back: the manager sees it."""
        with self._write() as db:
            return db.execute("UPDATE document SET state = 'rejected', reject_code = ?, reject_reason = ?, "
                              "answered_at = ? WHERE uuid = ? AND state = 'refunding'",
                              (code, reason, _now(), uuid)).rowcount == 1

    def drop_refunding(self, uuid: str) -> bool:
        """A return none of whose refunds went through: nothing happened, nothing to send."""
        with self._write() as db:
            return db.execute("DELETE FROM document WHERE uuid = ? AND state = 'refunding'",
                              (uuid,)).rowcount == 1

    def document(self, uuid: str) -> Document | None:
        row = self._db().execute(_DOCUMENT_SELECT + "WHERE uuid = ?", (uuid,)).fetchone()
        return _document(row) if row else None

    def documents(self, kind: str, state: str, limit: int = 1000) -> list[Document]:
        return [_document(row) for row in self._db().execute(
            _DOCUMENT_SELECT + "WHERE kind = ? AND state = ? ORDER BY seq LIMIT ?", (kind, state, limit))]

    def returns_of(self, original: str) -> list[Document]:
        """Every return this till made from a sale, in any state."""
        return [_document(row) for row in self._db().execute(
            _DOCUMENT_SELECT + "WHERE kind = 'return' AND original = ? ORDER BY seq", (original,))]

    def returns_of_session(self, session: str) -> list[dict[str, Any]]:
        return [orjson.loads(body) for (body,) in self._db().execute(
            "SELECT body FROM document WHERE kind = 'return' AND cash_session = ? ORDER BY seq", (session,))]

    def returns_ready(self, limit: int) -> list[tuple[str, bytes]]:
        """Waiting returns whose sale the server may have: not one still queued or rejected here."""
        return [(uuid, bytes(body)) for uuid, body in self._db().execute(
            "SELECT d.uuid, d.body FROM document d LEFT JOIN sale s ON s.uuid = d.original "
            "WHERE d.kind = 'return' AND d.state = 'waiting' AND (s.state IS NULL OR s.state = 'sent') "
            "ORDER BY d.seq LIMIT ?", (limit,))]

    def record_document(self, uuid: str, status: str, code: str = "", reason: str = "",
                        number: str | None = None) -> None:
        """The server's verdict on one document: accepted/duplicate (sent), rejected (kept for
        the manager), or ``later`` (it stays waiting, with why)."""
        with self._write() as db:
            if status in ("accepted", "duplicate"):
                db.execute("UPDATE document SET state = 'sent', answer = ?, number = ?, answered_at = ?, "
                           "attempts = attempts + 1, reject_code = NULL, reject_reason = NULL "
                           "WHERE uuid = ? AND state = 'waiting'", (status, number, _now(), uuid))
            else:
                state = "rejected" if status == "rejected" else "waiting"
                db.execute("UPDATE document SET state = ?, reject_code = ?, reject_reason = ?, "
                           "answered_at = ?, attempts = attempts + 1 WHERE uuid = ? AND state = 'waiting'",
                           (state, code or status, reason, _now(), uuid))

    # -- the cash session ------------------------------------------------------------------

    def open_session(self, session: dict[str, Any]) -> None:
        try:
            with self._write() as db:
                db.execute("INSERT INTO cash_session (uuid, opened_at, opened_by, float, currency, "
                           "opened_clock) VALUES (?, ?, ?, ?, ?, ?)",
                           (session["uuid"], session["opened_at"], session["opened_by"], session["float"],
                            session["currency"], _json(session.get("opened_clock"))))
        except sqlite3.IntegrityError as exc:
            raise SessionOpen("a cash session is already open on this till") from exc

    def open_session_now(self) -> dict[str, Any] | None:
        row = self._db().execute("SELECT uuid, opened_at, opened_by, float, currency, opened_clock "
                                 "FROM cash_session WHERE state = 'open'").fetchone()
        if row is None:
            return None
        session = dict(zip(("uuid", "opened_at", "opened_by", "float", "currency"), row[:5], strict=True))
        if row[5]:
            session["opened_clock"] = orjson.loads(row[5])
        return session

    def add_movement(self, session: str, movement: dict[str, Any]) -> int:
        with self._write() as db:
            return int(db.execute(
                "INSERT INTO cash_movement (session, kind, amount, reason, at, cashier, clock) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session, movement["kind"], movement["amount"], movement["reason"], movement["at"],
                 movement["cashier"], _json(movement.get("clock")))).lastrowid or 0)

    def movements(self, session: str) -> list[dict[str, Any]]:
        return [{"kind": k, "amount": a, "reason": r, "at": at, "cashier": c,
                 **({"clock": orjson.loads(clock)} if clock else {})}
                for k, a, r, at, c, clock in self._db().execute(
                    "SELECT kind, amount, reason, at, cashier, clock FROM cash_movement WHERE session = ? "
                    "ORDER BY id", (session,))]

    def close_session(self, report: dict[str, Any]) -> bool:
        """Close the session and queue its Z report, in one transaction: a till that dies
        after closing has the report to send, and one that dies before is still open."""
        with self._write() as db:
            closed = db.execute(
                "UPDATE cash_session SET state = 'closed', closed_at = ?, closed_by = ?, counted = ? "
                "WHERE uuid = ? AND state = 'open'", (report["closed_at"], report["closed_by"],
                                                      report["counted_cash"], report["uuid"])).rowcount
            if closed:
                db.execute("INSERT INTO document (kind, uuid, body, cash_session, created_at) "
                           "VALUES ('cash-session', ?, ?, ?, ?)",
                           (report["uuid"], orjson.dumps(report), report["uuid"], _now()))
            return closed == 1


class SessionOpen(RuntimeError):
    """A second cash session while one is open."""


_DOCUMENT_SELECT = "SELECT kind, uuid, state, body, reject_code, reject_reason, number, detail FROM document "


def _document(row: tuple[Any, ...]) -> Document:
    kind, uuid, state, body, code, reason, number, detail = row
    return Document(kind, uuid, state, orjson.loads(body), code or "", reason or "", number,
                    orjson.loads(detail) if detail else None)


def receipt_number(series: str, number: int) -> str:
    """``T7-000042``: the series (one per till) and the number in it."""
    return f"{series}-{number:06d}"


def _sale_row(sale: dict[str, Any], body: bytes) -> tuple[Any, ...]:
    return (sale["uuid"], body, sale["total"], sale.get("currency") or "", _now(), sale.get("cash_session"))


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


def push_documents(outbox: Outbox, api: ServerApi, batch_size: int) -> PushResult:
    """Send waiting returns, then closed cash sessions; called after the sales went.

    A return the server cannot match to a sale yet (``unknown-sale``: the sale may still be on
    its way) stays waiting. A server that does not take a kind of document yet (404) leaves
    them waiting too; one that refuses one (409, 422) has it kept for the manager.
    """
    sent = rejected = batches = 0
    while batch := outbox.returns_ready(batch_size):
        uuids = [uuid for uuid, _ in batch]
        try:
            answer = api.push_returns([body for _, body in batch])
        except Refused as exc:
            if exc.status in (401, 403):
                raise
            for uuid in uuids:
                outbox.record_document(uuid, "later", exc.code or str(exc.status), exc.detail)
            log.warning("the server did not take returns (%s); they wait", exc)
            break
        batches += 1
        landed = 0  # answered for good this round: sent or rejected
        for result in answer.get("results", []):
            index = result.get("index")
            if not isinstance(index, int) or not 0 <= index < len(uuids):
                continue
            status, code = str(result.get("status")), result.get("code") or ""
            if status == "rejected" and code == "unknown-sale":
                status = "later"
            outbox.record_document(uuids[index], status, code, result.get("reason") or "",
                                   result.get("number"))
            sent += status in ("accepted", "duplicate")
            rejected += status == "rejected"
            landed += status != "later"
        if not landed:
            break  # the rest waits for the sales it returns from, or for the next round
    for document in outbox.documents("cash-session", "waiting"):
        try:
            answer = api.push_cash_session(document.body)
        except Refused as exc:
            if exc.status in (401, 403):
                raise
            status = "rejected" if exc.status in (409, 422) else "later"
            outbox.record_document(document.uuid, status, exc.code or str(exc.status), exc.detail)
            rejected += status == "rejected"
            if status == "later":
                log.warning("the server did not take a Z report (%s); it waits", exc)
                break
            continue
        batches += 1
        outbox.record_document(document.uuid, str(answer.get("status") or "accepted"))
        sent += 1
    return PushResult(sent, rejected, batches)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _json(value: Any) -> str | None:
    return orjson.dumps(value).decode() if value is not None else None
