"""Field types shared by the API schemas: codes, countries, currencies, locales, time zones."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from retail.gs1 import InvalidGTIN, validate_gtin
from retail.money import MoneyError, currency_exponent


def _currency(value: str) -> str:
    try:
        currency_exponent(value)
    except MoneyError as exc:
        raise ValueError(str(exc)) from exc
    return value


def _locale(value: str) -> str:
    try:
        Locale.parse(value.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"{value!r} is not a known locale (try es_ES, zh_CN, ru_RU)") from exc
    return value.replace("-", "_")


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA time zone (try Europe/Madrid)") from exc
    return value


def _gtin(value: str) -> str:
    try:
        return validate_gtin(value)
    except InvalidGTIN as exc:
        raise ValueError(str(exc)) from exc


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value[:80]!r} is not an http(s) URL")
    return value


Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
# A page or image address we show or link to: http(s) only, so no javascript: or data: URL
# ever reaches a page, a printer or a till.
HttpUrl = Annotated[str, StringConstraints(max_length=1000), AfterValidator(_http_url)]
# The language of a translation: "es", "zh", "pt_BR", "zh-Hans".
LanguageKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8}){0,2}$")]
Description = Annotated[str, StringConstraints(max_length=5000)]
# Origin and traceability facts, variant axes: short names, short values.
FactKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$")]
FactValue = (Annotated[str, StringConstraints(max_length=500)] | Annotated[int, Field(ge=-2**53, le=2**53)]
             | Annotated[float, Field(allow_inf_nan=False)] | bool)
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
CurrencyCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_currency)
]
LocaleCode = Annotated[str, StringConstraints(min_length=2, max_length=10), AfterValidator(_locale)]
TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64),
                         AfterValidator(_timezone)]
GTIN = Annotated[str, AfterValidator(_gtin)]
Quantity = Annotated[int, Field(gt=0, le=10_000_000, description="pieces, or grams for weighed SKUs")]
# Money in a request: a JSON integer of minor units, never a string or a float. Lax parsing would
# turn "1.00" into 1 (one fen where a yuan was meant); the ceiling keeps amounts far inside a
# 64-bit column (2^63 would otherwise fail in the database, as a 500) and covers Alipay's
# 100,000,000.00 limit in any currency.
MAX_MINOR_UNITS = 10**12
MinorUnits = Annotated[int, Field(strict=True, gt=0, le=MAX_MINOR_UNITS,
                                  description="integer minor units (cents, fen), e.g. 1250 for 12.50")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


# The years a time sent to us may fall in: wider than any clock a till may have, narrow enough
# that moving it by a time zone offset or a day stays on the calendar (year 1 at +05:00 is not a
# UTC time Python can hold: it was a 500 where we store or compare it).
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _in_our_years(value: Any) -> Any:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"a date between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


Moment = Annotated[datetime, AfterValidator(_in_our_years)]  # naive ones: the service says why not
AwareMoment = Annotated[AwareDatetime, AfterValidator(_in_our_years)]
Day = Annotated[date, AfterValidator(_in_our_years)]


def canonical_uuid(value: Any) -> str | None:
    """A UUID as we store it (lower case, hyphenated), so "ABC…" and "abc…" name one sale; None
    when ``value`` is not a UUID at all."""
    try:
        return str(UUID(str(value)))
    except ValueError:
        return None
