"""Helpers the store-server payment tests share: the shopper's wallet, the sandbox's delivery
log, and what our database says."""

from __future__ import annotations

import time

import requests
from sqlalchemy import func, select

from store_server.events.models import Event
from store_server.payments.models import GatewayCall, PaymentIntent


def approve_in_wallet(qr_code: str) -> None:
    """What the shopper does: open the QR's URL on the phone, press Pay."""
    assert requests.get(qr_code, timeout=5).status_code == 200
    assert requests.post(qr_code, data={"action": "approve"}, timeout=5).status_code == 200


def settle_notifications(shop, out_trade_no: str, count: int = 1, timeout: float = 10) -> list[dict]:
    """The sandbox's delivery log once ``count`` notifications are delivered or given up."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        records = shop.sandbox.notifications(out_trade_no)
        done = [r for r in records if r["delivered"] or r.get("gave_up")]
        if len(done) >= count and len(done) == len(records):
            return records
        time.sleep(0.05)
    raise AssertionError(f"notifications for {out_trade_no} did not settle: {records}")


def status_in_db(shop, payment: dict) -> str:
    shop.chain.session.rollback()
    return shop.chain.session.execute(
        select(PaymentIntent.status).where(PaymentIntent.public_id == payment["id"])).scalar_one()


def notification_log(shop, out_trade_no: str) -> list[GatewayCall]:
    shop.chain.session.rollback()
    return list(shop.chain.session.execute(
        select(GatewayCall)
        .where(GatewayCall.kind == "notification", GatewayCall.out_trade_no == out_trade_no)
        .order_by(GatewayCall.id)).scalars())


def paid_events(shop, payment: dict) -> int:
    shop.chain.session.rollback()
    return shop.chain.session.execute(select(func.count()).select_from(Event).where(
        Event.type == "payment.paid", Event.resource_id == payment["id"])).scalar_one()
