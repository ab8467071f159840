"""Cash rounding and change: integer minor units, the coins each country still uses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retail.cash import CashError, cash_rounding_step, round_cash, take_cash
from retail.money import Money, MoneyError


def cad(cents: int) -> Money:
    return Money(cents, "CAD")


@pytest.mark.parametrize(("exact", "rounded"), [
    (1000, 1000), (1001, 1000), (1002, 1000), (1003, 1005), (1004, 1005),
    (1006, 1005), (1007, 1005), (1008, 1010), (1009, 1010),
])
def test_canadian_cash_rounds_to_the_nearest_nickel(exact: int, rounded: int) -> None:
    assert round_cash(exact, cash_rounding_step("CAD")) == rounded


def test_rounding_steps_follow_the_coins_in_circulation() -> None:
    assert cash_rounding_step("CAD") == 5
    assert cash_rounding_step("CHF", "CH") == 5
    assert cash_rounding_step("SEK") == 100
    assert cash_rounding_step("EUR", "NL") == 5
    assert cash_rounding_step("EUR", "ES") == 1  # Spain still uses 1 and 2 cent coins
    assert cash_rounding_step("EUR") == 1
    assert cash_rounding_step("CNY", "CN") == 1
    assert cash_rounding_step("usd") == 1


def test_change_is_computed_from_the_rounded_amount_in_canada() -> None:
    tender = take_cash(cad(1002), cad(2000), "CA")
    assert tender.rounded_due == cad(1000)
    assert tender.rounding == cad(-2)
    assert tender.change == cad(1000)
    assert tender.taken == cad(1000)


def test_exact_currencies_give_change_to_the_cent() -> None:
    tender = take_cash(Money(1234, "EUR"), Money(2000, "EUR"), "ES")
    assert (tender.rounded_due, tender.change) == (Money(1234, "EUR"), Money(766, "EUR"))


def test_short_cash_is_refused_with_what_is_missing() -> None:
    with pytest.raises(CashError, match="0.05 CAD more"):
        take_cash(cad(1003), cad(1000), "CA")  # due rounds up to 10.05
    with pytest.raises(MoneyError):
        take_cash(cad(100), Money(100, "EUR"))
    with pytest.raises(MoneyError):
        round_cash(10.5, 5)  # type: ignore[arg-type]


@given(st.integers(min_value=1, max_value=10**9), st.sampled_from([1, 5, 10, 50, 100, 500]))
def test_rounding_lands_on_a_step_within_half_a_step(amount: int, step: int) -> None:
    rounded = round_cash(amount, step)
    assert rounded % step == 0
    assert abs(rounded - amount) * 2 <= step
