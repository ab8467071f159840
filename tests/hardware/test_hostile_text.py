"""Text from the database cannot drive a device: receipts, till documents, labels and the pole
display print a name full of control characters exactly as they print the clean name.

A product name is anything a back-office user typed. ``ESC p`` inside it would kick the drawer
on a card sale, ``GS V`` would cut the paper mid-receipt, and a paragraph separator used to stop
the receipt from printing at all. The jobs are compared byte for byte with the clean name's,
and decoded with the virtual printer's decoder.
"""

from __future__ import annotations

import copy

import pytest

from hardware.customer_display import PoleDisplay
from hardware.escpos_decode import decode
from hardware.escpos_receipt import receipt_job
from hardware.labels import ShelfLabel, label_sheet_pdf
from hardware.printers import ReceiptPrinter
from hardware.profiles import get_profile
from hardware.samples import PUBLIC_BASE_URL, demo_sale
from hardware.spool import SpoolJournal
from retail.money import Money
from retail.receipt import printable, receipt_from_sale, render_receipt

# Every C0 and C1 control and DEL, removed; line breaks, separators and odd spaces, a space.
REMOVED = [chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))
           if chr(c) not in "\t\n\x0b\x0c\r\x85"]
SPACED = ["\t", "\n", "\x0b", "\x0c", "\r", "\x85", "\u2028", "\u2029", "\u00a0", "\u202f",
          "\u3000"]
INVISIBLE = ["\u202e", "\u200d", "\ufeff", "\u00ad", "\ud800", "\ue000"]  # bidi, ZWJ, BOM, ...
# What an attacker would type: a drawer kick, a full cut, a real-time command, a code page swap.
COMMANDS = ["\x1bp\x00\x19\xfa", "\x1dV\x00", "\x10\x14\x01\x00\x05", "\x1bt\x11"]

# Stores, printers and the way each prints its text (code page, Chinese font, raster).
PRINTERS = [("es_ES", "TM-T20II"), ("ru_RU", "POS-5890"), ("zh_CN", "XP-80C"),
            ("zh_CN", "TM-T88V")]


def sale_named(locale: str, name: str) -> dict:
    sale = copy.deepcopy(demo_sale(locale))
    sale["lines"][0]["name"] = name
    sale["tenders"] = [{"method": "card", "amount": receipt_from_sale(sale).total.amount}]
    return sale


def job_for(locale: str, profile_name: str, name: str) -> bytes:
    return receipt_job(receipt_from_sale(sale_named(locale, name)), locale, get_profile(profile_name),
                       job_id="sale-1")


@pytest.mark.parametrize("char", REMOVED + INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_a_control_character_in_a_name_is_dropped_from_the_job(char):
    assert job_for("es_ES", "TM-T20II", f"Leche{char} entera") == job_for("es_ES", "TM-T20II",
                                                                         "Leche entera")


@pytest.mark.parametrize("char", SPACED, ids=lambda c: f"U+{ord(c):04X}")
def test_a_separator_in_a_name_prints_as_a_space(char):
    assert job_for("es_ES", "TM-T20II", f"Leche{char}entera") == job_for("es_ES", "TM-T20II",
                                                                        "Leche entera")


@pytest.mark.parametrize(("locale", "profile_name"), PRINTERS)
@pytest.mark.parametrize("command", COMMANDS, ids=["drawer-kick", "cut", "real-time", "code-page"])
def test_printer_commands_in_a_name_print_as_text_on_every_kind_of_printer(locale, profile_name,
                                                                           command, cjk_font):
    visible = printable(command)  # the letters and digits of the command stay as text
    dirty = job_for(locale, profile_name, f"Oferta{command}\u2029{command}")
    clean = job_for(locale, profile_name, f"Oferta{visible} {visible}")

    assert dirty == clean
    profile = get_profile(profile_name)
    job = decode(dirty, profile)
    assert job.drawer_kicks == []  # a card sale: no kick
    assert job.cuts == (1 if profile.cutter else 0) and job.unknown == []  # one cut, at the end


def test_store_texts_cashier_and_discount_reasons_are_cleaned_too():
    sale = sale_named("es_ES", "Leche entera")
    hostile = copy.deepcopy(sale)
    hostile["store"]["name"] += "\x1bp\x00\x19\xfa"
    hostile["store"]["address"] = [a + "\u2028" for a in hostile["store"]["address"]]
    hostile["cashier"] = "Lucía\x1dV\x00"
    hostile["discounts"][0]["reason"] += "\x85"
    hostile["discounts"][1]["reason"] += "\x1b@"
    profile = get_profile("TM-T20II")

    dirty = receipt_job(receipt_from_sale(hostile), "es_ES", profile, job_id="s")
    clean = receipt_from_sale(sale)
    expected = [printable(t) for t in (hostile["store"]["name"], hostile["cashier"])]

    job = decode(dirty, profile)
    assert job.drawer_kicks == [] and job.cuts == 1 and job.unknown == []
    assert all(text in job.text for text in expected)
    assert len(render_receipt(receipt_from_sale(hostile), "es_ES", profile.columns)) == len(
        render_receipt(clean, "es_ES", profile.columns))


def test_a_hostile_name_reaches_the_virtual_printer_as_text(virtual_printer, printer_page):
    printer = ReceiptPrinter(virtual_printer.url, journal=SpoolJournal())
    receipt = receipt_from_sale(sale_named("es_ES", "Leche\x1bp\x00\x32\x32\x1dV\x00 entera\u2029UHT"))

    outcome = printer.print_receipt(receipt, "es_ES", job_id="sale-hostile")

    assert outcome.acknowledged
    [job] = printer_page.jobs()
    assert job["drawer_kicks"] == [] and job["cuts"] == 1 and job["unknown_commands"] == []
    assert "Lechep22V entera UHT" in job["text"]


def test_a_label_name_is_cleaned_before_it_is_drawn():
    label = ShelfLabel.from_data({"name": "Leche\x1b\x00 entera\u2029UHT\u202e", "gtin": "8412345678905",
                                  "price": 119, "currency": "EUR", "locale": "es_ES"})

    assert label.name == "Leche entera UHT"
    assert label_sheet_pdf([label], PUBLIC_BASE_URL).startswith(b"%PDF")


def test_the_pole_display_gets_only_text():
    def shown(name: str) -> bytes:
        display = PoleDisplay("loop://")
        try:
            display.show_item(name, Money(119, "EUR"), Money(119, "EUR"), "es_ES")
            return display.port.read(display.port.in_waiting)
        finally:
            display.close()

    assert shown("Leche\x1b@\x0c\x1f$\x01\x01 entera\u2029") == shown("Leche@ $ entera ")
