"""QR payments end to end: our client and the sandbox over real HTTP, notifications included."""

from __future__ import annotations

import json

import pytest
import requests

from retail.money import Money
from store_server.payments.gateway import (
    NotificationRejected,
    Outcome,
    TradeStatus,
    check_notification,
)

CNY = "CNY"


def scan_and_answer(qr_code: str, action: str) -> requests.Response:
    """What the shopper does: open the QR's URL on the phone, press a button."""
    page = requests.get(qr_code, timeout=5)
    assert page.status_code == 200
    response = requests.post(qr_code, data={"action": action}, timeout=5)
    assert response.status_code == 200  # after the redirect back to the page
    return response


def test_qr_paid_in_the_wallet_is_notified_signed_and_then_queryable(
    client, receiver, order_no, recorded, app_id
):
    out = order_no()
    amount = Money.parse("12.50", CNY)

    created = client.precreate(out, amount, "Oat milk 1 L x 5")
    assert created.outcome is Outcome.SUCCESS
    assert created.qr_code and "/wallet/" in created.qr_code

    before_scan = client.query(out)
    assert before_scan.outcome is Outcome.FAILED
    assert before_scan.sub_code == "ACQ.TRADE_NOT_EXIST"
    assert before_scan.exists is False

    page = scan_and_answer(created.qr_code, "approve")
    assert "Paid" in page.text

    (form,) = receiver.wait_for(1)
    verified = client.verify_notification(form)
    assert verified.trade_status is TradeStatus.TRADE_SUCCESS
    assert verified.total_amount == amount
    check_notification(verified, out, amount, app_id)

    after = client.query(out)
    assert after.paid
    assert after.trade_status is TradeStatus.TRADE_SUCCESS
    assert after.total_amount == amount
    assert after.trade_no == verified.trade_no

    assert [c.method for c in recorded] == [
        "alipay.trade.precreate",
        "alipay.trade.query",
        "alipay.trade.query",
    ]
    assert recorded[0].request["notify_url"] == receiver.url
    assert json.loads(recorded[0].request["biz_content"])["out_trade_no"] == out
    assert "sign" not in recorded[0].request
    assert recorded[-1].outcome is Outcome.SUCCESS and "TRADE_SUCCESS" in recorded[-1].raw


def test_scanned_but_unpaid_qr_is_waiting_and_can_be_closed(client, order_no, receiver):
    out = order_no()
    created = client.precreate(out, Money(300, CNY), "Bread")
    requests.get(created.qr_code, timeout=5)  # the shopper scans, then walks away

    waiting = client.query(out)
    assert waiting.trade_status is TradeStatus.WAIT_BUYER_PAY and not waiting.paid

    closed = client.close(out)
    assert closed.outcome is Outcome.SUCCESS
    assert client.query(out).trade_status is TradeStatus.TRADE_CLOSED
    (form,) = receiver.wait_for(1)
    assert client.verify_notification(form).trade_status is TradeStatus.TRADE_CLOSED
    # The wallet can no longer pay it.
    page = requests.post(created.qr_code, data={"action": "approve"}, timeout=5)
    assert "Not paid" in page.text
    assert client.query(out).trade_status is TradeStatus.TRADE_CLOSED


def test_close_cannot_reach_an_unscanned_qr_but_cancel_kills_it(client, order_no):
    out = order_no()
    created = client.precreate(out, Money(300, CNY), "Bread")
    closed = client.close(out)
    assert closed.outcome is Outcome.FAILED and closed.sub_code == "ACQ.TRADE_NOT_EXIST"

    cancelled = client.cancel(out)
    assert cancelled.outcome is Outcome.SUCCESS and cancelled.action == "close"
    page = requests.post(created.qr_code, data={"action": "approve"}, timeout=5)
    assert "Paid" not in page.text
    assert client.query(out).trade_status is TradeStatus.TRADE_CLOSED


def test_declined_in_the_wallet_is_closed_unpaid(client, order_no, receiver):
    out = order_no()
    created = client.precreate(out, Money(999, CNY), "Headphones")
    page = scan_and_answer(created.qr_code, "decline")
    assert "Not paid" in page.text
    assert client.query(out).trade_status is TradeStatus.TRADE_CLOSED
    (form,) = receiver.wait_for(1)
    assert client.verify_notification(form).trade_status is TradeStatus.TRADE_CLOSED


def test_precreate_again_returns_the_same_qr_but_other_details_are_refused(client, order_no):
    out = order_no()
    first = client.precreate(out, Money(500, CNY), "Tea")
    again = client.precreate(out, Money(500, CNY), "Tea")
    assert again.qr_code == first.qr_code
    other = client.precreate(out, Money(600, CNY), "Tea")
    assert other.outcome is Outcome.FAILED and other.sub_code == "ACQ.CONTEXT_INCONSISTENT"


def test_forged_notification_is_rejected_and_the_gateway_keeps_retrying(
    client, sandbox, receiver, order_no
):
    def merchant_endpoint(form):
        try:
            client.verify_notification(form)
        except NotificationRejected:
            return "fail"
        return "success"

    receiver.handler = merchant_endpoint
    sandbox.faults(forged_notifications=1)
    out = order_no()
    created = client.precreate(out, Money(1250, CNY), "Rice 5 kg")
    scan_and_answer(created.qr_code, "approve")

    forms = receiver.wait_for(4)  # the first attempt and three retries, all refused
    with pytest.raises(NotificationRejected) as rejected:
        client.verify_notification(forms[0])
    assert rejected.value.reason == "signature"
    assert set(receiver.answers) == {"fail"}
    (record,) = sandbox.notifications(out)
    assert record["forged"] and not record["delivered"]


def test_tampered_notification_fields_fail_verification(client, receiver, order_no):
    out = order_no()
    created = client.precreate(out, Money(1250, CNY), "Rice 5 kg")
    scan_and_answer(created.qr_code, "approve")
    (form,) = receiver.wait_for(1)

    for tampered in (
        {**form, "total_amount": "0.01"},
        {**form, "trade_status": "TRADE_SUCCESS", "out_trade_no": "SOMEONE-ELSE"},
        {k: v for k, v in form.items() if k != "sign"},
        {**form, "sign_type": "RSA"},
    ):
        with pytest.raises(NotificationRejected):
            client.verify_notification(tampered)
    # sign_type is not signed: a copy without it is refused, not silently accepted.
    with pytest.raises(NotificationRejected) as missing:
        client.verify_notification({k: v for k, v in form.items() if k != "sign_type"})
    assert missing.value.reason == "sign_type"


def test_wrong_amount_notification_verifies_but_does_not_match_the_order(
    client, sandbox, receiver, order_no, app_id
):
    sandbox.faults(wrong_amount_notifications=1)
    out = order_no()
    amount = Money.parse("12.50", CNY)
    created = client.precreate(out, amount, "Rice 5 kg")
    scan_and_answer(created.qr_code, "approve")

    (form,) = receiver.wait_for(1)
    verified = client.verify_notification(form)  # the gateway really signed it
    assert verified.total_amount == Money.parse("13.50", CNY)
    assert verified.total_amount != amount
    with pytest.raises(NotificationRejected) as rejected:
        check_notification(verified, out, amount, app_id)
    assert rejected.value.reason == "amount"
    # The query is the truth the server falls back on.
    assert client.query(out).total_amount == amount


def test_check_notification_refuses_another_app_or_order(client, receiver, order_no, app_id):
    out = order_no()
    amount = Money(800, CNY)
    created = client.precreate(out, amount, "Eggs")
    scan_and_answer(created.qr_code, "approve")
    verified = client.verify_notification(receiver.wait_for(1)[0])

    check_notification(verified, out, amount, app_id)
    with pytest.raises(NotificationRejected) as wrong_app:
        check_notification(verified, out, amount, "2021999999999999")
    assert wrong_app.value.reason == "app_id"
    with pytest.raises(NotificationRejected) as wrong_order:
        check_notification(verified, "ANOTHER-ORDER", amount, app_id)
    assert wrong_order.value.reason == "out_trade_no"


def test_duplicate_notification_verifies_identically(client, sandbox, receiver, order_no):
    sandbox.faults(duplicate_notifications=1)
    out = order_no()
    created = client.precreate(out, Money(700, CNY), "Milk")
    scan_and_answer(created.qr_code, "approve")

    first, second = receiver.wait_for(2)
    assert first == second
    a, b = client.verify_notification(first), client.verify_notification(second)
    assert a == b
    # What a server keys its idempotent processing on: the same for both copies.
    assert (a.out_trade_no, a.trade_status, a.notify_id) == (
        b.out_trade_no,
        b.trade_status,
        b.notify_id,
    )
    assert len(receiver.settle()) == 2  # both answered "success": no more retries


def test_out_of_order_notifications_carry_what_is_needed_to_order_them(
    client, sandbox, receiver, order_no
):
    sandbox.faults(out_of_order_notifications=1, out_of_order_hold_seconds=0.5)
    out = order_no()
    amount = Money(2000, CNY)
    created = client.precreate(out, amount, "Kettle")
    scan_and_answer(created.qr_code, "approve")
    refund = client.refund(out, amount, "R1")
    assert refund.ok

    first, second = (client.verify_notification(f) for f in receiver.wait_for(2))
    # The refund's TRADE_CLOSED overtook the payment's TRADE_SUCCESS.
    assert first.trade_status is TradeStatus.TRADE_CLOSED
    assert first.refund_fee == amount and first.out_biz_no == "R1"
    assert second.trade_status is TradeStatus.TRADE_SUCCESS
    assert client.query(out).trade_status is TradeStatus.TRADE_CLOSED


def test_brace_and_quotes_in_the_subject_do_not_break_response_verification(
    client, receiver, order_no
):
    subject = 'Gift set {"A" & B} \\ 礼盒 }{ end'
    out = order_no()
    created = client.precreate(out, Money(4200, CNY), subject)
    assert created.ok
    scan_and_answer(created.qr_code, "approve")

    result = client.query(out)
    assert result.outcome is Outcome.SUCCESS, result.problem
    assert result.fields["subject"] == subject
    assert "{" in result.raw.split('"subject":', 1)[1]  # the signed text really has the brace
    verified = client.verify_notification(receiver.wait_for(1)[0])
    assert verified.fields["subject"] == subject


def test_finished_trade_notifies_again_and_is_still_paid(client, sandbox, receiver, order_no):
    out = order_no()
    created = client.precreate(out, Money(100, CNY), "Gum")
    scan_and_answer(created.qr_code, "approve")
    response = requests.post(f"{sandbox.url}/_sandbox/trades/{out}/finish", timeout=5)
    assert response.status_code == 200

    statuses = [client.verify_notification(f).trade_status for f in receiver.wait_for(2)]
    assert statuses == [TradeStatus.TRADE_SUCCESS, TradeStatus.TRADE_FINISHED]
    finished = client.query(out)
    assert finished.paid and finished.trade_status is TradeStatus.TRADE_FINISHED
