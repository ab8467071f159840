"""The public product page: what a phone opens from a shelf QR (GS1 Digital Link)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from retail.gs1 import InvalidGTIN, validate_gtin
from retail.money import Money
from retail.prices import price_in_force
from store_server.api.framework import db_session
from store_server.catalog.models import PriceList
from store_server.catalog.service import price_windows, sku_documents, sku_id_by_gtin
from store_server.errors import DomainError
from store_server.inventory.models import StockLevel
from store_server.inventory.service import available_to_sell
from store_server.locations.models import Location

storefront = Blueprint("storefront", __name__, template_folder="templates")
LANGUAGES = ("es", "zh", "ru", "en", "pt", "de", "fr")


def _language(names: dict[str, str]) -> str:
    wanted = request.args.get("lang") or request.accept_languages.best_match(LANGUAGES) or "en"
    return wanted if wanted in names else ("en" if "en" in names else next(iter(names), "en"))


@storefront.get("/01/<gtin>")
@storefront.get("/01/<gtin>/<path:rest>")
def product_page(gtin: str, rest: str = "") -> Any:
    """Digital Link resolver: further AIs (batch, serial) in the path are accepted and shown."""
    try:
        validate_gtin(gtin)
    except InvalidGTIN:
        abort(404)
    session = db_session()
    try:
        sku_id = sku_id_by_gtin(session, gtin)
    except DomainError:
        abort(404)
    doc = sku_documents(session, [sku_id])[sku_id]
    lang = _language(doc["names"])
    now = datetime.now(UTC)
    stores = []
    for location in session.execute(
        select(Location).where(Location.active.is_(True)).order_by(Location.name)
    ).scalars():
        price_list = session.get(PriceList, location.price_list_id) if location.price_list_id else None
        amount = None
        if price_list:
            amount = price_in_force(price_windows(session, price_list.id, [sku_id]).get(sku_id, []), now)
        level = session.execute(select(StockLevel).where(
            StockLevel.location_id == location.id, StockLevel.sku_id == sku_id)).scalar_one_or_none()
        stores.append({
            "name": location.name,
            "kind": location.kind,
            "price": Money(amount, location.currency).format(location.locale)
            if amount is not None else None,
            "available": available_to_sell(level.on_hand, level.reserved, level.safety_stock)
            if level else 0,
        })
    return render_template("storefront/product.html", sku=doc, lang=lang, stores=stores,
                           extra_path=rest)
