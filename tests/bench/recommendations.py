"""Recommendation benchmark (issue 6): offline hit rate on hidden baskets, and serving over HTTP.

Purchase data with known structure over a generated catalogue at Madrid: products have a
long-tailed (Zipf) popularity, and there are bundles of 3-5 products that go together (a
phone, its case, its screen protector). A basket is most often part of a bundle plus a few
items drawn by popularity alone. 80% of the baskets become completed orders; the rest are held
out. From each held-out basket one product is hidden and the rest is the query:

- "bought together": the stored list of one remaining product (what a product page shows);
- "basket": the stored lists of all remaining products combined (what a kiosk basket shows);
- the baseline: the best sellers not already in the basket.

Hit rate at 10 = the share of held-out baskets whose hidden product is in the 10 suggested.
The recommender must clearly beat the baseline. Then gunicorn (2 sync workers) serves the three
endpoints to 8 clients: p50 and p99 per endpoint.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from retail.money import Money
from retail.pricing import LineInput, price_order
from retail.tax import regime_for
from store_server import create_app
from store_server.catalog.models import Sku
from store_server.customers.models import Customer
from store_server.db import transaction, utcnow
from store_server.locations.models import Location
from store_server.orders.records import NewOrder, insert_orders
from store_server.recommendations.mining import popularity, suggest
from store_server.recommendations.service import compute_recommendations, load_partners
from tests.bench.harness import Setup, database, load, prepare, server

STORE = "MAD-XANADU"


def synthetic_baskets(products: Sequence[int], count: int, seed: int = 11) -> list[list[int]]:
    """Baskets of product ids with bundles (the known structure) over Zipf popularity."""
    rng = random.Random(seed)
    shuffled = list(products)
    rng.shuffle(shuffled)
    # Popularity follows a Zipf law: a few best sellers, a long tail.
    zipf = [1 / (rank + 1) ** 1.1 for rank in range(len(shuffled))]
    bundles = [rng.sample(shuffled, rng.randint(3, 5)) for _ in range(len(shuffled) // 8)]
    bundle_weight = [1 / (rank + 1) ** 0.8 for rank in range(len(bundles))]
    baskets = []
    for _ in range(count):
        basket: list[int] = []
        if rng.random() < 0.8:
            bundle = rng.choices(bundles, bundle_weight)[0]
            anchor, *rest = rng.sample(bundle, len(bundle))
            basket = [anchor] + [p for p in rest if rng.random() < 0.6] or [anchor, rest[0]]
        noise = min(6, int(rng.expovariate(1 / 1.5))) or (0 if basket else 1)
        basket += rng.choices(shuffled, zipf, k=noise)
        if len(set(basket)) == 1 and rng.random() < 0.5:
            basket += rng.choices(shuffled, zipf, k=1)
        baskets.append(list(dict.fromkeys(basket)))
    return baskets


def record_training(setup: Setup, baskets: list[list[int]]) -> tuple[float, int]:
    """Training baskets as completed till sales at Madrid over the last 90 days."""
    app = create_app({"INSTANCE_PATH": setup.instance, "DATABASE_URL": setup.database_url})
    started = time.perf_counter()
    lines = 0
    with app.extensions["plaza"].session_factory() as session:
        store = session.execute(select(Location).where(Location.code == STORE)).scalar_one()
        first_sku = {}
        for product_id, sku_id, code, sold_by, tax_class in session.execute(
                select(Sku.product_id, Sku.id, Sku.code, Sku.sold_by, Sku.tax_class)
                .where(Sku.code.like("GEN%")).order_by(Sku.id)):
            first_sku.setdefault(product_id, (sku_id, code, sold_by, tax_class))
        regime, now = regime_for(store.country), utcnow()
        orders = []
        for i, basket in enumerate(baskets):
            chosen = [first_sku[p] for p in basket]
            priced = price_order([LineInput(code, 500 if sold_by == "weight" else 1,
                                            Money(999, store.currency), tax_class, sold_by)
                                  for _, code, sold_by, tax_class in chosen], regime, store.currency)
            lines += len(chosen)
            orders.append(NewOrder(
                channel="pos", fulfilment="in_store", status="completed", location_id=store.id,
                priced=priced, sku_ids={code: sku_id for sku_id, code, *_ in chosen},
                occurred_at=now - timedelta(minutes=90 * 24 * 60 * (len(baskets) - i) // len(baskets)),
                actor="bench", number=f"B-{i:08d}"))
        with transaction(session):
            for start in range(0, len(orders), 1000):
                insert_orders(session, orders[start:start + 1000])
    app.extensions["plaza"].engine.dispose()
    return time.perf_counter() - started, lines


def hit_rates(setup: Setup, held_out: list[list[int]], training: list[list[int]],
              seed: int = 13) -> dict[str, Any]:
    app = create_app({"INSTANCE_PATH": setup.instance, "DATABASE_URL": setup.database_url})
    with app.extensions["plaza"].session_factory() as session:
        partners = load_partners(session)
    app.extensions["plaza"].engine.dispose()
    best_sellers = [p for p, _ in popularity(training)]
    rng = random.Random(seed)
    hits = {"bought together (one item)": 0, "basket (all items)": 0, "popularity baseline": 0}
    cases = 0
    for basket in held_out:
        if len(basket) < 2:
            continue
        cases += 1
        hidden = rng.choice(basket)
        rest = [p for p in basket if p != hidden]
        query = rng.choice(rest)
        one = [a.other for a in partners.get(query, []) if a.other not in rest][:10]
        whole = [s.product for s in suggest(dict.fromkeys(rest, 1.0), partners, 10)]
        baseline = [p for p in best_sellers[:10 + len(rest)] if p not in rest][:10]
        for name, suggested in (("bought together (one item)", one), ("basket (all items)", whole),
                                ("popularity baseline", baseline)):
            hits[name] += hidden in suggested
    return {name: count / cases for name, count in hits.items()} | {"cases": cases, "hits": hits}


def run(kinds: list[str], baskets: int = 25_000, seconds: float = 5, clients: int = 8) -> None:
    for kind in kinds:
        with database(kind) as url:
            setup = prepare(url, 3000)
            app = create_app({"INSTANCE_PATH": setup.instance, "DATABASE_URL": url})
            with app.extensions["plaza"].session_factory() as session:
                products = sorted(set(session.execute(
                    select(Sku.product_id).where(Sku.code.like("GEN%"))).scalars()))
                members = list(session.execute(select(Customer.number).where(
                    Customer.consent_recommendations.is_(True))).scalars())
                skus = list(session.execute(select(Sku.code).where(Sku.code.like("GEN%"))).scalars())
            data = synthetic_baskets(products, baskets)
            cut = int(len(data) * 0.8)
            training, held_out = data[:cut], data[cut:]
            print(f"\n== {kind}: demo chain + {len(products):,} generated products; {len(training):,} "
                  f"training baskets, {len(held_out):,} held out", flush=True)
            seconds_in, lines = record_training(setup, training)
            print(f"recorded {lines:,} order lines in {seconds_in:.1f} s", flush=True)
            with app.extensions["plaza"].session_factory() as session:
                stats = compute_recommendations(session)
            app.extensions["plaza"].engine.dispose()
            print(f"compute: {stats['baskets']:,} baskets, {stats['lines']:,} lines -> {stats['pairs']:,} "
                  f"pairs, {stats['for_you']:,} for-you rows in {stats['seconds']:.2f} s "
                  f"(mining {stats['mining_seconds']:.2f} s)", flush=True)
            rates = hit_rates(setup, held_out, training)
            cases, hits = rates.pop("cases"), rates.pop("hits")
            for name, rate in rates.items():
                print(f"hit rate @10, {name:28s}: {rate:6.1%}  ({hits[name]:,} of {cases:,} hidden items)",
                      flush=True)
            rng = random.Random(2)
            groups: dict[str, tuple[list[str], list[str] | None]] = {
                "bought-together": ([f"/api/v1/recommendations/bought-together/{rng.choice(skus)}"
                                     f"?store={STORE}&limit=10" for _ in range(2000)], None),
                # POST: a member QR must never sit in a URL; the online shop names members too.
                "for-you": (["/api/v1/recommendations/for-you"],
                            [json.dumps({"customer": m, "store": STORE, "limit": 10}) for m in members]),
                "popular": ([f"/api/v1/recommendations/popular?store={STORE}&limit=10"], None),
            }
            with server(setup, workers=2) as base:
                for name, (group, bodies) in groups.items():
                    load(base, group, setup.admin_token, clients, 1, bodies)  # warm both workers up
                    for n in (1, clients):
                        result = load(base, group, setup.admin_token, n, seconds, bodies)
                        print(f"{name:16s} {n:2d} clients: {result.line()}", flush=True)
