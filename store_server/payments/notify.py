"""The gateway's asynchronous notifications: verify, check, apply once, answer.

Order of checks (docs/ARCHITECTURE.md, promise 6): the signature (with ``sign`` and ``sign_type``
removed), then our app id and merchant (``seller_id``), the account's currency, an out_trade_no
we issued, and the exact amount of that payment. Anything that fails answers ``fail`` and
changes nothing; the gateway retries, which is harmless since a forged or wrong message stays
wrong. Processing is idempotent: a repeat, or an older status arriving late, changes nothing
and still answers ``success`` so the gateway stops. Every notification is logged, accepted or
not.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from retail.money import Money

from .gateway import NotificationRejected, check_notification
from .models import PaymentAttempt, PaymentIntent
from .runtime import GatewayUnavailable, Payments, record_gateway_call
from .service import apply_trade_status

log = logging.getLogger(__name__)

SUCCESS = "success"
FAIL = "fail"


def receive_alipay_notification(session: Session, payments: Payments, form: Mapping[str, str]) -> str:
    """Process one notification form; returns the plain-text answer for the gateway."""
    answer, outcome = FAIL, "rejected"
    try:
        gateway = payments.gateway()
        verified = gateway.verify_notification(form)
        row = session.execute(
            select(PaymentIntent.amount, PaymentIntent.currency)
            .join(PaymentAttempt, PaymentAttempt.intent_id == PaymentIntent.id)
            .where(PaymentAttempt.out_trade_no == verified.out_trade_no)
        ).first()
        session.rollback()
        if row is None:
            raise NotificationRejected("out_trade_no", f"{verified.out_trade_no!r} is not one of ours")
        amount, currency = row
        check_notification(verified, verified.out_trade_no, Money(amount, currency), gateway.app_id,
                           gateway.config.seller_id)
        changed = apply_trade_status(
            session, payments, out_trade_no=verified.out_trade_no, status=verified.trade_status,
            trade_no=verified.trade_no, source="notification", refund_request_no=verified.out_biz_no,
            refund_fee=verified.refund_fee)
        answer = SUCCESS
        outcome = f"accepted: {verified.trade_status}" + ("" if changed else " (nothing new)")
    except NotificationRejected as exc:
        log.warning("notification rejected: %s", exc)
        outcome = f"rejected: {exc.reason}"
    except GatewayUnavailable as exc:
        outcome = f"rejected: {exc.detail}"
    finally:
        try:
            record_gateway_call(payments.session_factory, kind="notification",
                                method=str(form.get("notify_type") or "notification"),
                                request=dict(form), response=answer, outcome=outcome)
        except Exception:  # the audit row must not turn an applied notification into a retry
            log.exception("could not log a notification")
    return answer
