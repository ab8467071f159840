"""The virtual printer's decoder against bytes python-escpos writes, checked independently."""

from __future__ import annotations

import pytest
import zxingcpp
from escpos.printer import Dummy
from PIL import Image, ImageChops, ImageDraw

from hardware.escpos_decode import decode
from hardware.escpos_receipt import plan_text, receipt_job
from hardware.paper import Paper
from hardware.profiles import get_profile
from hardware.receipt_image import receipt_png
from retail.receipt import PrintQR

PROFILE = get_profile("TM-T20II")


def escpos() -> Dummy:
    return Dummy(profile="TM-T20II")


def test_text_styles_and_alignment_are_decoded():
    p = escpos()
    p.set(align="center", bold=True, double_height=True, double_width=True)
    p.text("BIG\n")
    p.set(align="right", bold=False, normal_textsize=True)
    p.text("right\n")

    job = decode(p.output, PROFILE)

    assert [(line.text, line.align, line.bold, line.size) for line in job.lines] == [
        ("BIG", "center", True, "large"), ("right", "right", False, "normal")]


def test_code_page_text_decodes_to_the_same_characters():
    p = escpos()
    p.magic.force_encoding("CP858")
    p.text("Cañas 2,50 € · Größe\n")
    p.magic.force_encoding("CP866")
    p.text("Итого 100,00\n")

    job = decode(p.output, PROFILE)

    assert job.text == "Cañas 2,50 € · Größe\nИтого 100,00"


@pytest.mark.parametrize(("kind", "data", "zxing_format"), [
    ("EAN13", "8412345678905", zxingcpp.BarcodeFormat.EAN13),
    ("CODE128", "MAD-01-000421", zxingcpp.BarcodeFormat.Code128),
])
def test_barcodes_are_decoded_and_drawn_so_a_scanner_reads_them(kind, data, zxing_format):
    p = escpos()
    p.set(align="center")
    p.barcode("{B" + data if kind == "CODE128" else data, kind, function_type="B")

    job = decode(p.output, PROFILE)
    read = zxingcpp.read_barcodes(job.paper.to_image(margin=20), formats=zxing_format)

    assert [b[1] for b in job.barcodes] == [data]
    assert [r.text for r in read] == [data]


def test_raster_image_round_trips_dot_for_dot():
    picture = Image.new("1", (64, 16), 1)
    ImageDraw.Draw(picture).rectangle((8, 4, 40, 10), fill=0)
    p = escpos()
    p.image(picture, impl="bitImageRaster")

    job = decode(p.output, PROFILE)
    paper = job.paper.to_image()

    assert job.raster_images == 1
    printed = paper.crop((0, 0, 64, 16)).convert("L")
    assert ImageChops.difference(printed, picture.convert("L")).getbbox() is None


def test_graphics_command_images_are_drawn_too():
    p = escpos()
    p.image(Image.new("1", (32, 8), 0), impl="graphics")

    assert decode(p.output, PROFILE).raster_images == 1


def test_native_qr_prints_what_was_stored():
    p = escpos()
    p.qr("https://plaza.example/o/PLZ-1", native=True, size=6)

    job = decode(p.output, PROFILE)
    read = zxingcpp.read_barcodes(job.paper.to_image(margin=10))

    assert job.qr_codes == ["https://plaza.example/o/PLZ-1"]
    assert [r.text for r in read] == ["https://plaza.example/o/PLZ-1"]


def test_commands_outside_our_subset_are_listed_not_printed():
    job = decode(b"\x1b@\x1d\x99hello\n\x1b(", PROFILE)

    assert job.text == "hello"
    assert job.unknown  # both the unknown GS command and the truncated tail


def test_long_lines_wrap_at_the_paper_width_like_a_printer():
    job = decode(b"x" * 50 + b"\n", PROFILE)

    assert [len(line.text) for line in job.lines] == [48, 2]


def test_printer_without_native_qr_or_cutter_gets_an_image_and_a_feed(demo_receipt):
    receipt = demo_receipt("en_US")
    profile = get_profile("POS-5890")

    job = decode(receipt_job(receipt, "en_US", profile, job_id="58mm"), profile)

    assert job.cuts == 0 and job.qr_codes == [] and job.raster_images == 1
    assert job.text.startswith("Plaza New York\nSoHo\n")  # 16 columns of large text
    read = zxingcpp.read_barcodes(job.paper.to_image(margin=10))
    assert [r.text for r in read] == [receipt.receipt_url]


def test_preview_png_has_the_same_layout_and_a_readable_qr(demo_receipt):
    receipt = demo_receipt("es_ES")
    image = receipt_png(receipt, "es_ES", PROFILE)

    assert image.width == PROFILE.width_dots + 16
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [receipt.receipt_url]


def test_chinese_preview_without_a_cjk_font_is_a_clear_error(monkeypatch, demo_receipt):
    import hardware.receipt_image as receipt_image
    from hardware.fonts import FontNotFound

    monkeypatch.setattr("hardware.fonts.find_cjk_font", lambda: None)

    with pytest.raises(FontNotFound, match="fonts-wqy-zenhei"):
        receipt_image.receipt_png(demo_receipt("zh_CN"), "zh_CN", PROFILE)
    receipt_image.receipt_png(demo_receipt("es_ES"), "es_ES", PROFILE)  # Latin still works


def test_chinese_on_a_western_printer_plans_a_raster(demo_receipt, cjk_font):
    plan = plan_text(demo_receipt("zh_CN"), "zh_CN", PROFILE)

    assert plan.mode == "raster"
    assert any(isinstance(item, PrintQR) for item in plan.items)


def test_paper_centres_and_right_aligns_by_character_cells():
    paper = Paper(576, 48)
    paper.text_line("ab", align="right")

    image = paper.to_image()
    assert image.getbbox() is None or image.point(lambda v: 255 - v).getbbox()[2] > 550
