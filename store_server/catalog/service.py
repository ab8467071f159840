"""Adding and changing products, SKUs and prices; resolving a scan to a SKU.

``sku_documents`` builds the one description of a SKU that the API, the changes feed and the
snapshot all send, with a fixed number of set-based queries however many SKUs are asked for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from retail.gs1 import InvalidGTIN, digital_link, validate_gtin
from retail.prices import price_in_force
from store_server.catalog.models import Gtin, Price, PriceList, Product, ProductTranslation, Sku
from store_server.db import UTCDateTime, transaction, utcnow
from store_server.errors import AlreadyExists, InvalidInput, NotFound
from store_server.events.service import NewEvent, record, record_many
from store_server.validation import (
    GTIN,
    Code,
    CountryCode,
    CurrencyCode,
    Description,
    FactKey,
    FactValue,
    HttpUrl,
    LanguageKey,
    Moment,
    Name,
)

TAX_CLASSES = ("standard", "reduced", "zero")


# What a product carries is sent to every till's snapshot: every field is bounded.
Names = Annotated[dict[LanguageKey, Name], Field(min_length=1, max_length=30,
                                                 description="language → name, e.g. {'es': ...}")]
Descriptions = Annotated[dict[LanguageKey, Description], Field(max_length=30)]
Origin = Annotated[dict[FactKey, FactValue], Field(
    max_length=40, description="traceability: country, farm, catch method, batch...")]
ImageUrls = Annotated[list[HttpUrl], Field(max_length=20)]


class SkuIn(BaseModel):
    code: Code
    gtins: list[GTIN] = Field(default_factory=list, max_length=20)
    sold_by: Literal["unit", "weight"] = "unit"
    tax_class: Literal["standard", "reduced", "zero"] = "standard"
    variant: dict[FactKey, Annotated[str, StringConstraints(max_length=100)]] = Field(
        default_factory=dict, max_length=10)


class ProductIn(BaseModel):
    code: Code
    brand: str = Field("", max_length=120)
    category: str = Field("", max_length=120)
    names: Names
    descriptions: Descriptions = Field(default_factory=dict)
    origin: Origin = Field(default_factory=dict)
    image_urls: ImageUrls = Field(default_factory=list)
    skus: list[SkuIn] = Field(default_factory=list, max_length=200)

    @field_validator("descriptions")
    @classmethod
    def _descriptions(cls, descriptions: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in descriptions.items() if v}


class ProductPatch(BaseModel):
    """Only what is given changes; the same limits and URL rules as a new product."""

    brand: str | None = Field(None, max_length=120)
    category: str | None = Field(None, max_length=120)
    names: Names | None = None
    descriptions: Descriptions | None = None
    origin: Origin | None = None
    image_urls: ImageUrls | None = None


class PriceListIn(BaseModel):
    code: Code
    name: Name
    country: CountryCode | None = None
    currency: CurrencyCode
    prices_include_tax: bool = True


class PriceIn(BaseModel):
    sku: str
    amount: int = Field(ge=0, le=10**12, description="minor units; per kg for weighed SKUs")
    valid_from: Moment | None = Field(None, description="default: now")
    valid_to: Moment | None = Field(None, description="none: no end")


class PricesIn(BaseModel):
    prices: list[PriceIn] = Field(min_length=1, max_length=5000)


def get_product(session: Session, code: str) -> Product:
    product = session.execute(select(Product).where(Product.code == code)).scalar_one_or_none()
    if product is None:
        raise NotFound(f"no product with code {code!r}", product=code)
    return product


def get_sku(session: Session, code: str) -> Sku:
    sku = session.execute(select(Sku).where(Sku.code == code)).scalar_one_or_none()
    if sku is None:
        raise NotFound(f"no SKU with code {code!r}", sku=code)
    return sku


_SKUS_BY_CODE = select(Sku.code, Sku.id).where(Sku.code.in_(bindparam("codes", expanding=True)))


def skus_by_code(session: Session, codes: Iterable[str]) -> dict[str, int]:
    """Map SKU codes to ids, raising one error that names every unknown code."""
    wanted = set(codes)
    found = dict(session.connection().execute(_SKUS_BY_CODE, {"codes": sorted(wanted)}).all())
    missing = sorted(wanted - found.keys())
    if missing:
        raise InvalidInput(f"unknown SKU(s): {', '.join(missing)}", unknown_skus=missing)
    return found


def sku_id_by_gtin(session: Session, gtin: str) -> int:
    """Resolve a scanned GTIN of any length to its SKU id: one indexed lookup."""
    try:
        key = validate_gtin(gtin)
    except InvalidGTIN as exc:
        raise InvalidInput(str(exc), gtin=gtin) from exc
    sku_id = session.connection().execute(_SKU_BY_GTIN, {"gtin": key}).scalar_one_or_none()
    if sku_id is None:
        raise NotFound(f"no SKU carries GTIN {key}", gtin=key)
    return sku_id


def _check_gtins_free(session: Session, gtins: list[str]) -> None:
    if len(set(gtins)) != len(gtins):
        raise InvalidInput("the same GTIN is listed twice")
    if not gtins:
        return
    taken = session.execute(
        select(Gtin.gtin, Sku.code).join(Sku, Sku.id == Gtin.sku_id).where(Gtin.gtin.in_(gtins))
    ).all()
    if taken:
        raise AlreadyExists(
            "GTIN(s) already belong to other SKUs: "
            + ", ".join(f"{g} ({code})" for g, code in taken),
            gtins=[g for g, _ in taken],
        )


def _add_skus(session: Session, product: Product, skus: list[SkuIn]) -> list[Sku]:
    codes = [s.code for s in skus]
    if len(set(codes)) != len(codes):
        raise InvalidInput("the same SKU code is listed twice")
    if codes:
        existing = session.execute(select(Sku.code).where(Sku.code.in_(codes))).scalars().all()
        if existing:
            raise AlreadyExists(f"SKU code(s) exist: {', '.join(existing)}", skus=list(existing))
    _check_gtins_free(session, [g for s in skus for g in s.gtins])
    created = []
    for spec in skus:
        sku = Sku(
            code=spec.code, product=product, sold_by=spec.sold_by, tax_class=spec.tax_class,
            variant=spec.variant, gtins=[Gtin(gtin=g) for g in spec.gtins],
        )
        session.add(sku)
        created.append(sku)
    session.flush()
    return created


def _set_translations(product: Product, names: dict[str, str], descriptions: dict[str, str]) -> None:
    unknown = set(descriptions) - set(names)
    if unknown:
        raise InvalidInput(f"descriptions for locale(s) without a name: {', '.join(sorted(unknown))}")
    by_locale = {t.locale: t for t in product.translations}
    for locale, name in names.items():
        row = by_locale.get(locale)
        if row is None:
            product.translations.append(
                ProductTranslation(locale=locale, name=name, description=descriptions.get(locale, ""))
            )
        else:
            row.name = name
            row.description = descriptions.get(locale, row.description)
    for locale, row in by_locale.items():
        if locale not in names:
            product.translations.remove(row)


def _sku_events(session: Session, sku_ids: list[int]) -> list[NewEvent]:
    docs = sku_documents(session, sku_ids)
    return [NewEvent("sku.upserted", "sku", doc["code"], doc) for doc in docs.values()]


def add_product(session: Session, data: ProductIn) -> dict[str, Any]:
    with transaction(session):
        if session.execute(select(Product.id).where(Product.code == data.code)).first():
            raise AlreadyExists(f"a product with code {data.code!r} exists", product=data.code)
        product = Product(
            code=data.code, brand=data.brand, category=data.category, origin=data.origin,
            image_urls=data.image_urls,
        )
        _set_translations(product, data.names, data.descriptions)
        session.add(product)
        session.flush()
        skus = _add_skus(session, product, data.skus)
        record_many(session, _sku_events(session, [s.id for s in skus]))
        return product_document(session, product)


def change_product(session: Session, code: str, patch: ProductPatch) -> dict[str, Any]:
    with transaction(session):
        product = get_product(session, code)
        for name in ("brand", "category", "origin", "image_urls"):
            value = getattr(patch, name)
            if value is not None:
                setattr(product, name, value)
        if patch.names is not None or patch.descriptions is not None:
            current = {t.locale: t for t in product.translations}
            names = patch.names if patch.names is not None else {k: t.name for k, t in current.items()}
            _set_translations(product, names, patch.descriptions or {})
        product.updated_at = utcnow()
        session.flush()
        record_many(session, _sku_events(session, [s.id for s in product.skus]))
        return product_document(session, product)


def add_sku(session: Session, product_code: str, data: SkuIn) -> dict[str, Any]:
    with transaction(session):
        product = get_product(session, product_code)
        (sku,) = _add_skus(session, product, [data])
        record_many(session, _sku_events(session, [sku.id]))
        return sku_documents(session, [sku.id])[sku.id]


# The statements behind lookups and the snapshot, built once (see api.auth._TOKEN_LOOKUP).
_SKU_BY_GTIN = select(Gtin.sku_id).where(Gtin.gtin == bindparam("gtin"))
_SKU_ROWS = (
    select(Sku.id, Sku.code, Sku.sold_by, Sku.tax_class, Sku.variant, Sku.active,
           Product.id, Product.code, Product.brand, Product.category, Product.origin,
           Product.image_urls)
    .join(Product, Product.id == Sku.product_id)
    .where(Sku.id.in_(bindparam("sku_ids", expanding=True)))
    .order_by(Sku.id)
)
_TRANSLATIONS = select(
    ProductTranslation.product_id, ProductTranslation.locale, ProductTranslation.name,
    ProductTranslation.description,
).where(ProductTranslation.product_id.in_(bindparam("product_ids", expanding=True)))
_TRANSLATIONS_IN = _TRANSLATIONS.where(
    ProductTranslation.locale.in_(bindparam("locales", expanding=True))
)
_GTINS = (
    select(Gtin.gtin, Gtin.sku_id)
    .where(Gtin.sku_id.in_(bindparam("sku_ids", expanding=True)))
    .order_by(Gtin.gtin)
)


_SKU_ROWS_BY_GTIN = (
    select(*_SKU_ROWS.selected_columns).join(Product, Product.id == Sku.product_id)
    .join(Gtin, Gtin.sku_id == Sku.id).where(Gtin.gtin == bindparam("gtin"))
)


def sku_document_by_gtin(session: Session, gtin: str) -> tuple[int, dict[str, Any]]:
    """The document of the SKU a scanned GTIN names: the GTIN is resolved in the same query
    as the SKU row, one round trip fewer on the busiest lookup a till makes. Returns the SKU's
    id and document."""
    try:
        key = validate_gtin(gtin)
    except InvalidGTIN as exc:
        raise InvalidInput(str(exc), gtin=gtin) from exc
    conn = session.connection()
    rows = conn.execute(_SKU_ROWS_BY_GTIN, {"gtin": key}).all()
    if not rows:
        raise NotFound(f"no SKU carries GTIN {key}", gtin=key)
    sku_id, product_id = rows[0][0], rows[0][6]
    translations = conn.execute(_TRANSLATIONS, {"product_ids": [product_id]})
    gtins = conn.execute(_GTINS, {"sku_ids": [sku_id]})
    return sku_id, _assemble(rows, translations, gtins)[sku_id]


def sku_documents(
    session: Session, sku_ids: list[int], locales: Iterable[str] | None = None
) -> dict[int, dict[str, Any]]:
    """The catalogue description of each SKU, keyed by id, in a fixed number of queries."""
    if not sku_ids:
        return {}
    # Column reads through the Core connection: this feeds lookups and the snapshot, where
    # the ORM's per-statement overhead would dominate (docs/BENCHMARKS.md).
    conn = session.connection()
    rows = conn.execute(_SKU_ROWS, {"sku_ids": list(sku_ids)}).all()
    product_ids = sorted({r[6] for r in rows})
    if locales is None:
        translations = conn.execute(_TRANSLATIONS, {"product_ids": product_ids})
    else:
        translations = conn.execute(_TRANSLATIONS_IN, {"product_ids": product_ids,
                                                        "locales": list(locales)})
    gtins = conn.execute(_GTINS, {"sku_ids": list(sku_ids)})
    return _assemble(rows, translations, gtins)


# The snapshot pages by id range: a range predicate instead of IN lists of thousands of ids,
# which PostgreSQL plans and ships far more slowly.
_SKU_ROWS_RANGE = (
    select(*_SKU_ROWS.selected_columns).join(Product, Product.id == Sku.product_id)
    .where(Sku.id > bindparam("lo"), Sku.id <= bindparam("hi")).order_by(Sku.id)
)
_TRANSLATIONS_RANGE = select(*_TRANSLATIONS.selected_columns).where(
    ProductTranslation.product_id.in_(
        select(Sku.product_id).where(Sku.id > bindparam("lo"), Sku.id <= bindparam("hi"))),
    ProductTranslation.locale.in_(bindparam("locales", expanding=True)),
)
_GTINS_RANGE = select(Gtin.gtin, Gtin.sku_id).where(
    Gtin.sku_id > bindparam("lo"), Gtin.sku_id <= bindparam("hi")).order_by(Gtin.gtin)


def sku_documents_between(session: Session, lo: int, hi: int,
                          locales: Iterable[str]) -> dict[int, dict[str, Any]]:
    """``sku_documents`` for every SKU with ``lo < id <= hi`` (the snapshot's pages)."""
    conn = session.connection()
    bounds = {"lo": lo, "hi": hi}
    rows = conn.execute(_SKU_ROWS_RANGE, bounds).all()
    translations = conn.execute(_TRANSLATIONS_RANGE, {**bounds, "locales": list(locales)})
    gtins = conn.execute(_GTINS_RANGE, bounds)
    return _assemble(rows, translations, gtins)


def _assemble(rows: Any, translations: Any, gtin_rows: Any) -> dict[int, dict[str, Any]]:
    texts: dict[int, dict[str, dict[str, str]]] = defaultdict(lambda: {"names": {}, "descriptions": {}})
    for product_id, locale, name, description in translations:
        texts[product_id]["names"][locale] = name
        if description:
            texts[product_id]["descriptions"][locale] = description
    gtins: dict[int, list[str]] = defaultdict(list)
    for gtin, sku_id in gtin_rows:
        gtins[sku_id].append(gtin)
    documents = {}
    for (sku_id, code, sold_by, tax_class, variant, active, product_id, product_code, brand,
         category, origin, image_urls) in rows:
        documents[sku_id] = {
            "code": code,
            "product": product_code,
            "brand": brand,
            "category": category,
            "names": texts[product_id]["names"],
            "descriptions": texts[product_id]["descriptions"],
            "origin": origin,
            "image_urls": image_urls,
            "sold_by": sold_by,
            "tax_class": tax_class,
            "variant": variant,
            "active": active,
            "gtins": gtins[sku_id],
        }
    return documents


def product_document(session: Session, product: Product) -> dict[str, Any]:
    texts = {t.locale: t for t in product.translations}
    docs = sku_documents(session, [s.id for s in product.skus])
    return {
        "code": product.code,
        "brand": product.brand,
        "category": product.category,
        "names": {k: t.name for k, t in texts.items()},
        "descriptions": {k: t.description for k, t in texts.items() if t.description},
        "origin": product.origin,
        "image_urls": product.image_urls,
        "skus": [{k: v for k, v in d.items() if k in SKU_OWN_FIELDS} for d in docs.values()],
    }


SKU_OWN_FIELDS = ("code", "sold_by", "tax_class", "variant", "active", "gtins")


def qr_payload(public_url: str, sku_doc: dict[str, Any]) -> str | None:
    """The GS1 Digital Link a shelf label carries for this SKU (None without a GTIN)."""
    return digital_link(public_url, sku_doc["gtins"][0]) if sku_doc["gtins"] else None


# -- price lists and prices ------------------------------------------------------------------


def get_price_list(session: Session, code: str) -> PriceList:
    price_list = session.execute(
        select(PriceList).where(PriceList.code == code)
    ).scalar_one_or_none()
    if price_list is None:
        raise NotFound(f"no price list with code {code!r}", price_list=code)
    return price_list


def price_list_out(price_list: PriceList) -> dict[str, Any]:
    return {
        "code": price_list.code, "name": price_list.name, "country": price_list.country,
        "currency": price_list.currency, "prices_include_tax": price_list.prices_include_tax,
    }


def create_price_list(session: Session, data: PriceListIn) -> dict[str, Any]:
    with transaction(session):
        if session.execute(select(PriceList.id).where(PriceList.code == data.code)).first():
            raise AlreadyExists(f"a price list with code {data.code!r} exists")
        price_list = PriceList(**data.model_dump())
        session.add(price_list)
        session.flush()
        out = price_list_out(price_list)
        record(session, "price_list.upserted", "price_list", price_list.code, out)
        return out


_PRICE_WINDOWS = (
    select(Price.sku_id, Price.amount, Price.valid_from, Price.valid_to)
    .where(
        Price.price_list_id == bindparam("price_list_id"),
        Price.sku_id.in_(bindparam("sku_ids", expanding=True)),
        or_(Price.valid_to.is_(None), Price.valid_to > bindparam("now", type_=UTCDateTime())),
    )
    .order_by(Price.sku_id, Price.valid_from)
)


_PRICE_WINDOWS_RANGE = (
    select(Price.sku_id, Price.amount, Price.valid_from, Price.valid_to)
    .where(
        Price.price_list_id == bindparam("price_list_id"),
        Price.sku_id > bindparam("lo"), Price.sku_id <= bindparam("hi"),
        or_(Price.valid_to.is_(None), Price.valid_to > bindparam("now", type_=UTCDateTime())),
    )
    .order_by(Price.sku_id, Price.valid_from)
)


def price_windows_between(session: Session, price_list_id: int, lo: int,
                          hi: int) -> dict[int, list[dict[str, Any]]]:
    """``price_windows`` for SKUs with ``lo < id <= hi``."""
    return _windows(session.connection().execute(
        _PRICE_WINDOWS_RANGE, {"price_list_id": price_list_id, "lo": lo, "hi": hi, "now": utcnow()}))


def _windows(rows: Any) -> dict[int, list[dict[str, Any]]]:
    windows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for sku_id, amount, valid_from, valid_to in rows:
        windows[sku_id].append({
            "amount": amount,
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None,
        })
    return windows


def price_windows(
    session: Session, price_list_id: int, sku_ids: list[int], at: datetime | None = None
) -> dict[int, list[dict[str, Any]]]:
    """Current and future price windows per SKU (what a till needs to price offline)."""
    if not sku_ids:
        return defaultdict(list)
    return _windows(session.connection().execute(
        _PRICE_WINDOWS, {"price_list_id": price_list_id, "sku_ids": list(sku_ids), "now": at or utcnow()}))


_PRICE_WINDOWS_DURING = (
    select(Price.sku_id, Price.amount, Price.valid_from, Price.valid_to)
    .where(
        Price.price_list_id == bindparam("price_list_id"),
        Price.sku_id.in_(bindparam("sku_ids", expanding=True)),
        Price.valid_from <= bindparam("end", type_=UTCDateTime()),
        or_(Price.valid_to.is_(None), Price.valid_to > bindparam("start", type_=UTCDateTime())),
    )
    .order_by(Price.sku_id, Price.valid_from)
)


def price_windows_during(session: Session, price_list_id: int, sku_ids: list[int], start: datetime,
                         end: datetime) -> dict[int, list[dict[str, Any]]]:
    """Per SKU, the windows that were in force at some moment of ``[start, end]``, ended ones
    too: what a till sale made then should have been priced from."""
    if not sku_ids:
        return defaultdict(list)
    return _windows(session.connection().execute(_PRICE_WINDOWS_DURING, {
        "price_list_id": price_list_id, "sku_ids": list(sku_ids), "start": start, "end": end}))


def set_prices(session: Session, price_list_code: str, data: PricesIn) -> dict[str, Any]:
    """Set prices for SKUs in a price list. Same SKU and start again replaces the amount."""
    with transaction(session):
        price_list = get_price_list(session, price_list_code)
        ids = skus_by_code(session, [p.sku for p in data.prices])
        now = utcnow()
        touched: set[int] = set()
        for spec in data.prices:
            start = spec.valid_from or now
            if start.tzinfo is None or (spec.valid_to and spec.valid_to.tzinfo is None):
                raise InvalidInput("price windows need time zone offsets")
            if spec.valid_to is not None and spec.valid_to <= start:
                raise InvalidInput(f"price of {spec.sku}: valid_to must be after valid_from")
            sku_id = ids[spec.sku]
            existing = session.execute(
                select(Price).where(
                    and_(Price.price_list_id == price_list.id, Price.sku_id == sku_id,
                         Price.valid_from == start)
                )
            ).scalar_one_or_none()
            if existing:
                existing.amount, existing.valid_to = spec.amount, spec.valid_to
            else:
                session.add(Price(price_list_id=price_list.id, sku_id=sku_id, amount=spec.amount,
                                  valid_from=start, valid_to=spec.valid_to))
            touched.add(sku_id)
        session.flush()
        windows = price_windows(session, price_list.id, sorted(touched), now)
        codes = {v: k for k, v in ids.items()}
        events = [
            NewEvent("price.changed", "price", f"{price_list.code}:{codes[sku_id]}", {
                "price_list": price_list.code, "currency": price_list.currency,
                "sku": codes[sku_id], "windows": windows.get(sku_id, []),
            })
            for sku_id in sorted(touched)
        ]
        record_many(session, events)
        return {"price_list": price_list.code, "updated": len(touched)}


_SKU_PRICES = (
    select(PriceList.code, PriceList.currency, Price.amount, Price.valid_from, Price.valid_to)
    .join(PriceList, PriceList.id == Price.price_list_id)
    .where(Price.sku_id == bindparam("sku_id"),
           or_(Price.valid_to.is_(None), Price.valid_to > bindparam("now", type_=UTCDateTime())))
    .order_by(PriceList.code, Price.valid_from)
)


def sku_prices(session: Session, sku_id: int) -> list[dict[str, Any]]:
    """Every price list's windows for one SKU, and the price in force now, in one query."""
    now = utcnow()
    lists: dict[str, dict[str, Any]] = {}
    for code, currency, amount, valid_from, valid_to in session.connection().execute(
        _SKU_PRICES, {"sku_id": sku_id, "now": now}
    ):
        entry = lists.setdefault(code, {"price_list": code, "currency": currency, "windows": []})
        entry["windows"].append({"amount": amount, "valid_from": valid_from.isoformat(),
                                 "valid_to": valid_to.isoformat() if valid_to else None})
    for entry in lists.values():
        entry["current"] = price_in_force(entry["windows"], now)
    return list(lists.values())


def product_names(session: Session, product_ids: set[int], locale: str) -> dict[int, str]:
    """Each product's name for a locale or a language (``es_ES``, then ``es``, then English,
    then whatever it has): what tills, receipts and recommendations show."""
    found: dict[int, dict[str, str]] = defaultdict(dict)
    if product_ids:
        for product_id, name_locale, name in session.execute(
                select(ProductTranslation.product_id, ProductTranslation.locale, ProductTranslation.name)
                .where(ProductTranslation.product_id.in_(sorted(product_ids)))):
            found[product_id][name_locale] = name
    language = locale.split("_")[0]
    return {p: names.get(locale) or names.get(language) or names.get("en") or next(iter(names.values()), "")
            for p, names in found.items()}
