"""Shelf-label sheets as PDF: name, price in the store's currency, unit price, QR and EAN.

The QR is the SKU's GS1 Digital Link on our public host, so the same label rings the product
up at a till and opens its page on a shopper's phone; the EAN/UPC bars serve older scanners.
One A4 sheet holds 21 labels of 70 × 42.3 mm (the common 3 × 7 self-adhesive sheet).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from PIL import Image
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import eanbc
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from hardware.fonts import find_cjk_font, find_mono_font
from hardware.qr import product_qr_payload
from retail.gs1 import validate_gtin
from retail.money import Money
from retail.receipt import ReceiptFormatter, char_width, printable

LABEL_WIDTH, LABEL_HEIGHT = 70 * mm, 42.3 * mm
COLUMNS, ROWS = 3, 7
QR_SIZE = 24 * mm
BARCODE_HEIGHT = 11 * mm


class LabelError(ValueError):
    """A label's data cannot be printed (bad GTIN, missing price...)."""


@dataclass(frozen=True)
class ShelfLabel:
    name: str
    gtin: str
    price: Money  # per unit, or per kg when sold by weight
    locale: str
    sold_by_weight: bool = False
    net_grams: int | None = None  # pack size, for the per-kg unit price the EU requires

    def __post_init__(self) -> None:
        # The name comes from the catalogue: no control character reaches the PDF.
        object.__setattr__(self, "name", printable(self.name))

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ShelfLabel:
        try:
            return cls(name=str(data["name"]), gtin=validate_gtin(str(data["gtin"])),
                       price=Money(data["price"], data["currency"]),
                       locale=data.get("locale", "en_US"),
                       sold_by_weight=bool(data.get("sold_by_weight", False)),
                       net_grams=data.get("net_grams"))
        except (KeyError, TypeError, ValueError) as exc:
            raise LabelError(f"label data {dict(data)!r} is incomplete or invalid: {exc}") \
                from exc

    def price_text(self) -> str:
        fmt = ReceiptFormatter(self.locale)
        return fmt.per_kg(self.price) if self.sold_by_weight else fmt.money(self.price)

    def unit_price_text(self) -> str | None:
        if self.sold_by_weight or not self.net_grams:
            return None
        return ReceiptFormatter(self.locale).per_kg(
            self.price.scaled(Decimal(1000) / Decimal(self.net_grams)))


# -- fonts: the PDF's built-in Helvetica has neither Cyrillic nor Chinese ------------------


@cache
def _latin_font() -> str:
    path = _sans_path()
    if path is None:
        return "Helvetica"
    pdfmetrics.registerFont(TTFont("PlazaSans", path))
    return "PlazaSans"


def _sans_path() -> str | None:
    mono = find_mono_font()
    if mono is None:
        return None
    sans = mono.with_name(mono.name.replace("SansMono", "Sans"))
    return str(sans if sans.is_file() else mono)


@cache
def _cjk_font() -> str:
    path = find_cjk_font()
    if path is not None:
        options = {"subfontIndex": 0} if path.suffix.lower() == ".ttc" else {}
        pdfmetrics.registerFont(TTFont("PlazaCJK", str(path), **options))
        return "PlazaCJK"
    # Adobe's CID font needs nothing installed: every PDF viewer has it.
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _font_for(text: str) -> str:
    return _cjk_font() if any(char_width(c) == 2 for c in text) else _latin_font()


# -- drawing -----------------------------------------------------------------------------


def _wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for char in text:
        if pdfmetrics.stringWidth(current + char, font, size) > width:
            cut = current.rfind(" ")
            if cut > 0 and char_width(char) == 1:
                lines.append(current[:cut])
                current = current[cut + 1:] + char
            else:
                lines.append(current)
                current = char.lstrip()
        else:
            current += char
    lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return lines


def _draw_qr(canvas: Canvas, data: str, x: float, y: float) -> None:
    widget = QrCodeWidget(data, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE,
                      transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


def _draw_barcode(canvas: Canvas, gtin14: str, x: float, y: float) -> None:
    digits = gtin14.lstrip("0")
    gtin = gtin14[-13:] if len(digits) <= 13 else None
    if gtin is None:
        return  # a GTIN-14 (case code) has no EAN bars; the QR carries it
    if gtin.startswith("00000"):
        widget: Any = eanbc.Ean8BarcodeWidget(gtin[-8:-1])
    else:
        widget = eanbc.Ean13BarcodeWidget(gtin[:-1])
    widget.barHeight = BARCODE_HEIGHT
    widget.barWidth = 0.33 * mm  # 100 % magnification: what every scanner reads
    widget.fontSize = 7
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(x1 - x0, y1 - y0)
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


def _draw_label(canvas: Canvas, label: ShelfLabel, public_base_url: str, x: float,
                y: float) -> None:
    """One label with its bottom-left corner at (x, y)."""
    pad = 3 * mm
    canvas.setStrokeGray(0.8)
    canvas.rect(x, y, LABEL_WIDTH, LABEL_HEIGHT, stroke=1, fill=0)
    _draw_qr(canvas, product_qr_payload(public_base_url, label.gtin),
             x + LABEL_WIDTH - QR_SIZE - 1.5 * mm, y + LABEL_HEIGHT - QR_SIZE - 1.5 * mm)
    text_width = LABEL_WIDTH - QR_SIZE - 2 * pad
    name_font = _font_for(label.name)
    top = y + LABEL_HEIGHT - pad - 3 * mm
    for i, line in enumerate(_wrap(label.name, name_font, 9, text_width, 2)):
        canvas.setFont(name_font, 9)
        canvas.drawString(x + pad, top - i * 3.8 * mm, line)
    price = label.price_text()
    canvas.setFont(_font_for(price), 17)
    canvas.drawString(x + pad, top - 12 * mm, price)
    unit = label.unit_price_text()
    if unit:
        canvas.setFont(_font_for(unit), 7)
        canvas.drawString(x + pad, top - 15.5 * mm, unit)
    _draw_barcode(canvas, label.gtin, x + pad, y + 1.5 * mm)


def label_sheet_pdf(labels: Sequence[Mapping[str, Any] | ShelfLabel],
                    public_base_url: str) -> bytes:
    """A PDF of shelf labels, 21 to an A4 page, in the order given."""
    items = [lb if isinstance(lb, ShelfLabel) else ShelfLabel.from_data(lb) for lb in labels]
    if not items:
        raise LabelError("no labels to print")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle("Plaza shelf labels")
    margin_x = (A4[0] - COLUMNS * LABEL_WIDTH) / 2
    margin_y = (A4[1] - ROWS * LABEL_HEIGHT) / 2
    for index, label in enumerate(items):
        slot = index % (COLUMNS * ROWS)
        if index and slot == 0:
            canvas.showPage()
        column, row = slot % COLUMNS, slot // COLUMNS
        x = margin_x + column * LABEL_WIDTH
        y = A4[1] - margin_y - (row + 1) * LABEL_HEIGHT
        _draw_label(canvas, label, public_base_url, x, y)
    canvas.save()
    return buffer.getvalue()


def render_pdf_page(pdf: bytes, page: int = 0, dpi: int = 200) -> Image.Image:
    """A page of a PDF as an image, for previews and for decoding the codes in tests.

    Needs pypdfium2 (a dev dependency)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return document[page].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        document.close()
