"""Every kind of background job, and how each stays right when it runs twice.

Jobs are at-least-once (a worker can die after the work and before recording it), so:

- ``orders.expire`` (recurring): ``orders.service.expire_due`` expires an order only if, under its
  row lock, it is still reserved and overdue; a second pass finds nothing left to do.
- ``webhooks.deliver`` (recurring): the webhook pass; each delivery has its own lease, and a
  receiver deduplicates by event id (delivery is at-least-once by contract).
- ``payments.charge_code`` (one-off, queued with the payment): a second worker never pays again
  once the pay may have gone out; it queries and waits (``payments.service.charge_code``).
- ``payments.close_qr`` (one-off, queued with the QR): queries first, cancels only an open
  payment under its row lock; cancelling a closed trade again is harmless.
- ``recommendations.compute`` (recurring): recomputes and swaps the whole result set.
- ``jobs.purge`` (recurring): forgets finished one-off jobs after a while.

There are no scheduled reports: Z reports come from the tills and reconciliation is read on
demand; a future report is one more recurring kind here.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from store_server.db import utcnow
from store_server.orders.service import expire_due
from store_server.payments.service import CHARGE_CODE_JOB, CLOSE_QR_JOB, close_abandoned_qr
from store_server.payments.service import charge_code as charge_payment_code
from store_server.recommendations.service import MiningSettings
from store_server.recommendations.service import compute_recommendations as recompute
from store_server.sealing import unseal
from store_server.webhooks.worker import WorkerSettings as WebhookSettings
from store_server.webhooks.worker import renew_claims, run_once

from .queue import RunLater, purge
from .worker import JobContext, Kind

log = logging.getLogger(__name__)

EXPIRE_ORDERS = "orders.expire"
DELIVER_WEBHOOKS = "webhooks.deliver"
COMPUTE_RECOMMENDATIONS = "recommendations.compute"
PURGE_JOBS = "jobs.purge"


def expire_orders(ctx: JobContext) -> None:
    with ctx.session() as session:
        if count := expire_due(session):
            log.info("expired %d orders", count)


def deliver_webhooks(ctx: JobContext) -> None:
    settings = WebhookSettings.from_config(ctx.config)
    token, lease = ctx.job.lease_token, ctx.job.lease
    # The deliveries in hand keep their leases as long as this job keeps its own.
    ctx.keep_alive(lambda session, _job: renew_claims(session, token, lease))
    with ctx.session() as session:
        summary = run_once(session, settings, token=token, lease=lease, should_stop=ctx.should_stop)
    if summary.busy:
        log.info("webhooks: %d queued, %d attempted, %d delivered",
                 summary.queued, summary.attempted, summary.delivered)


def charge_code(ctx: JobContext) -> None:
    payload = ctx.job.payload
    sent = ctx.job.state.get("pay_sent_at")
    payments = ctx.services.payments
    with ctx.session() as session:
        charge_payment_code(session, payments, payload["payment"], payload["out_trade_no"],
               unseal(payments.settings.sealing_key, payload["auth_code"]),
               pay_sent_at=datetime.fromisoformat(sent) if sent else None,
               note_pay_sent=lambda: ctx.save_state(pay_sent_at=utcnow().isoformat()),
               lost=ctx.lost.is_set)


def close_qr(ctx: JobContext) -> None:
    payload = ctx.job.payload
    with ctx.session() as session:
        later = close_abandoned_qr(session, ctx.services.payments, payload["payment"],
                                   payload["out_trade_no"])
    if later is not None:
        raise RunLater(later, "the QR's time is not up yet by our clock")


def compute_recommendations(ctx: JobContext) -> None:
    with ctx.session() as session:
        stats = recompute(session, MiningSettings())
    log.info("recommendations recomputed: %s", {k: v for k, v in stats.items() if k != "settings"})


def purge_jobs(ctx: JobContext) -> None:
    with ctx.session() as session:
        if count := purge(session, timedelta(days=ctx.settings.purge_after_days)):
            log.info("forgot %d finished jobs", count)


KINDS: dict[str, Kind] = {k.name: k for k in [
    Kind(EXPIRE_ORDERS, expire_orders, lambda s: s.expiry_every_s),
    Kind(DELIVER_WEBHOOKS, deliver_webhooks, lambda s: s.webhooks_every_s),
    Kind(CHARGE_CODE_JOB, charge_code),
    Kind(CLOSE_QR_JOB, close_qr),
    Kind(COMPUTE_RECOMMENDATIONS, compute_recommendations, lambda s: s.recommendations_every_s),
    Kind(PURGE_JOBS, purge_jobs, lambda s: 86400.0 if s.purge_after_days > 0 else 0),
]}


def kinds(names: list[str] | None = None) -> list[Kind]:
    """The kinds a worker runs: all of them, or the named ones (``--only``)."""
    if not names:
        return list(KINDS.values())
    unknown = sorted(set(names) - KINDS.keys())
    if unknown:
        raise ValueError(f"no job kind {', '.join(unknown)}; known: {', '.join(sorted(KINDS))}")
    return [KINDS[n] for n in names]

