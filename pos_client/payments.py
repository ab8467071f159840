"""Alipay at the till, through the server: the till never talks to the wallet's gateway.

The server holds the merchant key; the till asks it for a payment for the sale in progress
(``POST /payments`` with the sale's UUID) and follows it (``GET /payments/<id>?wait=``). A QR
payment shows its QR on the customer display until the shopper's wallet pays it; a payment
code scanned from the shopper's phone answers when settled, or keeps the cashier waiting while
the shopper confirms. A paid payment becomes the sale's tender once, its reference the
payment's id, which the server checks when the sale arrives (invariant 6).

Each request carries an ``Idempotency-Key`` made from the sale's UUID and an attempt number:
when the server's answer is lost, sending the same request again names the same payment and
never charges the shopper twice. Wallet payments need the server, so a till that cannot reach
it offers cash only.
"""

from __future__ import annotations

from typing import Any

from pos_client.sale import WALLET_KINDS, Offline, Sale, SaleError, WalletPayment
from pos_client.server_api import Refused, ServerApi, Unreachable
from retail.barcodes import MemberQR, ScanError, classify

METHODS = {"qr": "alipay_qr", "code": "alipay_code"}
MAX_WAIT = 25.0  # the server's long-poll limit


def take_wallet_payment(api: ServerApi, sale: Sale, method: Any, amount: Any,
                        auth_code: Any = None) -> WalletPayment:
    """Ask the server for an Alipay payment of ``amount`` towards ``sale``."""
    kind = METHODS.get(method) if isinstance(method, str) else None
    if kind is None:
        raise SaleError("method is 'qr' (the shopper scans our QR) or 'code' (we scan theirs)", "invalid")
    if sale.pending_payment is not None:
        raise SaleError("an Alipay payment is already waiting for the shopper", "payment-pending",
                        payment=sale.pending_payment.id)
    due = sale.price().total - sale.paid
    if amount is None:
        amount = due
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= due:
        raise SaleError(f"Alipay can pay between 1 and {due} ({sale.currency} minor units)", "invalid")
    body: dict[str, Any] = {"tender": kind, "sale_uuid": sale.uuid, "amount": amount,
                            "currency": sale.currency}
    if kind == "alipay_code":
        if not isinstance(auth_code, str) or not auth_code.strip().isdigit():
            raise SaleError("scan the payment code on the shopper's phone", "invalid")
        body["auth_code"] = auth_code.strip()
    # The same request after an unanswered one reuses its key: the server names the payment it
    # may already have made, and a payment code is never charged twice.
    unanswered = sale.unanswered_payment
    if unanswered is not None and unanswered[1] == body:
        key = unanswered[0]
    else:
        sale.payment_attempts += 1
        key = f"sale:{sale.uuid}:{sale.payment_attempts}"
    try:
        doc = api.create_payment(body, key)
    except Unreachable as exc:
        sale.unanswered_payment = (key, body)
        raise _offline(exc) from exc
    except Refused as exc:
        raise SaleError(exc.detail, exc.code or "payment-refused") from exc
    sale.unanswered_payment = None
    payment = WalletPayment(str(doc["id"]), kind, amount, str(doc["status"]), doc.get("qr_code"),
                            doc.get("failure"))
    sale.add_wallet_payment(payment)
    return sale.update_wallet_payment(doc)


def wait_for_payment(api: ServerApi, payment_id: str, wait: float, seen: str | None) -> dict[str, Any]:
    """The server's view of a payment, waiting up to ``wait`` s for it to leave ``seen``.

    Called without the till's lock: the cashier's screen keeps working while it waits.
    """
    try:
        return api.payment(payment_id, max(0.0, min(wait, MAX_WAIT)), seen)
    except Unreachable as exc:
        raise _offline(exc) from exc
    except Refused as exc:
        raise SaleError(exc.detail, exc.code or "no-payment") from exc


def cancel_wallet_payment(api: ServerApi, sale: Sale, payment_id: str) -> WalletPayment:
    """Give up a payment the shopper has not made; if it was paid meanwhile, it is a tender."""
    if payment_id not in sale.payments:
        raise SaleError("this payment does not belong to the sale on the till", "no-payment")
    try:
        try:
            doc = api.cancel_payment(payment_id)
        except Refused as exc:
            if exc.status != 409:
                raise SaleError(exc.detail, exc.code or "payment-refused") from exc
            doc = api.payment(payment_id)  # settled meanwhile: paid, or already closed
    except Unreachable as exc:
        raise _offline(exc) from exc
    return sale.update_wallet_payment(doc)


def refund_wallet_tenders(api: ServerApi, sale: Sale) -> list[dict[str, Any]]:
    """Give back the wallet payments of a sale the shopper will not complete (taking its
    tenders back); each refund's key is the sale's, so a retry never refunds twice."""
    refunded = []
    for tender in [t for t in sale.tenders if t.kind in WALLET_KINDS]:
        try:
            doc = api.refund_payment(tender.reference, tender.amount, "sale abandoned at the till",
                                     key=f"void:{sale.uuid}:{tender.reference}")
        except Unreachable as exc:
            raise _offline(exc) from exc
        except Refused as exc:
            raise SaleError(exc.detail, exc.code or "refund-refused") from exc
        status = doc.get("refund", {}).get("status")
        if status == "failed":
            raise SaleError(f"Alipay did not refund {tender.reference}: "
                            f"{doc['refund'].get('failure_reason') or 'refused'}", "refund-refused")
        sale.tenders.remove(tender)
        sale.payments.pop(tender.reference, None)  # given back: never a tender again
        refunded.append({"payment": tender.reference, "amount": tender.amount, "status": status})
    return refunded


def take_points(api: ServerApi, sale: Sale, amount: Any) -> int:
    """Pay ``amount`` (all that is due when None) of ``sale`` with the member's points.

    The server redeems as many whole points as that takes, or all the member has, and says what
    they paid; the tender's reference is the redemption's (``sale:<uuid>:<n>``), which the
    server checks when the sale arrives. Spending points needs the member's QR and the server.
    """
    if sale.member is None or not sale.member_scan:
        raise SaleError("scan the member's QR to pay with their points", "no-member")
    due = sale.remaining()
    if amount is None:
        amount = due
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= due:
        raise SaleError(f"points can pay between 1 and {due} ({sale.currency} minor units)", "invalid")
    try:
        scan = classify(sale.member_scan)
        token = scan.token if isinstance(scan, MemberQR) else sale.member_scan
    except ScanError:
        token = sale.member_scan
    reference = sale.points_reference()
    try:
        answer = api.redeem_points(sale.member["number"], {
            "amount": amount, "currency": sale.currency, "reference": reference, "member_qr": token})
    except Unreachable as exc:
        sale.unanswered_points = reference  # asked again with the same reference: spent once
        raise Offline("the server does not answer: points need it; take cash, or try again") from exc
    except Refused as exc:
        raise SaleError(exc.detail, exc.code or "points-refused") from exc
    paid = int(answer["discount"]["amount"])
    sale.pay_points(paid, reference)
    sale.member["points"] = answer.get("balance", sale.member.get("points", 0))
    return paid


def give_back_points(api: ServerApi, sale: Sale) -> None:
    """Give the member back the points of a sale's points tenders (the tenders are taken back);
    each redemption is given back once, however often this is retried."""
    for tender in [t for t in sale.tenders if t.kind == "points"]:
        assert sale.member is not None
        try:
            answer = api.give_back_points(sale.member["number"], tender.reference)
        except Unreachable as exc:
            raise Offline("the server does not answer: the points go back when it does; try again") from exc
        except Refused as exc:
            raise SaleError(exc.detail, exc.code or "points-refused") from exc
        sale.tenders.remove(tender)
        sale.member["points"] = answer.get("balance", sale.member.get("points", 0))
        sale.member["points_value"] = int(sale.member.get("points_value") or 0) + tender.amount


def _offline(exc: Unreachable) -> Offline:
    if exc.status == 503 and exc.code:
        return Offline(f"Alipay is not available right now ({exc}); take another tender")
    return Offline("the server does not answer: Alipay needs it; take cash, or try again")
