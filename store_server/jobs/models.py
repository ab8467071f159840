"""The job table: every piece of background work, leased to one worker at a time.

A row is either a one-off job (charge this payment code, close this QR when its time is up),
done once and kept as a record, or a recurring job (expire orders, deliver webhooks), one row
per kind that goes back to ``pending`` with a later ``run_at`` after each run.

The lease is ``locked_until`` + ``lease_token``: a worker claims a due row by a conditional
UPDATE, renews ``locked_until`` while it works (a heartbeat), and only the holder of the token
may record the outcome. A worker that dies stops renewing; once ``locked_until`` passes, another
worker claims the row again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store_server.db import Base, BigID, JSONDoc, UTCDateTime, utcnow

JOB_STATUSES = ("pending", "done", "failed")


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'done', 'failed')", name="status"),
        # The claim: due pending rows, oldest first.
        Index("ix_job_due", "status", "run_at"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    # What makes two requests for the same work one job: "every:orders.expire",
    # "payment-code:<out_trade_no>". Enqueueing an existing key adds nothing.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    # What a job wrote down while it ran, for the next attempt if this one dies (a payment-code
    # charge notes that its pay request went out, so a second worker queries instead of paying).
    state: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Claims of this run (one-off) or of the current run (recurring); a claim that died counts.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=10)
    runs: Mapped[int] = mapped_column(Integer, default=0)  # runs finished (recurring jobs)
    locked_by: Mapped[str | None] = mapped_column(String(120))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_by: Mapped[str | None] = mapped_column(String(120))
