"""Serial barcode scanners (pyserial), read by the till's local agent.

A serial scanner sends each code followed by a terminator (CR, LF or both, per its setup); some
send none, and a short silence ends the code instead. Each code is handed to
``retail.barcodes.classify``. Keyboard-wedge scanners are read in the browser instead
(hardware/static/scanner.js).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import serial

from retail.barcodes import Scan, ScanError, ScannerConfig, classify

TERMINATORS = (b"\r", b"\n")
SILENCE_ENDS_CODE = 0.1  # seconds: scanners send a code in one burst


class SerialScanner:
    """Reads codes from a scanner at a pyserial URL (``/dev/ttyACM0``, ``loop://``...)."""

    def __init__(self, url: str, baudrate: int = 9600,
                 opener: Callable[..., serial.SerialBase] = serial.serial_for_url) -> None:
        self.port = opener(url, baudrate=baudrate, timeout=SILENCE_ENDS_CODE)
        self._pending = b""

    def read_code(self, timeout: float | None = None) -> str | None:
        """The next code as text, or None if nothing arrived within ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            code = self._take_terminated()
            if code is not None:
                return code
            chunk = self.port.read(self.port.in_waiting or 1)
            if chunk:
                self._pending += chunk
                continue
            if self._pending.strip(b"\r\n"):
                return self._take_all()  # silence after data: a scanner without terminator
            if deadline is not None and time.monotonic() >= deadline:
                return None

    def _take_terminated(self) -> str | None:
        positions = [p for p in (self._pending.find(t) for t in TERMINATORS) if p >= 0]
        if not positions:
            return None
        end = min(positions)
        code, self._pending = self._pending[:end], self._pending[end + 1:]
        if not code:  # the LF of a CRLF, or a blank line
            return self._take_terminated()
        return _text(code)

    def _take_all(self) -> str:
        code, self._pending = self._pending, b""
        return _text(code.strip(b"\r\n"))

    def scans(self, config: ScannerConfig | None = None,
              idle_timeout: float | None = None) -> Iterator[Scan | ScanError]:
        """Classified scans as they come; a bad scan is yielded as its ScanError, never raised,
        so one smudged label does not stop the till's reader."""
        while True:
            code = self.read_code(idle_timeout)
            if code is None:
                return
            try:
                yield classify(code, config) if config else classify(code)
            except ScanError as error:
                yield error

    def close(self) -> None:
        self.port.close()


def _text(code: bytes) -> str:
    # Scanners send ASCII (and GS, 0x1d, inside GS1 data); anything else is replaced.
    return code.decode("utf-8", errors="replace")
