"""Computing recommendations from order history, storing them, and serving them per store.

``compute_recommendations`` (the ``store-server recommendations compute`` command, run on a
schedule) reads every bought basket once, mines it (``mining``) and replaces the stored tables
in one transaction, so readers see the old set or the new one, never half of each.

Serving is a few indexed reads: the stored suggestions joined with the asking location's stock
so that nothing out of stock there is ever suggested, each turned into the SKU of its product the
location sells most, with a reason a shopper can read ("Often bought with Lumio A3 smartphone").
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.orm import Session

from store_server.api.auth import Principal
from store_server.catalog.models import Sku
from store_server.catalog.service import product_names
from store_server.customers.models import Customer
from store_server.customers.service import (
    BOUGHT_STATUSES,
    QRSettings,
    get_customer,
    verify_member_qr,
)
from store_server.db import transaction, utcnow
from store_server.errors import Forbidden, InvalidInput, NotFound
from store_server.inventory.models import StockLevel
from store_server.locations.models import Location
from store_server.locations.service import get_location
from store_server.orders.models import Order, OrderLine
from store_server.recommendations.mining import (
    Association,
    associations,
    popularity,
    recency_weight,
    suggest,
)
from store_server.recommendations.models import (
    BoughtTogether,
    ForYou,
    PopularSku,
    RecommendationRun,
)


@dataclass(frozen=True)
class MiningSettings:
    min_support: int = 3  # baskets a pair needs before it is believed
    min_lift: float = 1.2  # bought together at least 20% more often than chance
    min_z: float = 2.0  # and that excess at least two standard deviations, not noise
    top_k: int = 50  # partners kept per product: enough left after out-of-stock ones are skipped
    max_basket: int = 40
    history_days: int = 365  # older baskets say little about what sells now (0: all history)
    popular_days: int = 90  # "popular here" looks at the last quarter of the location's sales
    popular_top: int = 200
    for_you_top: int = 30
    half_life_days: float = 90.0


# --------------------------------------------------------------------------------------------
# Computing


@dataclass
class _Basket:
    location_id: int
    customer_id: int | None
    at: datetime
    products: set[int]
    skus: set[int]


def _read_baskets(session: Session, since: datetime | None
                  ) -> tuple[dict[int, _Basket], int, dict[int, int]]:
    stmt = (select(Order.id, Order.location_id, Order.customer_id, Order.occurred_at,
                   OrderLine.sku_id, Sku.product_id)
            .join(OrderLine, OrderLine.order_id == Order.id).join(Sku, Sku.id == OrderLine.sku_id)
            .where(Order.status.in_(BOUGHT_STATUSES)))
    if since is not None:
        stmt = stmt.where(Order.occurred_at >= since)
    baskets: dict[int, _Basket] = {}
    product_of: dict[int, int] = {}
    lines = 0
    # Plain rows through Core, streamed: 100k lines as ORM objects would cost seconds.
    result = session.connection().execution_options(stream_results=True, yield_per=10_000).execute(stmt)
    for order_id, location_id, customer_id, at, sku_id, product_id in result:
        lines += 1
        basket = baskets.get(order_id)
        if basket is None:
            basket = baskets[order_id] = _Basket(location_id, customer_id, at, set(), set())
        basket.products.add(product_id)
        basket.skus.add(sku_id)
        product_of[sku_id] = product_id
    return baskets, lines, product_of


def compute_recommendations(session: Session, settings: MiningSettings | None = None,
                            now: datetime | None = None) -> dict[str, Any]:
    """Mine the order history and replace the stored recommendations; returns what it did."""
    settings = settings or MiningSettings()
    started, clock = now or utcnow(), time.perf_counter()
    since = started - timedelta(days=settings.history_days) if settings.history_days else None
    baskets, lines, product_of = _read_baskets(session, since)
    session.rollback()  # end the read; the write below takes the write lock only for the swap
    partners = associations((frozenset(b.products) for b in baskets.values()),
                            min_support=settings.min_support, min_lift=settings.min_lift,
                            min_z=settings.min_z,
                            top_k=settings.top_k, max_basket=settings.max_basket)
    latest = max((b.at for b in baskets.values()), default=started)
    popular_rows = _popular_rows(baskets, product_of, latest - timedelta(days=settings.popular_days),
                                 settings)
    member_history: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for b in baskets.values():
        if b.customer_id is not None:
            weight = recency_weight((latest - b.at).total_seconds() / 86400, settings.half_life_days)
            for product in b.products:
                member_history[b.customer_id][product] += weight
    mined_s = time.perf_counter() - clock

    with transaction(session):
        # Consent is read inside the swap: a member who withdrew it meanwhile gets nothing stored.
        consenting = set(session.execute(select(Customer.id).where(
            Customer.consent_recommendations.is_(True), Customer.active.is_(True))).scalars())
        for_you_rows = [
            {"customer_id": customer_id, "rank": rank, "product_id": s.product, "score": s.score,
             "because_product_id": s.because}
            for customer_id, history in member_history.items() if customer_id in consenting
            for rank, s in enumerate(suggest(history, partners, settings.for_you_top))
        ]
        bought_rows = [
            {"product_id": product, "rank": rank, "other_product_id": a.other, "support": a.support,
             "confidence": a.confidence, "lift": a.lift, "score": a.score}
            for product, found in partners.items() for rank, a in enumerate(found)
        ]
        for model in (BoughtTogether, PopularSku, ForYou):
            session.execute(delete(model))
        conn = session.connection()
        for model, rows in ((BoughtTogether, bought_rows), (PopularSku, popular_rows),
                            (ForYou, for_you_rows)):
            for start in range(0, len(rows), 10_000):
                conn.execute(insert(model.__table__), rows[start:start + 10_000])
        stats = {"baskets": len(baskets), "lines": lines, "products_with_partners": len(partners),
                 "pairs": len(bought_rows), "popular": len(popular_rows),
                 "members_with_suggestions": len({r["customer_id"] for r in for_you_rows}),
                 "for_you": len(for_you_rows), "mining_seconds": round(mined_s, 3),
                 "settings": asdict(settings)}
        session.add(RecommendationRun(started_at=started, finished_at=utcnow(), baskets=len(baskets),
                                      lines=lines, stats=stats))
    stats["seconds"] = round(time.perf_counter() - clock, 3)
    return stats


def _popular_rows(baskets: dict[int, _Basket], product_of: dict[int, int], since: datetime,
                  settings: MiningSettings) -> list[dict[str, Any]]:
    per_location: dict[int | None, list[set[int]]] = defaultdict(list)
    for b in baskets.values():
        if b.at >= since:
            per_location[b.location_id].append(b.skus)
            per_location[None].append(b.skus)  # the whole chain: the fallback of a new store
    rows = []
    for location_id, skus in per_location.items():
        rows += [{"location_id": location_id, "rank": rank, "sku_id": sku,
                  "product_id": product_of[sku], "baskets": count}
                 for rank, (sku, count) in enumerate(popularity(skus)[:settings.popular_top])]
    return rows


# --------------------------------------------------------------------------------------------
# Serving

_REASONS = {
    "bought_with": {"en": "Often bought with {name}", "es": "Se suele comprar con {name}",
                    "zh": "常与{name}一起购买", "ru": "Часто покупают вместе с {name}"},
    "because_you_bought": {"en": "Because you bought {name}", "es": "Porque compraste {name}",
                           "zh": "因为您买过{name}", "ru": "Потому что вы купили {name}"},
    "popular_here": {"en": "Popular in this store", "es": "Popular en esta tienda",
                     "zh": "本店热销", "ru": "Популярно в этом магазине"},
    "popular_in_chain": {"en": "Popular across Plaza", "es": "Popular en todas las tiendas Plaza",
                         "zh": "Plaza 全线热销", "ru": "Популярно во всех магазинах Plaza"},
}

_ATS = StockLevel.on_hand - StockLevel.reserved - StockLevel.safety_stock


def _reason(kind: str, lang: str, name: str = "") -> str:
    texts = _REASONS[kind]
    return texts.get(lang, texts["en"]).format(name=name)


def _language(lang: str | None, location: Location) -> str:
    return (lang or location.locale).replace("-", "_").split("_")[0].lower()


def _location(session: Session, code: str | None, who: Principal) -> Location:
    if code is None:
        if who.store_id is None:
            raise InvalidInput("say which store to recommend for: store=CODE", field="store")
        location = session.get(Location, who.store_id)
        assert location is not None
        return location
    location = get_location(session, code)
    who.require_location(location.id)  # a store's staff and devices see their own stock only
    return location


# For each product, its SKUs in stock at the location, the location's best seller first.
_IN_STOCK = (
    select(Sku.product_id, Sku.id, Sku.code, _ATS)
    .join(StockLevel, (StockLevel.sku_id == Sku.id) & (StockLevel.location_id == bindparam("loc")))
    .outerjoin(PopularSku, (PopularSku.sku_id == Sku.id) & (PopularSku.location_id == bindparam("loc")))
    .where(Sku.product_id.in_(bindparam("products", expanding=True)), Sku.active.is_(True), _ATS > 0)
    .order_by(Sku.product_id, func.coalesce(PopularSku.rank, 1_000_000), Sku.id)
)


def _in_stock(session: Session, location_id: int, product_ids: list[int]) -> dict[int, tuple[str, int]]:
    """The SKU to show for each product that has stock here: (code, available)."""
    if not product_ids:
        return {}
    chosen: dict[int, tuple[str, int]] = {}
    for product_id, _sku_id, code, available in session.execute(
            _IN_STOCK, {"loc": location_id, "products": sorted(set(product_ids))}):
        chosen.setdefault(product_id, (code, int(available)))
    return chosen


def _computed_at(session: Session) -> str | None:
    at = session.execute(select(RecommendationRun.finished_at)
                         .order_by(RecommendationRun.id.desc()).limit(1)).scalar_one_or_none()
    return at.isoformat() if at else None


def _popular_items(session: Session, location: Location, limit: int, lang: str,
                   skip: set[int]) -> list[dict[str, Any]]:
    """The location's best sellers in stock there, then the chain's (a store with no history)."""
    rows = session.execute(
        select(PopularSku.product_id, Sku.code, _ATS, PopularSku.location_id)
        .join(Sku, Sku.id == PopularSku.sku_id)
        .join(StockLevel, (StockLevel.sku_id == PopularSku.sku_id)
              & (StockLevel.location_id == location.id))
        .where((PopularSku.location_id == location.id) | PopularSku.location_id.is_(None),
               Sku.active.is_(True), _ATS > 0)
        .order_by(PopularSku.location_id.is_(None), PopularSku.rank)
        .limit(4 * (limit + len(skip)) + 20)).all()
    picked: list[tuple[int, str, int, bool]] = []
    seen = set(skip)
    for product_id, code, available, at_location in rows:
        if product_id in seen:
            continue
        seen.add(product_id)  # one variant per product: three colours of a phone are one idea
        picked.append((product_id, code, int(available), at_location is not None))
        if len(picked) == limit:
            break
    names = product_names(session, {p for p, *_ in picked}, lang)
    return [{"sku": code, "name": names.get(product_id, code), "available": available,
             "explanation": {"kind": "popular_here" if local else "popular_in_chain",
                             "text": _reason("popular_here" if local else "popular_in_chain", lang)}}
            for product_id, code, available, local in picked]


def bought_together(session: Session, sku_code: str, store: str | None, limit: int,
                    lang: str | None, who: Principal) -> dict[str, Any]:
    """What shoppers buy with this SKU, in stock at the store; best sellers if we know nothing."""
    location = _location(session, store, who)
    lang = _language(lang, location)
    product_id = session.execute(select(Sku.product_id).where(Sku.code == sku_code)).scalar_one_or_none()
    if product_id is None:
        raise NotFound(f"no SKU {sku_code}", sku=sku_code)
    stored = session.execute(
        select(BoughtTogether).where(BoughtTogether.product_id == product_id)
        .order_by(BoughtTogether.rank)).scalars().all()
    stock = _in_stock(session, location.id, [b.other_product_id for b in stored])
    chosen = [b for b in stored if b.other_product_id in stock][:limit]
    names = product_names(session, {product_id} | {b.other_product_id for b in chosen}, lang)
    because = names.get(product_id, sku_code)
    items = [{
        "sku": stock[b.other_product_id][0], "name": names.get(b.other_product_id, ""),
        "available": stock[b.other_product_id][1],
        "explanation": {"kind": "bought_with", "text": _reason("bought_with", lang, because),
                        "because": {"sku": sku_code, "name": because}},
        "stats": {"support": b.support, "confidence": round(b.confidence, 4),
                  "lift": round(b.lift, 3), "score": round(b.score, 4)},
    } for b in chosen]
    if len(items) < limit:
        items += _popular_items(session, location, limit - len(items), lang,
                                {product_id} | {b.other_product_id for b in chosen})
    return {"sku": sku_code, "store": location.code, "language": lang,
            "computed_at": _computed_at(session), "items": items}


def popular(session: Session, store: str | None, limit: int, lang: str | None,
            who: Principal) -> dict[str, Any]:
    location = _location(session, store, who)
    lang = _language(lang, location)
    return {"store": location.code, "language": lang, "computed_at": _computed_at(session),
            "items": _popular_items(session, location, limit, lang, set())}


def for_you(session: Session, store: str | None, limit: int, lang: str | None, who: Principal,
            qr: QRSettings, member_qr: str | None = None, customer: str | None = None) -> dict[str, Any]:
    """Suggestions from a member's own purchases, only if they agreed; else the store's best sellers.

    Terminals name the member by the QR the shopper shows (a kiosk must not look people up by
    number); staff and the online shop may use the member number.
    """
    location = _location(session, store, who)
    if member_qr:
        member = verify_member_qr(session, member_qr, qr)
    elif customer:
        if who.kind == "device":
            raise Forbidden("a till or kiosk names the member by their member QR: member_qr=...")
        member = get_customer(session, customer)
    else:
        raise InvalidInput("say for whom: member_qr=<scanned QR> or customer=<member number>")
    lang = _language(lang or member.language, location)
    answer: dict[str, Any] = {"member": member.number, "store": location.code, "language": lang,
                              "computed_at": _computed_at(session)}
    if not member.consent_recommendations:
        return {**answer, "personalised": False,
                "notice": "the member has not agreed to personalised recommendations; "
                          "these are the store's best sellers",
                "items": _popular_items(session, location, limit, lang, set())}
    stored = session.execute(select(ForYou).where(ForYou.customer_id == member.id)
                             .order_by(ForYou.rank)).scalars().all()
    stock = _in_stock(session, location.id, [s.product_id for s in stored])
    chosen = [s for s in stored if s.product_id in stock][:limit]
    names = product_names(session, {s.product_id for s in chosen} | {s.because_product_id for s in chosen},
                          lang)
    items = [{
        "sku": stock[s.product_id][0], "name": names.get(s.product_id, ""),
        "available": stock[s.product_id][1],
        "explanation": {"kind": "because_you_bought",
                        "text": _reason("because_you_bought", lang, names.get(s.because_product_id, "")),
                        "because": {"name": names.get(s.because_product_id, "")}},
        "stats": {"score": round(s.score, 4)},
    } for s in chosen]
    if len(items) < limit:
        items += _popular_items(session, location, limit - len(items), lang,
                                {s.product_id for s in stored})
    return {**answer, "personalised": True, "items": items}


def load_partners(session: Session) -> dict[int, list[Association]]:
    """The stored "bought together" table as the miner produced it (for offline evaluation)."""
    partners: dict[int, list[Association]] = defaultdict(list)
    for row in session.execute(select(BoughtTogether).order_by(BoughtTogether.product_id,
                                                              BoughtTogether.rank)).scalars():
        partners[row.product_id].append(
            Association(row.other_product_id, row.support, row.confidence, row.lift, row.score))
    return dict(partners)
