"""The payment-code flow at the till: charge the code the cashier scanned, end paid or cancelled.

Alipay's protocol (docs/PAYMENTS.md): on ``10003`` query every few seconds for about a minute;
only ``TRADE_SUCCESS`` or ``TRADE_FINISHED`` is paid; when time runs out or the cashier gives
up, cancel at once. An unknown
outcome (timeout, ``20000``, unsigned answer) is queried, then cancelled. Every trade this flow
starts ends either paid or cancelled, unless the gateway cannot be reached at all, in which case
the result says ``UNRESOLVED`` and the caller must cancel later (cancel works for 24 hours).

Framework-free; the server's worker runs it as a leased job (``payments.charge_code``), and a
worker that takes the job over from one that died resumes with :func:`resume_payment_code`;
the tests run it directly.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from retail.money import Money

from .gateway import (
    SUB_TRADE_HAS_SUCCESS,
    SUB_TRADE_NOT_EXIST,
    AlipayGateway,
    CancelResult,
    GatewayResult,
    Outcome,
    QueryResult,
    TradeStatus,
)

# Set by the cashier's "give up" button, or a callable that says whether they pressed it.
GiveUp = threading.Event | Callable[[], bool]


class CodePaymentStatus(enum.StrEnum):
    PAID = "paid"
    FAILED = "failed"  # the gateway refused or the shopper declined: nothing was paid
    CANCELLED = "cancelled"  # we cancelled the trade: nothing was paid, or it was refunded
    UNRESOLVED = "unresolved"  # could not settle: cancel later, the trade may be open


@dataclass(frozen=True)
class PollPolicy:
    """How long to wait for a shopper. Production: every 3–6 s for about 60 s."""

    interval: float = 3.0
    limit: float = 60.0
    cancel_attempts: int = 5
    cancel_retry_interval: float = 1.0


@dataclass(frozen=True, kw_only=True)
class CodePaymentResult:
    status: CodePaymentStatus
    out_trade_no: str
    amount: Money
    trade_no: str | None = None
    sub_code: str | None = None  # the gateway's reason on FAILED (e.g. a fresh code is needed)
    reason: str = ""
    refunded_by_cancel: bool = False  # paid at the last moment, and cancel gave the money back
    calls: tuple[GatewayResult, ...] = field(default=(), repr=False)

    @property
    def paid(self) -> bool:
        return self.status is CodePaymentStatus.PAID


class _Waiter:
    """Sleeps that end early when the cashier gives up."""

    def __init__(self, give_up: GiveUp | None, sleep: Callable[[float], None]) -> None:
        self._give_up = give_up
        self._sleep = sleep

    def gave_up(self) -> bool:
        if self._give_up is None:
            return False
        if isinstance(self._give_up, threading.Event):
            return self._give_up.is_set()
        return bool(self._give_up())

    def wait(self, seconds: float) -> bool:
        """Wait ``seconds``; True if the cashier gave up meanwhile."""
        if isinstance(self._give_up, threading.Event):
            return self._give_up.wait(max(seconds, 0.0))
        end = time.monotonic() + seconds
        while True:
            if self.gave_up():
                return True
            left = end - time.monotonic()
            if left <= 0:
                return False
            self._sleep(min(left, 0.05))


def charge_payment_code(
    gateway: AlipayGateway,
    *,
    out_trade_no: str,
    auth_code: str,
    amount: Money,
    subject: str,
    policy: PollPolicy | None = None,
    give_up: GiveUp | None = None,
    notify_url: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    before_pay: Callable[[], None] | None = None,
) -> CodePaymentResult:
    """Charge a payment code and settle the trade: paid, failed, or cancelled.

    A retry after FAILED or CANCELLED must use a new ``out_trade_no`` (the gateway answers
    ``ACQ.TRADE_HAS_CLOSE`` to a closed one). ``before_pay`` runs just before the pay request
    goes out (the server's job writes down that it may have reached the gateway).
    """
    policy = policy or PollPolicy()
    flow = _Flow(gateway, out_trade_no, amount, policy, _Waiter(give_up, sleep), sleep)
    deadline = time.monotonic() + policy.limit

    if before_pay is not None:
        before_pay()
    pay = gateway.pay(out_trade_no, auth_code, amount, subject, notify_url=notify_url)
    flow.calls.append(pay)
    if pay.outcome is Outcome.SUCCESS:
        if pay.total_amount is not None and pay.total_amount != amount:
            return flow.result(CodePaymentStatus.UNRESOLVED, reason="paid amount differs")
        return flow.result(CodePaymentStatus.PAID, trade_no=pay.trade_no, reason="paid at once")
    if pay.outcome is Outcome.FAILED:
        if pay.sub_code == SUB_TRADE_HAS_SUCCESS:
            # A retry of a trade that was paid after all: the query tells us for what amount.
            return flow.settle_after_query(gateway.query(out_trade_no))
        return flow.result(
            CodePaymentStatus.FAILED, sub_code=pay.sub_code, reason=pay.sub_msg or pay.msg or ""
        )
    return flow.poll(deadline, after_unknown=pay.outcome is Outcome.UNKNOWN)


def resume_payment_code(
    gateway: AlipayGateway,
    *,
    out_trade_no: str,
    amount: Money,
    seconds_left: float,
    policy: PollPolicy | None = None,
    give_up: GiveUp | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> CodePaymentResult:
    """Take over a charge whose pay request went out from a flow that died (a worker killed
    while the shopper confirmed): its outcome is unknown, so query at once, wait for the shopper
    for what is left of the time (``seconds_left``), and cancel if it does not end. The pay is
    never sent again."""
    policy = policy or PollPolicy()
    flow = _Flow(gateway, out_trade_no, amount, policy, _Waiter(give_up, sleep), sleep)
    return flow.poll(time.monotonic() + max(0.0, seconds_left), after_unknown=True)


class _Flow:
    def __init__(
        self,
        gateway: AlipayGateway,
        out_trade_no: str,
        amount: Money,
        policy: PollPolicy,
        waiter: _Waiter,
        sleep: Callable[[float], None],
    ) -> None:
        self.gateway = gateway
        self.out_trade_no = out_trade_no
        self.amount = amount
        self.policy = policy
        self.waiter = waiter
        self.sleep = sleep
        self.calls: list[GatewayResult] = []

    def result(self, status: CodePaymentStatus, **kwargs: object) -> CodePaymentResult:
        return CodePaymentResult(
            status=status,
            out_trade_no=self.out_trade_no,
            amount=self.amount,
            calls=tuple(self.calls),
            **kwargs,  # type: ignore[arg-type]
        )

    def query(self) -> QueryResult:
        result = self.gateway.query(self.out_trade_no)
        self.calls.append(result)
        return result

    def settled_by(self, query: QueryResult) -> CodePaymentResult | None:
        """The final result if this query settles the trade, else None."""
        if query.paid:
            if query.total_amount != self.amount:
                return self.result(
                    CodePaymentStatus.UNRESOLVED,
                    trade_no=query.trade_no,
                    reason=f"paid {query.total_amount}, expected {self.amount}",
                )
            return self.result(CodePaymentStatus.PAID, trade_no=query.trade_no, reason="paid")
        if query.ok and query.trade_status is TradeStatus.TRADE_CLOSED:
            return self.result(
                CodePaymentStatus.FAILED,
                trade_no=query.trade_no,
                sub_code="TRADE_CLOSED",
                reason="the shopper declined or the trade timed out",
            )
        return None

    def settle_after_query(self, query: QueryResult) -> CodePaymentResult:
        self.calls.append(query)
        return self.settled_by(query) or self.cancel("trade not settled")

    def poll(self, deadline: float, *, after_unknown: bool) -> CodePaymentResult:
        # After an unknown outcome we ask at once; after 10003 the shopper needs a moment.
        first = after_unknown
        reason = "timed out waiting for the shopper"
        while True:
            if first:
                first = False
            else:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                if self.waiter.wait(min(self.policy.interval, left)):
                    reason = "the cashier gave up"
                    break
            query = self.query()
            settled = self.settled_by(query)
            if settled is not None:
                return settled
            if after_unknown and query.exists is False:
                # The pay never reached the trade book; cancel so a late copy cannot create it.
                reason = "payment request did not arrive"
                break
            if self.waiter.gave_up():
                reason = "the cashier gave up"
                break
        return self.cancel(reason)

    def cancel(self, reason: str) -> CodePaymentResult:
        """Cancel until the gateway gives a definite answer (retry_flag=Y means call again)."""
        last: CancelResult | None = None
        for attempt in range(self.policy.cancel_attempts):
            if attempt:
                # The cashier has already given up; this wait is not interruptible.
                self.sleep(self.policy.cancel_retry_interval)
            last = self.gateway.cancel(self.out_trade_no)
            self.calls.append(last)
            if last.retry or last.outcome is Outcome.UNKNOWN:
                continue
            if last.outcome is Outcome.SUCCESS:
                refunded = last.action == "refund"
                return self.result(
                    CodePaymentStatus.CANCELLED,
                    trade_no=last.trade_no,
                    refunded_by_cancel=refunded,
                    reason=reason
                    + ("; it was paid meanwhile and cancel refunded it" if refunded else ""),
                )
            if last.sub_code == SUB_TRADE_NOT_EXIST:
                return self.result(CodePaymentStatus.CANCELLED, reason=reason + "; no trade")
            break  # a definite refusal (e.g. past the 24 h cancel window): a person must look
        return self.result(
            CodePaymentStatus.UNRESOLVED,
            sub_code=last.sub_code if last else None,
            reason=f"{reason}; cancel did not settle the trade, cancel again later",
        )
