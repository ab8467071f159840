"""The till's print spool journal: a retried job is not sent again once it was acknowledged.

A real printer cannot dedupe, so the client remembers. Each job is written to the journal
(SQLite, one file per till) before it is sent and marked printed once the printer
acknowledged it; a job sent again with the same id is then answered from the journal. A job
that failed stays ``pending`` for ``pending()``/retry. The window where the printer printed but
the acknowledgement was lost cannot be closed on the client; the virtual printer and printers
that report process ids close it on their side (see docs/HARDWARE.md).
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

PENDING, PRINTED = "pending", "printed"

SCHEMA = """
CREATE TABLE IF NOT EXISTS print_jobs (
    job_id TEXT PRIMARY KEY,
    printer_url TEXT NOT NULL,
    state TEXT NOT NULL,
    data BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    printed_at TEXT
)
"""


@dataclass(frozen=True)
class SpooledJob:
    job_id: str
    printer_url: str
    state: str
    data: bytes
    attempts: int
    last_error: str | None


def _now() -> str:
    return datetime.now(UTC).isoformat()


class SpoolJournal:
    """Journal of print jobs in a SQLite file (``":memory:"`` for a throwaway one)."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(SCHEMA)

    def get(self, job_id: str) -> SpooledJob | None:
        with self._lock:
            row = self._db.execute(
                "SELECT job_id, printer_url, state, data, attempts, last_error FROM print_jobs"
                " WHERE job_id = ?", (job_id,)).fetchone()
        return SpooledJob(*row) if row else None

    def record(self, job_id: str, printer_url: str, data: bytes) -> SpooledJob:
        """Write the job down before it is sent (a no-op if it is already known)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO print_jobs (job_id, printer_url, state, data, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(job_id) DO NOTHING",
                (job_id, printer_url, PENDING, data, _now()))
        job = self.get(job_id)
        assert job is not None
        return job

    def mark_attempt(self, job_id: str, error: str | None) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE print_jobs SET attempts = attempts + 1, last_error = ? WHERE job_id = ?",
                (error, job_id))

    def mark_printed(self, job_id: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE print_jobs SET state = ?, printed_at = ?, last_error = NULL"
                " WHERE job_id = ?", (PRINTED, _now(), job_id))

    def pending(self) -> list[SpooledJob]:
        with self._lock:
            rows = self._db.execute(
                "SELECT job_id, printer_url, state, data, attempts, last_error FROM print_jobs"
                " WHERE state = ? ORDER BY created_at", (PENDING,)).fetchall()
        return [SpooledJob(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
