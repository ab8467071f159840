"""Receipts as pictures: the PNG preview, and the raster sent to printers lacking the script."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

from hardware.fonts import require_cjk_font
from hardware.paper import Paper
from hardware.profiles import PrinterProfile
from hardware.qr import qr_image
from retail.receipt import PrintItem, PrintLine, PrintQR, Receipt, char_width, render_receipt


def needs_cjk_font(items: Sequence[PrintItem]) -> bool:
    return any(isinstance(item, PrintLine) and any(char_width(c) == 2 for c in item.text)
               for item in items)


def draw_items(paper: Paper, items: Sequence[PrintItem], qr_module: int = 6) -> None:
    """Draw rendered receipt items on ``paper``; raises FontNotFound for CJK text without a
    CJK font, since a receipt of empty boxes is worse than a clear error."""
    if needs_cjk_font(items):
        require_cjk_font()
    for item in items:
        if isinstance(item, PrintQR):
            paper.image(qr_image(item.data, module=qr_module), align="center")
        else:
            paper.text_line(item.text, align=item.align, bold=item.bold, size=item.size)


def items_image(items: Sequence[PrintItem], profile: PrinterProfile) -> Image.Image:
    """The items as one greyscale image exactly as wide as the profile's paper."""
    paper = Paper(profile.width_dots, profile.columns)
    draw_items(paper, items, profile.qr_module)
    return paper.to_image()


def receipt_png(receipt: Receipt, locale: str, profile: PrinterProfile) -> Image.Image:
    """A preview of the printed receipt, with a little margin around the paper."""
    paper = Paper(profile.width_dots, profile.columns)
    paper.feed(16)
    draw_items(paper, render_receipt(receipt, locale, profile.columns), profile.qr_module)
    paper.feed(16)
    return paper.to_image(margin=8)
