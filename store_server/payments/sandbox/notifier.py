"""Async notifications: POST a signed form to the merchant's notify_url until it says ``success``.

One background thread delivers in due-time order and retries with the configured backoff
(Alipay: about 8 attempts over 25 hours; tests use fractions of a second). The same thread
runs a periodic sweep so that trades waiting for a shopper time out even when nobody asks.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# Alipay's schedule after the first attempt: 4m, 10m, 10m, 1h, 2h, 6h, 15h.
ALIPAY_RETRY_DELAYS = (240.0, 600.0, 600.0, 3600.0, 7200.0, 21600.0, 54000.0)


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    url: str = field(compare=False)
    form: dict[str, str] = field(compare=False)
    record: dict[str, Any] = field(compare=False)
    attempt: int = field(default=0, compare=False)


class Notifier:
    def __init__(
        self,
        retry_delays: Sequence[float] = ALIPAY_RETRY_DELAYS,
        timeout: float = 10.0,
        sweep: Callable[[], None] | None = None,
        sweep_interval: float = 1.0,
    ) -> None:
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self._sweep = sweep
        self._sweep_interval = sweep_interval
        self._queue: list[_Delivery] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._held = False  # tests: queue notifications, send none until released
        self.log: list[dict[str, Any]] = []  # every notification and each attempt, for tests
        self._thread = threading.Thread(target=self._run, name="sandbox-notifier", daemon=True)
        self._thread.start()

    def send(self, url: str, form: dict[str, str], delay: float = 0.0, **info: Any) -> None:
        record = {
            "notify_id": form.get("notify_id"),
            "out_trade_no": form.get("out_trade_no"),
            "trade_status": form.get("trade_status"),
            "url": url,
            "delivered": False,
            "attempts": [],
            **info,
        }
        with self._cond:
            self.log.append(record)
            heapq.heappush(
                self._queue,
                _Delivery(time.monotonic() + delay, next(self._seq), url, dict(form), record),
            )
            self._cond.notify()

    def records(self, out_trade_no: str | None = None) -> list[dict[str, Any]]:
        """A copy of the delivery log, safe to serialise while deliveries go on."""
        with self._cond:
            return [
                {**r, "attempts": [dict(a) for a in r["attempts"]]}
                for r in self.log
                if out_trade_no is None or r.get("out_trade_no") == out_trade_no
            ]

    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    def hold(self) -> None:
        """Keep every notification queued (sweeps go on) until :meth:`release`."""
        with self._cond:
            self._held = True

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        next_sweep = time.monotonic() + self._sweep_interval
        while True:
            with self._cond:
                while not self._stopped:
                    now = time.monotonic()
                    if self._queue and self._queue[0].due <= now and not self._held:
                        delivery: _Delivery | None = heapq.heappop(self._queue)
                        break
                    if now >= next_sweep:
                        delivery = None
                        break
                    wake = next_sweep
                    if self._queue and not self._held:
                        wake = min(wake, self._queue[0].due)
                    self._cond.wait(wake - now)
                else:
                    return
            if delivery is None:
                next_sweep = time.monotonic() + self._sweep_interval
                if self._sweep is not None:
                    try:
                        self._sweep()
                    except Exception:  # keep delivering even if a sweep trips
                        log.exception("sandbox sweep failed")
                continue
            self._attempt(delivery)

    def _attempt(self, delivery: _Delivery) -> None:
        body = urllib.parse.urlencode(delivery.form).encode("utf-8")
        request = urllib.request.Request(
            delivery.url,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            method="POST",
        )
        outcome: dict[str, Any] = {"at": time.time()}
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read(1000).decode("utf-8", "replace")
                outcome.update(status=response.status, body=text)
                accepted = response.status == 200 and text.strip() == "success"
        except urllib.error.HTTPError as exc:
            outcome.update(status=exc.code, body=exc.read(1000).decode("utf-8", "replace"))
            accepted = False
        except (OSError, ValueError) as exc:
            outcome.update(error=str(exc))
            accepted = False
        with self._cond:
            delivery.record["attempts"].append(outcome)
            if accepted:
                delivery.record["delivered"] = True
                return
            if delivery.attempt < len(self.retry_delays):
                delivery.due = time.monotonic() + self.retry_delays[delivery.attempt]
                delivery.attempt += 1
                delivery.seq = next(self._seq)
                heapq.heappush(self._queue, delivery)
                self._cond.notify()
            else:
                delivery.record["gave_up"] = True
