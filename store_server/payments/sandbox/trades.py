"""The sandbox gateway's trade book: what precreate, pay, query, refund, cancel and close do.

Behaviour follows Alipay's protocol as docs/PAYMENTS.md describes it (and Alipay's documentation
where that is silent):

- A precreated QR trade does not exist for query/close until the wallet scans it.
- Payment codes are 16–24 digits starting 25–30; the test codes below choose the outcome.
- Refunds are idempotent per out_request_no (``fund_change: "N"`` on a repeat) and
  ``refund_fee`` is cumulative; a trade refunded in full becomes ``TRADE_CLOSED``.
- Cancel closes an unpaid trade (``action: close``) or refunds a paid one (``action: refund``)
  within 24 h; cancelling an unknown out_trade_no succeeds and burns the number, so a late
  copy of the pay cannot create the trade afterwards. Close works on unpaid trades only.

Currency: an app is registered with its contract. A domestic app prices and settles in CNY;
a cross-border app prices in the ``trans_currencies`` it signed for and settles in its
``settle_currency``. As on Alipay, ``total_amount`` is read in CNY unless the request says
``trans_currency``; a currency the merchant has not signed for is refused
(``ACQ.CURRENCY_NOT_SUPPORT``), and so is a refund of a foreign-currency trade that does not
say ``refund_currency``. Shoppers always pay in CNY, at the fixed demo rates below.

Sandbox simplification: declining in the wallet closes the trade at once (a real wallet leaves
it waiting until it times out). Trades live in memory; keys and apps live in the state dir.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from . import crypto
from .faults import Faults
from .notifier import Notifier

GMT8 = timezone(timedelta(hours=8), "GMT+8")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

WAIT_BUYER_PAY = "WAIT_BUYER_PAY"
TRADE_SUCCESS = "TRADE_SUCCESS"
TRADE_FINISHED = "TRADE_FINISHED"
TRADE_CLOSED = "TRADE_CLOSED"

# Test payment codes (docs/PAYMENTS.md). Any other well-formed code pays at once, so a demo
# can use whatever a phone shows; a malformed one is invalid.
CODE_PAY_NOW = "286600000000000001"
CODE_NEEDS_CONFIRMATION = "286600000000000002"
CODE_NO_BALANCE = "286600000000000003"
CODE_INVALID = "286600000000000004"
TEST_CODES = {
    CODE_PAY_NOW: "pays at once (10000)",
    CODE_NEEDS_CONFIRMATION: "10003: the shopper must approve in the wallet page",
    CODE_NO_BALANCE: "40004 ACQ.BUYER_BALANCE_NOT_ENOUGH",
    CODE_INVALID: "40004 ACQ.PAYMENT_AUTH_CODE_INVALID",
}
AUTH_CODE_PATTERN = re.compile(r"(2[5-9]|30)\d{14,22}")

MAX_AMOUNT_MAJOR = 100_000_000  # Alipay's ceiling: 100,000,000.00 of the currency
SELLER_ID = "2088102000000001"
SUB_AUTH_CODE_INVALID = "ACQ.PAYMENT_AUTH_CODE_INVALID"
SUB_TRADE_NOT_EXIST = "ACQ.TRADE_NOT_EXIST"
SUB_CURRENCY_NOT_SUPPORT = "ACQ.CURRENCY_NOT_SUPPORT"
SUB_AMOUNT_OR_CURRENCY_ERROR = "ACQ.AMOUNT_OR_CURRENCY_ERROR"

# What Alipay's cross-border acquiring prices and settles in (its trans_currency list).
CURRENCIES = frozenset({
    "GBP", "HKD", "USD", "SGD", "JPY", "CAD", "AUD", "EUR", "NZD", "KRW", "THB", "CHF", "SEK",
    "DKK", "NOK", "MYR", "IDR", "PHP", "MUR", "ILS", "LKR", "RUB", "AED", "CZK", "ZAR", "CNY",
})
NO_DECIMALS = frozenset({"JPY", "KRW"})  # amounts are whole units
# Fixed demo rates: what one unit costs the shopper in CNY (the sandbox is not a market).
CNY_PER_UNIT = {"CNY": Decimal("1"), "EUR": Decimal("7.80"), "USD": Decimal("7.20"),
                "GBP": Decimal("9.10"), "HKD": Decimal("0.92"), "JPY": Decimal("0.048"),
                "KRW": Decimal("0.0052"), "SGD": Decimal("5.35"), "CHF": Decimal("8.10")}


class GatewayRefusal(Exception):
    """A signed business failure: code 40004 (or 40002) with an ACQ.*/isv.* sub_code."""

    def __init__(self, sub_code: str, sub_msg: str, code: str = "40004", **extra: str) -> None:
        super().__init__(sub_code)
        self.answer = {
            "code": code,
            "msg": "Business Failed" if code == "40004" else "Invalid Arguments",
            "sub_code": sub_code,
            "sub_msg": sub_msg,
            **extra,
        }


def decimals(currency: str) -> int:
    return 0 if currency in NO_DECIMALS else 2


def parse_amount(text: Any, currency: str = "CNY") -> int:
    """``"12.50"`` → 1250 minor units, in the documented form only: digits, an optional point
    and at most the currency's decimals (none for JPY and KRW); no sign, exponent or spaces.
    Positive and at most Alipay's ceiling."""
    places = decimals(currency)
    pattern = r"(0|[1-9]\d{0,8})" + (r"(\.\d{1,2})?" if places else "")
    if not isinstance(text, str) or not re.fullmatch(pattern, text):
        raise ValueError(f"{text!r} is not an amount in {currency} (like "
                         f"{'12.50' if places else '1250'})")
    whole, _, fraction = text.partition(".")
    minor = int(whole) * 10**places + int(fraction.ljust(places, "0") or 0)
    if minor <= 0 or minor > MAX_AMOUNT_MAJOR * 10**places:
        raise ValueError(f"{text!r} is out of range (0.01 to {MAX_AMOUNT_MAJOR})")
    return minor


def format_amount(minor: int, currency: str = "CNY") -> str:
    if decimals(currency) == 0:
        return str(minor)
    return f"{minor // 100}.{minor % 100:02d}"


def in_cny(minor: int, currency: str) -> int:
    """What the shopper pays in fen for ``minor`` units of ``currency`` (demo rates)."""
    rate = CNY_PER_UNIT.get(currency, Decimal("1"))
    major = Decimal(minor).scaleb(-decimals(currency))
    return int((major * rate * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_time(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, GMT8).strftime(TIME_FORMAT)


def parse_timeout_express(text: str | None) -> float | None:
    """Alipay's ``timeout_express``: ``90m``, ``2h``, ``1d``, or ``1c`` (until midnight)."""
    if not text:
        return None
    match = re.fullmatch(r"(\d{1,4})([mhdc])", text)
    if not match or int(match.group(1)) <= 0:
        raise GatewayRefusal("ACQ.INVALID_PARAMETER", f"timeout_express {text!r} is invalid")
    count, unit = int(match.group(1)), match.group(2)
    if unit == "c":
        now = datetime.now(GMT8)
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return (midnight - now).total_seconds()
    return count * {"m": 60, "h": 3600, "d": 86400}[unit]


@dataclass
class App:
    app_id: str
    public_key: rsa.RSAPublicKey
    public_key_pem: str
    name: str = "Plaza sandbox merchant"
    # The merchant's contract: what it may price in, and what it is paid in.
    trans_currencies: tuple[str, ...] = ("CNY",)
    settle_currency: str = "CNY"
    seller_id: str = SELLER_ID

    @property
    def cross_border(self) -> bool:
        return self.settle_currency != "CNY" or self.trans_currencies != ("CNY",)

    def contract(self) -> dict[str, Any]:
        return {"trans_currencies": list(self.trans_currencies),
                "settle_currency": self.settle_currency, "seller_id": self.seller_id}


@dataclass
class Refund:
    out_request_no: str
    amount: int
    at: float


@dataclass
class Trade:
    app_id: str
    out_trade_no: str
    trade_no: str
    total: int
    subject: str
    kind: str  # "qr", "code", "external" (made by the admin endpoint), "burned" (by cancel)
    status: str
    created_at: float
    token: str  # the wallet page's address
    notify_url: str | None = None
    scanned: bool = False
    deadline: float | None = None  # an unpaid trade closes by itself after this
    paid_at: float | None = None
    closed_at: float | None = None
    auth_code: str | None = None
    buyer_id: str | None = None
    buyer_logon_id: str | None = None
    cancel_action: str | None = None
    refunds: dict[str, Refund] = field(default_factory=dict)
    currency: str = "CNY"  # trans_currency: what total and the refunds are in
    settle_currency: str = "CNY"

    @property
    def cross_border(self) -> bool:
        return self.currency != "CNY" or self.settle_currency != "CNY"

    def amount_text(self, minor: int) -> str:
        return format_amount(minor, self.currency)

    def currency_fields(self, paid: bool) -> dict[str, Any]:
        """What Alipay adds to answers and notifications about a cross-border trade."""
        if not self.cross_border:
            return {}
        fields: dict[str, Any] = {"trans_currency": self.currency, "settle_currency": self.settle_currency}
        if paid:
            settle = in_cny(self.total, self.currency) if self.settle_currency == "CNY" else (
                self.total if self.settle_currency == self.currency else None)
            if settle is not None:
                fields["settle_amount"] = format_amount(settle, self.settle_currency)
            fields["pay_currency"] = "CNY"
            fields["pay_amount"] = format_amount(in_cny(self.total, self.currency))
            fields["trans_pay_rate"] = str(CNY_PER_UNIT.get(self.currency, Decimal("1")))
        return fields

    @property
    def refunded(self) -> int:
        return sum(r.amount for r in self.refunds.values())

    @property
    def exists(self) -> bool:
        """What the merchant's query can see: a QR trade appears once scanned or cancelled."""
        if self.kind == "burned":
            return False
        return self.kind != "qr" or self.scanned or self.cancel_action is not None

    def as_json(self) -> dict[str, Any]:
        return {
            "app_id": self.app_id,
            "out_trade_no": self.out_trade_no,
            "trade_no": self.trade_no,
            "kind": self.kind,
            "status": self.status,
            "exists": self.exists,
            "trans_currency": self.currency,
            "settle_currency": self.settle_currency,
            "total_amount": self.amount_text(self.total),
            "refund_fee": self.amount_text(self.refunded),
            "subject": self.subject,
            "gmt_create": format_time(self.created_at),
            "gmt_payment": format_time(self.paid_at),
            "gmt_close": format_time(self.closed_at),
            "buyer_id": self.buyer_id,
            "wallet_token": self.token,
            "refunds": [
                {
                    "out_request_no": r.out_request_no,
                    "refund_amount": self.amount_text(r.amount),
                    "gmt_refund": format_time(r.at),
                }
                for r in self.refunds.values()
            ],
        }


def _ok(**fields: Any) -> dict[str, Any]:
    return {"code": "10000", "msg": "Success", **{k: v for k, v in fields.items() if v is not None}}


_forged_key: rsa.RSAPrivateKey | None = None


def _forgery_key() -> rsa.RSAPrivateKey:
    global _forged_key
    if _forged_key is None:
        _forged_key = crypto.generate_private_key()
    return _forged_key


class Gate:
    """A request held at the gateway door until a test lets it through (see :class:`Hooks`)."""

    def __init__(self, method: str, out_trade_no: str | None) -> None:
        self.method = method
        self.out_trade_no = out_trade_no
        self.arrived = threading.Event()  # a matching request is waiting at the door
        self._open = threading.Event()

    def matches(self, method: str, out_trade_no: str | None) -> bool:
        return method == self.method and self.out_trade_no in (None, out_trade_no)

    def wait_until_arrived(self, timeout: float = 10.0) -> None:
        if not self.arrived.wait(timeout):
            raise TimeoutError(f"no {self.method} for {self.out_trade_no or 'any trade'} arrived")

    def release(self) -> None:
        self._open.set()

    def pass_through(self, timeout: float) -> None:
        self.arrived.set()
        self._open.wait(timeout)


class Hooks:
    """Deterministic interleavings for tests: hold one method's next request before the gateway
    acts on it, while everything else (the wallet, other calls, notifications) goes on.

    ``gate = gateway.hooks.hold("alipay.trade.cancel", out_trade_no)`` → the next matching
    request waits (outside the trade book's lock) until ``gate.release()``;
    ``gate.wait_until_arrived()`` returns once it is waiting. A gate is used once.
    """

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout  # a forgotten gate lets its request through after this
        self._lock = threading.Lock()
        self._gates: list[Gate] = []

    def hold(self, method: str, out_trade_no: str | None = None) -> Gate:
        gate = Gate(method, out_trade_no)
        with self._lock:
            self._gates.append(gate)
        return gate

    def at_door(self, method: str, out_trade_no: str | None) -> None:
        with self._lock:
            gate = next((g for g in self._gates if g.matches(method, out_trade_no)), None)
            if gate is not None:
                self._gates.remove(gate)
        if gate is not None:
            gate.pass_through(self.timeout)

    def release_all(self) -> None:
        with self._lock:
            gates, self._gates = self._gates, []
        for gate in gates:
            gate.release()


class SandboxGateway:
    """All trades of all registered apps, behind one lock."""

    def __init__(
        self,
        private_key: rsa.RSAPrivateKey,
        *,
        apps: dict[str, App] | None = None,
        notify_retry_delays: tuple[float, ...] | None = None,
        notify_timeout: float = 10.0,
        confirm_timeout: float = 90.0,
        qr_timeout: float = 7200.0,
        cancel_window: float = 86400.0,
        sweep_interval: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.private_key = private_key
        self.apps: dict[str, App] = dict(apps or {})
        self.faults = Faults()
        self.hooks = Hooks()
        self.confirm_timeout = confirm_timeout
        self.qr_timeout = qr_timeout
        self.cancel_window = cancel_window
        self.clock = clock
        self._lock = threading.RLock()
        self._trades: dict[tuple[str, str], Trade] = {}
        self._by_token: dict[str, Trade] = {}
        self._trade_seq = 0
        notifier_args: dict[str, Any] = {"timeout": notify_timeout}
        if notify_retry_delays is not None:
            notifier_args["retry_delays"] = notify_retry_delays
        self.notifier = Notifier(sweep=self.sweep, sweep_interval=sweep_interval, **notifier_args)

    def close(self) -> None:
        self.hooks.release_all()
        self.notifier.stop()

    @contextmanager
    def notifications_held(self) -> Iterator[None]:
        """Queue notifications without sending them until the block ends (tests)."""
        self.notifier.hold()
        try:
            yield
        finally:
            self.notifier.release()

    # ---- apps

    def register_app(
        self,
        public_key_pem: str,
        name: str | None = None,
        app_id: str | None = None,
        *,
        trans_currencies: list[str] | tuple[str, ...] | None = None,
        settle_currency: str | None = None,
        seller_id: str | None = None,
    ) -> App:
        """Register a merchant app. Without a contract it is domestic (CNY only); a cross-border
        merchant names what it prices in and what it settles in."""
        key = crypto.load_public_key(public_key_pem)
        settle = (settle_currency or "CNY").upper()
        trans = tuple(c.upper() for c in (trans_currencies or ([settle] if settle != "CNY" else ["CNY"])))
        unknown = sorted({settle, *trans} - CURRENCIES)
        if unknown:
            raise ValueError(f"Alipay does not price or settle in {', '.join(unknown)}")
        if seller_id is not None and not re.fullmatch(r"2088\d{12}", seller_id):
            raise ValueError("seller_id is 16 digits starting 2088")
        with self._lock:
            app_id = app_id or "2021" + "".join(secrets.choice("0123456789") for _ in range(12))
            app = App(app_id, key, crypto.public_key_pem(key), name or "Plaza sandbox merchant",
                      trans_currencies=trans, settle_currency=settle, seller_id=seller_id or SELLER_ID)
            self.apps[app_id] = app
            return app

    # ---- lookups

    def trade(self, app_id: str, out_trade_no: str) -> Trade | None:
        with self._lock:
            trade = self._trades.get((app_id, out_trade_no))
            if trade is not None:
                self._expire(trade)
            return trade

    def trade_by_token(self, token: str) -> Trade | None:
        with self._lock:
            trade = self._by_token.get(token)
            if trade is not None:
                self._expire(trade)
            return trade

    def find_trade(self, out_trade_no: str, app_id: str | None = None) -> Trade | None:
        """For the admin endpoints: by out_trade_no, in the given app or the only one using it."""
        with self._lock:
            found = [
                t
                for (a, o), t in self._trades.items()
                if o == out_trade_no and (app_id is None or a == app_id)
            ]
            if len(found) != 1:
                return None
            self._expire(found[0])
            return found[0]

    def trades_on(self, day: str, app_id: str | None = None) -> list[Trade]:
        """Trades that exist on the gateway and were created on ``day`` (GMT+8)."""
        with self._lock:
            for trade in self._trades.values():
                self._expire(trade)
            return sorted(
                (
                    t
                    for t in self._trades.values()
                    if t.exists
                    and (app_id is None or t.app_id == app_id)
                    and format_time(t.created_at)[:10] == day  # type: ignore[index]
                ),
                key=lambda t: (t.created_at, t.trade_no),
            )

    def waiting_trades(self) -> list[Trade]:
        with self._lock:
            for trade in self._trades.values():
                self._expire(trade)
            return [
                t
                for t in self._trades.values()
                if t.status == WAIT_BUYER_PAY and t.kind in ("qr", "code")
            ]

    # ---- the business methods (called with a verified request)

    def handle(
        self, app_id: str, method: str, biz: dict[str, Any], notify_url: str | None, base_url: str
    ) -> dict[str, Any]:
        handler = {
            "alipay.trade.precreate": lambda: self.precreate(app_id, biz, notify_url, base_url),
            "alipay.trade.pay": lambda: self.pay(app_id, biz, notify_url, base_url),
            "alipay.trade.query": lambda: self.query(app_id, biz),
            "alipay.trade.refund": lambda: self.refund(app_id, biz),
            "alipay.trade.cancel": lambda: self.cancel(app_id, biz),
            "alipay.trade.close": lambda: self.close_trade(app_id, biz),
        }[method]
        try:
            with self._lock:
                return handler()
        except GatewayRefusal as refusal:
            return refusal.answer

    def precreate(
        self, app_id: str, biz: dict[str, Any], notify_url: str | None, base_url: str
    ) -> dict[str, Any]:
        out_trade_no = _required(biz, "out_trade_no")
        subject = _required(biz, "subject")
        currency, settle = self._currencies(app_id, biz)
        total = _amount(biz, "total_amount", currency)
        lifetime = parse_timeout_express(
            biz.get("qr_code_timeout_express") or biz.get("timeout_express")
        )
        trade = self.trade(app_id, out_trade_no)
        if trade is not None:
            self._refuse_reuse(trade)
            if trade.kind != "qr" or trade.total != total or trade.subject != subject \
                    or trade.currency != currency:
                raise GatewayRefusal(
                    "ACQ.CONTEXT_INCONSISTENT", "out_trade_no was used with other details"
                )
        else:
            trade = self._new_trade(app_id, out_trade_no, total, subject, "qr", notify_url,
                                    currency=currency, settle_currency=settle)
            trade.deadline = trade.created_at + (lifetime or self.qr_timeout)
        return _ok(out_trade_no=out_trade_no, qr_code=f"{base_url}/wallet/{trade.token}")

    def pay(
        self, app_id: str, biz: dict[str, Any], notify_url: str | None, base_url: str
    ) -> dict[str, Any]:
        out_trade_no = _required(biz, "out_trade_no")
        auth_code = _required(biz, "auth_code")
        subject = _required(biz, "subject")
        currency, settle = self._currencies(app_id, biz)
        total = _amount(biz, "total_amount", currency)
        if biz.get("scene", "bar_code") != "bar_code":
            raise GatewayRefusal("ACQ.INVALID_PARAMETER", "scene must be bar_code")
        lifetime = parse_timeout_express(biz.get("timeout_express"))

        trade = self.trade(app_id, out_trade_no)
        if trade is not None:
            self._refuse_reuse(trade)
            if trade.kind != "code" or trade.total != total or trade.auth_code != auth_code \
                    or trade.currency != currency:
                raise GatewayRefusal(
                    "ACQ.CONTEXT_INCONSISTENT", "out_trade_no was used with other details"
                )
            return self._pay_answer(trade)  # still waiting: the same 10003 again

        if not AUTH_CODE_PATTERN.fullmatch(auth_code) or auth_code == CODE_INVALID:
            raise GatewayRefusal(
                SUB_AUTH_CODE_INVALID, "付款码无效，请重新扫码 (ask for a fresh code)"
            )
        if auth_code == CODE_NO_BALANCE:
            raise GatewayRefusal("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足 (balance too low)")

        trade = self._new_trade(app_id, out_trade_no, total, subject, "code", notify_url,
                                currency=currency, settle_currency=settle)
        trade.auth_code = auth_code
        self._assign_buyer(trade)
        if auth_code == CODE_NEEDS_CONFIRMATION:
            trade.deadline = trade.created_at + min(
                lifetime or self.confirm_timeout, self.confirm_timeout
            )
        else:
            self._mark_paid(trade)
        return self._pay_answer(trade)

    def query(self, app_id: str, biz: dict[str, Any]) -> dict[str, Any]:
        trade = self._existing(app_id, biz)
        paid = trade.status in (TRADE_SUCCESS, TRADE_FINISHED) or trade.paid_at is not None
        return _ok(
            trade_no=trade.trade_no,
            out_trade_no=trade.out_trade_no,
            buyer_logon_id=trade.buyer_logon_id,
            trade_status=trade.status,
            total_amount=trade.amount_text(trade.total),
            receipt_amount=trade.amount_text(trade.total if paid else 0),
            buyer_pay_amount=trade.amount_text(trade.total if paid else 0),
            point_amount="0.00",
            invoice_amount=trade.amount_text(trade.total if paid else 0),
            send_pay_date=format_time(trade.paid_at),
            buyer_user_id=trade.buyer_id,
            subject=trade.subject,
            **trade.currency_fields(paid),
        )

    def refund(self, app_id: str, biz: dict[str, Any]) -> dict[str, Any]:
        trade = self._existing(app_id, biz)
        # Alipay: without out_request_no the request stands for the whole trade's one refund.
        out_request_no = str(biz.get("out_request_no") or trade.out_trade_no)
        # Like total_amount, refund_amount is CNY unless refund_currency says otherwise.
        if (biz.get("refund_currency") or "CNY") != trade.currency:
            raise GatewayRefusal(
                SUB_AMOUNT_OR_CURRENCY_ERROR,
                f"订单金额或币种信息错误: the trade is in {trade.currency}, the refund in "
                f"{biz.get('refund_currency') or 'CNY'}")
        try:
            amount = parse_amount(biz.get("refund_amount"), trade.currency)
        except ValueError:
            raise GatewayRefusal(
                "ACQ.REASON_TRADE_REFUND_FEE_ERR", "退款金额无效 (refund amount is invalid)"
            ) from None
        earlier = trade.refunds.get(out_request_no)
        if earlier is not None:
            if earlier.amount != amount:
                raise GatewayRefusal(
                    "ACQ.CONTEXT_INCONSISTENT", "out_request_no was used with another amount"
                )
            return self._refund_answer(trade, earlier, fund_change="N")
        if trade.status == TRADE_CLOSED and trade.paid_at is not None:
            pass  # fully refunded: fall through to the amount check, which refuses
        elif trade.status != TRADE_SUCCESS:
            raise GatewayRefusal("ACQ.TRADE_STATUS_ERROR", f"trade is {trade.status}")
        if trade.refunded + amount > trade.total:
            raise GatewayRefusal(
                "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
                f"退款金额超限: {trade.amount_text(trade.total - trade.refunded)} left to refund",
            )
        refund = Refund(out_request_no, amount, self.clock())
        trade.refunds[out_request_no] = refund
        if trade.refunded == trade.total:
            trade.status = TRADE_CLOSED
            trade.closed_at = refund.at
        self._notify(trade, refund=refund)
        return self._refund_answer(trade, refund, fund_change="Y")

    def cancel(self, app_id: str, biz: dict[str, Any]) -> dict[str, Any]:
        out_trade_no = _required(biz, "out_trade_no")
        trade = self.trade(app_id, out_trade_no)
        now = self.clock()
        if trade is None:
            # Burn the number: a pay still in flight must not create the trade after this.
            trade = self._new_trade(app_id, out_trade_no, 0, "", "burned", None)
            trade.status, trade.closed_at = TRADE_CLOSED, now
            return _ok(out_trade_no=out_trade_no, retry_flag="N")
        if trade.kind == "burned":
            return _ok(out_trade_no=out_trade_no, retry_flag="N")
        if trade.status == WAIT_BUYER_PAY:
            was_visible = trade.exists
            trade.cancel_action = "close"
            self._close(trade, notify=was_visible)
        elif trade.status == TRADE_SUCCESS:
            if now - (trade.paid_at or trade.created_at) > self.cancel_window:
                raise GatewayRefusal("ACQ.TRADE_CANCEL_TIME_OUT", "超过撤销时限 (use refund)")
            refund = Refund(f"cancel-{trade.trade_no}", trade.total - trade.refunded, now)
            trade.refunds[refund.out_request_no] = refund
            trade.cancel_action = "refund"
            trade.status, trade.closed_at = TRADE_CLOSED, now
            self._notify(trade, refund=refund)
        elif trade.status == TRADE_FINISHED:
            raise GatewayRefusal("ACQ.TRADE_STATUS_ERROR", "trade is finished; it cannot be undone")
        return _ok(
            trade_no=trade.trade_no,
            out_trade_no=trade.out_trade_no,
            retry_flag="N",
            action=trade.cancel_action or "close",
            gmt_refund_pay=format_time(trade.closed_at)
            if trade.cancel_action == "refund"
            else None,
        )

    def close_trade(self, app_id: str, biz: dict[str, Any]) -> dict[str, Any]:
        trade = self._existing(app_id, biz)
        if trade.status != WAIT_BUYER_PAY:
            raise GatewayRefusal("ACQ.TRADE_STATUS_ERROR", f"trade is {trade.status}")
        self._close(trade, notify=True)
        return _ok(trade_no=trade.trade_no, out_trade_no=trade.out_trade_no)

    # ---- the shopper's side (wallet page) and the admin's

    def scan(self, trade: Trade) -> Trade:
        with self._lock:
            self._expire(trade)
            if trade.kind == "qr" and trade.status == WAIT_BUYER_PAY and not trade.scanned:
                trade.scanned = True
                self._assign_buyer(trade)
            return trade

    def approve(self, trade: Trade) -> bool:
        """The shopper confirms in the wallet. False if the trade is no longer payable."""
        with self._lock:
            self.scan(trade)
            if trade.status != WAIT_BUYER_PAY:
                return False
            self._mark_paid(trade)
            return True

    def decline(self, trade: Trade) -> bool:
        with self._lock:
            self.scan(trade)
            if trade.status != WAIT_BUYER_PAY:
                return False
            self._close(trade, notify=True)
            return True

    def finish(self, trade: Trade) -> bool:
        """End the refund period: TRADE_SUCCESS → TRADE_FINISHED, with its notification."""
        with self._lock:
            if trade.status != TRADE_SUCCESS:
                return False
            trade.status = TRADE_FINISHED
            self._notify(trade)
            return True

    def create_external(
        self,
        app_id: str,
        total: int,
        *,
        out_trade_no: str | None = None,
        subject: str = "Trade the merchant does not know",
        status: str = TRADE_SUCCESS,
        created_at: float | None = None,
        notify_url: str | None = None,
        currency: str | None = None,
    ) -> Trade:
        """A trade only the gateway knows about, for reconciliation tests (in the app's first
        pricing currency unless ``currency`` says otherwise)."""
        if status not in (WAIT_BUYER_PAY, TRADE_SUCCESS, TRADE_FINISHED, TRADE_CLOSED):
            raise ValueError(f"unknown trade status {status!r}")
        with self._lock:
            out_trade_no = out_trade_no or "EXT" + uuid.uuid4().hex[:16].upper()
            if (app_id, out_trade_no) in self._trades:
                raise ValueError(f"out_trade_no {out_trade_no} exists")
            app = self.apps[app_id]
            trade = self._new_trade(app_id, out_trade_no, total, subject, "external", notify_url,
                                    currency=currency or app.trans_currencies[0],
                                    settle_currency=app.settle_currency)
            if created_at is not None:
                trade.created_at = created_at
            self._assign_buyer(trade)
            if status != WAIT_BUYER_PAY:
                if status != TRADE_CLOSED:
                    trade.paid_at = trade.created_at
                trade.status = status
                if status == TRADE_CLOSED:
                    trade.closed_at = trade.created_at
            if status in (TRADE_SUCCESS, TRADE_FINISHED):
                self._notify(trade)
            return trade

    def sweep(self) -> None:
        """Close trades whose time to pay has passed (run by the notifier thread)."""
        with self._lock:
            for trade in list(self._trades.values()):
                self._expire(trade)

    # ---- internals (call with the lock held)

    def _new_trade(
        self,
        app_id: str,
        out_trade_no: str,
        total: int,
        subject: str,
        kind: str,
        notify_url: str | None,
        *,
        currency: str = "CNY",
        settle_currency: str = "CNY",
    ) -> Trade:
        now = self.clock()
        self._trade_seq += 1
        trade_no = (
            datetime.fromtimestamp(now, GMT8).strftime("%Y%m%d")
            + "2200"
            + (f"{self._trade_seq:06d}{secrets.randbelow(10**10):010d}")
        )
        trade = Trade(
            app_id=app_id,
            out_trade_no=out_trade_no,
            trade_no=trade_no,
            total=total,
            subject=subject,
            kind=kind,
            status=WAIT_BUYER_PAY,
            created_at=now,
            token=secrets.token_urlsafe(12),
            notify_url=notify_url,
            currency=currency,
            settle_currency=settle_currency,
        )
        self._trades[(app_id, out_trade_no)] = trade
        self._by_token[trade.token] = trade
        return trade

    def _currencies(self, app_id: str, biz: dict[str, Any]) -> tuple[str, str]:
        """The trade's pricing and settlement currencies, as the merchant's contract allows.

        Alipay reads total_amount in CNY unless trans_currency says otherwise; a domestic
        merchant cannot use either field for anything but CNY.
        """
        app = self.apps[app_id]
        currency = str(biz.get("trans_currency") or "CNY").upper()
        settle = str(biz.get("settle_currency") or app.settle_currency).upper()
        if currency not in CURRENCIES or settle not in CURRENCIES:
            raise GatewayRefusal(SUB_CURRENCY_NOT_SUPPORT, f"订单币种不支持: {currency}/{settle}")
        if currency not in app.trans_currencies:
            signed = ", ".join(app.trans_currencies)
            hint = "" if biz.get("trans_currency") else (
                " (no trans_currency was given, so total_amount was read in CNY)")
            raise GatewayRefusal(
                SUB_CURRENCY_NOT_SUPPORT,
                f"订单币种不支持: this merchant prices in {signed}, not {currency}{hint}")
        if settle != app.settle_currency:
            raise GatewayRefusal(
                SUB_CURRENCY_NOT_SUPPORT,
                f"订单币种不支持: this merchant settles in {app.settle_currency}, not {settle}")
        return currency, settle

    def _existing(self, app_id: str, biz: dict[str, Any]) -> Trade:
        """The trade named by out_trade_no (or trade_no), as the merchant may see it."""
        trade = None
        if biz.get("out_trade_no"):
            trade = self.trade(app_id, str(biz["out_trade_no"]))
        elif biz.get("trade_no"):
            trade = next(
                (
                    t
                    for t in self._trades.values()
                    if t.app_id == app_id and t.trade_no == biz["trade_no"]
                ),
                None,
            )
        else:
            raise GatewayRefusal("ACQ.INVALID_PARAMETER", "out_trade_no or trade_no is required")
        if trade is None or not trade.exists:
            raise GatewayRefusal(SUB_TRADE_NOT_EXIST, "交易不存在 (trade does not exist)")
        return trade

    @staticmethod
    def _refuse_reuse(trade: Trade) -> None:
        if trade.status in (TRADE_SUCCESS, TRADE_FINISHED):
            raise GatewayRefusal("ACQ.TRADE_HAS_SUCCESS", "交易已被支付 (already paid)")
        if trade.status == TRADE_CLOSED:
            raise GatewayRefusal("ACQ.TRADE_HAS_CLOSE", "交易已经关闭 (use a new out_trade_no)")

    def _pay_answer(self, trade: Trade) -> dict[str, Any]:
        fields = {
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "buyer_logon_id": trade.buyer_logon_id,
            "total_amount": trade.amount_text(trade.total),
            "buyer_user_id": trade.buyer_id,
            **trade.currency_fields(trade.status != WAIT_BUYER_PAY),
        }
        if trade.status == WAIT_BUYER_PAY:
            return {
                "code": "10003",
                "msg": "Order success pay inprocess",
                **{k: v for k, v in fields.items() if v is not None},
            }
        return _ok(
            **fields,
            receipt_amount=trade.amount_text(trade.total),
            buyer_pay_amount=trade.amount_text(trade.total),
            gmt_payment=format_time(trade.paid_at),
            fund_bill_list=[
                {"fund_channel": "ALIPAYACCOUNT", "amount": trade.amount_text(trade.total)}
            ],
        )

    def _refund_answer(self, trade: Trade, refund: Refund, fund_change: str) -> dict[str, Any]:
        return _ok(
            trade_no=trade.trade_no,
            out_trade_no=trade.out_trade_no,
            buyer_logon_id=trade.buyer_logon_id,
            fund_change=fund_change,
            refund_fee=trade.amount_text(trade.refunded),
            send_back_fee=trade.amount_text(refund.amount),
            refund_currency=trade.currency if trade.cross_border else None,
            gmt_refund_pay=format_time(refund.at),
            buyer_user_id=trade.buyer_id,
        )

    def _assign_buyer(self, trade: Trade) -> None:
        if trade.buyer_id is None:
            trade.buyer_id = "2088" + f"{secrets.randbelow(10**12):012d}"
            trade.buyer_logon_id = (
                f"1{secrets.randbelow(100):02d}****{secrets.randbelow(10**4):04d}"
            )

    def _mark_paid(self, trade: Trade) -> None:
        trade.status = TRADE_SUCCESS
        trade.paid_at = self.clock()
        trade.deadline = None
        self._notify(trade)

    def _close(self, trade: Trade, *, notify: bool) -> None:
        trade.status = TRADE_CLOSED
        trade.closed_at = self.clock()
        trade.deadline = None
        if notify:
            self._notify(trade)

    def _expire(self, trade: Trade) -> None:
        if (
            trade.status == WAIT_BUYER_PAY
            and trade.deadline is not None
            and self.clock() >= trade.deadline
        ):
            self._close(trade, notify=trade.exists)

    def _notify(self, trade: Trade, refund: Refund | None = None) -> None:
        """Queue the signed trade_status_sync notification, bent by any fault switches."""
        if not trade.notify_url:
            return
        paid = trade.paid_at is not None
        form = {
            "notify_time": format_time(self.clock()),
            "notify_type": "trade_status_sync",
            "notify_id": uuid.uuid4().hex,
            "app_id": trade.app_id,
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "out_biz_no": refund.out_request_no if refund else None,
            "buyer_id": trade.buyer_id,
            "buyer_logon_id": trade.buyer_logon_id,
            "seller_id": self.apps[trade.app_id].seller_id if trade.app_id in self.apps else SELLER_ID,
            "trade_status": trade.status,
            "total_amount": trade.amount_text(trade.total),
            "receipt_amount": trade.amount_text(trade.total) if paid else None,
            "buyer_pay_amount": trade.amount_text(trade.total) if paid else None,
            "refund_fee": trade.amount_text(trade.refunded) if trade.refunds else None,
            **trade.currency_fields(paid),
            "subject": trade.subject,
            "gmt_create": format_time(trade.created_at),
            "gmt_payment": format_time(trade.paid_at),
            "gmt_refund": format_time(refund.at) if refund else None,
            "gmt_close": format_time(trade.closed_at),
        }
        form = {k: v for k, v in form.items() if v is not None}
        faults = self.faults
        info: dict[str, Any] = {}
        if faults.take("wrong_amount_notifications"):
            form["total_amount"] = trade.amount_text(trade.total + 100)
            info["wrong_amount"] = True
        key = self.private_key
        if faults.take("forged_notifications"):
            key = _forgery_key()
            info["forged"] = True
        form["sign"] = crypto.sign(key, crypto.content_to_sign(form, ("sign", "sign_type")))
        delay = 0.0
        if faults.take("out_of_order_notifications"):
            delay = float(faults.value("out_of_order_hold_seconds"))
            info["held_seconds"] = delay
        self.notifier.send(trade.notify_url, form, delay=delay, **info)
        if faults.take("duplicate_notifications"):
            self.notifier.send(trade.notify_url, form, delay=delay, duplicate=True, **info)


def _required(biz: dict[str, Any], name: str) -> str:
    value = biz.get(name)
    if value in (None, ""):
        raise GatewayRefusal("isv.missing-parameter", f"{name} is required", code="40001")
    return str(value)


def _amount(biz: dict[str, Any], name: str, currency: str) -> int:
    try:
        return parse_amount(_required(biz, name), currency)
    except ValueError as exc:
        raise GatewayRefusal("ACQ.INVALID_PARAMETER", str(exc)) from None
