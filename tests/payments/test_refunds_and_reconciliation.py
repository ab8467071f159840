"""Refunds (partial, full, idempotent, never over what was paid) and the day's reconciliation
against the gateway's records, through the store server's API and the sandbox."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from store_server.db import transaction, utcnow
from store_server.payments.gateway import GMT8
from store_server.payments.models import PaymentAttempt, PaymentIntent

PAY_NOW = "286600000000000001"


def _code_payment(shop, amount: int = 5800) -> dict:
    payment = shop.pay("till.shanghai", tender="alipay_code", sale_uuid=str(uuid.uuid4()), amount=amount,
                       auth_code=PAY_NOW).json
    assert payment["status"] == "paid", payment
    return payment


def test_a_refund_retried_three_times_refunds_once(shop) -> None:
    payment = _code_payment(shop)
    api = shop.api("till.shanghai")
    # Both answers to the first request are lost (unsigned): it stays pending unless the refund
    # notification settles it first; the till retries with the same key either way.
    shop.sandbox.faults(unsigned=2)
    answers = [api.post(f"/payments/{payment['id']}/refunds", json={"amount": 1000, "reason": "damaged"},
                        key="refund-1") for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert answers[0].json["refund"]["status"] in ("pending", "succeeded")
    request_nos = {a.json["refund"]["out_request_no"] for a in answers}
    assert request_nos == {answers[0].json["refund"]["out_request_no"]}
    final = answers[-1].json
    assert final["refund"]["status"] == "succeeded"
    assert final["status"] == "refunded_partially" and final["refunded_amount"] == 1000
    trade = shop.sandbox.trade(payment["out_trade_no"])
    assert trade["refund_fee"] == "10.00" and len(trade["refunds"]) == 1
    assert len(final["refunds"]) == 1


def test_refunds_never_exceed_what_was_paid(shop) -> None:
    payment = _code_payment(shop)  # 58.00
    api = shop.api("till.shanghai")
    first = api.post(f"/payments/{payment['id']}/refunds", json={"amount": 5000}, key="a")
    assert first.json["status"] == "refunded_partially"
    over = api.post(f"/payments/{payment['id']}/refunds", json={"amount": 1000}, key="b")
    assert over.status_code == 409 and over.json["refundable"] == 800
    rest = api.post(f"/payments/{payment['id']}/refunds", json={}, key="c")
    assert rest.json["refund"]["amount"] == 800 and rest.json["status"] == "refunded_fully"
    assert api.post(f"/payments/{payment['id']}/refunds", json={"amount": 1}, key="d").status_code == 409
    assert shop.sandbox.trade(payment["out_trade_no"])["status"] == "TRADE_CLOSED"
    same_key_other_amount = api.post(f"/payments/{payment['id']}/refunds", json={"amount": 100}, key="a")
    assert same_key_other_amount.status_code == 409


def test_cash_refunds_are_recorded_and_open_the_drawer(shop) -> None:
    payment = shop.pay("till.madrid", tender="cash", sale_uuid=str(uuid.uuid4()), amount=2000,
                       tendered=2000).json
    refund = shop.api("cashier.madrid").post(f"/payments/{payment['id']}/refunds", json={"amount": 500},
                                             key="r")
    assert refund.status_code == 201, refund.json
    assert refund.json["refund"]["status"] == "succeeded" and refund.json["open_drawer"] is True
    assert refund.json["status"] == "refunded_partially"
    assert shop.api("till.madrid").post(f"/payments/{payment['id']}/cancel", json={}).status_code == 409


def _today() -> str:
    return datetime.now(GMT8).date().isoformat()


def test_reconciliation_finds_a_trade_the_gateway_has_and_we_lack(shop) -> None:
    ours = _code_payment(shop)
    stray = shop.sandbox.admin.post(shop.sandbox.url + "/_sandbox/trades",
                                    json={"total_amount": "33.00"}, timeout=5).json()
    report = shop.api("manager.shanghai").get("/payments/reconciliation", date=_today(), store="SHA-JINQIAO")
    assert report.status_code == 200, report.json
    body = report.json
    assert body["matched"] == 1 and body["ours_paid_total"] == ours["amount"]
    (mismatch,) = body["mismatches"]
    assert mismatch["kind"] == "missing_here" and mismatch["out_trade_no"] == stray["out_trade_no"]
    assert mismatch["gateway"]["amount"] == 3300 and mismatch["ours"] is None
    assert shop.api("manager.madrid").get("/payments/reconciliation", date=_today(),
                                          store="SHA-JINQIAO").status_code == 403
    assert shop.api("till.shanghai").get("/payments/reconciliation", date=_today()).status_code == 403


def test_reconciliation_finds_a_payment_we_count_that_the_gateway_lacks(shop) -> None:
    _code_payment(shop)
    session = shop.chain.session
    session.rollback()
    # A payment recorded as paid here that the gateway never saw (say, restored from a bad backup).
    with transaction(session):
        real = session.execute(select(PaymentIntent).limit(1)).scalar_one()
        ghost = PaymentIntent(public_id="pay_ghost", sale_uuid=str(uuid.uuid4()),
                              location_id=real.location_id, currency="CNY", amount=4200,
                              tender="alipay_code", status="paid", out_trade_no="PZGHOST0001",
                              created_by="test", paid_at=utcnow())
        session.add(ghost)
        session.flush()
        session.add(PaymentAttempt(intent_id=ghost.id, out_trade_no="PZGHOST0001", status="paid"))
    body = shop.api("admin").get("/payments/reconciliation", date=_today()).json
    kinds = {(m["kind"], m["out_trade_no"]) for m in body["mismatches"]}
    assert kinds == {("missing_at_gateway", "PZGHOST0001")}
    assert body["matched"] == 1
