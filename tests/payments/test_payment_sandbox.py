"""The sandbox gateway itself: admin endpoints, reconciliation listing, timeouts, first run."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from retail.money import Money
from store_server.payments.gateway import (
    METHOD_PRECREATE,
    AlipayGateway,
    GatewayConfig,
    Outcome,
    TradeStatus,
    gmt8_timestamp,
    rsa2_sign,
    signing_string,
)
from store_server.payments.sandbox import crypto
from store_server.payments.sandbox.app import create_app, get_gateway
from store_server.payments.sandbox.trades import (
    CODE_NEEDS_CONFIRMATION,
    CODE_PAY_NOW,
    GMT8,
    SELLER_ID,
    TEST_CODES,
)

CNY = "CNY"


def test_notifications_are_retried_until_the_merchant_answers_success(
    client, sandbox, receiver, order_no
):
    answers = iter(["fail", "oops", "success"])
    receiver.handler = lambda form: next(answers, "success")
    out = order_no()
    assert client.pay(out, CODE_PAY_NOW, Money(100, CNY), "Tea").ok

    assert len(receiver.settle()) == 3
    (record,) = sandbox.notifications(out)
    assert record["delivered"] and len(record["attempts"]) == 3
    assert len({f["notify_id"] for f in receiver.forms}) == 1  # the same notification again


def test_unanswered_notifications_stop_after_the_retry_schedule(
    client, sandbox, receiver, order_no
):
    receiver.handler = lambda form: "fail"
    out = order_no()
    assert client.pay(out, CODE_PAY_NOW, Money(100, CNY), "Tea").ok
    assert len(receiver.settle()) == 4  # first attempt + the 3 configured retries
    (record,) = sandbox.notifications(out)
    assert record["gave_up"] and not record["delivered"]


def test_waiting_code_times_out_on_the_gateway_and_notifies(client, sandbox, receiver, order_no):
    sandbox.gateway.confirm_timeout = 0.2
    out = order_no()
    assert client.pay(out, CODE_NEEDS_CONFIRMATION, Money(100, CNY), "Tea").outcome is (
        Outcome.WAITING
    )
    (form,) = receiver.wait_for(1, timeout=3)  # sent by the sweeper, nobody asked
    assert client.verify_notification(form).trade_status is TradeStatus.TRADE_CLOSED
    assert client.query(out).trade_status is TradeStatus.TRADE_CLOSED


def test_expired_qr_cannot_be_paid(client, sandbox, order_no):
    sandbox.gateway.qr_timeout = 0.1
    out = order_no()
    created = client.precreate(out, Money(100, CNY), "Tea")
    time.sleep(0.2)
    page = requests.post(created.qr_code, data={"action": "approve"}, timeout=5)
    assert "expired" in page.text
    assert client.query(out).sub_code == "ACQ.TRADE_NOT_EXIST"


def test_cancel_after_24_hours_is_refused(client, sandbox, order_no):
    two_days_ago = (datetime.now(GMT8) - timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S")
    out = order_no()
    made = requests.post(
        sandbox.url + "/_sandbox/trades",
        json={"out_trade_no": out, "total_amount": "9.90", "gmt_create": two_days_ago},
        timeout=5,
    )
    assert made.status_code == 201
    result = client.cancel(out)
    assert result.outcome is Outcome.FAILED and result.sub_code == "ACQ.TRADE_CANCEL_TIME_OUT"
    assert client.refund(out, Money(990, CNY), "R1").ok  # refund is the way after 24 h


def test_listing_a_day_shows_what_the_gateway_knows_including_strangers(client, sandbox, order_no):
    today = datetime.now(GMT8).strftime("%Y-%m-%d")
    yesterday = (datetime.now(GMT8) - timedelta(days=1)).strftime("%Y-%m-%d")
    paid, unscanned = order_no(), order_no()
    assert client.pay(paid, CODE_PAY_NOW, Money(1250, CNY), "Tea").ok
    assert client.refund(paid, Money(250, CNY), "R1").ok
    client.precreate(unscanned, Money(500, CNY), "Not scanned yet")
    stranger = requests.post(
        sandbox.url + "/_sandbox/trades",
        json={"total_amount": "33.00", "subject": "Paid at a till we never heard of"},
        timeout=5,
    ).json()
    old = requests.post(
        sandbox.url + "/_sandbox/trades",
        json={"total_amount": "1.00", "gmt_create": f"{yesterday} 23:59:59"},
        timeout=5,
    ).json()

    listing = requests.get(
        sandbox.url + "/_sandbox/trades", params={"date": today}, timeout=5
    ).json()
    by_no = {t["out_trade_no"]: t for t in listing["trades"]}
    assert set(by_no) == {paid, stranger["out_trade_no"]}
    assert by_no[paid]["status"] == "TRADE_SUCCESS"
    assert by_no[paid]["total_amount"] == "12.50" and by_no[paid]["refund_fee"] == "2.50"
    assert by_no[stranger["out_trade_no"]]["kind"] == "external"
    # The stranger is real to the gateway: our client can query it.
    assert client.query(stranger["out_trade_no"]).paid

    earlier = requests.get(
        sandbox.url + "/_sandbox/trades", params={"date": yesterday}, timeout=5
    ).json()
    assert [t["out_trade_no"] for t in earlier["trades"]] == [old["out_trade_no"]]
    bad = requests.get(sandbox.url + "/_sandbox/trades", params={"date": "yesterday"}, timeout=5)
    assert bad.status_code == 400


def test_fault_switches_are_validated_shown_and_reset(sandbox):
    url = sandbox.url + "/_sandbox/faults"
    assert requests.post(url, json={"nonsense": 1}, timeout=5).status_code == 400
    assert requests.post(url, json={"slow": -1}, timeout=5).status_code == 400
    assert requests.post(url, json={"code_20000_processed": 1}, timeout=5).status_code == 400
    shown = requests.post(url, json={"unsigned": 2, "slow_seconds": 0.5}, timeout=5).json()
    assert shown["unsigned"] == 2 and shown["slow_seconds"] == 0.5
    assert requests.get(url, timeout=5).json()["unsigned"] == 2
    assert requests.delete(url, timeout=5).json()["unsigned"] == 0


def test_registering_an_app_lets_a_new_merchant_key_in(sandbox, gateway_private_key, order_no):
    merchant = crypto.generate_private_key()
    response = requests.post(
        sandbox.url + "/_sandbox/apps",
        json={"public_key": crypto.public_key_pem(merchant), "name": "Second store"},
        timeout=5,
    )
    assert response.status_code == 201
    info = requests.get(sandbox.url + "/_sandbox/info", timeout=5).json()
    assert info["gateway_public_key"] == crypto.public_key_pem(gateway_private_key)
    client = AlipayGateway(
        GatewayConfig(
            gateway_url=info["gateway_url"],
            app_id=response.json()["app_id"],
            merchant_private_key=crypto.private_key_pem(merchant),
            gateway_public_key=info["gateway_public_key"],
        )
    )
    assert client.pay(order_no(), CODE_PAY_NOW, Money(100, CNY), "Tea").ok
    bad = requests.post(sandbox.url + "/_sandbox/apps", json={"public_key": "x"}, timeout=5)
    assert bad.status_code == 400


def test_home_page_lists_waiting_payments_and_the_test_codes(client, sandbox, order_no):
    out = order_no()
    client.pay(out, CODE_NEEDS_CONFIRMATION, Money(100, CNY), "Tea")
    page = requests.get(sandbox.url + "/", timeout=5).text
    assert out in page and "/wallet/" in page
    for code in TEST_CODES:
        assert code in page


def test_wallet_page_is_plain_html_with_big_buttons(client, order_no):
    created = client.precreate(order_no(), Money(1999, CNY), "Coffee beans <dark>")
    page = requests.get(created.qr_code, timeout=5).text
    assert "<script" not in page
    assert 'name="action" value="approve"' in page and 'value="decline"' in page
    assert "Coffee beans &lt;dark&gt;" in page and "¥19.99" in page
    assert requests.get(created.qr_code + "x", timeout=5).status_code == 404


def test_state_dir_keeps_keys_and_apps_across_restarts(tmp_path):
    first = create_app({"STATE_DIR": str(tmp_path)})
    second = create_app({"STATE_DIR": str(tmp_path)})
    try:
        a, b = get_gateway(first), get_gateway(second)
        assert list(a.apps) == list(b.apps) and len(a.apps) == 1
        assert crypto.public_key_pem(a.private_key) == crypto.public_key_pem(b.private_key)
        assert oct((tmp_path / "gateway_private_key.pem").stat().st_mode & 0o777) == "0o600"
        assert (tmp_path / "merchant_private_key.pem").exists()
    finally:
        get_gateway(first).close()
        get_gateway(second).close()


def test_state_dir_can_make_the_merchant_a_cross_border_one(tmp_path):
    domestic = create_app({"STATE_DIR": str(tmp_path)})
    get_gateway(domestic).close()
    (merchant,) = get_gateway(domestic).apps.values()
    assert merchant.trans_currencies == ("CNY",) and not merchant.cross_border
    euro = create_app({"STATE_DIR": str(tmp_path), "CURRENCY": "EUR"})
    get_gateway(euro).close()
    (merchant,) = get_gateway(euro).apps.values()
    assert (merchant.trans_currencies, merchant.settle_currency) == (("EUR",), "EUR")
    stored = json.loads((tmp_path / "apps.json").read_text())
    assert next(iter(stored.values()))["settle_currency"] == "EUR"  # kept for the next run


def test_console_command_starts_and_writes_plaza_settings(tmp_path, order_no):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from store_server.payments.sandbox.app import main; main()",
            "--port",
            str(port),
            "--state-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        banner = ""
        while "test payment codes" not in banner:
            line = process.stdout.readline()
            assert line, f"sandbox exited early:\n{banner}"
            banner += line
        env = dict(
            line.split("=", 1)
            for line in (tmp_path / "plaza-payment.env").read_text().splitlines()
            if line and not line.startswith("#")
        )
        assert env["PLAZA_ALIPAY_GATEWAY_URL"] == f"http://127.0.0.1:{port}/gateway.do"
        assert re.fullmatch(r"2021\d{12}", env["PLAZA_ALIPAY_APP_ID"])
        assert env["PLAZA_ALIPAY_CURRENCY"] == env["PLAZA_ALIPAY_SETTLE_CURRENCY"] == "CNY"
        assert env["PLAZA_ALIPAY_SELLER_ID"] == SELLER_ID
        config = GatewayConfig.from_mapping(env, prefix="PLAZA_ALIPAY_")
        client = AlipayGateway(config)
        assert client.pay(order_no(), CODE_PAY_NOW, Money(100, CNY), "Tea").ok
    finally:
        os.kill(process.pid, signal.SIGINT)
        process.wait(timeout=10)
        process.stdout.close()


# ---------------------------------------------------------------- as strict as Alipay


def _raw_request(sandbox, merchant_private_key, app_id, **overrides):
    """A hand-made request: the envelope as given (None drops a field), signed like ours."""
    params = {"app_id": app_id, "method": "alipay.trade.query", "format": "JSON", "charset": "utf-8",
              "sign_type": "RSA2", "timestamp": gmt8_timestamp(), "version": "1.0",
              "biz_content": json.dumps({"out_trade_no": "T-NOT-THERE"})}
    params.update(overrides)
    params = {k: v for k, v in params.items() if v is not None}
    params["sign"] = rsa2_sign(merchant_private_key, signing_string(params))
    return requests.post(sandbox.gateway_url, data=params, timeout=5).json()


def test_the_envelope_is_checked_and_refusals_come_back_unsigned(sandbox, merchant_private_key, app_id):
    now = datetime.now(GMT8)
    sent = {
        "missing-charset": {"charset": None},
        "invalid-charset": {"charset": "GBK"},
        "missing-version": {"version": None},
        "invalid-version": {"version": "2.0"},
        "invalid-format": {"format": "XML"},
        "missing-timestamp": {"timestamp": None},
        "invalid-timestamp": {"timestamp": (now - timedelta(minutes=31)).strftime("%Y-%m-%d %H:%M:%S")},
        "invalid-parameter": {"biz_content": "{not json"},
    }
    for expected, change in sent.items():
        answer = _raw_request(sandbox, merchant_private_key, app_id, **change)
        assert set(answer) == {"error_response"}, (expected, answer)  # no sign: nothing to trust
        assert answer["error_response"]["sub_code"] == f"isv.{expected}", (expected, answer)
    # Within the window, and in the documented form, the same request is answered and signed.
    fine = _raw_request(sandbox, merchant_private_key, app_id,
                        timestamp=(now - timedelta(minutes=29)).strftime("%Y-%m-%d %H:%M:%S"))
    assert fine["alipay_trade_query_response"]["sub_code"] == "ACQ.TRADE_NOT_EXIST" and fine["sign"]


def test_a_client_whose_clock_is_an_hour_off_gets_no_answer_it_could_trust(make_client, order_no):
    config = make_client().config
    fast = AlipayGateway(config, clock=lambda: datetime.now(GMT8) + timedelta(hours=1))
    result = fast.pay(order_no(), CODE_PAY_NOW, Money(100, CNY), "Tea")
    assert result.outcome is Outcome.UNKNOWN and result.problem == "error_response"
    assert "isv.invalid-timestamp" in result.raw


@pytest.mark.parametrize("amount", ["1e2", "12.345", "-1.00", "0.00", "0", "100000000.01", " 12.50",
                                    "012.50", "12,50", "Infinity"])
def test_amounts_must_be_in_the_documented_form_and_range(client, order_no, amount):
    answer = client.call(METHOD_PRECREATE, {"out_trade_no": order_no(), "total_amount": amount,
                                            "subject": "Tea"})
    assert answer.outcome is Outcome.FAILED and answer.sub_code == "ACQ.INVALID_PARAMETER", amount


def test_amounts_in_the_documented_form_are_taken(client, sandbox, order_no):
    for amount in ("12.5", "0.01", "100000000"):
        out = order_no()
        answer = client.call(METHOD_PRECREATE, {"out_trade_no": out, "total_amount": amount,
                                                "subject": "Tea"})
        assert answer.ok, (amount, answer)
