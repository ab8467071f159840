"""Receipts as ESC/POS bytes, built with python-escpos for a given printer profile.

The text goes out in one of the printer's code pages when one of them has every glyph of the
receipt (or in GB18030 on printers with a Chinese font); otherwise the whole receipt goes out
as one raster image (``GS v 0``), the way Odoo prints every receipt, because a printer that
lacks a script prints it as ``?`` at best.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from escpos.printer import Dummy
from PIL import Image

from hardware.jobs import JOB_END_MARKER, job_header, process_id_command
from hardware.profiles import PrinterProfile
from hardware.qr import qr_image
from hardware.receipt_image import items_image
from retail.receipt import (
    CurrencyDisplay,
    PrintItem,
    PrintLine,
    PrintQR,
    Receipt,
    render_receipt,
)

DRAWER_KICK = b"\x1b\x70\x00\x32\x32"  # pin 2, 100 ms on / 100 ms off
ENTER_DOUBLE_BYTE = b"\x1c\x26"  # FS &: Chinese character mode
LEAVE_DOUBLE_BYTE = b"\x1c\x2e"  # FS .
RASTER_THRESHOLD = 150

Mode = Literal["code_page", "double_byte", "raster"]


@dataclass(frozen=True)
class TextPlan:
    """How a receipt's text reaches the paper on one printer."""

    mode: Mode
    items: tuple[PrintItem, ...]
    encoding: str | None = None  # code page name, or "GB18030"
    currency_display: CurrencyDisplay = "symbol"


def _item_texts(items: Sequence[PrintItem]) -> str:
    return "".join(item.text for item in items if isinstance(item, PrintLine))


def _code_page_for(text: str, profile: PrinterProfile) -> str | None:
    encoder = profile.encoder()
    for name in profile.usable_code_pages:
        if all(encoder.can_encode(name, char) for char in text):
            return name
    return None


def _fits_double_byte(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def plan_items(build: Callable[[CurrencyDisplay], Sequence[PrintItem]],
               profile: PrinterProfile) -> TextPlan:
    """Pick how to print a document: a code page with every glyph, the printer's Chinese font,
    a code page once currency symbols are spelled as ISO codes (₽ is in no code page), or a
    raster. ``build`` renders the document's items with currencies shown one way or the other."""
    displays: tuple[CurrencyDisplay, ...] = ("symbol", "code")
    for display in displays:
        items = tuple(build(display))
        text = _item_texts(items)
        code_page = _code_page_for(text, profile)
        if code_page is not None:
            return TextPlan("code_page", items, code_page, display)
        if profile.double_byte and _fits_double_byte(text, profile.double_byte):
            return TextPlan("double_byte", items, profile.double_byte, display)
    return TextPlan("raster", tuple(build("symbol")))


def plan_text(receipt: Receipt, locale: str, profile: PrinterProfile) -> TextPlan:
    """How a receipt reaches the paper on this printer (``plan_items`` for a receipt)."""
    return plan_items(lambda display: render_receipt(receipt, locale, profile.columns, display), profile)


def _printer(profile: PrinterProfile) -> Dummy:
    printer = Dummy(profile=profile.escpos_profile)
    # ESC t numbers from our profile: python-escpos would take the last number its table lists
    # for a code page, which on some printers is a vendor's own (hardware.profiles._code_pages).
    printer.magic.encoder = profile.encoder()
    return printer


def _style(printer: Dummy, item: PrintLine) -> None:
    printer.set(align=item.align, bold=item.bold,
                double_height=item.size in ("tall", "large"),
                double_width=item.size == "large", normal_textsize=item.size == "normal")


def _write_text(printer: Dummy, plan: TextPlan, text: str) -> None:
    if plan.mode == "double_byte":
        printer._raw(text.encode(plan.encoding or "GB18030"))
    else:
        printer.text(text)


def _write_qr(printer: Dummy, data: str, profile: PrinterProfile) -> None:
    printer.set(align="center", bold=False, normal_textsize=True)
    if profile.native_qr:
        # qr(native=True, center=True) raises in python-escpos 3.1; alignment does the centring.
        printer.qr(data, native=True, size=profile.qr_module)
        printer.ln()
    else:
        printer.image(qr_image(data, module=profile.qr_module), impl="bitImageRaster")


def _write_text_items(printer: Dummy, plan: TextPlan, profile: PrinterProfile) -> None:
    if plan.mode == "double_byte":
        printer._raw(ENTER_DOUBLE_BYTE)
    else:
        printer.magic.force_encoding(plan.encoding)
    for item in plan.items:
        if isinstance(item, PrintQR):
            _write_qr(printer, item.data, profile)
            continue
        _style(printer, item)
        _write_text(printer, plan, item.text.rstrip() if item.align != "left" else item.text)
        printer._raw(b"\n")
    if plan.mode == "double_byte":
        printer._raw(LEAVE_DOUBLE_BYTE)
    printer.set(align="left", bold=False, normal_textsize=True)


def _threshold(image: Image.Image) -> Image.Image:
    """Black or white dots: python-escpos would dither the grey edges of anti-aliased text,
    which prints as speckled, hard-to-read glyphs."""
    return image.convert("L").point(lambda v: 255 if v > RASTER_THRESHOLD else 0).convert("1")


def _write_raster(printer: Dummy, plan: TextPlan, profile: PrinterProfile) -> None:
    printer.image(_threshold(items_image(plan.items, profile)), impl="bitImageRaster")


def receipt_job(receipt: Receipt, locale: str, profile: PrinterProfile, *, job_id: str,
                open_drawer: bool = False) -> bytes:
    """The complete print job: init, job id, drawer kick, receipt, cut, end-of-job marker."""
    return plan_job(plan_text(receipt, locale, profile), profile, job_id=job_id, open_drawer=open_drawer)


def document_job(build: Callable[[CurrencyDisplay], Sequence[PrintItem]], profile: PrinterProfile, *,
                 job_id: str, open_drawer: bool = False) -> bytes:
    """Any text document (a Z report, a return slip, a receipt copy) as one print job, printed
    the way a receipt is: ``build`` renders its items for a currency display."""
    return plan_job(plan_items(build, profile), profile, job_id=job_id, open_drawer=open_drawer)


def plan_job(plan: TextPlan, profile: PrinterProfile, *, job_id: str, open_drawer: bool = False) -> bytes:
    """Init, job id, drawer kick, the planned items, cut, end-of-job marker."""
    printer = _printer(profile)
    printer.hw("INIT")
    printer._raw(job_header(job_id))
    if open_drawer:
        # Kicked first so the cashier can make change while the receipt prints.
        printer.cashdraw(2)
    if plan.mode == "raster":
        _write_raster(printer, plan, profile)
    else:
        _write_text_items(printer, plan, profile)
    # cut() feeds the paper past the cutter, and only feeds on printers without one.
    printer.cut()
    printer._raw(process_id_command(JOB_END_MARKER))
    return printer.output


def drawer_job(job_id: str, profile: PrinterProfile) -> bytes:
    """Open the drawer without printing (a "no sale"), as a job with its own id."""
    printer = _printer(profile)
    printer.hw("INIT")
    printer._raw(job_header(job_id))
    printer.cashdraw(2)
    printer._raw(process_id_command(JOB_END_MARKER))
    return printer.output
