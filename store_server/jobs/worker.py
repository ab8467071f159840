"""``store-server worker``: claim due jobs, run them in a pool of threads, keep their leases alive.

One loop claims jobs while the pool has room (a job at a time, each with its own lease) and
hands them to threads; a heartbeat thread renews the lease of every job in hand a few times per
lease. A worker killed outright stops renewing, and its jobs are claimed again by another
worker once their leases run out. On SIGTERM the loop stops claiming and the jobs in hand are
finished (a long one, the webhook pass, stops at its next safe point), then the process ends.

Jobs are at-least-once: one whose worker died after doing its work but before recording it runs
again, so every kind is written to be safe to run twice (see ``store_server.jobs.kinds``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from store_server.config import default

from . import queue
from .queue import Claimed, RunLater

if TYPE_CHECKING:
    from store_server.payments.runtime import Payments

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerSettings:
    """How a worker runs (``PLAZA_WORKER_*`` and the recurring jobs' intervals)."""

    # Defaults and meanings live with every other setting (store_server.config).
    threads: int = default("worker_threads")
    lease_s: float = default("worker_lease_s")  # renewed every third of it while a job runs
    poll_s: float = default("worker_poll_s")
    expiry_every_s: float = default("worker_expiry_every_s")
    webhooks_every_s: float = default("worker_webhooks_every_s")
    recommendations_every_s: float = default("worker_recommendations_every_s")
    purge_after_days: float = default("worker_purge_after_days")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WorkerSettings:
        def number(key: str, default: float) -> float:
            value = config.get(key)
            return default if value in (None, "") else float(value)

        return cls(
            threads=int(number("WORKER_THREADS", cls.threads)),
            lease_s=number("WORKER_LEASE_S", cls.lease_s),
            poll_s=number("WORKER_POLL_S", cls.poll_s),
            expiry_every_s=number("WORKER_EXPIRY_EVERY_S", cls.expiry_every_s),
            webhooks_every_s=number("WORKER_WEBHOOKS_EVERY_S", cls.webhooks_every_s),
            recommendations_every_s=number("WORKER_RECOMMENDATIONS_EVERY_S", cls.recommendations_every_s),
            purge_after_days=number("WORKER_PURGE_AFTER_DAYS", cls.purge_after_days),
        )

    def with_overrides(self, **values: Any) -> WorkerSettings:
        return replace(self, **{k: v for k, v in values.items() if v is not None})


@dataclass
class Services:
    """What jobs need from the application, built once per worker."""

    config: Mapping[str, Any]
    session_factory: sessionmaker[Session]
    payments_factory: Callable[[], Payments] | None = None
    _payments: Payments | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def payments(self) -> Payments:
        with self._lock:
            if self._payments is None:
                if self.payments_factory is not None:
                    self._payments = self.payments_factory()
                else:
                    from store_server.payments.runtime import Payments, PaymentSettings

                    self._payments = Payments(PaymentSettings.from_config(self.config), self.session_factory)
            return self._payments


Renewal = Callable[[Session, Claimed], None]


class JobContext:
    """What a running job sees: its claim, the services, and the worker's state."""

    def __init__(self, job: Claimed, worker: Worker) -> None:
        self.job = job
        self.worker_name = worker.name
        self.services = worker.services
        self.settings = worker.settings
        self.stopping = worker.stopping  # set on SIGTERM: a long job may end at a safe point
        self.lost = threading.Event()  # set when the lease was lost: someone else owns the job
        self.renewals: list[Renewal] = []

    @property
    def config(self) -> Mapping[str, Any]:
        return self.services.config

    def session(self) -> Session:
        return self.services.session_factory()

    def should_stop(self) -> bool:
        return self.stopping.is_set() or self.lost.is_set()

    def keep_alive(self, renewal: Renewal) -> None:
        """Run ``renewal`` with every heartbeat while this job runs (the webhook pass renews the
        leases of the deliveries it has claimed this way)."""
        self.renewals.append(renewal)

    def save_state(self, **values: Any) -> None:
        """Write down progress now, for the next worker if this one dies (merged into the state)."""
        state = {**self.job.state, **values}
        with self.session() as session:
            if not queue.save_state(session, self.job, state):
                self.lost.set()
                raise LeaseLost(f"job {self.job.id} is no longer ours")
        object.__setattr__(self.job, "state", state)


class LeaseLost(RuntimeError):
    """The job's lease ran out and another worker took it: stop, that worker finishes it."""


@dataclass(frozen=True)
class Kind:
    """A kind of job: how to run it and, for a recurring kind, how often."""

    name: str
    run: Callable[[JobContext], None]
    every: Callable[[WorkerSettings], float] | None = None  # None: one-off jobs

    def interval(self, settings: WorkerSettings) -> float | None:
        return None if self.every is None else self.every(settings)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """Runs the jobs of ``kinds`` until ``stopping`` is set (or, with ``once``, until nothing is
    due)."""

    def __init__(self, services: Services, settings: WorkerSettings, kinds: Collection[Kind], *,
                 name: str | None = None) -> None:
        self.services = services
        self.settings = settings
        self.kinds = {k.name: k for k in kinds}
        self.name = name or worker_name()
        self.stopping = threading.Event()
        self.lease = timedelta(seconds=settings.lease_s)
        # Idle no longer than the shortest recurring interval (an alias running expiry alone
        # every 50 ms looks that often).
        intervals = [k.interval(settings) or 0 for k in self.kinds.values()]
        self.idle_s = min([settings.poll_s] + [i for i in intervals if i > 0])
        self._running: dict[int, JobContext] = {}
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)

    @property
    def recurring(self) -> list[str]:
        return [name for name, kind in self.kinds.items()
                if kind.every is not None and (kind.interval(self.settings) or 0) > 0]

    def _runnable(self) -> list[str]:
        # A recurring kind switched off here (interval 0) is left to workers that run it.
        return [name for name, kind in self.kinds.items()
                if kind.every is None or (kind.interval(self.settings) or 0) > 0]

    def stop(self) -> None:
        self.stopping.set()
        with self._room:
            self._room.notify_all()

    def run(self, *, once: bool = False) -> int:
        """Claim and run jobs; returns how many ran. Database trouble is logged and retried."""
        ran = 0
        seeded = False
        runnable = self._runnable()
        beat = threading.Thread(target=self._heartbeat, name="job-heartbeat", daemon=True)
        beat.start()
        pool = ThreadPoolExecutor(max_workers=max(1, self.settings.threads), thread_name_prefix="job")
        try:
            with self.services.session_factory() as session:
                while not self.stopping.is_set():
                    try:
                        if not seeded:
                            queue.ensure_recurring(session, self.recurring)
                            seeded = True
                        job = self._claim_when_room(session, runnable)
                    except Exception:
                        pause = max(self.settings.poll_s, 0.5)
                        log.exception("the job queue cannot be read; trying again in %.1f s", pause)
                        session.rollback()
                        self.stopping.wait(pause)
                        continue
                    if job is not None:
                        ran += 1
                        pool.submit(self._execute, job)
                        continue
                    if once and not self._running:
                        break
                    self.stopping.wait(self.idle_s)
        finally:
            # Leaving (SIGTERM, or --once with nothing left): finish the jobs in hand first.
            pool.shutdown(wait=True)
            self.stop()
            beat.join()
        return ran

    def _claim_when_room(self, session: Session, runnable: list[str]) -> Claimed | None:
        with self._room:
            while len(self._running) >= self.settings.threads and not self.stopping.is_set():
                self._room.wait(self.idle_s)
            if self.stopping.is_set():
                return None
        job = queue.claim(session, self.name, runnable, self.lease)
        if job is not None:
            with self._lock:
                self._running[job.id] = JobContext(job, self)
        return job

    def _execute(self, job: Claimed) -> None:
        ctx = self._running[job.id]
        kind = self.kinds[job.kind]
        every = kind.interval(self.settings)
        try:
            with self.services.session_factory() as session:
                try:
                    kind.run(ctx)
                except RunLater as later:
                    queue.defer(session, job, later.at, str(later))
                except LeaseLost:
                    log.warning("job %s (%s): lease lost; another worker finishes it", job.id, job.kind)
                except Exception as exc:
                    log.exception("job %s (%s) failed (attempt %d)", job.id, job.kind, job.attempts)
                    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                    queue.fail(session, job, self.name, text, every=every)
                else:
                    if not queue.finish(session, job, self.name, every=every):
                        log.warning("job %s (%s) finished after its lease was lost", job.id, job.kind)
        except Exception:
            # Recording the end failed (the database went away): the lease runs out and the job
            # runs again, which every kind is written to survive.
            log.exception("job %s (%s): its end could not be recorded", job.id, job.kind)
        finally:
            with self._room:
                self._running.pop(job.id, None)
                self._room.notify_all()

    def _heartbeat(self) -> None:
        """Renew every lease in hand a few times per lease, until the worker has stopped and
        its jobs have ended."""
        every = max(self.settings.lease_s / 3, 0.05)
        with self.services.session_factory() as session:
            while True:
                with self._lock:
                    contexts = list(self._running.values())
                    idle = self.stopping.is_set() and not contexts
                if idle:
                    return
                for ctx in contexts:
                    try:
                        if not queue.renew(session, ctx.job):
                            ctx.lost.set()
                            continue
                        for renewal in ctx.renewals:
                            renewal(session, ctx.job)
                    except Exception:
                        session.rollback()
                        log.exception("could not renew the lease of job %s", ctx.job.id)
                # Not the stop event: the heartbeat must go on while the jobs in hand finish.
                with self._room:
                    self._room.wait(every)
