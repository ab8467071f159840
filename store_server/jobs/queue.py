"""The job queue: add jobs in the caller's transaction, lease them to workers, record the end.

Enqueueing joins the transaction of the change that needs the work (the payment-code charge is
written with its payment, the QR's closing with the QR), so a job exists exactly when its cause
committed: no work is lost to a crash between the two, and none is queued for a change that
rolled back. That is why the queue lives in our own database rather than in a broker.

Claiming is the webhook deliveries' pattern: find a due row (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so workers take different rows instead of queueing on one; SQLite has one writer
anyway), then a conditional UPDATE that only matches a row nobody holds is the claim. The
lease is renewed while the job runs (``renew``); every write at the end names the lease token,
so a worker whose lease ran out, and whose job another worker took, changes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from store_server.db import insert_missing, is_postgres, transaction, utcnow

from .models import Job

RECURRING_PREFIX = "every:"


class RunLater(Exception):  # noqa: N818 - not an error: the job asks to be run again later
    """Raised by a job that cannot do its work yet (a QR whose time is not up by our clock):
    it goes back to the queue for ``at`` without counting as a failed attempt."""

    def __init__(self, at: datetime, why: str = "") -> None:
        super().__init__(why or f"run again at {at.isoformat()}")
        self.at = at


@dataclass(frozen=True)
class Claimed:
    """A job leased to this worker: what it needs to run, and the token that proves the lease."""

    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    state: dict[str, Any]
    attempts: int
    max_attempts: int
    lease_token: str
    lease: timedelta = field(compare=False)

    @property
    def recurring(self) -> bool:
        return self.key.startswith(RECURRING_PREFIX)


def enqueue(session: Session, kind: str, key: str, payload: dict[str, Any] | None = None, *,
            run_at: datetime | None = None, max_attempts: int = 10) -> None:
    """Queue a job in the caller's transaction; a job with this ``key`` already there stays as
    it is (the same work asked for twice is one job)."""
    now = utcnow()
    insert_missing(session, Job.__table__, [{
        "kind": kind, "key": key, "payload": payload or {}, "state": {}, "status": "pending",
        "run_at": run_at or now, "attempts": 0, "max_attempts": max_attempts, "runs": 0,
        "last_error": "", "created_at": now,
    }], ["key"])


def ensure_recurring(session: Session, kinds: Collection[str]) -> None:
    """One row per recurring kind, due now if it is new."""
    with transaction(session):
        for kind in sorted(kinds):
            enqueue(session, kind, RECURRING_PREFIX + kind)


def _free(now: datetime) -> Any:
    return or_(Job.locked_until.is_(None), Job.locked_until <= now)


def _due(kinds: Collection[str], now: datetime) -> Any:
    return (select(Job.id).where(Job.status == "pending", Job.run_at <= now, _free(now),
                                 Job.kind.in_(list(kinds)))
            .order_by(Job.run_at, Job.id).limit(1))


def claim(session: Session, worker: str, kinds: Collection[str], lease: timedelta) -> Claimed | None:
    """Lease the most overdue job of ``kinds`` to ``worker`` and commit the lease; None if
    nothing is due."""
    # A plain read first: an idle worker must not take SQLite's write lock just to find nothing.
    found = session.execute(_due(kinds, utcnow())).first()
    session.rollback()
    if found is None:
        return None
    token = secrets.token_hex(16)
    with transaction(session):
        now = utcnow()
        stmt = _due(kinds, now)
        if is_postgres(session):
            stmt = stmt.with_for_update(skip_locked=True)
        job_id = session.scalar(stmt)
        if job_id is None:
            return None
        row = session.execute(
            update(Job).where(Job.id == job_id, Job.status == "pending", _free(now))
            .values(locked_by=worker[:120], locked_until=now + lease, lease_token=token,
                    attempts=Job.attempts + 1, started_at=now)
            .returning(Job.id, Job.kind, Job.key, Job.payload, Job.state, Job.attempts, Job.max_attempts)
            .execution_options(synchronize_session=False)
        ).one_or_none()
    if row is None:
        return None
    return Claimed(row.id, row.kind, row.key, dict(row.payload or {}), dict(row.state or {}),
                   row.attempts, row.max_attempts, token, lease)


def _held(job: Claimed) -> Any:
    return (Job.id == job.id) & (Job.lease_token == job.lease_token)


def renew(session: Session, job: Claimed) -> bool:
    """Push the lease on; False if it is not ours any more (it ran out and another worker took
    the job)."""
    with transaction(session):
        return session.execute(
            update(Job).where(_held(job)).values(locked_until=utcnow() + job.lease)
            .execution_options(synchronize_session=False)
        ).rowcount == 1


def save_state(session: Session, job: Claimed, state: dict[str, Any]) -> bool:
    """Write down how far the job got (committed now), for whoever runs it next."""
    with transaction(session):
        return session.execute(
            update(Job).where(_held(job)).values(state=state)
            .execution_options(synchronize_session=False)
        ).rowcount == 1


def finish(session: Session, job: Claimed, worker: str, *, every: float | None = None) -> bool:
    """The job succeeded. A one-off job is done; a recurring one is due again in ``every``
    seconds. False if the lease was no longer ours (the other worker records its own end)."""
    now = utcnow()
    values: dict[str, Any] = {"locked_by": None, "locked_until": None, "lease_token": None,
                              "finished_at": now, "finished_by": worker[:120], "last_error": ""}
    if job.recurring:
        values.update(run_at=now + timedelta(seconds=every or 0), attempts=0, runs=Job.runs + 1,
                      state={})
    else:
        values.update(status="done", runs=Job.runs + 1)
    with transaction(session):
        return session.execute(
            update(Job).where(_held(job)).values(**values).execution_options(synchronize_session=False)
        ).rowcount == 1


def retry_delay(attempts: int) -> float:
    """Seconds before a failed job runs again: 5 s, doubling, at most an hour."""
    return float(min(3600, 5 * 2 ** max(0, attempts - 1)))


def fail(session: Session, job: Claimed, worker: str, error: str, *, every: float | None = None) -> bool:
    """The job raised. A one-off job runs again later, until ``max_attempts`` claims, then it is
    ``failed`` (kept, with its error, for a person); a recurring job just runs at its next time."""
    now = utcnow()
    values: dict[str, Any] = {"locked_by": None, "locked_until": None, "lease_token": None,
                              "last_error": error[:2000]}
    if job.recurring:
        values.update(run_at=now + timedelta(seconds=max(every or 0, retry_delay(job.attempts))),
                      attempts=0)
    elif job.attempts >= job.max_attempts:
        values.update(status="failed", finished_at=now, finished_by=worker[:120])
    else:
        values.update(run_at=now + timedelta(seconds=retry_delay(job.attempts)))
    with transaction(session):
        return session.execute(
            update(Job).where(_held(job)).values(**values).execution_options(synchronize_session=False)
        ).rowcount == 1


def defer(session: Session, job: Claimed, at: datetime, why: str) -> bool:
    """Back to the queue until ``at``; the claim does not count as an attempt."""
    with transaction(session):
        return session.execute(
            update(Job).where(_held(job)).values(
                run_at=at, locked_by=None, locked_until=None, lease_token=None,
                attempts=Job.attempts - 1, last_error=why[:2000])
            .execution_options(synchronize_session=False)
        ).rowcount == 1


def backlog(session: Session) -> dict[str, int]:
    """Pending jobs that are due now, by kind (what the workers have not caught up with)."""
    now = utcnow()
    rows = session.execute(
        select(Job.kind, func.count()).where(Job.status == "pending", Job.run_at <= now)
        .group_by(Job.kind)).all()
    return {kind: int(count) for kind, count in rows}


def purge(session: Session, older_than: timedelta) -> int:
    """Forget one-off jobs that ended more than ``older_than`` ago; returns how many."""
    with transaction(session):
        return session.execute(
            delete(Job).where(Job.status.in_(("done", "failed")),
                              Job.finished_at < utcnow() - older_than)
            .execution_options(synchronize_session=False)
        ).rowcount
