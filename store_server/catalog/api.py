"""HTTP for the catalogue: products, SKUs, GTIN lookup, QR payloads, price lists."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any, Literal

import qrcode
from flask import Response, current_app
from pydantic import BaseModel, Field
from sqlalchemy import select

from store_server.api import Ctx, operation
from store_server.api.auth import ADMIN, ANYONE_SIGNED_IN, MANAGERS
from store_server.api.framework import PNG
from store_server.api.pagination import Page, PageQuery, decode_cursor, page
from store_server.catalog import service
from store_server.catalog.models import PriceList, Product
from store_server.catalog.service import PriceListIn, PricesIn, ProductIn, ProductPatch, SkuIn
from store_server.errors import Conflict, Forbidden
from store_server.locations.models import Location


class ProductQuery(PageQuery):
    category: str | None = Field(None, max_length=120, description="only this category (prefix match)")


# What the catalogue answers: the documents catalog.service builds.
Fact = str | int | float | bool


class ProductSkuOut(BaseModel):
    code: str
    sold_by: Literal["unit", "weight"]
    tax_class: Literal["standard", "reduced", "zero"]
    variant: dict[str, str]
    active: bool
    gtins: list[str]


class ProductOut(BaseModel):
    code: str
    brand: str
    category: str
    names: dict[str, str] = Field(description="language → name")
    descriptions: dict[str, str]
    origin: dict[str, Fact]
    image_urls: list[str]
    skus: list[ProductSkuOut]


class SkuOut(ProductSkuOut):
    """A SKU with its product's descriptive fields, as the API, the feed and the snapshot send it."""

    product: str
    brand: str
    category: str
    names: dict[str, str]
    descriptions: dict[str, str]
    origin: dict[str, Fact]
    image_urls: list[str]


class PriceWindowOut(BaseModel):
    amount: int = Field(description="minor units; per kg for weighed SKUs")
    valid_from: datetime
    valid_to: datetime | None


class SkuPriceOut(BaseModel):
    price_list: str
    currency: str
    windows: list[PriceWindowOut]
    current: int | None = Field(description="the amount in force now, if any")


class SkuViewOut(SkuOut):
    qr: str | None = Field(description="the GS1 Digital Link of its shelf label; none without a GTIN")
    prices: list[SkuPriceOut]


class PricesSetOut(BaseModel):
    price_list: str
    updated: int = Field(description="how many SKUs' prices were set")


def _public_url() -> str:
    return current_app.config["PUBLIC_URL"]


def _sku_view(ctx: Ctx, sku_id: int, doc: dict[str, Any] | None = None) -> dict[str, Any]:
    doc = doc or service.sku_documents(ctx.session, [sku_id])[sku_id]
    return {**doc, "qr": service.qr_payload(_public_url(), doc),
            "prices": service.sku_prices(ctx.session, sku_id)}


@operation("GET", "/products", summary="Browse the catalogue", tag="catalogue",
           roles=ANYONE_SIGNED_IN, query=ProductQuery, response=Page[ProductOut])
def list_products(ctx: Ctx) -> dict[str, Any]:
    q: ProductQuery = ctx.query
    stmt = select(Product).order_by(Product.id).limit(q.limit + 1)
    after = decode_cursor(q.cursor)
    if after is not None:
        stmt = stmt.where(Product.id > after)
    if q.category:
        stmt = stmt.where(Product.category.startswith(q.category))
    products = list(ctx.session.execute(stmt).scalars())
    result = page(products, q.limit, key=lambda p: p.id)
    result["items"] = [service.product_document(ctx.session, p) for p in result["items"]]
    return result


@operation("POST", "/products", summary="Add a product with its SKUs", tag="catalogue",
           roles=ADMIN, body=ProductIn, response=ProductOut, status=201, idempotent=True)
def create_product(ctx: Ctx, body: ProductIn) -> dict[str, Any]:
    return service.add_product(ctx.session, body)


@operation("GET", "/products/<code>", summary="One product", tag="catalogue",
           roles=ANYONE_SIGNED_IN, response=ProductOut)
def get_product(ctx: Ctx, code: str) -> dict[str, Any]:
    return service.product_document(ctx.session, service.get_product(ctx.session, code))


@operation("PATCH", "/products/<code>", summary="Change names, descriptions, origin, images",
           tag="catalogue", roles=ADMIN, body=ProductPatch, response=ProductOut)
def patch_product(ctx: Ctx, body: ProductPatch, code: str) -> dict[str, Any]:
    return service.change_product(ctx.session, code, body)


@operation("POST", "/products/<code>/skus", summary="Add a SKU to a product", tag="catalogue",
           roles=ADMIN, body=SkuIn, response=SkuOut, status=201, idempotent=True)
def create_sku(ctx: Ctx, body: SkuIn, code: str) -> dict[str, Any]:
    return service.add_sku(ctx.session, code, body)


@operation("GET", "/skus/<code>", summary="One SKU with its prices and QR payload",
           tag="catalogue", roles=ANYONE_SIGNED_IN, response=SkuViewOut)
def get_sku(ctx: Ctx, code: str) -> dict[str, Any]:
    return _sku_view(ctx, service.get_sku(ctx.session, code).id)


@operation("GET", "/gtins/<gtin>", summary="Resolve a scanned GTIN (8, 12, 13 or 14 digits)",
           tag="catalogue", roles=ANYONE_SIGNED_IN, response=SkuViewOut, problems=(422,))
def lookup_gtin(ctx: Ctx, gtin: str) -> dict[str, Any]:
    sku_id, doc = service.sku_document_by_gtin(ctx.session, gtin)
    return _sku_view(ctx, sku_id, doc)


@operation("GET", "/skus/<code>/qr.png", summary="The SKU's GS1 Digital Link QR as PNG",
           tag="catalogue", roles=ANYONE_SIGNED_IN, response=PNG, problems=(409,))
def sku_qr_png(ctx: Ctx, code: str) -> Response:
    sku = service.get_sku(ctx.session, code)
    payload = service.qr_payload(_public_url(), service.sku_documents(ctx.session, [sku.id])[sku.id])
    if payload is None:
        raise Conflict(f"SKU {code} has no GTIN, so it has no QR; add a GTIN first")
    buffer = io.BytesIO()
    qrcode.make(payload, border=2).save(buffer, format="PNG")
    return Response(buffer.getvalue(), mimetype="image/png")


class PriceListOut(BaseModel):
    code: str
    name: str
    country: str | None
    currency: str
    prices_include_tax: bool


@operation("GET", "/price-lists", summary="Price lists", tag="prices", roles=ANYONE_SIGNED_IN,
           response=list[PriceListOut])
def list_price_lists(ctx: Ctx) -> list[dict[str, Any]]:
    rows = ctx.session.execute(select(PriceList).order_by(PriceList.code)).scalars()
    return [service.price_list_out(p) for p in rows]


@operation("POST", "/price-lists", summary="Create a price list (a country and currency)",
           tag="prices", roles=MANAGERS, body=PriceListIn, response=PriceListOut, status=201,
           idempotent=True)
def create_price_list(ctx: Ctx, body: PriceListIn) -> dict[str, Any]:
    if ctx.who.role != "admin":
        raise Forbidden("price lists span stores; only an admin creates them")
    return service.create_price_list(ctx.session, body)


@operation("POST", "/price-lists/<code>/prices", summary="Set prices, with validity windows",
           tag="prices", roles=MANAGERS, body=PricesIn, response=PricesSetOut, idempotent=True)
def set_prices(ctx: Ctx, body: PricesIn, code: str) -> dict[str, Any]:
    if ctx.who.role != "admin":
        _require_price_list_of_own_store(ctx, code)
    return service.set_prices(ctx.session, code, body)


def _require_price_list_of_own_store(ctx: Ctx, code: str) -> None:
    """A price list other locations use too is shared: only a chain-level role changes it."""
    price_list = service.get_price_list(ctx.session, code)
    users = set(ctx.session.execute(
        select(Location.id).where(Location.price_list_id == price_list.id)).scalars())
    if users != {ctx.who.store_id}:
        raise Forbidden("a store manager sets prices only in a price list their store alone uses; "
                        "this one is shared with other locations, so an admin sets its prices")
