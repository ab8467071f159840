"""The customer display: a 2×20 pole display on serial showing the last item and the total.

Speaks the Epson DM-D command set most pole displays accept: ``ESC @`` (init), ``FF`` (clear),
``US $ x y`` (cursor to column x, row y). Each update rewrites both lines whole, so a display
that missed a byte is right again at the next scan.
"""

from __future__ import annotations

from collections.abc import Callable

import serial

from retail.money import Money
from retail.receipt import printable

INIT, CLEAR = b"\x1b\x40", b"\x0c"


def cursor(column: int, row: int) -> bytes:
    return b"\x1f\x24" + bytes((column, row))


def fit(left: str, right: str, columns: int) -> str:
    """``left`` cut to leave room for ``right`` at the end of a ``columns``-wide line (both made
    ``printable`` first, so a control character in a name takes no room)."""
    left, right = printable(left), printable(right)[-columns:]
    room = columns - len(right) - (1 if right else 0)
    left = left[:max(room, 0)]
    return left + " " * (columns - len(left) - len(right)) + right


class PoleDisplay:
    def __init__(self, url: str, baudrate: int = 9600, columns: int = 20,
                 encoding: str = "cp858",
                 opener: Callable[..., serial.SerialBase] = serial.serial_for_url) -> None:
        self.port = opener(url, baudrate=baudrate, timeout=1)
        self.columns = columns
        self.encoding = encoding  # the display's code page; missing glyphs become "?"
        self.port.write(INIT + CLEAR)

    def show_lines(self, first: str, second: str) -> None:
        """Two lines of text; whatever the caller passes, only printable text reaches the
        display (a control character there would be a display command)."""
        data = CLEAR
        for row, text in ((1, first), (2, second)):
            line = printable(text)[: self.columns].ljust(self.columns)
            data += cursor(1, row) + line.encode(self.encoding, errors="replace")
        self.port.write(data)

    def show_item(self, name: str, price: Money, total: Money, locale: str,
                  total_label: str = "TOTAL") -> None:
        """The item just scanned on the first line, the basket total on the second."""
        self.show_lines(fit(name, price.format(locale), self.columns),
                        fit(total_label, total.format(locale), self.columns))

    def clear(self) -> None:
        self.port.write(CLEAR)

    def close(self) -> None:
        self.port.close()
