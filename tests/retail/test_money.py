"""Reading amounts an outside protocol sends: only the documented decimal form, exactly."""

from __future__ import annotations

import pytest

from retail.money import Money, MoneyError


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("12.50", "CNY", 1250), ("12.5", "EUR", 1250), ("0.01", "CNY", 1), ("100000000", "CNY", 10**10),
    ("1250", "JPY", 1250), ("0", "CNY", 0),
])
def test_the_documented_form_reads_exactly(text: str, currency: str, minor: int) -> None:
    money = Money.from_decimal_string(text, currency)
    assert money == Money(minor, currency)
    assert Money.from_decimal_string(money.to_decimal_string(), currency) == money


@pytest.mark.parametrize(("text", "currency"), [
    ("1e2", "CNY"), ("+1.00", "CNY"), ("-1.00", "CNY"), (" 1.00", "CNY"), ("1.00 ", "CNY"),
    ("1_000", "CNY"), ("NaN", "CNY"), ("Infinity", "CNY"), ("1.001", "CNY"), ("12.5", "JPY"),
    ("", "CNY"), (".5", "CNY"), ("12.", "CNY"), ("１２", "CNY"), ("9" * 16, "CNY"), ("1,00", "EUR"),
])
def test_anything_else_is_refused(text: str, currency: str) -> None:
    # Money.parse (Decimal underneath) would take several of these: "1e2", "1_000", "+1.00".
    with pytest.raises(MoneyError):
        Money.from_decimal_string(text, currency)
