"""HTTP for promotions: manage rules, grant giveaways at checkout, quote a basket."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select

from store_server.api import Ctx, operation
from store_server.api.auth import ANYONE_SIGNED_IN, MANAGERS, STAFF, TERMINALS
from store_server.errors import Forbidden, InvalidInput
from store_server.locations.models import Location
from store_server.promotions import service
from store_server.promotions.models import Promotion
from store_server.promotions.service import GrantIn, QuoteIn

MAX_RULE_DEPTH = 8  # a rule is a handful of levels deep: target, condition, benefit


def _depth(value: Any) -> int:
    """How deeply a JSON value nests, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


class PromotionIn(BaseModel):
    rule: dict[str, Any] = Field(description="a rule as docs/PROMOTIONS.md describes it")

    @field_validator("rule")
    @classmethod
    def _shallow(cls, rule: dict[str, Any]) -> dict[str, Any]:
        if _depth(rule) > MAX_RULE_DEPTH:
            raise ValueError(f"a rule nests at most {MAX_RULE_DEPTH} levels")
        return rule


class PromotionOut(BaseModel):
    code: str
    status: Literal["active", "paused", "ended"]
    rule: dict[str, Any] = Field(description="the rule as docs/PROMOTIONS.md describes it")
    updated_at: datetime


class GrantOut(BaseModel):
    granted: bool
    gift_sku: str
    scope: str = Field(description="what the limit counts: campaign, store:CODE, day:CODE:DATE")
    limit: int
    given: int
    remaining: int


class GiveawayOut(GrantOut):
    status: Literal["active", "paused", "ended"]


class QuoteLineOut(BaseModel):
    sku: str
    quantity: int
    gross: int
    discount: int
    net: int


class QuoteDiscountOut(BaseModel):
    line: int | None = Field(description="the line's index; none for the whole basket")
    amount: int
    reason: str
    code: str


class QuoteGiveawayOut(BaseModel):
    promotion: str
    gift_sku: str
    reason: str


class QuoteOut(BaseModel):
    """Money in minor units of ``currency``."""

    store: str
    currency: str
    subtotal: int
    discount_total: int
    tax_total: int
    total: int
    lines: list[QuoteLineOut]
    discounts: list[QuoteDiscountOut]
    giveaways: list[QuoteGiveawayOut] = Field(description="gifts the basket qualifies for: ask "
                                                          "for a grant at checkout")
    coupons_used: list[str]


def _may_manage(ctx: Ctx, rule: dict[str, Any]) -> None:
    """A store manager runs promotions for their own store only; admins for the chain."""
    if ctx.who.role == "admin":
        return
    store = ctx.session.get(Location, ctx.who.store_id)
    if store is None or list(rule.get("locations") or []) != [store.code]:
        raise Forbidden("a store manager's promotions must name their own store in 'locations'")


@operation("POST", "/promotions", summary="Create a promotion (starts active)", tag="promotions",
           roles=MANAGERS, body=PromotionIn, response=PromotionOut, status=201, idempotent=True)
def create_promotion(ctx: Ctx, body: PromotionIn) -> dict[str, Any]:
    _may_manage(ctx, body.rule)
    return service.create_promotion(ctx.session, body.rule, ctx.actor)


@operation("GET", "/promotions", summary="Promotions", tag="promotions", roles=ANYONE_SIGNED_IN,
           response=list[PromotionOut])
def list_promotions(ctx: Ctx) -> list[dict[str, Any]]:
    rows = ctx.session.execute(select(Promotion).order_by(Promotion.code)).scalars()
    return [service.promotion_document(p) for p in rows]


@operation("POST", "/promotions/<code>/<action>", summary="pause, resume or end a promotion",
           tag="promotions", roles=MANAGERS, response=PromotionOut, problems=(409, 422))
def change_promotion(ctx: Ctx, code: str, action: str) -> dict[str, Any]:
    statuses = {"pause": "paused", "resume": "active", "end": "ended"}
    if action not in statuses:
        raise InvalidInput("the action is pause, resume or end")
    _may_manage(ctx, service.get_promotion(ctx.session, code).rule)
    return service.set_status(ctx.session, code, statuses[action])  # type: ignore[arg-type]


@operation("POST", "/promotions/<code>/grants", summary="Give a limited gift for a sale, if any are left",
           tag="promotions", roles=TERMINALS | STAFF, body=GrantIn, response=GrantOut, status=201,
           problems=(409,))
def grant(ctx: Ctx, body: GrantIn, code: str) -> dict[str, Any]:
    """A till or kiosk asks at checkout; offline it cannot, and tells the shopper so."""
    return service.grant_giveaway(ctx.session, code, body, ctx.who)


class GiveawayQuery(BaseModel):
    store: str | None = Field(None, max_length=40)


@operation("GET", "/promotions/<code>/giveaway", summary="Gifts given and left", tag="promotions",
           roles=ANYONE_SIGNED_IN, query=GiveawayQuery, response=GiveawayOut)
def giveaway(ctx: Ctx, code: str) -> dict[str, Any]:
    return service.giveaway_status(ctx.session, code, ctx.query.store)


@operation("POST", "/pricing/quote", summary="Price a basket with the store's promotions, as a till would",
           tag="promotions", roles=ANYONE_SIGNED_IN, body=QuoteIn, response=QuoteOut,
           problems=(404,))
def price_quote(ctx: Ctx, body: QuoteIn) -> dict[str, Any]:
    return service.quote(ctx.session, body)
