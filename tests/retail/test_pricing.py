"""Order pricing: VAT included or added, weighed lines, discounts, rounding to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retail.money import Money
from retail.pricing import DiscountInput, LineInput, PricingError, price_order
from retail.tax import regime_for


def eur(cents: int) -> Money:
    return Money(cents, "EUR")


def test_spanish_receipt_states_the_vat_contained_per_rate() -> None:
    order = price_order([
        LineInput("PHONE", 1, eur(29900)),
        LineInput("SALMON", 412, eur(2490), tax_class="reduced", sold_by="weight"),
    ], regime_for("ES"), "EUR")
    assert order.lines[1].gross == eur(1026)  # 24.90 €/kg × 0.412 kg = 10.2588 → 10.26
    assert order.total == eur(30926)
    assert [(t.rate, t.base.amount, t.tax.amount) for t in order.taxes] == [
        (Decimal("0.10"), 1026, 93), (Decimal("0.21"), 29900, 5189)]


def test_us_tax_is_added_at_the_till_and_groceries_are_exempt() -> None:
    usd = lambda c: Money(c, "USD")  # noqa: E731
    order = price_order([LineInput("EARBUDS", 2, usd(4999)),
                         LineInput("TEA", 1, usd(599), tax_class="reduced")],
                        regime_for("US"), "USD")
    assert order.subtotal == usd(10597)
    assert order.tax_total == usd(887)  # 99.98 × 8.875% = 8.873 → 8.87
    assert order.total == usd(11484)


def test_an_order_discount_is_spread_over_the_lines_and_adds_up() -> None:
    order = price_order([LineInput("A", 1, eur(1000)), LineInput("B", 1, eur(2000), "reduced")],
                        regime_for("ES"), "EUR",
                        [DiscountInput(eur(1000), "opening week 30%")])
    assert [line.discount.amount for line in order.lines] == [333, 667]
    assert order.total == eur(2000) and order.discount_total == eur(1000)


def test_discounts_cannot_exceed_what_they_discount() -> None:
    with pytest.raises(PricingError):
        price_order([LineInput("A", 1, eur(100))], regime_for("ES"), "EUR",
                    [DiscountInput(eur(101), "too much", line=0)])
    with pytest.raises(PricingError):
        price_order([LineInput("A", 0, eur(100))], regime_for("ES"), "EUR")
    with pytest.raises(PricingError):
        price_order([LineInput("A", 1, Money(100, "CNY"))], regime_for("ES"), "EUR")


@given(st.lists(st.tuples(st.integers(1, 5000), st.integers(0, 500_000),
                          st.sampled_from(["standard", "reduced", "zero"]),
                          st.sampled_from(["unit", "weight"])), min_size=1, max_size=12),
       st.sampled_from(["ES", "CN", "RU", "US", "CA", "GB", "BR", "DE", "FR"]),
       st.integers(0, 100))
def test_totals_always_add_up_to_the_cent(lines: list, country: str, percent_off: int) -> None:
    inputs = [LineInput(f"S{i}", q, eur(p), tc, sb) for i, (q, p, tc, sb) in enumerate(lines)]
    plain = price_order(inputs, regime_for(country), "EUR")
    off = plain.subtotal.scaled(Decimal(percent_off) / 100)
    order = price_order(inputs, regime_for(country), "EUR", [DiscountInput(off, "promo")])
    assert sum(line.net.amount for line in order.lines) == order.subtotal.amount - off.amount
    assert order.discount_total == off
    extra = 0 if order.prices_include_tax else order.tax_total.amount
    assert order.total.amount == order.subtotal.amount - off.amount + extra
    assert all(t.tax.amount >= 0 for t in order.taxes)


def test_a_line_discounted_past_its_amount_is_refused_even_with_a_basket_discount_after_it() -> None:
    # A till (or anyone) sending this must get a clear refusal, not a crash in the spreading.
    lines = [LineInput("A", 1, Money(100, "EUR")), LineInput("B", 4, Money(200, "EUR"))]
    with pytest.raises(PricingError, match="discounts exceed the line"):
        price_order(lines, regime_for("ES"), "EUR", [DiscountInput(Money(200, "EUR"), "too much", 0),
                                                     DiscountInput(Money(100, "EUR"), "basket", None)])
