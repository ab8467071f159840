"""The wire protocol: signing strings, raw response extraction, keys, and interop with an
independent implementation (``python-alipay-sdk``) in both directions."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import pytest
import requests
from alipay import AliPay
from alipay.exceptions import AliPayValidationError
from cryptography.hazmat.primitives import serialization

from retail.money import Money, MoneyError
from store_server.payments.gateway import (
    GMT8,
    AlipayGateway,
    GatewayConfig,
    GatewayConfigError,
    Outcome,
    TradeStatus,
    gmt8_timestamp,
    load_private_key,
    load_public_key,
    raw_member,
    rsa2_sign,
    rsa2_verify,
    signing_string,
)
from store_server.payments.sandbox import crypto
from store_server.payments.sandbox.trades import CODE_PAY_NOW

CNY = "CNY"


class SandboxAliPay(AliPay):
    """The SDK pointed at our sandbox: the subclass docs/PAYMENTS.md describes."""

    def __init__(self, gateway_url: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._gateway = gateway_url


@pytest.fixture
def china_local_time(monkeypatch):
    """The SDK stamps requests with the machine's local time, and the gateway (Alipay, and so
    the sandbox) refuses a timestamp more than 30 minutes from GMT+8: the SDK only works on a
    machine whose local time is China's. Be one for the length of the test."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def sdk(sandbox, app_id, merchant_private_key, gateway_private_key, china_local_time):
    return SandboxAliPay(
        sandbox.gateway_url,
        appid=app_id,
        app_private_key_string=crypto.private_key_pem(merchant_private_key),
        alipay_public_key_string=crypto.public_key_pem(gateway_private_key),
        sign_type="RSA2",
    )


# ---------------------------------------------------------------- raw response extraction


def test_raw_member_returns_the_exact_source_text_even_with_braces_in_strings():
    inner = '{"code":"10000","subject":"a {b} \\"c\\" }{ \\\\","n":[1,{"x":"}"}]}'
    raw = '{ "alipay_trade_query_response" : ' + inner + ' , "sign":"abc=="}'
    assert raw_member(raw, "alipay_trade_query_response") == inner
    assert raw_member(raw, "sign") == '"abc=="'
    assert raw_member(raw, "missing") is None


def test_raw_member_refuses_duplicates_and_non_objects():
    assert raw_member('{"a":{"x":1},"a":{"x":2}}', "a") is None
    assert raw_member('["a"]', "a") is None
    assert raw_member('{"a":{"x":1}', "a") is None  # truncated
    assert raw_member("", "a") is None
    # A key name inside a string value is not a key.
    assert raw_member('{"b":"\\"a\\":{}","a":{"y":2}}', "a") == '{"y":2}'


def test_signing_string_sorts_drops_empties_and_does_not_url_encode():
    params = {"b": "2", "a": "x&y=z 中", "sign": "S", "empty": "", "c": '{"k":1}'}
    assert signing_string(params) == 'a=x&y=z 中&b=2&c={"k":1}'
    assert signing_string(params, exclude=("sign", "b")) == 'a=x&y=z 中&c={"k":1}'


def test_timestamps_are_china_standard_time():
    utc_midnight = datetime(2026, 1, 31, 16, 30, 5, tzinfo=UTC)
    assert gmt8_timestamp(utc_midnight) == "2026-02-01 00:30:05"
    assert GMT8.utcoffset(None).total_seconds() == 8 * 3600


# ---------------------------------------------------------------- keys


def test_keys_load_from_pem_pkcs1_and_alipay_style_bare_base64(merchant_private_key):
    der_pkcs8 = merchant_private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pkcs1_pem = merchant_private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public_der = merchant_private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for text in (
        crypto.private_key_pem(merchant_private_key),
        pkcs1_pem,
        base64.b64encode(der_pkcs8).decode(),
    ):
        key = load_private_key(text)
        signature = rsa2_sign(key, "a=1")
        assert rsa2_verify(load_public_key(base64.b64encode(public_der).decode()), "a=1", signature)
    with pytest.raises(GatewayConfigError):
        load_private_key("not a key")
    with pytest.raises(GatewayConfigError):
        load_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


def test_config_from_mapping_reads_key_files(tmp_path, merchant_private_key, gateway_private_key):
    private = tmp_path / "merchant.pem"
    private.write_text(crypto.private_key_pem(merchant_private_key))
    config = GatewayConfig.from_mapping(
        {
            "PLAZA_ALIPAY_GATEWAY_URL": "https://openapi.alipay.com/gateway.do",
            "PLAZA_ALIPAY_APP_ID": "2021000000000001",
            "PLAZA_ALIPAY_PRIVATE_KEY_FILE": str(private),
            "PLAZA_ALIPAY_PUBLIC_KEY": crypto.public_key_pem(gateway_private_key),
            "PLAZA_ALIPAY_READ_TIMEOUT": "8",
        },
        prefix="PLAZA_ALIPAY_",
    )
    assert config.read_timeout == 8.0 and config.currency == "CNY"
    assert "PRIVATE" not in repr(config)  # keys stay out of logs
    AlipayGateway(config)
    with pytest.raises(GatewayConfigError):
        GatewayConfig.from_mapping({"ALIPAY_GATEWAY_URL": "x", "ALIPAY_APP_ID": "1"})


def test_amounts_must_be_positive_money_in_the_gateway_currency(client, order_no):
    with pytest.raises(MoneyError):
        client.precreate(order_no(), Money(100, "EUR"), "Tea")
    with pytest.raises(MoneyError):
        client.refund(order_no(), Money(0, CNY), "R")
    with pytest.raises(TypeError):
        client.pay(order_no(), CODE_PAY_NOW, "12.50", "Tea")


# ---------------------------------------------------------------- what is not a success


def test_wrong_gateway_key_makes_every_answer_unknown(make_client, order_no):
    impostor = crypto.public_key_pem(crypto.generate_private_key())
    client = make_client(gateway_public_key=impostor)
    result = client.pay(order_no(), CODE_PAY_NOW, Money(100, CNY), "Tea")
    assert result.outcome is Outcome.UNKNOWN and result.problem == "bad signature"
    assert not result.fields


def test_request_signed_with_the_wrong_key_gets_an_unsigned_error_response(
    make_client, order_no, recorded
):
    client = make_client(merchant_private_key=crypto.private_key_pem(crypto.generate_private_key()))
    result = client.query(order_no())
    assert result.outcome is Outcome.UNKNOWN and result.problem == "error_response"
    assert "isv.invalid-signature" in recorded[-1].raw


def test_unknown_app_id_is_an_error_response(make_client, order_no):
    result = make_client(app_id="2021000000009999").query(order_no())
    assert result.outcome is Outcome.UNKNOWN and "invalid-app-id" in result.raw


def test_a_broken_recorder_does_not_break_the_payment(make_client, order_no):
    def broken(*args):
        raise RuntimeError("audit database is down")

    client = make_client(recorder=broken)
    assert client.pay(order_no(), CODE_PAY_NOW, Money(100, CNY), "Tea").ok


def test_unreachable_gateway_is_unknown(make_client, order_no, recorded):
    client = make_client(gateway_url="http://127.0.0.1:9/gateway.do", connect_timeout=0.5)
    result = client.precreate(order_no(), Money(100, CNY), "Tea")
    assert result.outcome is Outcome.UNKNOWN and result.problem.startswith("transport")
    assert recorded[-1].outcome is Outcome.UNKNOWN


class ReplayingSession(requests.Session):
    """Passes requests through until told to answer every request with the last answer."""

    def __init__(self) -> None:
        super().__init__()
        self.replaying = False
        self.last: requests.Response | None = None

    def post(self, *args, **kwargs) -> requests.Response:
        if not self.replaying:
            self.last = super().post(*args, **kwargs)
        return self.last


def test_genuine_answer_replayed_for_another_trade_is_not_believed(make_client, order_no):
    session = ReplayingSession()
    client = make_client(session=session)
    paid = order_no()
    assert client.pay(paid, CODE_PAY_NOW, Money(100, CNY), "Tea").ok
    assert client.query(paid).paid

    session.replaying = True  # an attacker (or a confused proxy) replays that signed answer
    replayed = client.query(order_no())
    assert replayed.outcome is Outcome.UNKNOWN and not replayed.paid
    assert "is about" in replayed.problem


# ---------------------------------------------------------------- interop with the SDK


def test_our_request_signature_matches_the_sdk(sdk, client):
    params = {
        "app_id": client.app_id,
        "method": "alipay.trade.query",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": "2026-01-01 10:00:00",
        "version": "1.0",
        "biz_content": '{"out_trade_no":"T1","subject":"奶茶 {1}"}',
    }
    sdk_signed = dict(parse_qsl(sdk.sign_data(dict(params))))
    assert rsa2_sign(client._private_key, signing_string(params)) == sdk_signed["sign"]


def test_sdk_client_works_against_the_sandbox_over_query_string_requests(sdk, order_no):
    out = order_no()
    created = sdk.api_alipay_trade_precreate(subject="Tea", out_trade_no=out, total_amount="5.00")
    assert created["code"] == "10000" and "/wallet/" in created["qr_code"]
    requests.post(created["qr_code"], data={"action": "approve"}, timeout=5)
    assert sdk.api_alipay_trade_query(out_trade_no=out)["trade_status"] == "TRADE_SUCCESS"


def test_sdk_verifies_sandbox_notifications(sdk, client, receiver, order_no):
    out = order_no()
    created = client.precreate(out, Money(500, CNY), "Tea")
    requests.post(created.qr_code, data={"action": "approve"}, timeout=5)
    form = dict(receiver.wait_for(1)[0])
    signature = form.pop("sign")
    assert sdk.verify(form, signature)


def test_sdk_brace_counting_fails_where_our_client_verifies(sdk, client, order_no):
    """Why we do not use the SDK's response parser (docs/PAYMENTS.md, the SDK's known weakness)."""
    out = order_no()
    created = client.precreate(out, Money(500, CNY), "Box {large")
    requests.post(created.qr_code, data={"action": "approve"}, timeout=5)
    assert client.query(out).trade_status is TradeStatus.TRADE_SUCCESS
    with pytest.raises(AliPayValidationError):
        sdk.api_alipay_trade_query(out_trade_no=out)
