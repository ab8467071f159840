"""Payments: take cash, charge Alipay by QR or payment code, settle online orders, refund.

Every use case follows one rule: no database transaction is open while we wait on the gateway.
The intent (and its attempt, with a fresh out_trade_no) is written and committed first; then
the gateway is called; then what its answer proves is recorded in a new transaction. A crash in
between leaves an intent that says what was attempted, and a query settles it.

A payment becomes paid only on a verified answer (a signed notification, a signed query or pay
answer) whose order and amount match (docs/ARCHITECTURE.md, promise 6). Doubtful answers are followed by a
query and, when still unsettled, a cancel. Status changes are idempotent and never go backwards.

Locks: when an online order is involved, its row is locked before the intent's (FOR UPDATE, in
that order everywhere), so concurrent notifications for a split tender settle the order once.

Cancel against pay: "a cancel was requested" (``cancel_requested_at``) and "paid" are decided
under the intent's row lock, and whichever commits first wins. A cancel is only sent for a
payment that is still open; a paid answer for a payment being cancelled does not make it paid
(the shopper paid while our cancel was on its way: the cancel returns the money, and its
answer records that). So whatever order the cancel's answer, the paid notification and the
close notification arrive in, a payment ends either paid (and nothing was cancelled) or
cancelled (with the money, if any was taken, given back and said so), never paid with the
money refunded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from retail.cash import CashError, take_cash
from retail.money import Money
from store_server.api.auth import Principal
from store_server.customers.models import Customer, PointsEntry
from store_server.customers.service import RedeemIn, redeem_points
from store_server.db import transaction, utcnow
from store_server.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from store_server.events.service import NewEvent, record_many
from store_server.jobs.queue import enqueue
from store_server.locations.models import Location
from store_server.locations.service import get_location
from store_server.orders.models import Order
from store_server.orders.records import get_order, order_document
from store_server.orders.service import TransitionIn, transition
from store_server.sealing import seal
from store_server.validation import MinorUnits, canonical_uuid

from .code_payment import CodePaymentResult, CodePaymentStatus, charge_payment_code, resume_payment_code
from .gateway import GMT8, SUB_TRADE_NOT_EXIST, CancelResult, Outcome, TradeStatus
from .models import OPEN_STATUSES, PAID_STATUSES, PaymentAttempt, PaymentIntent, PaymentRefund
from .runtime import Payments

# The actor of changes the gateway causes (notifications, background charges).
SYSTEM = Principal("system", 0, "admin", None, "payments")
MAX_WAIT_SECONDS = 25.0
WALLET_TENDERS = ("alipay_qr", "alipay_code")  # charged through the gateway
POLL_SLEEP = 0.2
# The jobs ``store-server worker`` runs for payments (store_server.jobs.kinds).
CHARGE_CODE_JOB = "payments.charge_code"
CLOSE_QR_JOB = "payments.close_qr"
# The gateway's clock may run a little behind ours: a QR is closed this long after its time.
QR_CLOSE_MARGIN = timedelta(seconds=30)


# --------------------------------------------------------------------------- requests


class PaymentIn(BaseModel):
    tender: Literal["cash", "alipay_qr", "alipay_code", "points"]
    order: str | None = Field(None, max_length=40, description="an online order's number")
    sale_uuid: uuid.UUID | None = Field(
        None, description="a till checkout: the sale's client-generated UUID (the sale may not "
        "exist on the server yet)")
    store: str | None = Field(None, description="till checkout by a chain-wide user: the store")
    amount: MinorUnits | None = Field(None, description="minor units this tender settles; for an "
                                      "order, defaults to what is still due")
    currency: str | None = Field(None, min_length=3, max_length=3,
                                 description="till checkout: defaults to the store's currency")
    tendered: MinorUnits | None = Field(None, description="cash: what the shopper hands over")
    auth_code: str | None = Field(None, pattern=r"^\d{16,24}$",
                                  description="alipay_code: the payment code scanned from the phone")
    subject: str | None = Field(None, min_length=1, max_length=128,
                                description="what the shopper's wallet shows")
    member_qr: str | None = Field(
        None, max_length=300, description="points: the member QR the shopper shows (store staff); "
        "the online shop pays with its signed-in member's points without it")

    @model_validator(mode="after")
    def _consistent(self) -> PaymentIn:
        if (self.order is None) == (self.sale_uuid is None):
            raise ValueError("give either 'order' (an online order) or 'sale_uuid' (a till checkout)")
        if self.sale_uuid is not None and self.amount is None:
            raise ValueError("a till checkout states the 'amount' this tender pays")
        if self.tender == "cash" and self.tendered is None:
            raise ValueError("cash needs 'tendered', the amount handed over")
        if self.tender == "alipay_code" and not self.auth_code:
            raise ValueError("alipay_code needs 'auth_code', the code scanned from the phone")
        if self.tender == "points" and self.order is None:
            raise ValueError("points pay online orders here; a till redeems them with "
                             "/customers/<n>/points/redeem and the sale's reference")
        return self


class RetryIn(BaseModel):
    auth_code: str | None = Field(None, pattern=r"^\d{16,24}$",
                                  description="alipay_code: the fresh code the shopper shows")


class RefundIn(BaseModel):
    amount: MinorUnits | None = Field(None, description="minor units; defaults to all that is left")
    reason: str = Field("", max_length=256)


class PaymentDeclined(DomainError):
    status = 422
    code = "payment-refused"
    title = "The payment cannot be taken"


@dataclass
class _After:
    """Work for after commit: gateway calls must not run inside the transaction."""

    refund: list[tuple[str, str]] = field(default_factory=list)  # (public_id, reason)


class _PaidMeanwhile(Exception):
    """A payment-code flow was about to cancel a payment the shop has recorded as paid (a
    notification overtook the flow's last query): it must not cancel, which would refund it."""


# --------------------------------------------------------------------------- reading


def _doc(session: Session, intent: PaymentIntent) -> dict[str, Any]:
    """The payment as the API, the events and the webhooks show it."""
    code = session.execute(select(Location.code).where(Location.id == intent.location_id)).scalar_one()
    attempts = session.execute(
        select(PaymentAttempt).where(PaymentAttempt.intent_id == intent.id).order_by(PaymentAttempt.id)
    ).scalars()
    refunds = session.execute(
        select(PaymentRefund).where(PaymentRefund.intent_id == intent.id).order_by(PaymentRefund.id)
    ).scalars()
    doc: dict[str, Any] = {
        "id": intent.public_id,
        "tender": intent.tender,
        "status": intent.status,
        "amount": intent.amount,
        "currency": intent.currency,
        "store": code,
        "order": intent.order_number,
        "sale": None if intent.sale_uuid is None else {
            "sale_uuid": intent.sale_uuid, "device_id": intent.device_id},
        "reference": intent.public_id,  # what a till records as the tender reference
        "out_trade_no": intent.out_trade_no,
        "trade_no": intent.trade_no,
        "qr_code": intent.qr_code if intent.status == "waiting_for_shopper" else None,
        "refunded_amount": intent.refunded_amount,
        "refundable_amount": (intent.amount - intent.refunded_amount
                              if intent.status in ("paid", "refunded_partially") else 0),
        "failure": {"code": intent.failure_code, "reason": intent.failure_reason}
        if intent.status == "failed" or intent.failure_reason else None,
        "attention": intent.attention or None,
        "created_by": intent.created_by,
        "created_at": intent.created_at.isoformat(),
        "updated_at": intent.updated_at.isoformat(),
        "paid_at": intent.paid_at.isoformat() if intent.paid_at else None,
        "attempts": [
            {"out_trade_no": a.out_trade_no, "status": a.status, "trade_no": a.trade_no,
             "reason": a.reason or None, "created_at": a.created_at.isoformat()}
            for a in attempts
        ],
        "refunds": [_refund_doc(r) for r in refunds],
    }
    if intent.tender == "cash":
        doc["cash"] = {"tendered": intent.tendered, "change": intent.change,
                       "rounding": intent.rounding, "taken": (intent.tendered or 0) - intent.change}
    return doc


def _refund_doc(refund: PaymentRefund) -> dict[str, Any]:
    return {"out_request_no": refund.out_request_no, "amount": refund.amount, "status": refund.status,
            "reason": refund.reason, "failure_reason": refund.failure_reason or None,
            "created_at": refund.created_at.isoformat(),
            "settled_at": refund.settled_at.isoformat() if refund.settled_at else None}


def _find(session: Session, public_id: str, *, lock: bool = False) -> PaymentIntent:
    stmt = select(PaymentIntent).where(PaymentIntent.public_id == public_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    intent = session.execute(stmt).scalar_one_or_none()
    if intent is None:
        raise NotFound(f"no payment {public_id}", payment=public_id)
    return intent


def _lock_for_change(session: Session, public_id: str) -> tuple[PaymentIntent, Order | None]:
    """Lock the order (if any) and then the intent: the one lock order used everywhere."""
    intent = _find(session, public_id)
    order = get_order(session, intent.order_number, lock=True) if intent.order_number else None
    return _find(session, public_id, lock=True), order


def _authorize(intent: PaymentIntent, who: Principal) -> None:
    """Invariant 8: a store's staff and devices touch only that store's payments."""
    who.require_location(intent.location_id)


def read_payment(session: Session, public_id: str, who: Principal) -> dict[str, Any]:
    intent = _find(session, public_id)
    _authorize(intent, who)
    return _doc(session, intent)


def list_payments(session: Session, who: Principal, *, order: str | None = None,
                  sale_uuid: str | None = None) -> list[dict[str, Any]]:
    if (order is None) == (sale_uuid is None):
        raise InvalidInput("ask for the payments of one 'order' or one 'sale_uuid'")
    stmt = select(PaymentIntent).order_by(PaymentIntent.id)
    if order:
        stmt = stmt.where(PaymentIntent.order_number == order)
    else:
        canonical = canonical_uuid(sale_uuid)  # stored in the canonical lower-case form
        if canonical is None:
            raise InvalidInput("sale_uuid is not a UUID")
        stmt = stmt.where(PaymentIntent.sale_uuid == canonical)
    intents = [i for i in session.execute(stmt).scalars() if who.can_access(i.location_id)]
    return [_doc(session, i) for i in intents]


def wait_for_payment(session: Session, payments: Payments, public_id: str, who: Principal, *,
                     wait: float, seen_status: str | None = None,
                     sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Long-poll: return as soon as the status differs from ``seen_status`` (default: the status
    at the start), or when ``wait`` seconds have passed.

    The database is polled in short sleeps, each read in its own short transaction (a snapshot
    held across the sleeps would never see the change). While a QR waits and no notification
    has come, the gateway is queried every ``query_interval`` seconds, so a lost notification
    cannot leave a paid shopper waiting.
    """
    intent = _find(session, public_id)
    _authorize(intent, who)
    start = seen_status or intent.status
    deadline = time.monotonic() + max(0.0, min(wait, MAX_WAIT_SECONDS))
    next_query = time.monotonic() + payments.settings.query_interval
    while True:
        session.rollback()  # end the read snapshot so the next read sees new commits
        intent = _find(session, public_id)
        if intent.status != start or time.monotonic() >= deadline:
            return _doc(session, intent)
        if intent.tender == "alipay_qr" and intent.status in OPEN_STATUSES:
            if _qr_expired(session, payments, intent):
                session.rollback()
                expire_qr(session, payments, public_id)
                continue
            if time.monotonic() >= next_query and intent.out_trade_no:
                session.rollback()
                refresh_from_gateway(session, payments, public_id)
                next_query = time.monotonic() + payments.settings.query_interval
                continue
        session.rollback()
        sleep(min(POLL_SLEEP, max(0.0, deadline - time.monotonic())))


# --------------------------------------------------------------------------- creating


def _fingerprint(data: BaseModel) -> str:
    return hashlib.sha256(json.dumps(data.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def _new_out_trade_no() -> str:
    # Alipay allows 64 letters, digits and underscores; the date helps people read the bill.
    return "PZ" + datetime.now(GMT8).strftime("%Y%m%d%H%M%S") + secrets.token_hex(5).upper()


def _still_due(session: Session, order: Order, *, excluding: int | None = None) -> int:
    """What is left of an order's total once paid and in-flight tenders are counted."""
    held = session.execute(
        select(func.coalesce(func.sum(PaymentIntent.amount - PaymentIntent.refunded_amount), 0))
        .where(PaymentIntent.order_number == order.number,
               PaymentIntent.status.in_(OPEN_STATUSES + PAID_STATUSES),
               PaymentIntent.id != (excluding or 0))
    ).scalar_one()
    return order.total - int(held)


def _check_order_payable(order: Order) -> None:
    if order.channel != "online":
        raise Conflict("this is a till or kiosk sale; pay its checkout with 'sale_uuid' instead")
    if order.status != "reserved" or (order.expires_at is not None and order.expires_at <= utcnow()):
        state = "expired" if order.status == "reserved" else order.status
        raise Conflict(f"order {order.number} is {state} and cannot take a payment"
                       + ("; place a new order" if state in ("expired", "cancelled") else ""),
                       order_status=state)


def create_payment(session: Session, payments: Payments, data: PaymentIn, who: Principal,
                   idempotency_key: str | None = None) -> dict[str, Any]:
    """Take one tender for an online order or a till checkout.

    Cash is settled at once. A QR is precreated and the answer carries ``qr_code``; a job to
    close it once its time is up is queued with it. A payment code is charged by a worker (the
    job is queued with the payment: the shopper may take a minute to confirm on the phone, and
    the charge must survive any one process dying); this request only waits on the database
    and returns when the charge settles or after a few seconds, whichever is first, and the
    till waits for the rest with ``GET /payments/<id>?wait=25``.

    ``idempotency_key``: the same key with the same body returns the same payment (in its
    current state); with another body it is refused. Without one, a till checkout's tender is
    still one payment per sale, tender and amount (see :func:`_sale_key`).
    """
    if idempotency_key is not None and len(idempotency_key) > 200:
        raise InvalidInput("Idempotency-Key must be at most 200 characters")
    fingerprint = _fingerprint(data)
    implicit = _sale_key(data) if idempotency_key is None else None
    key = idempotency_key or implicit
    if data.tender in WALLET_TENDERS and payments.alipay_configured:
        payments.gateway()  # fail before writing anything if the keys cannot be loaded
    after = _After()
    try:
        with transaction(session):
            existing = _by_key(session, who, key, lock=implicit is not None)
            if existing is not None and implicit is not None and existing.status in ("failed", "cancelled"):
                # Nothing was charged for that one: this is a new try. It takes over the key; the
                # failed payment stays on record.
                existing.idempotency_key = None
                _touch(existing)
                session.flush()
                existing = None
            if existing is not None:
                if implicit is None and existing.request_hash != fingerprint:
                    raise Conflict("this Idempotency-Key was used with a different payment; use a new "
                                   "key for a new payment", code_detail="idempotency-key-reused")
                return {**_doc(session, existing), "replayed": True}
            intent = _new_intent(session, payments, data, who, key, fingerprint, after)
            public_id = intent.public_id
    except IntegrityError:
        # A concurrent request with the same key won the insert: answer with its payment.
        session.rollback()
        existing = _by_key(session, who, key)
        if existing is None:
            raise
        return {**_doc(session, existing), "replayed": True}
    _run_after(session, payments, after)
    if data.tender == "alipay_qr":
        _precreate(session, payments, public_id)
    elif data.tender == "alipay_code":
        return wait_for_payment(session, payments, public_id, who, wait=payments.settings.create_wait,
                                seen_status="pending")
    session.rollback()
    doc = _doc(session, _find(session, public_id))
    if data.tender == "cash":
        doc["open_drawer"] = True  # the till kicks the drawer to put the cash in and give change
    return doc


def _sale_key(data: PaymentIn) -> str | None:
    """The implicit idempotency key of a till checkout's tender: its sale, tender and amount.

    A till that sends its charge again without an Idempotency-Key (its own retry after a lost
    answer, a double tap) gets the payment it already has, not a second charge of the shopper.
    Two tenders of one sale with the same kind and amount need keys of their own.
    """
    if data.sale_uuid is None or data.amount is None:
        return None
    return f"plaza-sale:{data.sale_uuid}:{data.tender}:{data.amount}"


def _by_key(session: Session, who: Principal, key: str | None, *,
            lock: bool = False) -> PaymentIntent | None:
    if key is None:
        return None
    stmt = select(PaymentIntent).where(PaymentIntent.created_by == who.key,
                                       PaymentIntent.idempotency_key == key)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.execute(stmt).scalar_one_or_none()


def _new_intent(session: Session, payments: Payments, data: PaymentIn, who: Principal,
                key: str | None, fingerprint: str, after: _After) -> PaymentIntent:
    if data.tender == "cash" and who.role == "kiosk":
        raise Forbidden("a kiosk takes no cash; pay by Alipay")
    order: Order | None = None
    if data.order is not None:
        order = get_order(session, data.order, lock=True)  # one tender at a time per order
        who.require_location(order.location_id)
        _check_order_payable(order)
        location = session.get(Location, order.location_id)
        assert location is not None
        currency = order.currency
        due = _still_due(session, order)
        amount = data.amount if data.amount is not None else due
        if due <= 0:
            raise Conflict(f"order {order.number} is covered by its payments already", still_due=0)
        if amount > due:
            raise Conflict(f"only {Money(due, currency)} is still due on order {order.number}",
                           still_due=due)
        if data.currency and data.currency.upper() != currency:
            raise InvalidInput(f"order {order.number} is in {currency}, not {data.currency}")
        subject = data.subject or f"{location.name} · order {order.number}"
    else:
        if data.store:
            location = get_location(session, data.store)
        elif who.store_id is not None:
            location = session.get(Location, who.store_id)  # type: ignore[assignment]
        else:
            raise InvalidInput("say which 'store' this till checkout is in")
        assert location is not None
        who.require_location(location.id)
        if location.kind != "store":
            raise InvalidInput(f"{location.code} is not a store; till checkouts happen in stores")
        currency = (data.currency or location.currency).upper()
        if currency != location.currency:
            raise InvalidInput(f"{location.code} sells in {location.currency}, not {currency}")
        assert data.amount is not None
        amount = data.amount
        subject = data.subject or f"{location.name} · sale {str(data.sale_uuid)[:8]}"

    if data.tender in WALLET_TENDERS:
        gateway = payments.gateway()
        if gateway.config.currency != currency:
            raise PaymentDeclined(f"Alipay here charges {gateway.config.currency}, not {currency}; "
                                  "take another tender")
    now = utcnow()
    intent = PaymentIntent(
        public_id="pay_" + secrets.token_hex(10), order_number=order.number if order else None,
        device_id=who.id if (order is None and who.kind == "device") else None,
        sale_uuid=str(data.sale_uuid) if data.sale_uuid else None, location_id=location.id,
        currency=currency, amount=amount, tender=data.tender, status="pending", subject=subject,
        idempotency_key=key, request_hash=fingerprint, created_by=who.key, created_at=now,
        updated_at=now)
    if data.tender == "cash":
        assert data.tendered is not None
        try:
            cash = take_cash(Money(amount, currency), Money(data.tendered, currency), location.country)
        except CashError as exc:
            raise PaymentDeclined(str(exc), still_due=amount) from exc
        intent.tendered, intent.change = cash.tendered.amount, cash.change.amount
        intent.rounding = cash.rounding.amount
        intent.status, intent.paid_at = "paid", now
        session.add(intent)
        session.flush()
        record_many(session, [_event(session, intent, "payment.paid")])
        _settle_order(session, intent, order, after)
        return intent
    if data.tender == "points":
        assert order is not None  # PaymentIn allows points for orders only
        _pay_with_points(session, intent, order, who)
        _settle_order(session, intent, order, after)
        return intent
    intent.out_trade_no = _new_out_trade_no()
    session.add(intent)
    session.flush()
    session.add(PaymentAttempt(intent_id=intent.id, out_trade_no=intent.out_trade_no, created_at=now))
    session.flush()
    _queue_wallet_job(session, payments, intent, now, data.auth_code)
    return intent


def _pay_with_points(session: Session, intent: PaymentIntent, order: Order, who: Principal) -> None:
    """The order's member pays ``intent.amount`` (at most) with points, at once: as many whole
    points as that takes, or all they have; the payment is what they were worth. Member rows
    are locked after the order and its payments (the documented lock order)."""
    if order.customer_id is None:
        raise Conflict(f"order {order.number} names no member: no points can pay it")
    member = session.get(Customer, order.customer_id)
    assert member is not None
    redeemed = redeem_points(session, member.number, RedeemIn(
        amount=intent.amount, currency=intent.currency, reference=f"order:{order.number}:{intent.public_id}"),
        who.key)
    intent.amount = int(redeemed["discount"]["amount"])
    intent.status, intent.paid_at = "paid", intent.created_at
    session.add(intent)
    session.flush()
    record_many(session, [_event(session, intent, "payment.paid")])


def _give_points_back(session: Session, intent: PaymentIntent, refund: PaymentRefund) -> None:
    """A refund of a points payment gives its share of the redeemed points back to the member
    (counted over the payment's refunds, so refunding it all gives back all it took)."""
    reference = f"order:{intent.order_number}:{intent.public_id}"
    entry = session.execute(select(PointsEntry).where(
        PointsEntry.kind == "redeem", PointsEntry.reference == reference)).scalar_one()
    points = -entry.points
    before = intent.refunded_amount
    back = points * (before + refund.amount) // intent.amount - points * before // intent.amount
    if back > 0:
        session.add(PointsEntry(customer_id=entry.customer_id, kind="refund", points=back,
                                reference=f"refund:{refund.out_request_no}", currency=intent.currency,
                                amount=refund.amount, actor=refund.created_by, at=utcnow()))
        session.execute(update(Customer).where(Customer.id == entry.customer_id)
                        .values(points=Customer.points + back))


def _queue_wallet_job(session: Session, payments: Payments, intent: PaymentIntent, now: datetime,
                      auth_code: str | None) -> None:
    """In the transaction that writes a wallet attempt: the job that will see it through.

    A payment code gets its charge (the code sealed: it pays until it expires); a QR gets the
    job that closes it at the gateway once its time is up, whether or not anyone is waiting on
    it. Keyed by the attempt's out_trade_no, so each attempt has exactly one.
    """
    out_trade_no = intent.out_trade_no
    assert out_trade_no is not None
    payload: dict[str, Any] = {"payment": intent.public_id, "out_trade_no": out_trade_no}
    if intent.tender == "alipay_code":
        assert auth_code is not None
        enqueue(session, CHARGE_CODE_JOB, f"payment-code:{out_trade_no}",
                {**payload, "auth_code": seal(payments.settings.sealing_key, auth_code)})
    elif intent.tender == "alipay_qr":
        enqueue(session, CLOSE_QR_JOB, f"qr-close:{out_trade_no}", payload,
                run_at=now + _qr_lifetime(payments))


def _event(session: Session, intent: PaymentIntent, kind: str) -> NewEvent:
    return NewEvent(kind, "payment", intent.public_id, _doc(session, intent), intent.location_id)


def _touch(intent: PaymentIntent) -> None:
    intent.updated_at = utcnow()
    intent.version += 1


# --------------------------------------------------------------------------- settling orders


def _settle_order(session: Session, intent: PaymentIntent, order: Order | None, after: _After) -> None:
    """An online order becomes paid when its paid tenders cover its total exactly.

    Called with the order row locked, right after ``intent`` became paid. If the order can no
    longer be paid (it expired or was cancelled while the shopper paid), the money goes back:
    a full refund is queued for after commit, and the order says a refund is pending.
    """
    if order is None:
        return
    session.flush()  # autoflush is off: the sum below must see this intent's new status
    paid = int(session.execute(
        select(func.coalesce(func.sum(PaymentIntent.amount - PaymentIntent.refunded_amount), 0))
        .where(PaymentIntent.order_number == order.number, PaymentIntent.status.in_(PAID_STATUSES))
    ).scalar_one())
    if order.status != "reserved":
        intent.attention = f"order {order.number} was {order.status} when this payment arrived; refunded"
        after.refund.append((intent.public_id, f"order {order.number} is {order.status}"))
        _sync_order_refund(session, order)
        return
    if paid < order.total:
        return
    references = ",".join(session.execute(
        select(PaymentIntent.public_id).where(PaymentIntent.order_number == order.number,
                                              PaymentIntent.status.in_(PAID_STATUSES))
        .order_by(PaymentIntent.id)).scalars())
    try:
        # A savepoint: if the order refuses (say it expired a moment ago), the payment itself
        # stays recorded as paid and is refunded, rather than being lost with the order's error.
        with session.begin_nested():
            transition(session, order.number, "pay",
                       TransitionIn(amount=order.total, payment_reference=references[:120],
                                    note="paid: " + references[:280]), SYSTEM)
    except DomainError as exc:
        intent.attention = f"order {order.number} could not be marked paid ({exc.detail}); refunded"
        after.refund.append((intent.public_id, f"order {order.number} cannot be paid"))
        session.refresh(order)  # the savepoint's changes are gone; read what the order is now
        if order.status in ("cancelled", "expired"):
            _sync_order_refund(session, order)


def _run_after(session: Session, payments: Payments, after: _After) -> None:
    for public_id, reason in after.refund:
        # A failure stays visible as the intent's attention and its pending refund; a person
        # (or a retry with the same key) finishes it.
        with contextlib.suppress(DomainError):
            refund_payment(session, payments, public_id, RefundIn(reason=reason[:256]), SYSTEM,
                           request_key="auto:order-not-payable")


def order_money(session: Session, order_number: str) -> tuple[int, int, bool]:
    """(held, given back, a person must act) over all the order's payments.

    Held is what the shop still has: each wallet trade that took money, less what the gateway
    gave back of it, plus cash not refunded. A person must act when held money is cash (the
    gateway cannot hand it back), sits on a trade that is no longer the payment's current one
    (paid after it was abandoned), or its last refund was refused.
    """
    session.flush()
    held = returned = 0
    decide = False
    intents = session.execute(select(PaymentIntent).where(
        PaymentIntent.order_number == order_number)).scalars().all()
    for intent in intents:
        if intent.tender == "points":  # points go back to the member at once, by themselves
            returned += intent.refunded_amount
            if intent.status in PAID_STATUSES:
                held += intent.amount - intent.refunded_amount
            continue
        if intent.tender == "cash":
            returned += intent.refunded_amount
            if intent.status in PAID_STATUSES and intent.amount > intent.refunded_amount:
                held += intent.amount - intent.refunded_amount
                decide = True
            continue
        attempts = session.execute(select(PaymentAttempt).where(
            PaymentAttempt.intent_id == intent.id)).scalars().all()
        last_refund = session.execute(
            select(PaymentRefund.status).where(PaymentRefund.intent_id == intent.id)
            .order_by(PaymentRefund.id.desc()).limit(1)).scalar_one_or_none()
        for attempt in attempts:
            returned += attempt.refunded
            if attempt.status == "paid" and attempt.refunded < intent.amount:
                held += intent.amount - attempt.refunded
                decide = decide or attempt.out_trade_no != intent.out_trade_no or last_refund == "failed"
    return held, returned, decide


def _sync_order_refund(session: Session, order: Order | None) -> None:
    """Keep a cancelled or expired order's refund state in step with its payments.

    Called with the order locked, in the transaction that changed one of its payments. A live
    order is left alone: its partial refunds are ordinary returns, not a cancellation's.
    """
    if order is None or order.status not in ("cancelled", "expired"):
        return
    held, returned, decide = order_money(session, order.number)
    status = "" if held == 0 and returned == 0 else "refunded" if held == 0 else (
        "needs_decision" if decide else "pending")
    if (order.refund_status, order.refunded_amount) != (status, returned):
        order.refund_status, order.refunded_amount = status, returned
        order.updated_at = utcnow()


# --------------------------------------------------------------------------- gateway outcomes


def apply_trade_status(session: Session, payments: Payments, *, out_trade_no: str,
                       status: TradeStatus, trade_no: str | None, source: str,
                       refund_request_no: str | None = None, refund_fee: Money | None = None) -> bool:
    """Record what a verified gateway message says about one attempt; True if anything changed.

    The caller has verified the message and checked that its amount matches. ``refund_fee``
    (cumulative, from a notification) tells a trade closed after payment (its money went back)
    from one closed unpaid. Idempotent: a repeated notification, or a query after a
    notification, finds nothing left to do; an older status arriving late (SUCCESS after
    CLOSED) is ignored. A paid message for a payment being cancelled leaves it open: the
    cancel's answer settles it (see the module docstring).
    """
    after = _After()
    with transaction(session):
        attempt = session.execute(
            select(PaymentAttempt).where(PaymentAttempt.out_trade_no == out_trade_no)).scalar_one_or_none()
        if attempt is None:
            return False
        public_id = session.execute(
            select(PaymentIntent.public_id).where(PaymentIntent.id == attempt.intent_id)).scalar_one()
        intent, order = _lock_for_change(session, public_id)
        session.refresh(attempt)  # as it is now, under the intent's lock
        current = intent.out_trade_no == out_trade_no
        events: list[NewEvent] = []
        changed = False
        now = utcnow()
        money_back = status is TradeStatus.TRADE_CLOSED and refund_fee is not None and refund_fee.amount > 0
        if (status.paid or money_back) and attempt.status != "paid":
            attempt.status, attempt.settled_at = "paid", now  # the gateway took the money
            attempt.trade_no = attempt.trade_no or trade_no
            changed = True
        if status.paid:
            if current and intent.status in OPEN_STATUSES and intent.cancel_requested_at is None:
                intent.status, intent.trade_no, intent.paid_at = "paid", trade_no, now
                intent.failure_code = intent.failure_reason = ""
                _touch(intent)
                record_many(session, [_event(session, intent, "payment.paid")])
                _settle_order(session, intent, order, after)
                changed = True
            elif current and intent.status in OPEN_STATUSES:
                pass  # paid while our cancel is on its way: the cancel gives it back
            elif (not current or intent.status in ("failed", "cancelled")) \
                    and attempt.refunded < intent.amount and attempt.reason != "paid after it was abandoned":
                # An abandoned attempt was paid after all and nothing gave it back: the shopper
                # paid twice or for nothing. A person must refund it.
                attempt.reason = "paid after it was abandoned"
                intent.attention = f"attempt {out_trade_no} was paid after it was abandoned; refund it"
                _touch(intent)
                _sync_order_refund(session, order)
        elif status is TradeStatus.TRADE_CLOSED:
            if attempt.status == "open":
                attempt.status, attempt.settled_at = "closed", now
            if current and intent.status in ("paid", "refunded_partially"):
                # Closed after payment: the gateway gave all the money back. Settle any refund
                # of ours still pending, then record the rest.
                _refund_settled(session, intent, refund_request_no, events)
                _money_returned(session, intent, attempt, "the gateway closed the trade and gave "
                                "the money back", events)
            elif attempt.status == "paid":
                # Paid and closed again while the payment was open (our cancel caught the
                # payment) or abandoned: the money went back with the close.
                _money_returned(session, intent, attempt, "the shopper paid while the payment was "
                                "being cancelled; the cancel gave the money back", events)
            if current and intent.status in OPEN_STATUSES:
                if intent.cancel_requested_at is not None:
                    # Our own cancel closed it; its notification can overtake the cancel's answer.
                    intent.status, intent.failure_code = "cancelled", "CANCELLED"
                    intent.failure_reason = "cancelled; the gateway closed the trade"
                else:
                    intent.status, intent.failure_code = "failed", "TRADE_CLOSED"
                    intent.failure_reason = "the shopper declined or the time to pay ran out"
                _touch(intent)
                events.append(_event(session, intent, f"payment.{intent.status}"))
            _sync_order_refund(session, order)
        elif status is TradeStatus.WAIT_BUYER_PAY and current and intent.status == "pending":
            intent.status = "waiting_for_shopper"
            _touch(intent)
        if status.paid and refund_request_no and current:
            _refund_settled(session, intent, refund_request_no, events)
            _sync_order_refund(session, order)
        record_many(session, events)
    _run_after(session, payments, after)
    return changed or bool(events)


def _refund_settled(session: Session, intent: PaymentIntent, out_request_no: str | None,
                    events: list[NewEvent]) -> None:
    """A refund notification names our out_request_no: a refund whose answer we missed is done."""
    if not out_request_no:
        return
    refund = session.execute(select(PaymentRefund).where(
        PaymentRefund.intent_id == intent.id, PaymentRefund.out_request_no == out_request_no,
        PaymentRefund.status == "pending")).scalar_one_or_none()
    if refund is None:
        return
    _refund_succeeded(session, intent, refund)
    events.append(_event(session, intent, "payment.refunded"))


def _money_returned(session: Session, intent: PaymentIntent, attempt: PaymentAttempt, reason: str,
                    events: list[NewEvent]) -> None:
    """The gateway gave back all of ``attempt``'s money other than through a refund request of
    ours (a cancel that caught it paid, a close after payment): record it once, as a refund."""
    if attempt.status != "paid" or attempt.refunded >= intent.amount:
        return
    amount = intent.amount - attempt.refunded
    attempt.refunded = intent.amount
    session.add(PaymentRefund(
        intent_id=intent.id, out_request_no=("RET" + attempt.out_trade_no)[:64],
        request_key=f"returned:{attempt.out_trade_no}", amount=amount, status="succeeded",
        reason=reason[:256], created_by="gateway", settled_at=utcnow()))
    if attempt.out_trade_no == intent.out_trade_no:
        intent.refunded_amount = intent.amount
        if intent.status in ("paid", "refunded_partially"):
            intent.status = "refunded_fully"
        events.append(_event(session, intent, "payment.refunded"))
    elif intent.attention.startswith(f"attempt {attempt.out_trade_no} "):
        intent.attention = ""  # the late payment it asked a person to refund went back by itself
    _touch(intent)


def _mark_unpaid(session: Session, public_id: str, out_trade_no: str, status: str, *,
                 code: str = "", reason: str = "", attempt_status: str = "closed",
                 returned: bool = False) -> None:
    """Record that an attempt ended without payment (failed or cancelled).

    ``returned``: the cancel found the trade paid and gave the money back (the shopper paid at
    the last moment): the payment is cancelled all the same, and says the money went back.
    """
    with transaction(session):
        intent, order = _lock_for_change(session, public_id)
        attempt = session.execute(
            select(PaymentAttempt).where(PaymentAttempt.out_trade_no == out_trade_no)).scalar_one()
        session.refresh(attempt)
        events: list[NewEvent] = []
        if returned:
            if attempt.status != "paid":
                attempt.status, attempt.settled_at = "paid", utcnow()
            _money_returned(session, intent, attempt, "the shopper paid while the payment was being "
                            "cancelled; the cancel gave the money back", events)
        elif attempt.status == "open":
            attempt.status, attempt.reason, attempt.settled_at = attempt_status, reason[:300], utcnow()
        if intent.out_trade_no == out_trade_no and intent.status == status and reason:
            # A notification got there first with a generic reason; ours says what happened.
            intent.failure_reason = reason[:300]
        elif intent.out_trade_no == out_trade_no and intent.status in OPEN_STATUSES:
            intent.status, intent.failure_code, intent.failure_reason = status, code[:64], reason[:300]
            _touch(intent)
            events.append(_event(session, intent, f"payment.{status}"))
        _sync_order_refund(session, order)
        record_many(session, events)


def _request_cancel(session: Session, public_id: str) -> str:
    """Say we are about to cancel, before the cancel is sent (see apply_trade_status).

    Returns the payment's status: only an open payment may be cancelled. A paid one is not
    (it was paid first; a cancel now would refund a sale the shop has recorded).
    """
    with transaction(session):
        intent = _find(session, public_id, lock=True)
        if intent.cancel_requested_at is None and intent.status in OPEN_STATUSES:
            intent.cancel_requested_at = utcnow()
            _touch(intent)
        return intent.status


def _note_attention(session: Session, public_id: str, text: str, out_trade_no: str | None = None) -> None:
    with transaction(session):
        intent = _find(session, public_id, lock=True)
        intent.attention = text[:300]
        if out_trade_no:
            attempt = session.execute(
                select(PaymentAttempt).where(PaymentAttempt.out_trade_no == out_trade_no)).scalar_one()
            if attempt.status == "open":
                attempt.status, attempt.reason = "unresolved", text[:300]
        _touch(intent)


def refresh_from_gateway(session: Session, payments: Payments, public_id: str) -> None:
    """Ask the gateway about the current attempt and record what a verified answer proves."""
    intent = _find(session, public_id)
    out_trade_no, amount = intent.out_trade_no, Money(intent.amount, intent.currency)
    session.rollback()
    if not out_trade_no:
        return
    query = payments.gateway().query(out_trade_no)
    if query.outcome is not Outcome.SUCCESS or query.trade_status is None:
        return  # not scanned yet (TRADE_NOT_EXIST) or unknown: nothing is proven
    if query.paid and query.total_amount != amount:
        _note_attention(session, public_id, f"the gateway says {out_trade_no} was paid "
                        f"{query.total_amount}, not {amount}")
        return
    apply_trade_status(session, payments, out_trade_no=out_trade_no, status=query.trade_status,
                       trade_no=query.trade_no, source="query")


# --------------------------------------------------------------------------- QR


def _precreate(session: Session, payments: Payments, public_id: str) -> None:
    intent = _find(session, public_id)
    out_trade_no = intent.out_trade_no
    assert out_trade_no is not None
    amount, subject = Money(intent.amount, intent.currency), intent.subject
    session.rollback()
    result = payments.gateway().precreate(
        out_trade_no, amount, subject, timeout_express=f"{payments.settings.qr_timeout_minutes}m")
    if result.outcome is Outcome.SUCCESS and result.qr_code:
        with transaction(session):
            intent = _find(session, public_id, lock=True)
            if intent.out_trade_no == out_trade_no and intent.status == "pending":
                intent.status, intent.qr_code = "waiting_for_shopper", result.qr_code
                _touch(intent)
                return
        return
    if result.outcome is Outcome.FAILED:
        _mark_unpaid(session, public_id, out_trade_no, "failed", code=result.sub_code or result.code or "",
                     reason=result.sub_msg or result.msg or "the gateway refused the QR",
                     attempt_status="failed")
        return
    # Unknown: a QR may exist that nobody will see. Cancel burns the number so it cannot be paid.
    cancel = _cancel_trade(payments, out_trade_no)
    if cancel is not None:
        _mark_unpaid(session, public_id, out_trade_no, "failed", code="GATEWAY_UNKNOWN",
                     reason=f"the gateway's answer could not be trusted ({result.problem}); try again")
    else:
        _note_attention(session, public_id, "the QR's outcome is unknown and cancel did not settle it; "
                        "cancel the payment again", out_trade_no)


def _qr_expired(session: Session, payments: Payments, intent: PaymentIntent) -> bool:
    """Past the QR's lifetime (from the current attempt: a retry shows a new QR), with a margin
    for the gateway's own clock."""
    return _qr_shown_at(session, intent) + _qr_lifetime(payments) < utcnow()


def _qr_shown_at(session: Session, intent: PaymentIntent) -> datetime:
    return session.execute(select(PaymentAttempt.created_at).where(
        PaymentAttempt.out_trade_no == intent.out_trade_no)).scalar_one_or_none() or intent.created_at


def _qr_lifetime(payments: Payments) -> timedelta:
    return timedelta(minutes=payments.settings.qr_timeout_minutes) + QR_CLOSE_MARGIN


def expire_qr(session: Session, payments: Payments, public_id: str) -> None:
    """Close an abandoned QR: ask first (the shopper may have paid at the last moment)."""
    refresh_from_gateway(session, payments, public_id)
    intent = _find(session, public_id)
    out_trade_no = intent.out_trade_no
    if intent.status not in OPEN_STATUSES or not out_trade_no:
        return
    session.rollback()
    if _request_cancel(session, public_id) not in OPEN_STATUSES:
        return  # paid (or settled) since we looked: nothing to close
    _cancel_and_record(session, payments, public_id, out_trade_no, "the QR expired unpaid")


def close_abandoned_qr(session: Session, payments: Payments, public_id: str,
                       out_trade_no: str) -> datetime | None:
    """The job queued with a QR: once its time is up, close it at the gateway if it is still
    open, whether or not anyone waits on it (asking first: the shopper may have paid at the
    last second). Returns when to look again if our clock says its time is not up yet."""
    intent = _find(session, public_id)
    if intent.out_trade_no != out_trade_no or intent.status not in OPEN_STATUSES:
        return None  # paid, failed, cancelled or retried with a new QR: nothing to close
    if not _qr_expired(session, payments, intent):
        return _qr_shown_at(session, intent) + _qr_lifetime(payments)
    session.rollback()
    expire_qr(session, payments, public_id)
    return None


# --------------------------------------------------------------------------- payment code


def charge_code(session: Session, payments: Payments, public_id: str, out_trade_no: str, auth_code: str,
                *, pay_sent_at: datetime | None, note_pay_sent: Callable[[], None],
                lost: Callable[[], bool] = lambda: False) -> None:
    """The job queued with a payment-code payment: charge the code, wait for the shopper, and
    record how it ended.

    ``note_pay_sent`` writes down (committed) that the pay request is about to go out. A worker
    that takes the job over from one that died finds ``pay_sent_at`` and never pays again: it
    queries, waits for what is left of the time, and cancels if the charge does not end. A job
    for a payment that was settled, cancelled or retried meanwhile does nothing.
    """
    intent = _find(session, public_id)
    if intent.out_trade_no != out_trade_no or intent.status not in OPEN_STATUSES \
            or intent.cancel_requested_at is not None:
        session.rollback()
        return
    amount, subject = Money(intent.amount, intent.currency), intent.subject
    queued_at = session.execute(select(PaymentAttempt.created_at).where(
        PaymentAttempt.out_trade_no == out_trade_no)).scalar_one()
    session.rollback()
    policy = payments.settings.poll
    if pay_sent_at is None and utcnow() - queued_at > timedelta(seconds=policy.limit):
        # No worker got to it while the shopper stood there (none running, or all failing): the
        # gateway never saw this number, and the code on the phone has expired by now.
        _mark_unpaid(session, public_id, out_trade_no, "failed", code="NOT_CHARGED",
                     reason="the payment code was not charged in time; scan a fresh one",
                     attempt_status="failed")
        return

    def on_call(method: str, outcome: Outcome) -> None:
        if method == "alipay.trade.pay" and outcome is Outcome.WAITING:
            with transaction(session):
                locked = _find(session, public_id, lock=True)
                if locked.out_trade_no == out_trade_no and locked.status == "pending":
                    locked.status = "waiting_for_shopper"
                    _touch(locked)

    last_check = [0.0, False]

    def gave_up() -> bool:
        # The cashier's cancel lands on a web server: look in the database, at most twice a
        # second. A worker that lost this job's lease stops too (another one carries it on).
        if lost():
            return True
        if time.monotonic() - last_check[0] >= 0.5:
            last_check[0] = time.monotonic()
            with payments.session_factory() as probe:
                last_check[1] = probe.execute(select(PaymentIntent.cancel_requested_at).where(
                    PaymentIntent.public_id == public_id)).scalar_one() is not None
        return bool(last_check[1])

    def before_cancel(_no: str) -> None:
        if _request_cancel(session, public_id) in PAID_STATUSES:
            raise _PaidMeanwhile(public_id)

    gateway = payments.gateway_with(on_call, before_cancel)
    try:
        if pay_sent_at is None:
            result = charge_payment_code(gateway, out_trade_no=out_trade_no, auth_code=auth_code,
                                         amount=amount, subject=subject, policy=policy, give_up=gave_up,
                                         before_pay=note_pay_sent)
        else:
            left = policy.limit - (utcnow() - pay_sent_at).total_seconds()
            result = resume_payment_code(gateway, out_trade_no=out_trade_no, amount=amount,
                                         seconds_left=left, policy=policy, give_up=gave_up)
    except _PaidMeanwhile:
        return  # a notification recorded it paid after our last query: that is the outcome
    record_code_result(session, payments, public_id, result)


def record_code_result(session: Session, payments: Payments, public_id: str,
                       result: CodePaymentResult) -> None:
    out_trade_no = result.out_trade_no
    if result.status is CodePaymentStatus.PAID:
        apply_trade_status(session, payments, out_trade_no=out_trade_no,
                           status=TradeStatus.TRADE_SUCCESS, trade_no=result.trade_no, source="pay")
    elif result.status is CodePaymentStatus.FAILED:
        _mark_unpaid(session, public_id, out_trade_no, "failed", code=result.sub_code or "",
                     reason=result.reason or "the gateway refused the payment code",
                     attempt_status="failed")
    elif result.status is CodePaymentStatus.CANCELLED:
        # Paid at the last moment and the cancel gave it back: cancelled, and it says so.
        _mark_unpaid(session, public_id, out_trade_no, "cancelled", code="CANCELLED", reason=result.reason,
                     returned=result.refunded_by_cancel)
    else:
        _note_attention(session, public_id, result.reason, out_trade_no)


# --------------------------------------------------------------------------- cancel and retry


def _cancel_trade(payments: Payments, out_trade_no: str) -> CancelResult | None:
    """Cancel until the gateway gives a definite answer; None if it never did."""
    policy = payments.settings.poll
    for attempt in range(policy.cancel_attempts):
        if attempt:
            time.sleep(policy.cancel_retry_interval)
        result = payments.gateway().cancel(out_trade_no)
        if result.retry or result.outcome is Outcome.UNKNOWN:
            continue
        if result.outcome is Outcome.SUCCESS or result.sub_code == SUB_TRADE_NOT_EXIST:
            return result
        return None
    return None


def _cancel_and_record(session: Session, payments: Payments, public_id: str, out_trade_no: str,
                       reason: str) -> None:
    result = _cancel_trade(payments, out_trade_no)
    if result is None:
        _note_attention(session, public_id, f"{reason}; cancel did not settle the trade, cancel again",
                        out_trade_no)
        return
    returned = result.action == "refund"
    if returned:
        reason += "; it was paid meanwhile and the cancel refunded it"
    _mark_unpaid(session, public_id, out_trade_no, "cancelled", code="CANCELLED", reason=reason,
                 returned=returned)


def cancel_payment(session: Session, payments: Payments, public_id: str, who: Principal) -> dict[str, Any]:
    """The cashier gives up, or the shopper walks away: close the trade at once.

    A paid payment is refunded, not cancelled. Cancelling twice is harmless.
    """
    with transaction(session):
        intent = _find(session, public_id, lock=True)
        _authorize(intent, who)
        if intent.status in PAID_STATUSES:
            raise Conflict("this payment is paid; refund it instead", status_now=intent.status)
        out_trade_no = intent.out_trade_no
        if intent.status in OPEN_STATUSES and intent.cancel_requested_at is None:
            intent.cancel_requested_at = utcnow()  # the background charge sees this and stops
            _touch(intent)
        open_now = intent.status in OPEN_STATUSES
    if open_now and out_trade_no:
        _cancel_and_record(session, payments, public_id, out_trade_no, "cancelled at the till")
    session.rollback()
    return _doc(session, _find(session, public_id))


def retry_payment(session: Session, payments: Payments, public_id: str, data: RetryIn,
                  who: Principal) -> dict[str, Any]:
    """Try a failed or cancelled wallet payment again, with a new out_trade_no (the gateway
    refuses a closed one); the earlier attempts stay on record."""
    with transaction(session):
        intent, order = _lock_for_change(session, public_id)
        _authorize(intent, who)
        if intent.tender == "cash":
            raise Conflict("cash is taken once; create a new payment")
        if intent.status not in ("failed", "cancelled"):
            raise Conflict(f"a {intent.status} payment cannot be retried", status_now=intent.status)
        if intent.tender == "alipay_code" and not data.auth_code:
            raise InvalidInput("scan a fresh payment code: give 'auth_code'")
        if order is not None:
            _check_order_payable(order)
            if _still_due(session, order, excluding=intent.id) < intent.amount:
                raise Conflict("the order's other payments cover it now; nothing to retry")
        intent.out_trade_no = _new_out_trade_no()
        intent.status, intent.qr_code, intent.cancel_requested_at = "pending", None, None
        intent.failure_code = intent.failure_reason = ""
        intent.refunded_amount = 0  # counts the current attempt's refunds; earlier ones stay on theirs
        _touch(intent)
        now = utcnow()
        session.add(PaymentAttempt(intent_id=intent.id, out_trade_no=intent.out_trade_no, created_at=now))
        session.flush()
        _queue_wallet_job(session, payments, intent, now, data.auth_code)
    if intent.tender == "alipay_qr":
        _precreate(session, payments, public_id)
    else:
        return wait_for_payment(session, payments, public_id, who, wait=payments.settings.create_wait,
                                seen_status="pending")
    session.rollback()
    return _doc(session, _find(session, public_id))


# --------------------------------------------------------------------------- refunds


def _refund_succeeded(session: Session, intent: PaymentIntent, refund: PaymentRefund) -> None:
    refund.status, refund.settled_at = "succeeded", utcnow()
    intent.refunded_amount = min(intent.amount, intent.refunded_amount + refund.amount)
    intent.status = "refunded_fully" if intent.refunded_amount == intent.amount else "refunded_partially"
    if intent.out_trade_no:  # a wallet refund goes to the current attempt's trade
        attempt = session.execute(select(PaymentAttempt).where(
            PaymentAttempt.out_trade_no == intent.out_trade_no)).scalar_one()
        attempt.refunded = min(intent.amount, attempt.refunded + refund.amount)
    _touch(intent)


def _open_refund(session: Session, intent: PaymentIntent, who: Principal, *, key: str,
                 amount: int | None, reason: str) -> PaymentRefund:
    """The refund request ``key`` names on the locked ``intent``: made now, or found from before.

    Never more than was paid, counted over pending and succeeded refunds. A cash refund is
    recorded as done at once (the till pays it out of the drawer).
    """
    refund = session.execute(select(PaymentRefund).where(
        PaymentRefund.intent_id == intent.id, PaymentRefund.request_key == key)).scalar_one_or_none()
    if refund is not None:
        if amount is not None and amount != refund.amount:
            raise Conflict("this Idempotency-Key was used for a refund of another amount; use a new "
                           "key for a new refund", code_detail="idempotency-key-reused")
        return refund
    if intent.status not in ("paid", "refunded_partially"):
        raise Conflict(f"a {intent.status} payment has nothing to refund", status_now=intent.status)
    committed = int(session.execute(
        select(func.coalesce(func.sum(PaymentRefund.amount), 0)).where(
            PaymentRefund.intent_id == intent.id,
            PaymentRefund.status.in_(("pending", "succeeded")))).scalar_one())
    left = intent.amount - committed
    wanted = amount if amount is not None else left
    if left <= 0 or wanted > left:
        raise Conflict(f"only {Money(max(left, 0), intent.currency)} of this payment can still be "
                       "refunded", refundable=max(left, 0))
    refund = PaymentRefund(intent_id=intent.id, out_request_no="RF" + secrets.token_hex(10).upper(),
                           request_key=key, amount=wanted, reason=reason[:256], created_by=who.key)
    session.add(refund)
    session.flush()
    if intent.tender == "points":
        _give_points_back(session, intent, refund)
    if intent.tender in ("cash", "points"):
        _refund_succeeded(session, intent, refund)
        record_many(session, [_event(session, intent, "payment.refunded")])
    return refund


@dataclass(frozen=True)
class _GatewayRefund:
    """A pending refund request to send after commit."""

    public_id: str
    refund_id: int
    out_trade_no: str
    out_request_no: str
    amount: Money
    reason: str

    @classmethod
    def of(cls, intent: PaymentIntent, refund: PaymentRefund) -> _GatewayRefund | None:
        if refund.status != "pending" or not intent.out_trade_no:
            return None
        return cls(intent.public_id, refund.id, intent.out_trade_no, refund.out_request_no,
                   Money(refund.amount, intent.currency), refund.reason)


def refund_payment(session: Session, payments: Payments, public_id: str, data: RefundIn,
                   who: Principal, request_key: str | None = None) -> dict[str, Any]:
    """Refund part or all of a paid payment; never more than was paid, counted over all refunds.

    ``request_key`` (the Idempotency-Key) makes a retry the same refund: the same out_request_no
    goes to the gateway, which never refunds it twice. Cash refunds are recorded (the till pays
    the money out of the drawer); Alipay refunds go through the gateway.
    """
    key = request_key or "auto:" + secrets.token_hex(8)
    if len(key) > 200:
        raise InvalidInput("Idempotency-Key must be at most 200 characters")
    with transaction(session):
        intent, order = _lock_for_change(session, public_id)
        _authorize(intent, who)
        refund = _open_refund(session, intent, who, key=key, amount=data.amount, reason=data.reason)
        _sync_order_refund(session, order)
        refund_id = refund.id
        send = _GatewayRefund.of(intent, refund)
    if send is not None:
        _refund_at_gateway(session, payments, send)
    session.rollback()
    intent = _find(session, public_id)
    refund = session.get(PaymentRefund, refund_id)
    assert refund is not None
    doc = {**_doc(session, intent), "refund": _refund_doc(refund)}
    if intent.tender == "cash":
        doc["open_drawer"] = True  # the till pays the refund out of the drawer
    return doc


def _refund_at_gateway(session: Session, payments: Payments, send: _GatewayRefund) -> None:
    gateway = payments.gateway()
    reason = send.reason or None
    result = gateway.refund(send.out_trade_no, send.amount, send.out_request_no, reason=reason)
    if result.outcome is Outcome.UNKNOWN:
        # Safe to repeat at once: the same out_request_no never refunds twice.
        result = gateway.refund(send.out_trade_no, send.amount, send.out_request_no, reason=reason)
    with transaction(session):
        intent, order = _lock_for_change(session, send.public_id)
        refund = session.get(PaymentRefund, send.refund_id, with_for_update=True, populate_existing=True)
        assert refund is not None
        if refund.status != "pending":
            return  # a notification settled it meanwhile
        if result.outcome is Outcome.SUCCESS:
            _refund_succeeded(session, intent, refund)
            record_many(session, [_event(session, intent, "payment.refunded")])
        elif result.outcome is Outcome.FAILED:
            refund.status, refund.settled_at = "failed", utcnow()
            refund.failure_reason = f"{result.sub_code}: {result.sub_msg or result.msg}"[:300]
        # UNKNOWN: stays pending; retrying with the same key asks the gateway again.
        _sync_order_refund(session, order)


# --------------------------------------------------------------------------- cancelling orders


def cancel_order(session: Session, payments: Payments, number: str, data: TransitionIn,
                 who: Principal) -> dict[str, Any]:
    """Cancel an online order and give back what was paid for it (``POST /orders/<n>/cancel``).

    One transaction cancels the order (releasing its stock, as the orders domain does) and deals
    with each of its payments: an open one is marked as being cancelled, so that a payment the
    shopper completes now cannot settle the cancelled order (the cancel gives the money back);
    a paid wallet payment gets a refund request for what is left of it; cash waits for a person
    (the order's refund status says ``needs_decision``). After commit the open trades are
    cancelled and the refunds sent; the order's ``refund`` says how far that got. Cancelling a
    cancelled order finishes what is left of that work, so a retry is safe.
    """
    cancels: list[tuple[str, str]] = []
    refunds: list[_GatewayRefund] = []
    with transaction(session):
        # The usual lock order: the order (so two cancels at once queue here, and the second
        # finds it cancelled rather than failing to cancel it again), its payments, and only
        # then, inside transition, its stock levels.
        order = get_order(session, number, lock=True)
        intents = session.execute(
            select(PaymentIntent).where(PaymentIntent.order_number == number).order_by(PaymentIntent.id)
            .with_for_update().execution_options(populate_existing=True)).scalars().all()
        if order.status == "cancelled":
            who.require_location(order.location_id)
        else:
            transition(session, number, "cancel", data, who)  # checks who may cancel it
        for intent in intents:
            if intent.status in OPEN_STATUSES:
                if intent.cancel_requested_at is None:
                    intent.cancel_requested_at = utcnow()
                    _touch(intent)
                if intent.out_trade_no:
                    cancels.append((intent.public_id, intent.out_trade_no))
            elif intent.status in ("paid", "refunded_partially") and intent.tender != "cash":
                try:
                    refund = _open_refund(session, intent, who, key=f"order-cancel:{number}", amount=None,
                                          reason=f"order {number} was cancelled")
                except Conflict:
                    continue  # other refunds cover it already
                send = _GatewayRefund.of(intent, refund)
                if send is not None:
                    refunds.append(send)
        _sync_order_refund(session, order)
    for public_id, out_trade_no in cancels:
        _cancel_and_record(session, payments, public_id, out_trade_no, f"order {number} was cancelled")
    for send in refunds:
        _refund_at_gateway(session, payments, send)
    session.rollback()
    return order_document(session, get_order(session, number))
