"""HTTP for payments: tills, kiosks and the online shop take tenders, wait, cancel and refund;
the gateway posts its notifications; managers reconcile a day.

``Idempotency-Key`` on create and refund is honoured by the payments service itself rather than
by the framework's wrapper: the wrapper runs the whole operation in one transaction, and a
payment must never hold a transaction open while it waits on the gateway.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from flask import Response, current_app, request
from pydantic import BaseModel, Field

from store_server.api import Ctx, operation
from store_server.api.auth import ADMIN, MANAGERS, STAFF, TERMINALS, TILLS
from store_server.api.framework import Media
from store_server.customers.service import QRSettings, verify_member_qr
from store_server.errors import Forbidden
from store_server.orders.records import get_order
from store_server.validation import Day

from . import service
from .notify import receive_alipay_notification
from .reconciliation import reconcile
from .runtime import Payments, PaymentSettings
from .service import PaymentIn, RefundIn, RetryIn

# Tills and kiosks, store staff (scoped to their store), and the online shop's server (admin).
PAYERS = TERMINALS | STAFF | ADMIN
# Money goes back at a till or from the office; a kiosk takes no returns.
REFUNDERS = TILLS | STAFF | ADMIN
EXTENSION = "plaza_payments"


def payments_of_app() -> Payments:
    """The application's payment services, built on first use from its configuration."""
    payments = current_app.extensions.get(EXTENSION)
    if payments is None:
        payments = Payments(PaymentSettings.from_config(current_app.config),
                            current_app.extensions["plaza"].session_factory)
        current_app.extensions[EXTENSION] = payments
    return payments


def _key() -> str | None:
    return request.headers.get("Idempotency-Key") or None


# -- what the payments API answers: service._doc and friends ---------------------------------

PaymentStatus = Literal["pending", "waiting_for_shopper", "paid", "failed", "cancelled",
                        "refunded_partially", "refunded_fully"]


class PaymentSaleOut(BaseModel):
    sale_uuid: str
    device_id: int | None


class PaymentFailureOut(BaseModel):
    code: str
    reason: str


class PaymentAttemptOut(BaseModel):
    out_trade_no: str
    status: Literal["open", "paid", "closed", "failed", "unresolved"]
    trade_no: str | None
    reason: str | None
    created_at: dt.datetime


class PaymentRefundOut(BaseModel):
    out_request_no: str = Field(description="a till records it as the refund's reference")
    amount: int
    status: Literal["pending", "succeeded", "failed"]
    reason: str
    failure_reason: str | None
    created_at: dt.datetime
    settled_at: dt.datetime | None


class CashOut(BaseModel):
    tendered: int | None
    change: int
    rounding: int
    taken: int = Field(description="what stays in the drawer: tendered - change")


class PaymentOut(BaseModel):
    """A payment (one tender). Money in minor units of ``currency``."""

    id: str
    tender: Literal["cash", "alipay_qr", "alipay_code", "points"]
    status: PaymentStatus
    amount: int
    currency: str
    store: str
    order: str | None
    sale: PaymentSaleOut | None
    reference: str = Field(description="what a till records as the tender's reference")
    out_trade_no: str | None
    trade_no: str | None
    qr_code: str | None = Field(description="alipay_qr, while waiting for the shopper: show it as a QR")
    refunded_amount: int
    refundable_amount: int
    failure: PaymentFailureOut | None
    attention: str | None = Field(description="something a person should look at")
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    paid_at: dt.datetime | None
    attempts: list[PaymentAttemptOut]
    refunds: list[PaymentRefundOut]
    cash: CashOut | None = Field(None, description="cash payments only")
    open_drawer: bool | None = Field(None, description="cash: the till opens its drawer now")
    replayed: bool | None = Field(None, description="an Idempotency-Key seen before: that payment")


class RefundAnswerOut(PaymentOut):
    refund: PaymentRefundOut = Field(description="the refund this request made (or made before)")


class GatewayTradeOut(BaseModel):
    out_trade_no: str
    trade_no: str | None
    status: str
    amount: int
    refunded: int
    created: str = Field(description="gmt_create, GMT+8")


class OurAttemptOut(BaseModel):
    payment: str
    out_trade_no: str
    store: str
    attempt_status: str
    payment_status: PaymentStatus
    amount: int
    currency: str | None = None
    refunded: int
    tender: str


class TradeMismatchOut(BaseModel):
    kind: Literal["missing_here", "unpaid_here", "missing_at_gateway", "amount_differs",
                  "refund_differs"]
    out_trade_no: str
    gateway: GatewayTradeOut | None
    ours: OurAttemptOut | None


class RefundOutstandingOut(BaseModel):
    """An online order cancelled or expired while the shop still holds money for it."""

    kind: Literal["refund_outstanding"]
    order: str
    order_status: str
    store: str
    currency: str
    held: int
    refunded: int
    refund_status: str
    payments: list[str]


class ReconciliationOut(BaseModel):
    date: dt.date
    timezone: str
    store: str | None
    matched: int
    ours_paid_total: int
    gateway_paid_total: int
    mismatches: list[Annotated[TradeMismatchOut | RefundOutstandingOut, Field(discriminator="kind")]]


NOTIFICATION_ANSWER = Media("text/plain", {"type": "string", "enum": ["success", "fail"]})


class PaymentQuery(BaseModel):
    wait: float = Field(0, ge=0, le=25, description="long-poll: seconds to wait for a change")
    status: str | None = Field(None, description="the status you last saw; returns when it differs")


class PaymentListQuery(BaseModel):
    order: str | None = None
    sale_uuid: str | None = None


class ReconciliationQuery(BaseModel):
    date: Day = Field(description="the gateway's day (GMT+8), YYYY-MM-DD")
    store: str | None = None


@operation("POST", "/payments", summary="Take a tender: cash, Alipay QR, Alipay payment code or points",
           tag="payments", roles=PAYERS, body=PaymentIn, response=PaymentOut, status=201,
           problems=(404, 409))
def create_payment(ctx: Ctx, body: PaymentIn) -> dict[str, Any]:
    """For an online order (``order``) or a till checkout (``sale_uuid``: the sale need not exist
    yet; record it later with the payment's ``reference`` as the tender reference). Cash answers
    paid with the change and ``open_drawer``; a QR answers ``waiting_for_shopper`` with
    ``qr_code``; a payment code answers when settled or after a few seconds (then long-poll).
    Honours ``Idempotency-Key``: the same key and body give the same payment. ``points``: the
    order's member pays with points at once (as many as it takes, or all they have: the payment
    says what they paid); store staff send the member QR the shopper shows, the online shop
    (admin) pays with its signed-in member's points."""
    if body.tender == "points" and ctx.who.role != "admin":
        _member_shows_qr(ctx, body)
    return service.create_payment(ctx.session, payments_of_app(), body, ctx.who, _key())


def _member_shows_qr(ctx: Ctx, body: PaymentIn) -> None:
    """Spending a member's points needs the member: the QR they show is theirs, and the order's."""
    if not body.member_qr:
        raise Forbidden("paying with points needs the member: scan their member QR and send it as "
                        "member_qr")
    member = verify_member_qr(ctx.session, body.member_qr, QRSettings.from_config(ctx.config))
    order = get_order(ctx.session, body.order or "")
    if order.customer_id != member.id:
        raise Forbidden("this member QR is not the order's member")


@operation("GET", "/payments", summary="The payments of an order or a till checkout", tag="payments",
           roles=PAYERS, query=PaymentListQuery, response=list[PaymentOut])
def list_payments(ctx: Ctx) -> list[dict[str, Any]]:
    q: PaymentListQuery = ctx.query
    return service.list_payments(ctx.session, ctx.who, order=q.order, sale_uuid=q.sale_uuid)


@operation("GET", "/payments/reconciliation", summary="Our wallet payments of a day against the "
           "gateway's records", tag="payments", roles=MANAGERS, query=ReconciliationQuery,
           response=ReconciliationOut, problems=(404,))
def get_reconciliation(ctx: Ctx) -> dict[str, Any]:
    q: ReconciliationQuery = ctx.query
    return reconcile(ctx.session, payments_of_app(), q.date, q.store, ctx.who)


@operation("GET", "/payments/<public_id>", summary="A payment; ?wait=25 waits for its status to change",
           tag="payments", roles=PAYERS, query=PaymentQuery, response=PaymentOut)
def get_payment(ctx: Ctx, public_id: str) -> dict[str, Any]:
    q: PaymentQuery = ctx.query
    if q.wait <= 0:
        return service.read_payment(ctx.session, public_id, ctx.who)
    return service.wait_for_payment(ctx.session, payments_of_app(), public_id, ctx.who, wait=q.wait,
                                    seen_status=q.status)


@operation("POST", "/payments/<public_id>/cancel", summary="Give up a payment: the trade is closed at once",
           tag="payments", roles=PAYERS, response=PaymentOut, problems=(409,))
def cancel_payment(ctx: Ctx, public_id: str) -> dict[str, Any]:
    return service.cancel_payment(ctx.session, payments_of_app(), public_id, ctx.who)


@operation("POST", "/payments/<public_id>/retry", summary="Try a failed wallet payment again "
           "(a new out_trade_no; a fresh payment code)", tag="payments", roles=PAYERS, body=RetryIn,
           response=PaymentOut, problems=(409,))
def retry_payment(ctx: Ctx, body: RetryIn, public_id: str) -> dict[str, Any]:
    return service.retry_payment(ctx.session, payments_of_app(), public_id, body, ctx.who)


@operation("POST", "/payments/<public_id>/refunds", summary="Refund part or all of a payment",
           tag="payments", roles=REFUNDERS, body=RefundIn, response=RefundAnswerOut, status=201,
           problems=(409,))
def refund_payment(ctx: Ctx, body: RefundIn, public_id: str) -> dict[str, Any]:
    """Never more than was paid, over all refunds. Send an ``Idempotency-Key``: a retry with the
    same key is the same refund and never pays out twice."""
    return service.refund_payment(ctx.session, payments_of_app(), public_id, body, ctx.who, _key())


@operation("POST", "/payments/notify/alipay", summary="Alipay's asynchronous notifications (form POST)",
           tag="payments", roles=None, response=NOTIFICATION_ANSWER, problems=(413,))
def alipay_notification(ctx: Ctx) -> Response:
    """Public: the gateway posts here. Answers the plain text ``success`` once the notification
    verified and was stored, and ``fail`` for anything else (which changes nothing)."""
    # A field sent twice stays a list, which verification refuses (which copy was signed?).
    form = {key: values[0] if len(values) == 1 else values for key, values in request.form.lists()}
    answer = receive_alipay_notification(ctx.session, payments_of_app(), form)
    return Response(answer, mimetype="text/plain")
