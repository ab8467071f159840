"""Managing promotions, granting limited giveaways, and quoting a basket as the till would.

Rules are stored as the shared engine's JSON (``retail.promotions.Rule``) and reach the tills
through the changes feed, so a till offline prices a basket exactly as ``quote`` does here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from retail.money import Money
from retail.prices import price_in_force
from retail.pricing import PricedOrder, PricingError
from retail.promotions import BasketLine, Context, Evaluation, Giveaway, PromotionError, Rule, price_basket
from retail.tax import regime_for
from store_server.api.auth import Principal
from store_server.catalog.models import Product, Sku
from store_server.catalog.service import price_windows, skus_by_code
from store_server.db import insert_missing, transaction, utcnow
from store_server.errors import AlreadyExists, Conflict, InvalidInput, NotFound
from store_server.events.service import record
from store_server.locations.models import Location
from store_server.locations.service import get_location
from store_server.promotions.models import GiveawayCounter, GiveawayGrant, Promotion
from store_server.validation import Moment


def _rule(data: dict[str, Any]) -> Rule:
    try:
        return Rule.from_dict(data)
    except (PromotionError, KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"the promotion is not valid: {exc}") from exc


def promotion_document(p: Promotion) -> dict[str, Any]:
    return {"code": p.code, "status": p.status, "rule": p.rule,
            "updated_at": p.updated_at.isoformat()}


def _publish(session: Session, p: Promotion) -> None:
    record(session, "promotion.upserted", "promotion", p.code, promotion_document(p))


def create_promotion(session: Session, rule: dict[str, Any], actor: str) -> dict[str, Any]:
    parsed = _rule(rule)
    with transaction(session):
        if session.execute(select(Promotion.id).where(Promotion.code == parsed.id)).first():
            raise AlreadyExists(f"a promotion {parsed.id!r} exists; change it or pick another id")
        promotion = Promotion(code=parsed.id, rule=parsed.to_dict(), created_by=actor,
                              status="active" if parsed.enabled else "paused")
        session.add(promotion)
        session.flush()
        _publish(session, promotion)
        return promotion_document(promotion)


def get_promotion(session: Session, code: str, lock: bool = False) -> Promotion:
    stmt = select(Promotion).where(Promotion.code == code)
    if lock:
        stmt = stmt.with_for_update()
    promotion = session.execute(stmt).scalar_one_or_none()
    if promotion is None:
        raise NotFound(f"no promotion {code!r}")
    return promotion


def set_status(session: Session, code: str, status: Literal["active", "paused", "ended"]) -> dict[str, Any]:
    """Pause, resume or end a promotion; the tills learn of it through the feed."""
    with transaction(session):
        promotion = get_promotion(session, code, lock=True)
        if promotion.status == "ended":
            raise Conflict("an ended promotion stays ended; create a new one")
        rule = dict(promotion.rule)
        rule["enabled"] = status == "active"
        promotion.rule, promotion.status, promotion.updated_at = rule, status, utcnow()
        session.flush()
        _publish(session, promotion)
        return promotion_document(promotion)


def active_rules(session: Session, location_code: str | None = None) -> list[Rule]:
    rules = [Rule.from_dict(r) for r in session.execute(
        select(Promotion.rule).where(Promotion.status == "active").order_by(Promotion.code)).scalars()]
    if location_code is None:
        return rules
    return [r for r in rules if not r.locations or location_code in r.locations]


def rules_by_code(session: Session, codes: set[str]) -> dict[str, Rule]:
    """The rules of the promotions with these codes, whatever their status now."""
    if not codes:
        return {}
    return {code: Rule.from_dict(rule) for code, rule in session.execute(
        select(Promotion.code, Promotion.rule).where(Promotion.code.in_(sorted(codes))))}


# -- giveaways ---------------------------------------------------------------------------------


class GrantIn(BaseModel):
    reference: str = Field(min_length=1, max_length=80, description="the sale's UUID or order number")
    store: str = Field(max_length=40)
    basket_total: int | None = Field(None, ge=0, le=10**12,
                                     description="what the basket costs after discounts")


def _scope(giveaway: Giveaway, store: Location, at: datetime) -> str:
    if giveaway.limit_per == "store":
        return f"store:{store.code}"
    if giveaway.limit_per == "day":
        return f"day:{store.code}:{at.astimezone(ZoneInfo(store.timezone)).date().isoformat()}"
    return "campaign"


def _counter(session: Session, promotion: Promotion, scope: str, limit: int) -> None:
    """Make sure the scope's counter row exists (concurrent callers may race to create it)."""
    insert_missing(session, GiveawayCounter,
                   [{"promotion_id": promotion.id, "scope": scope, "gift_limit": limit, "granted": 0}],
                   ["promotion_id", "scope"])


def grant_giveaway(session: Session, code: str, data: GrantIn, who: Principal) -> dict[str, Any]:
    """Give one gift for one sale, if any are left: exactly N at most, under any concurrency."""
    with transaction(session):
        store = get_location(session, data.store)
        who.require_location(store.id)
        promotion = get_promotion(session, code)
        rule = Rule.from_dict(promotion.rule)
        if not isinstance(rule.offer, Giveaway):
            raise InvalidInput(f"{code} is not a giveaway")
        if rule.min_spend is not None and data.basket_total is not None and (
                data.basket_total < rule.min_spend.amount):
            raise Conflict(f"the basket does not reach the minimum spend of {rule.min_spend}",
                           granted=False)
        return take_gift(session, promotion, rule, store, data.reference, who.key)


def take_gift(session: Session, promotion: Promotion, rule: Rule, store: Location, reference: str,
              by: str) -> dict[str, Any]:
    """One gift of ``promotion`` for the sale or order ``reference``, inside the caller's
    transaction: the grant made before for that reference (a retry), or a new one while gifts
    are left. Raises Conflict (``granted: false``) when none can be given.

    Lock order: the caller may hold order rows and stock levels; the giveaway counter comes after
    them and before member rows (docs/ORDERS.md).
    """
    assert isinstance(rule.offer, Giveaway)
    earlier = session.execute(select(GiveawayGrant).where(
        GiveawayGrant.promotion_id == promotion.id, GiveawayGrant.reference == reference)
    ).scalar_one_or_none()
    if earlier is not None:  # asked again for the same sale: the same gift, never a second one
        if earlier.location_id != store.id:
            raise Conflict(f"this gift was given for {reference} at another store", granted=False)
        return _grant_answer(session, promotion, rule, earlier.scope, True)
    if promotion.status != "active":
        raise Conflict(f"the giveaway {promotion.code} is {promotion.status}", granted=False)
    if rule.locations and store.code not in rule.locations:
        raise Conflict(f"the giveaway {promotion.code} does not run at {store.name}", granted=False)
    now = utcnow()
    scope = _scope(rule.offer, store, now)
    _counter(session, promotion, scope, rule.offer.limit)
    # The conditional UPDATE is the whole guarantee: it takes a gift only while some are
    # left, and concurrent grants queue on the counter row.
    taken = session.execute(
        update(GiveawayCounter)
        .where(GiveawayCounter.promotion_id == promotion.id, GiveawayCounter.scope == scope,
               GiveawayCounter.granted < GiveawayCounter.gift_limit)
        .values(granted=GiveawayCounter.granted + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise Conflict(f"all {rule.offer.limit} gifts have been given", granted=False, remaining=0)
    session.add(GiveawayGrant(promotion_id=promotion.id, scope=scope, reference=reference,
                              location_id=store.id, granted_by=by))
    session.flush()
    return _grant_answer(session, promotion, rule, scope, True)


def give_back_gifts(session: Session, references: list[str],
                    keep: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset()) -> int:
    """Return to their pools the gifts granted for these sales or orders, except the
    (reference, promotion code) pairs in ``keep`` (gifts that were handed over): a cancelled
    order's gift, or a grant whose sale reached us without the gift (the till never heard the
    answer, so the shopper did not get it). Inside the caller's transaction; returns how many."""
    if not references:
        return 0
    grants = session.execute(
        select(GiveawayGrant.id, GiveawayGrant.promotion_id, GiveawayGrant.scope, GiveawayGrant.reference,
               Promotion.code)
        .join(Promotion, Promotion.id == GiveawayGrant.promotion_id)
        .where(GiveawayGrant.reference.in_(sorted(set(references))))
        .order_by(GiveawayGrant.promotion_id, GiveawayGrant.scope)).all()
    back = [g for g in grants if (g.reference, g.code) not in keep]
    for g in back:  # counters in (promotion, scope) order: concurrent give-backs queue alike
        session.execute(update(GiveawayCounter)
                        .where(GiveawayCounter.promotion_id == g.promotion_id,
                               GiveawayCounter.scope == g.scope, GiveawayCounter.granted > 0)
                        .values(granted=GiveawayCounter.granted - 1)
                        .execution_options(synchronize_session=False))
    if back:
        session.execute(delete(GiveawayGrant).where(GiveawayGrant.id.in_([g.id for g in back])))
    return len(back)


def granted_gifts(session: Session, references: list[str]) -> dict[tuple[str, str], tuple[str, int]]:
    """The gifts granted for these sales or orders: (reference, promotion code) -> (gift SKU,
    store id), for the sale check to accept exactly the gift lines that were granted."""
    if not references:
        return {}
    found = {}
    for reference, code, rule, location_id in session.execute(
            select(GiveawayGrant.reference, Promotion.code, Promotion.rule, GiveawayGrant.location_id)
            .join(Promotion, Promotion.id == GiveawayGrant.promotion_id)
            .where(GiveawayGrant.reference.in_(sorted(set(references))))):
        found[(reference, code)] = (str(rule.get("gift_sku", "")), location_id)
    return found


def gifts_for(session: Session, store: Location, basket: list[BasketLine], channel: str, at: datetime,
              member: bool = False) -> list[tuple[Promotion, Rule]]:
    """The giveaways this basket qualifies for at ``store`` (the engine decides, with the
    store's active rules): what an online order takes when it is paid."""
    if not basket:
        return []
    evaluation, _priced = price_with_promotions(session, store, basket, channel, at, [], member)
    codes = [g.rule_id for g in evaluation.giveaway_candidates]
    if not codes:
        return []
    promotions = session.execute(select(Promotion).where(Promotion.code.in_(codes))
                                 .order_by(Promotion.code)).scalars()
    return [(p, Rule.from_dict(p.rule)) for p in promotions]


def _grant_answer(session: Session, promotion: Promotion, rule: Rule, scope: str,
                  granted: bool) -> dict[str, Any]:
    assert isinstance(rule.offer, Giveaway)
    given = session.execute(select(GiveawayCounter.granted).where(
        GiveawayCounter.promotion_id == promotion.id, GiveawayCounter.scope == scope)).scalar() or 0
    return {"granted": granted, "gift_sku": rule.offer.gift_sku, "scope": scope,
            "limit": rule.offer.limit, "given": given, "remaining": rule.offer.limit - given}


def giveaway_status(session: Session, code: str, store_code: str | None) -> dict[str, Any]:
    """How many gifts are left, per scope (what the back office shows)."""
    promotion = get_promotion(session, code)
    rule = Rule.from_dict(promotion.rule)
    if not isinstance(rule.offer, Giveaway):
        raise InvalidInput(f"{code} is not a giveaway")
    scope = "campaign"
    if store_code:
        scope = _scope(rule.offer, get_location(session, store_code), utcnow())
    return _grant_answer(session, promotion, rule, scope, False) | {"status": promotion.status}


# -- quoting -----------------------------------------------------------------------------------


class QuoteLineIn(BaseModel):
    sku: str = Field(max_length=64)
    quantity: int = Field(gt=0, le=10_000_000)
    unit_price: int | None = Field(None, ge=0, le=10**12,
                                   description="as the till priced it; default: the store's price")


class QuoteIn(BaseModel):
    store: str = Field(max_length=40)
    channel: Literal["pos", "kiosk", "online"] = "pos"
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=500)
    coupons: list[Annotated[str, StringConstraints(max_length=80)]] = Field(default_factory=list,
                                                                           max_length=10)
    member: bool = False
    at: Moment | None = Field(None, description="price as at this moment; default: now")


def basket_lines(session: Session, store: Location, lines: list[QuoteLineIn]) -> list[BasketLine]:
    """The basket as the engine sees it, with the store's prices unless the till gave its own."""
    ids = skus_by_code(session, [line.sku for line in lines])
    facts = {sku_id: (category, brand, sold_by, tax_class) for sku_id, category, brand, sold_by, tax_class
             in session.execute(select(Sku.id, Product.category, Product.brand, Sku.sold_by, Sku.tax_class)
                                .join(Product, Product.id == Sku.product_id)
                                .where(Sku.id.in_(list(ids.values()))))}
    windows = price_windows(session, store.price_list_id, list(ids.values())) if store.price_list_id else {}
    now = utcnow()
    basket = []
    for line in lines:
        sku_id = ids[line.sku]
        amount = line.unit_price
        if amount is None:
            amount = price_in_force(windows.get(sku_id, []), now)
        if amount is None:
            raise InvalidInput(f"{line.sku} is not on sale at {store.name}")
        category, brand, sold_by, tax_class = facts[sku_id]
        basket.append(BasketLine(line.sku, line.quantity, Money(amount, store.currency), category, brand,
                                 sold_by, tax_class))  # type: ignore[arg-type]
    return basket


def price_with_promotions(session: Session, store: Location, basket: list[BasketLine], channel: str,
                          at: datetime, coupons: list[str], member: bool) -> tuple[Evaluation, PricedOrder]:
    context = Context(at=at, timezone=store.timezone, location=store.code, channel=channel,
                      is_member=member, coupon_codes=tuple(coupons), locale=store.locale.split("_")[0])
    try:
        return price_basket(basket, active_rules(session, store.code), context, regime_for(store.country))
    except (PromotionError, PricingError) as exc:
        raise InvalidInput(str(exc)) from exc


def quote(session: Session, data: QuoteIn) -> dict[str, Any]:
    store = get_location(session, data.store)
    at = data.at or utcnow()
    if at.tzinfo is None:
        raise InvalidInput("'at' needs a time zone offset")
    evaluation, priced = price_with_promotions(session, store, basket_lines(session, store, data.lines),
                                               data.channel, at, data.coupons, data.member)
    return {
        "store": store.code, "currency": priced.currency, "subtotal": priced.subtotal.amount,
        "discount_total": priced.discount_total.amount, "tax_total": priced.tax_total.amount,
        "total": priced.total.amount,
        "lines": [{"sku": ln.sku, "quantity": ln.quantity, "gross": ln.gross.amount,
                   "discount": ln.discount.amount, "net": ln.net.amount} for ln in priced.lines],
        "discounts": [{"line": d.line, "amount": d.amount.amount, "reason": d.reason, "code": d.code}
                      for d in evaluation.discounts],
        "giveaways": [{"promotion": g.rule_id, "gift_sku": g.gift_sku, "reason": g.reason}
                      for g in evaluation.giveaway_candidates],
        "coupons_used": list(evaluation.used_coupons),
    }
