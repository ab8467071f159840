"""Shelf-label sheets: what the phone and the till scanner read off the printed page."""

from __future__ import annotations

import pytest
import zxingcpp

from hardware.labels import LabelError, ShelfLabel, label_sheet_pdf, render_pdf_page
from hardware.samples import DEMO_LABELS, PUBLIC_BASE_URL
from retail.gs1 import digital_link

CHINESE_AND_RUSSIAN = [
    {"name": "挪威三文鱼刺身", "gtin": "6901234567892", "price": 26800, "currency": "CNY",
     "locale": "zh_CN", "sold_by_weight": True},
    {"name": "Молоко 3,2% 930 мл", "gtin": "4601234567893", "price": 8990, "currency": "RUB",
     "locale": "ru_RU", "net_grams": 930},
]


def read_codes(pdf: bytes, page: int = 0) -> list[tuple[str, str]]:
    image = render_pdf_page(pdf, page=page, dpi=200)
    return [(r.format.name, r.text) for r in zxingcpp.read_barcodes(image)]


def test_every_label_carries_a_digital_link_qr_and_its_ean13(cjk_font):
    labels = DEMO_LABELS + CHINESE_AND_RUSSIAN

    codes = read_codes(label_sheet_pdf(labels, PUBLIC_BASE_URL))

    for label in labels:
        assert ("QRCode", digital_link(PUBLIC_BASE_URL, label["gtin"])) in codes
        assert ("EAN13", label["gtin"]) in codes
    assert len(codes) == 2 * len(labels)


def test_a_sheet_holds_21_labels_and_more_go_on_the_next_page():
    many = [dict(DEMO_LABELS[0], gtin=f"84123456{i:04d}") for i in range(22)]
    for label in many:
        label["gtin"] += str(_check_digit(label["gtin"]))

    pdf = label_sheet_pdf(many, PUBLIC_BASE_URL)

    second_page = read_codes(pdf, page=1)
    assert ("EAN13", many[21]["gtin"]) in second_page and len(second_page) == 2


def _check_digit(body: str) -> int:
    from retail.gs1 import gs1_check_digit

    return gs1_check_digit(body)


def test_weighed_goods_show_the_price_per_kg_and_packs_their_unit_price():
    weighed = ShelfLabel.from_data(DEMO_LABELS[2])
    pack = ShelfLabel.from_data(CHINESE_AND_RUSSIAN[1])

    assert weighed.price_text() == "2,49 €/kg" and weighed.unit_price_text() is None
    assert pack.price_text() == "89,90 ₽" and pack.unit_price_text() == "96,67 ₽/кг"  # Russian unit


@pytest.mark.parametrize("bad", [
    {"name": "x", "gtin": "8412345678906", "price": 100, "currency": "EUR"},
    {"name": "x", "gtin": "8412345678905", "price": 1.5, "currency": "EUR"},
    {"gtin": "8412345678905", "price": 100, "currency": "EUR"},
])
def test_bad_label_data_is_refused_with_a_reason(bad):
    with pytest.raises(LabelError):
        label_sheet_pdf([bad], PUBLIC_BASE_URL)
