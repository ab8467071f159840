"""Pricing an order or a till sale: line amounts, discounts, tax per rate, totals.

One function, ``price_order``, used by the server for online orders and to check the totals
a till sends, and by the tills offline, so that till, server and receipt agree to the cent
(docs/ARCHITECTURE.md, promise 5). Everything is integer minor units.

Rounding: a weighed line is ``price per kg × grams / 1000`` rounded half up to the minor
unit. Tax is computed per rate over the sum of the lines at that rate (as a European receipt
states it), not per line, so splitting a basket never changes its tax. VAT contained in an
inclusive price is ``gross × rate / (1 + rate)``; tax added on top is ``net × rate``; both
rounded half up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from retail.money import Money
from retail.tax import TaxRegime


class PricingError(ValueError):
    """A line or discount that cannot be priced."""


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: int  # pieces, or grams when sold by weight
    unit_price: Money  # per piece, or per kilogram when sold by weight
    tax_class: str = "standard"
    sold_by: str = "unit"


@dataclass(frozen=True)
class DiscountInput:
    """A discount on one line (``line`` index) or, with ``line=None``, on the whole order."""

    amount: Money
    reason: str
    line: int | None = None
    code: str = ""  # the promotion or coupon it came from


@dataclass(frozen=True)
class PricedLine:
    sku: str
    quantity: int
    unit_price: Money
    tax_class: str
    sold_by: str
    gross: Money  # before discounts
    discount: Money
    net: Money  # gross - discount, what the line costs
    tax_rate: Decimal


@dataclass(frozen=True)
class TaxLine:
    rate: Decimal
    base: Money  # the amounts at this rate (incl. tax when prices include it)
    tax: Money


@dataclass(frozen=True)
class PricedOrder:
    currency: str
    prices_include_tax: bool
    lines: list[PricedLine]
    discounts: list[DiscountInput]
    subtotal: Money  # sum of gross line amounts
    discount_total: Money
    taxes: list[TaxLine]
    tax_total: Money
    total: Money  # what the shopper pays
    extra: dict[str, str] = field(default_factory=dict)


def line_amount(line: LineInput) -> Money:
    if line.quantity <= 0:
        raise PricingError(f"{line.sku}: quantity must be positive")
    if line.unit_price.amount < 0:
        raise PricingError(f"{line.sku}: price cannot be negative")
    if line.sold_by == "weight":
        return line.unit_price.scaled(Decimal(line.quantity) / 1000)
    return line.unit_price * line.quantity


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def price_order(lines: list[LineInput], regime: TaxRegime, currency: str,
                discounts: list[DiscountInput] | None = None) -> PricedOrder:
    """Price ``lines`` with ``discounts`` under ``regime``; raises PricingError on bad input."""
    if not lines:
        raise PricingError("an order needs at least one line")
    discounts = list(discounts or [])
    zero = Money.zero(currency)
    gross = [line_amount(line) for line in lines]
    for line, amount in zip(lines, gross, strict=True):
        if amount.currency != currency:
            raise PricingError(f"{line.sku} is priced in {amount.currency}, the order in {currency}")
    per_line = [zero] * len(lines)
    for discount in discounts:
        if discount.amount.currency != currency or discount.amount.amount < 0:
            raise PricingError(f"discount {discount.reason!r} must be a non-negative {currency} amount")
        if discount.line is None:
            # Spread an order discount over the lines in proportion to what is left of each,
            # so tax per rate stays right and the shares add up exactly.
            # (A line already discounted past its amount counts as nothing left; the check
            # below refuses it as a PricingError.)
            remaining = [max(0, g.amount - d.amount) for g, d in zip(gross, per_line, strict=True)]
            if discount.amount.amount > sum(remaining):
                raise PricingError(f"discount {discount.reason!r} is more than the order")
            if discount.amount.amount:
                shares = discount.amount.allocate(remaining)
                per_line = [d + s for d, s in zip(per_line, shares, strict=True)]
        else:
            if not 0 <= discount.line < len(lines):
                raise PricingError(f"discount {discount.reason!r} names line {discount.line}")
            per_line[discount.line] = per_line[discount.line] + discount.amount
    priced = []
    for line, amount, discount in zip(lines, gross, per_line, strict=True):
        if discount > amount:
            raise PricingError(f"{line.sku}: discounts exceed the line")
        priced.append(PricedLine(line.sku, line.quantity, line.unit_price, line.tax_class,
                                 line.sold_by, amount, discount, amount - discount,
                                 regime.rate(line.tax_class)))
    by_rate: dict[Decimal, int] = defaultdict(int)
    for p in priced:
        by_rate[p.tax_rate] += p.net.amount
    taxes = []
    for rate in sorted(by_rate):
        base = by_rate[rate]
        if regime.prices_include_tax:
            tax = _round(Decimal(base) * rate / (1 + rate))
        else:
            tax = _round(Decimal(base) * rate)
        taxes.append(TaxLine(rate, Money(base, currency), Money(tax, currency)))
    subtotal = Money(sum(g.amount for g in gross), currency)
    discount_total = Money(sum(d.amount for d in per_line), currency)
    tax_total = Money(sum(t.tax.amount for t in taxes), currency)
    net_total = subtotal - discount_total
    total = net_total if regime.prices_include_tax else net_total + tax_total
    return PricedOrder(currency, regime.prices_include_tax, priced, discounts, subtotal,
                       discount_total, taxes, tax_total, total)
