"""Payments through the store server's API against the sandbox gateway over real HTTP:
QR and payment-code checkouts, notifications, cash and split tenders settling online orders.

The server runs on a loopback port so the sandbox's signed notifications reach it; every test
runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import time
import uuid

import requests
from sqlalchemy import select

from store_server.orders.models import Order
from store_server.payments.models import GatewayCall
from tests.payments.helpers import (
    approve_in_wallet,
    notification_log,
    paid_events,
    settle_notifications,
    status_in_db,
)

PAY_NOW = "286600000000000001"
NEEDS_CONFIRMATION = "286600000000000002"
NO_BALANCE = "286600000000000003"


# --------------------------------------------------------------------------- QR


def test_qr_paid_in_the_wallet_is_notified_and_settles_the_order(shop) -> None:
    order = shop.place_order()
    created = shop.pay("admin", tender="alipay_qr", order=order["number"])
    assert created.status_code == 201, created.json
    payment = created.json
    assert payment["status"] == "waiting_for_shopper" and "/wallet/" in payment["qr_code"]
    assert payment["amount"] == order["total"] == 11600 and payment["currency"] == "CNY"

    approve_in_wallet(payment["qr_code"])
    paid = shop.wait_for_status("admin", payment, "paid")
    assert paid["trade_no"] and paid["paid_at"]
    assert shop.order(order["number"])["status"] == "paid"
    (note,) = notification_log(shop, payment["out_trade_no"])
    assert note.response == "success" and note.outcome.startswith("accepted: TRADE_SUCCESS")
    assert "sign" not in note.request
    shop.chain.session.rollback()
    calls = shop.chain.session.execute(select(GatewayCall.method).where(
        GatewayCall.kind == "call", GatewayCall.out_trade_no == payment["out_trade_no"])).scalars().all()
    assert calls[0] == "alipay.trade.precreate"


def test_a_brace_in_the_subject_does_not_break_verification(shop) -> None:
    order = shop.place_order()
    payment = shop.pay("admin", tender="alipay_qr", order=order["number"],
                       subject='Tea set {Longjing} "gift" {').json
    assert payment["status"] == "waiting_for_shopper", payment
    approve_in_wallet(payment["qr_code"])
    assert shop.wait_for_status("admin", payment, "paid")["status"] == "paid"
    assert shop.sandbox.trade(payment["out_trade_no"])["subject"] == 'Tea set {Longjing} "gift" {'
    shop.chain.session.rollback()
    precreate = shop.chain.session.execute(select(GatewayCall).where(
        GatewayCall.method == "alipay.trade.precreate",
        GatewayCall.out_trade_no == payment["out_trade_no"])).scalar_one()
    assert precreate.outcome == "success"  # the signed answer verified despite the braces


def test_forged_notification_is_rejected_and_changes_nothing(shop) -> None:
    shop.sandbox.faults(forged_notifications=1)
    order = shop.place_order()
    payment = shop.pay("admin", tender="alipay_qr", order=order["number"]).json
    approve_in_wallet(payment["qr_code"])
    records = settle_notifications(shop, payment["out_trade_no"])
    assert records[0]["forged"] and not records[0]["delivered"]
    assert {a["body"] for a in records[0]["attempts"]} == {"fail"}
    assert status_in_db(shop, payment) == "waiting_for_shopper"
    assert shop.order(order["number"])["status"] == "reserved"
    assert {n.outcome for n in notification_log(shop, payment["out_trade_no"])} == {"rejected: signature"}
    # The verified query, not the forged message, then settles it.
    assert shop.wait_for_status("admin", payment, "paid")["status"] == "paid"


def test_notification_with_a_wrong_amount_is_rejected(shop) -> None:
    shop.sandbox.faults(wrong_amount_notifications=1)
    order = shop.place_order()
    payment = shop.pay("admin", tender="alipay_qr", order=order["number"]).json
    approve_in_wallet(payment["qr_code"])
    settle_notifications(shop, payment["out_trade_no"])
    assert status_in_db(shop, payment) == "waiting_for_shopper"
    assert {n.outcome for n in notification_log(shop, payment["out_trade_no"])} == {"rejected: amount"}
    assert paid_events(shop, payment) == 0


def test_duplicate_notification_changes_nothing(shop) -> None:
    shop.sandbox.faults(duplicate_notifications=1)
    order = shop.place_order()
    payment = shop.pay("admin", tender="alipay_qr", order=order["number"]).json
    approve_in_wallet(payment["qr_code"])
    records = settle_notifications(shop, payment["out_trade_no"], count=2)
    assert len(records) == 2 and all(r["delivered"] for r in records)
    outcomes = [n.outcome for n in notification_log(shop, payment["out_trade_no"])]
    assert outcomes == ["accepted: TRADE_SUCCESS", "accepted: TRADE_SUCCESS (nothing new)"]
    assert paid_events(shop, payment) == 1
    assert shop.order(order["number"])["status"] == "paid"


def test_notifications_for_unknown_trades_or_without_signature_answer_fail(shop) -> None:
    client = shop.chain.app.test_client()
    unsigned = client.post("/api/v1/payments/notify/alipay", data={
        "out_trade_no": "PZNOPE", "trade_status": "TRADE_SUCCESS", "total_amount": "1.00"})
    assert unsigned.status_code == 200 and unsigned.get_data(as_text=True) == "fail"
    external = shop.sandbox.admin.post(shop.sandbox.url + "/_sandbox/trades", json={
        "total_amount": "9.00", "notify_url": shop.url + "/api/v1/payments/notify/alipay"}, timeout=5).json()
    records = settle_notifications(shop, external["out_trade_no"])
    assert not records[0]["delivered"]  # signed by the gateway, but not a trade of ours
    assert {n.outcome for n in notification_log(shop, external["out_trade_no"])} == {
        "rejected: out_trade_no"}


def test_declined_qr_fails_and_an_abandoned_one_is_closed_on_cancel(shop) -> None:
    order = shop.place_order()
    first = shop.pay("admin", tender="alipay_qr", order=order["number"]).json
    requests.get(first["qr_code"], timeout=5)
    requests.post(first["qr_code"], data={"action": "decline"}, timeout=5)
    failed = shop.wait_for_status("admin", first, "failed")
    assert failed["failure"]["code"] == "TRADE_CLOSED"

    retry = shop.api("admin").post(f"/payments/{first['id']}/retry", json={})
    assert retry.status_code == 200, retry.json
    assert retry.json["status"] == "waiting_for_shopper"
    assert retry.json["out_trade_no"] != first["out_trade_no"] and len(retry.json["attempts"]) == 2
    requests.get(retry.json["qr_code"], timeout=5)  # scanned, then the shopper walks away
    cancelled = shop.api("admin").post(f"/payments/{first['id']}/cancel", json={})
    assert cancelled.json["status"] == "cancelled"
    assert shop.sandbox.trade(retry.json["out_trade_no"])["status"] == "TRADE_CLOSED"
    assert shop.order(order["number"])["status"] == "reserved"


# --------------------------------------------------------------------------- payment code


def test_payment_code_that_pays_at_once(shop) -> None:
    sale = str(uuid.uuid4())
    created = shop.pay("till.shanghai", tender="alipay_code", sale_uuid=sale, amount=5800,
                       auth_code=PAY_NOW)
    assert created.status_code == 201, created.json
    assert created.json["status"] == "paid"
    assert created.json["sale"]["sale_uuid"] == sale and created.json["reference"] == created.json["id"]
    listed = shop.api("till.shanghai").get("/payments", sale_uuid=sale).json
    assert [p["id"] for p in listed] == [created.json["id"]]


def test_payment_code_10003_then_the_shopper_confirms(shop) -> None:
    payment = shop.pay("till.shanghai", tender="alipay_code", sale_uuid=str(uuid.uuid4()), amount=5800,
                       auth_code=NEEDS_CONFIRMATION).json
    assert payment["status"] == "waiting_for_shopper", payment
    approved = shop.sandbox.admin.post(
        f"{shop.sandbox.url}/_sandbox/trades/{payment['out_trade_no']}/approve", timeout=5)
    assert approved.status_code == 200
    assert shop.wait_for_status("till.shanghai", payment, "paid")["status"] == "paid"


def test_payment_code_10003_then_timeout_is_cancelled_and_nothing_is_paid(shop) -> None:
    order = shop.place_order()
    payment = shop.pay("admin", tender="alipay_code", order=order["number"],
                       auth_code=NEEDS_CONFIRMATION).json
    assert payment["status"] == "waiting_for_shopper"
    shop.wait_for_status("admin", payment, "cancelled", timeout=20)
    # The close notification of our own cancel can land first with a generic reason; once the
    # charge has finished, the payment says why it was cancelled.
    shop.jobs_done()
    cancelled = shop.api("admin").get(f"/payments/{payment['id']}").json
    assert "timed out" in cancelled["failure"]["reason"]
    assert shop.sandbox.trade(payment["out_trade_no"])["status"] == "TRADE_CLOSED"
    assert shop.order(order["number"])["status"] == "reserved"
    assert paid_events(shop, payment) == 0


def test_cashier_gives_up_at_once_and_a_retry_uses_a_new_out_trade_no(shop) -> None:
    payment = shop.pay("till.shanghai", tender="alipay_code", sale_uuid=str(uuid.uuid4()), amount=5800,
                       auth_code=NEEDS_CONFIRMATION).json
    started = time.monotonic()
    cancelled = shop.api("till.shanghai").post(f"/payments/{payment['id']}/cancel", json={})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert time.monotonic() - started < 2
    assert shop.sandbox.trade(payment["out_trade_no"])["status"] == "TRADE_CLOSED"
    shop.jobs_done()

    retried = shop.api("till.shanghai").post(f"/payments/{payment['id']}/retry", json={"auth_code": PAY_NOW})
    assert retried.json["status"] == "paid", retried.json
    assert retried.json["out_trade_no"] != payment["out_trade_no"]
    assert [a["status"] for a in retried.json["attempts"]] == ["closed", "paid"]


def test_refused_payment_code_fails_with_the_gateways_reason(shop) -> None:
    payment = shop.pay("till.shanghai", tender="alipay_code", sale_uuid=str(uuid.uuid4()), amount=5800,
                       auth_code=NO_BALANCE).json
    assert payment["status"] == "failed"
    assert payment["failure"]["code"] == "ACQ.BUYER_BALANCE_NOT_ENOUGH"


def test_unknown_outcomes_are_queried_to_the_right_final_state(shop) -> None:
    # The gateway processed the pay but answered 20000: the query finds it paid.
    shop.sandbox.faults(code_20000=1, code_20000_processed=True)
    paid = shop.pay("till.shanghai", tender="alipay_code", sale_uuid=str(uuid.uuid4()), amount=5800,
                    auth_code=PAY_NOW).json
    assert shop.wait_for_status("till.shanghai", paid, "paid")["status"] == "paid"
    # An unsigned answer proves nothing either: queried, and paid.
    shop.sandbox.faults(unsigned=1)
    unsigned = shop.pay("till.shanghai", tender="alipay_code", sale_uuid=str(uuid.uuid4()), amount=5800,
                        auth_code=PAY_NOW).json
    assert shop.wait_for_status("till.shanghai", unsigned, "paid")["status"] == "paid"
    # The pay never happened (20000, not processed): the query finds nothing, cancel burns the
    # number, and nothing is paid.
    shop.sandbox.faults(code_20000=1, code_20000_processed=False)
    lost = shop.pay("till.shanghai", tender="alipay_code", sale_uuid=str(uuid.uuid4()), amount=5800,
                    auth_code=PAY_NOW).json
    final = shop.wait_for_status("till.shanghai", lost, "cancelled")
    assert final["trade_no"] is None and paid_events(shop, lost) == 0
    shop.chain.session.rollback()
    outcomes = shop.chain.session.execute(select(GatewayCall.method, GatewayCall.outcome).where(
        GatewayCall.out_trade_no == lost["out_trade_no"]).order_by(GatewayCall.id)).all()
    assert outcomes[0] == ("alipay.trade.pay", "unknown")
    assert ("alipay.trade.cancel", "success") in outcomes


# --------------------------------------------------------------------------- cash and split tender


def test_cash_gives_change_and_kicks_the_drawer(shop) -> None:
    payment = shop.pay("till.madrid", tender="cash", sale_uuid=str(uuid.uuid4()), amount=1234,
                       tendered=2000)
    assert payment.status_code == 201, payment.json
    body = payment.json
    assert body["status"] == "paid" and body["open_drawer"] is True
    assert body["currency"] == "EUR" and body["cash"] == {"tendered": 2000, "change": 766, "rounding": 0,
                                                            "taken": 1234}
    short = shop.pay("till.madrid", tender="cash", sale_uuid=str(uuid.uuid4()), amount=1234, tendered=1000)
    assert short.status_code == 422 and "more" in short.json["detail"]


def test_split_tender_cash_and_alipay_settles_an_order_exactly(shop) -> None:
    order = shop.place_order()  # 116.00 CNY
    cash = shop.pay("till.shanghai", tender="cash", order=order["number"], amount=5000, tendered=5000)
    assert cash.status_code == 201, cash.json
    assert shop.order(order["number"])["status"] == "reserved"  # 50.00 of 116.00 is not enough

    too_much = shop.pay("till.shanghai", tender="cash", order=order["number"], amount=7000, tendered=7000)
    assert too_much.status_code == 409 and too_much.json["still_due"] == 6600

    wallet = shop.pay("till.shanghai", tender="alipay_code", order=order["number"], auth_code=PAY_NOW)
    assert wallet.json["amount"] == 6600 and wallet.json["status"] == "paid", wallet.json
    settled = shop.order(order["number"])
    assert settled["status"] == "paid"
    shop.chain.session.rollback()
    reference = shop.chain.session.execute(
        select(Order.payment_reference).where(Order.number == order["number"])).scalar_one()
    assert reference == f"{cash.json['id']},{wallet.json['id']}"
    covered = shop.pay("admin", tender="alipay_qr", order=order["number"], amount=100)
    assert covered.status_code == 409


def test_cancelling_an_order_closes_its_qr_and_refuses_new_payments(shop) -> None:
    order = shop.place_order()
    payment = shop.pay("admin", tender="alipay_qr", order=order["number"]).json
    cancelled = shop.api("admin").post(f"/orders/{order['number']}/cancel", json={})
    assert cancelled.json["status"] == "cancelled"
    assert cancelled.json["refund"] == {"status": "", "amount": 0}  # nothing was taken
    refused = shop.pay("admin", tender="alipay_qr", order=order["number"])
    assert refused.status_code == 409 and "cancelled" in refused.json["detail"]

    # The QR still on the screen was closed with the order: the shopper cannot pay it.
    page = requests.post(payment["qr_code"], data={"action": "approve"}, timeout=5)
    assert "expired" in page.text
    assert status_in_db(shop, payment) == "cancelled"
    assert shop.sandbox.trade(payment["out_trade_no"])["status"] == "TRADE_CLOSED"
    assert paid_events(shop, payment) == 0


def test_a_store_cannot_see_or_touch_another_stores_payments(shop) -> None:
    payment = shop.pay("till.shanghai", tender="cash", sale_uuid=str(uuid.uuid4()), amount=5800,
                       tendered=10000).json
    assert shop.api("till.madrid").get(f"/payments/{payment['id']}").status_code == 403
    assert shop.api("till.madrid").post(f"/payments/{payment['id']}/refunds", json={}).status_code == 403
    assert shop.api("till.madrid").get("/payments", sale_uuid=payment["sale"]["sale_uuid"]).json == []
    other_store = shop.pay("till.madrid", tender="cash", sale_uuid=str(uuid.uuid4()), store="SHA-JINQIAO",
                           amount=100, tendered=100)
    assert other_store.status_code == 403


def test_the_same_idempotency_key_gives_the_same_payment(shop) -> None:
    sale = str(uuid.uuid4())
    api = shop.api("till.shanghai")
    body = {"tender": "alipay_code", "sale_uuid": sale, "amount": 5800, "auth_code": PAY_NOW}
    first = api.post("/payments", json=body, key="k-1")
    again = api.post("/payments", json=body, key="k-1")
    assert again.json["id"] == first.json["id"] and again.json["replayed"] is True
    other = api.post("/payments", json={**body, "amount": 100}, key="k-1")
    assert other.status_code == 409
    assert len(api.get("/payments", sale_uuid=sale).json) == 1


def test_cash_in_canada_rounds_to_the_nickel_and_gives_change_on_the_rounded_amount(shop) -> None:
    from store_server.locations.service import LocationIn, open_location

    open_location(shop.chain.session, LocationIn(
        code="TOR-EATON", name="Plaza Toronto Eaton", kind="store", country="CA", currency="CAD",
        locale="en_CA", timezone="America/Toronto"))
    shop.chain.session.commit()
    payment = shop.pay("admin", tender="cash", sale_uuid=str(uuid.uuid4()), store="TOR-EATON",
                       amount=1002, tendered=2000)
    assert payment.status_code == 201, payment.json
    assert payment.json["amount"] == 1002 and payment.json["currency"] == "CAD"
    assert payment.json["cash"] == {"tendered": 2000, "change": 1000, "rounding": -2, "taken": 1000}
