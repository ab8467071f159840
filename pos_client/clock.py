"""The till's sense of time: its own clock, a clock NTP never steps, and what the server's says.

A till's wall clock may be hours off, and NTP may set it right at any moment, between a sale
and the push that carries it too. So every document the till makes (sale, return, cash
session, cash movement) carries, besides its wall-clock time, a stamp of the machine's
boot-time clock (``CLOCK_BOOTTIME``: never stepped, counts suspended time) and which boot that
clock belongs to (Linux's ``boot_id``; a fresh id per process where there is none, so readings
of two processes are never compared). Every push carries the same readings as it is sent; the
server then knows how long before the push each document was made, whatever the wall clock
did in between (store_server/devices/clock.py).

Every answer from the server says the server's time (the HTTP ``Date`` header). The till
keeps the latest good one as an *anchor*: the server's time at a reading of the boot-time
clock. From it the till knows the server's time now (``now``) without trusting its own wall
clock: sales are priced at that time, documents carry it as ``server_time`` (which survives a
reboot before the push), and the till warns when its wall clock is more than a minute off.
The anchor is kept in the data directory, so an agent restarted in the same boot still has it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")
# Off by more than this from the server's clock, the till says so on its screen.
WARN_AFTER = timedelta(minutes=1)
# An answer quicker than this gives a reading as good as the Date header's whole seconds allow.
GOOD_ROUND_TRIP = 1.0
# The anchor is written down again when it moves this much against the one on disk.
REWRITE_AFTER = 2.0


# Without a boot id, readings are only compared within this process (a restart starts afresh).
_THIS_PROCESS = f"process-{uuid.uuid4()}"


def boot_id() -> str:
    """Which boot of this machine we are in: the monotonic readings of one boot go together."""
    try:
        value = BOOT_ID_PATH.read_text().strip()
    except OSError:
        value = ""
    return value or _THIS_PROCESS


def boot_clock() -> float:
    """Seconds since boot on a clock NTP never steps (Linux also counts time suspended)."""
    clock_id = getattr(time, "CLOCK_BOOTTIME", None)
    return time.clock_gettime(clock_id) if clock_id is not None else time.monotonic()


def _wall() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Anchor:
    """The server's time at one reading of the boot-time clock, from an answer of the server."""

    boot: str
    monotonic: float
    server_time: datetime
    round_trip: float  # how long that answer took: the reading is good to about half of it

    def server_time_at(self, monotonic: float) -> datetime:
        return self.server_time + timedelta(seconds=monotonic - self.monotonic)


@dataclass(frozen=True)
class Reading:
    """The till's clocks read once, for a document: its wall time, the stamp that goes with it,
    and the best estimate of the server's time (what the till prices at)."""

    wall: datetime
    stamp: dict[str, Any]
    now: datetime


class TillClock:
    """The till's clocks. ``wall``, ``monotonic`` and ``boot`` may be given (tests run tills
    whose clocks are hours off); ``state_path`` keeps the anchor across restarts. Thread-safe."""

    def __init__(self, *, wall: Callable[[], datetime] = _wall, monotonic: Callable[[], float] = boot_clock,
                 boot: str | None = None, state_path: Path | None = None) -> None:
        self.wall = wall
        self.monotonic = monotonic
        self.boot = boot or boot_id()
        self.state_path = state_path
        self._lock = threading.Lock()
        self._anchor = self._load()
        self._saved = self._anchor

    # -- what the till reads ----------------------------------------------------------------

    def now(self) -> datetime:
        """The server's time now as best the till knows it: its wall clock when it has not
        heard from the server in this boot."""
        return self.read().now

    def read(self) -> Reading:
        wall, monotonic = self.wall(), self.monotonic()
        anchor = self._anchor
        stamp: dict[str, Any] = {"boot": self.boot, "monotonic": round(monotonic, 3)}
        if anchor is None:
            return Reading(wall, stamp, wall)
        server_now = anchor.server_time_at(monotonic)
        stamp["server_time"] = server_now.isoformat()
        return Reading(wall, stamp, server_now)

    def sending(self) -> dict[str, Any]:
        """What a push carries about the clocks as it is sent (set afresh on every attempt)."""
        reading = self.read()
        return {"sent_at": reading.wall.isoformat(), "sent_clock": {
            "boot": reading.stamp["boot"], "monotonic": reading.stamp["monotonic"]}}

    def offset(self) -> timedelta | None:
        """How far the wall clock is ahead of the server's (negative: behind); None before the
        till has heard from the server in this boot."""
        if self._anchor is None:
            return None
        reading = self.read()
        return reading.wall - reading.now

    def status(self) -> dict[str, Any]:
        """For the till's status bar: seconds the till's clock is ahead of the server's."""
        offset = self.offset()
        return {"offset": round(offset.total_seconds(), 1) if offset is not None else None,
                "warning": offset is not None and abs(offset) > WARN_AFTER}

    # -- what the server says ---------------------------------------------------------------

    def observe(self, date_header: str | None, started: float, ended: float) -> None:
        """An answer of the server, asked at ``started`` and heard at ``ended`` (readings of
        ``monotonic``), said it was ``date_header`` (whole seconds, RFC 9110)."""
        if not date_header or ended < started:
            return
        try:
            said = parsedate_to_datetime(date_header)
        except (TypeError, ValueError):
            return
        if said.tzinfo is None:
            return
        # The header truncates to the second, somewhere within the exchange: its middles.
        round_trip = ended - started
        candidate = Anchor(self.boot, (started + ended) / 2, said + timedelta(seconds=0.5), round_trip)
        with self._lock:
            current = self._anchor
            if current is not None and round_trip > max(GOOD_ROUND_TRIP, current.round_trip):
                return  # a slow answer says less than the one we have
            self._anchor = candidate
            saved = self._saved
            moved = saved is None or abs(
                (saved.server_time_at(candidate.monotonic) - candidate.server_time).total_seconds()
            ) > REWRITE_AFTER
            if moved:
                self._saved = candidate
        if moved:
            self._save(candidate)

    # -- kept across restarts ---------------------------------------------------------------

    def _load(self) -> Anchor | None:
        if self.state_path is None:
            return None
        try:
            data = json.loads(self.state_path.read_text())
            anchor = Anchor(str(data["boot"]), float(data["monotonic"]),
                            datetime.fromisoformat(data["server_time"]), float(data["round_trip"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        # Another boot's readings mean nothing now: its clock started again from zero.
        return anchor if anchor.boot == self.boot else None

    def _save(self, anchor: Anchor) -> None:
        if self.state_path is None:
            return
        data = {"boot": anchor.boot, "monotonic": anchor.monotonic,
                "server_time": anchor.server_time.isoformat(), "round_trip": anchor.round_trip}
        temporary = self.state_path.with_suffix(f".{threading.get_ident()}.tmp")  # one per writer
        try:
            temporary.write_text(json.dumps(data))
            os.replace(temporary, self.state_path)
        except OSError as exc:  # the till sells on; a restart only measures again
            log.warning("cannot keep the clock anchor in %s: %s", self.state_path, exc)


def shown_time(document: dict[str, Any], key: str, stamp_key: str = "clock") -> str:
    """A document's time as people should see it (a receipt, a report): the server's time the
    till knew then, or its own clock's when it knew none."""
    stamp = document.get(stamp_key)
    if isinstance(stamp, dict) and isinstance(stamp.get("server_time"), str):
        return str(stamp["server_time"])
    return str(document[key])
