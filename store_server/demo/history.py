"""A few months of plausible purchase history for the demo chain, with members.

Baskets follow real patterns so that "bought together" and "for you" visibly make sense: a
phone with its own case, screen protector and a charger; a laptop with a mouse and a hub;
salmon with lemons and potatoes; dumplings with soy sauce and ginger; milk, bread and eggs;
tea with nuts and chocolate; paella rice with prawns and mussels. Best sellers (bananas, water,
cables) are sprinkled over baskets regardless, as they are in real tills, so a recommender that
just follows popularity is visibly worse. Each member has a home store and a couple of habits,
and members of Madrid also order online: their history spans channels.

History is imported as completed orders, the way a chain migrating from another system would
bring its past sales: it does not move today's stock (the opening stock was counted after it).
Everything is deterministic from the seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from retail.money import Money
from retail.pricing import LineInput, price_order
from retail.tax import regime_for
from store_server.catalog.models import Sku
from store_server.customers.models import Customer
from store_server.customers.service import award_points
from store_server.db import transaction, utcnow
from store_server.demo.catalogue import ProductSpec, demo_catalogue
from store_server.locations.models import Location
from store_server.orders.records import NewOrder, TenderIn, insert_orders
from store_server.recommendations.service import compute_recommendations

DEMO_EMAIL_DOMAIN = "members.plaza.example"

# Orders per day at each location (the warehouse takes the online shop's orders).
DAILY_ORDERS = {"MAD-XANADU": 14, "SHA-JINQIAO": 24, "SHA-LUJIAZUI": 18, "MOW-AVIAPARK": 14,
                "WH-ONLINE": 10}
HOME_STORES = ("MAD-XANADU", "SHA-JINQIAO", "SHA-LUJIAZUI", "MOW-AVIAPARK")
PLUGS = {"ES": "EU", "RU": "EU", "CN": "CN"}

# A pattern: an anchor product and companions with the chance each joins the basket.
PHONES_WITH_CASES = ("A3", "X5", "X5P", "X9U", "N12")
Pattern = tuple[str, tuple[tuple[str, float], ...]]
Patterns = list[tuple[float, Callable[[random.Random], Pattern]]]  # weight, pattern maker
ELECTRONICS: Patterns = [
    (5.0, lambda r: (f"ELC-PHN-{(m := r.choice(PHONES_WITH_CASES))}",
                     ((f"ELC-CASE-{m}", 0.75), (f"ELC-GLS-{m}", 0.65),
                      (r.choice(("ELC-CHG-20", "ELC-CHG-33")), 0.4), ("ELC-AUD-BL", 0.15)))),
    (1.0, lambda r: ("ELC-PHN-FLIP", (("ELC-CHG-33", 0.5), ("ELC-AUD-B3", 0.3)))),
    (2.0, lambda r: (r.choice(("ELC-LAP-AIR14", "ELC-LAP-PRO16", "ELC-LAP-GO15")),
                     (("ELC-MSE-M3", 0.55), ("ELC-HUB-H7", 0.45), ("ELC-KBD-K3", 0.2),
                      ("ELC-CHG-65G", 0.25)))),
    (1.5, lambda r: (r.choice(("ELC-WTC-W5", "ELC-WTC-W5P")), (("ELC-WTC-STRAP", 0.6),
                                                               ("ELC-CHG-WL", 0.2)))),
    (1.0, lambda r: (r.choice(("ELC-VAC-S7", "ELC-VAC-S8P")), (("ELC-VAC-KIT", 0.6),
                                                               ("ELC-HOME-PLUG", 0.2)))),
    (1.0, lambda r: (r.choice(("ELC-CAM-ACT4", "ELC-CAM-Z50", "ELC-CAM-D2")),
                     (("ELC-MEM-SD", 0.75), ("ELC-PWB-10K", 0.25)))),
    (1.2, lambda r: (r.choice(("ELC-TAB-P11", "ELC-TAB-P13P", "ELC-TAB-MINI")),
                     (("ELC-KBD-K1", 0.45), ("ELC-CHG-33", 0.3), ("ELC-AUD-B3", 0.2)))),
    (1.0, lambda r: (r.choice(("ELC-TV-U7", "ELC-TV-S9")), (("ELC-NET-MESH", 0.35),
                                                            ("ELC-AUD-SPK", 0.2)))),
    (1.2, lambda r: ("ELC-HOME-PLUG", (("ELC-HOME-BULB", 0.7), ("ELC-CAM-C200", 0.3)))),
    (1.5, lambda r: (r.choice(("ELC-CHG-65G", "ELC-CHG-100G")), (("ELC-CBL-CC240", 0.7),))),
    (1.5, lambda r: (r.choice(("ELC-PWB-10K", "ELC-PWB-20K")), (("ELC-CBL-CC60", 0.6),))),
    (0.8, lambda r: (r.choice(("ELC-SCT-E2", "ELC-SCT-E3P")), (("ELC-PWB-25K", 0.2),))),
    (1.0, lambda r: ("ELC-AUD-H1", (("ELC-CBL-AC", 0.3),))),
]
GROCERY: Patterns = [
    (3.0, lambda r: ("GRC-SALMON", (("GRC-LEMON", 0.75), ("GRC-POTATO", 0.45), ("GRC-BROCCOLI", 0.3)))),
    (1.5, lambda r: (r.choice(("GRC-SEABASS", "GRC-COD", "GRC-HAKE", "GRC-BREAM")),
                     (("GRC-LEMON", 0.5), ("GRC-OLIVEOIL", 0.35), ("GRC-TOMATO-VINE", 0.3)))),
    (3.0, lambda r: ("GRC-DUMPLING", (("GRC-SOYSAUCE", 0.6), ("GRC-GINGER", 0.35),
                                      ("GRC-BOKCHOY", 0.3), ("GRC-XLB", 0.25)))),
    (2.0, lambda r: ("GRC-NOODLE-INST", (("GRC-DUMPLING", 0.45), ("GRC-LATIAO", 0.4),
                                         ("GRC-COLA", 0.3)))),
    (4.0, lambda r: ("GRC-MILK", (("GRC-EGGS", 0.6), (r.choice(("GRC-MILKBREAD", "GRC-SOURDOUGH",
                                                                "GRC-CROISSANT")), 0.6),
                                  ("GRC-BUTTER", 0.3), ("GRC-YOGURT", 0.2)))),
    (2.5, lambda r: (r.choice(("GRC-TEA-LONGJING", "GRC-TEA-TGY", "GRC-TEA-JASMINE", "GRC-TEA-PUER")),
                     (("GRC-NUTS", 0.5), ("GRC-CHOC70", 0.35), ("GRC-SEAWEED", 0.3)))),
    (1.5, lambda r: ("GRC-PELMENI", (("GRC-KEFIR", 0.5), ("GRC-BORODINSKY", 0.45),
                                     ("GRC-KVASS", 0.25)))),
    (1.0, lambda r: ("GRC-BUCKWHEAT", (("GRC-BUTTER", 0.5), ("GRC-CHKBREAST", 0.3)))),
    (1.0, lambda r: ("GRC-RICE-BOMBA", (("GRC-PRAWN", 0.65), ("GRC-MUSSEL", 0.55),
                                        ("GRC-LEMON", 0.3), ("GRC-PEPPER-RED", 0.3)))),
    (1.2, lambda r: ("GRC-RIBEYE", (("GRC-POTATO", 0.5), ("GRC-PEPPER-RED", 0.35),
                                    ("GRC-OLIVEOIL", 0.25)))),
    (1.5, lambda r: (r.choice(("GRC-TOFU-SILK", "GRC-TOFU-FIRM")), (("GRC-SOYSAUCE", 0.5),
                                                                    ("GRC-BOKCHOY", 0.4),
                                                                    ("GRC-SHIITAKE", 0.35)))),
    (1.0, lambda r: ("GRC-HAIRYCRAB", (("GRC-GINGER", 0.6), ("GRC-TEA-LONGJING", 0.2)))),
    (1.0, lambda r: ("GRC-MANCHEGO", (("GRC-SOURDOUGH", 0.5), ("GRC-OLIVEOIL", 0.35),
                                      ("GRC-TURRON", 0.2)))),
    (1.0, lambda r: ("GRC-CHIPS", (("GRC-COLA", 0.55), ("GRC-SEMECHKI", 0.2)))),
]
# Best sellers that land in baskets whatever else is in them.
GROCERY_STAPLES = (("GRC-BANANA", 0.28), ("GRC-WATER", 0.22), ("GRC-APPLE-FUJI", 0.15),
                   ("GRC-MILK", 0.12), ("GRC-EGGS", 0.08))
ELECTRONICS_STAPLES = (("ELC-CBL-AC", 0.22), ("ELC-CBL-CC60", 0.15), ("ELC-AUD-BL", 0.08))

FIRST = {"es": ["Lucía", "Hugo", "Martina", "Mateo", "Sofía", "Leo", "Paula", "Daniel", "Carmen",
                "Javier"],
         "zh": ["芳", "伟", "娜", "静", "磊", "敏", "洋", "婷", "军", "琳"],
         "ru": ["Анна", "Дмитрий", "Мария", "Иван", "Елена", "Сергей", "Ольга", "Алексей",
                "Наталья", "Михаил"],
         "en": ["Emma", "Oliver", "Amelia", "George", "Isla", "Noah"]}
LAST = {"es": ["García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Ruiz"],
        "zh": ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"],
        "ru": ["Иванова", "Смирнова", "Кузнецова", "Попова", "Соколова", "Лебедева"],
        "en": ["Smith", "Jones", "Taylor", "Brown", "Wilson"]}
LANGUAGE = {"MAD-XANADU": "es", "SHA-JINQIAO": "zh", "SHA-LUJIAZUI": "zh", "MOW-AVIAPARK": "ru"}
PHONE_PREFIX = {"es": "+346", "zh": "+86138", "ru": "+79", "en": "+447"}


@dataclass
class _Member:
    id: int
    home: str
    name: str
    email: str
    habits: list[Pattern]


def _weighted(rng: random.Random, patterns: Patterns) -> Pattern:
    weights = [w for w, _ in patterns]
    return rng.choices([p for _, p in patterns], weights)[0](rng)


def load_purchase_history(session: Session, days: int = 100, members: int = 240,
                          seed: int = 2026, now: datetime | None = None) -> dict[str, Any]:
    """Members and ``days`` of completed orders up to yesterday, then points and recommendations.

    Runs once: a chain that already has the demo members is left as it is.
    """
    if session.execute(select(Customer.id).where(Customer.email.like(f"%@{DEMO_EMAIL_DOMAIN}"))
                       .limit(1)).first():
        return {"status": "already loaded"}
    rng = random.Random(seed)
    now = now or utcnow()
    catalogue = {spec.code: spec for spec in demo_catalogue()}
    locations = {loc.code: loc for loc in session.execute(select(Location)).scalars()}
    sku_ids = dict(session.execute(select(Sku.code, Sku.id)).all())
    from store_server.demo.load import ASSORTMENT  # the loader imports us: import at call time

    sold_at = {code: {p.code for p in catalogue.values() if p.category.startswith(prefixes)}
               for code, prefixes in ASSORTMENT.items()}
    people = _create_members(session, rng, members, now)
    by_home: dict[str, list[_Member]] = {}
    for m in people:
        kind = ELECTRONICS if m.home == "MAD-XANADU" else GROCERY
        m.habits = [_weighted(rng, kind) for _ in range(2)]
        by_home.setdefault(m.home, []).append(m)

    orders: list[NewOrder] = []
    lines = 0
    start = (now - timedelta(days=days)).date()
    for day in range(days):
        date = start + timedelta(days=day)
        for code, per_day in DAILY_ORDERS.items():
            location = locations[code]
            zone = ZoneInfo(location.timezone)
            weekend = 1.3 if date.weekday() >= 5 else 1.0
            for _ in range(max(1, round(rng.gauss(per_day * weekend, per_day * 0.2)))):
                local = datetime(date.year, date.month, date.day, rng.randint(9, 21),
                                 rng.randint(0, 59), rng.randint(0, 59), tzinfo=zone)
                occurred = local.astimezone(UTC)
                if occurred >= now:
                    continue
                member = _shopper(rng, code, by_home)
                basket = _basket(rng, code, location, member, catalogue, sold_at[code])
                if not basket:
                    continue
                order = _order(rng, location, basket, catalogue, sku_ids, occurred, member)
                lines += len(basket)
                orders.append(order)
    with transaction(session):
        for begin in range(0, len(orders), 500):
            insert_orders(session, orders[begin:begin + 500])
    points = award_points(session)
    recommendations = compute_recommendations(session, now=now)
    return {"status": "loaded", "members": len(people), "orders": len(orders), "lines": lines,
            "points_awarded": points,
            "bought_together_pairs": recommendations["pairs"],
            "members_with_suggestions": recommendations["members_with_suggestions"]}


def _create_members(session: Session, rng: random.Random, count: int, now: datetime) -> list[_Member]:
    rows = []
    for i in range(count):
        home = HOME_STORES[i % len(HOME_STORES)]
        lang = LANGUAGE[home] if rng.random() > 0.1 else "en"
        first, last = rng.choice(FIRST[lang]), rng.choice(LAST[lang])
        name = f"{last}{first}" if lang == "zh" else f"{first} {last}"
        rows.append({
            "number": f"M{i + 1:09d}", "name": name,
            "phone": PHONE_PREFIX[lang] + f"{rng.randrange(10**7, 10**8)}{i:03d}"[-9:],
            "email": f"member{i + 1}@{DEMO_EMAIL_DOMAIN}", "language": lang,
            "consent_marketing": rng.random() < 0.4,
            # Most, not all: the demo shows both a personal and a non-personal "for you".
            "consent_recommendations": rng.random() < 0.75,
            "consent_updated_at": now, "points": 0, "qr_version": 1, "active": True,
            "created_at": now - timedelta(days=200), "updated_at": now,
        })
    with transaction(session):
        ids = session.execute(insert(Customer).returning(Customer.id, Customer.number), rows).all()
    by_number = {number: cid for cid, number in ids}
    return [_Member(by_number[r["number"]], HOME_STORES[i % len(HOME_STORES)], r["name"], r["email"], [])
            for i, r in enumerate(rows)]


def _shopper(rng: random.Random, code: str, by_home: dict[str, list[_Member]]) -> _Member | None:
    """About half of the shoppers show a member QR; online, Madrid's members order."""
    home = "MAD-XANADU" if code == "WH-ONLINE" else code
    if rng.random() < 0.5 and by_home.get(home):
        return rng.choice(by_home[home])
    return None


def _basket(rng: random.Random, code: str, location: Location, member: _Member | None,
            catalogue: dict[str, ProductSpec], sold: set[str]) -> dict[str, str]:
    """Product code -> SKU code for one shopping trip, limited to what the location sells."""
    electronics = code == "MAD-XANADU" or (code in ("MOW-AVIAPARK", "WH-ONLINE") and rng.random() < 0.5)
    if member is not None and rng.random() < 0.6:
        pattern = rng.choice(member.habits)
    else:
        pattern = _weighted(rng, ELECTRONICS if electronics else GROCERY)
    anchor, companions = pattern
    wanted = [anchor] + [p for p, chance in companions if rng.random() < chance]
    staples = ELECTRONICS_STAPLES if anchor.startswith("ELC") else GROCERY_STAPLES
    wanted += [p for p, chance in staples if rng.random() < chance]
    basket = {}
    for product in wanted:
        if product in sold and product not in basket:
            basket[product] = _variant(rng, catalogue[product], location.country)
    return basket


def _variant(rng: random.Random, spec: ProductSpec, country: str) -> str:
    """The SKU a shopper picks: the local plug, else mostly the first (most common) variant."""
    plug = [s.code for s in spec.skus if s.variant.get("plug") == PLUGS.get(country)]
    if plug:
        return plug[0]
    skus = [s.code for s in spec.skus]
    return skus[0] if rng.random() < 0.5 else rng.choice(skus)


def _order(rng: random.Random, location: Location, basket: dict[str, str],
           catalogue: dict[str, ProductSpec], sku_ids: dict[str, int], occurred: datetime,
           member: _Member | None) -> NewOrder:
    inputs = []
    for product, sku_code in basket.items():
        sku = next(s for s in catalogue[product].skus if s.code == sku_code)
        quantity = rng.randrange(250, 1500, 50) if sku.sold_by == "weight" else (
            1 if product.startswith("ELC") or rng.random() < 0.8 else 2)
        inputs.append(LineInput(sku.code, quantity, Money(sku.prices[location.currency], location.currency),
                                sku.tax_class, sku.sold_by))
    priced = price_order(inputs, regime_for(location.country), location.currency)
    online = location.kind == "warehouse"
    customer = {"name": member.name, "email": member.email} if member and online else {}
    number = f"{'ON' if online else 'S'}-{occurred:%y%m%d}-H{rng.randrange(16**6):06X}"
    return NewOrder(
        channel="online" if online else "pos", fulfilment="ship" if online else "in_store",
        status="completed", location_id=location.id, priced=priced,
        sku_ids={code: sku_ids[code] for code in basket.values()}, occurred_at=occurred,
        actor="demo history", number=number, cashier="" if online else "demo",
        customer=customer, customer_id=member.id if member else None,
        tenders=[TenderIn("alipay_qr" if location.country == "CN" else "cash", priced.total.amount)],
        note="imported purchase history")
