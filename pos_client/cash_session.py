"""The cash drawer's day: a session opens with a float, takes cash in and out, and closes with
the cash counted; the X report is the running tally, the Z report the closing one.

The session lives in the outbox file (one open per till, enforced by the schema) and every
sale and return carries its UUID, so the tally is computed from what the till recorded, never
kept as a running sum that a crash could leave half-updated. Closing writes the Z report to
the outbox in the same transaction, to be sent like a sale (``POST /sync/cash-sessions``,
keyed by the session's UUID); the server adds what it recorded for the session beside it.

expected cash = float + cash taken in sales − cash refunded + cash in − cash out
difference    = counted − expected (negative: the drawer is short)

Where cash is rounded to the coins in circulation (Canada: the nickel), the cash taken is the
rounded amount, and the report also says what the session's cash sales were rounded by.

Opening, each cash movement and closing carry the till's clock readings (clock.py), so the
server files the Z report under the store day it was really closed on, whatever the till's
wall clock said.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Iterable
from typing import Any

from pos_client.clock import Reading
from pos_client.outbox import Outbox, SessionOpen
from pos_client.sale import SaleError

MOVEMENT_KINDS = ("in", "out")
MAX_CASH = 10**12


def open_cash_session(outbox: Outbox, float_amount: Any, cashier: str, currency: str,
                      at: Reading) -> dict[str, Any]:
    """Open the drawer's session with ``float_amount`` (minor units) in it."""
    _check_amount(float_amount, "the float", allow_zero=True)
    session = {"uuid": str(uuid_module.uuid4()), "opened_at": at.wall.isoformat(), "opened_by": cashier,
               "float": float_amount, "currency": currency, "opened_clock": at.stamp}
    try:
        outbox.open_session(session)
    except SessionOpen as exc:
        raise SaleError("a cash session is already open on this till; close it first",
                        "session-open") from exc
    return session


def move_cash(outbox: Outbox, session: dict[str, Any], kind: Any, amount: Any, reason: Any,
              cashier: str, at: Reading) -> dict[str, Any]:
    """Cash put in the drawer (change from the safe) or taken out (to the safe, a supplier)."""
    if kind not in MOVEMENT_KINDS:
        raise SaleError("a cash movement is 'in' or 'out'", "invalid")
    _check_amount(amount, "the amount")
    if not isinstance(reason, str) or not reason.strip():
        raise SaleError("say why the cash moves: it is on the report", "invalid")
    movement = {"kind": kind, "amount": amount, "reason": reason.strip()[:200], "at": at.wall.isoformat(),
                "cashier": cashier, "clock": at.stamp}
    if kind == "out":
        available = cash_report(outbox, session, "")["expected_cash"]
        if amount > available:
            raise SaleError(f"the drawer should hold {available}; it cannot give {amount}", "short",
                            available=available)
    outbox.add_movement(session["uuid"], movement)
    return movement


def cash_report(outbox: Outbox, session: dict[str, Any], till: str) -> dict[str, Any]:
    """The X report: the session so far, not closed."""
    return tally(session, till, outbox.sales_of_session(session["uuid"]),
                 outbox.returns_of_session(session["uuid"]), outbox.movements(session["uuid"]))


def close_cash_session(outbox: Outbox, session: dict[str, Any], counted: Any, cashier: str, till: str,
                       at: Reading) -> dict[str, Any]:
    """Close with the cash counted in the drawer; the Z report, queued for the server."""
    _check_amount(counted, "the counted cash", allow_zero=True)
    report = cash_report(outbox, session, till)
    report.update(closed_at=at.wall.isoformat(), closed_clock=at.stamp, closed_by=cashier,
                  counted_cash=counted, difference=counted - report["expected_cash"])
    if not outbox.close_session(report):
        raise SaleError("this cash session is already closed", "no-session")
    return report


def tally(session: dict[str, Any], till: str, sales: Iterable[dict[str, Any]],
          returns: Iterable[dict[str, Any]], movements: list[dict[str, Any]]) -> dict[str, Any]:
    """The report's figures from the session's sales, returns and movements (pure)."""
    sales_by_tender: dict[str, int] = {}
    refunds_by_tender: dict[str, int] = {}
    sales_count = returns_count = rounding = 0
    for sale in sales:
        sales_count += 1
        rounding += sale.get("cash_rounding", 0)
        for tender in sale.get("tenders", ()):
            sales_by_tender[tender["kind"]] = sales_by_tender.get(tender["kind"], 0) + tender["amount"]
    for ret in returns:
        returns_count += 1
        for refund in ret.get("refunds", ()):
            refunds_by_tender[refund["kind"]] = refunds_by_tender.get(refund["kind"], 0) + refund["amount"]
    ins = sum(m["amount"] for m in movements if m["kind"] == "in")
    outs = sum(m["amount"] for m in movements if m["kind"] == "out")
    expected = (session["float"] + sales_by_tender.get("cash", 0) - refunds_by_tender.get("cash", 0)
                + ins - outs)
    report = {
        "uuid": session["uuid"], "till": till, "opened_at": session["opened_at"], "closed_at": None,
        "opened_by": session["opened_by"], "closed_by": None, "currency": session["currency"],
        "float": session["float"], "movements": movements, "sales_count": sales_count,
        "returns_count": returns_count, "sales_by_tender": sales_by_tender,
        "refunds_by_tender": refunds_by_tender, "expected_cash": expected, "counted_cash": None,
        "difference": None,
    }
    if rounding:
        # What cash sales were rounded by to the coins in circulation (retail.cash): the cash
        # taken already holds it, so it is shown, not added to the expected cash again.
        report["cash_rounding"] = rounding
    if session.get("opened_clock"):
        report["opened_clock"] = session["opened_clock"]
    return report


def _check_amount(value: Any, what: str, allow_zero: bool = False) -> None:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_CASH:
        raise SaleError(f"{what} is a whole number of minor units{'' if allow_zero else ' above 0'}",
                        "invalid")
