"""What a scanned string means: the one place a till or kiosk turns a scan into a thing.

``classify(scanned)`` answers with a typed result (a product GTIN, a weighed item from an
in-store label, GS1 element strings, a GS1 Digital Link, our member/receipt/order QR, a wallet
payment code) or raises ``ScanError`` with a reason a cashier can act on; nothing else escapes
it. GS1 parsing is biip's; in-store variable-measure layouts differ per country and biip knows
only the Nordic, Baltic, German and UK ones, so the others are configurable rules here.

Payload formats of our own codes (DESIGN.md §5):

- e-receipt QR: ``https://<public host>/r/<sale uuid>``
- order QR (pickup): ``https://<public host>/o/<order number>``
- member QR: ``PLAZA-M1:<opaque signed token>`` (the server signs and verifies the token;
  here we only recognise its shape)
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal
from urllib.parse import unquote, urlsplit

from biip import ParseConfig, parse
from biip.gs1_messages import GS1Message

from retail.gs1 import gs1_check_digit, is_valid_gtin

RECEIPT_QR_PATH = "/r/"
ORDER_QR_PATH = "/o/"
MEMBER_QR_PREFIX = "PLAZA-M1:"
MEMBER_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]+){0,3}")
ORDER_NUMBER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,39}")
# Alipay payment codes: 16-24 digits starting 25-30 (PROTOCOLS.md); checked before GS1
# parsing, since such digits would otherwise be read as element strings.
WALLET_CODE_PATTERN = re.compile(r"(2[5-9]|30)\d{14,22}")
MAX_SCAN_LENGTH = 4096
AIM_PREFIX = re.compile(r"\][A-Za-z][0-9A-Za-z]")
GROUP_SEPARATOR = "\x1d"

Measure = Literal["weight", "price"]


class ScanError(ValueError):
    """A scan that is not a code Plaza knows; ``reason`` says why, for the cashier."""

    def __init__(self, reason: str, scanned: object = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.scanned = scanned


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    raw: str  # what the scanner sent, trimmed
    symbology: str | None  # AIM symbology identifier such as "]E0", when the scanner sent one


@dataclass(frozen=True)
class ProductCode(Scan):
    """A trade item number (EAN-8, UPC-A, EAN-13, GTIN-14); look the SKU up by ``gtin``."""

    gtin: str  # 14 digits, the catalogue's lookup key
    format: str  # GTIN-8, GTIN-12, GTIN-13, GTIN-14


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
    """GS1 data: from element strings (GS1-128, DataMatrix) or a Digital Link URI."""

    gtin: str | None = None
    batch: str | None = None
    serial: str | None = None
    expiry: date | None = None
    net_weight_grams: int | None = None
    elements: dict[str, str] = field(default_factory=dict)  # AI -> value


@dataclass(frozen=True)
class GS1ElementString(GS1Data):
    pass


@dataclass(frozen=True)
class GS1DigitalLink(GS1Data):
    """A GS1 Digital Link URI, e.g. a shelf QR: ``https://<any host>/01/<GTIN-14>``."""

    url: str = ""


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

    def variable_measure_layouts(self) -> tuple[VariableMeasureLayout, ...]:
        if self.layouts is not None:
            return self.layouts
        return DEFAULT_LAYOUTS.get(self.country.upper(), ())


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
        return _hri(text, symbology)
    if text.isdigit() and text.isascii():
        return _digits(text, symbology, config)
    if GROUP_SEPARATOR in text or symbology in ("]C1", "]d2", "]e0", "]Q3", "]J1"):
        return _element_string(text, symbology)
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
    return _digital_link(text, symbology)


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


def _digital_link(text: str, symbology: str | None) -> GS1DigitalLink:
    result = _biip(text, ParseConfig())
    link = result.gs1_digital_link_uri if result is not None else None
    if link is None:
        raise ScanError("this web address is neither a product QR (GS1 Digital Link) nor one "
                        "of our receipt or order codes", text)
    try:
        message = link.as_gs1_message()
    except Exception as exc:  # noqa: BLE001 (biip raises several types; the till must not crash)
        raise ScanError("this product QR carries data GS1 does not allow", text) from exc
    return GS1DigitalLink(raw=text, symbology=symbology, url=text, **_gs1_fields(message))


def _hri(text: str, symbology: str | None) -> GS1ElementString:
    try:
        message = GS1Message.parse_hri(text)
    except Exception as exc:  # noqa: BLE001 (see _digital_link)
        raise ScanError("this looks like GS1 data in brackets but does not parse", text) \
            from exc
    return GS1ElementString(raw=text, symbology=symbology, **_gs1_fields(message))


def _digits(text: str, symbology: str | None, config: ScannerConfig) -> Scan:
    if WALLET_CODE_PATTERN.fullmatch(text):
        return WalletPaymentCode(raw=text, symbology=symbology, code=text)
    if len(text) in (8, 12, 13, 14):
        if is_valid_gtin(text):
            return _gtin(text, symbology, config)
        if symbology in (None, "]E0", "]E4", "]I1"):
            raise ScanError(f"{text} has a wrong check digit: scan again or key it in", text)
    return _element_string(text, symbology)


def _gtin(text: str, symbology: str | None, config: ScannerConfig) -> Scan:
    in_store = _in_store_code(text)
    if in_store is not None:
        weighed = _variable_measure(in_store, symbology, config)
        if weighed is not None:
            return replace(weighed, raw=text)
    formats = {8: "GTIN-8", 12: "GTIN-12", 13: "GTIN-13", 14: "GTIN-14"}
    return ProductCode(raw=text, symbology=symbology, gtin=text.zfill(14),
                       format=formats[len(text)])


def _in_store_code(text: str) -> str | None:
    """The 13 digits of a restricted-circulation code (EAN-13 prefix 2x, UPC-A number
    system 2), or None for a code any shop in the world may sell under."""
    if len(text) == 13 and text[0] == "2":
        return text
    if len(text) == 12 and text[0] == "2":
        return "0" + text
    return None


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


def _element_string(text: str, symbology: str | None) -> GS1ElementString:
    result = _biip(text, ParseConfig())
    message = result.gs1_message if result is not None else None
    if message is None or not message.element_strings:
        raise ScanError("not a product code, and not GS1 data either", text)
    return GS1ElementString(raw=text, symbology=symbology, **_gs1_fields(message))


def _biip(text: str, config: ParseConfig):  # noqa: ANN202 (biip's own result type)
    try:
        return parse(text, config=config)
    except Exception:  # noqa: BLE001 (biip may raise anything on odd input; we answer ScanError)
        return None


def _gs1_fields(message: GS1Message) -> dict[str, object]:
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
    return fields


def _grams(kilograms: Decimal) -> int | None:
    try:
        return int((kilograms * 1000).to_integral_value())
    except (InvalidOperation, ValueError):
        return None


__all__ = [
    "DEFAULT_LAYOUTS", "GS1Data", "GS1DigitalLink", "GS1ElementString", "MEMBER_QR_PREFIX",
    "MemberQR", "ORDER_QR_PATH", "OrderQR", "ProductCode", "RECEIPT_QR_PATH", "ReceiptQR",
    "Scan", "ScanError", "ScannerConfig", "VariableMeasureItem", "VariableMeasureLayout",
    "WalletPaymentCode", "classify", "member_qr_payload", "order_qr_url", "receipt_qr_url",
]
