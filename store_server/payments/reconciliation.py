"""Reconciliation: our wallet payments of a day against the gateway's own records of that day.

The day is the gateway's (GMT+8, as Alipay's bills are). The gateway's side comes through the
:class:`~store_server.payments.runtime.TradeListing` interface: the sandbox's day listing here,
Alipay's daily bill in production. Mismatches are listed both ways:

- ``missing_here``: the gateway has a paid trade we have no record of;
- ``unpaid_here``: the gateway says paid, our attempt is not paid;
- ``missing_at_gateway``: we count a payment the gateway does not show as paid;
- ``amount_differs`` / ``refund_differs``: both sides have it, with different amounts (or
  currencies), or with different refunds of that trade (a cancel that caught the shopper's
  payment and gave it back counts as a refund on both sides);
- ``refund_outstanding``: an online order was cancelled or expired and the shop still holds
  money for it (a refund pending, refused, or cash for a person to hand back). These are listed
  whatever day they happened on, until they are settled.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from retail.money import Money
from store_server.api.auth import Principal
from store_server.locations.models import Location
from store_server.locations.service import get_location
from store_server.orders.models import Order

from .gateway import GMT8
from .models import PaymentAttempt, PaymentIntent
from .runtime import GatewayTrade, Payments
from .service import order_money


def _gateway_side(trade: GatewayTrade) -> dict[str, Any]:
    return {"out_trade_no": trade.out_trade_no, "trade_no": trade.trade_no, "status": trade.status,
            "amount": trade.total.amount, "refunded": trade.refunded.amount, "created": trade.created}


def _our_side(attempt: PaymentAttempt, intent: PaymentIntent, store: str) -> dict[str, Any]:
    return {"payment": intent.public_id, "out_trade_no": attempt.out_trade_no, "store": store,
            "attempt_status": attempt.status, "payment_status": intent.status, "amount": intent.amount,
            "currency": intent.currency, "refunded": attempt.refunded, "tender": intent.tender}


def reconcile(session: Session, payments: Payments, day: date, store: str | None,
              who: Principal) -> dict[str, Any]:
    """Compare our paid Alipay attempts created on ``day`` (GMT+8) with the gateway's trades.

    A trade the gateway has and we do not know cannot be placed in a store, so it appears in
    every store's report as well as the chain-wide one.
    """
    location_id: int | None = None
    if store:
        location = get_location(session, store)
        who.require_location(location.id)
        location_id = location.id
    elif who.store_id is not None:
        location_id = who.store_id  # a store manager sees their store
    session.rollback()  # no transaction open while the gateway's list downloads
    gateway_trades = {t.out_trade_no: t for t in payments.trade_listing().trades_on(day)}

    start = datetime.combine(day, time.min, tzinfo=GMT8)
    end = start + timedelta(days=1)
    codes: dict[int, str] = {i: c for i, c in session.execute(select(Location.id, Location.code))}
    in_day = (PaymentAttempt.created_at >= start) & (PaymentAttempt.created_at < end)
    named = PaymentAttempt.out_trade_no.in_(list(gateway_trades) or [""])
    rows = session.execute(
        select(PaymentAttempt, PaymentIntent)
        .join(PaymentIntent, PaymentIntent.id == PaymentAttempt.intent_id)
        .where(in_day | named)
    ).all()
    ours = {a.out_trade_no: (a, i) for a, i in rows}

    mismatches: list[dict[str, Any]] = []
    matched = 0
    our_total = gateway_total = 0
    for no, trade in sorted(gateway_trades.items()):
        mine = ours.get(no)
        if mine is not None and location_id is not None and mine[1].location_id != location_id:
            continue
        if trade.was_paid:
            gateway_total += trade.total.amount
        if mine is None:
            if trade.was_paid:
                mismatches.append({"kind": "missing_here", "out_trade_no": no,
                                   "gateway": _gateway_side(trade), "ours": None})
            continue
        attempt, intent = mine
        side = _our_side(attempt, intent, codes[intent.location_id])
        if trade.was_paid and attempt.status != "paid":
            mismatches.append({"kind": "unpaid_here", "out_trade_no": no, "gateway": _gateway_side(trade),
                               "ours": side})
        elif attempt.status == "paid" and not trade.was_paid:
            mismatches.append({"kind": "missing_at_gateway", "out_trade_no": no,
                               "gateway": _gateway_side(trade), "ours": side})
        elif attempt.status == "paid":
            if trade.total != Money(intent.amount, intent.currency):
                kind = "amount_differs"
            elif trade.refunded != Money(attempt.refunded, intent.currency):
                kind = "refund_differs"
            else:
                matched += 1
                continue
            mismatches.append({"kind": kind, "out_trade_no": no, "gateway": _gateway_side(trade),
                               "ours": side})

    for no, (attempt, intent) in sorted(ours.items()):
        if location_id is not None and intent.location_id != location_id:
            continue
        if attempt.status != "paid":
            continue
        if not (start <= attempt.created_at < end) and no not in gateway_trades:
            continue
        our_total += intent.amount
        if no not in gateway_trades:
            mismatches.append({"kind": "missing_at_gateway", "out_trade_no": no, "gateway": None,
                               "ours": _our_side(attempt, intent, codes[intent.location_id])})
    mismatches.extend(_refunds_outstanding(session, location_id, codes))
    return {
        "date": day.isoformat(),
        "timezone": "GMT+8",
        "store": store or (codes.get(location_id) if location_id is not None else None),
        "matched": matched,
        "ours_paid_total": our_total,
        "gateway_paid_total": gateway_total,
        "mismatches": mismatches,
    }


def _refunds_outstanding(session: Session, location_id: int | None,
                         codes: dict[int, str]) -> list[dict[str, Any]]:
    """Cancelled or expired online orders the shop still holds money for, of any day."""
    held_by_payment = select(PaymentIntent.order_number).where(
        PaymentIntent.order_number.is_not(None),
        PaymentIntent.status.in_(("paid", "refunded_partially")))
    stmt = select(Order).where(
        Order.channel == "online", Order.status.in_(("cancelled", "expired")),
        or_(Order.refund_status.in_(("pending", "needs_decision")), Order.number.in_(held_by_payment)),
    ).order_by(Order.id)
    if location_id is not None:
        stmt = stmt.where(Order.location_id == location_id)
    found = []
    for order in session.execute(stmt).scalars():
        held, returned, decide = order_money(session, order.number)
        if held == 0 and order.refund_status not in ("pending", "needs_decision"):
            continue
        payments = session.execute(select(PaymentIntent.public_id).where(
            PaymentIntent.order_number == order.number).order_by(PaymentIntent.id)).scalars().all()
        found.append({"kind": "refund_outstanding", "order": order.number, "order_status": order.status,
                      "store": codes[order.location_id], "currency": order.currency, "held": held,
                      "refunded": returned,
                      "refund_status": order.refund_status or ("needs_decision" if decide else "pending"),
                      "payments": list(payments)})
    return found
