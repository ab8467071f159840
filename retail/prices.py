"""Which price is in force: the rule the server and the tills (offline) must share.

A SKU's price list holds windows ``[valid_from, valid_to)``. At a given moment, among the
windows that cover it, a bounded window (a promotion or a temporary price) beats an open-ended
one (the shelf price), and among those of the same kind the one that started last wins. So a
weekend price holds even if the shelf price was edited during the weekend, and a price rise
scheduled for next month simply starts then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any


def _parse(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def price_in_force(windows: Iterable[Mapping[str, Any]], at: datetime) -> int | None:
    """The amount (minor units) in force at ``at``, or None when no window covers it."""
    best: tuple[bool, datetime] | None = None
    amount = None
    for window in windows:
        start = _parse(window["valid_from"])
        end = _parse(window.get("valid_to"))
        assert start is not None
        if start <= at and (end is None or at < end):
            rank = (end is not None, start)
            if best is None or rank > best:
                best, amount = rank, int(window["amount"])
    return amount
