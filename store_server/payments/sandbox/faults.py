"""Failure-injection switches for the sandbox gateway (``/_sandbox/faults``).

Counters say how many of the next calls or notifications misbehave; each use decrements.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

COUNTERS = (
    "unsigned",  # answer without "sign": the merchant must treat it as unknown
    "slow",  # process, then wait slow_seconds before answering (client timeouts)
    "code_20000",  # answer 20000 (unknown); processed first if code_20000_processed
    "cancel_retry",  # cancel answers 40004 ACQ.SYSTEM_ERROR with retry_flag=Y, does nothing
    "duplicate_notifications",  # send the notification twice (same notify_id)
    "out_of_order_notifications",  # hold it back so the next one overtakes it
    "wrong_amount_notifications",  # correctly signed, but total_amount is 1.00 too high
    "forged_notifications",  # signed with a key that is not the gateway's
)


@dataclass
class FaultSettings:
    unsigned: int = 0
    slow: int = 0
    slow_seconds: float = 2.0
    code_20000: int = 0
    code_20000_processed: bool = True
    cancel_retry: int = 0
    duplicate_notifications: int = 0
    out_of_order_notifications: int = 0
    out_of_order_hold_seconds: float = 1.0
    wrong_amount_notifications: int = 0
    forged_notifications: int = 0


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings = FaultSettings()

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Set the given switches (others unchanged). Raises ValueError on unknown names."""
        known = {f.name: f.type for f in fields(FaultSettings)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown fault switches: {', '.join(unknown)}")
        with self._lock:
            for name, value in changes.items():
                current = getattr(self._settings, name)
                if isinstance(current, bool):
                    if not isinstance(value, bool):
                        raise ValueError(f"{name} takes true or false")
                elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise ValueError(f"{name} takes a non-negative number")
                setattr(self._settings, name, type(current)(value))
            return asdict(self._settings)

    def reset(self) -> dict[str, Any]:
        with self._lock:
            self._settings = FaultSettings()
            return asdict(self._settings)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self._settings)

    def take(self, counter: str) -> bool:
        """Use one of ``counter`` if any is left."""
        with self._lock:
            left = getattr(self._settings, counter)
            if left <= 0:
                return False
            setattr(self._settings, counter, left - 1)
            return True

    def value(self, name: str) -> Any:
        with self._lock:
            return getattr(self._settings, name)
