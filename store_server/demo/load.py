"""Loading the demo chain (README), and large generated catalogues for benchmarks.

The demo goes through the same services a manager's API calls use, so it exercises and
obeys every rule (events, ledger, validation). The large catalogue is bulk-inserted with
set-based statements (docs/BENCHMARKS.md) and still writes its ledger movements and events.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from retail.gs1 import gtin14
from store_server.accounts.service import UserIn, create_user
from store_server.catalog.models import Gtin, Price, PriceList, Product, ProductTranslation, Sku
from store_server.catalog.service import (
    PriceIn,
    PriceListIn,
    PricesIn,
    ProductIn,
    SkuIn,
    add_product,
    create_price_list,
    set_prices,
    sku_documents,
)
from store_server.config import instance_path
from store_server.db import transaction, utcnow
from store_server.demo.catalogue import ProductSpec, demo_catalogue, large_catalogue
from store_server.demo.history import load_purchase_history
from store_server.events.service import NewEvent, record_many
from store_server.inventory.service import LineIn, Movement, ReceiptIn, apply_movements, receive
from store_server.locations.models import Location
from store_server.locations.service import LocationIn, QuickDelivery, get_location, open_location

# Price lists by currency; US and Canadian shelf prices exclude sales tax.
PRICE_LISTS = [
    ("EUR", "EU-EUR", "Eurozone (ES, DE, FR)", None, True),
    ("CNY", "CN-CNY", "China", "CN", True),
    ("RUB", "RU-RUB", "Russia", "RU", True),
    ("BRL", "BR-BRL", "Brazil", "BR", True),
    ("USD", "US-USD", "United States", "US", False),
    ("GBP", "GB-GBP", "United Kingdom", "GB", True),
    ("CAD", "CA-CAD", "Canada", "CA", False),
]

# The companies behind the stores, as receipts name them (made up; the tax IDs have valid check
# digits: a Spanish CIF, a Chinese unified social credit code, a Russian ИНН).
_SPAIN = {"legal_name": "Plaza Comercio España, S.L.", "tax_id": "B87654323"}
_CHINA = {"legal_name": "上海普拉扎零售有限公司", "tax_id": "91310115MA1K407P8A"}
_RUSSIA = {"legal_name": "ООО «Плаза Ритейл»", "tax_id": "7714862033"}

LOCATIONS = [
    LocationIn(code="WH-ONLINE", name="Plaza Online Warehouse Getafe", kind="warehouse",
               country="ES", currency="EUR", locale="es_ES", timezone="Europe/Madrid",
               address="Calle de la Confianza 4, 28903 Getafe, Madrid", latitude=40.3051,
               longitude=-3.7230, price_list="EU-EUR", ships_online_orders=True, **_SPAIN),
    LocationIn(code="MAD-XANADU", name="Plaza Madrid Xanadú", kind="store", country="ES",
               currency="EUR", locale="es_ES", timezone="Europe/Madrid",
               address="C. Puerto de Navacerrada, CC Intu Xanadú, 28939 Arroyomolinos, Madrid",
               latitude=40.2969, longitude=-3.9308, price_list="EU-EUR",
               opening_hours={"mon-sun": "10:00-22:00"}, click_and_collect=True, **_SPAIN),
    LocationIn(code="SHA-JINQIAO", name="盒马鲜生 上海金桥店 (Hema Shanghai Jinqiao)", kind="store",
               country="CN", currency="CNY", locale="zh_CN", timezone="Asia/Shanghai",
               address="上海市浦东新区张杨路3611弄 金桥国际商业广场", latitude=31.2590,
               longitude=121.5873, price_list="CN-CNY", opening_hours={"mon-sun": "08:00-22:00"},
               click_and_collect=True, quick_delivery=QuickDelivery(radius_km=3, promise_minutes=30),
               **_CHINA),
    LocationIn(code="SHA-LUJIAZUI", name="盒马鲜生 上海陆家嘴店 (Hema Shanghai Lujiazui)",
               kind="store", country="CN", currency="CNY", locale="zh_CN", timezone="Asia/Shanghai",
               address="上海市浦东新区陆家嘴环路1000号", latitude=31.2362, longitude=121.5036,
               price_list="CN-CNY", opening_hours={"mon-sun": "08:00-22:00"},
               click_and_collect=True, quick_delivery=QuickDelivery(radius_km=3, promise_minutes=30),
               **_CHINA),
    LocationIn(code="MOW-AVIAPARK", name="Plaza Москва Авиапарк", kind="store", country="RU",
               currency="RUB", locale="ru_RU", timezone="Europe/Moscow",
               address="Ходынский бульвар, 4, Москва, 125167", latitude=55.7904, longitude=37.5310,
               price_list="RU-RUB", opening_hours={"mon-sun": "10:00-22:00"},
               click_and_collect=True, **_RUSSIA),
]

# What each location sells, by category prefix.
ASSORTMENT = {
    "WH-ONLINE": ("electronics", "grocery/packaged", "grocery/drinks", "grocery/snacks"),
    "MAD-XANADU": ("electronics",),
    "SHA-JINQIAO": ("grocery", "electronics/accessories", "electronics/chargers",
                    "electronics/cables", "electronics/audio"),
    "SHA-LUJIAZUI": ("grocery",),
    "MOW-AVIAPARK": ("electronics", "grocery"),
}


def _product_in(spec: ProductSpec) -> ProductIn:
    return ProductIn(
        code=spec.code, brand=spec.brand, category=spec.category, names=dict(spec.names),
        descriptions=dict(spec.descriptions), origin=dict(spec.origin),
        image_urls=[spec.image_url] if spec.image_url else [],
        skus=[SkuIn(code=s.code, gtins=list(s.gtins), sold_by=s.sold_by,  # type: ignore[arg-type]
                    tax_class=s.tax_class, variant=dict(s.variant)) for s in spec.skus],  # type: ignore[arg-type]
    )


def _opening_quantity(sku_code: str, sold_by: str, category: str) -> int:
    """A plausible, deterministic opening stock: grams for weighed goods, pieces otherwise."""
    spread = sum(sku_code.encode()) % 10
    if sold_by == "weight":
        return 8_000 + spread * 3_000
    if category.startswith("electronics"):
        return 6 + spread * 3
    return 40 + spread * 12


def _credentials_file() -> Path:
    return instance_path() / "demo-credentials.json"


def load_demo(session: Session) -> dict[str, Any]:
    """Create the demo chain once; later calls report what is there."""
    if session.execute(select(Location.id).where(Location.code == "MAD-XANADU")).first():
        return {"status": "already loaded", **_counts(session)}
    for currency, code, name, country, inclusive in PRICE_LISTS:
        create_price_list(session, PriceListIn(code=code, name=name, country=country,
                                               currency=currency, prices_include_tax=inclusive))
    for location in LOCATIONS:
        open_location(session, location)
    catalogue = demo_catalogue()
    for spec in catalogue:
        add_product(session, _product_in(spec))
    since = datetime(2026, 1, 1, tzinfo=UTC)
    for currency, code, *_ in PRICE_LISTS:
        prices = [PriceIn(sku=s.code, amount=s.prices[currency], valid_from=since)
                  for spec in catalogue for s in spec.skus]
        for start in range(0, len(prices), 5000):
            set_prices(session, code, PricesIn(prices=prices[start:start + 5000]))
    for location_code, prefixes in ASSORTMENT.items():
        lines = [
            LineIn(sku=s.code, quantity=_opening_quantity(s.code, s.sold_by, spec.category))
            for spec in catalogue if spec.category.startswith(prefixes) for s in spec.skus
        ]
        receive(session, ReceiptIn(location=location_code, document=f"OPENING-{location_code}",
                                   lines=lines, reason="opening stock"), actor="demo")
    credentials = _create_staff(session)
    history = load_purchase_history(session)  # members and months of sales (runs once)
    return {"status": "loaded", **_counts(session), "credentials_file": str(credentials),
            "purchase_history": history}


def _create_staff(session: Session) -> Path:
    """Demo staff with passwords and PINs generated now and kept in the instance folder."""
    people: list[dict[str, Any]] = [{"username": "admin", "role": "admin", "store": None}]
    for store in ("MAD-XANADU", "SHA-JINQIAO", "SHA-LUJIAZUI", "MOW-AVIAPARK"):
        short = store.split("-")[1].lower()
        people.append({"username": f"manager.{short}", "role": "manager", "store": store})
        people += [{"username": f"cashier{i}.{short}", "role": "cashier", "store": store}
                   for i in (1, 2)]
    for person in people:
        person["password"] = secrets.token_urlsafe(12) if person["role"] != "cashier" else None
        person["pin"] = f"{secrets.randbelow(10**6):06d}" if person["role"] != "admin" else None
        create_user(session, UserIn(**person), by=None)
    path = _credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(people, handle, indent=2, ensure_ascii=False)
    return path


def _counts(session: Session) -> dict[str, int]:
    return {
        "locations": session.scalar(select(func.count(Location.id))) or 0,
        "products": session.scalar(select(func.count(Product.id))) or 0,
        "skus": session.scalar(select(func.count(Sku.id))) or 0,
    }


def load_large_catalogue(session: Session, n_skus: int, store_code: str,
                         batch: int = 5000) -> int:
    """Bulk-add ``n_skus`` generated SKUs with prices in every list and stock at a store."""
    store = get_location(session, store_code)
    lists = {pl.currency: pl for pl in session.execute(select(PriceList)).scalars()}
    since = utcnow() - timedelta(days=1)
    added = 0
    pending: list[ProductSpec] = []
    for spec in large_catalogue(n_skus):
        pending.append(spec)
        if sum(len(p.skus) for p in pending) >= batch:
            added += _bulk_insert(session, pending, lists, store, since)
            pending = []
    if pending:
        added += _bulk_insert(session, pending, lists, store, since)
    return added


def _bulk_insert(session: Session, specs: Iterable[ProductSpec], lists: dict[str, PriceList],
                 store: Location, since: datetime) -> int:
    specs = list(specs)
    now = utcnow()
    with transaction(session):
        product_ids = dict(session.execute(
            insert(Product).returning(Product.code, Product.id),
            [{"code": p.code, "brand": p.brand, "category": p.category, "origin": dict(p.origin),
              "image_urls": [p.image_url], "created_at": now, "updated_at": now} for p in specs],
        ).all())
        session.execute(insert(ProductTranslation), [
            {"product_id": product_ids[p.code], "locale": locale, "name": name,
             "description": p.descriptions.get(locale, "")}
            for p in specs for locale, name in p.names.items()
        ])
        sku_rows = [(p, s) for p in specs for s in p.skus]
        sku_ids = dict(session.execute(
            insert(Sku).returning(Sku.code, Sku.id),
            [{"code": s.code, "product_id": product_ids[p.code], "sold_by": s.sold_by,
              "tax_class": s.tax_class, "variant": dict(s.variant), "active": True,
              "created_at": now, "updated_at": now} for p, s in sku_rows],
        ).all())
        session.execute(insert(Gtin), [
            {"gtin": gtin14(g), "sku_id": sku_ids[s.code]} for _, s in sku_rows for g in s.gtins
        ])
        session.execute(insert(Price), [
            {"price_list_id": pl.id, "sku_id": sku_ids[s.code], "amount": s.prices[currency],
             "valid_from": since, "valid_to": None, "created_at": now}
            for currency, pl in lists.items() for _, s in sku_rows if currency in s.prices
        ])
        apply_movements(session, [
            Movement(store.id, sku_ids[s.code], "receipt", 10 + len(s.code) % 40, now,
                     document="receipt:BENCH-OPENING", reason="generated catalogue",
                     actor="bench")
            for _, s in sku_rows
        ])
        docs = sku_documents(session, list(sku_ids.values()))
        record_many(session, [NewEvent("sku.upserted", "sku", d["code"], d) for d in docs.values()])
    return len(sku_rows)
