"""QR codes: the product QR (a GS1 Digital Link on our public host) and QR images for paper."""

from __future__ import annotations

import qrcode
import qrcode.constants
from PIL import Image

from retail.gs1 import digital_link


def product_qr_payload(public_base_url: str, gtin: str) -> str:
    """What a SKU's QR says: its GS1 Digital Link URI, which a till resolves to the SKU and a
    phone opens as the product page."""
    return digital_link(public_base_url, gtin)


def qr_matrix(data: str, error_correction: str = "M") -> list[list[bool]]:
    """The QR modules (True = dark), without a quiet zone."""
    levels = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
              "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}
    code = qrcode.QRCode(error_correction=levels[error_correction], border=0)
    code.add_data(data)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def qr_image(data: str, module: int = 6, quiet_zone: int = 2,
             error_correction: str = "M") -> Image.Image:
    """A black-on-white QR as a greyscale image, ``module`` dots per module."""
    matrix = qr_matrix(data, error_correction)
    size = (len(matrix) + 2 * quiet_zone) * module
    image = Image.new("L", (size, size), 255)
    pixels = Image.new("L", (module, module), 0)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                image.paste(pixels, ((x + quiet_zone) * module, (y + quiet_zone) * module))
    return image


def qr_svg(data: str, quiet_zone: int = 4, error_correction: str = "M") -> str:
    """A black-on-white QR as an inline SVG (one path; scales to any size on a phone's page)."""
    matrix = qr_matrix(data, error_correction)
    size = len(matrix) + 2 * quiet_zone
    path = "".join(f"M{x + quiet_zone},{y + quiet_zone}h1v1h-1z"
                   for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
            f'shape-rendering="crispEdges"><rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path d="{path}" fill="#000"/></svg>')
