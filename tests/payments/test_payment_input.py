"""What the payments API and the notification endpoint take: amounts only as integers of minor
units (or, from the gateway, decimal strings in the documented form), notifications only for
our app and our merchant, and a till's charge once per sale even without an Idempotency-Key."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from store_server.payments.models import GatewayCall
from store_server.payments.sandbox import crypto
from store_server.payments.sandbox.trades import SELLER_ID
from tests.payments.helpers import notification_log, status_in_db

PAY_NOW = "286600000000000001"
NO_BALANCE = "286600000000000003"
APP_ID = "2021000000000042"


# ------------------------------------------------------------------ amounts


@pytest.mark.parametrize("amount", ["1.00", "100", 1.5, 100.0, True, 2**63, 10**13, 0, -5])
def test_amounts_are_integers_of_minor_units_within_range(shop, amount) -> None:
    answer = shop.pay("till.madrid", tender="cash", sale_uuid=str(uuid.uuid4()), amount=amount, tendered=100)
    assert answer.status_code == 422, answer.json
    assert answer.json["status"] == 422 and "amount" in str(answer.json)


def test_tendered_cash_and_refunds_take_the_same_amounts_only(shop) -> None:
    sale = str(uuid.uuid4())
    short = shop.pay("till.madrid", tender="cash", sale_uuid=sale, amount=100, tendered="1.00")
    assert short.status_code == 422
    paid = shop.pay("till.madrid", tender="cash", sale_uuid=sale, amount=100, tendered=100)
    assert paid.status_code == 201
    refunds = shop.api("till.madrid")
    for amount in ("1.00", 2**63, 0.5):
        answer = refunds.post(f"/payments/{paid.json['id']}/refunds", json={"amount": amount}, key="r")
        assert answer.status_code == 422, answer.json
    one = refunds.post(f"/payments/{paid.json['id']}/refunds", json={"amount": 1}, key="r")
    assert one.status_code == 201


# ------------------------------------------------------------------ notifications


def _notify(shop, gateway_key, **fields: str):
    form = {"notify_time": "2026-01-01 10:00:00", "notify_type": "trade_status_sync",
            "notify_id": uuid.uuid4().hex, "app_id": APP_ID, "charset": "utf-8", "version": "1.0",
            "sign_type": "RSA2", "trade_no": "2026010122001400000000000001", "seller_id": SELLER_ID,
            "trade_status": "TRADE_SUCCESS", **fields}
    form = {k: v for k, v in form.items() if v is not None}
    form["sign"] = crypto.sign(gateway_key, crypto.content_to_sign(form, ("sign", "sign_type")))
    answer = shop.chain.app.test_client().post("/api/v1/payments/notify/alipay", data=form)
    return answer.get_data(as_text=True)


def test_a_notification_must_name_our_merchant_and_use_the_documented_amount_form(
        shop, gateway_private_key) -> None:
    order = shop.place_order()
    payment = shop.pay("admin", tender="alipay_qr", order=order["number"]).json
    out = payment["out_trade_no"]
    assert _notify(shop, gateway_private_key, out_trade_no=out, total_amount="116.00",
                   seller_id="2088999999999999") == "fail"
    assert _notify(shop, gateway_private_key, out_trade_no=out, total_amount="116.00",
                   seller_id=None) == "fail"
    for text in ("1.16e2", "116.000", " 116.00", "+116.00", "NaN"):
        assert _notify(shop, gateway_private_key, out_trade_no=out, total_amount=text) == "fail", text
    assert _notify(shop, gateway_private_key, out_trade_no=out, total_amount="116.00",
                   trans_currency="EUR") == "fail"
    assert status_in_db(shop, payment) == "waiting_for_shopper"
    outcomes = [n.outcome for n in notification_log(shop, out)]
    assert outcomes[:2] == ["rejected: seller_id", "rejected: seller_id"]
    assert outcomes[2:7] == ["rejected: malformed"] * 5 and outcomes[7] == "rejected: currency"
    # The same form, for our merchant in the documented form, is believed: the checks above
    # refused what they were meant to, not everything.
    assert _notify(shop, gateway_private_key, out_trade_no=out, total_amount="116.00") == "success"
    assert status_in_db(shop, payment) == "paid"


# ------------------------------------------------------------------ a till's charge, once


def _pay_calls(shop, sale: str) -> int:
    shop.chain.session.rollback()
    return shop.chain.session.execute(select(func.count()).select_from(GatewayCall).where(
        GatewayCall.method == "alipay.trade.pay",
        GatewayCall.request["biz_content"]["subject"].as_string().contains(sale[:8]))).scalar_one()


def test_a_till_charge_sent_twice_without_a_key_charges_once(shop) -> None:
    sale = str(uuid.uuid4())
    body = {"tender": "alipay_code", "sale_uuid": sale, "amount": 5800, "auth_code": PAY_NOW}
    first = shop.api("till.shanghai").post("/payments", json=body)
    again = shop.api("till.shanghai").post("/payments", json=body)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"] and again.json["replayed"] is True
    assert _pay_calls(shop, sale) == 1
    # Another amount for the same sale is another tender.
    other = shop.api("till.shanghai").post("/payments", json={**body, "amount": 100})
    assert other.json["id"] != first.json["id"]
    # Another device is another till: its charge is its own.
    assert shop.api("admin").post("/payments", json={**body, "store": "SHA-JINQIAO"}).json["id"] != \
        first.json["id"]


def test_concurrent_copies_of_a_till_charge_make_one_payment(shop) -> None:
    sale = str(uuid.uuid4())
    body = {"tender": "alipay_code", "sale_uuid": sale, "amount": 5800, "auth_code": PAY_NOW}
    start = threading.Barrier(3)
    token = shop.chain.tokens["till.shanghai"]

    def charge() -> dict:
        start.wait(timeout=10)
        return requests.post(shop.url + "/api/v1/payments", json=body, timeout=30,
                             headers={"Authorization": f"Bearer {token}"}).json()

    with ThreadPoolExecutor(3) as pool:
        answers = [f.result(timeout=60) for f in [pool.submit(charge) for _ in range(3)]]
    assert len({a["id"] for a in answers}) == 1, answers
    assert _pay_calls(shop, sale) == 1
    assert len(shop.api("till.shanghai").get("/payments", sale_uuid=sale).json) == 1


def test_after_a_refused_charge_the_same_sale_may_be_charged_again(shop) -> None:
    sale = str(uuid.uuid4())
    body = {"tender": "alipay_code", "sale_uuid": sale, "amount": 5800}
    refused = shop.api("till.shanghai").post("/payments", json={**body, "auth_code": NO_BALANCE}).json
    assert refused["status"] == "failed"
    paid = shop.api("till.shanghai").post("/payments", json={**body, "auth_code": PAY_NOW}).json
    assert paid["status"] == "paid" and paid["id"] != refused["id"]
    listed = shop.api("till.shanghai").get("/payments", sale_uuid=sale).json
    assert [p["status"] for p in listed] == ["failed", "paid"]
