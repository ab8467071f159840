"""Races between a shopper paying and the shop cancelling, closing or expiring, each forced into
one interleaving with the sandbox's hooks (a request held at the gateway's door, notifications
held back), never with sleeps. Every test checks our database and the gateway's trade.

The rule they prove: a payment ends paid (and nothing was cancelled) or cancelled (with any
money taken given back, and said so); an order never ends paid while its money went back.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select, update

from store_server.db import transaction, utcnow
from store_server.orders.models import Order
from store_server.orders.service import expire_due
from store_server.payments.gateway import GMT8
from store_server.payments.models import GatewayCall, PaymentAttempt, PaymentIntent
from tests.payments.helpers import paid_events, settle_notifications, status_in_db

TOTAL = 11600  # the test order: two boxes of tea in Shanghai, 116.00 CNY


def live(shop, who: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    """A request to the live server (safe from any thread, unlike the Flask test client)."""
    headers = {"Authorization": f"Bearer {shop.chain.tokens[who]}"}
    return requests.request(method, shop.url + "/api/v1" + path, headers=headers, timeout=60, **kwargs)


def scan(qr_code: str) -> None:
    assert requests.get(qr_code, timeout=5).status_code == 200


def approve(qr_code: str) -> None:
    page = requests.post(qr_code, data={"action": "approve"}, timeout=5)
    assert page.status_code == 200 and "Paid" in page.text, page.text


def intent_in_db(shop, payment: dict) -> PaymentIntent:
    shop.chain.session.rollback()
    return shop.chain.session.execute(
        select(PaymentIntent).where(PaymentIntent.public_id == payment["id"])).scalar_one()


def order_in_db(shop, number: str) -> Order:
    shop.chain.session.rollback()
    return shop.chain.session.execute(select(Order).where(Order.number == number)).scalar_one()


def reconciliation(shop) -> dict:
    today = datetime.now(GMT8).date().isoformat()
    report = shop.api("admin").get("/payments/reconciliation", date=today)
    assert report.status_code == 200, report.json
    return report.json


def mismatches_about(report: dict, out_trade_no: str | None = None, order: str | None = None) -> list:
    return [m for m in report["mismatches"] if (out_trade_no and m.get("out_trade_no") == out_trade_no)
            or (order and m.get("order") == order)]


def qr_for_order(shop) -> tuple[dict, dict]:
    order = shop.place_order()
    assert order["total"] == TOTAL
    payment = shop.pay("admin", tender="alipay_qr", order=order["number"]).json
    assert payment["status"] == "waiting_for_shopper", payment
    scan(payment["qr_code"])
    return order, payment


def assert_cancelled_and_given_back(shop, payment: dict) -> None:
    """Our side and the gateway's agree: taken, then returned in full by the cancel."""
    final = shop.api("admin").get(f"/payments/{payment['id']}").json
    assert final["status"] == "cancelled"
    assert final["refunded_amount"] == final["amount"] and final["refundable_amount"] == 0
    (returned,) = final["refunds"]
    assert returned["status"] == "succeeded" and returned["amount"] == final["amount"]
    assert final["attempts"][-1]["status"] == "paid"  # the money was taken ...
    trade = shop.sandbox.trade(payment["out_trade_no"])
    assert trade["status"] == "TRADE_CLOSED"  # ... and the gateway gave all of it back
    assert trade["refund_fee"] == trade["total_amount"]
    assert paid_events(shop, payment) == 0
    # Both notifications (paid, then closed by the cancel) reach us and change nothing more.
    records = settle_notifications(shop, payment["out_trade_no"], count=2)
    assert all(r["delivered"] for r in records)
    assert intent_in_db(shop, payment).status == "cancelled"
    assert mismatches_about(reconciliation(shop), payment["out_trade_no"]) == []


# ------------------------------------------------------------------ cancel against pay notification


def test_order_cancelled_while_the_shopper_pays_ends_cancelled_with_the_money_back(shop) -> None:
    """The shopper's pay reaches the gateway before our cancel does, and its notification is
    processed while the cancel is on its way: the payment must not settle the cancelled order."""
    order, payment = qr_for_order(shop)
    out = payment["out_trade_no"]
    gate = shop.sandbox.gateway.hooks.hold("alipay.trade.cancel", out)
    with ThreadPoolExecutor(1) as pool:
        cancelling = pool.submit(live, shop, "admin", "POST", f"/orders/{order['number']}/cancel", json={})
        gate.wait_until_arrived()  # the order is cancelled here; the cancel waits at the gateway
        assert order_in_db(shop, order["number"]).status == "cancelled"
        approve(payment["qr_code"])  # the shopper pays first, as far as the gateway knows
        settle_notifications(shop, out)  # and we hear of it while the cancel is held
        held = intent_in_db(shop, payment)
        assert held.status == "waiting_for_shopper" and held.cancel_requested_at is not None
        assert shop.sandbox.trade(out)["status"] == "TRADE_SUCCESS"
        gate.release()
        response = cancelling.result(timeout=60)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"
    assert response.json()["refund"] == {"status": "refunded", "amount": TOTAL}
    assert_cancelled_and_given_back(shop, payment)
    placed = order_in_db(shop, order["number"])
    assert (placed.status, placed.refund_status, placed.refunded_amount) == ("cancelled", "refunded", TOTAL)
    assert [h["to"] for h in shop.order(order["number"])["history"]] == ["reserved", "cancelled"]


def test_order_cancel_that_reaches_the_gateway_first_leaves_nothing_to_pay(shop) -> None:
    order, payment = qr_for_order(shop)
    cancelled = shop.api("admin").post(f"/orders/{order['number']}/cancel", json={})
    assert cancelled.json["refund"] == {"status": "", "amount": 0}
    page = requests.post(payment["qr_code"], data={"action": "approve"}, timeout=5)
    assert "Not paid" in page.text  # the shopper's phone says so; nothing was charged
    assert status_in_db(shop, payment) == "cancelled"
    trade = shop.sandbox.trade(payment["out_trade_no"])
    assert trade["status"] == "TRADE_CLOSED" and trade["refund_fee"] == "0.00" and not trade["gmt_payment"]
    assert mismatches_about(reconciliation(shop), payment["out_trade_no"]) == []


def test_pay_notification_processed_before_the_cancel_means_a_refund(shop) -> None:
    """The other order of the same race: the payment commits first and settles the order, so
    the cancel finds a paid order and refunds it, rather than cancelling a paid payment."""
    order, payment = qr_for_order(shop)
    approve(payment["qr_code"])
    assert shop.wait_for_status("admin", payment, "paid")["status"] == "paid"
    cancelled = shop.api("admin").post(f"/orders/{order['number']}/cancel", json={})
    assert cancelled.json["status"] == "cancelled"
    assert cancelled.json["refund"] == {"status": "refunded", "amount": TOTAL}
    final = shop.api("admin").get(f"/payments/{payment['id']}").json
    assert final["status"] == "refunded_fully" and final["refunded_amount"] == TOTAL
    trade = shop.sandbox.trade(payment["out_trade_no"])
    assert trade["status"] == "TRADE_CLOSED" and trade["refund_fee"] == "116.00"
    assert len(trade["refunds"]) == 1 and not trade["refunds"][0]["out_request_no"].startswith("cancel")


def test_till_cancel_racing_the_shoppers_pay_returns_the_money_and_says_so(shop) -> None:
    """The cashier gives up on a QR the shopper is paying at that moment."""
    payment = shop.pay("till.shanghai", tender="alipay_qr", sale_uuid=str(uuid.uuid4()), amount=5800).json
    scan(payment["qr_code"])
    out = payment["out_trade_no"]
    gate = shop.sandbox.gateway.hooks.hold("alipay.trade.cancel", out)
    with ThreadPoolExecutor(1) as pool:
        cancelling = pool.submit(live, shop, "till.shanghai", "POST", f"/payments/{payment['id']}/cancel",
                                 json={})
        gate.wait_until_arrived()
        approve(payment["qr_code"])
        settle_notifications(shop, out)
        assert status_in_db(shop, payment) == "waiting_for_shopper"
        gate.release()
        answer = cancelling.result(timeout=60).json()
    assert answer["status"] == "cancelled" and answer["refunded_amount"] == 5800
    assert "refunded" in answer["failure"]["reason"]  # the till can tell the shopper
    assert_cancelled_and_given_back(shop, payment)


# ------------------------------------------------------------------ QR-expiry close against pay


def _qr_shown_minutes_ago(shop, out_trade_no: str, minutes: int) -> None:
    session = shop.chain.session
    session.rollback()
    with transaction(session):
        session.execute(update(PaymentAttempt).where(PaymentAttempt.out_trade_no == out_trade_no)
                        .values(created_at=utcnow() - timedelta(minutes=minutes)))


def test_qr_closed_for_expiry_while_the_shopper_pays_is_cancelled_with_the_money_back(shop) -> None:
    order, payment = qr_for_order(shop)
    out = payment["out_trade_no"]
    _qr_shown_minutes_ago(shop, out, 10)  # past PLAZA_PAYMENT_QR_TIMEOUT_MINUTES, as we count
    gate = shop.sandbox.gateway.hooks.hold("alipay.trade.cancel", out)
    with ThreadPoolExecutor(1) as pool:
        # Someone waits on the QR: the server finds it expired, asks the gateway (still
        # waiting), marks it as being cancelled and sends the cancel, which we hold.
        waiting = pool.submit(live, shop, "admin", "GET", f"/payments/{payment['id']}",
                              params={"wait": 10, "status": "waiting_for_shopper"})
        gate.wait_until_arrived()
        approve(payment["qr_code"])  # the last-second payment
        settle_notifications(shop, out)
        assert status_in_db(shop, payment) == "waiting_for_shopper"
        assert order_in_db(shop, order["number"]).status == "reserved"  # not settled by it
        gate.release()
        seen = waiting.result(timeout=60).json()
    assert seen["status"] == "cancelled"
    assert_cancelled_and_given_back(shop, payment)
    placed = order_in_db(shop, order["number"])
    # The order is still open (the shopper may pay again); its money went back with the QR.
    assert placed.status == "reserved" and placed.paid_at is None
    again = shop.pay("admin", tender="alipay_qr", order=order["number"])
    assert again.status_code == 201 and again.json["amount"] == TOTAL


def test_qr_paid_before_the_expiry_close_stays_paid(shop) -> None:
    order, payment = qr_for_order(shop)
    out = payment["out_trade_no"]
    with shop.sandbox.gateway.notifications_held():
        approve(payment["qr_code"])  # paid, but we have not heard
        _qr_shown_minutes_ago(shop, out, 10)
        # The expiry asks the gateway first, finds it paid, and closes nothing.
        seen = shop.wait("admin", payment, seconds=10, status="waiting_for_shopper")
    assert seen["status"] == "paid" and seen["refunded_amount"] == 0
    assert shop.order(order["number"])["status"] == "paid"
    trade = shop.sandbox.trade(out)
    assert trade["status"] == "TRADE_SUCCESS" and trade["refund_fee"] == "0.00"
    settle_notifications(shop, out)
    assert mismatches_about(reconciliation(shop), out) == []


# ------------------------------------------------------------------ cancel of a paid order


def test_two_cancels_of_a_paid_order_at_once_refund_it_once(shop) -> None:
    order, payment = qr_for_order(shop)
    approve(payment["qr_code"])
    shop.wait_for_status("admin", payment, "paid")
    start = threading.Barrier(2)

    def cancel() -> requests.Response:
        start.wait(timeout=10)
        return live(shop, "admin", "POST", f"/orders/{order['number']}/cancel", json={})

    with ThreadPoolExecutor(2) as pool:
        answers = [f.result(timeout=60) for f in [pool.submit(cancel), pool.submit(cancel)]]
    assert [a.status_code for a in answers] == [200, 200]
    assert {a.json()["refund"]["status"] for a in answers} <= {"pending", "refunded"}
    placed = order_in_db(shop, order["number"])
    assert (placed.status, placed.refund_status, placed.refunded_amount) == ("cancelled", "refunded", TOTAL)
    final = shop.api("admin").get(f"/payments/{payment['id']}").json
    assert final["status"] == "refunded_fully" and len(final["refunds"]) == 1
    trade = shop.sandbox.trade(payment["out_trade_no"])
    assert trade["status"] == "TRADE_CLOSED" and len(trade["refunds"]) == 1
    assert trade["refund_fee"] == "116.00"
    settle_notifications(shop, payment["out_trade_no"], count=2)
    report = reconciliation(shop)
    assert mismatches_about(report, payment["out_trade_no"], order["number"]) == []


def test_a_refund_that_does_not_go_through_is_reported_until_a_retry_settles_it(shop) -> None:
    order, payment = qr_for_order(shop)
    approve(payment["qr_code"])
    shop.wait_for_status("admin", payment, "paid")
    shop.sandbox.faults(code_20000=2, code_20000_processed=False)  # both refund tries are lost
    cancelled = shop.api("admin").post(f"/orders/{order['number']}/cancel", json={})
    assert cancelled.json["refund"] == {"status": "pending", "amount": 0}
    assert shop.sandbox.trade(payment["out_trade_no"])["status"] == "TRADE_SUCCESS"  # money still there
    (outstanding,) = mismatches_about(reconciliation(shop), order=order["number"])
    assert outstanding["kind"] == "refund_outstanding" and outstanding["held"] == TOTAL
    assert outstanding["refund_status"] == "pending" and outstanding["payments"] == [payment["id"]]
    # A day later the manager's report still shows it: it is not tied to the day of the sale.
    tomorrow = (datetime.now(GMT8).date() + timedelta(days=1)).isoformat()
    later = shop.api("manager.shanghai").get("/payments/reconciliation", date=tomorrow, store="SHA-JINQIAO")
    assert [m["order"] for m in later.json["mismatches"] if m["kind"] == "refund_outstanding"] == [
        order["number"]]

    again = shop.api("admin").post(f"/orders/{order['number']}/cancel", json={})  # safe to retry
    assert again.status_code == 200 and again.json["refund"] == {"status": "refunded", "amount": TOTAL}
    trade = shop.sandbox.trade(payment["out_trade_no"])
    assert trade["status"] == "TRADE_CLOSED" and len(trade["refunds"]) == 1
    assert mismatches_about(reconciliation(shop), payment["out_trade_no"], order["number"]) == []


def test_a_refund_the_gateway_refuses_marks_the_order_for_a_manager(shop) -> None:
    order, payment = qr_for_order(shop)
    approve(payment["qr_code"])
    shop.wait_for_status("admin", payment, "paid")
    finished = shop.sandbox.admin.post(
        f"{shop.sandbox.url}/_sandbox/trades/{payment['out_trade_no']}/finish", timeout=5)
    assert finished.status_code == 200  # past the refund period: the gateway will refuse
    cancelled = shop.api("admin").post(f"/orders/{order['number']}/cancel", json={})
    assert cancelled.json["status"] == "cancelled"
    assert cancelled.json["refund"] == {"status": "needs_decision", "amount": 0}
    final = shop.api("admin").get(f"/payments/{payment['id']}").json
    assert final["status"] == "paid" and final["refunds"][0]["status"] == "failed"
    assert "ACQ.TRADE_STATUS_ERROR" in final["refunds"][0]["failure_reason"]
    assert shop.sandbox.trade(payment["out_trade_no"])["status"] == "TRADE_FINISHED"
    (outstanding,) = mismatches_about(reconciliation(shop), order=order["number"])
    assert outstanding["refund_status"] == "needs_decision" and outstanding["held"] == TOTAL


def test_cancelling_a_split_tender_order_refunds_the_wallet_and_leaves_the_cash_to_a_person(shop) -> None:
    order = shop.place_order()
    cash = shop.pay("till.shanghai", tender="cash", order=order["number"], amount=5000, tendered=5000).json
    wallet = shop.pay("till.shanghai", tender="alipay_code", order=order["number"],
                      auth_code="286600000000000001").json
    assert wallet["status"] == "paid" and shop.order(order["number"])["status"] == "paid"
    cancelled = shop.api("manager.shanghai").post(f"/orders/{order['number']}/cancel", json={})
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["refund"] == {"status": "needs_decision", "amount": 6600}
    trade = shop.sandbox.trade(wallet["out_trade_no"])
    assert trade["status"] == "TRADE_CLOSED" and trade["refund_fee"] == "66.00"
    (outstanding,) = mismatches_about(reconciliation(shop), order=order["number"])
    assert outstanding["held"] == 5000 and outstanding["payments"] == [cash["id"], wallet["id"]]

    # The cashier hands the cash back and records it: settled.
    paid_out = shop.api("till.shanghai").post(f"/payments/{cash['id']}/refunds", json={}, key="cash-back")
    assert paid_out.status_code == 201 and paid_out.json["open_drawer"] is True
    assert shop.order(order["number"])["refund"] == {"status": "refunded", "amount": TOTAL}
    assert mismatches_about(reconciliation(shop), order=order["number"]) == []


def test_cancelling_a_cancelled_order_without_payments_changes_nothing(shop) -> None:
    order = shop.place_order()
    first = shop.api("admin").post(f"/orders/{order['number']}/cancel", json={"note": "changed mind"})
    again = shop.api("admin").post(f"/orders/{order['number']}/cancel", json={})
    assert first.status_code == again.status_code == 200
    assert again.json["history"] == first.json["history"]
    assert shop.api("manager.madrid").post(f"/orders/{order['number']}/cancel", json={}).status_code == 403


# ------------------------------------------------------------------ pay against order expiry


def _expire_now(shop, number: str) -> None:
    session = shop.chain.session
    session.rollback()
    with transaction(session):
        session.execute(update(Order).where(Order.number == number)
                        .values(expires_at=utcnow() - timedelta(minutes=1)))
    assert expire_due(session, actor="test-expiry") >= 1


@pytest.mark.parametrize("first", ["expiry", "payment"])
def test_pay_against_order_expiry(shop, first: str) -> None:
    """Expiry and the paid notification in both orders. Expiry first: the order stays expired
    (its stock released) and the money goes back, and the order says so. Payment first: the
    order is paid and expiry leaves it alone."""
    order, payment = qr_for_order(shop)
    out = payment["out_trade_no"]
    with shop.sandbox.gateway.notifications_held():
        approve(payment["qr_code"])  # the gateway has the money; our server does not know yet
        if first == "expiry":
            _expire_now(shop, order["number"])
    if first == "payment":
        shop.wait_for_status("admin", payment, "paid")
        session = shop.chain.session
        session.rollback()
        with transaction(session):
            session.execute(update(Order).where(Order.number == order["number"])
                            .values(expires_at=utcnow() - timedelta(minutes=1)))
        assert expire_due(session, actor="test-expiry") == 0
        placed = order_in_db(shop, order["number"])
        assert placed.status == "paid" and placed.refund_status == ""
        assert shop.sandbox.trade(out)["status"] == "TRADE_SUCCESS"
        return
    refunded = shop.wait_for_status("admin", payment, "refunded_fully")
    assert "expired" in refunded["attention"]
    placed = order_in_db(shop, order["number"])
    assert (placed.status, placed.refund_status, placed.refunded_amount) == ("expired", "refunded", TOTAL)
    trade = shop.sandbox.trade(out)
    assert trade["status"] == "TRADE_CLOSED" and trade["refund_fee"] == "116.00"
    settle_notifications(shop, out, count=2)
    assert mismatches_about(reconciliation(shop), out, order["number"]) == []


# ------------------------------------------------------------------ a payment code's own cancel


def test_a_code_charge_that_gives_up_after_the_shopper_paid_does_not_cancel_the_sale(shop) -> None:
    """The flow waiting for the shopper cannot read the gateway's answers (unsigned) while the
    paid notification reaches us; when its time runs out it must not cancel (which would refund)
    a payment we recorded as paid."""
    order = shop.place_order()
    payment = shop.pay("admin", tender="alipay_code", order=order["number"],
                       auth_code="286600000000000002").json  # 10003: waits for the shopper
    assert payment["status"] == "waiting_for_shopper", payment
    shop.sandbox.faults(unsigned=1000)  # from now on the flow's queries prove nothing
    approved = shop.sandbox.admin.post(
        f"{shop.sandbox.url}/_sandbox/trades/{payment['out_trade_no']}/approve", timeout=5)
    assert approved.status_code == 200
    settle_notifications(shop, payment["out_trade_no"])
    shop.jobs_done()  # the flow ran out of time and ended
    final = shop.api("admin").get(f"/payments/{payment['id']}").json
    assert final["status"] == "paid" and final["refunded_amount"] == 0
    assert shop.order(order["number"])["status"] == "paid"
    trade = shop.sandbox.trade(payment["out_trade_no"])
    assert trade["status"] == "TRADE_SUCCESS" and trade["refund_fee"] == "0.00"
    shop.chain.session.rollback()
    methods = shop.chain.session.execute(select(GatewayCall.method).where(
        GatewayCall.kind == "call", GatewayCall.out_trade_no == payment["out_trade_no"])).scalars().all()
    assert "alipay.trade.cancel" not in methods and "alipay.trade.query" in methods
