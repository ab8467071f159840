"""Returns at the till: part of a recorded sale comes back, the money goes back to the tenders
the shopper paid with, the goods go back on the shelf; each return lands exactly once.

A till sends its returns the way it sends its sales (``/sync/returns``, in batches, each with
the UUID the till gave it), so a return made while the server was away reaches it later, once,
however often the till retries. A return is checked against the sale as recorded here:

- the sale must be on the server (``unknown-sale`` otherwise: the till may still hold it in its
  outbox, so it tries the return again later) and of this device's store;
- no line comes back more than was sold, counting every earlier return (``over-return``);
- the refund of each line is ``retail.returns.line_refund``, so the returns of a line add up to
  what was paid for it exactly, and the return's total must be their sum (``totals-mismatch``);
- the money goes back to the original tenders: per kind, never more than that kind paid less
  what earlier returns gave back (``bad-refunds``), and an Alipay refund must be one the server
  made and saw succeed, of a payment of this sale, for that amount, claimed by one return only
  (``unverified-refund``).

Returns of one sale are serialised by locking the sale's order row (FOR UPDATE, in id order,
before the stock levels that ``apply_movements`` locks), so two tills returning the last unit
of a line at once cannot both succeed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, SkipValidation
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from retail.money import Money
from retail.returns import ReturnError, return_refunds
from store_server.api.auth import Principal
from store_server.catalog.models import Sku
from store_server.catalog.service import product_names
from store_server.customers.models import Customer, PointsEntry
from store_server.customers.service import LoyaltyRules, points_earned
from store_server.db import utcnow
from store_server.devices.clock import ClockStamp, DocumentTime, PushClock, place_in_time
from store_server.errors import Forbidden, NotFound
from store_server.events.service import NewEvent, record_many
from store_server.inventory.service import Movement, apply_movements
from store_server.locations.models import Location
from store_server.orders.models import Order, OrderLine, OrderTender
from store_server.orders.records import new_order_number
from store_server.orders.sales import (
    WALLET_TENDERS,
    Recorded,
    TenderKind,
    answer_batch,
    document_key,
    record_batch,
    sort_out,
    validate_document,
)
from store_server.payments.models import PaymentIntent, PaymentRefund
from store_server.tills.models import SaleReturn, SaleReturnLine, SaleReturnRefund
from store_server.validation import AwareMoment, CurrencyCode, Quantity, canonical_uuid

MAX_RETURNS_PER_BATCH = 200


class UnknownSale(NotFound):
    code = "unknown-sale"
    title = "The sale is not on the server"


# --------------------------------------------------------------------------- reading a sale


class RecordedLineOut(BaseModel):
    line: int = Field(description="the line's index in the sale as the till sent it")
    sku: str
    name: str = Field(description="in the store's language")
    quantity: int = Field(description="pieces, or grams for weighed goods")
    sold_by: str
    unit_price: int
    net: int = Field(description="what the shopper paid for the line, after its discounts")
    returned: int = Field(description="units (grams) back already")


class RecordedTenderOut(BaseModel):
    kind: str
    amount: int
    reference: str
    refunded: int = Field(description="given back on this tender by the recorded returns")


class RecordedReturnOut(BaseModel):
    uuid: str
    number: str
    occurred_at: str
    total: int


class RecordedSaleOut(BaseModel):
    uuid: str
    number: str
    store: str
    occurred_at: str
    currency: str
    cashier: str
    total: int
    lines: list[RecordedLineOut]
    tenders: list[RecordedTenderOut]
    refunded_total: int
    returns: list[RecordedReturnOut]


def recorded_sale(session: Session, sale_uuid: str, who: Principal) -> dict[str, Any]:
    """A till sale as recorded, with what its returns took back, for the till's return screen."""
    canonical = canonical_uuid(sale_uuid)
    order = session.execute(
        select(Order).where(Order.client_uuid == canonical)).scalar_one_or_none() if canonical else None
    if order is None:
        raise UnknownSale(f"no sale {sale_uuid} on the server (yet); a till that was offline may "
                          "still hold it: try again once that till has synced", sale=sale_uuid)
    who.require_location(order.location_id)
    location = session.get(Location, order.location_id)
    assert location is not None
    lines = session.execute(
        select(OrderLine.line_no, OrderLine.sku_code, Sku.product_id, OrderLine.quantity,
               OrderLine.sold_by, OrderLine.unit_price, OrderLine.net)
        .join(Sku, Sku.id == OrderLine.sku_id)
        .where(OrderLine.order_id == order.id).order_by(OrderLine.line_no)).all()
    names = product_names(session, {ln.product_id for ln in lines}, location.locale)
    returned = _returned_lines(session, [order.id]).get(order.id, {})
    returns = session.execute(
        select(SaleReturn.uuid, SaleReturn.number, SaleReturn.occurred_at, SaleReturn.total)
        .where(SaleReturn.order_id == order.id).order_by(SaleReturn.occurred_at, SaleReturn.id)).all()
    tenders = session.execute(
        select(OrderTender.kind, OrderTender.amount, OrderTender.reference)
        .where(OrderTender.order_id == order.id).order_by(OrderTender.id)).all()
    return {
        "uuid": order.client_uuid, "number": order.number, "store": location.code,
        "occurred_at": order.occurred_at.isoformat(), "currency": order.currency,
        "cashier": order.cashier, "total": order.total,
        "lines": [{"line": ln.line_no, "sku": ln.sku_code, "name": names.get(ln.product_id, ln.sku_code),
                   "quantity": ln.quantity, "sold_by": ln.sold_by, "unit_price": ln.unit_price,
                   "net": ln.net, "returned": returned.get(ln.line_no, 0)} for ln in lines],
        "tenders": _tenders_with_refunds(session, order.id, tenders),
        "refunded_total": sum(r.total for r in returns),
        "returns": [{"uuid": r.uuid, "number": r.number, "occurred_at": r.occurred_at.isoformat(),
                     "total": r.total} for r in returns],
    }


def _returned_lines(session: Session, order_ids: list[int]) -> dict[int, dict[int, int]]:
    """Units back per line, per order, over the recorded returns."""
    returned: dict[int, dict[int, int]] = defaultdict(dict)
    for order_id, line_no, quantity in session.execute(
            select(SaleReturn.order_id, SaleReturnLine.line_no, func.sum(SaleReturnLine.quantity))
            .join(SaleReturn, SaleReturn.id == SaleReturnLine.return_id)
            .where(SaleReturn.order_id.in_(order_ids))
            .group_by(SaleReturn.order_id, SaleReturnLine.line_no)):
        returned[order_id][line_no] = int(quantity)
    return returned


def _tenders_with_refunds(session: Session, order_id: int, tenders: Any) -> list[dict[str, Any]]:
    """Each tender with what went back on it. Alipay refunds name their payment; cash and the
    rest are given back per kind, so they fill the sale's tenders of that kind in order."""
    refunds = session.execute(
        select(SaleReturnRefund.kind, SaleReturnRefund.amount, SaleReturnRefund.reference)
        .join(SaleReturn, SaleReturn.id == SaleReturnRefund.return_id)
        .where(SaleReturn.order_id == order_id)).all()
    wallet_refs = [r.reference for r in refunds if r.kind in WALLET_TENDERS]
    payment_of = dict(session.execute(
        select(PaymentRefund.out_request_no, PaymentIntent.public_id)
        .join(PaymentIntent, PaymentIntent.id == PaymentRefund.intent_id)
        .where(PaymentRefund.out_request_no.in_(wallet_refs))).all()) if wallet_refs else {}
    by_payment: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    for r in refunds:
        if r.kind in WALLET_TENDERS:
            by_payment[payment_of.get(r.reference, "")] += r.amount
        else:
            by_kind[r.kind] += r.amount
    result = []
    for t in tenders:
        if t.kind in WALLET_TENDERS:
            refunded = min(t.amount, by_payment[t.reference])
            by_payment[t.reference] -= refunded
        else:
            refunded = min(t.amount, by_kind[t.kind])
            by_kind[t.kind] -= refunded
        result.append({"kind": t.kind, "amount": t.amount, "reference": t.reference, "refunded": refunded})
    return result


# --------------------------------------------------------------------------- pushing returns


class ReturnLineIn(BaseModel):
    line: int = Field(ge=0, le=999, description="the line's index in the original sale, as sent")
    quantity: Quantity


class ReturnRefundIn(BaseModel):
    kind: TenderKind
    amount: int = Field(gt=0, le=10**12)
    reference: str = Field("", max_length=120, description="alipay_qr/alipay_code: the out_request_no "
                                                           "of the payment refund the server made")


class ReturnIn(BaseModel):
    uuid: UUID = Field(description="made by the device with the return: the key that lands it once")
    original_sale: UUID = Field(description="the UUID of the sale it returns (its receipt QR)")
    occurred_at: AwareMoment = Field(description="the device's clock when the return was made")
    clock: ClockStamp | None = Field(None, description="the device's clocks that NTP does not step, "
                                                       "read with occurred_at (as for sales)")
    store: str | None = Field(None, max_length=40, description="the store the device believes it is in")
    currency: CurrencyCode | None = None
    cashier: str = Field("", max_length=80)
    cash_session: UUID | None = Field(None, description="the till's cash session (its Z report)")
    reason: str = Field("", max_length=200, description="why the shopper brought it back")
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=1000)
    refunds: list[ReturnRefundIn] = Field(default_factory=list, max_length=20)
    total: int = Field(ge=0, le=10**12, description="what went back to the shopper, minor units")


class ReturnsBatchIn(BaseModel):
    sent_at: AwareMoment | None = Field(
        None, description="the device's clock as it sends this batch (set afresh on every retry)")
    sent_clock: ClockStamp | None = Field(
        None, description="the device's clocks that NTP does not step, read as it sends this batch")
    # As with sales: each return is validated on its own, so one malformed return is answered
    # "rejected" while the rest land.
    returns: list[SkipValidation[ReturnIn]] = Field(min_length=1, max_length=MAX_RETURNS_PER_BATCH)


class ReturnResultOut(BaseModel):
    index: int
    uuid: str | None
    status: Literal["accepted", "duplicate", "rejected"]
    number: str | None = Field(None, description="the return's number (accepted, duplicate)")
    code: str | None = Field(None, description="why rejected: invalid, wrong-store, wrong-currency, "
                                                "unknown-sale (send it again later), over-return, "
                                                "totals-mismatch, bad-refunds, unverified-refund, "
                                                "uuid-reused (never the time alone)")
    reason: str | None = None
    flags: list[dict[str, str]] | None = Field(
        None, description="accepted: what was flagged for the manager (clock-corrected, "
                          "future-time, impossible-time, old)")


class ReturnsBatchOut(BaseModel):
    results: list[ReturnResultOut]
    accepted: int
    duplicates: int
    rejected: int


@dataclass(slots=True)
class _SoldLine:
    sku_id: int
    sku: str
    net: int
    quantity: int


@dataclass(slots=True)
class _Original:
    """A sale being returned, with what its returns took back so far (this batch's too)."""

    id: int
    uuid: str
    number: str
    location_id: int
    currency: str
    total: int
    customer_id: int | None
    lines: list[_SoldLine] = field(default_factory=list)
    paid: Counter[str] = field(default_factory=Counter)  # by tender kind
    payments: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # kind -> ids
    returned: dict[int, int] = field(default_factory=dict)  # line -> units back
    refunded: Counter[str] = field(default_factory=Counter)  # by tender kind
    refunded_total: int = 0
    claimed: set[str] = field(default_factory=set)  # Alipay refunds that back a return already


@dataclass(slots=True)
class _Return:
    index: int
    raw: Any
    uuid: str | None = None
    content_hash: str = ""
    ret: ReturnIn | None = None
    time: DocumentTime | None = None  # when it happened: the device's clock and ours
    number: str = ""
    code: str = ""
    reason: str = ""
    # Set when admitted:
    original: _Original | None = None
    refunds: dict[int, int] = field(default_factory=dict)  # line -> refund
    spent_before: int = 0  # what the shopper had paid net of earlier returns
    points_before: int = 0  # refunded to points by earlier returns of the sale

    def reject(self, code: str, reason: str) -> bool:
        self.code, self.reason = code, reason
        return False

    @property
    def occurred_at(self) -> datetime | None:
        """When the return happened on our clock."""
        return self.time.at if self.time else None

    @property
    def flags(self) -> list[dict[str, str]] | None:
        return self.time.flags if self.time else None


def ingest_returns(session: Session, device: Principal, batch: ReturnsBatchIn) -> dict[str, Any]:
    """Record a device's returns; answer each one accepted, duplicate or rejected."""
    if device.kind != "device" or device.store_id is None:
        raise Forbidden("returns are pushed by a till paired with a store")
    location = session.get(Location, device.store_id)
    assert location is not None, "a paired device always has its store"
    push = PushClock(utcnow(), batch.sent_at, batch.sent_clock)
    returns = [_read(i, raw) for i, raw in enumerate(batch.returns)]
    for r in returns:
        if r.ret is not None and not r.code:
            _check(r, device, location, push)
    checked = [(r.code, r.reason) for r in returns]

    def record() -> dict[str, Any]:
        # From the checks again on every attempt: what the transaction decided was rolled back.
        for r, (code, reason) in zip(returns, checked, strict=True):
            r.code, r.reason, r.original, r.refunds = code, reason, None, {}
            r.number = new_order_number(f"R{device.id}") if r.ret is not None and not code else ""
        return _record(session, device, location, returns)

    return record_batch(session, device, "returns", record)


def _read(index: int, raw: Any) -> _Return:
    r = _Return(index, raw)
    if not isinstance(raw, dict):
        r.reject("invalid", "a return must be a JSON object")
        return r
    r.uuid, r.content_hash = document_key(raw)
    r.ret, problem = validate_document(raw, ReturnIn, "return")
    if r.ret is None:
        r.reject("invalid", problem)
    else:
        r.uuid = str(r.ret.uuid)
    return r


def _check(r: _Return, device: Principal, location: Location, push: PushClock) -> None:
    """The checks that need nothing recorded: the rest run in the transaction (``_admit``)."""
    ret = r.ret
    assert ret is not None
    if ret.store is not None and ret.store != location.code:
        r.reject("wrong-store", f"the return says it was made at {ret.store}, but this device is "
                                f"paired with {location.code}")
        return
    if ret.currency is not None and ret.currency != location.currency:
        r.reject("wrong-currency", f"{location.code} refunds in {location.currency}, the return is "
                                   f"in {ret.currency}")
        return
    # Never a reason to refuse: an odd time is recorded, corrected, and flagged.
    r.time = place_in_time(ret.occurred_at, ret.clock, push)
    paid_back = sum(f.amount for f in ret.refunds)
    if paid_back != ret.total:
        r.reject("bad-refunds", f"the refunds pay back {paid_back} of a total of {ret.total} "
                                "(minor units)")
    elif device.role == "kiosk" and any(f.kind == "cash" for f in ret.refunds):
        r.reject("bad-refunds", "a kiosk pays out no cash")


def _record(session: Session, device: Principal, location: Location,
            returns: list[_Return]) -> dict[str, Any]:
    """Inside the write transaction: lock the sales returned, sort the batch out, write."""
    wanted = {str(r.ret.original_sale) for r in returns if r.ret is not None and not r.code}
    originals = _lock_originals(session, wanted)
    # Read after the lock: on PostgreSQL this statement sees every return committed before it.
    uuids = {r.uuid for r in returns if r.uuid}
    known = {
        uuid: Recorded(content_hash, number, location_id)
        for uuid, content_hash, number, location_id in session.execute(
            select(SaleReturn.uuid, SaleReturn.content_hash, SaleReturn.number, SaleReturn.location_id)
            .where(SaleReturn.uuid.in_(uuids)))
    } if uuids else {}
    wallet_refs = {f.reference for r in returns if r.ret is not None and not r.code
                   for f in r.ret.refunds if f.kind in WALLET_TENDERS and f.reference}
    payment_refunds = {
        out_request_no: (amount, status, public_id)
        for out_request_no, amount, status, public_id in session.execute(
            select(PaymentRefund.out_request_no, PaymentRefund.amount, PaymentRefund.status,
                   PaymentIntent.public_id)
            .join(PaymentIntent, PaymentIntent.id == PaymentRefund.intent_id)
            .where(PaymentRefund.out_request_no.in_(wallet_refs)))
    } if wallet_refs else {}

    def admit(r: _Return) -> bool:
        return _admit(r, location, originals, payment_refunds)

    verdicts, accepted = sort_out(returns, known, location.id, "return", admit)
    numbers = _write(session, device, location, accepted) if accepted else {}
    return answer_batch(returns, verdicts, numbers, "number")


def _lock_originals(session: Session, uuids: set[str]) -> dict[str, _Original]:
    """The sales being returned, their rows locked in id order (no deadlock between batches),
    with their lines, tenders and what earlier returns took back."""
    if not uuids:
        return {}
    rows = session.execute(
        select(Order.id, Order.client_uuid, Order.number, Order.location_id, Order.currency,
               Order.total, Order.customer_id)
        .where(Order.client_uuid.in_(sorted(uuids))).order_by(Order.id).with_for_update()).all()
    originals = {row.id: _Original(row.id, row.client_uuid, row.number, row.location_id, row.currency,
                                   row.total, row.customer_id) for row in rows}
    if not originals:
        return {}
    ids = sorted(originals)
    for order_id, sku_id, sku, net, quantity in session.execute(
            select(OrderLine.order_id, OrderLine.sku_id, OrderLine.sku_code, OrderLine.net,
                   OrderLine.quantity)
            .where(OrderLine.order_id.in_(ids)).order_by(OrderLine.order_id, OrderLine.line_no)):
        originals[order_id].lines.append(_SoldLine(sku_id, sku, net, quantity))
    for order_id, kind, amount, reference in session.execute(
            select(OrderTender.order_id, OrderTender.kind, OrderTender.amount, OrderTender.reference)
            .where(OrderTender.order_id.in_(ids))):
        originals[order_id].paid[kind] += amount
        originals[order_id].payments[kind].add(reference)
    for order_id, lines in _returned_lines(session, ids).items():
        originals[order_id].returned = lines
    for order_id, kind, amount, reference in session.execute(
            select(SaleReturn.order_id, SaleReturnRefund.kind, SaleReturnRefund.amount,
                   SaleReturnRefund.reference)
            .join(SaleReturn, SaleReturn.id == SaleReturnRefund.return_id)
            .where(SaleReturn.order_id.in_(ids))):
        originals[order_id].refunded[kind] += amount
        if kind in WALLET_TENDERS:
            originals[order_id].claimed.add(reference)
    for order_id, total in session.execute(
            select(SaleReturn.order_id, func.sum(SaleReturn.total))
            .where(SaleReturn.order_id.in_(ids)).group_by(SaleReturn.order_id)):
        originals[order_id].refunded_total = int(total)
    return {o.uuid: o for o in originals.values()}


def _admit(r: _Return, location: Location, originals: dict[str, _Original],
           payment_refunds: dict[str, tuple[int, str, str]]) -> bool:
    """The checks against the sale as recorded; on success the return counts for the rest of
    the batch (a second return of the same line in one batch sees the first)."""
    ret = r.ret
    assert ret is not None
    original = originals.get(str(ret.original_sale))
    if original is None:
        return r.reject("unknown-sale", f"sale {ret.original_sale} is not on the server yet; keep the "
                                        "return and send it again after the sale")
    if original.location_id != location.id:
        return r.reject("wrong-store", "this sale was made at another store; it is returned there")
    try:
        refunds = return_refunds([(ln.net, ln.quantity) for ln in original.lines], original.returned,
                                 [(ln.line, ln.quantity) for ln in ret.lines])
    except ReturnError as exc:
        return r.reject("over-return" if exc.code == "over-return" else "invalid", str(exc))
    owed = sum(refunds.values())
    if owed != ret.total:
        return r.reject("totals-mismatch", f"the lines returned refund {owed}, the return says "
                                           f"{ret.total} ({original.currency} minor units)")
    asked: Counter[str] = Counter()
    for f in ret.refunds:
        asked[f.kind] += f.amount
    for kind, amount in sorted(asked.items()):
        left = original.paid[kind] - original.refunded[kind]
        if amount > left:
            return r.reject("bad-refunds", f"{amount} back as {kind}, but the sale's {kind} tenders "
                                           f"have {max(left, 0)} left to refund; refund to the "
                                           "tenders the shopper paid with")
    claimed = set(original.claimed)
    for f in ret.refunds:
        if f.kind not in WALLET_TENDERS:
            continue
        amount, status, payment = payment_refunds.get(f.reference, (0, "", ""))
        if (status != "succeeded" or amount != f.amount or payment not in original.payments[f.kind]
                or f.reference in claimed):
            return r.reject("unverified-refund", f"no succeeded refund {f.reference or '(no reference)'} "
                                                 f"of {f.amount} on this sale's {f.kind} payment that "
                                                 "another return has not claimed; refund through the "
                                                 "server and send its out_request_no as the reference")
        claimed.add(f.reference)
    # Admitted: what follows in the batch sees this return.
    r.original, r.refunds, r.spent_before = original, refunds, original.total - original.refunded_total
    r.points_before = original.refunded["points"]
    for ln in ret.lines:
        original.returned[ln.line] = original.returned.get(ln.line, 0) + ln.quantity
    original.refunded.update(asked)
    original.refunded_total += ret.total
    original.claimed = claimed
    return True


def _write(session: Session, device: Principal, location: Location,
           accepted: list[_Return]) -> dict[int, str]:
    """Return rows, stock back on hand, points taken back and events; numbers by index."""
    now = utcnow()
    conn = session.connection()  # Core inserts, as for sales: a batch may hold many returns
    rows = []
    for r in accepted:
        assert r.ret is not None and r.original is not None
        rows.append({
            "uuid": r.uuid, "number": r.number, "content_hash": r.content_hash,
            "order_id": r.original.id, "location_id": location.id, "device_id": device.id,
            "cash_session_uuid": str(r.ret.cash_session) if r.ret.cash_session else None,
            "cashier": r.ret.cashier, "reason": r.ret.reason, "currency": location.currency,
            "total": r.ret.total, "occurred_at": r.occurred_at, "created_at": now,
            "device_occurred_at": r.ret.occurred_at, "review_flags": r.flags or [],
            "needs_review": bool(r.flags)})
    table = SaleReturn.__table__
    ids = dict(conn.execute(insert(table).returning(table.c.uuid, table.c.id), rows).all())
    lines, refunds, movements = [], [], []
    for r in accepted:
        assert r.ret is not None and r.original is not None and r.occurred_at is not None
        note = "" if r.occurred_at == r.ret.occurred_at else (
            f"device clock said {r.ret.occurred_at.isoformat()}")
        for ln in r.ret.lines:
            sold = r.original.lines[ln.line]
            lines.append({"return_id": ids[r.uuid], "line_no": ln.line, "sku_id": sold.sku_id,
                          "quantity": ln.quantity, "refund": r.refunds[ln.line]})
            movements.append(Movement(
                location.id, sold.sku_id, "return", ln.quantity, r.occurred_at,
                document=f"return:{r.uuid}", reason=f"return {r.number} of sale {r.original.number}",
                actor=device.key, idempotency_key=f"return:{r.uuid}:{ln.line}", note=note))
        refunds += [{"return_id": ids[r.uuid], "kind": f.kind, "amount": f.amount,
                     "reference": f.reference} for f in r.ret.refunds]
    conn.execute(insert(SaleReturnLine.__table__), lines)
    if refunds:
        conn.execute(insert(SaleReturnRefund.__table__), refunds)
    # Locks the levels (in key order) after the sales' rows: the one lock order of this module.
    events: list[NewEvent] = []
    apply_movements(session, movements, events)
    taken = _points_on_returns(session, accepted, device.key, now)
    record_many(session, events + [
        NewEvent("order.returned", "order", r.original.number,
                 _return_document(r, location.code, taken.get(r.index, 0), now),
                 location_id=location.id)
        for r in accepted if r.original is not None
    ])
    return {r.index: r.number for r in accepted}


def _return_document(r: _Return, location_code: str, points_taken: int, now: datetime) -> dict[str, Any]:
    assert r.ret is not None and r.original is not None and r.occurred_at is not None
    return {
        "uuid": r.uuid, "number": r.number, "order": r.original.number, "sale_uuid": r.original.uuid,
        "location": location_code, "currency": r.original.currency, "total": r.ret.total,
        "reason": r.ret.reason, "cashier": r.ret.cashier,
        "cash_session": str(r.ret.cash_session) if r.ret.cash_session else None,
        "lines": [{"line": ln.line, "sku": r.original.lines[ln.line].sku, "quantity": ln.quantity,
                   "refund": r.refunds[ln.line]} for ln in r.ret.lines],
        "refunds": [{"kind": f.kind, "amount": f.amount, "reference": f.reference} for f in r.ret.refunds],
        "points_taken_back": points_taken,
        "occurred_at": r.occurred_at.isoformat(), "created_at": now.isoformat(),
        "device_occurred_at": r.ret.occurred_at.isoformat(), "review_flags": r.flags or [],
    }


_MOVE_POINTS = (update(Customer).where(Customer.id == bindparam("cid"))
                .values(points=Customer.points + bindparam("delta")))


def _points_on_returns(session: Session, accepted: list[_Return], actor: str,
                       now: datetime) -> dict[int, int]:
    """The members' points after returns: points that paid for what came back go back to the
    member, and the points earned on it are taken back. Returns the earned points taken by index.

    Member rows are locked once, in id order, after the stock levels (the module's lock order).
    """
    back = _redeemed_points_back(session, accepted, now, actor)
    wanted = _earned_points_back(session, accepted)
    if not back and not wanted:
        return {}
    balances = dict(session.execute(
        select(Customer.id, Customer.points)
        .where(Customer.id.in_(sorted({e["customer_id"] for e in back} | {w[0] for w in wanted})))
        .order_by(Customer.id).with_for_update()).all())
    deltas: Counter[int] = Counter()
    for entry in back:
        balances[entry["customer_id"]] += entry["points"]
        deltas[entry["customer_id"]] += entry["points"]
    entries, taken = list(back), {}
    for customer_id, take, r in wanted:
        assert r.original is not None and r.ret is not None
        take = min(take, balances[customer_id])
        if take <= 0:
            continue
        balances[customer_id] -= take
        deltas[customer_id] -= take
        taken[r.index] = take
        entries.append({"customer_id": customer_id, "kind": "adjust", "points": -take,
                        "order_id": r.original.id, "reference": f"return:{r.uuid}",
                        "currency": r.original.currency, "amount": r.ret.total, "actor": actor, "at": now})
    if entries:
        conn = session.connection()
        conn.execute(insert(PointsEntry.__table__), entries)
        moves = [{"cid": c, "delta": d} for c, d in sorted(deltas.items()) if d]
        if moves:
            conn.execute(_MOVE_POINTS, moves)
    return taken


def _redeemed_points_back(session: Session, accepted: list[_Return], now: datetime,
                          actor: str) -> list[dict[str, Any]]:
    """Ledger entries giving back the points that paid for what came back.

    A refund to ``points`` gives back the share of the redeemed points it is of the points
    tender, counted over every return of the sale (``floor(points × refunded so far / tender)``
    less what went back before), so the returns of a sale give back exactly what was redeemed.
    """
    refunded = [(r, sum(f.amount for f in r.ret.refunds if f.kind == "points")) for r in accepted
                if r.ret is not None and r.original is not None]
    refunded = [(r, amount) for r, amount in refunded if amount > 0]
    if not refunded:
        return []
    references = sorted({ref for r, _ in refunded if r.original for ref in r.original.payments["points"]})
    redeemed = {reference: (customer_id, -points) for reference, customer_id, points in session.execute(
        select(PointsEntry.reference, PointsEntry.customer_id, PointsEntry.points)
        .where(PointsEntry.kind == "redeem", PointsEntry.reference.in_(references)))}
    entries = []
    for r, amount in refunded:
        assert r.original is not None and r.ret is not None
        tender = r.original.paid["points"]
        found = [redeemed[ref] for ref in sorted(r.original.payments["points"]) if ref in redeemed]
        if not found or tender <= 0:
            continue
        customer_id, points = found[0][0], sum(p for _, p in found)
        points_back = points * (r.points_before + amount) // tender - points * r.points_before // tender
        if points_back > 0:
            entries.append({"customer_id": customer_id, "kind": "refund", "points": points_back,
                            "order_id": r.original.id, "reference": f"return:{r.uuid}",
                            "currency": r.original.currency, "amount": amount, "actor": actor, "at": now})
    return entries


def _earned_points_back(session: Session, accepted: list[_Return]) -> list[tuple[int, int, _Return]]:
    """(member, points, return): the points a member earned on what came back.

    The member keeps what the rest of the sale still earns: ``points_earned(spent before) -
    points_earned(spent after)``, which over several returns adds up to what the sale earned.
    Points already spent are not clawed into a negative balance: the member loses at most
    what they hold (the difference stays visible in the ledger's references).
    """
    rules = LoyaltyRules()
    members = [r for r in accepted if r.original is not None and r.original.customer_id
               and r.ret is not None and r.ret.total > 0 and r.original.currency in rules.earn_per_unit]
    if not members:
        return []
    earned = set(session.execute(select(PointsEntry.order_id).where(
        PointsEntry.kind == "earn",
        PointsEntry.order_id.in_(sorted({r.original.id for r in members if r.original})))).scalars())
    wanted: list[tuple[int, int, _Return]] = []
    for r in members:
        assert r.original is not None and r.original.customer_id is not None and r.ret is not None
        if r.original.id not in earned:
            continue
        currency = r.original.currency
        take = (points_earned(Money(r.spent_before, currency), rules)
                - points_earned(Money(r.spent_before - r.ret.total, currency), rules))
        if take > 0:
            wanted.append((r.original.customer_id, take, r))
    return wanted
