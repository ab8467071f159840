"""Payment codes at the till: 10003 waits, timeouts cancel, unknown outcomes are queried."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from retail.money import Money
from store_server.payments.code_payment import (
    CodePaymentStatus,
    PollPolicy,
    charge_payment_code,
)
from store_server.payments.gateway import Outcome, TradeStatus
from store_server.payments.sandbox.trades import (
    CODE_INVALID,
    CODE_NEEDS_CONFIRMATION,
    CODE_NO_BALANCE,
    CODE_PAY_NOW,
)

CNY = "CNY"
FAST = PollPolicy(interval=0.05, limit=2.0, cancel_attempts=5, cancel_retry_interval=0.01)


def charge(client, out, code, amount=None, **kwargs):
    return charge_payment_code(
        client,
        out_trade_no=out,
        auth_code=code,
        amount=amount or Money.parse("12.50", CNY),
        subject="Groceries",
        policy=kwargs.pop("policy", FAST),
        **kwargs,
    )


def in_background(fn, *args, **kwargs):
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(fn, *args, **kwargs)
    pool.shutdown(wait=False)
    return future


def methods(result):
    return [call.method.rsplit(".", 1)[1] for call in result.calls]


def test_code_that_pays_at_once_is_paid_without_polling(client, order_no, receiver):
    out = order_no()
    result = charge(client, out, CODE_PAY_NOW)
    assert result.status is CodePaymentStatus.PAID and result.trade_no
    assert methods(result) == ["pay"]
    verified = client.verify_notification(receiver.wait_for(1)[0])
    assert verified.trade_status is TradeStatus.TRADE_SUCCESS


def test_10003_then_the_shopper_approves_in_the_wallet_page(client, sandbox, order_no):
    out = order_no()
    policy = PollPolicy(interval=0.05, limit=10.0)
    running = in_background(charge, client, out, CODE_NEEDS_CONFIRMATION, policy=policy)

    trade = sandbox.wait_for_trade(out)
    wallet = f"{sandbox.url}/wallet/{trade['wallet_token']}"
    assert "Pay ¥12.50" in requests.get(wallet, timeout=5).text
    assert not running.done()  # the till is still waiting for the shopper
    requests.post(wallet, data={"action": "approve"}, timeout=5)

    result = running.result(timeout=10)
    assert result.status is CodePaymentStatus.PAID
    assert result.calls[0].outcome is Outcome.WAITING
    assert methods(result)[0] == "pay" and set(methods(result)[1:]) == {"query"}
    assert client.query(out).trade_status is TradeStatus.TRADE_SUCCESS


def test_10003_then_timeout_cancels_and_nothing_is_paid(client, sandbox, order_no, receiver):
    out = order_no()
    policy = PollPolicy(interval=0.05, limit=0.4, cancel_retry_interval=0.01)
    result = charge(client, out, CODE_NEEDS_CONFIRMATION, policy=policy)

    assert result.status is CodePaymentStatus.CANCELLED
    assert not result.refunded_by_cancel
    assert methods(result)[-1] == "cancel" and "query" in methods(result)
    assert result.calls[-1].action == "close"
    final = client.query(out)
    assert final.trade_status is TradeStatus.TRADE_CLOSED and not final.paid
    # A shopper who confirms late cannot pay the cancelled trade.
    late = requests.post(f"{sandbox.url}/_sandbox/trades/{out}/approve", timeout=5)
    assert late.status_code == 409
    assert sandbox.trade(out)["status"] == "TRADE_CLOSED"
    statuses = [client.verify_notification(f).trade_status for f in receiver.settle()]
    assert TradeStatus.TRADE_SUCCESS not in statuses


def test_cashier_giving_up_cancels_at_once(client, order_no):
    out = order_no()
    give_up = threading.Event()
    policy = PollPolicy(interval=5.0, limit=60.0, cancel_retry_interval=0.01)
    threading.Timer(0.3, give_up.set).start()

    result = charge(client, out, CODE_NEEDS_CONFIRMATION, policy=policy, give_up=give_up)
    assert result.status is CodePaymentStatus.CANCELLED
    assert "gave up" in result.reason
    assert methods(result) == ["pay", "cancel"]  # no 5 s poll was sat out
    assert client.query(out).trade_status is TradeStatus.TRADE_CLOSED


def test_give_up_may_be_a_callable(client, order_no):
    out = order_no()
    asked = []

    def cashier_pressed_cancel() -> bool:
        asked.append(1)
        return len(asked) > 3

    result = charge(client, out, CODE_NEEDS_CONFIRMATION, give_up=cashier_pressed_cancel)
    assert result.status is CodePaymentStatus.CANCELLED
    assert client.query(out).trade_status is TradeStatus.TRADE_CLOSED


def test_shopper_declining_ends_the_wait_unpaid(client, sandbox, order_no):
    out = order_no()
    running = in_background(
        charge, client, out, CODE_NEEDS_CONFIRMATION, policy=PollPolicy(interval=0.05, limit=10.0)
    )
    sandbox.wait_for_trade(out)
    requests.post(f"{sandbox.url}/_sandbox/trades/{out}/decline", timeout=5)
    result = running.result(timeout=10)
    assert result.status is CodePaymentStatus.FAILED and result.sub_code == "TRADE_CLOSED"


def test_insufficient_balance_fails_and_leaves_no_trade(client, order_no):
    out = order_no()
    result = charge(client, out, CODE_NO_BALANCE)
    assert result.status is CodePaymentStatus.FAILED
    assert result.sub_code == "ACQ.BUYER_BALANCE_NOT_ENOUGH"
    assert client.query(out).sub_code == "ACQ.TRADE_NOT_EXIST"


def test_invalid_code_asks_for_a_fresh_one(client, order_no):
    for code in (CODE_INVALID, "123456789012345678", "28123"):
        result = charge(client, order_no(), code)
        assert result.status is CodePaymentStatus.FAILED
        assert result.sub_code == "ACQ.PAYMENT_AUTH_CODE_INVALID"


def test_unknown_20000_after_the_gateway_charged_is_queried_and_paid(client, sandbox, order_no):
    sandbox.faults(code_20000=1, code_20000_processed=True)
    out = order_no()
    result = charge(client, out, CODE_PAY_NOW)
    assert result.calls[0].outcome is Outcome.UNKNOWN and result.calls[0].code == "20000"
    assert result.status is CodePaymentStatus.PAID
    assert methods(result) == ["pay", "query"]


def test_unknown_20000_that_never_charged_is_cancelled_and_the_number_burned(
    client, sandbox, order_no
):
    sandbox.faults(code_20000=1, code_20000_processed=False)
    out = order_no()
    result = charge(client, out, CODE_PAY_NOW)
    assert result.status is CodePaymentStatus.CANCELLED
    assert methods(result) == ["pay", "query", "cancel"]
    # A late copy of the pay cannot create the trade now; the retry needs a new number.
    again = client.pay(out, CODE_PAY_NOW, Money.parse("12.50", CNY), "Groceries")
    assert again.outcome is Outcome.FAILED and again.sub_code == "ACQ.TRADE_HAS_CLOSE"
    assert charge(client, order_no(), CODE_PAY_NOW).status is CodePaymentStatus.PAID


def test_unsigned_answer_is_unknown_never_success_then_queried(client, sandbox, order_no):
    sandbox.faults(unsigned=1)
    out = order_no()
    result = charge(client, out, CODE_PAY_NOW)
    pay = result.calls[0]
    assert pay.outcome is Outcome.UNKNOWN and pay.problem == "unsigned"
    assert '"code":"10000"' in pay.raw  # it even claims success: we still do not believe it
    assert not pay.fields
    assert result.status is CodePaymentStatus.PAID
    assert methods(result) == ["pay", "query"]


def test_slow_answer_times_out_then_the_query_finds_the_payment(
    make_client, sandbox, order_no, recorded
):
    client = make_client(read_timeout=0.3)
    sandbox.faults(slow=1, slow_seconds=1.0)
    out = order_no()
    result = charge(client, out, CODE_PAY_NOW)
    assert result.calls[0].outcome is Outcome.UNKNOWN
    assert result.calls[0].problem.startswith("transport")
    assert result.status is CodePaymentStatus.PAID
    assert recorded[0].raw == "" and recorded[0].outcome is Outcome.UNKNOWN


def test_slow_answer_on_a_waiting_code_polls_then_cancels(make_client, sandbox, order_no):
    client = make_client(read_timeout=0.3)
    sandbox.faults(slow=1, slow_seconds=1.0)
    out = order_no()
    result = charge(
        client,
        out,
        CODE_NEEDS_CONFIRMATION,
        policy=PollPolicy(interval=0.05, limit=0.8, cancel_retry_interval=0.01),
    )
    assert result.calls[0].outcome is Outcome.UNKNOWN
    assert result.status is CodePaymentStatus.CANCELLED
    assert client.query(out).trade_status is TradeStatus.TRADE_CLOSED


def test_cancel_with_retry_flag_is_called_again(client, sandbox, order_no):
    sandbox.faults(cancel_retry=2)
    out = order_no()
    result = charge(
        client,
        out,
        CODE_NEEDS_CONFIRMATION,
        policy=PollPolicy(interval=0.05, limit=0.2, cancel_retry_interval=0.01),
    )
    cancels = [c for c in result.calls if c.method.endswith("cancel")]
    assert [c.retry for c in cancels] == [True, True, False]
    assert result.status is CodePaymentStatus.CANCELLED
    assert client.query(out).trade_status is TradeStatus.TRADE_CLOSED


def test_cancel_that_never_settles_is_reported_unresolved(client, sandbox, order_no):
    sandbox.faults(cancel_retry=10)
    out = order_no()
    result = charge(
        client,
        out,
        CODE_NEEDS_CONFIRMATION,
        policy=PollPolicy(interval=0.05, limit=0.2, cancel_attempts=3, cancel_retry_interval=0.01),
    )
    assert result.status is CodePaymentStatus.UNRESOLVED
    assert "cancel again later" in result.reason
    assert client.query(out).trade_status is TradeStatus.WAIT_BUYER_PAY


def test_cancel_on_a_paid_trade_refunds_it(client, order_no, receiver):
    out = order_no()
    amount = Money.parse("12.50", CNY)
    assert client.pay(out, CODE_PAY_NOW, amount, "Groceries").ok

    cancelled = client.cancel(out)
    assert cancelled.outcome is Outcome.SUCCESS
    assert cancelled.action == "refund" and not cancelled.retry
    assert client.query(out).trade_status is TradeStatus.TRADE_CLOSED
    statuses = [client.verify_notification(f) for f in receiver.wait_for(2)]
    assert statuses[-1].trade_status is TradeStatus.TRADE_CLOSED
    assert statuses[-1].refund_fee == amount
    # Cancelling again changes nothing and says the same.
    assert client.cancel(out).action == "refund"
    assert len(receiver.settle()) == 2


def test_payment_retried_after_success_is_recognised_as_paid(client, order_no):
    out = order_no()
    assert charge(client, out, CODE_PAY_NOW).status is CodePaymentStatus.PAID
    again = charge(client, out, CODE_PAY_NOW)  # e.g. the till retried after a crash
    assert again.calls[0].sub_code == "ACQ.TRADE_HAS_SUCCESS"
    assert again.status is CodePaymentStatus.PAID
