"""Managing webhook subscriptions and looking at, replaying and testing their deliveries.

Admins subscribe a URL to event types; the worker (``webhooks.worker``) does the sending.
A new subscription starts at the current end of the event log: it receives what happens from
now on, not the history.
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any, Literal
from urllib.parse import urlsplit

import orjson
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from store_server.api.auth import Principal
from store_server.api.pagination import decode_cursor, page
from store_server.db import transaction, utcnow
from store_server.errors import Conflict, NotFound
from store_server.events.service import last_seq
from store_server.sealing import is_sealed, seal, unseal
from store_server.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from store_server.webhooks.signing import EVENT_ID_HEADER
from store_server.webhooks.worker import event_id, post_signed

# "stock.changed", "order.*", "*": lowercase dotted names, a trailing ".*" for a whole family.
_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$")


class SubscriptionIn(BaseModel):
    url: str = Field(max_length=500, description="http(s) URL that receives the POSTs")
    event_types: list[str] = Field(
        min_length=1, max_length=50,
        description="exact types (stock.changed) or families (order.*, payment.*); * for all",
    )
    description: str = Field("", max_length=200)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("give an http:// or https:// URL with a host, e.g. https://shop.example/hooks")
        if parts.username or parts.password:
            raise ValueError("put no credentials in the URL; verify the Plaza-Signature header instead")
        if parts.fragment:
            raise ValueError("a URL fragment (#...) is never sent; remove it")
        try:
            parts.port  # noqa: B018 - raises on a port out of range
        except ValueError as exc:
            raise ValueError("the URL's port is not a number between 1 and 65535") from exc
        return url.strip()

    @field_validator("event_types")
    @classmethod
    def _patterns(cls, patterns: list[str]) -> list[str]:
        bad = [p for p in patterns if not _PATTERN.match(p)]
        if bad:
            raise ValueError(
                f"not an event type or pattern: {', '.join(bad)}; use names like stock.changed, "
                "families like order.*, or * for every event"
            )
        return sorted(set(patterns))


class DeliveriesQuery(BaseModel):
    status: Literal["pending", "delivered", "failed"] | None = None
    cursor: str | None = Field(None, description="`next_cursor` from the previous page")
    limit: int = Field(50, ge=1, le=200)


def _status(sub: WebhookSubscription) -> str:
    if sub.deleted_at is not None:
        return "deleted"
    return "active" if sub.active else "paused"


def subscription_document(sub: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": sub.id, "url": sub.url, "event_types": sub.event_types,
        "description": sub.description, "active": sub.active, "status": _status(sub),
        "last_seq": sub.last_seq, "created_by": sub.created_by,
        "created_at": sub.created_at.isoformat(),
        "deleted_at": sub.deleted_at.isoformat() if sub.deleted_at else None,
    }


def _get(session: Session, subscription_id: int) -> WebhookSubscription:
    sub = session.execute(
        select(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if sub is None:
        raise NotFound(f"no webhook subscription {subscription_id}; list them with GET /webhooks")
    return sub


def create_subscription(session: Session, data: SubscriptionIn, by: Principal,
                        sealing_key: str) -> dict[str, Any]:
    """Subscribe ``data.url``; the answer carries the signing secret, which is never shown again
    (it is stored sealed with ``sealing_key``)."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    with transaction(session):
        sub = WebhookSubscription(
            url=data.url, event_types=data.event_types, description=data.description,
            secret=seal(sealing_key, secret), active=True,
            last_seq=last_seq(session), created_by=by.key, created_at=utcnow(),
        )
        session.add(sub)
        session.flush()
        return {**subscription_document(sub), "secret": secret}


def seal_clear_secrets(session: Session, sealing_key: str) -> int:
    """Seal secrets stored before sealing existed; returns how many."""
    with transaction(session):
        subs = [s for s in session.execute(select(WebhookSubscription).with_for_update()).scalars()
                if not is_sealed(s.secret)]
        for sub in subs:
            sub.secret = seal(sealing_key, sub.secret)
        return len(subs)


def list_subscriptions(session: Session, include_deleted: bool = False) -> list[dict[str, Any]]:
    stmt = select(WebhookSubscription).order_by(WebhookSubscription.id)
    if not include_deleted:
        stmt = stmt.where(WebhookSubscription.deleted_at.is_(None))
    subs = session.scalars(stmt.execution_options(populate_existing=True))
    return [subscription_document(s) for s in subs]


def get_subscription(session: Session, subscription_id: int) -> dict[str, Any]:
    """The subscription with how many of its deliveries are pending, delivered and failed."""
    sub = _get(session, subscription_id)
    counts = dict(session.execute(
        select(WebhookDelivery.status, func.count())
        .where(WebhookDelivery.subscription_id == sub.id).group_by(WebhookDelivery.status)
    ).all())
    return {
        **subscription_document(sub),
        "deliveries": {s: counts.get(s, 0) for s in ("pending", "delivered", "failed")},
    }


def set_active(session: Session, subscription_id: int, active: bool) -> dict[str, Any]:
    """Pause or resume. A paused subscription keeps its place in the event log, so on resume
    it receives the events that happened meanwhile; nothing is sent while it is paused."""
    with transaction(session):
        sub = _get(session, subscription_id)
        if sub.deleted_at is not None:
            raise Conflict("this subscription was deleted; create a new one")
        sub.active = active
        return subscription_document(sub)


def delete_subscription(session: Session, subscription_id: int) -> dict[str, Any]:
    """Stop for good: no new deliveries, and the ones still pending are marked failed. The rows
    stay so the history of what was sent remains visible."""
    with transaction(session):
        sub = _get(session, subscription_id)
        if sub.deleted_at is not None:
            return subscription_document(sub)
        sub.active = False
        sub.deleted_at = utcnow()
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == sub.id, WebhookDelivery.status == "pending")
            .values(status="failed", last_error="the subscription was deleted",
                    locked_until=None, lease_token=None)
            .execution_options(synchronize_session=False)
        )
        return subscription_document(sub)


def delivery_document(d: WebhookDelivery, attempts: list[WebhookAttempt]) -> dict[str, Any]:
    return {
        "id": d.id, "subscription_id": d.subscription_id, "event_id": event_id(d.event_seq),
        "event_seq": d.event_seq, "event_type": d.event_type, "resource": d.resource,
        "status": d.status, "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at.isoformat() if d.status == "pending" else None,
        "last_status_code": d.last_status_code, "last_error": d.last_error,
        "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
        "replayed_at": d.replayed_at.isoformat() if d.replayed_at else None,
        "created_at": d.created_at.isoformat(),
        "attempt_log": [
            {"attempted_at": a.attempted_at.isoformat(), "status_code": a.status_code,
             "error": a.error, "duration_ms": a.duration_ms}
            for a in attempts
        ],
    }


def _attempts_of(session: Session, delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    by_delivery: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        for a in session.scalars(
            select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.id)
        ):
            by_delivery[a.delivery_id].append(a)
    return by_delivery


def list_deliveries(session: Session, subscription_id: int, q: DeliveriesQuery) -> dict[str, Any]:
    """Newest first, each with its attempts; page on with ``next_cursor``."""
    _get(session, subscription_id)
    stmt = (
        select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc()).limit(q.limit + 1)
        .execution_options(populate_existing=True)
    )
    if q.status:
        stmt = stmt.where(WebhookDelivery.status == q.status)
    after = decode_cursor(q.cursor)
    if after is not None:
        stmt = stmt.where(WebhookDelivery.id < after)
    result = page(list(session.scalars(stmt)), q.limit, key=lambda d: d.id)
    attempts = _attempts_of(session, [d.id for d in result["items"]])
    result["items"] = [delivery_document(d, attempts[d.id]) for d in result["items"]]
    return result


def _get_delivery(session: Session, subscription_id: int, delivery_id: int) -> WebhookDelivery:
    delivery = session.execute(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id,
                                      WebhookDelivery.subscription_id == subscription_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if delivery is None:
        raise NotFound(f"subscription {subscription_id} has no delivery {delivery_id}")
    return delivery


def get_delivery(session: Session, subscription_id: int, delivery_id: int) -> dict[str, Any]:
    delivery = _get_delivery(session, subscription_id, delivery_id)
    return delivery_document(delivery, _attempts_of(session, [delivery.id])[delivery.id])


def replay_delivery(session: Session, subscription_id: int, delivery_id: int) -> dict[str, Any]:
    """Queue the delivery again now, with a fresh retry budget and the same event id.

    Earlier attempts stay in its log. The receiver gets the event again and, if it already
    processed that id, ignores it; an old event replayed after newer ones of the same resource
    is recognisable by its lower ``seq``.
    """
    with transaction(session):
        sub = _get(session, subscription_id)
        if sub.deleted_at is not None:
            raise Conflict("this subscription was deleted; create a new one to receive events")
        delivery = _get_delivery(session, subscription_id, delivery_id)
        now = utcnow()
        if delivery.status == "pending" and delivery.locked_until and delivery.locked_until > now:
            raise Conflict("this delivery is being sent right now; look at it again in a moment")
        delivery.status = "pending"
        delivery.attempts_at_replay = delivery.attempts
        delivery.next_attempt_at = now
        delivery.delivered_at = None
        delivery.replayed_at = now
        return delivery_document(delivery, _attempts_of(session, [delivery.id])[delivery.id])


def send_test(session: Session, subscription_id: int, timeout_s: float,
              sealing_key: str) -> dict[str, Any]:
    """POST a signed ``ping`` to the subscription's URL now and say what the receiver answered.

    The ping is not an event: it has its own id, is not retried and is not kept.
    """
    sub = _get(session, subscription_id)
    if sub.deleted_at is not None:
        raise Conflict("this subscription was deleted; create a new one")
    url, secret, sid = sub.url, unseal(sealing_key, sub.secret), sub.id
    session.rollback()  # the request below must not hold a database transaction open
    ping_id = "ping_" + uuid.uuid4().hex
    now = utcnow()
    body = orjson.dumps({
        "id": ping_id, "seq": None, "type": "ping",
        "resource": {"type": "webhook_subscription", "id": str(sid)},
        "occurred_at": now.isoformat(), "data": {"subscription_id": sid},
    })
    outcome = post_signed(url, secret, body, {EVENT_ID_HEADER: ping_id, "Plaza-Event-Type": "ping"},
                          timeout_s)
    return {
        "id": ping_id, "url": url, "delivered": outcome.delivered,
        "status_code": outcome.status_code, "error": outcome.error,
        "duration_ms": outcome.duration_ms,
    }
