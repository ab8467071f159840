"""The till's print spool journal: every job is on disk before it is sent, and a job sent
again is not printed again once it was acknowledged.

A real printer cannot dedupe, so the client remembers. Each job is written to the journal
(SQLite, one file per till) before it is sent, marked ``reached`` the moment its bytes start
going to the printer, and marked printed once the printer acknowledged it; a job sent again with
the same id is then answered from the journal. A job that failed stays ``pending`` for
``pending()``/retry, and survives a crash of the till: whoever owns the journal sends it after a
restart. ``reached`` tells a job that never got to the printer (send it as it is) from one that
may have printed before the acknowledgement was lost (the till prints a marked copy instead,
see pos_client/printing.py). Each job may carry a ``recipe``: whatever its owner needs to build
such a copy, opaque here.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# pending: to be sent; printed: acknowledged; replaced: it may have printed, and a marked copy
# (``replaced_by``) was sent in its place; unconfirmed: it may have printed and nothing more
# will be sent for it.
PENDING, PRINTED, REPLACED, UNCONFIRMED = "pending", "printed", "replaced", "unconfirmed"

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
# Added since the first journals were written: a till's existing file gains them on open.
ADDED_COLUMNS = {
    "reached": "INTEGER NOT NULL DEFAULT 0",
    "recipe": "TEXT",
    "replaced_by": "TEXT",
}
COLUMNS = "job_id, printer_url, state, data, attempts, last_error, reached, recipe, replaced_by"


@dataclass(frozen=True)
class SpooledJob:
    job_id: str
    printer_url: str
    state: str
    data: bytes
    attempts: int
    last_error: str | None
    reached: bool = False  # its bytes started going to the printer at least once
    recipe: str | None = None
    replaced_by: str | None = None


def _now() -> str:
    return datetime.now(UTC).isoformat()


class SpoolJournal:
    """Journal of print jobs in a SQLite file (``":memory:"`` for a throwaway one)."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(SCHEMA)
        present = {row[1] for row in self._db.execute("PRAGMA table_info(print_jobs)")}
        for name, definition in ADDED_COLUMNS.items():
            if name not in present:
                self._db.execute(f"ALTER TABLE print_jobs ADD COLUMN {name} {definition}")

    def get(self, job_id: str) -> SpooledJob | None:
        with self._lock:
            row = self._db.execute(f"SELECT {COLUMNS} FROM print_jobs WHERE job_id = ?",
                                   (job_id,)).fetchone()
        return _job(row) if row else None

    def record(self, job_id: str, printer_url: str, data: bytes,
               recipe: str | None = None) -> SpooledJob:
        """Write the job down before it is sent (a no-op if it is already known)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO print_jobs (job_id, printer_url, state, data, recipe, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(job_id) DO NOTHING",
                (job_id, printer_url, PENDING, data, recipe, _now()))
        job = self.get(job_id)
        assert job is not None
        return job

    def mark_reached(self, job_id: str) -> None:
        """The job's bytes are about to go to the printer: from now on it may have printed."""
        with self._lock:
            self._db.execute("UPDATE print_jobs SET reached = 1 WHERE job_id = ?", (job_id,))

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

    def mark_replaced(self, job_id: str, by: str) -> None:
        """A marked copy ``by`` is sent instead of this job, which may have printed."""
        with self._lock:
            self._db.execute("UPDATE print_jobs SET state = ?, replaced_by = ? WHERE job_id = ?",
                             (REPLACED, by, job_id))

    def mark_unconfirmed(self, job_id: str) -> None:
        """This job may have printed; nothing more is sent for it."""
        with self._lock:
            self._db.execute("UPDATE print_jobs SET state = ? WHERE job_id = ?",
                             (UNCONFIRMED, job_id))

    def pending(self, printer_url: str | None = None) -> list[SpooledJob]:
        """Jobs still to be sent, oldest first (for one printer, when ``printer_url`` is given)."""
        query = f"SELECT {COLUMNS} FROM print_jobs WHERE state = ?"
        args: tuple[str, ...] = (PENDING,)
        if printer_url is not None:
            query += " AND printer_url = ?"
            args += (printer_url,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY created_at, rowid", args).fetchall()
        return [_job(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _job(row: tuple[object, ...]) -> SpooledJob:
    job_id, url, state, data, attempts, error, reached, recipe, replaced_by = row
    return SpooledJob(str(job_id), str(url), str(state), bytes(data),  # type: ignore[arg-type]
                      int(attempts), error, bool(reached), recipe, replaced_by)  # type: ignore[arg-type]
