"""The sandbox gateway's trade book: what precreate, pay, query, refund, cancel and close do.

Behaviour follows PROTOCOLS.md (and Alipay's documentation where that is silent):

- A precreated QR trade does not exist for query/close until the wallet scans it.
- Payment codes are 16–24 digits starting 25–30; the test codes below choose the outcome.
- Refunds are idempotent per out_request_no (``fund_change: "N"`` on a repeat) and
  ``refund_fee`` is cumulative; a trade refunded in full becomes ``TRADE_CLOSED``.
- Cancel closes an unpaid trade (``action: close``) or refunds a paid one (``action: refund``)
  within 24 h; cancelling an unknown out_trade_no succeeds and burns the number, so a late
  copy of the pay cannot create the trade afterwards. Close works on unpaid trades only.

Sandbox simplification: declining in the wallet closes the trade at once (a real wallet leaves
it waiting until it times out). Trades live in memory; keys and apps live in the state dir.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
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

MAX_AMOUNT_FEN = 100_000_000_00  # Alipay's ceiling: 100,000,000.00 CNY
SELLER_ID = "2088102000000001"
SUB_AUTH_CODE_INVALID = "ACQ.PAYMENT_AUTH_CODE_INVALID"
SUB_TRADE_NOT_EXIST = "ACQ.TRADE_NOT_EXIST"


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


def parse_amount(text: Any) -> int:
    """``"12.50"`` → 1250 fen; at most two decimals, positive, at most Alipay's ceiling."""
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not an amount")
    fen = value * 100
    if fen != fen.to_integral_value() or fen <= 0 or fen > MAX_AMOUNT_FEN:
        raise ValueError(f"{text!r} is not a valid amount")
    return int(fen)


def format_amount(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


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
            "total_amount": format_amount(self.total),
            "refund_fee": format_amount(self.refunded),
            "subject": self.subject,
            "gmt_create": format_time(self.created_at),
            "gmt_payment": format_time(self.paid_at),
            "gmt_close": format_time(self.closed_at),
            "buyer_id": self.buyer_id,
            "wallet_token": self.token,
            "refunds": [
                {
                    "out_request_no": r.out_request_no,
                    "refund_amount": format_amount(r.amount),
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
        self.notifier.stop()

    # ---- apps

    def register_app(
        self, public_key_pem: str, name: str | None = None, app_id: str | None = None
    ) -> App:
        key = crypto.load_public_key(public_key_pem)
        with self._lock:
            app_id = app_id or "2021" + "".join(secrets.choice("0123456789") for _ in range(12))
            app = App(app_id, key, crypto.public_key_pem(key), name or "Plaza sandbox merchant")
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
        total = _amount(biz, "total_amount")
        lifetime = parse_timeout_express(
            biz.get("qr_code_timeout_express") or biz.get("timeout_express")
        )
        trade = self.trade(app_id, out_trade_no)
        if trade is not None:
            self._refuse_reuse(trade)
            if trade.kind != "qr" or trade.total != total or trade.subject != subject:
                raise GatewayRefusal(
                    "ACQ.CONTEXT_INCONSISTENT", "out_trade_no was used with other details"
                )
        else:
            trade = self._new_trade(app_id, out_trade_no, total, subject, "qr", notify_url)
            trade.deadline = trade.created_at + (lifetime or self.qr_timeout)
        return _ok(out_trade_no=out_trade_no, qr_code=f"{base_url}/wallet/{trade.token}")

    def pay(
        self, app_id: str, biz: dict[str, Any], notify_url: str | None, base_url: str
    ) -> dict[str, Any]:
        out_trade_no = _required(biz, "out_trade_no")
        auth_code = _required(biz, "auth_code")
        subject = _required(biz, "subject")
        total = _amount(biz, "total_amount")
        if biz.get("scene", "bar_code") != "bar_code":
            raise GatewayRefusal("ACQ.INVALID_PARAMETER", "scene must be bar_code")
        lifetime = parse_timeout_express(biz.get("timeout_express"))

        trade = self.trade(app_id, out_trade_no)
        if trade is not None:
            self._refuse_reuse(trade)
            if trade.kind != "code" or trade.total != total or trade.auth_code != auth_code:
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

        trade = self._new_trade(app_id, out_trade_no, total, subject, "code", notify_url)
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
            total_amount=format_amount(trade.total),
            receipt_amount=format_amount(trade.total if paid else 0),
            buyer_pay_amount=format_amount(trade.total if paid else 0),
            point_amount="0.00",
            invoice_amount=format_amount(trade.total if paid else 0),
            send_pay_date=format_time(trade.paid_at),
            buyer_user_id=trade.buyer_id,
            subject=trade.subject,
        )

    def refund(self, app_id: str, biz: dict[str, Any]) -> dict[str, Any]:
        trade = self._existing(app_id, biz)
        # Alipay: without out_request_no the request stands for the whole trade's one refund.
        out_request_no = str(biz.get("out_request_no") or trade.out_trade_no)
        try:
            amount = parse_amount(biz.get("refund_amount"))
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
                f"退款金额超限: {format_amount(trade.total - trade.refunded)} left to refund",
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
    ) -> Trade:
        """A trade only the gateway knows about, for reconciliation tests."""
        if status not in (WAIT_BUYER_PAY, TRADE_SUCCESS, TRADE_FINISHED, TRADE_CLOSED):
            raise ValueError(f"unknown trade status {status!r}")
        with self._lock:
            out_trade_no = out_trade_no or "EXT" + uuid.uuid4().hex[:16].upper()
            if (app_id, out_trade_no) in self._trades:
                raise ValueError(f"out_trade_no {out_trade_no} exists")
            trade = self._new_trade(app_id, out_trade_no, total, subject, "external", notify_url)
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
        )
        self._trades[(app_id, out_trade_no)] = trade
        self._by_token[trade.token] = trade
        return trade

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
            "total_amount": format_amount(trade.total),
            "buyer_user_id": trade.buyer_id,
        }
        if trade.status == WAIT_BUYER_PAY:
            return {
                "code": "10003",
                "msg": "Order success pay inprocess",
                **{k: v for k, v in fields.items() if v is not None},
            }
        return _ok(
            **fields,
            receipt_amount=format_amount(trade.total),
            buyer_pay_amount=format_amount(trade.total),
            gmt_payment=format_time(trade.paid_at),
            fund_bill_list=[
                {"fund_channel": "ALIPAYACCOUNT", "amount": format_amount(trade.total)}
            ],
        )

    def _refund_answer(self, trade: Trade, refund: Refund, fund_change: str) -> dict[str, Any]:
        return _ok(
            trade_no=trade.trade_no,
            out_trade_no=trade.out_trade_no,
            buyer_logon_id=trade.buyer_logon_id,
            fund_change=fund_change,
            refund_fee=format_amount(trade.refunded),
            send_back_fee=format_amount(refund.amount),
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
            "seller_id": SELLER_ID,
            "trade_status": trade.status,
            "total_amount": format_amount(trade.total),
            "receipt_amount": format_amount(trade.total) if paid else None,
            "buyer_pay_amount": format_amount(trade.total) if paid else None,
            "refund_fee": format_amount(trade.refunded) if trade.refunds else None,
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
            form["total_amount"] = format_amount(trade.total + 100)
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


def _amount(biz: dict[str, Any], name: str) -> int:
    try:
        return parse_amount(_required(biz, name))
    except ValueError as exc:
        raise GatewayRefusal("ACQ.INVALID_PARAMETER", str(exc)) from None
