"""Money as integer minor units with an ISO 4217 currency (docs/ARCHITECTURE.md, promise 5).

Nothing in Plaza handles money as a float. Amounts cross the wire as integer minor units
(``{"amount": 1250, "currency": "EUR"}``); decimal strings appear only where an outside
protocol demands them (Alipay's ``total_amount="12.50"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, is_currency


class MoneyError(ValueError):
    """An amount or currency that cannot be money."""


@lru_cache(maxsize=512)
def currency_exponent(currency: str) -> int:
    """Digits after the decimal point for ``currency`` (EUR 2, JPY 0, ...)."""
    if not isinstance(currency, str) or not is_currency(currency.upper()):
        raise MoneyError(f"{currency!r} is not an ISO 4217 currency code")
    return get_currency_precision(currency.upper())


@dataclass(frozen=True, slots=True, order=False)
class Money:
    amount: int  # minor units: cents, kopecks, fen
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise MoneyError(f"money amount must be integer minor units, got {self.amount!r}")
        currency_exponent(self.currency)
        if self.currency != self.currency.upper():
            object.__setattr__(self, "currency", self.currency.upper())

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str | Decimal, currency: str) -> Money:
        """Parse a decimal major-unit amount such as ``"12.50"`` exactly (no rounding)."""
        try:
            value = Decimal(str(text))
        except InvalidOperation as exc:
            raise MoneyError(f"{text!r} is not an amount") from exc
        exponent = currency_exponent(currency)
        minor = value.scaleb(exponent)
        if minor != minor.to_integral_value():
            raise MoneyError(f"{text} has more decimals than {currency} allows ({exponent})")
        return cls(int(minor), currency)

    @classmethod
    def from_decimal_string(cls, text: str, currency: str, *, max_digits: int = 15) -> Money:
        """The strict inverse of :meth:`to_decimal_string`, for amounts an outside protocol sends.

        Only plain digits with an optional point and at most the currency's decimals: ``"12.50"``,
        ``"12.5"``, ``"1250"`` (JPY). No sign, exponent, spaces, underscores, ``NaN`` or
        ``Infinity``, all of which :meth:`parse` (via ``Decimal``) would accept, and at most
        ``max_digits`` digits before the point, so a hostile value cannot become a huge integer.
        """
        exponent = currency_exponent(currency)
        if not isinstance(text, str):
            raise MoneyError(f"{text!r} is not a decimal string")
        whole, point, fraction = text.partition(".")
        if not (whole.isascii() and whole.isdigit() and 1 <= len(whole) <= max_digits) or (
                point and not (fraction.isascii() and fraction.isdigit())):
            raise MoneyError(f"{text!r} is not an amount like \"12.50\"")
        if len(fraction) > exponent:
            raise MoneyError(f"{text} has more decimals than {currency} allows ({exponent})")
        return cls(int(whole) * 10**exponent + int(fraction.ljust(exponent, "0") or 0), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise TypeError("multiply money by an integer; use .scaled() for fractions")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def scaled(self, factor: Decimal | int | str, rounding: str = ROUND_HALF_UP) -> Money:
        """``self × factor`` rounded to whole minor units (half up unless told otherwise)."""
        result = (Decimal(self.amount) * Decimal(str(factor))).quantize(
            Decimal(1), rounding=rounding
        )
        return Money(int(result), self.currency)

    def allocate(self, weights: list[int]) -> list[Money]:
        """Split into parts proportional to ``weights`` that add up exactly (largest remainder)."""
        total = sum(weights)
        if total <= 0 or any(w < 0 for w in weights):
            raise MoneyError("weights must be non-negative and not all zero")
        shares = [self.amount * w // total for w in weights]
        remainders = sorted(
            range(len(weights)), key=lambda i: (self.amount * weights[i]) % total, reverse=True
        )
        for i in remainders[: self.amount - sum(shares)]:
            shares[i] += 1
        return [Money(s, self.currency) for s in shares]

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-currency_exponent(self.currency))

    def to_decimal_string(self) -> str:
        """``"12.50"``: the major-unit string outside protocols expect."""
        exponent = currency_exponent(self.currency)
        quantum = Decimal(1).scaleb(-exponent)
        return str(self.decimal.quantize(quantum, rounding=ROUND_HALF_EVEN))

    def format(self, locale: str) -> str:
        """Localised display, e.g. ``12,50 €`` for es_ES or ``¥12.50`` for zh_CN."""
        return format_currency(self.decimal, self.currency, locale=locale)

    def as_dict(self) -> dict[str, int | str]:
        return {"amount": self.amount, "currency": self.currency}

    def __str__(self) -> str:
        return f"{self.to_decimal_string()} {self.currency}"
