"""Cash at the till: rounding a cash amount due to the coins in circulation, and the change.

Several countries withdrew their smallest coins, so a cash payment is rounded to the nearest
coin that exists while card and wallet payments are charged to the cent: Canada to 0.05 CAD,
Switzerland to 0.05 CHF, Sweden to a whole krona, and some euro countries (the Netherlands,
Belgium, Finland, Ireland, Italy, Slovakia) to 0.05 EUR. Rounding is to the nearest step,
half up; it applies to the cash part of a sale only.

Pure functions on integer minor units (docs/ARCHITECTURE.md, promise 5): the till and the server compute
the same change.
"""

from __future__ import annotations

from dataclasses import dataclass

from retail.money import Money, MoneyError

# Smallest cash step in minor units, by currency, where it is the same in every country.
_STEP_BY_CURRENCY: dict[str, int] = {
    "CAD": 5,  # the cent was withdrawn in 2013
    "CHF": 5,  # the smallest coin is 5 centimes
    "AUD": 5,
    "NZD": 10,
    "SEK": 100,  # öre coins are gone: whole kronor
    "NOK": 100,
    "DKK": 50,
    "CZK": 100,
    "HUF": 500,
}
# Euro countries that round cash to 0.05 EUR by law or by national practice.
_EURO_FIVE_CENT_COUNTRIES = frozenset({"NL", "BE", "FI", "IE", "IT", "SK"})


class CashError(ValueError):
    """The cash handed over does not cover what is due."""


def cash_rounding_step(currency: str, country: str | None = None) -> int:
    """The cash rounding step in minor units for ``currency`` (in ``country``); 1 means none."""
    currency = currency.upper()
    if currency == "EUR":
        return 5 if (country or "").upper() in _EURO_FIVE_CENT_COUNTRIES else 1
    return _STEP_BY_CURRENCY.get(currency, 1)


def round_cash(amount: int, step: int) -> int:
    """``amount`` rounded to the nearest multiple of ``step``, halves up (CAD 1.02 → 1.00,
    1.03 → 1.05, 1.07 → 1.05, 1.08 → 1.10)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise MoneyError(f"cash amounts are integer minor units, got {amount!r}")
    if step < 1:
        raise MoneyError(f"a rounding step is a positive number of minor units, got {step}")
    sign = -1 if amount < 0 else 1
    whole, rest = divmod(abs(amount), step)
    if rest * 2 >= step:
        whole += 1
    return sign * whole * step


@dataclass(frozen=True, slots=True)
class CashTender:
    """One cash payment: what it settles, what the shopper hands over and gets back."""

    due: Money  # the part of the sale paid in cash, to the cent
    rounded_due: Money  # what the shopper actually pays in cash
    tendered: Money
    change: Money

    @property
    def rounding(self) -> Money:
        """``rounded_due − due``: negative when the shopper pays less than the exact amount."""
        return self.rounded_due - self.due

    @property
    def taken(self) -> Money:
        """Cash that stays in the drawer."""
        return self.tendered - self.change


def take_cash(due: Money, tendered: Money, country: str | None = None) -> CashTender:
    """Settle ``due`` in cash: round it where cash rounding applies and compute the change.

    Raises :class:`CashError` when ``tendered`` is short of the rounded amount.
    """
    if tendered.currency != due.currency:
        raise MoneyError(f"cash in {tendered.currency} cannot pay {due.currency}")
    if due.amount <= 0:
        raise MoneyError(f"the cash amount due must be positive, got {due}")
    rounded = Money(round_cash(due.amount, cash_rounding_step(due.currency, country)), due.currency)
    if tendered < rounded:
        raise CashError(f"{tendered} does not cover {rounded}; ask for {rounded - tendered} more")
    return CashTender(due=due, rounded_due=rounded, tendered=tendered, change=tendered - rounded)
