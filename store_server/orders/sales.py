"""Till and kiosk sales reaching the server: every sale lands exactly once (invariant 3).

A device pushes its completed sales in batches, each sale carrying the UUID the till gave it
when it was made. That UUID is the idempotency key: a sale already recorded with the same
content is answered "duplicate" with its order number, however late the retry; the same UUID
with other content is refused. The till never refuses a sale for stock (invariant 2) and
neither do we: stock may go negative, and the ledger flags the level for a count. Nor for its
time: a sale is filed when it really happened on our clock, however wrong the till's clock was
(store_server/devices/clock.py), and what is odd about it (its time, a price that is not the
list's at that moment) is flagged for the manager, never refused.

A till that was offline for a day sends hundreds of sales at once, so a batch is one
transaction and set-based: one query for the UUIDs we know, bulk inserts of the orders, one
ledger call for every line of every accepted sale, and events written last.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson
from pydantic import BaseModel, Field, SkipValidation, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from retail.barcodes import MemberQR, ScanError, classify
from retail.cash import cash_rounding_step, round_cash
from retail.money import Money
from retail.prices import price_in_force
from retail.pricing import DiscountInput, LineInput, PricedOrder, PricingError, price_order
from retail.promotions.windows import why_not_on
from retail.tax import TaxRegime, regime_for
from store_server.api.auth import Principal
from store_server.catalog.models import Sku
from store_server.catalog.service import price_windows_during
from store_server.customers.member_qr import MemberQRRejected
from store_server.customers.models import Customer, PointsEntry
from store_server.customers.service import (
    QRSettings,
    award_points,
    give_back_unused_redemptions,
    verify_member_qr,
)
from store_server.db import is_transient, transaction, utcnow
from store_server.devices.clock import ClockStamp, DocumentTime, PushClock, flag, place_in_time
from store_server.errors import Conflict, Forbidden
from store_server.events.service import NewEvent, record_many
from store_server.inventory.service import Movement, apply_movements
from store_server.locations.models import Location
from store_server.orders.models import Order
from store_server.orders.records import (
    NewOrder,
    TenderIn,
    insert_orders,
    new_order_document,
    new_order_number,
)
from store_server.payments.models import PAID_STATUSES, PaymentIntent
from store_server.promotions.service import give_back_gifts, granted_gifts, rules_by_code
from store_server.validation import AwareMoment, CurrencyCode, Quantity, canonical_uuid

log = logging.getLogger(__name__)

MAX_SALES_PER_BATCH = 500
# PostgreSQL: a batch that lost the race for a UUID is re-run and then finds it recorded.
ATTEMPTS = 5


class SaleLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: Quantity
    unit_price: int = Field(
        ge=0, le=10**12,
        description="as sold, minor units per piece (per kg when weighed); an offline till may "
                    "hold an older price, and what the shopper paid is the truth")
    gift: str | None = Field(
        None, min_length=1, max_length=64,
        description="a limited giveaway's gift handed over with the sale: the promotion's code. The "
                    "line is priced 0 and accepted only if that promotion granted a gift for this "
                    "sale (POST /promotions/<code>/grants with the sale's UUID as the reference)")


class SaleDiscountIn(BaseModel):
    amount: int = Field(ge=0, le=10**12)
    reason: str = Field(min_length=1, max_length=200, description="as printed on the receipt")
    line: int | None = Field(None, ge=0, le=999, description="index of its line; none for the whole sale")
    code: str = Field("", max_length=80, description="the promotion or coupon it came from")


TenderKind = Literal["cash", "alipay_qr", "alipay_code", "card", "points"]


class SaleTenderIn(BaseModel):
    kind: TenderKind
    amount: int = Field(gt=0, le=10**12, description="what this tender pays of the total")
    tendered: int | None = Field(
        None, gt=0, le=10**12,
        description="cash only: what the shopper handed over; change = tendered - amount")
    reference: str = Field("", max_length=120, description="gateway trade number, approval code")


class SaleIn(BaseModel):
    uuid: UUID = Field(description="made by the device with the sale; the key that lands it once")
    occurred_at: AwareMoment = Field(description="the device's clock when the sale completed")
    clock: ClockStamp | None = Field(
        None, description="the device's clocks that NTP does not step, read with occurred_at: "
                          "with the batch's sent_clock they place the sale on the server's clock "
                          "even when the device's clock was set right between the sale and the push")
    store: str | None = Field(None, max_length=40, description="the store the device believes it sells in")
    currency: CurrencyCode | None = None
    cashier: str = Field("", max_length=80)
    lines: list[SaleLineIn] = Field(min_length=1, max_length=1000)
    discounts: list[SaleDiscountIn] = Field(default_factory=list, max_length=200)
    tenders: list[SaleTenderIn] = Field(default_factory=list, max_length=20)
    tax_total: int | None = Field(None, ge=0, le=10**12,
                                  description="checked against the server's tax if given")
    total: int = Field(ge=0, le=10**12, description="what the lines and discounts come to, minor units")
    cash_rounding: int = Field(
        0, ge=-(10**6), le=10**6,
        description="where cash is rounded to the coins in circulation (Canada, Switzerland...: "
                    "retail.cash), what the cash part was rounded by; negative when the shopper "
                    "paid less. The tenders then add up to total + cash_rounding")
    member: str | None = Field(None, max_length=20,
                               description="the member number the till identified from a member QR")
    member_qr: str | None = Field(
        None, max_length=4096,
        description="the member QR as scanned, when the till could not identify it (offline): "
                    "verified here; a valid one earns the member points, an invalid one only "
                    "costs the points, never the sale")
    cash_session: UUID | None = Field(None, description="the till's cash session (its Z report)")
    receipt_number: str | None = Field(
        None, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9/.-]*$",
        description="the receipt's number in its till's unbroken series, where the market wants "
                    "numbered receipts (docs/RECEIPTS.md); kept for the e-receipt and the books")


class SalesBatchIn(BaseModel):
    sent_at: AwareMoment | None = Field(
        None, description="the device's clock as it sends this batch (set it afresh on every "
                          "retry): sale times from a till whose clock is wrong are corrected by "
                          "the difference")
    sent_clock: ClockStamp | None = Field(
        None, description="the device's clocks that NTP does not step, read as it sends this batch "
                          "(afresh on every retry)")
    # Each sale is validated on its own in ingest_sales, so a malformed sale is answered
    # "rejected" while the rest land; failing the batch would wedge the till's outbox behind
    # it. SkipValidation keeps SaleIn as the documented schema.
    sales: list[SkipValidation[SaleIn]] = Field(min_length=1, max_length=MAX_SALES_PER_BATCH)


class SaleResultOut(BaseModel):
    index: int
    uuid: str | None
    status: Literal["accepted", "duplicate", "rejected"]
    order: str | None = Field(None, description="order number (accepted, duplicate)")
    code: str | None = Field(None, description="why rejected: invalid, unknown-sku, wrong-store, "
                                                "wrong-currency, totals-mismatch, bad-tenders, "
                                                "unverified-payment, unverified-gift, unverified-points, "
                                                "uuid-reused (never the time: a "
                                                "suspicious time is recorded and flagged)")
    reason: str | None = None
    flags: list[dict[str, str]] | None = Field(
        None, description="accepted: what was flagged for the manager (clock-corrected, "
                          "future-time, impossible-time, old, price-differs, promotion-off)")


class SalesBatchOut(BaseModel):
    results: list[SaleResultOut]
    accepted: int
    duplicates: int
    rejected: int


@dataclass(slots=True)
class _Sale:
    """One sale of the batch on its way through the checks."""

    index: int
    raw: Any
    uuid: str | None = None
    content_hash: str = ""
    sale: SaleIn | None = None
    time: DocumentTime | None = None  # when it happened: the device's clock and ours
    priced: PricedOrder | None = None
    tenders: list[TenderIn] | None = None
    number: str = ""
    customer_id: int | None = None  # the member who earns points for it
    flags: list[dict[str, str]] | None = None  # for the manager: odd times, other prices
    code: str = ""  # set when rejected
    reason: str = ""

    def reject(self, code: str, reason: str) -> None:
        self.code, self.reason = code, reason

    @property
    def occurred_at(self) -> datetime | None:
        """When the sale happened on our clock."""
        return self.time.at if self.time else None


@dataclass(frozen=True, slots=True)
class _SkuFacts:
    id: int
    sold_by: str
    tax_class: str


def ingest_sales(session: Session, device: Principal, batch: SalesBatchIn,
                 member_qrs: QRSettings | None = None) -> dict[str, Any]:
    """Record a device's completed sales; answer each one accepted, duplicate or rejected.

    Checks that need no lock (shape, SKUs, prices, tenders) run before the write transaction
    so that SQLite's single writer is held only for the UUID lookup and the inserts.
    ``member_qrs`` verifies the member QRs that offline tills send unidentified.
    """
    if device.kind != "device" or device.store_id is None:
        raise Forbidden("sales are pushed by a till or kiosk paired with a store")
    location = session.get(Location, device.store_id)
    assert location is not None, "a paired device always has its store"
    push = PushClock(utcnow(), batch.sent_at, batch.sent_clock)
    channel = "kiosk" if device.role == "kiosk" else "pos"
    sales = [_read(i, raw) for i, raw in enumerate(batch.sales)]
    skus = _sku_facts(session, {line.sku for s in sales if s.sale for line in s.sale.lines})
    try:
        regime = regime_for(location.country)
    except KeyError as exc:
        # Nothing can be priced here: refuse the batch whole so the till keeps it and retries.
        raise Conflict(f"{location.code} has no tax rules for {location.country}; ask the office "
                       "to add them, then send the sales again") from exc
    # The device in the number keeps numbers from colliding across a chain's tills.
    prefix = f"{'K' if channel == 'kiosk' else 'S'}{device.id}"
    for s in sales:
        if s.sale is not None and not s.code:
            _check(s, location, skus, regime, channel, push)
    _compare_with_price_list(session, sales, location, skus)
    _verify_wallet_tenders(session, sales, location)
    _verify_gifts(session, sales, location)
    _find_members(session, sales, member_qrs)
    _verify_points_tenders(session, sales, location)

    def record() -> dict[str, Any]:
        for s in sales:
            # Fresh on every attempt: a clash on a number is one more reason to retry.
            s.number = new_order_number(prefix) if s.priced is not None and not s.code else ""
        return _record(session, device, location, channel, sales, skus)

    return record_batch(session, device, "sales", record)


def record_batch(session: Session, device: Principal, what: str,
                 record: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``record`` in one write transaction; run it again when it lost a race.

    A concurrent batch carrying the same UUIDs (a till that retried while its first request
    was still running, on another server process) makes our insert fail on PostgreSQL's
    unique index; the re-run sees the winner's rows and answers those documents "duplicate".
    ``record`` must start from the checks each time: nothing it decided survives a rollback.
    """
    for attempt in range(ATTEMPTS):
        try:
            with transaction(session):
                return record()
        except DBAPIError as exc:
            # Lost a race for a UUID (or, rarely, a number) to a concurrent batch, or was
            # picked as a deadlock's victim: PostgreSQL rolled us back; running again is safe.
            if not (isinstance(exc, IntegrityError) or is_transient(exc)):
                raise
            log.info("%s batch from %s lost a race (%s); running it again",
                     what, device.key, type(exc.orig).__name__)
            if attempt == ATTEMPTS - 1:
                raise Conflict(f"the same {what} are being recorded by another request; "
                               "send the batch again in a moment") from exc
    raise AssertionError("unreachable")


def _read(index: int, raw: Any) -> _Sale:
    s = _Sale(index, raw)
    if not isinstance(raw, dict):
        s.reject("invalid", "a sale must be a JSON object")
        return s
    s.uuid, s.content_hash = document_key(raw)
    s.sale, problem = validate_document(raw, SaleIn, "sale")
    if s.sale is None:
        s.reject("invalid", problem)
    else:
        s.uuid = str(s.sale.uuid)
    return s


def _sku_facts(session: Session, codes: set[str]) -> dict[str, _SkuFacts]:
    if not codes:
        return {}
    rows = session.execute(
        select(Sku.code, Sku.id, Sku.sold_by, Sku.tax_class).where(Sku.code.in_(codes)))
    return {code: _SkuFacts(sku_id, sold_by, tax_class) for code, sku_id, sold_by, tax_class in rows}


def _check(s: _Sale, location: Location, skus: dict[str, _SkuFacts], regime: TaxRegime,
           channel: str, push: PushClock) -> None:
    """Reject the sale with a reason, or leave it priced and ready to record."""
    sale = s.sale
    assert sale is not None
    currency = location.currency
    if sale.store is not None and sale.store != location.code:
        return s.reject("wrong-store", f"the sale says it was made at {sale.store}, but this "
                                       f"device is paired with {location.code}; re-pair it with "
                                       "the store it sells in")
    if sale.currency is not None and sale.currency != currency:
        return s.reject("wrong-currency", f"{location.code} sells in {currency}, the sale is in "
                                          f"{sale.currency}")
    # Never a reason to refuse: an odd time is recorded, corrected, and flagged.
    s.time = place_in_time(sale.occurred_at, sale.clock, push)
    unknown = sorted({line.sku for line in sale.lines} - skus.keys())
    if unknown:
        return s.reject("unknown-sku", f"unknown SKU(s): {', '.join(unknown)}; sync the catalogue, "
                                       "or ask the office to add the item")
    try:
        s.priced = price_order(
            [LineInput(line.sku, line.quantity, Money(line.unit_price, currency),
                       skus[line.sku].tax_class, skus[line.sku].sold_by) for line in sale.lines],
            regime, currency,
            [DiscountInput(Money(d.amount, currency), d.reason, d.line, d.code)
             for d in sale.discounts])
    except (PricingError, KeyError) as exc:
        return s.reject("invalid", str(exc).strip("'\""))
    for no, line in enumerate(sale.lines):
        if line.gift is not None and (line.unit_price != 0 or line.quantity != 1
                                      or any(d.line == no for d in sale.discounts)):
            return s.reject("invalid", f"line {no} is a gift ({line.gift}): one piece at price 0, "
                                       "without discounts")
    if s.priced.total.amount != sale.total:
        return s.reject("totals-mismatch", f"the lines and discounts come to {s.priced.total.amount}"
                                           f", the sale says {sale.total} ({currency} minor units)")
    if sale.tax_total is not None and s.priced.tax_total.amount != sale.tax_total:
        return s.reject("totals-mismatch", f"the tax comes to {s.priced.tax_total.amount}, the sale "
                                           f"says {sale.tax_total} ({currency} minor units)")
    problem = _check_tenders(s, sale, channel, cash_rounding_step(currency, location.country))
    if problem:
        s.reject("bad-tenders", problem)


def _compare_with_price_list(session: Session, sales: list[_Sale], location: Location,
                             skus: dict[str, _SkuFacts]) -> None:
    """Flag for the manager what is odd about the sales about to be recorded: their time (see
    ``place_in_time``), a line sold at another price than the store's list held at the moment
    of the sale (on our clock), a promotion's discount given when it was not on.

    What the shopper paid is the truth: a difference is recorded, never refused. It may be an
    offline till holding an old price, a manager's override, or a till whose clock was far off
    pricing the basket at another hour.
    """
    ready = [s for s in sales if s.priced is not None and not s.code]
    for s in ready:
        assert s.time is not None
        s.flags = list(s.time.flags)
    if not ready:
        return
    zone = ZoneInfo(location.timezone)

    def local(at: datetime) -> str:
        return f"{at.astimezone(zone):%Y-%m-%d %H:%M %Z}"

    def money(amount: int) -> str:
        return Money(amount, location.currency).format(location.locale)

    if location.price_list_id is not None:
        times = [s.occurred_at for s in ready if s.occurred_at is not None]
        windows = price_windows_during(
            session, location.price_list_id,
            sorted({skus[line.sku].id for s in ready if s.sale for line in s.sale.lines}),
            min(times), max(times))
        for s in ready:
            assert s.sale is not None and s.occurred_at is not None
            for no, line in enumerate(s.sale.lines):
                if line.gift is not None:
                    continue  # a gift is priced 0 by its promotion; its grant is checked
                listed = price_in_force(windows.get(skus[line.sku].id, []), s.occurred_at)
                if listed != line.unit_price:
                    s.flags.append(flag("price-differs", (
                        f"line {no} ({line.sku}) sold at {money(line.unit_price)}; the price list "
                        f"held {money(listed) if listed is not None else 'no price'} at "
                        f"{local(s.occurred_at)}")))
    rules = rules_by_code(session, {d.code for s in ready if s.sale for d in s.sale.discounts if d.code})
    for s in ready:
        assert s.sale is not None and s.occurred_at is not None
        for d in s.sale.discounts:
            off = why_not_on(rules[d.code], s.occurred_at, zone) if d.code in rules else None
            if off is not None:
                s.flags.append(flag("promotion-off", f"discount {d.reason!r} ({d.code}) was given, but "
                                                     f"the promotion was not on then ({off[1]})"))


def _check_tenders(s: _Sale, sale: SaleIn, channel: str, cash_step: int) -> str:
    """The tenders pay the total exactly, but for the cash rounding the country's coins need
    (``retail.cash``): the cash part, total less the other tenders, rounded to ``cash_step``."""
    tenders = []
    for t in sale.tenders:
        if t.kind == "cash" and channel == "kiosk":
            return "a kiosk takes no cash"
        if t.tendered is not None:
            if t.kind != "cash":
                return f"only cash is handed over with change; {t.kind} pays its exact amount"
            if t.tendered < t.amount:
                return f"cash handed over ({t.tendered}) is less than the {t.amount} it pays"
        change = t.tendered - t.amount if t.tendered is not None else 0
        tenders.append(TenderIn(t.kind, t.amount, t.tendered, change, t.reference))
    paid = sum(t.amount for t in tenders)
    if sale.cash_rounding:
        cash_due = sale.total - sum(t.amount for t in tenders if t.kind != "cash")
        if not any(t.kind == "cash" for t in tenders):
            return "only a cash payment is rounded; this sale has no cash tender"
        rounding = round_cash(cash_due, cash_step) - cash_due if cash_due > 0 else 0
        if sale.cash_rounding != rounding:
            return (f"cash of {cash_due} rounds by {rounding} here (steps of {cash_step} minor "
                    f"units), the sale says {sale.cash_rounding}")
    if paid != sale.total + sale.cash_rounding:
        rounded = f" rounded by {sale.cash_rounding}" if sale.cash_rounding else ""
        return f"the tenders pay {paid} of a total of {sale.total}{rounded} (minor units)"
    s.tenders = tenders
    return ""


def _find_members(session: Session, sales: list[_Sale], member_qrs: QRSettings | None) -> None:
    """Attach members by number, or by the member QR an offline till could not check.

    Neither ever stops a sale (the shopper has paid and left): an unknown number or a forged,
    revoked or expired QR only earns no points, and the QR case is logged for the office.
    """
    numbers = {s.sale.member for s in sales if s.sale and s.sale.member and not s.code}
    ids = dict(session.execute(
        select(Customer.number, Customer.id).where(Customer.number.in_(numbers))).all()) if numbers else {}
    for s in sales:
        if s.sale is None or s.code:
            continue
        if s.sale.member:
            s.customer_id = ids.get(s.sale.member)
        if s.customer_id is None and s.sale.member_qr:
            s.customer_id = _member_from_qr(session, s, s.sale.member_qr, member_qrs)


def _member_from_qr(session: Session, s: _Sale, scanned: str, member_qrs: QRSettings | None) -> int | None:
    if member_qrs is None:
        log.warning("sale %s carries a member QR but no key to verify it; no points", s.uuid)
        return None
    # The scan as read ("PLAZA-M1:<token>", maybe behind a symbology prefix) or the bare token.
    try:
        scan = classify(scanned)
        token = scan.token if isinstance(scan, MemberQR) else scanned
    except ScanError:
        token = scanned
    try:
        # Judged at the moment of the sale: a QR that was fresh when an offline till scanned
        # it is still good when the sale syncs the next morning.
        return verify_member_qr(session, token, member_qrs, now=s.occurred_at).id
    except MemberQRRejected as exc:
        # The token itself is not logged: anyone reading the log could earn the points.
        log.warning("sale %s: member QR not accepted (%s); recorded without points", s.uuid, exc.code)
        return None


WALLET_TENDERS = ("alipay_qr", "alipay_code")


def _verify_wallet_tenders(session: Session, sales: list[_Sale], location: Location) -> None:
    """A wallet tender counts only if the server saw that payment paid (invariant 6).

    The till took the payment through the payments API; the tender's reference is the
    payment's id. Without a paid payment of this store for this amount (and this sale, when
    the payment named one), the sale is rejected rather than recorded as paid by Alipay.
    """
    wanted = {t.reference for s in sales if s.tenders and not s.code
              for t in s.tenders if t.kind in WALLET_TENDERS}
    intents = {i.public_id: i for i in session.execute(
        select(PaymentIntent).where(PaymentIntent.public_id.in_(wanted))).scalars()} if wanted else {}
    for s in sales:
        if s.code or not s.tenders:
            continue
        for t in s.tenders:
            if t.kind not in WALLET_TENDERS:
                continue
            intent = intents.get(t.reference)
            if (intent is None or intent.status not in PAID_STATUSES or intent.location_id != location.id
                    or intent.amount != t.amount or intent.currency != location.currency
                    or (intent.sale_uuid and intent.sale_uuid != s.uuid)):
                s.reject("unverified-payment",
                         f"no paid {t.kind} payment {t.reference or '(no reference)'} of {t.amount} for "
                         "this sale at this store; take the payment through the server, then "
                         "send the sale with the payment's id as the tender reference")
                break


def _verify_gifts(session: Session, sales: list[_Sale], location: Location) -> None:
    """A gift line counts only if its promotion granted a gift for this very sale, here.

    The till asks ``POST /promotions/<code>/grants`` with the sale's UUID before it completes
    the sale (the counter is the server's: at most N gifts, invariant 7), and puts the gift on
    the sale as a line priced 0 naming the promotion. A gift line without that grant would hand
    over stock outside the giveaway's count, so the sale is rejected (``unverified-gift``).
    """
    wanted = [s.uuid for s in sales if s.sale and s.uuid and not s.code
              and any(line.gift for line in s.sale.lines)]
    grants = granted_gifts(session, wanted)  # type: ignore[arg-type]
    for s in sales:
        if s.sale is None or s.code:
            continue
        seen: set[str] = set()
        for no, line in enumerate(s.sale.lines):
            if line.gift is None:
                continue
            grant = grants.get((s.uuid or "", line.gift))
            if grant is None or grant != (line.sku, location.id) or line.gift in seen:
                s.reject("unverified-gift",
                         f"line {no} hands over {line.sku} as the gift of {line.gift}, but that "
                         "promotion granted no such gift for this sale at this store; ask for the "
                         "gift (POST /promotions/<code>/grants with the sale's UUID) before "
                         "completing the sale")
                break
            seen.add(line.gift)


def _verify_points_tenders(session: Session, sales: list[_Sale], location: Location) -> None:
    """A points tender counts only if the member's points were redeemed for it, for this sale.

    The till redeems them through ``POST /customers/<n>/points/redeem`` with the member's QR and
    a reference naming the sale (``sale:<uuid>:<attempt>``), and sends that reference with the
    tender. The redemption must be the sale's member's, of this amount in the store's currency,
    and not given back since (a points tender taken back before the sale was completed).
    """
    wanted = {t.reference for s in sales if s.tenders and not s.code
              for t in s.tenders if t.kind == "points"}
    redeemed = {reference: (customer_id, amount, currency) for reference, customer_id, amount, currency
                in session.execute(
                    select(PointsEntry.reference, PointsEntry.customer_id, PointsEntry.amount,
                           PointsEntry.currency)
                    .where(PointsEntry.kind == "redeem", PointsEntry.reference.in_(sorted(wanted))))
                } if wanted else {}
    voided = set(session.execute(
        select(PointsEntry.reference).where(PointsEntry.kind == "refund", PointsEntry.reference.in_(
            sorted(f"void:{r}" for r in redeemed)))).scalars()) if redeemed else set()
    for s in sales:
        if s.code or not s.tenders:
            continue
        for t in s.tenders:
            if t.kind != "points":
                continue
            found = redeemed.get(t.reference)
            if (found is None or found != (s.customer_id, t.amount, location.currency)
                    or not t.reference.startswith(f"sale:{s.uuid}") or f"void:{t.reference}" in voided):
                s.reject("unverified-points",
                         f"no redemption {t.reference or '(no reference)'} of the member's points "
                         f"worth {t.amount} for this sale; redeem the points through the server "
                         "(with the member's QR) and send the redemption's reference with the tender")
                break


def _record(session: Session, device: Principal, location: Location, channel: str,
            sales: list[_Sale], skus: dict[str, _SkuFacts]) -> dict[str, Any]:
    """Inside the write transaction: classify against the recorded UUIDs, then write.

    Verdicts live in this call only, so a re-run after a lost race starts from the checks.
    """
    uuids = {s.uuid for s in sales if s.uuid}
    known = {
        uuid: Recorded(content_hash, number, location_id)
        for uuid, content_hash, number, location_id in session.execute(
            select(Order.client_uuid, Order.content_hash, Order.number, Order.location_id)
            .where(Order.client_uuid.in_(uuids)))
    } if uuids else {}
    verdicts, accepted = sort_out(sales, known, location.id, "sale")
    numbers = _write(session, device, location, channel, accepted, skus) if accepted else {}
    return answer_batch(sales, verdicts, numbers, "order")


@dataclass(frozen=True, slots=True)
class Recorded:
    """What a resend of a pushed document is compared with: the one recorded under its UUID."""

    content_hash: str
    number: str
    location_id: int


class _Pushed(Protocol):
    index: int
    raw: Any
    uuid: str | None
    content_hash: str
    code: str
    reason: str

    @property
    def flags(self) -> list[dict[str, str]] | None: ...  # for the manager, once accepted


_P = TypeVar("_P", bound=_Pushed)
DocumentT = TypeVar("DocumentT", bound=BaseModel)


def sort_out(docs: list[_P], known: dict[str, Recorded], location_id: int, noun: str,
             admit: Callable[[_P], bool] | None = None) -> tuple[dict[int, dict[str, Any]], list[_P]]:
    """The verdict on each pushed document (sales, returns), and those to record now.

    Recorded before under its UUID with the same content: ``duplicate`` (a resend is answered
    from the record, even if the catalogue or the checks have changed since). Twice in one
    batch: the second copy gets the first one's verdict. New and passing its checks (and
    ``admit``, which may reject it with a code in view of what the batch accepted before it):
    ``accepted``. The accepted come back sorted by UUID: concurrent batches on PostgreSQL then
    wait on each other's unique index entries in one order and cannot deadlock.
    """
    first: dict[str, _P] = {}
    verdicts: dict[int, dict[str, Any]] = {}
    accepted: list[_P] = []
    for d in docs:
        if d.uuid is None or (d.code and d.uuid not in known and d.uuid not in first):
            verdict = _rejected(d.code, d.reason)
            if d.uuid:
                first[d.uuid] = d
        elif d.uuid in known:
            recorded = known[d.uuid]
            if recorded.location_id != location_id:
                verdict = _rejected("wrong-store", f"this UUID belongs to a {noun} recorded at "
                                                   "another store")
            elif recorded.content_hash != d.content_hash:
                verdict = _rejected("uuid-reused", f"a different {noun} was recorded with this UUID; "
                                                   f"give each {noun} its own UUID")
            else:
                verdict = {"status": "duplicate", "number": recorded.number}
        elif d.uuid in first:
            earlier = verdicts[first[d.uuid].index]
            if first[d.uuid].content_hash != d.content_hash:
                verdict = _rejected("uuid-reused", f"this batch holds two different {noun}s with "
                                                   "this UUID")
            elif earlier["status"] == "accepted":
                verdict = {"status": "duplicate", "of": first[d.uuid].index}
            else:
                verdict = dict(earlier)
        else:
            first[d.uuid] = d
            if admit is None or admit(d):
                verdict = {"status": "accepted"}
                accepted.append(d)
            else:
                verdict = _rejected(d.code, d.reason)
        verdicts[d.index] = verdict
    accepted.sort(key=lambda d: d.uuid or "")
    return verdicts, accepted


def answer_batch(docs: list[_P], verdicts: dict[int, dict[str, Any]], numbers: dict[int, str],
                 number_key: str) -> dict[str, Any]:
    """The batch's answer: one result per document, in the order sent, and the counts."""
    results = []
    for d in docs:
        verdict = verdicts[d.index]
        if verdict["status"] == "accepted":
            verdict["number"] = numbers[d.index]
            if d.flags:
                verdict["flags"] = d.flags
        elif "of" in verdict:
            verdict["number"] = numbers[verdict.pop("of")]
        if "number" in verdict:
            verdict[number_key] = verdict.pop("number")
        results.append({"index": d.index, "uuid": d.uuid or raw_uuid(d.raw), **verdict})
    counts = {k: sum(1 for r in results if r["status"] == k)
              for k in ("accepted", "duplicate", "rejected")}
    return {"results": results, "accepted": counts["accepted"], "duplicates": counts["duplicate"],
            "rejected": counts["rejected"]}


def _rejected(code: str, reason: str) -> dict[str, Any]:
    return {"status": "rejected", "code": code, "reason": reason}


def _write(session: Session, device: Principal, location: Location, channel: str,
           accepted: list[_Sale], skus: dict[str, _SkuFacts]) -> dict[int, str]:
    """Orders, stock movements and events for the accepted sales; their numbers by index."""
    numbers = {s.index: s.number for s in accepted}
    orders = []
    for s in accepted:
        assert s.sale is not None and s.priced is not None and s.occurred_at is not None
        orders.append(NewOrder(
            channel=channel, fulfilment="in_store", status="completed", location_id=location.id,
            priced=s.priced, sku_ids={code: skus[code].id for code in {ln.sku for ln in s.sale.lines}},
            occurred_at=s.occurred_at, actor=device.key, number=numbers[s.index],
            client_uuid=s.uuid, content_hash=s.content_hash, device_id=device.id,
            receipt_number=s.sale.receipt_number,
            cashier=s.sale.cashier, tenders=s.tenders or [], note=f"sold at {device.name}",
            customer_id=s.customer_id,
            cash_session_uuid=str(s.sale.cash_session) if s.sale.cash_session else None,
            device_occurred_at=s.sale.occurred_at, review_flags=s.flags or [],
            cash_rounding=s.sale.cash_rounding,
            gifts={no: line.gift for no, line in enumerate(s.sale.lines) if line.gift}))
    ids = insert_orders(session, orders)
    movements = []
    for s in accepted:
        assert s.sale is not None and s.occurred_at is not None
        note = ""
        if s.occurred_at != s.sale.occurred_at:
            note = f"device clock said {s.sale.occurred_at.isoformat()}"
        movements += [
            Movement(location.id, skus[line.sku].id, "sale", -line.quantity, s.occurred_at,
                     document=f"sale:{s.uuid}", reason=f"{channel} sale {numbers[s.index]}",
                     actor=device.key, idempotency_key=f"sale:{s.uuid}:{no}", note=note)
            for no, line in enumerate(s.sale.lines)
        ]
    # Locks every level the batch touches (in key order); its stock events are written with
    # ours in one go, once no more row locks are needed.
    events: list[NewEvent] = []
    apply_movements(session, movements, events)
    # A gift granted for a sale that arrived without it was never handed over (the till did
    # not hear the grant's answer): back to the pool. Counters after levels, before members.
    give_back_gifts(session, [s.uuid for s in accepted if s.uuid],
                    keep={(s.uuid, line.gift) for s in accepted if s.sale and s.uuid
                          for line in s.sale.lines if line.gift})
    # Points redeemed for a sale that paid otherwise (the till did not hear the answer) go back
    # to the member, before the sale's own points are awarded: member rows after the counters.
    give_back_unused_redemptions(session, [
        (s.customer_id, s.uuid, {t.reference for t in s.tenders or () if t.kind == "points"})
        for s in accepted if s.customer_id and s.uuid], device.key)
    members = [order_id for order_id, o in zip(ids, orders, strict=True) if o.customer_id]
    if members:
        award_points(session, members)
    record_many(session, events + [
        NewEvent("order.created", "order", o.number, new_order_document(o, location.code),
                 location_id=location.id)
        for o in orders
    ])
    return numbers


def document_key(raw: dict[str, Any]) -> tuple[str | None, str]:
    """A pushed document's UUID in canonical form, so "ABC..." and "abc..." are one sale,
    and the hash of its content as sent, keys sorted: a resend, days later, hashes the same."""
    uuid = canonical_uuid(raw.get("uuid"))
    canonical = {**raw, "uuid": uuid} if uuid else raw
    return uuid, hashlib.sha256(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)).hexdigest()


def validate_document(raw: Any, model: type[DocumentT], what: str) -> tuple[DocumentT | None, str]:
    """A pushed document checked against its schema: the model, or why not in one line (each
    problem with its field path), for a per-document "rejected" answer."""
    try:
        return model.model_validate(raw), ""
    except ValidationError as exc:
        return None, "; ".join(f"{'.'.join(str(p) for p in err['loc']) or what}: {err['msg']}"
                               for err in exc.errors(include_url=False))


def raw_uuid(raw: Any) -> str | None:
    """The UUID as sent, for answering a document whose UUID is not one."""
    value = raw.get("uuid") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None
