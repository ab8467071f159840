"""Promotion rules as plain data: what the back office writes, the server stores and the tills sync.

A ``Rule`` is the part every promotion shares (id, names, window, scopes, stacking, coupon gate,
minimum spend) plus one *offer* saying what the shopper gets. ``Rule.to_dict`` gives the JSON
shape carried by the API and the changes feed (flat: the offer's fields sit next to the common
ones under its ``kind``); ``Rule.from_dict`` reads it back and refuses anything it does not
understand, so a typo in the back office is an error rather than a silent no-op.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Literal

from retail.money import Money, MoneyError

CHANNELS = ("pos", "kiosk", "online")
STACKING = ("exclusive", "combinable")
TARGET_KINDS = ("order", "category", "brand", "skus")
GIVEAWAY_PERIODS = ("campaign", "store", "day")


class PromotionError(ValueError):
    """A rule, basket or context the engine cannot work with (the message says what to fix)."""


# --- what an offer applies to ---------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The lines an offer looks at: the whole order, category prefixes, brands, or SKUs.

    Category matching is a plain prefix (``electronics`` covers ``electronics/cables``), the same
    rule the catalogue's category filter uses, so what a manager sees listed is what is discounted.
    Brands compare case-insensitively; SKUs exactly.
    """

    kind: Literal["order", "category", "brand", "skus"] = "order"
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in TARGET_KINDS:
            raise PromotionError(f"target kind must be one of {', '.join(TARGET_KINDS)}, not {self.kind!r}")
        object.__setattr__(self, "values", tuple(self.values))
        if self.kind == "order" and self.values:
            raise PromotionError("an order target takes no values")
        if self.kind != "order" and not all(isinstance(v, str) and v for v in self.values):
            raise PromotionError(f"a {self.kind} target needs at least one non-empty value")
        if self.kind != "order" and not self.values:
            raise PromotionError(f"a {self.kind} target needs at least one value")

    @property
    def is_order(self) -> bool:
        return self.kind == "order"

    def matches(self, sku: str, category: str, brand: str) -> bool:
        if self.kind == "order":
            return True
        if self.kind == "category":
            return any(category.startswith(prefix) for prefix in self.values)
        if self.kind == "brand":
            folded = brand.casefold()
            return any(folded == value.casefold() for value in self.values)
        return sku in self.values

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "order":
            return {"kind": "order"}
        return {"kind": self.kind, "values": list(self.values)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Target:
        _only(data, {"kind", "values"}, "target")
        return cls(data.get("kind", "order"), tuple(data.get("values", ())))


ORDER = Target()


# --- offers: what the shopper gets ----------------------------------------------------------


@dataclass(frozen=True)
class PercentOff:
    """``percent`` off every targeted line (the whole order by default), rounded per line."""

    kind: ClassVar[str] = "percent_off"
    percent: Decimal
    target: Target = ORDER

    def __post_init__(self) -> None:
        _check_percent(self.percent)


@dataclass(frozen=True)
class AmountOff:
    """A fixed amount off: once on the order or the targeted lines, or per targeted piece."""

    kind: ClassVar[str] = "amount_off"
    amount: Money
    target: Target = ORDER
    per_item: bool = False  # "1 € off each": pieces only, weighed lines are left out

    def __post_init__(self) -> None:
        if self.amount.amount <= 0:
            raise PromotionError("an amount off must be positive")
        if self.per_item and self.target.is_order:
            raise PromotionError("an amount off per item needs a category, brand or SKU target")


@dataclass(frozen=True)
class MultiBuy:
    """Buy ``buy``, pay for ``pay`` ("3 for 2"): the cheapest targeted pieces are the free ones."""

    kind: ClassVar[str] = "multi_buy"
    buy: int
    pay: int
    target: Target = ORDER

    def __post_init__(self) -> None:
        if not (isinstance(self.buy, int) and isinstance(self.pay, int) and self.buy > self.pay >= 1):
            raise PromotionError(f"a multi-buy needs buy > pay >= 1, got {self.buy} for {self.pay}")


@dataclass(frozen=True)
class NthItemOff:
    """Every ``nth`` targeted piece at ``percent`` off ("second at half price": nth 2, 50%)."""

    kind: ClassVar[str] = "nth_item_off"
    nth: int
    percent: Decimal
    target: Target = ORDER

    def __post_init__(self) -> None:
        if not isinstance(self.nth, int) or self.nth < 2:
            raise PromotionError("the discounted item must be the 2nd or later")
        _check_percent(self.percent)


@dataclass(frozen=True)
class Bundle:
    """These SKUs together (repeat a SKU to need several) for ``price``, as often as they occur."""

    kind: ClassVar[str] = "bundle"
    skus: tuple[str, ...]
    price: Money

    def __post_init__(self) -> None:
        object.__setattr__(self, "skus", tuple(self.skus))
        if len(self.skus) < 2 or not all(isinstance(s, str) and s for s in self.skus):
            raise PromotionError("a bundle needs at least two items")
        if self.price.amount < 0:
            raise PromotionError("a bundle price cannot be negative")


@dataclass(frozen=True)
class MemberPrice:
    """For members only: targeted lines at a fixed ``price`` (per piece, or per kg) or ``percent`` off."""

    kind: ClassVar[str] = "member_price"
    target: Target
    price: Money | None = None
    percent: Decimal | None = None

    def __post_init__(self) -> None:
        if (self.price is None) == (self.percent is None):
            raise PromotionError("a member price is either a fixed price or a percent off, not both")
        if self.price is not None and self.price.amount < 0:
            raise PromotionError("a member price cannot be negative")
        if self.percent is not None:
            _check_percent(self.percent)
        if self.price is not None and self.target.is_order:
            raise PromotionError("a fixed member price needs a category, brand or SKU target")


@dataclass(frozen=True)
class Giveaway:
    """A gift SKU for each of the first ``limit`` qualifying customers (per campaign, store or day).

    The engine only says whether a basket qualifies; the server counts and grants (docs/ARCHITECTURE.md,
    promise 7), so an offline till can promise nothing.
    """

    kind: ClassVar[str] = "giveaway"
    gift_sku: str
    limit: int
    limit_per: Literal["campaign", "store", "day"] = "campaign"
    target: Target = ORDER  # the lines whose spend counts towards the rule's minimum spend

    def __post_init__(self) -> None:
        if not self.gift_sku:
            raise PromotionError("a giveaway needs the gift's SKU")
        if not isinstance(self.limit, int) or self.limit < 1:
            raise PromotionError("a giveaway's limit must be a positive number of gifts")
        if self.limit_per not in GIVEAWAY_PERIODS:
            raise PromotionError(f"limit_per must be one of {', '.join(GIVEAWAY_PERIODS)}")


Offer = PercentOff | AmountOff | MultiBuy | NthItemOff | Bundle | MemberPrice | Giveaway
OFFERS: dict[str, type[Any]] = {o.kind: o for o in (PercentOff, AmountOff, MultiBuy, NthItemOff, Bundle,
                                                     MemberPrice, Giveaway)}
QUANTITY_DEALS = (MultiBuy, NthItemOff, Bundle)  # count pieces; a piece serves one such deal only


# --- the rule ---------------------------------------------------------------------------------

Moment = datetime | date  # naive, in the store's local time


@dataclass(frozen=True)
class Rule:
    """A promotion. Windows are in the store's local time; empty scopes mean everywhere.

    ``valid_from`` / ``valid_to`` are naive local datetimes or dates: a date as the end includes
    that whole day, a datetime end is exclusive. ``daily_from`` / ``daily_to`` restrict it to hours
    of each day (``22:00``–``02:00`` crosses midnight), ``weekdays`` to ISO days (1 = Monday).
    A higher ``priority`` is applied first and wins ties.
    """

    id: str
    offer: Offer
    name: Mapping[str, str] = field(default_factory=dict, hash=False)  # locale or language -> text
    priority: int = 0
    stacking: Literal["exclusive", "combinable"] = "exclusive"  # safer default: no surprise stacking
    coupon_codes: tuple[str, ...] = ()  # any one of these unlocks it; empty = no coupon needed
    min_spend: Money | None = None  # on the targeted lines, after discounts applied before it
    members_only: bool = False
    valid_from: Moment | None = None
    valid_to: Moment | None = None
    daily_from: time | None = None
    daily_to: time | None = None
    weekdays: tuple[int, ...] = ()
    locations: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    enabled: bool = True  # the back office pauses a rule without deleting it

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise PromotionError("a promotion needs an id")
        if not isinstance(self.offer, tuple(OFFERS.values())):
            raise PromotionError(f"{self.id}: unknown offer {self.offer!r}")
        for name in ("coupon_codes", "weekdays", "locations", "channels"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "name", dict(self.name))
        if self.stacking not in STACKING:
            raise PromotionError(f"{self.id}: stacking must be 'exclusive' or 'combinable'")
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise PromotionError(f"{self.id}: priority must be an integer")
        if any(c not in CHANNELS for c in self.channels):
            raise PromotionError(f"{self.id}: channels must be among {', '.join(CHANNELS)}")
        if any(not isinstance(d, int) or not 1 <= d <= 7 for d in self.weekdays):
            raise PromotionError(f"{self.id}: weekdays are ISO numbers 1 (Monday) to 7 (Sunday)")
        if any(not code.strip() for code in self.coupon_codes):
            raise PromotionError(f"{self.id}: empty coupon code")
        self._check_window()
        currencies = {m.currency for m in self.amounts}
        if len(currencies) > 1:
            raise PromotionError(f"{self.id}: amounts in several currencies {sorted(currencies)}")

    def _check_window(self) -> None:
        for moment in (self.valid_from, self.valid_to):
            if isinstance(moment, datetime) and moment.tzinfo is not None:
                raise PromotionError(f"{self.id}: windows are local wall times; drop the UTC offset")
            if moment is not None and not isinstance(moment, date):
                raise PromotionError(f"{self.id}: a window bound is a date or a datetime")
        if self.valid_from is not None and self.valid_to is not None:
            start, end = _as_start(self.valid_from), _as_end(self.valid_to)
            if start >= end:
                raise PromotionError(f"{self.id}: the window ends before it starts")
        if (self.daily_from is None) != (self.daily_to is None):
            raise PromotionError(f"{self.id}: daily hours need both a start and an end")
        if self.daily_from is not None and self.daily_from == self.daily_to:
            raise PromotionError(f"{self.id}: daily hours start and end at the same time")

    @property
    def kind(self) -> str:
        return self.offer.kind

    @property
    def is_giveaway(self) -> bool:
        return isinstance(self.offer, Giveaway)

    @property
    def needs_membership(self) -> bool:
        return self.members_only or isinstance(self.offer, MemberPrice)

    @property
    def target(self) -> Target:
        return getattr(self.offer, "target", ORDER)

    @property
    def amounts(self) -> list[Money]:
        """Every fixed amount in the rule: they must be in the basket's currency for it to apply."""
        found = [self.min_spend] if self.min_spend is not None else []
        for f in dataclasses.fields(self.offer):
            value = getattr(self.offer, f.name)
            if isinstance(value, Money):
                found.append(value)
        return found

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "kind": self.kind, "name": dict(self.name)}
        for f in dataclasses.fields(self.offer):
            data[f.name] = _dump(getattr(self.offer, f.name))
        for f in dataclasses.fields(self):
            if f.name not in ("id", "offer", "name"):
                data[f.name] = _dump(getattr(self, f.name))
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        try:
            return cls._from_dict(data)
        except PromotionError:
            raise
        except (KeyError, TypeError, ValueError, InvalidOperation, MoneyError) as exc:
            raise PromotionError(f"promotion {data.get('id', '?')!r} is malformed: {exc}") from exc

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> Rule:
        kind = data.get("kind")
        if kind not in OFFERS:
            raise PromotionError(f"promotion {data.get('id', '?')!r}: unknown kind {kind!r}; "
                                 f"use one of {', '.join(OFFERS)}")
        offer_type = OFFERS[kind]
        offer_fields = {f.name: f for f in dataclasses.fields(offer_type)}
        rule_fields = {f.name for f in dataclasses.fields(cls)} - {"offer"}
        _only(data, {"kind"} | set(offer_fields) | rule_fields, f"promotion {data.get('id', '?')!r}")
        offer = offer_type(**{name: _load(name, data[name]) for name in offer_fields if name in data})
        common = {name: _load(name, data[name]) for name in rule_fields if name in data}
        return cls(offer=offer, **common)

    def reason(self, locale: str) -> str:
        """The text a shopper reads for this rule's discounts, in ``locale``."""
        # Imported here: the wording module needs the rule classes, not the other way round.
        from retail.promotions.reasons import reason_for

        return reason_for(self, locale)


# --- (de)serialisation helpers ----------------------------------------------------------------

_MONEY_FIELDS = {"amount", "price", "min_spend"}
_DECIMAL_FIELDS = {"percent"}
_MOMENT_FIELDS = {"valid_from", "valid_to"}
_TIME_FIELDS = {"daily_from", "daily_to"}
_TUPLE_FIELDS = {"skus", "coupon_codes", "weekdays", "locations", "channels"}
_BOOL_FIELDS = {"per_item", "members_only", "enabled"}


def _only(data: Mapping[str, Any], allowed: set[str], what: str) -> None:
    if not isinstance(data, Mapping):
        raise PromotionError(f"{what} must be an object")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise PromotionError(f"{what}: unknown field(s) {', '.join(unknown)}")


def _dump(value: Any) -> Any:
    if isinstance(value, Money):
        return value.as_dict()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Target):
        return value.to_dict()
    if isinstance(value, tuple):
        return list(value)
    return value


def _load(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _MONEY_FIELDS:
        _only(value, {"amount", "currency"}, name)
        return Money(value["amount"], value["currency"])
    if name in _DECIMAL_FIELDS:
        if isinstance(value, float):
            raise PromotionError(f"{name} must be a string or an integer (floats lose digits)")
        return Decimal(str(value))
    if name in _MOMENT_FIELDS:
        text = str(value)
        return datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)
    if name in _TIME_FIELDS:
        return time.fromisoformat(str(value))
    if name == "target":
        return Target.from_dict(value)
    if name in _BOOL_FIELDS and not isinstance(value, bool):
        raise PromotionError(f"{name} must be true or false")
    if name == "name":
        if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
            raise PromotionError("name must map locales to text")
        return dict(value)
    if name in _TUPLE_FIELDS:
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            raise PromotionError(f"{name} must be a list")
        return tuple(value)
    return value


def _check_percent(percent: Decimal) -> None:
    if not isinstance(percent, Decimal) or not percent.is_finite() or not 0 < percent <= 100:
        raise PromotionError(f"a percentage must be a Decimal above 0 and at most 100, got {percent!r}")


def _as_start(moment: Moment) -> datetime:
    return moment if isinstance(moment, datetime) else datetime.combine(moment, time())


def _as_end(moment: Moment) -> datetime:
    # A date as the end means "until the end of that day" (what a manager means by "to 14 May").
    if isinstance(moment, datetime):
        return moment
    return datetime.combine(date.fromordinal(moment.toordinal() + 1), time())
