"""The receipt document: what a sale's receipt says, and how it reads in each store's language.

A ``Receipt`` is built from the plain data of a sale and checks its own arithmetic (every
amount goes through ``retail.money.Money``). ``render_receipt`` lays it out as monospace lines
for a given paper width; the ESC/POS printer, the PNG preview and the virtual printer all draw
those same lines, so what a manager previews is what the till prints. No I/O here.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal
from babel.units import format_compound_unit, format_unit

from retail.money import Money, MoneyError

Align = Literal["left", "center", "right"]
Size = Literal["normal", "tall", "large"]  # tall: double height; large: double width and height
CurrencyDisplay = Literal["symbol", "code"]

SUPPORTED_LOCALES = (
    "es_ES", "zh_CN", "ru_RU", "pt_BR", "en_US", "en_GB", "de_DE", "fr_FR", "en_CA",
)


class ReceiptError(ValueError):
    """Sale data that cannot make a correct receipt (the message says what is wrong)."""


class TaxMode(Enum):
    INCLUSIVE = "inclusive"  # Europe, Russia, China, Brazil: prices contain VAT
    EXCLUSIVE = "exclusive"  # US, Canada: sales tax is added at the till


# Labels a shopper reads, per locale. Small on purpose: the receipt has few words.
_EN_US = {
    "subtotal": "Subtotal", "discounts": "Discounts", "total": "Total", "tax": "Sales tax",
    "tax_included": "Tax included", "tax_base": "on", "cash": "Cash", "card": "Card",
    "alipay_qr": "Alipay", "alipay_code": "Alipay", "change": "Change", "cashier": "Cashier",
    "till": "Till", "receipt_no": "Receipt", "tax_id": "Tax ID", "items": "Items",
    "points": "Points", "rounding": "Cash rounding", "gift": "Gift",
    "e_receipt": "Scan for your e-receipt",
    "return_policy": "Returns within 30 days with this receipt.",
}
LABELS: dict[str, dict[str, str]] = {
    # British and Canadian receipts differ from American ones only in how tax is named.
    "en_GB": {**_EN_US, "tax": "VAT", "tax_included": "VAT included", "tax_id": "VAT No."},
    "en_CA": {**_EN_US, "tax": "GST/HST", "tax_id": "GST/HST No."},
    "en_US": _EN_US,
    "es_ES": {
        "subtotal": "Subtotal", "discounts": "Descuentos", "total": "Total", "tax": "IVA",
        "tax_included": "IVA incluido", "tax_base": "base", "cash": "Efectivo",
        "card": "Tarjeta", "alipay_qr": "Alipay", "alipay_code": "Alipay", "change": "Cambio",
        "cashier": "Cajero", "till": "Caja", "receipt_no": "Ticket", "tax_id": "NIF",
        "items": "Artículos", "points": "Puntos", "rounding": "Redondeo", "gift": "Regalo",
        "e_receipt": "Escanee para su ticket digital",
        "return_policy": "Devoluciones en 30 días presentando este ticket.",
    },
    "zh_CN": {
        "subtotal": "小计", "discounts": "优惠", "total": "合计", "tax": "增值税",
        "tax_included": "含增值税", "tax_base": "计税金额", "cash": "现金", "card": "银行卡",
        "alipay_qr": "支付宝", "alipay_code": "支付宝", "change": "找零", "cashier": "收银员",
        "till": "收银台", "receipt_no": "小票号", "tax_id": "统一社会信用代码",
        "items": "件数", "points": "积分", "rounding": "抹零", "gift": "赠品",
        "e_receipt": "扫码获取电子小票",
        "return_policy": "凭此小票30天内可退换货。",
    },
    "ru_RU": {
        "subtotal": "Подытог", "discounts": "Скидки", "total": "Итого", "tax": "НДС",
        "tax_included": "В т.ч. НДС", "tax_base": "с суммы", "cash": "Наличные",
        "card": "Карта", "alipay_qr": "Alipay", "alipay_code": "Alipay", "change": "Сдача",
        "cashier": "Кассир", "till": "Касса", "receipt_no": "Чек", "tax_id": "ИНН",
        "items": "Позиций", "points": "Баллы", "rounding": "Округление", "gift": "Подарок",
        "e_receipt": "Электронный чек по QR-коду",
        "return_policy": "Возврат в течение 14 дней при наличии чека.",
    },
    "pt_BR": {
        "subtotal": "Subtotal", "discounts": "Descontos", "total": "Total",
        "tax": "Tributos", "tax_included": "Tributos incluídos", "tax_base": "sobre",
        "cash": "Dinheiro", "card": "Cartão", "alipay_qr": "Alipay", "alipay_code": "Alipay",
        "change": "Troco", "cashier": "Operador", "till": "Caixa", "receipt_no": "Cupom",
        "tax_id": "CNPJ", "items": "Itens", "points": "Pontos", "rounding": "Arredondamento",
        "gift": "Brinde", "e_receipt": "Escaneie para o cupom digital",
        "return_policy": "Trocas em até 30 dias com este cupom.",
    },
    "de_DE": {
        "subtotal": "Zwischensumme", "discounts": "Rabatte", "total": "Summe", "tax": "MwSt.",
        "tax_included": "enth. MwSt.", "tax_base": "auf", "cash": "Bar", "card": "Karte",
        "alipay_qr": "Alipay", "alipay_code": "Alipay", "change": "Rückgeld",
        "cashier": "Kassierer", "till": "Kasse", "receipt_no": "Beleg", "tax_id": "USt-IdNr.",
        "items": "Artikel", "points": "Punkte", "rounding": "Rundung", "gift": "Geschenk",
        "e_receipt": "Scannen für den digitalen Beleg",
        "return_policy": "Umtausch innerhalb von 30 Tagen mit Beleg.",
    },
    "fr_FR": {
        "subtotal": "Sous-total", "discounts": "Remises", "total": "Total", "tax": "TVA",
        "tax_included": "dont TVA", "tax_base": "sur", "cash": "Espèces", "card": "Carte",
        "alipay_qr": "Alipay", "alipay_code": "Alipay", "change": "Rendu",
        "cashier": "Caissier", "till": "Caisse", "receipt_no": "Ticket", "tax_id": "SIRET",
        "items": "Articles", "points": "Points", "rounding": "Arrondi", "gift": "Cadeau",
        "e_receipt": "Scannez pour votre ticket numérique",
        "return_policy": "Échange sous 30 jours avec ce ticket.",
    },
}


def labels_for(locale: str) -> dict[str, str]:
    """The label set for ``locale``, falling back by language and then to US English."""
    if locale in LABELS:
        return LABELS[locale]
    language = locale.replace("-", "_").split("_")[0]
    for known, labels in LABELS.items():
        if known.startswith(language + "_"):
            return labels
    return LABELS["en_US"]


# --- the document -------------------------------------------------------------------------


@dataclass(frozen=True)
class Store:
    name: str  # the trading name over the door, printed large
    address: tuple[str, ...]
    tax_id: str
    timezone: str  # IANA name; receipt times are shown in the store's local time
    legal_name: str = ""  # the seller's registered name, when it is not the trading name


# Markets where every receipt carries a number in an unbroken series (docs/RECEIPTS.md): Spain's
# factura simplificada (número y serie, correlativa), Germany's Belege, France's tickets (NF525),
# Russia's чек (порядковый номер) and Brazil's NFC-e (número e série). A till keeps one series.
NUMBERED_RECEIPTS = frozenset({"ES", "DE", "FR", "RU", "BR"})


def numbers_receipts(country: str) -> bool:
    """Whether a store in ``country`` prints a sequential receipt number (else the sale's id)."""
    return country.upper() in NUMBERED_RECEIPTS


@dataclass(frozen=True)
class ReceiptLine:
    """One sold item: a count of units, or a weight in grams at a price per kilogram."""

    description: str
    unit_price: Money  # per unit, or per kg when weight_grams is set
    tax_rate: Decimal  # percent, e.g. Decimal("21")
    quantity: int = 1
    weight_grams: int | None = None
    gift: str | None = None  # a giveaway's gift (price 0): the promotion's reason, or ""

    @property
    def total(self) -> Money:
        if self.weight_grams is not None:
            return self.unit_price.scaled(Decimal(self.weight_grams) / 1000)
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Discount:
    """A discount the shopper got, with the reason they read on the receipt."""

    reason: str
    amount: Money  # positive: how much less the shopper pays
    line: int | None = None  # index of the line it belongs to; None spreads it over the basket


@dataclass(frozen=True)
class Tender:
    method: str  # cash, card, alipay_qr, alipay_code, points
    amount: Money
    reference: str | None = None


@dataclass(frozen=True)
class TaxLine:
    rate: Decimal
    base: Money  # the net amount taxed at this rate
    tax: Money


@dataclass(frozen=True)
class Receipt:
    store: Store
    lines: tuple[ReceiptLine, ...]
    tenders: tuple[Tender, ...]
    sold_at: datetime
    tax_mode: TaxMode
    currency: str
    sale_number: str
    cashier: str
    till: str
    receipt_url: str | None = None
    discounts: tuple[Discount, ...] = ()
    return_policy: str | None = None
    # Cash rounded to the coins in circulation (retail.cash): what the shopper settles is
    # total + rounding; negative when they pay less.
    rounding: Money | None = None

    def __post_init__(self) -> None:
        if not self.lines:
            raise ReceiptError("a receipt needs at least one line")
        if self.sold_at.tzinfo is None:
            raise ReceiptError("sold_at must be timezone-aware (store times are shown locally)")
        self._check_currencies()
        self._check_discount_lines()
        if self.paid < self.settled:
            short = self.settled - self.paid
            raise ReceiptError(f"tenders are {short} short of the total {self.settled}")
        if self.change > self._cash_tendered():
            raise ReceiptError(
                "change can only be given from cash; the other tenders exceed the total"
            )

    def _check_currencies(self) -> None:
        amounts = [line.unit_price for line in self.lines]
        amounts += [d.amount for d in self.discounts] + [t.amount for t in self.tenders]
        amounts += [self.rounding] if self.rounding is not None else []
        for money in amounts:
            if money.currency != self.currency:
                raise ReceiptError(f"{money} is not in the sale currency {self.currency}")

    def _check_discount_lines(self) -> None:
        for discount in self.discounts:
            if discount.line is not None and not 0 <= discount.line < len(self.lines):
                raise ReceiptError(f"discount {discount.reason!r} names line {discount.line}")
            if discount.amount.amount < 0:
                raise ReceiptError(f"discount {discount.reason!r} must be a positive amount")

    def _sum(self, amounts: Sequence[Money]) -> Money:
        total = Money.zero(self.currency)
        for amount in amounts:
            total = total + amount
        return total

    def _cash_tendered(self) -> Money:
        return self._sum([t.amount for t in self.tenders if t.method == "cash"])

    @property
    def items_total(self) -> Money:
        """The lines before any discount."""
        return self._sum([line.total for line in self.lines])

    @property
    def discount_total(self) -> Money:
        return self._sum([d.amount for d in self.discounts])

    def _gross_by_rate(self) -> dict[Decimal, Money]:
        """What the shopper pays per tax rate after discounts (net of tax when exclusive).

        Discounts are spread exactly as ``retail.pricing.price_order`` spreads them (a basket
        discount over the lines, in proportion to what is left of each, in the order given),
        so the tax lines on paper are the server's to the cent (invariant 5).
        """
        per_line = [line.total for line in self.lines]
        for discount in self.discounts:
            if discount.line is not None:
                per_line[discount.line] = per_line[discount.line] - discount.amount
            elif discount.amount.amount:
                shares = discount.amount.allocate([max(m.amount, 0) for m in per_line])
                per_line = [m - share for m, share in zip(per_line, shares, strict=True)]
        zero = Money.zero(self.currency)
        by_rate: dict[Decimal, Money] = {}
        for line, amount in zip(self.lines, per_line, strict=True):
            by_rate[line.tax_rate] = by_rate.get(line.tax_rate, zero) + amount
        return by_rate

    @property
    def tax_lines(self) -> tuple[TaxLine, ...]:
        """Tax per rate: the VAT contained (inclusive) or the tax added (exclusive)."""
        result = []
        for rate, amount in sorted(self._gross_by_rate().items()):
            if rate == 0:
                continue
            if self.tax_mode is TaxMode.INCLUSIVE:
                tax = amount.scaled(rate / (100 + rate))
                result.append(TaxLine(rate, amount - tax, tax))
            else:
                result.append(TaxLine(rate, amount, amount.scaled(rate / 100)))
        return tuple(result)

    @property
    def subtotal(self) -> Money:
        return self.items_total - self.discount_total

    @property
    def tax_total(self) -> Money:
        return self._sum([t.tax for t in self.tax_lines])

    @property
    def total(self) -> Money:
        if self.tax_mode is TaxMode.EXCLUSIVE:
            return self.subtotal + self.tax_total
        return self.subtotal

    @property
    def paid(self) -> Money:
        return self._sum([t.amount for t in self.tenders])

    @property
    def settled(self) -> Money:
        """What the tenders settle: the total, cash-rounded where the sale was."""
        return self.total + self.rounding if self.rounding is not None else self.total

    @property
    def change(self) -> Money:
        return self.paid - self.settled

    @property
    def local_time(self) -> datetime:
        return self.sold_at.astimezone(ZoneInfo(self.store.timezone))


def receipt_from_sale(sale: Mapping[str, Any]) -> Receipt:
    """Build a ``Receipt`` from a sale as plain data (amounts in integer minor units).

    Keys: currency, tax_mode, store{name, legal_name, address, tax_id, timezone}, lines[{name, unit_price,
    tax_rate, quantity | weight_grams}], discounts[{reason, amount, line?}], tenders[{method,
    amount, reference?}], sold_at (ISO 8601 with offset), cashier, till, sale_number,
    receipt_url, return_policy, rounding (cash rounding, minor units; a line's ``gift``
    marks a giveaway's gift). A ``total`` key, when present, must match to the cent.
    """
    try:
        receipt = _receipt_from_mapping(sale)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ReceiptError):
            raise
        raise ReceiptError(f"sale data is incomplete or malformed: {exc!r}") from exc
    expected = sale.get("total")
    if expected is not None and receipt.total.amount != int(expected):
        raise ReceiptError(
            f"sale total {expected} disagrees with the lines' {receipt.total.amount}"
        )
    return receipt


def _receipt_from_mapping(sale: Mapping[str, Any]) -> Receipt:
    currency = sale["currency"]

    def money(value: int) -> Money:
        return Money(int(value), currency)

    store = sale["store"]
    sold_at = sale["sold_at"]
    if isinstance(sold_at, str):
        sold_at = datetime.fromisoformat(sold_at.replace("Z", "+00:00"))
    return Receipt(
        store=Store(store["name"], tuple(store.get("address", ())), store.get("tax_id", ""),
                    store["timezone"], store.get("legal_name", "")),
        lines=tuple(
            ReceiptLine(
                description=line["name"], unit_price=money(line["unit_price"]),
                tax_rate=Decimal(str(line.get("tax_rate", "0"))),
                quantity=int(line.get("quantity", 1)), weight_grams=line.get("weight_grams"),
                gift=line.get("gift"),
            )
            for line in sale["lines"]
        ),
        discounts=tuple(
            Discount(d["reason"], money(d["amount"]), d.get("line"))
            for d in sale.get("discounts", ())
        ),
        tenders=tuple(
            Tender(t["method"], money(t["amount"]), t.get("reference"))
            for t in sale["tenders"]
        ),
        sold_at=sold_at,
        tax_mode=TaxMode(sale.get("tax_mode", "inclusive")),
        currency=currency,
        sale_number=str(sale["sale_number"]),
        cashier=sale.get("cashier", ""),
        till=sale.get("till", ""),
        receipt_url=sale.get("receipt_url"),
        return_policy=sale.get("return_policy"),
        rounding=money(sale["rounding"]) if sale.get("rounding") else None,
    )


# --- layout ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintLine:
    """A line of monospace text, already fitted to the paper's columns."""

    text: str
    align: Align = "left"
    bold: bool = False
    size: Size = "normal"


@dataclass(frozen=True)
class PrintQR:
    data: str


PrintItem = PrintLine | PrintQR


# Whitespace that breaks or spaces text (tab, LF, VT, FF, CR, NEL) becomes a space; every other
# C0/C1 control (ESC, GS, DLE, FS, DEL ...) goes: in a print job or a pole display's stream it
# would be a command.
_SPACE_CONTROLS = frozenset("\t\n\x0b\x0c\r\x85")


def printable(text: str) -> str:
    """``text`` as it may reach a printer, a label or a customer display.

    Names, reasons and addresses come from the database, where anyone with back-office access
    can type anything: a control character in them would travel into the ESC/POS stream as a
    command (``ESC p`` kicks the drawer, ``GS V`` cuts), and a line or paragraph separator has no
    glyph and stops a receipt from printing at all. So controls are removed; line and paragraph
    separators (U+2028, U+2029, NEL) and every other kind of space (Babel's no-break and narrow
    spaces included, which printer code pages lack) become plain spaces; invisible format
    characters (bidi overrides, zero-width joiners, a byte-order mark), surrogates and
    unassigned or private code points are dropped. What is left is printable as it reads.
    """
    if text.isascii() and text.isprintable():
        return text  # the common case, untouched
    out = []
    for char in text:
        if char.isprintable():
            out.append(char)
        elif char in _SPACE_CONTROLS or unicodedata.category(char) in ("Zs", "Zl", "Zp"):
            out.append(" ")
    return "".join(out)


def char_width(char: str) -> int:
    """Columns a character takes on a receipt: CJK ideographs take two, like on the printer."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def text_width(text: str) -> int:
    return sum(char_width(c) for c in text)


def wrap_text(text: str, columns: int) -> list[str]:
    """Wrap on words where there are spaces, and anywhere in scripts written without them.

    This and ``two_columns`` are how every text reaches paper, so both make it ``printable``
    first: the lines of a name with a control character are those of the name without it."""
    text = printable(text)
    if text_width(text) <= columns:
        return [text]
    if " " in text and all(char_width(c) == 1 for c in text):
        return textwrap.wrap(text, columns) or [""]
    lines, current = [], ""
    for char in text:
        if text_width(current + char) > columns:
            lines.append(current.rstrip())
            current = char.lstrip()
        else:
            current += char
    return [*lines, current] if current else lines


def truncate(text: str, columns: int) -> str:
    while text_width(text) > columns:
        text = text[:-1]
    return text


def two_columns(left: str, right: str, columns: int) -> list[str]:
    """``left`` and ``right`` on one line; when they do not fit, the left side wraps, or (if
    the right side leaves it too little room) takes lines of its own above the right side."""
    left, right = printable(left), truncate(printable(right), columns)
    room = columns - text_width(right) - 1
    if text_width(left) > room and room < columns // 2:
        return [*wrap_text(left, columns), " " * (columns - text_width(right)) + right]
    left_lines = wrap_text(left, room)
    last = left_lines[-1]
    padding = columns - text_width(last) - text_width(right)
    return [*left_lines[:-1], last + " " * padding + right]


class ReceiptFormatter:
    """Formats amounts, weights and times of one receipt in one locale."""

    def __init__(self, locale: str, currency_display: CurrencyDisplay = "symbol") -> None:
        self.locale = locale
        self.currency_display = currency_display
        self.labels = labels_for(locale)

    def money(self, amount: Money) -> str:
        if self.currency_display == "symbol":
            return printable(amount.format(self.locale))
        # An ISO code for printers whose code pages lack the symbol (₽ on a CP866 printer).
        pattern = Locale.parse(self.locale).currency_formats["standard"].pattern
        pattern = pattern.split(";")[0].replace("¤", "¤¤")
        text = format_currency(amount.decimal, amount.currency, format=pattern,
                               locale=self.locale, currency_digits=True)
        return printable(text)

    def weight(self, grams: int) -> str:
        """A weight in kilograms with the locale's unit: "0,412 kg", "0,412 кг"."""
        return printable(format_unit(Decimal(grams) / 1000, "mass-kilogram", "short", format="0.000",
                                     locale=self.locale))

    def per_kg(self, amount: Money) -> str:
        """A price per kilogram the locale's way: "12,90 €/kg", "129,00 ₽/кг"."""
        return printable(format_compound_unit(self.money(amount), denominator_unit="mass-kilogram",
                                              length="short", locale=self.locale) or "")

    def rate(self, rate: Decimal) -> str:
        return format_decimal(rate, format="0.###", locale=self.locale) + "%"

    def when(self, moment: datetime) -> str:
        return printable(format_datetime(moment, "medium", locale=self.locale))


def render_receipt(
    receipt: Receipt, locale: str, columns: int = 42,
    currency_display: CurrencyDisplay = "symbol",
) -> list[PrintItem]:
    """The receipt as print items for a paper ``columns`` characters wide."""
    fmt = ReceiptFormatter(locale, currency_display)
    items: list[PrintItem] = []
    items += _header(receipt, fmt, columns)
    items += _body(receipt, fmt, columns)
    items += _totals(receipt, fmt, columns)
    items += _footer(receipt, fmt, columns)
    return items


def receipt_text(items: Sequence[PrintItem]) -> str:
    """The text of rendered items, one line each: what a decoder should read back."""
    return "\n".join(item.text.rstrip() for item in items if isinstance(item, PrintLine))


def _rule(columns: int) -> PrintLine:
    return PrintLine("-" * columns)


def _centered(text: str, columns: int, **style: Any) -> list[PrintLine]:
    return [PrintLine(part, align="center", **style) for part in wrap_text(text, columns)]


def _header(receipt: Receipt, fmt: ReceiptFormatter, columns: int) -> list[PrintItem]:
    store = receipt.store
    items: list[PrintItem] = _centered(store.name, columns // 2, bold=True, size="large")
    if store.legal_name and store.legal_name != store.name:
        items += _centered(store.legal_name, columns)  # who sells, for the tax inspector
    for line in store.address:
        items += _centered(line, columns)
    if store.tax_id:
        items += _centered(f"{fmt.labels['tax_id']}: {store.tax_id}", columns)
    items.append(_rule(columns))
    return items


def _body(receipt: Receipt, fmt: ReceiptFormatter, columns: int) -> list[PrintItem]:
    items: list[PrintItem] = []
    for index, line in enumerate(receipt.lines):
        for text in two_columns(line.description, fmt.money(line.total), columns):
            items.append(PrintLine(text))
        detail = _line_detail(line, fmt)
        if detail:
            items += [PrintLine("  " + t) for t in wrap_text(detail, columns - 2)]
        for discount in receipt.discounts:
            if discount.line == index:
                for text in two_columns("  " + discount.reason, fmt.money(-discount.amount),
                                        columns):
                    items.append(PrintLine(text))
    items.append(_rule(columns))
    return items


def _line_detail(line: ReceiptLine, fmt: ReceiptFormatter) -> str | None:
    if line.gift is not None:
        label = fmt.labels["gift"]
        return label if not line.gift or line.gift.casefold() == label.casefold() else f"{label}: {line.gift}"
    if line.weight_grams is not None:
        return f"{fmt.weight(line.weight_grams)} x {fmt.per_kg(line.unit_price)}"
    if line.quantity != 1:
        return f"{line.quantity} x {fmt.money(line.unit_price)}"
    return None


def _totals(receipt: Receipt, fmt: ReceiptFormatter, columns: int) -> list[PrintItem]:
    labels = fmt.labels
    rows: list[tuple[str, Money]] = []
    if receipt.discounts or receipt.tax_mode is TaxMode.EXCLUSIVE:
        rows.append((labels["subtotal"], receipt.items_total))
    for discount in receipt.discounts:
        if discount.line is None:
            rows.append((discount.reason, -discount.amount))
    if receipt.discounts:
        rows.append((labels["discounts"], -receipt.discount_total))
    if receipt.tax_mode is TaxMode.EXCLUSIVE:
        rows += [(_tax_label(t, fmt, included=False), t.tax) for t in receipt.tax_lines]
    items: list[PrintItem] = [PrintLine(t) for label, amount in rows
                              for t in two_columns(label, fmt.money(amount), columns)]
    items += [PrintLine(t, bold=True, size="tall")
              for t in two_columns(labels["total"].upper(), fmt.money(receipt.total), columns)]
    if receipt.rounding is not None and receipt.rounding.amount:
        items += [PrintLine(t) for t in two_columns(labels["rounding"], fmt.money(receipt.rounding), columns)]
    if receipt.tax_mode is TaxMode.INCLUSIVE:
        for tax_line in receipt.tax_lines:
            items += [PrintLine(t) for t in two_columns(
                _tax_label(tax_line, fmt, included=True), fmt.money(tax_line.tax), columns)]
    items.append(_rule(columns))
    for tender in receipt.tenders:
        label = labels.get(tender.method, tender.method)
        items += [PrintLine(t) for t in two_columns(label, fmt.money(tender.amount), columns)]
    if receipt.change.amount > 0:
        items += [PrintLine(t, bold=True)
                  for t in two_columns(labels["change"], fmt.money(receipt.change), columns)]
    items.append(_rule(columns))
    return items


def _tax_label(tax_line: TaxLine, fmt: ReceiptFormatter, included: bool) -> str:
    name = fmt.labels["tax_included"] if included else fmt.labels["tax"]
    return f"{name} {fmt.rate(tax_line.rate)} {fmt.labels['tax_base']} {fmt.money(tax_line.base)}"


def _footer(receipt: Receipt, fmt: ReceiptFormatter, columns: int) -> list[PrintItem]:
    labels = fmt.labels
    items: list[PrintItem] = []
    items += [PrintLine(t) for t in two_columns(
        f"{labels['cashier']}: {receipt.cashier}", f"{labels['till']}: {receipt.till}", columns)]
    items += [PrintLine(t) for t in two_columns(
        f"{labels['receipt_no']}: {receipt.sale_number}", fmt.when(receipt.local_time), columns)]
    if receipt.receipt_url:
        items += _centered(labels["e_receipt"], columns)
        items.append(PrintQR(receipt.receipt_url))
    items += _centered(receipt.return_policy or labels["return_policy"], columns)
    return items


__all__ = [
    "Discount", "MoneyError", "PrintItem", "PrintLine", "PrintQR", "Receipt", "ReceiptError",
    "ReceiptFormatter", "ReceiptLine", "Store", "TaxLine", "TaxMode", "Tender",
    "NUMBERED_RECEIPTS", "SUPPORTED_LOCALES", "labels_for", "numbers_receipts", "receipt_from_sale",
    "receipt_text", "render_receipt",
    "printable", "text_width", "wrap_text",
]
