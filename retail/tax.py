"""Sales tax and VAT by country: the rates and whether shelf prices include them.

Europe, Russia, China and Brazil show prices with VAT included, and the receipt states the
VAT contained; the US and Canada add tax at the till. Rates are per tax class of a SKU
(``standard``, ``reduced`` for food and other favoured goods, ``zero``).

Simplifications, written down so they are not mistaken for law: US sales tax and Canadian
GST/HST depend on state or province (we carry one representative rate per country: New York
City and Ontario); Brazil's ICMS varies by state and product (we use a flat 17%/7%). A store
that needs its exact rates passes its own ``TaxRegime``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class TaxRegime:
    country: str
    prices_include_tax: bool
    rates: dict[str, Decimal]  # tax class -> rate
    name: str = "VAT"

    def rate(self, tax_class: str) -> Decimal:
        try:
            return self.rates[tax_class]
        except KeyError as exc:
            raise KeyError(f"no {self.name} rate for tax class {tax_class!r} in {self.country}") from exc


def _regime(country: str, inclusive: bool, standard: str, reduced: str, name: str = "VAT") -> TaxRegime:
    return TaxRegime(country, inclusive, {"standard": Decimal(standard), "reduced": Decimal(reduced),
                                          "zero": Decimal(0)}, name)


REGIMES: dict[str, TaxRegime] = {
    "ES": _regime("ES", True, "0.21", "0.10", "IVA"),
    "DE": _regime("DE", True, "0.19", "0.07", "MwSt"),
    "FR": _regime("FR", True, "0.20", "0.055", "TVA"),
    "GB": _regime("GB", True, "0.20", "0"),  # most food is zero-rated
    "RU": _regime("RU", True, "0.20", "0.10", "НДС"),
    "CN": _regime("CN", True, "0.13", "0.09", "增值税"),
    "BR": _regime("BR", True, "0.17", "0.07", "ICMS"),
    "US": _regime("US", False, "0.08875", "0", "Sales tax"),  # NYC; groceries exempt
    "CA": _regime("CA", False, "0.13", "0", "HST"),  # Ontario; basic groceries zero-rated
}


def regime_for(country: str) -> TaxRegime:
    try:
        return REGIMES[country.upper()]
    except KeyError as exc:
        raise KeyError(f"no tax rules for country {country!r}; add a TaxRegime") from exc
