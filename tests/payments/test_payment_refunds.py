"""Refunds: partial and full, idempotent per out_request_no, never more than was paid."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from retail.money import Money
from store_server.payments.gateway import METHOD_REFUND, Outcome, TradeStatus
from store_server.payments.sandbox.trades import CODE_PAY_NOW

CNY = "CNY"


def paid_trade(client, out, amount):
    assert client.pay(out, CODE_PAY_NOW, amount, "Blender").ok
    return out


def test_refund_retried_three_times_refunds_once(client, sandbox, order_no, receiver):
    out = paid_trade(client, order_no(), Money.parse("100.00", CNY))
    answers = [client.refund(out, Money.parse("30.00", CNY), "RF-1") for _ in range(3)]

    assert [a.outcome for a in answers] == [Outcome.SUCCESS] * 3
    assert [a.fund_change for a in answers] == [True, False, False]
    assert {a.refund_fee for a in answers} == {Money.parse("30.00", CNY)}
    trade = sandbox.trade(out)
    assert trade["refund_fee"] == "30.00" and len(trade["refunds"]) == 1
    assert client.query(out).trade_status is TradeStatus.TRADE_SUCCESS  # partly refunded
    notifications = [client.verify_notification(f) for f in receiver.settle()]
    assert [n.out_biz_no for n in notifications] == [None, "RF-1"]  # the payment, one refund


def test_refund_with_unknown_outcome_is_retried_safely(client, sandbox, order_no):
    out = paid_trade(client, order_no(), Money.parse("50.00", CNY))
    sandbox.faults(code_20000=1, code_20000_processed=True)
    first = client.refund(out, Money.parse("50.00", CNY), "RF-1")
    assert first.outcome is Outcome.UNKNOWN
    retry = client.refund(out, Money.parse("50.00", CNY), "RF-1")
    assert retry.ok and retry.fund_change is False
    assert retry.refund_fee == Money.parse("50.00", CNY)
    assert client.query(out).trade_status is TradeStatus.TRADE_CLOSED


def test_partial_refunds_accumulate_and_the_last_one_closes_the_trade(client, order_no):
    out = paid_trade(client, order_no(), Money.parse("10.00", CNY))
    first = client.refund(out, Money.parse("4.00", CNY), "RF-1")
    second = client.refund(out, Money.parse("6.00", CNY), "RF-2")
    assert first.refund_fee == Money.parse("4.00", CNY)
    assert second.refund_fee == Money.parse("10.00", CNY) and second.fund_change
    assert client.query(out).trade_status is TradeStatus.TRADE_CLOSED
    # Repeating an old request after the trade closed still answers, without money moving.
    assert client.refund(out, Money.parse("4.00", CNY), "RF-1").fund_change is False


def test_over_refund_is_rejected(client, sandbox, order_no):
    out = paid_trade(client, order_no(), Money.parse("10.00", CNY))
    assert client.refund(out, Money.parse("6.00", CNY), "RF-1").ok

    too_much = client.refund(out, Money.parse("4.01", CNY), "RF-2")
    assert too_much.outcome is Outcome.FAILED
    assert too_much.sub_code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    assert sandbox.trade(out)["refund_fee"] == "6.00"

    whole = client.refund(out, Money.parse("10.01", CNY), "RF-3")
    assert whole.sub_code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    assert client.refund(out, Money.parse("4.00", CNY), "RF-4").ok
    after_full = client.refund(out, Money.parse("0.01", CNY), "RF-5")
    assert after_full.sub_code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"


def test_invalid_refund_amount_is_rejected(client, order_no):
    out = paid_trade(client, order_no(), Money.parse("10.00", CNY))
    for amount in ("0", "-1.00", "1.001", "ten"):
        # The typed call refuses such amounts itself; send them raw to test the gateway.
        answer = client.call(
            METHOD_REFUND,
            {"out_trade_no": out, "refund_amount": amount, "out_request_no": "RF-" + amount},
        )
        assert answer.outcome is Outcome.FAILED
        assert answer.sub_code == "ACQ.REASON_TRADE_REFUND_FEE_ERR"


def test_same_request_number_with_another_amount_is_refused(client, order_no):
    out = paid_trade(client, order_no(), Money.parse("10.00", CNY))
    assert client.refund(out, Money.parse("2.00", CNY), "RF-1").ok
    other = client.refund(out, Money.parse("3.00", CNY), "RF-1")
    assert other.outcome is Outcome.FAILED and other.sub_code == "ACQ.CONTEXT_INCONSISTENT"


def test_refund_of_an_unpaid_or_unknown_trade_is_refused(client, order_no):
    missing = client.refund(order_no(), Money.parse("1.00", CNY), "RF-1")
    assert missing.sub_code == "ACQ.TRADE_NOT_EXIST"
    out = order_no()
    created = client.precreate(out, Money.parse("5.00", CNY), "Soap")
    requests.get(created.qr_code, timeout=5)  # scanned, not paid
    unpaid = client.refund(out, Money.parse("1.00", CNY), "RF-1")
    assert unpaid.sub_code == "ACQ.TRADE_STATUS_ERROR"


def test_concurrent_retries_of_one_refund_move_money_once(client, sandbox, order_no):
    out = paid_trade(client, order_no(), Money.parse("20.00", CNY))
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(lambda _: client.refund(out, Money.parse("5.00", CNY), "RF-1"), range(4))
        )
    assert sorted(a.fund_change for a in answers) == [False, False, False, True]
    assert sandbox.trade(out)["refund_fee"] == "5.00"
