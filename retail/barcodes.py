"""What a scanned string means: the one place a till or kiosk turns a scan into a thing.

``classify(scanned)`` answers with a typed result (a product GTIN, a weighed item from an
in-store label, GS1 element strings, a GS1 Digital Link, a coupon, our member/receipt/order QR,
a wallet payment code) or raises ``ScanError`` with a reason a cashier can act on; nothing else
escapes it. GS1 parsing is biip's; in-store variable-measure layouts differ per country and biip
knows only the Nordic, Baltic, German and UK ones, so the others are configurable rules here.

How digits are read (docs/HARDWARE.md has the table): the scanner's AIM symbology identifier
decides when it sends one (``]E0`` EAN-13/UPC-A/UPC-E, ``]E4`` EAN-8, ``]E3`` with an add-on,
``]E1``/``]E2`` an add-on alone, ``]I1`` ITF-14, ``]C1``/``]e0``/``]d2``/``]Q3``/``]J1`` GS1
data). Without one, the length and the check digits decide, in a fixed order; where two readings
both pass their check (an 8-digit UPC-E that is also a valid EAN-8), the first is the result's
``gtin`` and the other is kept in ``alternatives`` for the catalogue lookup to try next.

Payload formats of our own codes (docs/ARCHITECTURE.md):

- e-receipt QR: ``https://<public host>/r/<sale uuid>``
- order QR (pickup): ``https://<public host>/o/<order number>``
- member QR: ``PLAZA-M1:<opaque signed token>`` (the server signs and verifies the token;
  here we only recognise its shape)
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal
from urllib.parse import unquote, urlsplit

from babel.numbers import get_territory_currencies
from biip import ParseConfig, parse
from biip.gs1_element_strings import GS1ElementString as BiipElementString
from biip.gs1_messages import GS1Message
from biip.upc import Upc

from retail.gs1 import gs1_check_digit, is_valid_gtin
from retail.money import Money, MoneyError

RECEIPT_QR_PATH = "/r/"
ORDER_QR_PATH = "/o/"
MEMBER_QR_PREFIX = "PLAZA-M1:"
MEMBER_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]+){0,3}")
ORDER_NUMBER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,39}")
# Alipay payment codes: 16-24 digits starting 25-30 (docs/HARDWARE.md); checked before GS1
# parsing, since such digits would otherwise be read as element strings, but after the one GS1
# key that looks alike: a Global Coupon Number sent as AI 255 starts "255" too.
WALLET_CODE_PATTERN = re.compile(r"(2[5-9]|30)\d{14,22}")
MAX_SCAN_LENGTH = 4096
AIM_PREFIX = re.compile(r"\][A-Za-z][0-9A-Za-z]")
GROUP_SEPARATOR = "\x1d"

# AIM symbology identifiers (ISO/IEC 15424) that settle what the digits are.
EAN_UPC = "]E0"  # EAN-13, UPC-A or UPC-E (never EAN-8)
EAN_TWO_DIGIT_ADD_ON, EAN_FIVE_DIGIT_ADD_ON = "]E1", "]E2"  # an add-on sent on its own
EAN_WITH_ADD_ON = "]E3"  # EAN-13, UPC-A or UPC-E followed by its 2- or 5-digit add-on
EAN_8 = "]E4"
ITF_14 = "]I1"
GTIN_SYMBOLOGIES = (EAN_UPC, EAN_WITH_ADD_ON, EAN_8, ITF_14)
# Symbologies whose data are GS1 element strings (FNC1 in first position): GS1-128, DataBar
# (Expanded), composite, GS1 DataMatrix, GS1 QR, GS1 DotCode. Never a wallet code.
GS1_SYMBOLOGIES = ("]C1", "]e0", "]e1", "]e2", "]d2", "]Q3", "]J1")

# Coupons (GS1 General Specifications, GS1 prefixes): EAN-13 prefix 99 (national coupons)
# and 981-984 (coupons in common currency areas); the U.P.C. number system 5 (old North
# American coupons, GTIN-13 prefix 05); Global Coupon Numbers (AI 255) and the North American
# coupon data of GS1 DataBar coupons (AI 8110, paperless 8112).
COUPON_PREFIXES = ("99", "981", "982", "983", "984", "05")
COUPON_AIS = ("255", "8110", "8112")

Measure = Literal["weight", "price"]


class ScanError(ValueError):
    """A scan that is not a code Plaza knows; ``reason`` says why, for the cashier, and
    ``code`` is what the till's screen picks its message by (``unreadable`` or
    ``wrong-check-digit``)."""

    def __init__(self, reason: str, scanned: object = None, code: str = "unreadable") -> None:
        super().__init__(reason)
        self.reason = reason
        self.scanned = scanned
        self.code = code


def _wrong_check_digit(what: str, scanned: object) -> ScanError:
    return ScanError(f"{what} has a wrong check digit: scan again or key it in", scanned,
                     "wrong-check-digit")


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    raw: str  # what the scanner sent, trimmed
    symbology: str | None  # AIM symbology identifier such as "]E0", when the scanner sent one


@dataclass(frozen=True)
class ProductCode(Scan):
    """A trade item number (EAN-8, UPC-E, UPC-A, EAN-13, GTIN-14); look the SKU up by
    ``gtin``, then by ``alternatives`` (other readings of an ambiguous scan, rarely any)."""

    gtin: str  # 14 digits, the catalogue's lookup key (a UPC-E is expanded to its UPC-A)
    format: str  # GTIN-8, GTIN-12, GTIN-13, GTIN-14
    symbol: str = ""  # EAN-13, UPC-A, UPC-E, EAN-8 or GTIN-14: what was printed
    add_on: str | None = None  # the EAN-2/EAN-5 add-on: a magazine's issue, a book's price
    alternatives: tuple[str, ...] = ()

    @property
    def gtins(self) -> tuple[str, ...]:
        return (self.gtin, *self.alternatives)


@dataclass(frozen=True)
class AddOn(Scan):
    """An EAN-2/EAN-5 add-on the scanner sent apart from its main code (``]E1``/``]E2``)."""

    digits: str


@dataclass(frozen=True)
class VariableMeasureItem(Scan):
    """An in-store label (EAN-13 prefix 2x) from a scale, carrying the weight or the price."""

    code: str  # the 13 digits as scanned
    item_code: str  # the store's item number inside the code
    base_gtin: str  # the code with the embedded value zeroed: how the catalogue keys the SKU
    layout: str
    weight_grams: int | None = None
    price_minor: int | None = None  # in the store currency's minor units


@dataclass(frozen=True)
class GS1Data(Scan):
    """GS1 data: from element strings (GS1-128, DataBar, DataMatrix) or a Digital Link URI.

    A fresh-food label (GS1 DataBar Expanded or GS1-128 from a scale) carries the net weight
    (AI 310n) and the amount to pay (392n in the local currency, 393n with an ISO currency);
    ``price_minor`` is that amount in the store currency's minor units."""

    gtin: str | None = None
    batch: str | None = None
    serial: str | None = None
    expiry: date | None = None
    net_weight_grams: int | None = None
    price_minor: int | None = None
    price_currency: str | None = None  # the store currency, which price_minor is in
    elements: dict[str, str] = field(default_factory=dict)  # AI -> value

    @property
    def gtins(self) -> tuple[str, ...]:
        return (self.gtin,) if self.gtin else ()


@dataclass(frozen=True)
class GS1ElementString(GS1Data):
    pass


@dataclass(frozen=True)
class GS1DigitalLink(GS1Data):
    """A GS1 Digital Link URI, e.g. a shelf QR: ``https://<any host>/01/<GTIN-14>``."""

    url: str = ""


@dataclass(frozen=True)
class Coupon(Scan):
    """A GS1 coupon: never an item, never a payment code.

    ``number`` is what identifies it: the EAN-13/UPC-A as printed, the Global Coupon Number
    (AI 255), or the AI 8110/8112 data of a North American DataBar coupon."""

    number: str
    scheme: str  # "GS1 coupon (prefix 99)", "Global Coupon Number (AI 255)", ...
    elements: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberQR(Scan):
    token: str  # opaque; the server verifies its signature


@dataclass(frozen=True)
class ReceiptQR(Scan):
    sale_id: uuid.UUID
    url: str


@dataclass(frozen=True)
class OrderQR(Scan):
    order_number: str
    url: str


@dataclass(frozen=True)
class WalletPaymentCode(Scan):
    """A payment code shown by a wallet app (Alipay): pay with it at once, never store it."""

    code: str
    wallet: str = "alipay"


# --- payload builders -------------------------------------------------------------------------


def receipt_qr_url(public_base_url: str, sale_id: uuid.UUID | str) -> str:
    return f"{public_base_url.rstrip('/')}{RECEIPT_QR_PATH}{uuid.UUID(str(sale_id))}"


def order_qr_url(public_base_url: str, order_number: str) -> str:
    if not ORDER_NUMBER_PATTERN.fullmatch(order_number):
        raise ValueError(f"{order_number!r} is not an order number")
    return f"{public_base_url.rstrip('/')}{ORDER_QR_PATH}{order_number}"


def member_qr_payload(token: str) -> str:
    if not MEMBER_TOKEN_PATTERN.fullmatch(token):
        raise ValueError("a member token is URL-safe base64 segments joined by dots")
    return MEMBER_QR_PREFIX + token


# --- in-store variable-measure layouts ------------------------------------------------------


@dataclass(frozen=True)
class VariableMeasureLayout:
    """Where a country's (or chain's) scale labels put the item number and the value.

    Positions are slices of the 13 digits. Weights are in grams and prices in minor units,
    times ``value_scale`` for labels that print coarser units.
    """

    name: str
    prefixes: tuple[str, ...]  # first two digits
    item: tuple[int, int]
    value: tuple[int, int]
    measure: Measure
    value_scale: int = 1


def _prefixes(first: int, last: int) -> tuple[str, ...]:
    return tuple(str(p) for p in range(first, last + 1))


# Defaults: the layouts most scales in these countries ship with. A chain whose scales are
# set up differently passes its own layouts in ScannerConfig.
DEFAULT_LAYOUTS: dict[str, tuple[VariableMeasureLayout, ...]] = {
    # Spain: 2 + section/item (5) + price in cents (5) + check
    "ES": (VariableMeasureLayout("ES price", _prefixes(20, 29), (2, 7), (7, 12), "price"),),
    # China (Dahua/ACLAS defaults): 2 + flag + PLU (5) + amount in fen (5) + check
    "CN": (VariableMeasureLayout("CN price", _prefixes(20, 29), (2, 7), (7, 12), "price"),),
    # Russia: 2x + item (5) + weight in grams (5) + check
    "RU": (VariableMeasureLayout("RU weight", _prefixes(20, 29), (2, 7), (7, 12), "weight"),),
    # Brazil: 2 + item (4-5) + price in centavos (5) + check (Toledo "preço total")
    "BR": (VariableMeasureLayout("BR price", _prefixes(20, 29), (2, 7), (7, 12), "price"),),
    # US/Canada: UPC-A number system 2: 2 + item (5) + price check + price in cents (4)
    "US": (VariableMeasureLayout("US price", ("02",), (2, 7), (8, 12), "price"),),
    "CA": (VariableMeasureLayout("CA price", ("02",), (2, 7), (8, 12), "price"),),
    "FR": (VariableMeasureLayout("FR price", _prefixes(20, 29), (2, 7), (7, 12), "price"),),
}
# Where biip has the GS1 member organisation's rules, we use them (ISO country -> biip region).
BIIP_REGIONS = {"DK": "dk", "EE": "ee", "FI": "fi", "DE": "de", "GB": "gb", "LV": "lv",
                "LT": "lt", "NO": "no", "SE": "se"}


@dataclass(frozen=True)
class ScannerConfig:
    country: str = "ES"  # the store's country: picks the in-store label layout
    layouts: tuple[VariableMeasureLayout, ...] | None = None  # overrides the country default
    public_hosts: tuple[str, ...] = ()  # our hosts for receipt/order QRs; empty = any host
    currency: str | None = None  # what labels are priced in; None = the country's currency

    def variable_measure_layouts(self) -> tuple[VariableMeasureLayout, ...]:
        if self.layouts is not None:
            return self.layouts
        return DEFAULT_LAYOUTS.get(self.country.upper(), ())

    @property
    def store_currency(self) -> str:
        if self.currency:
            return self.currency.upper()
        currencies = get_territory_currencies(self.country.upper())
        return currencies[0] if currencies else "EUR"


DEFAULT_CONFIG = ScannerConfig()


# --- classification ---------------------------------------------------------------------------


def classify(scanned: str, config: ScannerConfig = DEFAULT_CONFIG) -> Scan:
    """What ``scanned`` (with or without an AIM symbology prefix) means; raises ScanError."""
    text, symbology = _prepare(scanned)
    if text.startswith(MEMBER_QR_PREFIX):
        return _member(text, symbology)
    if re.match(r"(?i)https?://", text):
        return _url(text, symbology, config)
    if text.startswith("("):
        return _hri(text, symbology, config)
    if symbology in GS1_SYMBOLOGIES or GROUP_SEPARATOR in text:
        return _element_string(text, symbology, config)
    if text.isdigit() and text.isascii():
        return _digits(text, symbology, config)
    raise ScanError("not a code Plaza knows: neither a product code, a GS1 code, nor one of "
                    "our QR codes", scanned)


def _prepare(scanned: object) -> tuple[str, str | None]:
    if not isinstance(scanned, str):
        raise ScanError(f"a scan is text, not {type(scanned).__name__}", scanned)
    if len(scanned) > MAX_SCAN_LENGTH:
        raise ScanError(f"a scan of {len(scanned)} characters is too long to be a code", None)
    # Keyboard-wedge scanners end with Enter; some send a tab or spaces around the data.
    text = scanned.strip(" \t\r\n")
    symbology = None
    if AIM_PREFIX.match(text):
        symbology, text = text[:3], text[3:]
    if not text:
        raise ScanError("nothing was scanned", scanned)
    if not text.isprintable() and not _only_group_separators(text):
        raise ScanError("the scan contains control characters; check the scanner's setup",
                        scanned)
    return text, symbology


def _only_group_separators(text: str) -> bool:
    return text.replace(GROUP_SEPARATOR, "").isprintable()


def _member(text: str, symbology: str | None) -> MemberQR:
    token = text[len(MEMBER_QR_PREFIX):]
    if not MEMBER_TOKEN_PATTERN.fullmatch(token):
        raise ScanError("this member QR is damaged or not from Plaza; ask for the app's code",
                        text)
    return MemberQR(raw=text, symbology=symbology, token=token)


def _url(text: str, symbology: str | None, config: ScannerConfig) -> Scan:
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError as exc:
        raise ScanError("the scanned web address is malformed", text) from exc
    path = unquote(parts.path)
    ours = not config.public_hosts or host in {h.lower() for h in config.public_hosts}
    if ours and path.startswith(RECEIPT_QR_PATH):
        return _receipt(text, path, symbology)
    if ours and path.startswith(ORDER_QR_PATH):
        return _order(text, path, symbology)
    return _digital_link(text, symbology, config)


def _receipt(text: str, path: str, symbology: str | None) -> ReceiptQR:
    try:
        sale_id = uuid.UUID(path[len(RECEIPT_QR_PATH):].strip("/"))
    except ValueError as exc:
        raise ScanError("this receipt QR does not name a sale", text) from exc
    return ReceiptQR(raw=text, symbology=symbology, sale_id=sale_id, url=text)


def _order(text: str, path: str, symbology: str | None) -> OrderQR:
    number = path[len(ORDER_QR_PATH):].strip("/")
    if not ORDER_NUMBER_PATTERN.fullmatch(number):
        raise ScanError("this order QR does not name an order", text)
    return OrderQR(raw=text, symbology=symbology, order_number=number, url=text)


def _digital_link(text: str, symbology: str | None, config: ScannerConfig) -> Scan:
    result = _biip(text, ParseConfig())
    link = result.gs1_digital_link_uri if result is not None else None
    if link is None:
        raise ScanError("this web address is neither a product QR (GS1 Digital Link) nor one "
                        "of our receipt or order codes", text)
    try:
        message = link.as_gs1_message()
    except Exception as exc:  # noqa: BLE001 (biip raises several types; the till must not crash)
        _check_gtins(link.element_strings, text)
        raise ScanError("this product QR carries data GS1 does not allow", text) from exc
    return _gs1_result(GS1DigitalLink, message, text, symbology, config, url=text)


def _hri(text: str, symbology: str | None, config: ScannerConfig) -> Scan:
    try:
        message = GS1Message.parse_hri(text)
    except Exception as exc:  # noqa: BLE001 (see _digital_link)
        raise ScanError("this looks like GS1 data in brackets but does not parse", text) \
            from exc
    return _gs1_result(GS1ElementString, message, text, symbology, config)


def _element_string(text: str, symbology: str | None, config: ScannerConfig) -> Scan:
    result = _biip(text, ParseConfig())
    message = result.gs1_message if result is not None else None
    if message is None or not message.element_strings:
        raise ScanError("not a product code, and not GS1 data either", text)
    return _gs1_result(GS1ElementString, message, text, symbology, config)


# --- digits: EAN/UPC, add-ons, coupons, wallet codes ------------------------------------------


@dataclass(frozen=True)
class _Reading:
    """One way to read a run of digits as a trade item number."""

    gtin: str  # 14 digits
    format: str
    symbol: str
    add_on: str | None = None


def _digits(text: str, symbology: str | None, config: ScannerConfig) -> Scan:
    """Digits only. With an EAN/UPC or ITF symbology identifier the scanner has said what they
    are; without one: a Global Coupon Number (AI 255), a wallet code, an EAN/UPC (with add-on),
    and else GS1 element strings, in that order."""
    if symbology in (EAN_TWO_DIGIT_ADD_ON, EAN_FIVE_DIGIT_ADD_ON):
        if len(text) != (2 if symbology == EAN_TWO_DIGIT_ADD_ON else 5):
            raise ScanError(f"an add-on is 2 or 5 digits, not {text}", text)
        return AddOn(raw=text, symbology=symbology, digits=text)
    if symbology in GTIN_SYMBOLOGIES:
        readings = _readings(text, symbology)
        if not readings:
            if _gtin_shaped(text, symbology):
                raise _wrong_check_digit(text, text)
            raise ScanError(f"the scanner sent {len(text)} digits as an EAN/UPC code; "
                            "check its setup", text)
        return _trade_item(text, symbology, readings, config)
    if _is_global_coupon_number(text):
        return _element_string(text, symbology, config)
    if WALLET_CODE_PATTERN.fullmatch(text):
        return WalletPaymentCode(raw=text, symbology=symbology, code=text)
    readings = _readings(text, None)
    if readings:
        return _trade_item(text, symbology, readings, config)
    if _gtin_shaped(text, None):
        raise _wrong_check_digit(text, text)
    return _element_string(text, symbology, config)


def _readings(digits: str, symbology: str | None) -> list[_Reading]:
    """The valid readings of ``digits``, the preferred first (see the module docstring)."""
    if symbology == EAN_WITH_ADD_ON:
        return _add_on_readings(digits, EAN_UPC, mains=(13, 12, 8, 7, 6))
    whole = _whole_readings(digits, symbology)
    if whole or symbology is not None:
        return whole
    # A scanner without symbology identifiers sends an add-on glued to its main code: only
    # the unambiguous lengths (EAN-13 or UPC-A, then 2 or 5 digits) are read that way.
    return _add_on_readings(digits, None, mains=(13, 12))


def _whole_readings(digits: str, symbology: str | None) -> list[_Reading]:
    n = len(digits)
    if symbology == EAN_8:
        candidates = [_gtin_reading(digits)] if n == 8 else []
    elif symbology == ITF_14:
        candidates = [_gtin_reading(digits)] if n == 14 else []
    elif symbology == EAN_UPC:  # EAN-13, UPC-A, UPC-E: an 8-digit code here is a UPC-E...
        candidates = [_gtin_reading(digits)] if n in (12, 13) else _upc_e_readings(digits)
        if n == 8 and digits[0] not in "01":  # ...unless no UPC-E can start so: an EAN-8
            candidates = [_gtin_reading(digits)]  # from a scanner that marks it ]E0
    elif n in (12, 13, 14):
        candidates = [_gtin_reading(digits)]
    elif n == 8:
        # A UPC-E with its number system and check digit, or an EAN-8. EAN-8s starting 0 are
        # a company's own numbers (GS1-8 prefix 0) while UPC-Es almost all start 0, so those
        # read as UPC-E first; GS1 US issues EAN-8s starting 1, UPC-E with number system 1 is
        # rare; any other first digit is an EAN-8.
        upc_e, ean_8 = _upc_e_readings(digits), [_gtin_reading(digits)]
        candidates = (upc_e + ean_8 if digits[0] == "0" else
                      ean_8 + upc_e if digits[0] == "1" else ean_8)
    else:
        candidates = _upc_e_readings(digits)
    readings: list[_Reading] = []
    for reading in candidates:
        if reading is not None and reading.gtin not in {r.gtin for r in readings}:
            readings.append(reading)
    return readings


def _add_on_readings(digits: str, symbology: str | None, mains: tuple[int, ...],
                     ) -> list[_Reading]:
    for size in (2, 5):
        main, add_on = digits[:-size], digits[-size:]
        if len(main) in mains:
            return [replace(r, add_on=add_on) for r in _whole_readings(main, symbology)]
    return []


def _gtin_reading(digits: str) -> _Reading | None:
    if not is_valid_gtin(digits):
        return None
    significant = {8: "GTIN-8", 12: "GTIN-12", 13: "GTIN-13", 14: "GTIN-14"}[len(digits)]
    symbol = {8: "EAN-8", 12: "UPC-A", 13: "EAN-13", 14: "GTIN-14"}[len(digits)]
    if len(digits) == 13 and digits[0] == "0":  # a UPC-A sent as 13 digits (]E0 does)
        significant, symbol = "GTIN-12", "UPC-A"
    return _Reading(digits.zfill(14), significant, symbol)


def _upc_e_readings(digits: str) -> list[_Reading | None]:
    """A UPC-E as scanners send it: 6 digits (no number system, no check digit), 7 (number
    system and 6 digits; or 6 digits and the check digit, for number system 0), 8 (number
    system, 6 digits, check digit) or 9 (a country code 0 in front of those 8).

    Seven digits starting 0 read as number system and digits first (what biip does, and a
    scanner told not to send check digits sends); starting 1, as digits and check digit first,
    since scanners leave UPC-E with number system 1 off unless told otherwise."""
    n = len(digits)
    if n == 7:
        readings = [_upc_e(digits), _upc_e("0" + digits)]
        return readings if digits[0] == "0" else readings[::-1]
    if n == 9 and digits[0] == "0":
        return [_upc_e(digits[1:])]
    if n in (6, 8):
        return [_upc_e(digits)]
    return []


def _upc_e(digits: str) -> _Reading | None:
    try:
        upc = Upc.parse(digits)
    except Exception:  # noqa: BLE001 (biip's ParseError; a wrong length or number system)
        return None
    return _Reading(upc.as_gtin_14(), "GTIN-12", "UPC-E")


def _gtin_shaped(digits: str, symbology: str | None) -> bool:
    """Whether a scan without a valid reading has the length of one: a misread check digit,
    not another kind of code."""
    n = len(digits)
    if symbology == EAN_WITH_ADD_ON:
        return any(n - size in (13, 12, 8, 7) for size in (2, 5))
    lengths = {EAN_8: (8,), ITF_14: (14,), EAN_UPC: (7, 8, 9, 12, 13)}.get(
        symbology or "", (7, 8, 9, 12, 13, 14))
    return n in lengths and (n != 9 or digits[:2] in ("00", "01"))


def _trade_item(text: str, symbology: str | None, readings: list[_Reading],
                config: ScannerConfig) -> Scan:
    first = readings[0]
    if first.format in ("GTIN-12", "GTIN-13"):
        thirteen = first.gtin[-13:]
        if thirteen.startswith(COUPON_PREFIXES):
            prefix = next(p for p in COUPON_PREFIXES if thirteen.startswith(p))
            scheme = ("U.P.C. coupon (number system 5)" if prefix == "05"
                      else f"GS1 coupon (prefix {prefix})")
            return Coupon(raw=text, symbology=symbology, number=thirteen.lstrip("0"),
                          scheme=scheme)
        if first.symbol != "UPC-E" and first.add_on is None:
            in_store = _in_store_code(thirteen)
            if in_store is not None:
                weighed = _variable_measure(in_store, symbology, config)
                if weighed is not None:
                    return replace(weighed, raw=text)
    return ProductCode(raw=text, symbology=symbology, gtin=first.gtin, format=first.format,
                       symbol=first.symbol, add_on=first.add_on,
                       alternatives=tuple(r.gtin for r in readings[1:]))


def _in_store_code(thirteen: str) -> str | None:
    """The 13 digits of a restricted-circulation code (EAN-13 prefix 2x, UPC-A number
    system 2), or None for a code any shop in the world may sell under."""
    return thirteen if thirteen[0] == "2" or thirteen.startswith("02") else None


def _is_global_coupon_number(digits: str) -> bool:
    """AI 255 and a GCN: 13 digits with their check digit, then up to 12 of serial."""
    return (digits.startswith("255") and 16 <= len(digits) <= 28
            and gs1_check_digit(digits[3:15]) == int(digits[15]))


def _variable_measure(code: str, symbology: str | None,
                      config: ScannerConfig) -> VariableMeasureItem | None:
    for layout in config.variable_measure_layouts():
        if code[:2] in layout.prefixes:
            return _apply_layout(code, layout, symbology)
    region = BIIP_REGIONS.get(config.country.upper())
    return _biip_variable_measure(code, region, symbology) if region else None


def _base_gtin(code: str, layout: VariableMeasureLayout) -> str:
    """Everything after the item number (price check digit, value) zeroed, check digit
    recomputed: one key per item whatever it weighed."""
    start = layout.item[1]
    body = code[:start] + "0" * (12 - start)
    return (body + str(gs1_check_digit(body))).zfill(14)


def _apply_layout(code: str, layout: VariableMeasureLayout, symbology: str | None,
                  ) -> VariableMeasureItem:
    amount = int(code[layout.value[0]:layout.value[1]]) * layout.value_scale
    if amount == 0:
        raise ScanError(f"the scale label {code} carries no {layout.measure}; reprint it", code)
    return VariableMeasureItem(
        raw=code, symbology=symbology, code=code,
        item_code=code[layout.item[0]:layout.item[1]],
        base_gtin=_base_gtin(code, layout), layout=layout.name,
        weight_grams=amount if layout.measure == "weight" else None,
        price_minor=amount if layout.measure == "price" else None,
    )


def _biip_variable_measure(code: str, region: str, symbology: str | None,
                           ) -> VariableMeasureItem | None:
    result = _biip(code, ParseConfig(rcn_region=region))
    rcn = result.gtin if result is not None else None
    weight = getattr(rcn, "weight", None)
    price = getattr(rcn, "price", None)
    if weight is None and price is None:
        return None
    return VariableMeasureItem(
        raw=code, symbology=symbology, code=code,
        item_code=str(getattr(rcn, "item_reference", "") or code[2:7]),
        base_gtin=code.zfill(14), layout=f"GS1 {region.upper()} (biip)",
        weight_grams=int(Decimal(weight) * 1000) if weight is not None else None,
        price_minor=int(Decimal(price) * 100) if price is not None else None,
    )


# --- GS1 element strings and Digital Links ----------------------------------------------------


def _gs1_result(kind: type[GS1Data], message: GS1Message, text: str, symbology: str | None,
                config: ScannerConfig, **extra: str) -> Scan:
    _check_gtins(message.element_strings, text)
    elements = {e.ai.ai: e.value for e in message.element_strings}
    coupon_ai = next((ai for ai in COUPON_AIS if ai in elements), None)
    if coupon_ai is not None:
        return _coupon_element(coupon_ai, elements, text, symbology)
    return kind(raw=text, symbology=symbology, **_gs1_fields(message, text, config), **extra)


def _check_gtins(element_strings: Sequence[BiipElementString], text: str) -> None:
    """A GTIN inside GS1 data that fails its check is a misread, like a bare one."""
    for element in element_strings:
        error = element.gtin_error
        if error and "check digit" in error:
            raise _wrong_check_digit(f"the GTIN {element.value} in this code", text)
        if error:
            raise ScanError(f"the GTIN {element.value} in this code is not valid", text)


def _coupon_element(ai: str, elements: dict[str, str], text: str,
                    symbology: str | None) -> Coupon:
    number = elements[ai]
    if ai == "255":
        if len(number) < 13 or gs1_check_digit(number[:12]) != int(number[12]):
            raise _wrong_check_digit(f"the coupon number {number}", text)
        scheme = "Global Coupon Number (AI 255)"
    elif ai == "8110":
        scheme = "North American coupon (AI 8110)"
    else:
        scheme = "North American paperless coupon (AI 8112)"
    return Coupon(raw=text, symbology=symbology, number=number, scheme=scheme, elements=elements)


def _biip(text: str, config: ParseConfig):  # noqa: ANN202 (biip's own result type)
    try:
        return parse(text, config=config)
    except Exception:  # noqa: BLE001 (biip may raise anything on odd input; we answer ScanError)
        return None


def _gs1_fields(message: GS1Message, text: str, config: ScannerConfig) -> dict[str, object]:
    elements = {e.ai.ai: e.value for e in message.element_strings}
    fields: dict[str, object] = {"elements": elements}
    for element in message.element_strings:
        ai = element.ai.ai
        if ai in ("01", "02") and element.gtin is not None:
            fields["gtin"] = element.gtin.value.zfill(14)
        elif ai == "10":
            fields["batch"] = element.value
        elif ai == "21":
            fields["serial"] = element.value
        elif ai in ("17", "15", "16") and element.date is not None and "expiry" not in fields:
            fields["expiry"] = element.date
        elif ai.startswith("310") and element.decimal is not None:
            fields["net_weight_grams"] = _grams(element.decimal)
        elif ai[:3] in ("392", "393") and element.decimal is not None \
                and "price_minor" not in fields:
            currency = None
            if ai.startswith("393"):
                money = element.money  # biip reads the ISO 4217 number through py-moneyed
                if money is None:
                    raise ScanError(f"the label's currency {element.pattern_groups[0]} is not "
                                    "one Plaza knows", text)
                currency = money.currency.code
            fields["price_minor"] = _price_minor(element.decimal, currency, config, text)
            fields["price_currency"] = config.store_currency
    return fields


def _price_minor(amount: Decimal, currency: str | None, config: ScannerConfig, text: str) -> int:
    """A label's amount (AI 392n: in the local currency; 393n: in ``currency``) in the store
    currency's minor units; a label priced in another currency cannot be sold here."""
    store = config.store_currency
    if currency is not None and currency != store:
        raise ScanError(f"this label is priced in {currency}, but the store sells in {store}",
                        text)
    try:
        return Money.parse(amount, store).amount
    except MoneyError as exc:
        raise ScanError(f"the label's price {amount} is not an amount in {store}", text) \
            from exc


def _grams(kilograms: Decimal) -> int | None:
    try:
        return int((kilograms * 1000).to_integral_value())
    except (InvalidOperation, ValueError):
        return None


__all__ = [
    "AddOn", "Coupon", "DEFAULT_LAYOUTS", "GS1Data", "GS1DigitalLink", "GS1ElementString",
    "MEMBER_QR_PREFIX", "MemberQR", "ORDER_QR_PATH", "OrderQR", "ProductCode", "RECEIPT_QR_PATH",
    "ReceiptQR", "Scan", "ScanError", "ScannerConfig", "VariableMeasureItem",
    "VariableMeasureLayout", "WalletPaymentCode", "classify", "member_qr_payload", "order_qr_url",
    "receipt_qr_url",
]
