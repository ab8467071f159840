"""When a promotion is on: its window and daily hours, read in the store's local time.

Managers write windows as local wall times ("from 8 May to 14 May", "00:00 to 03:30 on the night
the clocks go forward"). The moment of a sale is an aware instant. We turn each window bound into
the instant it names in the store's zone and compare instants, so DST nights behave as a person
expects:

- a bound that falls in the hour skipped when clocks go forward (02:30 on a Madrid spring-forward
  night) means the instant the clocks jump (03:00 local): "from 02:30" starts as soon as there is a
  time at or after 02:30, and "until 02:30" ends at that same instant;
- a bound that falls in the hour repeated when clocks go back means its first occurrence, so a
  window that has ended does not reopen for an hour.

Daily hours ("22:00–02:00") are wall-clock hours of each local day and may cross midnight; the
weekday of an evening slot that runs past midnight is the day it started.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from retail.promotions.rules import Moment, PromotionError, Rule, _as_end, _as_start


def store_zone(name: str) -> ZoneInfo:
    """The store's IANA zone, or a PromotionError that says which name is wrong."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PromotionError(f"{name!r} is not an IANA time zone (e.g. Europe/Madrid)") from exc


def local_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the store's clock reads ``wall`` or later."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # an ordinary time, or the first of a repeated one (fold=0 is the earlier)
    # ``wall`` was skipped by a forward jump. Read with the offset after the jump it lands
    # before the jump, with the offset before it after the jump; the jump lies between, on a
    # whole second, so bisect for the first second whose local time is at or after ``wall``.
    low = math.floor(wall.replace(tzinfo=zone, fold=1).timestamp())
    high = math.ceil(first.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def window_instants(rule: Rule, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """The rule's window as UTC instants ``[start, end)``; None where it is open-ended."""
    return (_instant(rule.valid_from, zone, start=True), _instant(rule.valid_to, zone, start=False))


def _instant(moment: Moment | None, zone: ZoneInfo, *, start: bool) -> datetime | None:
    if moment is None:
        return None
    return local_instant(_as_start(moment) if start else _as_end(moment), zone)


def why_not_on(rule: Rule, at: datetime, zone: ZoneInfo) -> tuple[str, str] | None:
    """None when ``rule`` is on at ``at``; otherwise a (code, explanation) pair."""
    start, end = window_instants(rule, zone)
    local = at.astimezone(zone)
    now = f"it is {local:%Y-%m-%d %H:%M %Z} in {zone.key}"
    if start is not None and at < start:
        return "not_started", f"starts {start.astimezone(zone):%Y-%m-%d %H:%M %Z}, {now}"
    if end is not None and at >= end:
        return "ended", f"ended {end.astimezone(zone):%Y-%m-%d %H:%M %Z}, {now}"
    day = local.date()
    if rule.daily_from is not None and rule.daily_to is not None:
        in_hours, day = _within_hours(local.time().replace(tzinfo=None), day, rule.daily_from, rule.daily_to)
        if not in_hours:
            return "outside_hours", (f"on {rule.daily_from:%H:%M}-{rule.daily_to:%H:%M} local, "
                                     f"it is {local:%H:%M}")
    if rule.weekdays and day.isoweekday() not in rule.weekdays:
        return "wrong_day", f"on ISO weekdays {list(rule.weekdays)}, it is {day.isoweekday()}"
    return None


def _within_hours(now: time, today: date, start: time, end: time) -> tuple[bool, date]:
    """Whether ``now`` is in the daily slot, and the day that slot began."""
    if start < end:
        return start <= now < end, today
    if now >= start:
        return True, today
    # After midnight in a slot that began the evening before: that evening's weekday counts.
    return now < end, today - timedelta(days=1)
