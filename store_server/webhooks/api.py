"""HTTP for webhook subscriptions and their deliveries (admins only: they see every store)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from store_server.api import Ctx, operation
from store_server.api.auth import ADMIN
from store_server.api.pagination import Page
from store_server.webhooks import service
from store_server.webhooks.service import DeliveriesQuery, SubscriptionIn
from store_server.webhooks.worker import WorkerSettings


class SubscriptionOut(BaseModel):
    id: int
    url: str
    event_types: list[str]
    description: str
    active: bool
    status: Literal["active", "paused", "deleted"]
    last_seq: int = Field(description="the last event seq handed to its deliveries")
    created_by: str
    created_at: datetime
    deleted_at: datetime | None


class NewSubscriptionOut(SubscriptionOut):
    secret: str = Field(description="signs every delivery (Plaza-Signature); shown this once")


class DeliveryCountsOut(BaseModel):
    pending: int
    delivered: int
    failed: int


class SubscriptionCountsOut(SubscriptionOut):
    deliveries: DeliveryCountsOut


class AttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    id: int
    subscription_id: int
    event_id: str
    event_seq: int
    event_type: str
    resource: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None = Field(description="while pending")
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    replayed_at: datetime | None
    created_at: datetime
    attempt_log: list[AttemptOut]


class PingOut(BaseModel):
    id: str
    url: str
    delivered: bool = Field(description="the receiver answered 2xx")
    status_code: int | None
    error: str | None
    duration_ms: int


@operation("POST", "/webhooks", summary="Subscribe a URL to event types; get its signing secret",
           tag="webhooks", roles=ADMIN, body=SubscriptionIn, response=NewSubscriptionOut, status=201,
           idempotent=True)
def create_webhook(ctx: Ctx, body: SubscriptionIn) -> dict[str, Any]:
    """The `secret` appears in this answer only: keep it to verify `Plaza-Signature`.
    Deliveries start with the events recorded after this call."""
    return service.create_subscription(ctx.session, body, ctx.who, ctx.config["SEALING_KEY"])


@operation("GET", "/webhooks", summary="Webhook subscriptions", tag="webhooks", roles=ADMIN,
           response=list[SubscriptionOut])
def list_webhooks(ctx: Ctx) -> list[dict[str, Any]]:
    return service.list_subscriptions(ctx.session)


@operation("GET", "/webhooks/<int:subscription_id>", summary="A subscription and its delivery counts",
           tag="webhooks", roles=ADMIN, response=SubscriptionCountsOut)
def get_webhook(ctx: Ctx, subscription_id: int) -> dict[str, Any]:
    return service.get_subscription(ctx.session, subscription_id)


@operation("POST", "/webhooks/<int:subscription_id>/pause", summary="Stop sending; keep the place",
           tag="webhooks", roles=ADMIN, response=SubscriptionOut, problems=(409,))
def pause_webhook(ctx: Ctx, subscription_id: int) -> dict[str, Any]:
    return service.set_active(ctx.session, subscription_id, False)


@operation("POST", "/webhooks/<int:subscription_id>/resume",
           summary="Send again, starting with what happened while paused", tag="webhooks", roles=ADMIN,
           response=SubscriptionOut, problems=(409,))
def resume_webhook(ctx: Ctx, subscription_id: int) -> dict[str, Any]:
    return service.set_active(ctx.session, subscription_id, True)


@operation("DELETE", "/webhooks/<int:subscription_id>", summary="Unsubscribe for good",
           tag="webhooks", roles=ADMIN, response=SubscriptionOut)
def delete_webhook(ctx: Ctx, subscription_id: int) -> dict[str, Any]:
    return service.delete_subscription(ctx.session, subscription_id)


@operation("GET", "/webhooks/<int:subscription_id>/deliveries",
           summary="Deliveries with their attempts, newest first", tag="webhooks", roles=ADMIN,
           query=DeliveriesQuery, response=Page[DeliveryOut])
def list_webhook_deliveries(ctx: Ctx, subscription_id: int) -> dict[str, Any]:
    return service.list_deliveries(ctx.session, subscription_id, ctx.query)


@operation("GET", "/webhooks/<int:subscription_id>/deliveries/<int:delivery_id>",
           summary="One delivery with its attempts", tag="webhooks", roles=ADMIN, response=DeliveryOut)
def get_webhook_delivery(ctx: Ctx, subscription_id: int, delivery_id: int) -> dict[str, Any]:
    return service.get_delivery(ctx.session, subscription_id, delivery_id)


@operation("POST", "/webhooks/<int:subscription_id>/deliveries/<int:delivery_id>/replay",
           summary="Send a delivery again (same event id)", tag="webhooks", roles=ADMIN,
           response=DeliveryOut, problems=(409,))
def replay_webhook_delivery(ctx: Ctx, subscription_id: int, delivery_id: int) -> dict[str, Any]:
    return service.replay_delivery(ctx.session, subscription_id, delivery_id)


@operation("POST", "/webhooks/<int:subscription_id>/test", summary="Send a signed ping now",
           tag="webhooks", roles=ADMIN, response=PingOut, problems=(409,))
def ping_webhook(ctx: Ctx, subscription_id: int) -> dict[str, Any]:
    """Answers with what the receiver said; the ping is not retried or kept."""
    return service.send_test(ctx.session, subscription_id,
                             WorkerSettings.from_config(ctx.config).timeout_s, ctx.config["SEALING_KEY"])
