"""Client for the Alipay OpenAPI v2 gateway (``gateway.do``), real or our sandbox.

Everything here follows Alipay's protocol as docs/PAYMENTS.md describes it: RSA2 request
signatures, responses verified over the exact raw text of the inner object, and an outcome that
is ``SUCCESS`` only when the answer is signed, verified and says so. Anything doubtful
(timeout, ``20000``, unsigned answer, ``error_response``, bad signature) is ``UNKNOWN`` and must
be followed by a query.

We use our own code on ``cryptography`` rather than ``python-alipay-sdk``: the SDK finds the
signed text by counting braces without regard to quotes (a ``{`` in a subject breaks it), stamps
requests with the machine's local time instead of GMT+8, and folds unsigned, failed and error
answers into one exception. The protocol is small enough that owning it is the safer choice.

No Flask here: the server, the CLI and tests all use this module the same way.
"""

from __future__ import annotations

import base64
import enum
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from retail.money import Money, MoneyError
from store_server.config import default
from store_server.monitoring.logs import REQUEST_ID_HEADER, current_request_id

log = logging.getLogger(__name__)

# Alipay stamps and reads every time in China Standard Time, whatever the server's zone.
GMT8 = timezone(timedelta(hours=8), "GMT+8")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"

PRODUCTION_GATEWAY_URL = "https://openapi.alipay.com/gateway.do"

METHOD_PRECREATE = "alipay.trade.precreate"
METHOD_PAY = "alipay.trade.pay"
METHOD_QUERY = "alipay.trade.query"
METHOD_REFUND = "alipay.trade.refund"
METHOD_CANCEL = "alipay.trade.cancel"
METHOD_CLOSE = "alipay.trade.close"

# Business failures (code 40004) whose meaning the flows act on.
SUB_AUTH_CODE_INVALID = "ACQ.PAYMENT_AUTH_CODE_INVALID"
SUB_TRADE_HAS_SUCCESS = "ACQ.TRADE_HAS_SUCCESS"
SUB_TRADE_HAS_CLOSE = "ACQ.TRADE_HAS_CLOSE"
SUB_CONTEXT_INCONSISTENT = "ACQ.CONTEXT_INCONSISTENT"
SUB_BALANCE_NOT_ENOUGH = "ACQ.BUYER_BALANCE_NOT_ENOUGH"
SUB_TRADE_NOT_EXIST = "ACQ.TRADE_NOT_EXIST"
SUB_REFUND_AMT_NOT_EQUAL_TOTAL = "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
SUB_REFUND_FEE_ERR = "ACQ.REASON_TRADE_REFUND_FEE_ERR"
SUB_CANCEL_TIME_OUT = "ACQ.TRADE_CANCEL_TIME_OUT"
SUB_SYSTEM_ERROR = "ACQ.SYSTEM_ERROR"
SUB_CURRENCY_NOT_SUPPORT = "ACQ.CURRENCY_NOT_SUPPORT"

# The currencies Alipay's cross-border acquiring prices in (``trans_currency``) and settles in
# (``settle_currency``), as its API documentation lists them for alipay.trade.pay.
ALIPAY_CURRENCIES = frozenset({
    "GBP", "HKD", "USD", "SGD", "JPY", "CAD", "AUD", "EUR", "NZD", "KRW", "THB", "CHF", "SEK",
    "DKK", "NOK", "MYR", "IDR", "PHP", "MUR", "ILS", "LKR", "RUB", "AED", "CZK", "ZAR", "CNY",
})


class Outcome(enum.StrEnum):
    """What a gateway answer lets us conclude."""

    SUCCESS = "success"  # signed, verified, code 10000
    WAITING = "waiting"  # signed, verified, code 10003: the shopper must confirm on the phone
    UNKNOWN = "unknown"  # we cannot tell what happened: query before acting
    FAILED = "failed"  # signed, verified business refusal (40004 with an ACQ.* sub_code)


class TradeStatus(enum.StrEnum):
    WAIT_BUYER_PAY = "WAIT_BUYER_PAY"
    TRADE_SUCCESS = "TRADE_SUCCESS"  # paid, refundable
    TRADE_FINISHED = "TRADE_FINISHED"  # paid, no longer refundable
    TRADE_CLOSED = "TRADE_CLOSED"  # closed unpaid, or fully refunded

    @property
    def paid(self) -> bool:
        return self in (TradeStatus.TRADE_SUCCESS, TradeStatus.TRADE_FINISHED)


# (method, request fields as sent minus the signature, raw response text, outcome)
Recorder = Callable[[str, dict[str, str], str, Outcome], None]


class GatewayConfigError(ValueError):
    """The gateway configuration is incomplete or a key cannot be loaded."""


# --------------------------------------------------------------------------- keys and signatures


def _pem_or_der(text: str | bytes) -> tuple[bool, bytes]:
    """Alipay's console hands out keys as bare base64 (no PEM armour); accept both forms."""
    data = text.encode() if isinstance(text, str) else text
    if b"-----BEGIN" in data:
        return True, data
    try:
        return False, base64.b64decode(b"".join(data.split()), validate=True)
    except ValueError as exc:
        raise GatewayConfigError("key is neither PEM nor base64 DER") from exc


def load_private_key(text: str | bytes) -> rsa.RSAPrivateKey:
    """Load an RSA private key: PKCS#8 or PKCS#1, PEM or bare base64."""
    is_pem, data = _pem_or_der(text)
    try:
        load = serialization.load_pem_private_key if is_pem else serialization.load_der_private_key
        key = load(data, password=None)
    except (ValueError, TypeError) as exc:
        raise GatewayConfigError(f"cannot load the merchant private key: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise GatewayConfigError("the merchant private key is not an RSA key")
    return key


def load_public_key(text: str | bytes) -> rsa.RSAPublicKey:
    """Load an RSA public key: SubjectPublicKeyInfo or PKCS#1, PEM or bare base64."""
    is_pem, data = _pem_or_der(text)
    try:
        load = serialization.load_pem_public_key if is_pem else serialization.load_der_public_key
        key = load(data)
    except (ValueError, TypeError) as exc:
        raise GatewayConfigError(f"cannot load the gateway public key: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise GatewayConfigError("the gateway public key is not an RSA key")
    return key


def signing_string(params: Mapping[str, str], exclude: tuple[str, ...] = ("sign",)) -> str:
    """Sorted, raw (not URL-encoded) ``k=v`` pairs joined by ``&``, empty values dropped."""
    return "&".join(
        f"{key}={params[key]}"
        for key in sorted(params)
        if key not in exclude and params[key] not in ("", None)
    )


def rsa2_sign(private_key: rsa.RSAPrivateKey, text: str) -> str:
    signature = private_key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa2_verify(public_key: rsa.RSAPublicKey, text: str, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def raw_member(text: str, key: str) -> str | None:
    """The exact source text of ``key``'s value in the top-level JSON object ``text``.

    The response signature covers these characters as the gateway wrote them, so we must not
    re-serialise. ``JSONDecoder.raw_decode`` is a quote-aware scanner: it skips braces inside
    strings (a subject like ``"Set {A"``) and tells us where each value ends. Returns ``None``
    when the key is absent, appears twice, or the text is not a JSON object.
    """
    decoder = json.JSONDecoder()
    found: str | None = None
    seen = 0
    try:
        pos = _skip_ws(text, 0)
        if text[pos] != "{":
            return None
        pos = _skip_ws(text, pos + 1)
        if text[pos] == "}":
            return None
        while True:
            if text[pos] != '"':
                return None
            name, pos = json.decoder.scanstring(text, pos + 1)
            pos = _skip_ws(text, pos)
            if text[pos] != ":":
                return None
            start = _skip_ws(text, pos + 1)
            _, end = decoder.raw_decode(text, start)
            if name == key:
                seen += 1
                found = text[start:end]
            pos = _skip_ws(text, end)
            if text[pos] == "}":
                break
            if text[pos] != ",":
                return None
            pos = _skip_ws(text, pos + 1)
    except (IndexError, ValueError):
        return None
    # Two copies of the signed member would let an attacker choose which one we parse.
    return found if seen == 1 else None


def _skip_ws(text: str, pos: int) -> int:
    while text[pos] in " \t\r\n":
        pos += 1
    return pos


def gmt8_timestamp(now: datetime | None = None) -> str:
    return (now or datetime.now(tz=GMT8)).astimezone(GMT8).strftime(TIMESTAMP_FORMAT)


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class GatewayConfig:
    """How to reach one merchant app on one gateway. Keys are PEM (or bare base64) text.

    Keys come from configuration (environment or files outside the repository), never from
    the source tree.
    """

    gateway_url: str
    app_id: str
    merchant_private_key: str = field(repr=False)
    gateway_public_key: str = field(repr=False)
    notify_url: str | None = None
    # The merchant account's currencies. ``currency`` is what its amounts are priced in (the
    # stores that use it sell in it); ``settle_currency`` is what Alipay pays the merchant in
    # (default: the same). A domestic account prices and settles in CNY and sends neither
    # field. Anything else is a cross-border account: Alipay reads ``total_amount`` in CNY
    # unless ``trans_currency`` says otherwise, so every amount goes out with its currency.
    currency: str = default("alipay_currency")
    settle_currency: str | None = None
    # The merchant's Alipay user id (2088…, "PID"): notifications must name it as seller_id.
    seller_id: str | None = None
    connect_timeout: float = default("alipay_connect_timeout")
    # A read timeout does not mean failure: the flows query after it.
    read_timeout: float = default("alipay_read_timeout")

    def __post_init__(self) -> None:
        for name in ("currency", "settle_currency"):
            value = getattr(self, name)
            if value is not None and value not in ALIPAY_CURRENCIES:
                raise GatewayConfigError(
                    f"Alipay does not take {value!r} as a {name.replace('_', ' ')}; it prices and "
                    f"settles in {', '.join(sorted(ALIPAY_CURRENCIES))}. A store selling in another "
                    "currency cannot take Alipay")
        if self.seller_id is not None and not (
                len(self.seller_id) == 16 and self.seller_id.startswith("2088") and self.seller_id.isdigit()):
            raise GatewayConfigError(f"the seller id {self.seller_id!r} is not an Alipay user id "
                                     "(16 digits starting 2088)")

    @property
    def settles_in(self) -> str:
        return self.settle_currency or self.currency

    @property
    def cross_border(self) -> bool:
        """Priced or settled in something other than CNY: amounts need their currency."""
        return self.currency != "CNY" or self.settles_in != "CNY"

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any], prefix: str = "ALIPAY_") -> GatewayConfig:
        """Read ``{prefix}GATEWAY_URL``, ``APP_ID``, ``PRIVATE_KEY`` (or ``PRIVATE_KEY_FILE``),
        ``PUBLIC_KEY`` (or ``PUBLIC_KEY_FILE``: the gateway's key), ``NOTIFY_URL``, ``CURRENCY``,
        ``SETTLE_CURRENCY``, ``SELLER_ID``, ``CONNECT_TIMEOUT``, ``READ_TIMEOUT`` from a Flask
        config or ``os.environ``."""

        def key_text(name: str) -> str:
            if config.get(prefix + name):
                return str(config[prefix + name])
            path = config.get(prefix + name + "_FILE")
            if path:
                with open(path, encoding="ascii") as fh:
                    return fh.read()
            raise GatewayConfigError(f"set {prefix}{name} or {prefix}{name}_FILE")

        missing = [n for n in ("GATEWAY_URL", "APP_ID") if not config.get(prefix + n)]
        if missing:
            raise GatewayConfigError("missing " + ", ".join(prefix + n for n in missing))
        return cls(
            gateway_url=str(config[prefix + "GATEWAY_URL"]),
            app_id=str(config[prefix + "APP_ID"]),
            merchant_private_key=key_text("PRIVATE_KEY"),
            gateway_public_key=key_text("PUBLIC_KEY"),
            notify_url=config.get(prefix + "NOTIFY_URL") or None,
            currency=str(config.get(prefix + "CURRENCY") or default("alipay_currency")).upper(),
            settle_currency=str(config[prefix + "SETTLE_CURRENCY"]).upper()
            if config.get(prefix + "SETTLE_CURRENCY") else None,
            seller_id=str(config[prefix + "SELLER_ID"]) if config.get(prefix + "SELLER_ID") else None,
            connect_timeout=float(config.get(prefix + "CONNECT_TIMEOUT")
                                  or default("alipay_connect_timeout")),
            read_timeout=float(config.get(prefix + "READ_TIMEOUT") or default("alipay_read_timeout")),
        )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, kw_only=True)
class GatewayResult:
    """One gateway call. ``fields`` holds the verified inner response (empty if unverified)."""

    method: str
    outcome: Outcome
    code: str | None = None
    msg: str | None = None
    sub_code: str | None = None
    sub_msg: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    raw: str = ""
    # Why the outcome is UNKNOWN when the gateway did not say 20000 itself (timeout, no sign...).
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SUCCESS


@dataclass(frozen=True, kw_only=True)
class PrecreateResult(GatewayResult):
    out_trade_no: str
    qr_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class PayResult(GatewayResult):
    out_trade_no: str
    trade_no: str | None = None
    total_amount: Money | None = None
    buyer_id: str | None = None
    gmt_payment: str | None = None


@dataclass(frozen=True, kw_only=True)
class QueryResult(GatewayResult):
    out_trade_no: str
    trade_no: str | None = None
    trade_status: TradeStatus | None = None
    total_amount: Money | None = None
    buyer_id: str | None = None

    @property
    def exists(self) -> bool | None:
        """False when the gateway says the trade does not exist (yet); None when unknown."""
        if self.outcome is Outcome.SUCCESS:
            return True
        if self.outcome is Outcome.FAILED and self.sub_code == SUB_TRADE_NOT_EXIST:
            return False
        return None

    @property
    def paid(self) -> bool:
        return (
            self.outcome is Outcome.SUCCESS
            and self.trade_status is not None
            and self.trade_status.paid
        )


@dataclass(frozen=True, kw_only=True)
class RefundResult(GatewayResult):
    out_trade_no: str
    out_request_no: str
    trade_no: str | None = None
    refund_fee: Money | None = None  # cumulative over all refunds of the trade
    fund_change: bool | None = None  # False when this out_request_no had already refunded


@dataclass(frozen=True, kw_only=True)
class CancelResult(GatewayResult):
    out_trade_no: str
    trade_no: str | None = None
    retry: bool = False  # retry_flag=Y: call cancel again
    action: str | None = None  # "close" (was unpaid) or "refund" (was paid, money returned)


@dataclass(frozen=True, kw_only=True)
class CloseResult(GatewayResult):
    out_trade_no: str
    trade_no: str | None = None


# --------------------------------------------------------------------------- notifications


class NotificationRejected(Exception):
    """An async notification we must not act on; answer the gateway with anything but
    ``success`` only if it might become acceptable (it will retry)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason  # unsigned, sign_type, signature, malformed, app_id, ...
        self.detail = detail


@dataclass(frozen=True, kw_only=True)
class VerifiedNotification:
    """A notification whose signature verified. Still check app id, order and amount."""

    app_id: str
    notify_id: str
    out_trade_no: str
    trade_no: str | None
    trade_status: TradeStatus
    total_amount: Money
    receipt_amount: Money | None = None
    refund_fee: Money | None = None
    out_biz_no: str | None = None  # the refund's out_request_no on refund notifications
    buyer_id: str | None = None
    seller_id: str | None = None
    gmt_payment: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)


def check_notification(
    verified: VerifiedNotification,
    expected_out_trade_no: str,
    expected_amount: Money,
    app_id: str,
    seller_id: str | None = None,
) -> None:
    """Raise :class:`NotificationRejected` unless the notification is for our app and our
    merchant (``seller_id``, when configured), this order and exactly this amount (docs/ARCHITECTURE.md,
    promise 6). The caller looks the order up first."""
    if verified.app_id != app_id:
        raise NotificationRejected("app_id", f"{verified.app_id!r} is not our app {app_id!r}")
    if seller_id is not None and verified.seller_id != seller_id:
        # One app can serve several merchants (service providers); money that went to another
        # merchant's account is not a payment to us, however well it is signed.
        raise NotificationRejected("seller_id", f"{verified.seller_id!r} is not our merchant {seller_id!r}")
    if verified.out_trade_no != expected_out_trade_no:
        raise NotificationRejected(
            "out_trade_no", f"{verified.out_trade_no!r} != {expected_out_trade_no!r}"
        )
    if verified.total_amount != expected_amount:
        raise NotificationRejected("amount", f"{verified.total_amount} != {expected_amount}")


# --------------------------------------------------------------------------- the client


class AlipayGateway:
    """Typed calls to one merchant app on an Alipay-protocol gateway.

    Thread-safe as far as ``requests.Session`` is; give each worker thread its own instance if
    in doubt. Every call is passed to ``recorder`` (if given) so the server can persist it.
    """

    def __init__(
        self,
        config: GatewayConfig,
        *,
        recorder: Recorder | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not config.gateway_url or not config.app_id:
            raise GatewayConfigError("gateway_url and app_id are required")
        self.config = config
        self._private_key = load_private_key(config.merchant_private_key)
        self._gateway_key = load_public_key(config.gateway_public_key)
        self._recorder = recorder
        self._session = session or requests.Session()
        self._clock = clock or (lambda: datetime.now(tz=GMT8))

    @property
    def app_id(self) -> str:
        return self.config.app_id

    # ---- business calls

    def precreate(
        self,
        out_trade_no: str,
        amount: Money,
        subject: str,
        *,
        notify_url: str | None = None,
        timeout_express: str | None = None,
    ) -> PrecreateResult:
        """Ask for a QR the shopper scans. ``timeout_express`` ("5m", "2h") bounds how long the
        QR stays payable, so an abandoned screen cannot be paid hours later."""
        biz = {
            "out_trade_no": out_trade_no,
            "total_amount": self._amount_text(amount),
            **self._currency_fields(),
            "subject": subject,
        }
        if timeout_express:
            biz["timeout_express"] = timeout_express
        result = self.call(METHOD_PRECREATE, biz, notify_url=notify_url)
        result = self._same_currency(result)
        f = result.fields
        return PrecreateResult(
            **_base(result),
            out_trade_no=out_trade_no,
            qr_code=f.get("qr_code") if result.ok else None,
        )

    def pay(
        self,
        out_trade_no: str,
        auth_code: str,
        amount: Money,
        subject: str,
        *,
        notify_url: str | None = None,
    ) -> PayResult:
        """Charge the payment code the cashier scanned from the shopper's phone."""
        biz = {
            "out_trade_no": out_trade_no,
            "scene": "bar_code",
            "auth_code": auth_code,
            "total_amount": self._amount_text(amount),
            **self._currency_fields(),
            "subject": subject,
        }
        result = self.call(METHOD_PAY, biz, notify_url=notify_url)
        result = self._same_currency(result)
        result, total = self._money_field(result, "total_amount")
        result = self._same_trade(result, out_trade_no)
        f = result.fields
        return PayResult(
            **_base(result),
            out_trade_no=out_trade_no,
            trade_no=f.get("trade_no"),
            total_amount=total,
            buyer_id=f.get("buyer_user_id") or f.get("buyer_id"),
            gmt_payment=f.get("gmt_payment"),
        )

    def query(self, out_trade_no: str) -> QueryResult:
        result = self.call(METHOD_QUERY, {"out_trade_no": out_trade_no})
        result = self._same_currency(result)
        result, total = self._money_field(result, "total_amount")
        result = self._same_trade(result, out_trade_no)
        status = None
        if result.ok:
            try:
                status = TradeStatus(result.fields.get("trade_status", ""))
            except ValueError:
                result = _unknown_from(result, "unrecognised trade_status")
        f = result.fields
        return QueryResult(
            **_base(result),
            out_trade_no=out_trade_no,
            trade_no=f.get("trade_no"),
            trade_status=status,
            total_amount=total,
            buyer_id=f.get("buyer_user_id") or f.get("buyer_id"),
        )

    def refund(
        self,
        out_trade_no: str,
        amount: Money,
        out_request_no: str,
        *,
        reason: str | None = None,
    ) -> RefundResult:
        """Refund ``amount``. Retrying with the same ``out_request_no`` never refunds twice."""
        biz = {
            "out_trade_no": out_trade_no,
            "refund_amount": self._amount_text(amount),
            "out_request_no": out_request_no,
        }
        if self.config.cross_border:
            biz["refund_currency"] = self.config.currency  # else read as CNY, like total_amount
        if reason:
            biz["refund_reason"] = reason
        result = self.call(METHOD_REFUND, biz)
        result, refund_fee = self._money_field(result, "refund_fee")
        result = self._same_trade(result, out_trade_no)
        f = result.fields
        fund_change = f.get("fund_change")
        return RefundResult(
            **_base(result),
            out_trade_no=out_trade_no,
            out_request_no=out_request_no,
            trade_no=f.get("trade_no"),
            refund_fee=refund_fee,
            fund_change=None if fund_change is None else fund_change == "Y",
        )

    def cancel(self, out_trade_no: str) -> CancelResult:
        """Close an unpaid trade or refund a paid one (within 24 h). Honour ``retry``."""
        result = self.call(METHOD_CANCEL, {"out_trade_no": out_trade_no})
        result = self._same_trade(result, out_trade_no)
        f = result.fields
        return CancelResult(
            **_base(result),
            out_trade_no=out_trade_no,
            trade_no=f.get("trade_no"),
            retry=f.get("retry_flag") == "Y",
            action=f.get("action"),
        )

    def close(self, out_trade_no: str) -> CloseResult:
        """Close an unpaid trade that exists on the gateway (a scanned QR, a waiting code)."""
        result = self.call(METHOD_CLOSE, {"out_trade_no": out_trade_no})
        result = self._same_trade(result, out_trade_no)
        return CloseResult(
            **_base(result), out_trade_no=out_trade_no, trade_no=result.fields.get("trade_no")
        )

    # ---- notifications

    def verify_notification(self, form: Mapping[str, Any]) -> VerifiedNotification:
        """Verify an async notification's signature and return its fields, typed.

        Unlike requests, the signed text excludes both ``sign`` and ``sign_type``. Verification
        is a pure function of the form, so a duplicate notification verifies the same way; the
        caller makes processing idempotent (by out_trade_no and trade_status).
        """
        params: dict[str, str] = {}
        for key, value in form.items():
            if isinstance(value, list | tuple):
                if len(value) != 1:
                    raise NotificationRejected("malformed", f"{key} given {len(value)} times")
                value = value[0]
            if not isinstance(value, str):
                raise NotificationRejected("malformed", f"{key} is not text")
            params[key] = value
        sign = params.get("sign")
        if not sign:
            raise NotificationRejected("unsigned")
        if params.get("sign_type") != "RSA2":
            raise NotificationRejected("sign_type", f"{params.get('sign_type')!r} is not RSA2")
        text = signing_string(params, exclude=("sign", "sign_type"))
        if not rsa2_verify(self._gateway_key, text, sign):
            raise NotificationRejected("signature", "does not verify with the gateway key")

        for name in ("app_id", "out_trade_no", "trade_status", "total_amount", "notify_id"):
            if not params.get(name):
                raise NotificationRejected("malformed", f"{name} missing")
        try:
            status = TradeStatus(params["trade_status"])
        except ValueError as exc:
            raise NotificationRejected("malformed", "unknown trade_status") from exc
        currency = params.get("trans_currency") or self.config.currency
        if currency != self.config.currency:
            raise NotificationRejected(
                "currency", f"the trade is in {currency}; this account charges {self.config.currency}")
        try:
            total = Money.from_decimal_string(params["total_amount"], self.config.currency)
            receipt = self._optional_money(params.get("receipt_amount"))
            refund_fee = self._optional_money(params.get("refund_fee"))
        except MoneyError as exc:
            raise NotificationRejected("malformed", str(exc)) from exc
        return VerifiedNotification(
            app_id=params["app_id"],
            notify_id=params["notify_id"],
            out_trade_no=params["out_trade_no"],
            trade_no=params.get("trade_no"),
            trade_status=status,
            total_amount=total,
            receipt_amount=receipt,
            refund_fee=refund_fee,
            out_biz_no=params.get("out_biz_no") or None,
            buyer_id=params.get("buyer_id") or None,
            seller_id=params.get("seller_id") or None,
            gmt_payment=params.get("gmt_payment") or None,
            fields=dict(params),
        )

    # ---- the protocol

    def call(
        self, method: str, biz_content: Mapping[str, Any], *, notify_url: str | None = None
    ) -> GatewayResult:
        """Sign and send one request; return what the answer lets us conclude.

        Public for methods without a typed wrapper and for tests that must send what the typed
        calls refuse to (a zero refund, say).
        """
        params = {
            "app_id": self.config.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": gmt8_timestamp(self._clock()),
            "version": "1.0",
            "biz_content": json.dumps(biz_content, ensure_ascii=False, separators=(",", ":")),
        }
        notify = notify_url or self.config.notify_url
        if notify and method in (METHOD_PRECREATE, METHOD_PAY):
            params["notify_url"] = notify
        signed = dict(params, sign=rsa2_sign(self._private_key, signing_string(params)))

        raw = ""
        # The request on whose behalf we call goes with the call (outside the signed fields, so
        # the gateway ignores it; our sandbox logs it) and on the log line.
        rid = current_request_id()
        started = time.monotonic()
        try:
            response = self._session.post(
                self.config.gateway_url,
                data=signed,
                headers={REQUEST_ID_HEADER: rid} if rid else None,
                timeout=(self.config.connect_timeout, self.config.read_timeout),
            )
            raw = response.content.decode("utf-8")
            if response.status_code != 200:
                result = GatewayResult(
                    method=method,
                    outcome=Outcome.UNKNOWN,
                    raw=raw,
                    problem=f"HTTP {response.status_code}",
                )
            else:
                result = self._interpret(method, raw)
        except requests.RequestException as exc:
            result = GatewayResult(
                method=method, outcome=Outcome.UNKNOWN, problem=f"transport: {exc}"
            )
        except UnicodeDecodeError:
            result = GatewayResult(
                method=method, outcome=Outcome.UNKNOWN, problem="answer is not UTF-8"
            )
        self._record(method, params, raw, result.outcome)
        log.info("gateway %s: %s", method, result.outcome, extra={
            "gateway_method": method, "outcome": str(result.outcome),
            "duration_ms": round((time.monotonic() - started) * 1000, 1)})
        if result.outcome is Outcome.UNKNOWN:
            log.warning("%s outcome unknown: %s", method, result.problem or result.sub_code)
        return result

    def _interpret(self, method: str, raw: str) -> GatewayResult:
        if raw_member(raw, "error_response") is not None:
            # The gateway refused the request itself (bad signature, app id...): such answers
            # are unsigned, so nothing in them can be trusted.
            return GatewayResult(
                method=method, outcome=Outcome.UNKNOWN, raw=raw, problem="error_response"
            )
        inner = raw_member(raw, method.replace(".", "_") + "_response")
        if inner is None:
            return GatewayResult(
                method=method, outcome=Outcome.UNKNOWN, raw=raw, problem="no response object"
            )
        sign_text = raw_member(raw, "sign")
        try:
            sign = json.loads(sign_text) if sign_text else None
        except ValueError:
            sign = None
        if not isinstance(sign, str) or not sign:
            return GatewayResult(
                method=method, outcome=Outcome.UNKNOWN, raw=raw, problem="unsigned"
            )
        if not rsa2_verify(self._gateway_key, inner, sign):
            return GatewayResult(
                method=method, outcome=Outcome.UNKNOWN, raw=raw, problem="bad signature"
            )
        fields = json.loads(inner)
        if not isinstance(fields, dict):
            return GatewayResult(
                method=method, outcome=Outcome.UNKNOWN, raw=raw, problem="not an object"
            )
        code = str(fields.get("code", ""))
        sub_code = fields.get("sub_code")
        if code == "10000":
            outcome = Outcome.SUCCESS
        elif code == "10003" and method == METHOD_PAY:
            outcome = Outcome.WAITING
        elif code.startswith("400") and sub_code != SUB_SYSTEM_ERROR:
            # 40001/40002/40004...: a definite refusal. ACQ.SYSTEM_ERROR says "try again",
            # which tells us nothing about whether the trade happened.
            outcome = Outcome.FAILED
        else:
            outcome = Outcome.UNKNOWN  # 20000, ACQ.SYSTEM_ERROR, anything unexpected
        return GatewayResult(
            method=method,
            outcome=outcome,
            code=code,
            msg=fields.get("msg"),
            sub_code=sub_code,
            sub_msg=fields.get("sub_msg"),
            fields=fields,
            raw=raw,
            problem=None if outcome is not Outcome.UNKNOWN else f"code {code}",
        )

    # ---- helpers

    def _amount_text(self, amount: Money) -> str:
        if not isinstance(amount, Money):
            raise TypeError("amounts are retail.money.Money")
        if amount.currency != self.config.currency:
            raise MoneyError(f"this gateway charges {self.config.currency}, not {amount.currency}")
        if amount.amount <= 0:
            raise MoneyError(f"amount must be positive, got {amount}")
        return amount.to_decimal_string()

    def _currency_fields(self) -> dict[str, str]:
        """How a cross-border account states its amounts (Alipay's trans_currency: the currency
        of total_amount; settle_currency: what the merchant is paid in). A domestic account
        sends neither: its amounts are CNY, which is what Alipay assumes."""
        if not self.config.cross_border:
            return {}
        return {"trans_currency": self.config.currency, "settle_currency": self.config.settles_in}

    def _same_currency(self, result: GatewayResult) -> GatewayResult:
        """A signed answer pricing the trade in another currency says nothing about our amount."""
        currency = result.fields.get("trans_currency")
        if result.outcome in (Outcome.SUCCESS, Outcome.WAITING) and currency is not None \
                and currency != self.config.currency:
            return _unknown_from(result, f"answer is in {currency}, not {self.config.currency}")
        return result

    def _optional_money(self, text: str | None) -> Money | None:
        return Money.from_decimal_string(text, self.config.currency) if text else None

    def _money_field(self, result: GatewayResult, name: str) -> tuple[GatewayResult, Money | None]:
        text = result.fields.get(name)
        if not text or result.outcome not in (Outcome.SUCCESS, Outcome.WAITING):
            return result, None
        try:
            # Only the documented form ("12.50"): Decimal would also take "1e2" or "NaN".
            return result, Money.from_decimal_string(str(text), self.config.currency)
        except MoneyError:
            return _unknown_from(result, f"unparseable {name} {text!r}"), None

    @staticmethod
    def _same_trade(result: GatewayResult, out_trade_no: str) -> GatewayResult:
        """A signed answer about some other trade is no answer about ours."""
        other = result.fields.get("out_trade_no")
        if result.outcome is Outcome.SUCCESS and other is not None and other != out_trade_no:
            return _unknown_from(result, f"answer is about {other!r}")
        return result

    def _record(self, method: str, params: dict[str, str], raw: str, outcome: Outcome) -> None:
        if self._recorder is None:
            return
        try:
            self._recorder(method, dict(params), raw, outcome)
        except Exception:  # a broken audit sink must not turn a payment into an exception
            log.exception("payment call recorder failed for %s", method)


def _base(result: GatewayResult) -> dict[str, Any]:
    return {
        "method": result.method,
        "outcome": result.outcome,
        "code": result.code,
        "msg": result.msg,
        "sub_code": result.sub_code,
        "sub_msg": result.sub_msg,
        "fields": result.fields,
        "raw": result.raw,
        "problem": result.problem,
    }


def _unknown_from(result: GatewayResult, problem: str) -> GatewayResult:
    values = _base(result)
    values.update(outcome=Outcome.UNKNOWN, problem=problem)
    return GatewayResult(**values)
