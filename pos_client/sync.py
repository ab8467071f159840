"""The till's background sync: push waiting sales, then returns and Z reports, then pull
catalogue changes (and the store's cashiers when they changed), forever.

One thread does it all, so the server always sees a till's sales before it is asked for the
stock changes they caused, and a sale before any return made from it. When the server cannot
be reached the loop waits longer after each failure (exponential backoff with jitter, capped),
so a hundred tills do not hammer a server that is coming back up; a completed sale or the
cashier's "sync now" wakes it early.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pos_client.outbox import Outbox, push_documents, push_waiting
from pos_client.replica import Replica, sync_catalogue
from pos_client.server_api import Refused, ServerApi, Unreachable

log = logging.getLogger(__name__)


@dataclass
class SyncState:
    online: bool = False
    last_contact_at: str | None = None
    last_push_at: str | None = None
    last_error: str | None = None
    failures: int = 0
    next_attempt_at: float = 0.0  # time.monotonic()
    syncing: bool = False


class SyncLoop:
    def __init__(self, replica: Replica, outbox: Outbox, api: ServerApi, batch_size: int = 200,
                 interval: float = 2.0, max_backoff: float = 30.0) -> None:
        self.replica, self.outbox, self.api = replica, outbox, api
        self.batch_size = batch_size
        self.interval = interval
        self.max_backoff = max_backoff
        self.state = SyncState()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one sync at a time (the loop, or a caller's sync_once)
        # Work that needs the server, run after the pushes: finishing interrupted refunds.
        self.before_documents: list[Callable[[], None]] = []
        self.refresh_cashiers: Callable[[], int] | None = None
        self.cashiers_known: Callable[[], bool] = lambda: True
        # The cashiers are fetched again on the first pass after a start (a PIN may have changed
        # while the till was off), unless a first sync in the foreground already did.
        self.cashiers_due = True
        api.sync_report = self.report

    def report(self) -> dict[str, str]:
        """What each sync call tells the server (its metrics): the last feed seq applied here and
        how many documents wait in the outbox (header names: store_server.api.framework)."""
        return {"Plaza-Feed-Position": str(self.replica.after),
                "Plaza-Outbox-Depth": str(self.outbox.depth())}

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="till-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def wake(self, force: bool = False) -> None:
        """Sync soon. A new sale wakes the loop only while the server answers; the cashier's
        "sync now" (``force``) also cuts a backoff short."""
        if force or self.state.online:
            self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sync_once()
            self._wake.wait(self._delay())
            self._wake.clear()

    def _delay(self) -> float:
        if self.state.failures == 0:
            return self.interval
        backoff = min(self.max_backoff, 0.5 * 2 ** min(self.state.failures, 10))
        delay = backoff * random.uniform(0.5, 1.0)  # jitter: tills that lost the link together spread out
        self.state.next_attempt_at = time.monotonic() + delay
        return delay

    def sync_once(self) -> bool:
        """Push, then pull; True when both went through."""
        with self._lock:
            self.state.syncing = True
            try:
                self._push_and_pull()
            except Unreachable as exc:
                self._failed(str(exc), online=False)
                return False
            except Refused as exc:
                # The server is there but says no (a revoked token, say): keep the sales and
                # keep asking, slowly; the manager sees the reason on the status page.
                self._failed(f"the server refused: {exc.detail}", online=True)
                return False
            except Exception as exc:  # noqa: BLE001 (the loop must outlive any one bad page)
                log.exception("sync failed")
                self._failed(f"{type(exc).__name__}: {exc}", online=self.state.online)
                return False
            finally:
                self.state.syncing = False
            now = _now()
            self.state.online, self.state.failures, self.state.last_error = True, 0, None
            self.state.last_contact_at = now
            return True

    def _push_and_pull(self) -> None:
        result = push_waiting(self.outbox, self.api, self.batch_size)
        if result.batches:
            self.state.last_push_at = _now()
            log.info("pushed %d sales (%d rejected) in %d batches", result.sent, result.rejected,
                     result.batches)
        for task in self.before_documents:
            task()
        documents = push_documents(self.outbox, self.api, self.batch_size)
        if documents.sent or documents.rejected:
            log.info("pushed %d returns and Z reports (%d rejected)", documents.sent, documents.rejected)
        sync_catalogue(self.replica, self.api)
        if self.refresh_cashiers is not None and (self.cashiers_due or self.replica.cashiers_stale
                                                  or not self.cashiers_known()):
            self.replica.mark_cashiers(stale=False)  # before fetching: a change during the fetch counts
            try:
                log.info("the store's cashiers: %d", self.refresh_cashiers())
            except Refused as exc:
                log.warning("the server did not give this till its cashiers: %s", exc)
            except BaseException:
                self.replica.mark_cashiers(stale=True)
                raise
            self.cashiers_due = False

    def _failed(self, reason: str, online: bool) -> None:
        self.state.online = online
        self.state.failures += 1
        self.state.last_error = reason

    def status(self) -> dict[str, Any]:
        counts = self.outbox.counts()
        state = self.state
        return {
            # The sync loop may sit in a long call to a hanging server: the breaker knows sooner.
            "online": state.online and not self.api.breaker.open,
            "waiting": counts["waiting"],
            "rejected": counts["rejected"] + counts["documents_rejected"],
            "sent": counts["sent"],
            "documents_waiting": counts["documents_waiting"],
            "last_sync_at": self.replica.last_synced_at,
            "last_contact_at": state.last_contact_at,
            "last_push_at": state.last_push_at,
            "last_error": state.last_error,
            "syncing": state.syncing,
            "retry_in": (max(0.0, round(state.next_attempt_at - time.monotonic(), 1))
                         if state.failures else 0.0),
            "catalogue_ready": self.replica.ready,
            "feed_position": self.replica.after,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat()
