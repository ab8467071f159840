"""Currency per merchant account: a EUR store's wallet payments go out in Alipay's documented
cross-border form (trans_currency + settle_currency, total_amount in the transaction currency),
which the sandbox accepts, and in no other form, which it refuses as Alipay would."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import pytest
import requests
from sqlalchemy import select

from retail.money import Money
from store_server.payments.gateway import (
    GMT8,
    METHOD_PRECREATE,
    METHOD_REFUND,
    GatewayConfig,
    GatewayConfigError,
    Outcome,
)
from store_server.payments.models import GatewayCall
from store_server.payments.sandbox import crypto
from tests.payments.helpers import settle_notifications

APP_ID = "2021000000000042"


@pytest.fixture
def euro_shop(shop, merchant_private_key):
    """The chain's Alipay account is a cross-border merchant pricing and settling in euros (the
    Madrid store's currency); the sandbox registers the same app with that contract."""
    shop.sandbox.gateway.register_app(crypto.public_key_pem(merchant_private_key), "Plaza Madrid",
                                      app_id=APP_ID, trans_currencies=["EUR"], settle_currency="EUR")
    shop.chain.app.config["PLAZA_ALIPAY_CURRENCY"] = "EUR"
    return shop


def _biz_sent(shop, out_trade_no: str, method: str) -> dict:
    shop.chain.session.rollback()
    call = shop.chain.session.execute(select(GatewayCall).where(
        GatewayCall.kind == "call", GatewayCall.method == method,
        GatewayCall.out_trade_no == out_trade_no)).scalars().first()
    return call.request["biz_content"]


def test_a_euro_stores_qr_goes_out_in_the_cross_border_form_and_is_paid(euro_shop) -> None:
    shop = euro_shop
    created = shop.pay("till.madrid", tender="alipay_qr", sale_uuid=str(uuid.uuid4()), amount=1234)
    assert created.status_code == 201, created.json
    payment = created.json
    assert payment["currency"] == "EUR" and payment["status"] == "waiting_for_shopper"
    biz = _biz_sent(shop, payment["out_trade_no"], METHOD_PRECREATE)
    assert (biz["total_amount"], biz["trans_currency"], biz["settle_currency"]) == ("12.34", "EUR", "EUR")
    trade = shop.sandbox.trade(payment["out_trade_no"])
    assert (trade["trans_currency"], trade["total_amount"]) == ("EUR", "12.34")

    page = requests.get(payment["qr_code"], timeout=5).text
    assert "¥96.25" in page and "EUR 12.34" in page  # the shopper pays in CNY at the day's rate
    requests.post(payment["qr_code"], data={"action": "approve"}, timeout=5)
    paid = shop.wait_for_status("till.madrid", payment, "paid")
    assert paid["amount"] == 1234
    (note,) = settle_notifications(shop, payment["out_trade_no"])
    assert note["delivered"]  # it said trans_currency EUR, and we took it

    refund = shop.api("till.madrid").post(f"/payments/{payment['id']}/refunds", json={"amount": 234},
                                          key="r1")
    assert refund.json["refund"]["status"] == "succeeded", refund.json
    refund_biz = _biz_sent(shop, payment["out_trade_no"], METHOD_REFUND)
    assert (refund_biz["refund_amount"], refund_biz["refund_currency"]) == ("2.34", "EUR")
    assert shop.sandbox.trade(payment["out_trade_no"])["refund_fee"] == "2.34"


def test_the_sandbox_refuses_a_euro_amount_without_its_currency(make_client, sandbox, merchant_private_key,
                                                                order_no) -> None:
    sandbox.gateway.register_app(crypto.public_key_pem(merchant_private_key), app_id=APP_ID,
                                 trans_currencies=["EUR"], settle_currency="EUR")
    domestic_form = make_client()  # a client that thinks the account is CNY: total_amount alone
    out = order_no()
    refused = domestic_form.call(METHOD_PRECREATE, {"out_trade_no": out, "total_amount": "12.34",
                                                    "subject": "Tea"})
    assert refused.outcome is Outcome.FAILED and refused.sub_code == "ACQ.CURRENCY_NOT_SUPPORT"
    assert "read in CNY" in refused.sub_msg
    assert sandbox.trade(out) is None
    wrong_settlement = domestic_form.call(METHOD_PRECREATE, {
        "out_trade_no": out, "total_amount": "12.34", "trans_currency": "EUR", "settle_currency": "USD",
        "subject": "Tea"})
    assert wrong_settlement.sub_code == "ACQ.CURRENCY_NOT_SUPPORT"

    euro = make_client(currency="EUR")
    created = euro.precreate(out, Money(1234, "EUR"), "Tea")
    assert created.ok and sandbox.trade(out)["trans_currency"] == "EUR"
    requests.post(created.qr_code, data={"action": "approve"}, timeout=5)
    query = euro.query(out)
    assert query.paid and query.total_amount == Money(1234, "EUR")
    assert query.fields["pay_currency"] == "CNY" and query.fields["pay_amount"] == "96.25"
    # Like total_amount, a refund amount is CNY unless it says otherwise.
    bare = euro.call(METHOD_REFUND, {"out_trade_no": out, "refund_amount": "1.00", "out_request_no": "R0"})
    assert bare.sub_code == "ACQ.AMOUNT_OR_CURRENCY_ERROR"
    assert euro.refund(out, Money(100, "EUR"), "R1").ok


def test_a_domestic_merchant_cannot_price_in_euros(make_client, order_no) -> None:
    euro = make_client(currency="EUR")  # the sandbox app is domestic (CNY) in this test
    refused = euro.precreate(order_no(), Money(1234, "EUR"), "Tea")
    assert refused.outcome is Outcome.FAILED and refused.sub_code == "ACQ.CURRENCY_NOT_SUPPORT"


def test_a_domestic_account_sends_no_currency_fields(client, order_no, recorded) -> None:
    out = order_no()
    assert client.precreate(out, Money(500, "CNY"), "Tea").ok
    biz = json.loads(recorded[-1].request["biz_content"])
    assert "trans_currency" not in biz and "settle_currency" not in biz


def test_an_answer_in_another_currency_proves_nothing(make_client, sandbox, merchant_private_key,
                                                      order_no) -> None:
    sandbox.gateway.register_app(crypto.public_key_pem(merchant_private_key), app_id=APP_ID,
                                 trans_currencies=["EUR", "USD"], settle_currency="EUR")
    out = order_no()
    in_dollars = make_client(currency="USD", settle_currency="EUR")
    assert in_dollars.pay(out, "286600000000000001", Money(1000, "USD"), "Tea").ok
    in_euros = make_client(currency="EUR")  # the same trade read by an account that prices in EUR
    answer = in_euros.query(out)
    assert answer.outcome is Outcome.UNKNOWN and not answer.paid and "USD" in answer.problem


def test_currencies_alipay_does_not_take_are_refused_when_the_gateway_is_configured(shop) -> None:
    with pytest.raises(GatewayConfigError, match="Alipay does not take 'BRL'"):
        GatewayConfig(gateway_url="https://openapi.alipay.com/gateway.do", app_id="1",
                      merchant_private_key="", gateway_public_key="", currency="BRL")
    with pytest.raises(GatewayConfigError, match="seller id"):
        GatewayConfig(gateway_url="x", app_id="1", merchant_private_key="", gateway_public_key="",
                      seller_id="1234")
    shop.chain.app.config["PLAZA_ALIPAY_CURRENCY"] = "BRL"
    answer = shop.pay("till.madrid", tender="alipay_qr", sale_uuid=str(uuid.uuid4()), amount=100)
    assert answer.status_code == 503 and "BRL" in answer.json["detail"]
    cash = shop.pay("till.madrid", tender="cash", sale_uuid=str(uuid.uuid4()), amount=100, tendered=100)
    assert cash.status_code == 201  # cash still works


def test_a_store_selling_in_another_currency_is_told_to_take_another_tender(euro_shop) -> None:
    answer = euro_shop.pay("till.shanghai", tender="alipay_qr", sale_uuid=str(uuid.uuid4()), amount=100)
    assert answer.status_code == 422 and "EUR, not CNY" in answer.json["detail"]


def test_a_yen_amount_has_no_decimals(make_client, sandbox, merchant_private_key, order_no) -> None:
    sandbox.gateway.register_app(crypto.public_key_pem(merchant_private_key), app_id=APP_ID,
                                 trans_currencies=["JPY"], settle_currency="JPY")
    yen = make_client(currency="JPY")
    out = order_no()
    assert yen.precreate(out, Money(1250, "JPY"), "Tea").ok
    assert sandbox.trade(out)["total_amount"] == "1250"
    fractional = yen.call(METHOD_PRECREATE, {"out_trade_no": order_no(), "total_amount": "12.50",
                                             "trans_currency": "JPY", "settle_currency": "JPY",
                                             "subject": "Tea"})
    assert fractional.sub_code == "ACQ.INVALID_PARAMETER"


def test_the_sandbox_registers_cross_border_merchants_and_refuses_unknown_currencies(sandbox) -> None:
    key = crypto.public_key_pem(crypto.generate_private_key())
    made = requests.post(sandbox.url + "/_sandbox/apps", json={
        "public_key": key, "trans_currencies": ["EUR"], "settle_currency": "EUR"}, timeout=5)
    assert made.status_code == 201
    assert (made.json()["trans_currencies"], made.json()["settle_currency"]) == (["EUR"], "EUR")
    bad = requests.post(sandbox.url + "/_sandbox/apps", json={"public_key": key, "settle_currency": "XXX"},
                        timeout=5)
    assert bad.status_code == 400 and "XXX" in bad.json()["error"]


def test_cross_border_trades_reconcile_in_their_currency(euro_shop) -> None:
    shop = euro_shop
    paid = shop.pay("till.madrid", tender="alipay_code", sale_uuid=str(uuid.uuid4()), amount=990,
                    auth_code="286600000000000001").json
    assert paid["status"] == "paid", paid
    report = shop.api("manager.madrid").get("/payments/reconciliation",
                                            date=datetime.now(GMT8).date().isoformat(), store="MAD-XANADU")
    assert report.status_code == 200, report.json
    assert report.json["matched"] == 1 and report.json["mismatches"] == []
