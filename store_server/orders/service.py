"""Online orders: sourcing, atomic reservation, the status machine, expiry.

Reservation is all lines or none. The levels of every candidate location are locked in one
statement ordered by (location, SKU) before anything is checked or written, so concurrent
orders queue on the same rows in the same order; on SQLite BEGIN IMMEDIATE has already made
the transaction the only writer. With the rows locked, ATS is checked and the first candidate
that has every line gets the reservation; if none has, the order is refused with the lines
that were short and nothing is written.

Lock order (PostgreSQL), the same in every use case that writes orders or stock: order rows
(by id) → payment intents → stock levels (by location, SKU) → member rows → the event counter
(taken at commit, see events.service). A transaction that already holds levels takes nothing
earlier in that order except without waiting (SKIP LOCKED). What deadlocks anyway, or loses a
serialisation race, is run again whole by the API layer (db.retry_transient).

Time: a reservation holds until ``expires_at``. Expiry releases it (the worker, in small
batches; lazily when an order is read, or when a new order finds stock short). A payment that
arrives after that moment is accepted only if the stock can be held for the order again, and
the order's history says so; otherwise it is refused, and the payments layer refunds it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retail.barcodes import OrderQR, ScanError, classify, order_qr_url
from retail.geo import distance_km
from retail.money import Money
from retail.prices import price_in_force
from retail.promotions import BasketLine
from store_server.api.auth import Principal
from store_server.catalog.models import Product, Sku
from store_server.catalog.service import price_windows, skus_by_code
from store_server.customers.models import Customer
from store_server.customers.service import award_points
from store_server.db import retry_transient, transaction, utcnow
from store_server.errors import Conflict, Forbidden, InsufficientStock, InvalidInput
from store_server.events.service import NewEvent, record_many
from store_server.inventory.models import StockLevel
from store_server.inventory.service import Movement, apply_movements, available_to_sell, load_levels
from store_server.locations.models import Location
from store_server.locations.service import get_location
from store_server.orders.availability import covering_stores
from store_server.orders.models import Order, OrderLine, OrderTransition
from store_server.orders.records import (
    NewOrder,
    get_order,
    insert_orders,
    new_order_document,
    order_document,
)
from store_server.promotions.service import gifts_for, give_back_gifts, price_with_promotions, take_gift
from store_server.validation import MinorUnits, Quantity


class OrderLineIn(BaseModel):
    sku: str
    quantity: Quantity


class ShopperIn(BaseModel):
    """Who placed an online order and how to reach them (not necessarily a member)."""

    name: str = Field("", max_length=200)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=200)


class AddressIn(BaseModel):
    text: str = Field(min_length=1, max_length=500)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class OnlineOrderIn(BaseModel):
    fulfilment: Literal["ship", "pickup", "delivery"]
    lines: list[OrderLineIn] = Field(min_length=1, max_length=100)
    store: str | None = Field(None, description="pickup: the store the shopper collects at")
    address: AddressIn | None = Field(None, description="delivery (required) or ship")
    customer: ShopperIn = Field(default_factory=ShopperIn)
    coupons: list[str] = Field(default_factory=list, max_length=10)
    member: str | None = Field(None, max_length=20, description="member number: earns points on completion")

    @model_validator(mode="after")
    def _needs(self) -> OnlineOrderIn:
        if self.fulfilment == "pickup" and not self.store:
            raise ValueError("a pickup order names the store: give 'store'")
        if self.fulfilment == "delivery" and self.address is None:
            raise ValueError("a delivery order needs the address with its coordinates")
        skus = [line.sku for line in self.lines]
        if len(set(skus)) != len(skus):
            raise ValueError("a SKU is listed twice; put it on one line")
        return self


def _candidates(session: Session, data: OnlineOrderIn) -> list[tuple[Location, float | None]]:
    """Where the order may be served from, best first."""
    if data.fulfilment == "pickup":
        store = get_location(session, data.store or "")
        if store.kind != "store" or not store.click_and_collect or not store.active:
            raise InvalidInput(f"{store.name} does not offer click & collect; choose another store",
                               store=store.code)
        return [(store, None)]
    if data.fulfilment == "delivery":
        assert data.address is not None
        stores = covering_stores(session, data.address.latitude, data.address.longitude)
        if not stores:
            raise InvalidInput("the address is outside every store's quick-delivery area; "
                               "choose shipping or pickup instead")
        return [(store, km) for store, km in stores]
    # Shipping: warehouses first, then the nearest stores that ship.
    shippers = list(session.execute(
        select(Location).where(Location.active.is_(True), Location.ships_online_orders.is_(True))
        .order_by(Location.id)).scalars())
    if not shippers:
        raise InvalidInput("no location ships online orders")

    def rank(loc: Location) -> tuple[int, float, int]:
        km = (distance_km(loc.latitude, loc.longitude, data.address.latitude, data.address.longitude)
              if data.address and loc.latitude is not None and loc.longitude is not None else 0.0)
        return (0 if loc.kind == "warehouse" else 1, km, loc.id)

    return [(loc, None) for loc in sorted(shippers, key=rank)]


def _unit_prices(session: Session, location: Location, sku_ids: dict[str, int]) -> dict[str, Money]:
    if location.price_list_id is None:
        raise InvalidInput(f"{location.name} has no price list")
    windows = price_windows(session, location.price_list_id, list(sku_ids.values()))
    now = utcnow()
    prices, missing = {}, []
    for code, sku_id in sku_ids.items():
        amount = price_in_force(windows.get(sku_id, []), now)
        if amount is None:
            missing.append(code)
        else:
            prices[code] = Money(amount, location.currency)
    if missing:
        raise InvalidInput(f"not on sale at {location.name}: {', '.join(missing)}", skus=missing)
    return prices


def place_order(session: Session, data: OnlineOrderIn, actor: str,
                reservation_minutes: float) -> dict[str, Any]:
    """Create an online order and reserve its stock at one location, all lines or none."""
    # Reads first, outside the write transaction: on SQLite the write lock is held from
    # BEGIN IMMEDIATE to commit, so everything that does not need it stays out of it.
    ids = skus_by_code(session, [line.sku for line in data.lines])
    candidates = _candidates(session, data)
    wanted = {ids[line.sku]: line.quantity for line in data.lines}
    facts = {sku_id: (category, brand, sold_by, tax_class) for sku_id, category, brand, sold_by, tax_class
             in session.connection().execute(
                 select(Sku.id, Product.category, Product.brand, Sku.sold_by, Sku.tax_class)
                 .join(Product, Product.id == Sku.product_id).where(Sku.id.in_(list(wanted))))}
    price_cache: dict[int | None, dict[str, Money]] = {}

    def prices_at(location: Location) -> dict[str, Money]:
        if location.price_list_id not in price_cache:
            price_cache[location.price_list_id] = _unit_prices(session, location, ids)
        return price_cache[location.price_list_id]

    prices_at(candidates[0][0])  # the usual choice, priced before the lock
    customer_id = None
    if data.member:
        customer_id = session.execute(
            select(Customer.id).where(Customer.number == data.member)).scalar_one_or_none()
        if customer_id is None:
            raise InvalidInput(f"no member {data.member}; check the member number", member=data.member)
    with transaction(session):
        keys = sorted((loc.id, sku_id) for loc, _ in candidates for sku_id in wanted)
        levels = load_levels(session, keys, lock=True)  # one ordered lock for all candidates
        chosen, short = _first_with_everything(candidates, wanted, levels)
        if chosen is None and _expire_in_the_way(session, candidates, wanted, levels, utcnow()):
            chosen, short = _first_with_everything(candidates, wanted, levels)
        if chosen is None:
            codes = {v: k for k, v in ids.items()}
            raise InsufficientStock(
                "not enough stock for this order; nothing was reserved",
                lines=[{"sku": codes[sku_id], "requested": wanted[sku_id], "available": available}
                       for sku_id, available in short],
            )
        location, km = chosen
        prices = prices_at(location)
        now = utcnow()
        # The same engine and rules a till uses offline: online prices match the store's.
        _evaluation, priced = price_with_promotions(
            session, location,
            [BasketLine(line.sku, line.quantity, prices[line.sku], *facts[ids[line.sku]])
             for line in data.lines],
            "online", now, data.coupons, member=False)
        customer = data.customer.model_dump()
        if data.address:
            customer.update(address=data.address.text, latitude=data.address.latitude,
                            longitude=data.address.longitude, distance_km=km)
        new = NewOrder(
            channel="online", fulfilment=data.fulfilment, status="reserved",
            location_id=location.id, priced=priced, sku_ids=ids, occurred_at=now, actor=actor,
            customer=customer, expires_at=now + timedelta(minutes=reservation_minutes),
            promised_at=(now + timedelta(minutes=location.quick_delivery_minutes or 0)
                         if data.fulfilment == "delivery" else None),
            pickup_token=secrets.token_urlsafe(16) if data.fulfilment == "pickup" else None,
            note=f"reserved at {location.code}", customer_id=customer_id,
        )
        insert_orders(session, [new])
        events: list[NewEvent] = []
        apply_movements(session, [
            Movement(location.id, sku_id, "reserve", qty, now, document=f"order:{new.number}",
                     reason="online order", actor=actor, delta_reserved=qty, affects_on_hand=False,
                     idempotency_key=f"order:{new.number}:reserve:{sku_id}")
            for sku_id, qty in sorted(wanted.items())
        ], events, locked=levels)
        doc = new_order_document(new, location.code)
        events.append(NewEvent("order.created", "order", new.number, doc))
        record_many(session, events)
        return doc


def _first_with_everything(
    candidates: list[tuple[Location, float | None]], wanted: dict[int, int],
    levels: dict[tuple[int, int], StockLevel],
) -> tuple[tuple[Location, float | None] | None, list[tuple[int, int]]]:
    first_short: list[tuple[int, int]] = []
    for loc, km in candidates:
        short = []
        for sku_id, qty in wanted.items():
            level = levels.get((loc.id, sku_id))
            available = available_to_sell(level.on_hand, level.reserved, level.safety_stock) if level else 0
            if available < qty:
                short.append((sku_id, available))
        if not short:
            return (loc, km), []
        if not first_short:
            first_short = short
    return None, first_short


# -- the status machine ------------------------------------------------------------------------

# action -> (statuses it may start from, status it leads to, fulfilment types it applies to)
TRANSITIONS: dict[str, tuple[frozenset[str], str, frozenset[str]]] = {
    "pay": (frozenset({"reserved"}), "paid", frozenset({"ship", "pickup", "delivery"})),
    "start_picking": (frozenset({"paid"}), "picking", frozenset({"ship", "pickup", "delivery"})),
    "mark_ready": (frozenset({"picking"}), "ready", frozenset({"pickup"})),
    "send_out": (frozenset({"picking"}), "out_for_delivery", frozenset({"delivery"})),
    "ship": (frozenset({"picking"}), "shipped", frozenset({"ship"})),
    "complete": (frozenset({"ready", "out_for_delivery", "shipped"}), "completed",
                 frozenset({"ship", "pickup", "delivery"})),
    "cancel": (frozenset({"pending", "reserved", "paid", "picking", "ready"}), "cancelled",
               frozenset({"ship", "pickup", "delivery"})),
}
# The goods leave the shelf (reservation consumed, on hand lowered) at these steps.
FULFIL_ON = {("pickup", "complete"), ("delivery", "send_out"), ("ship", "ship")}
STAFF_ACTIONS = {"start_picking", "mark_ready", "send_out", "ship", "complete"}


class TransitionIn(BaseModel):
    note: str = Field("", max_length=300)
    amount: MinorUnits | None = Field(None, description="pay: the amount paid, integer minor units")
    payment_reference: str = Field("", max_length=120)
    pickup_token: str | None = Field(None, description="complete a pickup: the token of the order QR")


def _lines(session: Session, order: Order) -> list[tuple[int, int]]:
    """(SKU, quantity) of the order, one per SKU: a gift of a SKU the order also sells moves
    with it (one movement per SKU and step)."""
    return [(sku_id, int(qty)) for sku_id, qty in session.execute(
        select(OrderLine.sku_id, func.sum(OrderLine.quantity)).where(OrderLine.order_id == order.id)
        .group_by(OrderLine.sku_id).order_by(OrderLine.sku_id))]


def _movements(order: Order, lines: list[tuple[int, int]], kind: str, actor: str,
               now: datetime) -> list[Movement]:
    """Reserve, release or consume the order's stock: one movement per line.

    The key carries the order's version: an order re-reserved after expiry can be released
    again, while a step repeated in the same state is still refused by the ledger.
    """
    reserve = kind == "reserve"
    return [
        Movement(order.location_id, sku_id, kind, -qty if kind == "fulfil" else qty, now,
                 document=f"order:{order.number}", reason=f"online order {kind}", actor=actor,
                 delta_reserved=qty if reserve else -qty, affects_on_hand=(kind == "fulfil"),
                 idempotency_key=f"order:{order.number}:{kind}:{sku_id}:v{order.version}")
        for sku_id, qty in lines
    ]


def _move(session: Session, order: Order, kind: str, actor: str, events: list[NewEvent]) -> None:
    apply_movements(session, _movements(order, _lines(session, order), kind, actor, utcnow()), events)


def _set_status(session: Session, order: Order, status: str, actor: str, note: str = "") -> None:
    session.add(OrderTransition(order_id=order.id, from_status=order.status, to_status=status,
                                actor=actor, note=note))
    order.status = status
    order.updated_at = utcnow()
    order.version += 1


def transition(session: Session, number: str, action: str, data: TransitionIn,
               who: Principal) -> dict[str, Any]:
    """Move an order one step, with the stock movements that step means."""
    if action not in TRANSITIONS:
        raise InvalidInput(f"unknown action {action!r}; one of {', '.join(sorted(TRANSITIONS))}")
    sources, target, fulfilments = TRANSITIONS[action]
    with transaction(session):
        order = get_order(session, number, lock=True)
        if order.channel != "online":
            raise Conflict("till and kiosk sales are completed when made; they do not move")
        if action in STAFF_ACTIONS or who.store_id is not None:
            if who.role not in ("admin", "manager", "cashier") and action in STAFF_ACTIONS:
                raise Forbidden("store staff move orders through picking and handover")
            who.require_location(order.location_id)
        if action == "pay" and who.role != "admin":
            # Paid means money was taken: by the payments API (cash or Alipay, which settles the
            # order itself) or, for the online shop, its own payment provider vouched by its token.
            raise Forbidden("an order is paid by taking its payment: POST /payments with the order; "
                            "store staff cannot mark it paid")
        if order.fulfilment not in fulfilments:
            raise Conflict(f"'{action}' does not apply to a {order.fulfilment} order")
        now = utcnow()
        events: list[NewEvent] = []
        note = data.note
        if action == "pay" and _past_its_time(order, now):
            # Checked here, under the order's lock: a payment after the reservation's time
            # holds only if the stock can be held for it again.
            said = _hold_again(session, order, who.key, now, events)
            note = f"{note}; {said}" if note else said
        elif order.status == "expired":
            raise Conflict("this order expired and its stock was released; place a new order",
                           order_status=order.status)
        if order.status not in sources:
            raise Conflict(f"a {order.status} order cannot {action.replace('_', ' ')}",
                           order_status=order.status, allowed_from=sorted(sources))
        if action == "pay":
            if data.amount != order.total:
                raise InvalidInput(
                    f"the payment of {data.amount} does not match the order total {order.total}",
                    total=order.total)
            order.payment_reference = data.payment_reference
            order.paid_at = now
            said = _take_gifts(session, order, who.key, now, events)
            note = f"{note}; {said}" if note and said else (note or said)
        if action == "complete" and order.fulfilment == "pickup" and (
                not data.pickup_token or not secrets.compare_digest(data.pickup_token,
                                                                    order.pickup_token or "")):
            raise Forbidden("scan the shopper's order QR to hand the order over")
        if action == "cancel":
            _move(session, order, "release", who.key, events)
            give_back_gifts(session, [order.number])  # its gift goes back to the pool
        elif (order.fulfilment, action) in FULFIL_ON:
            _move(session, order, "fulfil", who.key, events)
        _set_status(session, order, target, who.key, note)
        session.flush()
        if target == "completed" and order.customer_id:
            award_points(session, [order.id])
        doc = order_document(session, order)
        record_many(session, [*events, NewEvent(f"order.{target}", "order", order.number, doc)])
        return doc


def _take_gifts(session: Session, order: Order, actor: str, now: datetime,
                events: list[NewEvent]) -> str:
    """A paid order gets the giveaway gifts its basket qualifies for, while any are left and the
    gift is in stock where the order is served: one more line priced 0 (naming the promotion),
    reserved with the order. The grant's reference is the order number, so a payment settled
    twice never takes a second gift; cancelling the order gives the gift back.

    Taken at payment, not at placement: a gift goes to a paying shopper, and an unpaid basket
    that expires never held one. Called with the order row locked; locks the gift's stock
    level, then the giveaway counter (the documented order). Returns what the history says.
    """
    location = session.get(Location, order.location_id)
    assert location is not None
    rows = session.execute(
        select(OrderLine.sku_code, OrderLine.quantity, OrderLine.unit_price, Product.category, Product.brand,
               OrderLine.sold_by, OrderLine.tax_class)
        .join(Sku, Sku.id == OrderLine.sku_id).join(Product, Product.id == Sku.product_id)
        .where(OrderLine.order_id == order.id, OrderLine.gift.is_(None)).order_by(OrderLine.line_no)).all()
    basket = [BasketLine(r.sku_code, r.quantity, Money(r.unit_price, order.currency), r.category, r.brand,
                         r.sold_by, r.tax_class) for r in rows]  # type: ignore[arg-type]
    said = []
    wanted = []
    for promotion, rule in gifts_for(session, location, basket, "online", now,
                                     member=order.customer_id is not None):
        sku = session.execute(select(Sku).where(Sku.code == getattr(rule.offer, "gift_sku", ""))
                              ).scalar_one_or_none()
        if sku is not None:
            wanted.append((promotion, rule, sku))
    # Every gift's level in one ordered lock, after the order row and before the counters.
    levels = load_levels(session, sorted({(location.id, sku.id) for _, _, sku in wanted}), lock=True)
    for promotion, rule, sku in wanted:
        level = levels.get((location.id, sku.id))
        if _available(level) < 1:
            said.append(f"no gift ({promotion.code}): {sku.code} is out of stock at {location.code}")
            continue
        try:
            with session.begin_nested():  # a refusal leaves nothing behind
                grant = take_gift(session, promotion, rule, location, order.number, actor)
        except Conflict as exc:
            said.append(f"no gift ({promotion.code}): {exc.detail}")
            continue
        line_no = (session.execute(select(func.max(OrderLine.line_no))
                                   .where(OrderLine.order_id == order.id)).scalar() or 0) + 1
        session.add(OrderLine(order_id=order.id, line_no=line_no, sku_id=sku.id, sku_code=sku.code,
                              quantity=1, sold_by=sku.sold_by, unit_price=0, tax_class=sku.tax_class,
                              tax_rate="0", gross=0, discount=0, net=0, gift=promotion.code))
        session.flush()
        apply_movements(session, [Movement(
            location.id, sku.id, "reserve", 1, now, document=f"order:{order.number}",
            reason=f"gift of {promotion.code}", actor=actor, delta_reserved=1, affects_on_hand=False,
            idempotency_key=f"order:{order.number}:gift:{promotion.code}")], events, locked=levels)
        said.append(f"gift {sku.code} ({promotion.code}), {grant['remaining']} left")
    session.flush()
    return "; ".join(said)


def _past_its_time(order: Order, now: datetime) -> bool:
    return order.status == "expired" or (
        order.status == "reserved" and order.expires_at is not None and order.expires_at <= now)


def _hold_again(session: Session, order: Order, actor: str, now: datetime,
                events: list[NewEvent]) -> str:
    """A late payment: hold the order's stock again, or refuse with what is short.

    Still ``reserved`` (no expiry has run yet), the stock never left the order: nothing moves.
    Already ``expired``: reserve again what is available now, all lines or none. Returns what
    the order's history says about it.
    """
    if order.status == "reserved":
        return "paid after its reservation time; its stock was still held for it"
    lines = _lines(session, order)
    levels = load_levels(session, sorted((order.location_id, sku_id) for sku_id, _ in lines), lock=True)
    short = [{"sku_id": sku_id, "requested": qty, "available": available}
             for sku_id, qty in lines
             if (available := _available(levels.get((order.location_id, sku_id)))) < qty]
    if short:
        raise Conflict("this order expired and its stock is no longer available; the payment "
                       "cannot be taken: place a new order", order_status="expired", lines=short)
    apply_movements(session, _movements(order, lines, "reserve", actor, now), events, locked=levels)
    _set_status(session, order, "reserved", actor, "stock held again for a late payment")
    return "paid after its reservation expired; the stock was held for it again"


def _available(level: StockLevel | None) -> int:
    return available_to_sell(level.on_hand, level.reserved, level.safety_stock) if level else 0


def _overdue(now: datetime) -> Any:
    return select(Order).where(Order.status == "reserved", Order.expires_at < now)


def count_overdue(session: Session, now: datetime) -> int:
    """Reserved orders past their time that no expiry pass has released yet (the backlog)."""
    return int(session.scalar(select(func.count()).select_from(_overdue(now).subquery())) or 0)


def _release_expired(session: Session, orders: list[Order], actor: str, now: datetime,
                     lines: dict[int, list[tuple[int, int]]],
                     locked: dict[tuple[int, int], StockLevel] | None = None) -> None:
    """Expire locked, overdue orders: their reservations back, status ``expired``, events."""
    events: list[NewEvent] = []
    apply_movements(session, [m for o in orders for m in _movements(o, lines[o.id], "release", actor, now)],
                    events, locked=locked)
    for order in orders:
        _set_status(session, order, "expired", actor, "not paid in time")
    session.flush()
    events += [NewEvent("order.expired", "order", o.number, order_document(session, o)) for o in orders]
    record_many(session, events)


def _lines_of(session: Session, order_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    lines: dict[int, list[tuple[int, int]]] = {i: [] for i in order_ids}
    for order_id, sku_id, qty in session.execute(
            select(OrderLine.order_id, OrderLine.sku_id, OrderLine.quantity)
            .where(OrderLine.order_id.in_(order_ids)).order_by(OrderLine.order_id, OrderLine.sku_id)):
        lines[order_id].append((sku_id, qty))
    return lines


def _expire_in_the_way(session: Session, candidates: list[tuple[Location, float | None]],
                       wanted: dict[int, int], levels: dict[tuple[int, int], StockLevel],
                       now: datetime) -> int:
    """A new order found stock short: release overdue reservations on its levels, here.

    The caller holds the candidate levels, so nothing is waited for (lock order): orders and
    any further levels another transaction holds are skipped, and the expiry workers get them.
    ``levels`` is updated in place; returns how many orders expired.
    """
    stmt = (_overdue(now)
            .where(Order.location_id.in_([loc.id for loc, _ in candidates]),
                   Order.id.in_(select(OrderLine.order_id).where(OrderLine.sku_id.in_(list(wanted)))))
            .order_by(Order.id).limit(EXPIRY_BATCH)
            .with_for_update(skip_locked=True).execution_options(populate_existing=True))
    orders = list(session.execute(stmt).scalars())
    if not orders:
        return 0
    lines = _lines_of(session, [o.id for o in orders])
    extra = sorted({(o.location_id, sku_id) for o in orders for sku_id, _ in lines[o.id]} - levels.keys())
    if extra:
        levels.update(load_levels(session, extra, lock=True, skip_locked=True))
    ready = [o for o in orders if all((o.location_id, sku_id) in levels for sku_id, _ in lines[o.id])]
    if ready:
        _release_expired(session, ready, "lazy-expiry", now, lines, locked=levels)
    return len(ready)


# Orders expired per transaction: short transactions keep the locks they take brief.
EXPIRY_BATCH = 50


def expire_due(session: Session, *, now: datetime | None = None, order_ids: list[int] | None = None,
               limit: int | None = None, actor: str = "expiry-worker") -> int:
    """Expire reserved orders past their time and release their stock; returns how many.

    Batches of ``EXPIRY_BATCH``, each its own transaction taking locks in the usual order:
    the orders first, skipping those another transaction holds (being paid or cancelled
    right now: that transaction decides, and the next pass looks again), then their levels.
    An order is expired only if, under its lock, it is still reserved and overdue, so a
    payment that committed first always wins. ``order_ids`` limits the pass to those orders
    (a lazy expiry on read); ``limit`` caps the total.
    """
    total = 0
    while limit is None or total < limit:
        batch = EXPIRY_BATCH if limit is None else min(EXPIRY_BATCH, limit - total)
        done = retry_transient(session, lambda batch=batch: _expire_batch(  # type: ignore[misc]
            session, now or utcnow(), order_ids, batch, actor), what="order expiry")
        total += done
        if done < batch:
            return total
    return total


def _expire_batch(session: Session, now: datetime, order_ids: list[int] | None, batch: int,
                  actor: str) -> int:
    with transaction(session):
        stmt = _overdue(now).order_by(Order.id).limit(batch)
        if order_ids is not None:
            stmt = stmt.where(Order.id.in_(order_ids))
        orders = list(session.execute(
            stmt.with_for_update(skip_locked=True).execution_options(populate_existing=True)).scalars())
        if not orders:
            return 0
        _release_expired(session, orders, actor, now, _lines_of(session, [o.id for o in orders]))
        return len(orders)


def pickup_qr(public_url: str, order: Order | dict[str, Any], token: str | None) -> str | None:
    """The order QR a shopper shows at collection: staff scan it to hand the order over."""
    number = order["number"] if isinstance(order, dict) else order.number
    return f"{order_qr_url(public_url, number)}?t={token}" if token else None


class HandoverIn(BaseModel):
    qr: str = Field(min_length=1, max_length=500, description="the scanned order QR")


def hand_over(session: Session, data: HandoverIn, who: Principal) -> dict[str, Any]:
    """Store staff scan the shopper's order QR: the pickup order is completed."""
    try:
        scan = classify(data.qr)
    except ScanError as exc:
        raise InvalidInput(f"not an order QR: {exc}") from exc
    if not isinstance(scan, OrderQR):
        raise InvalidInput("this is not an order QR; scan the code in the shopper's order")
    token = parse_qs(urlsplit(scan.url).query).get("t", [None])[0]
    return transition(session, scan.order_number, "complete", TransitionIn(pickup_token=token), who)


def read_order(session: Session, number: str, who: Principal) -> dict[str, Any]:
    order = get_order(session, number)
    who.require_location(order.location_id)
    if order.status == "reserved" and order.expires_at and order.expires_at < utcnow():
        session.rollback()  # end the read: the expiry is a write transaction of its own
        expire_due(session, order_ids=[order.id], actor="lazy-expiry")
        order = get_order(session, number)
    return order_document(session, order)


def order_queue(session: Session, location_code: str, who: Principal) -> list[dict[str, Any]]:
    """A store's pick list: paid, picking and ready orders, most urgent first."""
    location = get_location(session, location_code)
    who.require_location(location.id)
    orders = session.execute(
        select(Order).where(Order.location_id == location.id, Order.channel == "online",
                            Order.status.in_(["paid", "picking", "ready", "out_for_delivery"]))
        .order_by(Order.promised_at.is_(None), Order.promised_at, Order.created_at)
    ).scalars().all()
    now = utcnow()
    result = []
    for order in orders:
        doc = order_document(session, order)
        doc["minutes_left"] = (round((order.promised_at - now).total_seconds() / 60)
                               if order.promised_at else None)
        result.append(doc)
    return result
