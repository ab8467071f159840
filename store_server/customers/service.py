"""Members: registering and updating accounts and consents, the member QR, points, history.

Use cases a person does: a cashier or the online shop ``register_customer``; the shopper
changes details or consents (``update_customer``); the app asks for a fresh member QR
(``issue_member_qr``) and a lost phone gets every QR revoked (``revoke_member_qrs``); a till
``identify_member`` from a scan; completed orders ``award_points``; the order flow
``redeem_points`` for a discount. Services own their transactions and raise domain errors.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator
from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from retail.barcodes import MemberQR, ScanError, classify
from retail.money import Money, currency_exponent
from store_server.api.auth import Principal
from store_server.api.pagination import RowId, decode_cursor, encode_cursor
from store_server.customers.member_qr import (
    MemberClaim,
    MemberQRExpired,
    MemberQRForged,
    MemberQRRevoked,
    read,
    sign,
)
from store_server.customers.models import Customer, PointsEntry
from store_server.db import is_postgres, transaction, utcnow
from store_server.errors import AlreadyExists, Conflict, InvalidInput, NotFound
from store_server.events.service import NewEvent, record_many
from store_server.locations.models import Location
from store_server.locations.service import get_location
from store_server.orders.models import Order, OrderLine, OrderTender
from store_server.recommendations.models import ForYou
from store_server.validation import CurrencyCode

_NUMBER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_PHONE = re.compile(r"\+?[0-9]{6,20}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
LANGUAGE = r"^[a-z]{2,3}([_-][A-Za-z0-9]{2,8})?$"
# Orders that were paid for and not undone: what history shows and points are earned on.
BOUGHT_STATUSES = ("paid", "picking", "ready", "out_for_delivery", "shipped", "completed")
# A till's clock may be a little ahead of ours; a QR "issued" that far ahead is still fine.
QR_CLOCK_SKEW = timedelta(minutes=5)


# --------------------------------------------------------------------------------------------
# Accounts


def _phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    compact = re.sub(r"[\s().-]", "", value)
    if not _PHONE.fullmatch(compact):
        raise ValueError("a phone number is digits with an optional leading +, e.g. +34600111222")
    return compact


def _email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip().lower()
    if not _EMAIL.fullmatch(value):
        raise ValueError("not an email address")
    return value


# Normalised on the way in: phones to E.164-like digits, emails lower-cased.
# The length is checked on the text as sent, before it may become None ("" removes it).
Phone = Annotated[str, StringConstraints(max_length=40), AfterValidator(_phone)]
Email = Annotated[str, StringConstraints(max_length=200), AfterValidator(_email)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CustomerIn(BaseModel):
    name: PersonName
    phone: Phone | None = None
    email: Email | None = None
    language: str = Field("en", pattern=LANGUAGE, description="preferred language, e.g. es, zh, ru")
    consent_marketing: bool = False
    consent_recommendations: bool = Field(
        False, description="personalised recommendations from the member's purchases")


class CustomerPatch(BaseModel):
    name: PersonName | None = None
    phone: Phone | None = None
    email: Email | None = None
    language: str | None = Field(None, pattern=LANGUAGE)
    consent_marketing: bool | None = None
    consent_recommendations: bool | None = None
    active: bool | None = None


def customer_document(customer: Customer) -> dict[str, Any]:
    return {
        "number": customer.number, "name": customer.name, "phone": customer.phone,
        "email": customer.email, "language": customer.language,
        "consent": {"marketing": customer.consent_marketing,
                    "recommendations": customer.consent_recommendations,
                    "updated_at": _iso(customer.consent_updated_at)},
        "points": customer.points, "active": customer.active,
        "created_at": _iso(customer.created_at), "updated_at": _iso(customer.updated_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _event(customer: Customer, kind: str) -> NewEvent:
    # No phone or email in the outbox: webhooks and feeds carry who changed, not how to reach them.
    return NewEvent(f"customer.{kind}", "customer", customer.number, {
        "number": customer.number, "language": customer.language, "active": customer.active,
        "consent": {"marketing": customer.consent_marketing,
                    "recommendations": customer.consent_recommendations}})


def get_customer(session: Session, number: str) -> Customer:
    customer = session.execute(select(Customer).where(Customer.number == number)).scalar_one_or_none()
    if customer is None:
        raise NotFound(f"no member {number}; check the member number", customer=number)
    return customer


def find_customer(session: Session, phone: str | None, email: str | None) -> dict[str, Any]:
    """The member with this phone or email (what a cashier asks a shopper without the app)."""
    try:
        phone, email = _phone(phone), _email(email)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    if not phone and not email:
        raise InvalidInput("give a phone or an email to look a member up")
    stmt = select(Customer).where(Customer.phone == phone if phone else Customer.email == email)
    customer = session.execute(stmt).scalar_one_or_none()
    if customer is None:
        raise NotFound("no member with that " + ("phone" if phone else "email"))
    return customer_document(customer)


def _check_unique(session: Session, phone: str | None, email: str | None, own_id: int | None) -> None:
    for column, value, label in ((Customer.phone, phone, "phone"), (Customer.email, email, "email")):
        if value is None:
            continue
        other = session.execute(select(Customer.id).where(column == value)).scalar_one_or_none()
        if other is not None and other != own_id:
            raise AlreadyExists(f"another member has this {label}; look them up instead", field=label)


def register_customer(session: Session, data: CustomerIn) -> dict[str, Any]:
    if not data.phone and not data.email:
        raise InvalidInput("a member needs a phone or an email", field="phone")
    now = utcnow()
    with transaction(session):
        _check_unique(session, data.phone, data.email, None)
        customer = Customer(
            number="M" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(9)),
            name=data.name.strip(), phone=data.phone, email=data.email, language=data.language,
            consent_marketing=data.consent_marketing,
            consent_recommendations=data.consent_recommendations, consent_updated_at=now,
            points=0, qr_version=1, active=True, created_at=now, updated_at=now)
        session.add(customer)
        try:
            session.flush()
        except IntegrityError as exc:  # a concurrent registration with the same phone or email
            raise AlreadyExists("another member has this phone or email; look them up instead") from exc
        record_many(session, [_event(customer, "created")])
        return customer_document(customer)


def update_customer(session: Session, number: str, patch: CustomerPatch) -> dict[str, Any]:
    changes = patch.model_dump(exclude_unset=True)
    with transaction(session):
        customer = session.execute(
            select(Customer).where(Customer.number == number).with_for_update()
        ).scalar_one_or_none()
        if customer is None:
            raise NotFound(f"no member {number}; check the member number", customer=number)
        phone = changes.get("phone", customer.phone)
        email = changes.get("email", customer.email)
        if not phone and not email:
            raise InvalidInput("a member needs a phone or an email; keep one of them")
        _check_unique(session, phone, email, customer.id)
        if any(k in changes and changes[k] != getattr(customer, k)
               for k in ("consent_marketing", "consent_recommendations")):
            customer.consent_updated_at = utcnow()
        for key, value in changes.items():
            if value is None and key not in ("phone", "email"):
                continue  # only the contact details can be removed; the rest can only change
            setattr(customer, key, value)
        if customer.consent_recommendations is False:
            # Withdrawn consent: the personal suggestions already computed go too, not just
            # stop being shown.
            session.execute(delete(ForYou).where(ForYou.customer_id == customer.id))
        customer.updated_at = utcnow()
        record_many(session, [_event(customer, "updated")])
        return customer_document(customer)


# --------------------------------------------------------------------------------------------
# Member QR


@dataclass(frozen=True)
class QRSettings:
    key: bytes
    ttl: timedelta | None  # None: QRs never expire, only revocation ends them

    @classmethod
    def from_config(cls, config: Any) -> QRSettings:
        minutes = int(config["MEMBER_QR_TTL_MINUTES"])
        return cls(str(config["MEMBER_QR_KEY"]).encode(),
                   timedelta(minutes=minutes) if minutes > 0 else None)


def issue_member_qr(session: Session, number: str, settings: QRSettings,
                    now: datetime | None = None) -> dict[str, Any]:
    """A fresh member QR for the app to show; the app asks again before ``expires_at``."""
    now = now or utcnow()
    customer = get_customer(session, number)
    if not customer.active:
        raise Conflict("this membership is closed; it has no member QR", customer=number)
    issued = int(now.timestamp())
    payload = sign(settings.key, MemberClaim(customer.id, customer.qr_version, issued))
    expires = datetime.fromtimestamp(issued, UTC) + settings.ttl if settings.ttl else None
    return {"number": customer.number, "payload": payload,
            "issued_at": datetime.fromtimestamp(issued, UTC).isoformat(),
            "expires_at": _iso(expires)}


def revoke_member_qrs(session: Session, number: str) -> dict[str, Any]:
    """Every member QR issued until now stops working (a lost phone, a shared screenshot)."""
    with transaction(session):
        # One conditional UPDATE: two revocations at once both bump, neither is lost.
        session.execute(update(Customer).where(Customer.number == number)
                        .values(qr_version=Customer.qr_version + 1, updated_at=utcnow()))
        customer = session.execute(
            select(Customer).where(Customer.number == number)
            .execution_options(populate_existing=True)).scalar_one_or_none()
        if customer is None:
            raise NotFound(f"no member {number}; check the member number", customer=number)
        record_many(session, [_event(customer, "member_qr_revoked")])
        return {"number": customer.number, "revoked_at": utcnow().isoformat(),
                "detail": "every member QR issued before now is rejected; the app shows a new one"}


def verify_member_qr(session: Session, payload: str, settings: QRSettings,
                     now: datetime | None = None) -> Customer:
    """The member a QR belongs to, or a rejection saying why: forged, revoked or expired."""
    claim = read(settings.key, payload)
    customer = session.get(Customer, claim.customer_id)
    if customer is None:  # signed by us, but the account is gone
        raise MemberQRRevoked("this membership no longer exists; ask the shopper to register again")
    if not customer.active:
        raise MemberQRRevoked("this membership is closed; its member QR no longer works",
                              customer=customer.number)
    if claim.key_version != customer.qr_version:
        raise MemberQRRevoked(
            "this member QR was revoked (the member asked for new codes, e.g. after losing a "
            "phone); ask the shopper to open the member QR in the Plaza app again",
            customer=customer.number)
    now = now or utcnow()
    issued = datetime.fromtimestamp(claim.issued_at, UTC)
    if issued > now + QR_CLOCK_SKEW:
        raise MemberQRForged("this member QR claims to be issued in the future; it is not genuine")
    if settings.ttl is not None and issued + settings.ttl <= now:
        raise MemberQRExpired(
            f"this member QR expired at {(issued + settings.ttl).isoformat()} (it is a screenshot "
            "or the app was offline); ask the shopper to refresh the member QR in the app",
            expired_at=(issued + settings.ttl).isoformat())
    return customer


class IdentifyIn(BaseModel):
    scan: str = Field(min_length=1, max_length=4096, description="what the scanner read")
    store: str | None = Field(None, description="store code; a till's own store by default")


def identify_member(session: Session, data: IdentifyIn, settings: QRSettings, who: Principal,
                    rules: LoyaltyRules | None = None) -> dict[str, Any]:
    """Who the shopper at a till or kiosk is, from their member QR, for this store."""
    store = _store_for(session, data.store, who)
    try:
        scan = classify(data.scan)
    except ScanError as exc:
        raise InvalidInput(f"not a member QR: {exc.reason}") from exc
    if not isinstance(scan, MemberQR):
        raise InvalidInput(f"this is a {type(scan).__name__} code, not a member QR; "
                           "ask the shopper for the member QR in the Plaza app")
    customer = verify_member_qr(session, scan.token, settings)
    rules = rules or LoyaltyRules()
    return {
        "number": customer.number, "name": customer.name, "language": customer.language,
        "points": customer.points,
        "points_value": points_value(customer.points, store.currency, rules).as_dict(),
        "consent": {"marketing": customer.consent_marketing,
                    "recommendations": customer.consent_recommendations},
        "store": store.code,
    }


def _store_for(session: Session, code: str | None, who: Principal) -> Location:
    if code is None:
        if who.store_id is None:
            raise InvalidInput("say which store: this account is not tied to one", field="store")
        store = session.get(Location, who.store_id)
        assert store is not None
        return store
    store = get_location(session, code)
    who.require_location(store.id)
    return store


# --------------------------------------------------------------------------------------------
# Points


@dataclass(frozen=True)
class LoyaltyRules:
    """Points earned per whole unit of currency spent; ``redeem_rate`` points buy what one
    point was earned on (100: 1% back). Rates differ per currency so a point is worth about
    the same everywhere in the chain."""

    earn_per_unit: dict[str, Decimal] = field(default_factory=lambda: {
        "EUR": Decimal(1), "USD": Decimal(1), "GBP": Decimal(1), "CAD": Decimal(1),
        "BRL": Decimal("0.2"), "CNY": Decimal("0.125"), "RUB": Decimal("0.01")})
    redeem_rate: int = 100

    @classmethod
    def from_config(cls, config: Any) -> LoyaltyRules:
        rates = config.get("LOYALTY_EARN_PER_UNIT")
        if not rates:
            return cls()
        return cls({k.upper(): Decimal(str(v)) for k, v in rates.items()},
                   int(config.get("LOYALTY_REDEEM_RATE", 100)))

    def rate(self, currency: str) -> Decimal:
        try:
            return self.earn_per_unit[currency]
        except KeyError:
            raise InvalidInput(f"members earn no points in {currency}") from None


def points_earned(total: Money, rules: LoyaltyRules) -> int:
    """Whole points for a spend, rounded down: 12.99 EUR earns 12."""
    major = Decimal(total.amount).scaleb(-currency_exponent(total.currency))
    return int((major * rules.rate(total.currency)).to_integral_value(ROUND_FLOOR))


def points_value(points: int, currency: str, rules: LoyaltyRules) -> Money:
    """What ``points`` take off a bill in ``currency``, rounded down to the minor unit."""
    minor = Decimal(points).scaleb(currency_exponent(currency)) / (rules.rate(currency) * rules.redeem_rate)
    return Money(int(minor.to_integral_value(ROUND_FLOOR)), currency)


def _insert_ignoring_duplicates(session: Session) -> Any:
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(PointsEntry)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(PointsEntry)
    return stmt.on_conflict_do_nothing(
        index_elements=["customer_id", "kind", "reference"]
    ).returning(PointsEntry.customer_id, PointsEntry.points)


_ADD_POINTS = (update(Customer).where(Customer.id == bindparam("cid"))
               .values(points=Customer.points + bindparam("delta")))


def award_points(session: Session, order_ids: list[int] | None = None,
                 rules: LoyaltyRules | None = None) -> int:
    """Credit members for completed orders that have not earned yet; returns points awarded.

    The order flow calls it with the orders it just completed; ``None`` sweeps every order
    (the recompute command). Each order earns once: its entry's unique reference makes a
    second award, even a concurrent one, insert nothing.
    """
    rules = rules or LoyaltyRules()
    stmt = select(Order.id, Order.customer_id, Order.total, Order.currency).where(
        Order.customer_id.is_not(None), Order.status == "completed")
    if order_ids is not None:
        if not order_ids:
            return 0
        stmt = stmt.where(Order.id.in_(order_ids))
    earned = select(PointsEntry.order_id).where(PointsEntry.kind == "earn", PointsEntry.order_id.is_not(None))
    if order_ids is not None:
        earned = earned.where(PointsEntry.order_id.in_(order_ids))
    with transaction(session):
        done = set(session.execute(earned).scalars())
        now = utcnow()
        rows = []
        for order_id, customer_id, total, currency in session.execute(stmt):
            reference = f"order:{order_id}"
            if order_id in done or currency not in rules.earn_per_unit:
                continue
            points = points_earned(Money(total, currency), rules)
            if points > 0:
                rows.append({"customer_id": customer_id, "kind": "earn", "points": points,
                             "order_id": order_id, "reference": reference, "currency": currency,
                             "amount": total, "actor": "system", "at": now})
        if not rows:
            return 0
        inserted = session.execute(_insert_ignoring_duplicates(session), rows).all()
        deltas: dict[int, int] = {}
        for customer_id, points in inserted:
            deltas[customer_id] = deltas.get(customer_id, 0) + points
        # Ordered by id so concurrent awards lock member rows in the same order (no deadlock).
        session.connection().execute(_ADD_POINTS, [{"cid": c, "delta": d} for c, d in sorted(deltas.items())])
        return sum(deltas.values())


def recompute_points(session: Session, rules: LoyaltyRules | None = None) -> dict[str, int]:
    """Award what is missing, then set every balance to the sum of its ledger (a repair tool)."""
    awarded = award_points(session, None, rules)
    with transaction(session):
        sums = dict(session.execute(
            select(PointsEntry.customer_id, func.sum(PointsEntry.points)).group_by(PointsEntry.customer_id)
        ).all())
        fixed = 0
        for customer_id, balance in session.execute(select(Customer.id, Customer.points)).all():
            truth = int(sums.get(customer_id) or 0)
            if truth != balance:
                session.execute(update(Customer).where(Customer.id == customer_id).values(points=truth))
                fixed += 1
    return {"awarded": awarded, "balances_corrected": fixed}


class RedeemIn(BaseModel):
    points: int | None = Field(None, gt=0, le=10**9, description="how many points to spend")
    amount: int | None = Field(
        None, gt=0, le=10**12,
        description="or: pay up to this much (minor units of the bill's currency) with points. As "
                    "many whole points as that takes, or all the member has; the answer's "
                    "discount says what they paid (a points tender at a till)")
    currency: CurrencyCode = Field(description="the currency of the bill")
    reference: str = Field(min_length=1, max_length=120,
                           description="the sale or order it pays towards; the same reference "
                                       "redeems once")
    member_qr: str | None = Field(
        None, max_length=300, description="the member QR the shopper shows: required from tills, "
        "kiosks and store staff (a member number alone spends nobody's points)")

    @model_validator(mode="after")
    def _one_of(self) -> RedeemIn:
        if (self.points is None) == (self.amount is None):
            raise ValueError("give either 'points' or 'amount'")
        return self


def _per_point(currency: str, rules: LoyaltyRules) -> Fraction:
    """Minor units of ``currency`` one point buys (8 fen, 1 euro cent, 100 kopecks)."""
    return Fraction(10 ** currency_exponent(currency)) / (Fraction(rules.rate(currency)) * rules.redeem_rate)


def points_for(amount: int, currency: str, rules: LoyaltyRules) -> int:
    """The fewest points worth the most they can be without passing ``amount``: a bill of
    ¥1.00 takes 12 points (¥0.96) when a point is worth 8 fen."""
    per_point = _per_point(currency, rules)
    most = math.floor(Fraction(amount) / per_point)
    value = math.floor(most * per_point)
    return math.ceil(Fraction(value) / per_point) if value > 0 else 0


def redeem_points(session: Session, number: str, data: RedeemIn, actor: str,
                  rules: LoyaltyRules | None = None) -> dict[str, Any]:
    """Take points off a member for a discount; returns the discount the order flow applies."""
    rules = rules or LoyaltyRules()
    if data.points is not None and points_value(data.points, data.currency, rules).amount <= 0:
        raise InvalidInput(f"{data.points} points are worth nothing in {data.currency}; redeem more")
    with transaction(session):
        customer = get_customer(session, number)
        done = session.execute(select(PointsEntry).where(
            PointsEntry.customer_id == customer.id, PointsEntry.kind == "redeem",
            PointsEntry.reference == data.reference)).scalar_one_or_none()
        if done is not None:
            same = (-done.points == data.points if data.points is not None
                    else done.amount <= (data.amount or 0))
            if not same or done.currency != data.currency:
                raise Conflict("this reference already redeemed a different amount; use a new reference")
            return _redeemed(customer, done, replayed=True)
        points = data.points
        if points is None:  # pay up to an amount: what it takes, or all the member holds
            points = points_for(min(data.amount or 0, points_value(customer.points, data.currency,
                                                                   rules).amount), data.currency, rules)
            if points <= 0:
                raise Conflict(f"the member's {customer.points} points are not enough to pay anything",
                               points=customer.points)
        value = points_value(points, data.currency, rules)
        # Conditional UPDATE: two tills redeeming at once can never take the balance below zero.
        taken = session.execute(
            update(Customer).where(Customer.id == customer.id, Customer.points >= points)
            .values(points=Customer.points - points)).rowcount
        if not taken:
            raise Conflict(f"the member has {customer.points} points, fewer than {points}",
                           points=customer.points)
        entry = PointsEntry(customer_id=customer.id, kind="redeem", points=-points,
                            reference=data.reference, currency=data.currency, amount=value.amount,
                            actor=actor, at=utcnow())
        session.add(entry)
        try:
            session.flush()
        except IntegrityError as exc:
            raise Conflict("this redemption is being recorded by another request; retry") from exc
        session.refresh(customer)
        return _redeemed(customer, entry, replayed=False)


def _redeemed(customer: Customer, entry: PointsEntry, replayed: bool) -> dict[str, Any]:
    return {"number": customer.number, "points": -entry.points, "reference": entry.reference,
            "discount": {"amount": entry.amount, "currency": entry.currency},
            "balance": customer.points, "replayed": replayed}


def give_back_unused_redemptions(session: Session, sales: list[tuple[int, str, set[str]]],
                                 actor: str) -> int:
    """Points redeemed for till sales that do not use them go back to their members.

    ``sales`` holds (member id, sale UUID, the redemption references its points tenders use)
    for sales just recorded. A redemption named after the sale (``sale:<uuid>:<n>``) that the
    sale does not use, and that was not given back already, paid nothing: the till did not hear
    the server's answer and the shopper paid otherwise. Inside the caller's transaction; the
    member rows are locked in id order first, so awarding points after this waits on nothing
    new. Returns the points given back.
    """
    if not sales:
        return 0
    members = sorted({member for member, _, _ in sales})
    found = session.execute(select(PointsEntry).where(
        PointsEntry.kind == "redeem", PointsEntry.customer_id.in_(members),
        or_(*[PointsEntry.reference.like(f"sale:{uuid}:%") for _, uuid, _ in sales]))).scalars().all()
    used = {ref for _, _, refs in sales for ref in refs}
    unused = [e for e in found if e.reference not in used]
    if not unused:
        return 0
    done = set(session.execute(select(PointsEntry.reference).where(
        PointsEntry.kind == "refund",
        PointsEntry.reference.in_([f"void:{e.reference}" for e in unused]))).scalars())
    unused = [e for e in unused if f"void:{e.reference}" not in done]
    if not unused:
        return 0
    session.execute(select(Customer.id).where(Customer.id.in_(members)).order_by(Customer.id)
                    .with_for_update())
    now = utcnow()
    for entry in unused:
        session.add(PointsEntry(customer_id=entry.customer_id, kind="refund", points=-entry.points,
                                reference=f"void:{entry.reference}", currency=entry.currency,
                                amount=entry.amount, actor=actor, at=now))
        session.execute(update(Customer).where(Customer.id == entry.customer_id)
                        .values(points=Customer.points - entry.points))
    session.flush()
    return sum(-e.points for e in unused)


class GiveBackIn(BaseModel):
    reference: str = Field(min_length=1, max_length=120,
                           description="the reference the points were redeemed under")


def give_back_points(session: Session, number: str, data: GiveBackIn, actor: str) -> dict[str, Any]:
    """Give back the points of a redemption that paid nothing after all (a till took its points
    tender back before completing the sale). Once: the same reference again changes nothing.
    Points that paid a recorded sale come back by returning the goods, not here."""
    with transaction(session):
        customer = get_customer(session, number)
        redeemed = session.execute(select(PointsEntry).where(
            PointsEntry.customer_id == customer.id, PointsEntry.kind == "redeem",
            PointsEntry.reference == data.reference)).scalar_one_or_none()
        if redeemed is None:
            raise NotFound(f"no redemption {data.reference} of member {number}")
        if session.execute(select(OrderTender.id).where(
                OrderTender.kind == "points", OrderTender.reference == data.reference)).first():
            raise Conflict("these points paid a recorded sale: return the goods to give them back")
        back = f"void:{data.reference}"
        done = session.execute(select(PointsEntry).where(
            PointsEntry.customer_id == customer.id, PointsEntry.kind == "refund",
            PointsEntry.reference == back)).scalar_one_or_none()
        if done is None:
            done = PointsEntry(customer_id=customer.id, kind="refund", points=-redeemed.points,
                               reference=back, currency=redeemed.currency, amount=redeemed.amount,
                               actor=actor, at=utcnow())
            session.add(done)
            try:
                session.flush()  # the unique reference: a concurrent give-back fails here, not twice
            except IntegrityError as exc:
                raise Conflict("these points are being given back by another request; retry") from exc
            session.execute(update(Customer).where(Customer.id == customer.id)
                            .values(points=Customer.points + done.points))
        session.refresh(customer)
        return {"number": customer.number, "points": done.points, "reference": data.reference,
                "balance": customer.points}


def points_statement(session: Session, number: str, limit: int = 50) -> dict[str, Any]:
    customer = get_customer(session, number)
    entries = session.execute(
        select(PointsEntry).where(PointsEntry.customer_id == customer.id)
        .order_by(PointsEntry.id.desc()).limit(limit)).scalars()
    return {"number": customer.number, "balance": customer.points, "entries": [
        {"kind": e.kind, "points": e.points, "reference": e.reference, "currency": e.currency,
         "amount": e.amount, "at": _iso(e.at)} for e in entries]}


# --------------------------------------------------------------------------------------------
# Purchase history


def purchase_history(session: Session, number: str, cursor: str | None, limit: int) -> dict[str, Any]:
    """The member's orders in every channel, newest first, with their lines (keyset pages)."""
    customer = get_customer(session, number)
    stmt = (select(Order.id, Order.number, Order.channel, Order.status, Location.code,
                   Order.currency, Order.total, Order.occurred_at)
            .join(Location, Location.id == Order.location_id)
            .where(Order.customer_id == customer.id, Order.status.in_(BOUGHT_STATUSES))
            .order_by(Order.occurred_at.desc(), Order.id.desc()).limit(limit + 1))
    after = decode_cursor(cursor, tuple[str, RowId])
    if after is not None:
        try:
            at, last_id = datetime.fromisoformat(after[0]), after[1]
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            raise InvalidInput("the cursor is not one this API gave out; start without it")
        stmt = stmt.where((Order.occurred_at < at) | ((Order.occurred_at == at) & (Order.id < last_id)))
    rows = session.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    lines: dict[int, list[dict[str, Any]]] = {r.id: [] for r in rows}
    if rows:
        for order_id, sku, quantity, net in session.execute(
                select(OrderLine.order_id, OrderLine.sku_code, OrderLine.quantity, OrderLine.net)
                .where(OrderLine.order_id.in_(list(lines))).order_by(OrderLine.order_id, OrderLine.line_no)):
            lines[order_id].append({"sku": sku, "quantity": quantity, "net": net})
    items = [{"number": r.number, "channel": r.channel, "status": r.status, "location": r.code,
              "currency": r.currency, "total": r.total, "occurred_at": r.occurred_at.isoformat(),
              "lines": lines[r.id]} for r in rows]
    last = rows[-1] if rows else None
    return {"items": items,
            "next_cursor": encode_cursor([last.occurred_at.isoformat(), last.id]) if more and last else None}
