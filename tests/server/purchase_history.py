"""Test helper: completed sales written straight into the order book, with or without a member."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from retail.money import Money
from retail.pricing import LineInput, price_order
from retail.tax import regime_for
from store_server.catalog.models import Sku
from store_server.db import transaction, utcnow
from store_server.locations.models import Location
from store_server.orders.records import NewOrder, insert_orders

UNIT_PRICE = 1000  # every SKU costs 10.00 a piece (or a kg): tests here care about baskets


def record_sales(session: Session, store: str, baskets: list[list[str]],
                 customer_id: int | None = None, channel: str = "pos",
                 status: str = "completed", start: datetime | None = None) -> list[int]:
    """One completed order per basket (SKU codes), an hour apart, ending now."""
    location = session.execute(select(Location).where(Location.code == store)).scalar_one()
    skus = {s.code: s for s in session.execute(select(Sku)).scalars()}
    start = start or utcnow() - timedelta(hours=len(baskets) + 1)
    orders = []
    for i, basket in enumerate(baskets):
        lines = [LineInput(code, 500 if skus[code].sold_by == "weight" else 1,
                           Money(UNIT_PRICE, location.currency), skus[code].tax_class, skus[code].sold_by)
                 for code in basket]
        orders.append(NewOrder(
            channel=channel, fulfilment="in_store" if channel != "online" else "ship", status=status,
            location_id=location.id, priced=price_order(lines, regime_for(location.country),
                                                        location.currency),
            sku_ids={code: skus[code].id for code in basket}, occurred_at=start + timedelta(hours=i),
            actor="test", customer_id=customer_id))
    with transaction(session):
        return insert_orders(session, orders)
