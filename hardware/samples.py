"""Sample sales of the demo stores: the test print of a new printer, the docs previews, tests.

Run ``python -m hardware.samples docs/`` to redraw the receipt and label previews in docs/.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

PUBLIC_BASE_URL = "https://plaza.example"

# sale uuids are fixed so previews do not change between runs
DEMO_SALES: dict[str, dict[str, Any]] = {
    "es_ES": {
        "currency": "EUR", "tax_mode": "inclusive",
        "store": {"name": "Plaza Madrid Xanadu", "timezone": "Europe/Madrid",
                  "address": ["C.C. Madrid Xanadú, Av. del Sur s/n",
                              "28939 Arroyomolinos, Madrid"],
                  "tax_id": "B12345674"},
        "lines": [
            {"name": "Auriculares inalámbricos Xiaomi Buds 5", "unit_price": 4999,
             "tax_rate": "21"},
            {"name": "Cable USB-C 1 m", "unit_price": 699, "quantity": 3, "tax_rate": "21"},
            {"name": "Zumo de naranja natural 1 l", "unit_price": 289, "tax_rate": "10"},
        ],
        "discounts": [
            {"reason": "Apertura: 30% en auriculares", "amount": 1500, "line": 0},
            {"reason": "Cupón BIENVENIDA", "amount": 200},
        ],
        "tenders": [{"method": "cash", "amount": 5000}, {"method": "alipay_code",
                                                          "amount": 1000}],
        "sold_at": "2025-05-12T12:03:27+00:00", "cashier": "Lucía", "till": "MAD-XANADU-01",
        "sale_number": "MAD-01-000421",
        "receipt_url": f"{PUBLIC_BASE_URL}/r/6f1c9a52-3b7e-4a8e-9d0c-2f4b8a1e7c55",
    },
    "zh_CN": {
        "currency": "CNY", "tax_mode": "inclusive",
        "store": {"name": "盒马鲜生 上海金桥店", "timezone": "Asia/Shanghai",
                  "address": ["上海市浦东新区张杨路3611弄", "金桥国际商业广场1座B1"],
                  "tax_id": "91310115MA1H7XXX5K"},
        "lines": [
            {"name": "挪威三文鱼刺身", "unit_price": 26800, "weight_grams": 412,
             "tax_rate": "9"},
            {"name": "盒马鲜牛奶 950毫升", "unit_price": 1290, "quantity": 2, "tax_rate": "9"},
            {"name": "小米充电宝 10000毫安", "unit_price": 9900, "tax_rate": "13"},
        ],
        "discounts": [{"reason": "会员价 牛奶第二件半价", "amount": 645, "line": 1}],
        "tenders": [{"method": "alipay_qr", "amount": 22877}],
        "sold_at": "2025-05-12T02:41:09+00:00", "cashier": "王芳", "till": "SH-JQ-03",
        "sale_number": "SHJQ-03-001877",
        "receipt_url": f"{PUBLIC_BASE_URL}/r/0b8e2d47-91c3-4f6a-8a25-7d3e5c9b1f02",
    },
    "ru_RU": {
        "currency": "RUB", "tax_mode": "inclusive",
        "store": {"name": "Plaza Москва Авиапарк", "timezone": "Europe/Moscow",
                  "address": ["Ходынский бульвар, 4", "125167 Москва"],
                  "tax_id": "7701234567"},
        "lines": [
            {"name": "Смартфон Redmi Note 14 8/256", "unit_price": 2399000, "tax_rate": "20"},
            {"name": "Защитное стекло", "unit_price": 99000, "tax_rate": "20"},
            {"name": "Яблоки Гренни Смит", "unit_price": 18990, "weight_grams": 1275,
             "tax_rate": "10"},
        ],
        "discounts": [{"reason": "Скидка на стекло при покупке смартфона", "amount": 29700,
                       "line": 1}],
        "tenders": [{"method": "card", "amount": 2000000}, {"method": "cash",
                                                            "amount": 500000}],
        "sold_at": "2025-05-12T15:20:00+00:00", "cashier": "Ирина", "till": "MSK-AVIA-02",
        "sale_number": "MSK-02-000093",
        "receipt_url": f"{PUBLIC_BASE_URL}/r/c4a7e1d9-5b2f-4e88-b3a6-19f0d2c8e7a4",
    },
    "en_US": {
        "currency": "USD", "tax_mode": "exclusive",
        "store": {"name": "Plaza New York SoHo", "timezone": "America/New_York",
                  "address": ["512 Broadway", "New York, NY 10012"], "tax_id": "12-3456789"},
        "lines": [
            {"name": "Anker USB-C charger 65W", "unit_price": 3999, "tax_rate": "8.875"},
            {"name": "Honeycrisp apples", "unit_price": 661, "weight_grams": 850,
             "tax_rate": "0"},
            {"name": "AA batteries 8-pack", "unit_price": 899, "quantity": 2,
             "tax_rate": "8.875"},
        ],
        "discounts": [{"reason": "Buy 2 batteries, save $2", "amount": 200, "line": 2}],
        "tenders": [{"method": "cash", "amount": 8000}],
        "sold_at": "2025-05-12T22:15:00+00:00", "cashier": "Mike", "till": "NYC-SOHO-01",
        "sale_number": "NYC-01-000007",
        "receipt_url": f"{PUBLIC_BASE_URL}/r/9d3f6b1a-2c4e-4d7f-8e1b-5a6c7d8e9f01",
    },
}

# Shelf labels of a few demo SKUs (plain data, as the catalogue would hand it over).
DEMO_LABELS: list[dict[str, Any]] = [
    {"name": "Auriculares inalámbricos Xiaomi Buds 5", "gtin": "8412345678905",
     "price": 4999, "currency": "EUR", "locale": "es_ES"},
    {"name": "Cable USB-C 1 m", "gtin": "8437000123453", "price": 699, "currency": "EUR",
     "locale": "es_ES"},
    {"name": "Naranjas de Valencia", "gtin": "8480000101013", "price": 249,
     "currency": "EUR", "locale": "es_ES", "sold_by_weight": True},
    {"name": "Salmón noruego filete", "gtin": "8480000555557", "price": 2290,
     "currency": "EUR", "locale": "es_ES", "sold_by_weight": True},
]


def demo_sale(locale: str) -> dict[str, Any]:
    """A deep copy of a demo store's sample sale, safe to modify."""
    return copy.deepcopy(DEMO_SALES[locale])


def write_previews(directory: Path) -> list[Path]:
    """Draw the Spanish and Chinese receipts and a label sheet into ``directory``."""
    from PIL import ImageOps

    from hardware.labels import label_sheet_pdf, render_pdf_page
    from hardware.profiles import get_profile
    from hardware.receipt_image import receipt_png
    from retail.receipt import receipt_from_sale

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    profile = get_profile("TM-T20II")
    for locale, name in (("es_ES", "receipt-es.png"), ("zh_CN", "receipt-zh.png")):
        image = receipt_png(receipt_from_sale(demo_sale(locale)), locale, profile)
        image.save(directory / name, optimize=True)
        written.append(directory / name)
    pdf = label_sheet_pdf(DEMO_LABELS, PUBLIC_BASE_URL)
    page = render_pdf_page(pdf, dpi=150)
    used = ImageOps.invert(page.convert("L")).getbbox() or (0, 0, page.width, page.height)
    box = (max(used[0] - 12, 0), max(used[1] - 12, 0), min(used[2] + 12, page.width),
           min(used[3] + 12, page.height))
    page.crop(box).save(directory / "labels.png", optimize=True)
    written.append(directory / "labels.png")
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Redraw the receipt and label previews.")
    parser.add_argument("directory", type=Path, nargs="?", default=Path("docs"))
    for path in write_previews(parser.parse_args(argv).directory):
        print(path)


if __name__ == "__main__":
    main()
