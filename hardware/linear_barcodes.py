"""Linear barcodes (EAN/UPC, CODE128, CODE39...) drawn as pixels.

reportlab already knows every symbology's bar patterns for the label PDFs; for raster output we
expand its drawing into rectangles and paint them with Pillow, so there is one encoder for both.
"""

from __future__ import annotations

from PIL import Image, ImageDraw
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.graphics.shapes import Group, Rect

# ESC/POS GS k symbology (function B numbers, and A numbers 0-6) -> reportlab barcode name
ESCPOS_SYMBOLOGIES = {
    0: "UPCA", 65: "UPCA", 1: "UPCE", 66: "UPCE", 2: "EAN13", 67: "EAN13", 3: "EAN8",
    68: "EAN8", 4: "Standard39", 69: "Standard39", 5: "I2of5", 70: "I2of5", 6: "Codabar",
    71: "Codabar", 72: "Standard93", 73: "Code128", 74: "Code128",
}


class BarcodeDrawError(ValueError):
    """Data that the symbology cannot encode."""


def _bars(group: Group, out: list[Rect]) -> list[Rect]:
    for shape in getattr(group, "contents", []):
        if isinstance(shape, Rect):
            fill = shape.fillColor
            if fill is not None and (fill.red, fill.green, fill.blue) != (1, 1, 1):
                out.append(shape)
        _bars(shape, out)
    return out


def barcode_image(symbology: str, data: str, module: int = 2, height: int = 80) -> Image.Image:
    """Bars of ``data`` in ``symbology`` (reportlab's name), ``module`` dots per narrow bar."""
    try:
        drawing = createBarcodeDrawing(symbology, value=data, barWidth=module, barHeight=height,
                                       humanReadable=False, quiet=False)
        bars = _bars(drawing.expandUserNodes(), [])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BarcodeDrawError(f"cannot draw {data!r} as {symbology}: {exc}") from exc
    width = max((int(round(b.x + b.width)) for b in bars), default=1)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for bar in bars:
        # reportlab's y axis points up; bars start at its origin, so only x matters here.
        x0 = int(round(bar.x))
        draw.rectangle((x0, 0, x0 + int(round(bar.width)) - 1, height - 1), fill=0)
    return image
