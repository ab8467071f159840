"""The webhook pass: turn new events into deliveries, send the due ones, record what happened.

``store-server worker`` runs it as the recurring job ``webhooks.deliver`` (store_server.jobs).
Each pass does two things, each in short transactions of its own:

1. Fan-out. For every active subscription, the events above its cursor that match its types
   become ``webhook_delivery`` rows, and the cursor moves, in one transaction.
2. Sending. Due deliveries are claimed with a lease (a conditional UPDATE; on PostgreSQL after
   ``FOR UPDATE SKIP LOCKED``), the claim commits, the HTTP requests go out with no transaction
   open, and the outcomes are written back. A delivery whose earlier sibling for the same
   resource is still pending is not claimable, so a receiver sees one resource's events in
   ``seq`` order (a dead delivery stops holding the rest back).

A worker that dies mid-send loses only its lease: the delivery is sent again after
``locked_until``. Delivery is therefore at-least-once, and receivers deduplicate by event id.
Run as a job, the deliveries in hand are claimed with the job's lease token and their leases
renewed with the job's heartbeat (``renew_claims``), so a dead worker's deliveries come back
as soon as its job does, however long a batch could take to send.
"""

from __future__ import annotations

import logging
import math
import random
import re
import secrets
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
import requests
from sqlalchemy import ColumnElement, exists, insert, or_, select, true, update
from sqlalchemy.orm import Session, aliased

from store_server.config import default
from store_server.db import is_postgres, transaction, utcnow
from store_server.events.models import Event
from store_server.events.service import last_seq
from store_server.monitoring.logs import request_id
from store_server.sealing import unseal
from store_server.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from store_server.webhooks.signing import EVENT_ID_HEADER, REQUEST_ID_HEADER, SIGNATURE_HEADER, sign

log = logging.getLogger(__name__)

USER_AGENT = "Plaza-Webhooks/1.0"
_SNIPPET = 300  # bytes of a failing receiver's answer kept as the error


@dataclass(frozen=True)
class WorkerSettings:
    # Defaults and meanings: store_server.config (PLAZA_WEBHOOK_*).
    max_attempts: int = default("webhook_max_attempts")
    backoff_base_s: float = default("webhook_backoff_base_s")
    backoff_max_s: float = default("webhook_backoff_max_s")
    timeout_s: float = default("webhook_timeout_s")
    batch_size: int = default("webhook_batch_size")
    concurrency: int = default("webhook_concurrency")
    fan_out_batch: int = 500
    sealing_key: str = ""  # opens the subscriptions' signing secrets (store_server.sealing)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WorkerSettings:
        return cls(
            sealing_key=str(config["SEALING_KEY"]),
            max_attempts=int(config["WEBHOOK_MAX_ATTEMPTS"]),
            backoff_base_s=float(config["WEBHOOK_BACKOFF_BASE_S"]),
            backoff_max_s=float(config["WEBHOOK_BACKOFF_MAX_S"]),
            timeout_s=float(config["WEBHOOK_TIMEOUT_S"]),
            batch_size=int(config["WEBHOOK_BATCH_SIZE"]),
            concurrency=int(config["WEBHOOK_CONCURRENCY"]),
        )

    @property
    def lease(self) -> timedelta:
        """Long enough to send a whole claimed batch through the thread pool at worst-case timeouts
        (connect and read each up to ``timeout_s``), plus a margin for recording the outcomes."""
        rounds = math.ceil(self.batch_size / max(1, self.concurrency))
        return timedelta(seconds=rounds * 2 * self.timeout_s + 30)


def backoff_delay(attempt: int, settings: WorkerSettings, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based) of the current round.

    ``base × 2^(attempt−1)``, capped, then scaled into [50 %, 100 %] so that the deliveries
    that failed together in a receiver's outage do not all come back in the same second.
    """
    raw = settings.backoff_base_s * (2 ** min(attempt - 1, 40))
    return min(settings.backoff_max_s, raw) * (0.5 + rand() / 2)


def event_id(seq: int) -> str:
    return f"evt_{seq}"


def event_body(event: Event) -> bytes:
    """The JSON body of a delivery: the same bytes on every attempt and replay."""
    return orjson.dumps({
        "id": event_id(event.seq),
        "seq": event.seq,
        "type": event.type,
        "resource": {"type": event.resource_type, "id": event.resource_id},
        "occurred_at": event.occurred_at.isoformat(),
        "data": event.payload,
    })


# ---------------------------------------------------------------------------------------------
# Fan-out: events → deliveries


def _matching(patterns: list[str]) -> ColumnElement[bool]:
    if "*" in patterns:
        return true()
    exact = [p for p in patterns if not p.endswith(".*")]
    clauses: list[ColumnElement[bool]] = [Event.type.in_(exact)] if exact else []
    # autoescape: "price_list.*" must not let "_" match any character in LIKE.
    clauses += [Event.type.startswith(p[:-1], autoescape=True) for p in patterns if p.endswith(".*")]
    return or_(*clauses)


def fan_out(session: Session, batch_size: int = 500) -> int:
    """Queue deliveries for the events each active subscription has not seen; returns how many.

    Each subscription moves at most ``batch_size`` matching events per call.
    """
    ids = list(session.scalars(
        select(WebhookSubscription.id).where(WebhookSubscription.active.is_(True))
        .order_by(WebhookSubscription.id)
    ))
    session.rollback()  # end the read so each subscription gets a short write transaction
    return sum(_fan_out_subscription(session, sid, batch_size) for sid in ids)


def _fan_out_subscription(session: Session, subscription_id: int, batch_size: int) -> int:
    with transaction(session):
        row = session.execute(
            select(WebhookSubscription.last_seq, WebhookSubscription.event_types)
            .where(WebhookSubscription.id == subscription_id, WebhookSubscription.active.is_(True))
        ).one_or_none()
        if row is None:
            return 0
        cursor, patterns = int(row.last_seq), list(row.event_types)
        # Every event up to the current high-water mark is committed (the log is gap-free in
        # commit order, see events.service), so reading up to it never skips a late commit.
        high = last_seq(session)
        if high <= cursor:
            return 0
        events = session.execute(
            select(Event.seq, Event.type, Event.resource_type, Event.resource_id)
            .where(Event.seq > cursor, Event.seq <= high, _matching(patterns))
            .order_by(Event.seq).limit(batch_size)
        ).all()
        new_cursor = events[-1].seq if len(events) == batch_size else high
        # Move the cursor from the value we read, and first: a second worker fanning out the
        # same subscription matches no row here (on PostgreSQL it waits for our commit, then
        # re-reads last_seq) and queues nothing, so no event is queued twice.
        moved = session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == subscription_id, WebhookSubscription.last_seq == cursor)
            .values(last_seq=new_cursor)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1 or not events:
            return 0
        now = utcnow()
        session.execute(insert(WebhookDelivery), [
            {
                "subscription_id": subscription_id, "event_seq": e.seq, "event_type": e.type,
                "resource": f"{e.resource_type}:{e.resource_id}", "status": "pending",
                "attempts": 0, "attempts_at_replay": 0, "next_attempt_at": now, "created_at": now,
            }
            for e in events
        ])
        return len(events)


# ---------------------------------------------------------------------------------------------
# Sending


@dataclass(frozen=True)
class Outgoing:
    """A claimed delivery, with everything needed to send it once the claim has committed."""

    delivery_id: int
    lease_token: str
    url: str
    secret: str
    event_id: str
    event_type: str
    body: bytes
    attempt: int
    request_id: str | None = None  # of the request that wrote the event: sent on, for tracing


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int
    attempted_at: datetime = field(default_factory=utcnow)

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def claim_due(session: Session, settings: WorkerSettings, *, token: str | None = None,
              lease: timedelta | None = None) -> list[Outgoing]:
    """Lease up to ``batch_size`` due deliveries to this worker and commit the lease.

    Due: pending, ``next_attempt_at`` passed, no live lease, the subscription active, and no
    earlier delivery of the same resource still pending (per-resource order). ``token`` and
    ``lease`` default to a fresh token and a lease long enough to send the whole batch.
    """
    now = utcnow()
    token = token or secrets.token_hex(16)
    lease = lease or settings.lease
    d = WebhookDelivery
    earlier = aliased(WebhookDelivery)
    held_back = exists().where(
        earlier.subscription_id == d.subscription_id, earlier.resource == d.resource,
        earlier.status == "pending", earlier.event_seq < d.event_seq,
    )
    free = or_(d.locked_until.is_(None), d.locked_until <= now)
    with transaction(session):
        stmt = (
            select(d.id)
            .join(WebhookSubscription, WebhookSubscription.id == d.subscription_id)
            .where(d.status == "pending", d.next_attempt_at <= now, free,
                   WebhookSubscription.active.is_(True), ~held_back)
            .order_by(d.next_attempt_at, d.id)
            .limit(settings.batch_size)
        )
        if is_postgres(session):
            # Several workers each take different rows instead of queueing behind one another.
            stmt = stmt.with_for_update(of=d, skip_locked=True)
        candidates = list(session.scalars(stmt))
        if not candidates:
            return []
        # The conditional UPDATE is the claim: a row leased by someone else since we read it
        # does not match, so two workers never send the same delivery at the same time.
        claimed = list(session.scalars(
            update(d).where(d.id.in_(candidates), d.status == "pending", free)
            .values(locked_until=now + lease, lease_token=token)
            .returning(d.id)
            .execution_options(synchronize_session=False)
        ))
        rows = session.execute(
            select(d.id, d.attempts, WebhookSubscription.url, WebhookSubscription.secret, Event)
            .join(WebhookSubscription, WebhookSubscription.id == d.subscription_id)
            .join(Event, Event.seq == d.event_seq)
            .where(d.id.in_(claimed)).order_by(d.id)
        ).all()
        return [
            Outgoing(r.id, token, r.url, unseal(settings.sealing_key, r.secret), event_id(r.Event.seq),
                     r.Event.type, event_body(r.Event), r.attempts + 1, r.Event.request_id)
            for r in rows
        ]


def post_signed(url: str, secret: str, body: bytes, headers: dict[str, str],
                timeout_s: float) -> Outcome:
    """POST ``body`` signed with ``secret``; never raises for network trouble, reports it."""
    started = time.monotonic()
    attempted_at = utcnow()
    all_headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **headers,
        SIGNATURE_HEADER: sign(secret, body),
    }
    try:
        # No redirects: a 3xx is a misconfigured endpoint, and following it would send the
        # signed body somewhere the subscriber never named.
        with requests.post(url, data=body, headers=all_headers, timeout=timeout_s,
                           allow_redirects=False, stream=True) as response:
            code = response.status_code
            error = None
            if not 200 <= code < 300:
                snippet = next(response.iter_content(_SNIPPET), b"")[:_SNIPPET]
                text = snippet.decode("utf-8", "replace").strip()
                error = f"the receiver answered {code}" + (f": {text}" if text else "")
    except requests.RequestException as exc:
        code, error = None, _network_error(exc, timeout_s)
    duration = int((time.monotonic() - started) * 1000)
    return Outcome(code, error, duration, attempted_at)


def _network_error(exc: requests.RequestException, timeout_s: float) -> str:
    """What went wrong, in words an admin can act on, not urllib3's whole retry chain."""
    if isinstance(exc, requests.Timeout):
        return f"no answer within {timeout_s:g} s"
    if isinstance(exc, requests.ConnectionError):
        cause = re.search(r"\[Errno -?\d+\] [^'\")]+", str(exc))
        return "could not connect: " + (cause.group(0) if cause else str(exc))[:300]
    return f"{type(exc).__name__}: {exc}"[:500]


def send(outgoing: Outgoing, timeout_s: float) -> Outcome:
    headers = {
        EVENT_ID_HEADER: outgoing.event_id,
        "Plaza-Event-Type": outgoing.event_type,
        "Plaza-Delivery-Id": str(outgoing.delivery_id),
        "Plaza-Delivery-Attempt": str(outgoing.attempt),
    }
    if outgoing.request_id:
        headers[REQUEST_ID_HEADER] = outgoing.request_id
    # Logged under the originating request's id: one search finds the request and its webhooks.
    with request_id(outgoing.request_id):
        outcome = post_signed(outgoing.url, outgoing.secret, outgoing.body, headers, timeout_s)
        log.info("webhook %s %s attempt %d: %s", outgoing.event_id, outgoing.event_type, outgoing.attempt,
                 outcome.status_code or outcome.error,
                 extra={"delivery_id": outgoing.delivery_id, "duration_ms": outcome.duration_ms})
    return outcome


def record_outcomes(session: Session, results: list[tuple[Outgoing, Outcome]],
                    settings: WorkerSettings, rand: Callable[[], float] = random.random) -> None:
    """Write the attempts and move each delivery on: delivered, retry later, or failed (dead)."""
    with transaction(session):
        for outgoing, outcome in results:
            stmt = select(WebhookDelivery).where(WebhookDelivery.id == outgoing.delivery_id)
            if is_postgres(session):
                stmt = stmt.with_for_update()  # serialise with a worker re-claiming an expired lease
            delivery = session.execute(stmt.execution_options(populate_existing=True)).scalar_one()
            session.add(WebhookAttempt(
                delivery_id=delivery.id, attempted_at=outcome.attempted_at,
                status_code=outcome.status_code, error=outcome.error, duration_ms=outcome.duration_ms,
            ))
            delivery.attempts += 1
            delivery.last_status_code = outcome.status_code
            delivery.last_error = outcome.error
            if delivery.lease_token != outgoing.lease_token:
                # Our lease ran out and another worker owns the delivery now; it decides.
                log.warning("webhook delivery %s: lease lost before the outcome was recorded",
                            delivery.id)
                continue
            delivery.locked_until = None
            delivery.lease_token = None
            if outcome.delivered:
                delivery.status = "delivered"
                delivery.delivered_at = outcome.attempted_at
                continue
            this_round = delivery.attempts - delivery.attempts_at_replay
            if this_round >= settings.max_attempts:
                delivery.status = "failed"
            else:
                delay = backoff_delay(this_round, settings, rand)
                delivery.next_attempt_at = utcnow() + timedelta(seconds=delay)


@dataclass
class PassSummary:
    queued: int = 0
    attempted: int = 0
    delivered: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.queued or self.attempted)


def renew_claims(session: Session, token: str, lease: timedelta) -> None:
    """Push on the leases of the deliveries claimed with ``token`` (the heartbeat of a job)."""
    with transaction(session):
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.lease_token == token, WebhookDelivery.status == "pending")
            .values(locked_until=utcnow() + lease)
            .execution_options(synchronize_session=False))


def deliver_due(session: Session, settings: WorkerSettings, max_rounds: int = 100, *,
                token: str | None = None, lease: timedelta | None = None,
                should_stop: Callable[[], bool] = lambda: False) -> PassSummary:
    """Claim, send and record until nothing is due (or ``max_rounds`` batches went out, or
    ``should_stop`` says so between batches)."""
    summary = PassSummary()
    for _ in range(max_rounds):
        if should_stop():
            break
        batch = claim_due(session, settings, token=token, lease=lease)
        if not batch:
            break
        # Sending happens with no transaction open: a slow receiver holds no locks.
        with ThreadPoolExecutor(max_workers=max(1, min(settings.concurrency, len(batch)))) as pool:
            outcomes = list(pool.map(lambda o: send(o, settings.timeout_s), batch))
        record_outcomes(session, list(zip(batch, outcomes, strict=True)), settings)
        summary.attempted += len(batch)
        summary.delivered += sum(1 for o in outcomes if o.delivered)
    return summary


def run_once(session: Session, settings: WorkerSettings, *, token: str | None = None,
             lease: timedelta | None = None,
             should_stop: Callable[[], bool] = lambda: False) -> PassSummary:
    """One pass: fan out new events, then send everything that is due."""
    queued = fan_out(session, settings.fan_out_batch)
    summary = deliver_due(session, settings, token=token, lease=lease, should_stop=should_stop)
    summary.queued = queued
    return summary
