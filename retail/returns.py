"""Returns: what goes back to the shopper for part of a sale line, the same on till and server.

A line's ``net`` is what the shopper paid for it after its share of the sale's discounts (the
``net`` of ``retail.pricing`` priced lines). Returning ``qty`` of the ``sold`` units refunds
that share of the net, rounded half up to the minor unit. Rounding each return on its own
would let three returns of one unit of a 3-for-10.00 line refund 3.33 three times, and
10.00 - 9.99 would stay with the store; so a return refunds the difference between the net
share of everything returned after it and before it:

    refund = round(net × (before + qty) / sold) - round(net × before / sold)

The refunds of a line over any sequence of returns then add up to its net exactly, and the
last unit back gets the odd cent. Integer arithmetic only (docs/ARCHITECTURE.md, promise 5).

The till computes refunds with these functions before it pays anything out; the server runs
the same ones to check the return it is sent, so they agree to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple


class ReturnError(ValueError):
    """A return that cannot be made: ``code`` is ``unknown-line`` or ``over-return``."""

    def __init__(self, code: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.line = line


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` to the nearest integer, halves up (both non-negative)."""
    if denominator <= 0 or numerator < 0:
        raise ValueError("round_half_up takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def line_refund(net: int, sold: int, before: int, qty: int) -> int:
    """What returning ``qty`` of a line's ``sold`` units refunds, ``before`` having come back
    already. Over all returns of a line, the refunds add up to ``net`` exactly."""
    for name, value in (("net", net), ("sold", sold), ("before", before), ("qty", qty)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an integer, got {value!r}")
    if sold <= 0 or net < 0 or before < 0 or qty < 0:
        raise ValueError("net, before and qty must be non-negative and sold positive")
    if before + qty > sold:
        raise ReturnError("over-return", f"{before + qty} would be back of the {sold} sold")
    return round_half_up(net * (before + qty), sold) - round_half_up(net * before, sold)


class SoldLine(NamedTuple):
    """One line of the original sale as a return sees it (a plain ``(net, quantity)`` works)."""

    net: int
    quantity: int  # pieces, or grams for goods sold by weight


@dataclass(frozen=True, slots=True)
class Refundable:
    """What is left to return of one line: its units and what they would refund."""

    line: int
    quantity: int
    amount: int


def refundable(lines: Sequence[SoldLine | tuple[int, int]],
               returned: Mapping[int, int] | None = None) -> list[Refundable]:
    """Per line of a sale, what can still come back; ``returned`` maps a line index to the
    units returned already."""
    returned = returned or {}
    result = []
    for index, (net, sold) in enumerate(lines):
        before = returned.get(index, 0)
        left = max(0, sold - before)
        result.append(Refundable(index, left, line_refund(net, sold, before, left) if sold else 0))
    return result


def return_refunds(lines: Sequence[SoldLine | tuple[int, int]], returned: Mapping[int, int] | None,
                   wanted: Iterable[tuple[int, int]]) -> dict[int, int]:
    """The refund of each line of a return (``wanted``: ``(line index, quantity)`` pairs, each
    line once) given what was ``returned`` before; raises ReturnError saying which line fails."""
    returned = returned or {}
    refunds: dict[int, int] = {}
    for index, qty in wanted:
        if not 0 <= index < len(lines):
            raise ReturnError("unknown-line", f"the sale has no line {index}", index)
        if index in refunds:
            raise ReturnError("unknown-line", f"line {index} is listed twice; list each line once",
                              index)
        if qty <= 0:
            raise ReturnError("over-return", f"line {index}: return a positive quantity", index)
        net, sold = lines[index]
        before = returned.get(index, 0)
        if before + qty > sold:
            raise ReturnError("over-return", f"line {index}: {qty} asked back, but only "
                                             f"{max(0, sold - before)} of {sold} can still be "
                                             "returned", index)
        refunds[index] = line_refund(net, sold, before, qty)
    return refunds


__all__ = ["Refundable", "ReturnError", "SoldLine", "line_refund", "refundable", "return_refunds",
           "round_half_up"]
