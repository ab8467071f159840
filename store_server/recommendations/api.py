"""HTTP for recommendations: bought together, for you, popular; each for one store's stock."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from store_server.api import Ctx, operation
from store_server.api.auth import STAFF, TERMINALS
from store_server.customers.service import QRSettings
from store_server.recommendations import service

READERS = STAFF | TERMINALS


class StoreQuery(BaseModel):
    store: str | None = Field(None, max_length=40,
                              description="location code; a device's own store by default")
    limit: int = Field(10, ge=1, le=50)
    lang: str | None = Field(None, max_length=10, description="language of names and reasons")


class ForYouIn(StoreQuery):
    member_qr: str | None = Field(None, max_length=300, description="the scanned member QR")
    customer: str | None = Field(None, max_length=20, description="member number (staff only)")


class BecauseOut(BaseModel):
    sku: str | None = None
    name: str


class ExplanationOut(BaseModel):
    kind: Literal["bought_with", "because_you_bought", "popular_here", "popular_in_chain"]
    text: str = Field(description="the reason, in the language asked for")
    because: BecauseOut | None = None


class RecommendationStatsOut(BaseModel):
    score: float
    support: int | None = None
    confidence: float | None = None
    lift: float | None = None


class RecommendationOut(BaseModel):
    sku: str = Field(description="a SKU available to sell at the store")
    name: str
    available: int
    explanation: ExplanationOut
    stats: RecommendationStatsOut | None = None


class RecommendationsOut(BaseModel):
    store: str
    language: str
    computed_at: datetime | None = Field(description="when the recommendations were last mined")
    items: list[RecommendationOut]


class BoughtTogetherOut(RecommendationsOut):
    sku: str


class ForYouOut(RecommendationsOut):
    member: str
    personalised: bool = Field(description="false: the member did not agree; best sellers instead")
    notice: str | None = None


@operation("GET", "/recommendations/bought-together/<sku>", summary="Often bought with this SKU",
           tag="recommendations", roles=READERS, query=StoreQuery, response=BoughtTogetherOut)
def bought_together(ctx: Ctx, sku: str) -> dict[str, Any]:
    """Only what is available to sell at the store, each with the reason it is suggested;
    the store's best sellers fill in when the history knows too little about this SKU."""
    q: StoreQuery = ctx.query
    return service.bought_together(ctx.session, sku, q.store, q.limit, q.lang, ctx.who)


@operation("POST", "/recommendations/for-you", summary="For a member, from what they bought",
           tag="recommendations", roles=READERS, body=ForYouIn, response=ForYouOut, problems=(404,))
def for_you(ctx: Ctx, body: ForYouIn) -> dict[str, Any]:
    """Personal only with the member's consent (``personalised``); otherwise best sellers.
    A POST so that the member QR travels in the body, never in a URL that logs keep."""
    return service.for_you(ctx.session, body.store, body.limit, body.lang, ctx.who,
                           QRSettings.from_config(ctx.config), body.member_qr, body.customer)


@operation("GET", "/recommendations/popular", summary="Best sellers in stock at a store",
           tag="recommendations", roles=READERS, query=StoreQuery, response=RecommendationsOut,
           problems=(404,))
def popular(ctx: Ctx) -> dict[str, Any]:
    q: StoreQuery = ctx.query
    return service.popular(ctx.session, q.store, q.limit, q.lang, ctx.who)
