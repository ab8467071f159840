"""Tills whose clocks a test sets: a wall clock hours off, NTP setting it right, a day of
selling that, by the time the till pushes, has already happened.

The server runs on the real clock and cannot be moved; the till can. ``lag`` is how far the
till's present is behind the real one: a till that starts its day with ``lag`` = 10 h and lets
10 h pass (``pass_time``) has sold through a day that ends now, when it pushes. Both its
clocks move with that present: the wall clock (plus ``skew``, how wrong it is) and the
boot-time clock NTP never steps. While ``lag`` is not zero the till must not talk to the
server: its answers come from the real present.
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pos_client.agent import build_runtime
from pos_client.clock import TillClock
from pos_client.config import TillConfig
from pos_client.runtime import TillRuntime

BOOTED = 10**6  # the boot-time clock's reading at the real present, with no lag


class TillClocks:
    def __init__(self, skew: timedelta = timedelta(0), lag: timedelta = timedelta(0),
                 boot: str = "test-boot") -> None:
        self.skew, self.lag, self.boot = skew, lag, boot

    def true_now(self) -> datetime:
        """The till's present, on a right clock: what its documents should be filed at."""
        return datetime.now(UTC) - self.lag

    def wall(self) -> datetime:
        return self.true_now() + self.skew

    def monotonic(self) -> float:
        return BOOTED + time.monotonic() - self.lag.total_seconds()

    def pass_time(self, span: timedelta) -> None:
        assert span <= self.lag, "the till's present cannot pass the real one"
        self.lag -= span

    def set_right(self) -> None:
        """NTP steps the wall clock to the right time; the boot-time clock does not move."""
        self.skew = timedelta(0)

    def till_clock(self, state_path: Path | None = None) -> TillClock:
        return TillClock(wall=self.wall, monotonic=self.monotonic, boot=self.boot, state_path=state_path)


def unreachable_url() -> str:
    """A URL where nothing listens: a till pointed at it is offline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def till_runtime(server_url: str, data_dir: Path, clocks: TillClocks,
                 pairing_code: str | None = None) -> TillRuntime:
    """The till agent's runtime in this process (no HTTP agent, no sync thread), on ``clocks``;
    ``close()`` it at the end."""
    config = TillConfig(server_url=server_url, data_dir=data_dir, pairing_code=pairing_code,
                        printer_url="dummy:", max_backoff=0.5)
    return build_runtime(config, clocks.till_clock(config.clock_path))
