"""When a till's document really happened, on the server's clock, whatever the till's clock said.

A till's wall clock can be hours off, and NTP may step it right between a sale and the push
that carries it: the time the push was sent (``sent_at``) then says nothing about the sale.
So a till stamps each document with a clock nobody steps, ``clock = {boot, monotonic}``
(seconds on the machine's boot-time clock, and which boot), plus its own estimate of our time
(``server_time``) when it has heard from us since that boot; and it stamps each push the same
way (``sent_clock``). We then place the document, trusting in this order:

1. the push comes from the same boot: the document happened ``sent monotonic - its monotonic``
   seconds before we received the push. Only our clock and an elapsed time: NTP cannot spoil it;
2. the till's estimate of our time, from its last contact with us in the boot it was made in;
3. the till's clock, corrected by the push's ``sent_at`` offset (right unless the clock was
   stepped between the document and the push; the only way for a till that stamps nothing).

Time alone never refuses a document: the shopper has paid and left. A time that still reads
in the future is recorded as the moment we received it, and so is one from before any till
of ours sold anything (a clock reset to 1970, a correction that overshoots by decades);
anything odd (a correction of more than a few minutes, a future or impossible time, a
document weeks old) is flagged for the manager.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from store_server.validation import AwareMoment

# Below this, a gap between the device's clock and ours is transit time, not a wrong clock.
CLOCK_TOLERANCE = timedelta(minutes=1)
# A correction above this means the till's clock is wrong: the manager should have it set.
SUSPICIOUS_CORRECTION = timedelta(minutes=5)
# A document older than this when it reaches us is worth a look (a till offline for a week?).
PLAUSIBLE_AGE = timedelta(days=7)
# No till of ours sold anything before this: an earlier time is a clock fault, not history.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class ClockStamp(BaseModel):
    """A reading of the device's clocks that NTP does not step, taken with a document or a push."""

    boot: str = Field(min_length=1, max_length=64,
                      description="which boot of the device the reading is from (Linux: boot_id)")
    monotonic: float = Field(ge=0, le=10**10, allow_inf_nan=False,
                             description="seconds on the device's boot-time clock, never stepped")
    server_time: AwareMoment | None = Field(
        None, description="the device's estimate of the server's time at that moment, from its "
                          "last contact with the server in this boot; absent without one")


@dataclass(frozen=True, slots=True)
class PushClock:
    """What a push said about the device's clocks as it was sent, and when we received it."""

    received_at: datetime
    sent_at: datetime | None = None
    sent_clock: ClockStamp | None = None

    @property
    def offset(self) -> timedelta:
        """What to add to the device's clock so it reads ours (zero when close enough)."""
        return device_clock_offset(self.received_at, self.sent_at)


@dataclass(frozen=True, slots=True)
class DocumentTime:
    """A document's moment: as the device's clock read it, and as it was on ours."""

    device: datetime
    at: datetime
    how: str  # monotonic, server-time or sent-at
    flags: list[dict[str, str]] = field(default_factory=list)


def device_clock_offset(now: datetime, sent_at: datetime | None) -> timedelta:
    """What to add to a device's times so they read on our clock (zero when close enough)."""
    if sent_at is not None and abs(now - sent_at) > CLOCK_TOLERANCE:
        return now - sent_at
    return timedelta(0)


def place_in_time(device_time: datetime, stamp: ClockStamp | None, push: PushClock) -> DocumentTime:
    """When a document the device timed ``device_time`` (and stamped ``stamp``) happened."""
    sent = push.sent_clock
    if (stamp is not None and sent is not None and stamp.boot == sent.boot
            and sent.monotonic >= stamp.monotonic):
        at, how = push.received_at - timedelta(seconds=sent.monotonic - stamp.monotonic), "monotonic"
    elif stamp is not None and stamp.server_time is not None:
        at, how = stamp.server_time, "server-time"
    else:
        # Both times are within the years validation.AwareMoment allows, so this stays on the
        # calendar (a year-91 sale corrected by a push sent in 3909 was an OverflowError).
        at, how = device_time + push.offset, "sent-at"
    flags = []
    if at < EARLIEST:
        flags.append(flag("impossible-time", f"the till's clock said "
                                             f"{device_time.isoformat(timespec='seconds')}, which even "
                                             f"corrected ({how}) is before any sale of ours: recorded "
                                             "as received"))
        return DocumentTime(device_time, push.received_at, how, flags)
    future = at > push.received_at + CLOCK_TOLERANCE
    if at > push.received_at:
        # Nothing happened after we heard of it; within the tolerance that is transit, not a flag.
        if future:
            flags.append(flag("future-time", f"even corrected ({how}), it reads "
                                             f"{span(at - push.received_at)} after the server received "
                                             "it: recorded as received (the till's clock said "
                                             f"{device_time.isoformat(timespec='seconds')})"))
        at = push.received_at
    if not future and abs(at - device_time) > SUSPICIOUS_CORRECTION:
        fast = device_time > at
        flags.append(flag("clock-corrected", f"the till's clock was {span(at - device_time)} "
                                             f"{'fast' if fast else 'slow'}: recorded at the corrected "
                                             f"time (its clock said "
                                             f"{device_time.isoformat(timespec='seconds')})"))
    if push.received_at - at > PLAUSIBLE_AGE:
        flags.append(flag("old", f"made {span(push.received_at - at)} before it reached the server"))
    return DocumentTime(device_time, at, how, flags)


def flag(code: str, detail: str) -> dict[str, str]:
    """One thing for the manager to look at: a stable code and what happened, in words."""
    return {"code": code, "detail": detail}


def span(delta: timedelta) -> str:
    """A length of time as a manager reads it, rounded: ``2 d 3 h``, ``5 h 02 min``, ``45 s``."""
    seconds = round(abs(delta).total_seconds())
    if seconds >= 86400:
        days, hours = divmod(round(seconds / 3600), 24)
        return f"{days} d {hours} h"
    if seconds >= 3600:
        hours, minutes = divmod(round(seconds / 60), 60)
        return f"{hours} h {minutes:02d} min"
    if seconds >= 60:
        minutes, seconds = divmod(seconds, 60)
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


def stamp_of(document: dict[str, Any], key: str = "clock") -> ClockStamp | None:
    """A stamp carried inside a document the device sent (a cash movement, say), if valid."""
    raw = document.get(key)
    if not isinstance(raw, dict):
        return None
    try:
        return ClockStamp.model_validate(raw)
    except ValueError:
        return None
