"""Receipts printed over real TCP to the virtual printer and proven from the bytes it decoded.

Each demo store's receipt goes out as ESC/POS built by python-escpos, the virtual printer
decodes and renders it, and we read back its jobs page: text, cut, drawer kick, and the QR as
an independent decoder (zxing-cpp) reads it from the rendered PNG.
"""

from __future__ import annotations

import socket

import pytest
import zxingcpp

from hardware.escpos_receipt import plan_text, receipt_job
from hardware.printers import ReceiptPrinter
from hardware.profiles import get_profile
from hardware.spool import SpoolJournal
from retail.receipt import PrintLine, ReceiptFormatter

DEMO_STORES = [
    pytest.param("es_ES", "TM-T20II", id="madrid-es_ES-EUR"),
    pytest.param("zh_CN", "XP-80C", id="shanghai-zh_CN-CNY"),
    pytest.param("ru_RU", "TM-T20II", id="moscow-ru_RU-RUB"),
    pytest.param("en_US", "TM-T88V", id="new-york-en_US-USD"),
]


def qr_texts(image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def only_job(printer_page) -> dict:
    # Printers that do not acknowledge (XP-80C) leave the job in flight when print returns.
    printer_page.printer.store.wait_for(lambda jobs: len(jobs) >= 1, timeout=10)
    jobs = printer_page.jobs()
    assert len(jobs) == 1, jobs
    return jobs[0]


@pytest.mark.parametrize(("locale", "profile_name"), DEMO_STORES)
def test_full_receipt_prints_in_the_store_language_and_reads_back(
    locale, profile_name, virtual_printer, printer_page, demo_receipt, cjk_font,
):
    receipt = demo_receipt(locale)
    profile = get_profile(profile_name)
    printer = ReceiptPrinter(f"{virtual_printer.url}?profile={profile_name}")

    outcome = printer.print_receipt(receipt, locale, job_id=f"sale-{locale}", open_drawer=True)

    assert outcome.sent and outcome.acknowledged
    job = only_job(printer_page)
    decoded_lines = set(job["text"].splitlines())
    plan = plan_text(receipt, locale, profile)
    assert plan.mode in ("code_page", "double_byte")
    for item in plan.items:
        if isinstance(item, PrintLine):
            assert item.text.rstrip() in decoded_lines, item.text

    fmt = ReceiptFormatter(locale, plan.currency_display)
    assert receipt.store.name in job["text"]
    for line in receipt.lines:
        assert line.description in job["text"]
        assert fmt.money(line.total) in job["text"]
    assert fmt.money(receipt.total) in job["text"]
    for tender in receipt.tenders:
        assert f"{fmt.labels[tender.method]}" in job["text"]
        assert fmt.money(tender.amount) in job["text"]
    if receipt.change.amount:
        assert fmt.money(receipt.change) in job["text"]

    assert job["job_id"] == f"sale-{locale}"
    assert job["cuts"] == 1
    assert job["drawer_kicks"] == ["1b 70 00 32 32"]
    assert job["qr_codes"] == [receipt.receipt_url]
    assert qr_texts(printer_page.image(job)) == [receipt.receipt_url]


def test_chinese_receipt_on_a_printer_without_chinese_arrives_as_a_raster(
    virtual_printer, printer_page, demo_receipt, cjk_font,
):
    receipt = demo_receipt("zh_CN")
    printer = ReceiptPrinter(f"{virtual_printer.url}?profile=TM-T20II")

    printer.print_receipt(receipt, "zh_CN", job_id="sale-zh-raster", open_drawer=True)

    job = only_job(printer_page)
    assert job["raster_images"] >= 1
    assert job["text"].strip() == ""  # no character of it went out as text
    assert job["cuts"] == 1
    assert job["drawer_kicks"] == ["1b 70 00 32 32"]
    # The QR is part of the picture; zxing-cpp reads it from the rendered page.
    assert qr_texts(printer_page.image(job)) == [receipt.receipt_url]


def test_ruble_sign_missing_from_code_pages_is_spelled_as_the_currency_code(demo_receipt):
    plan = plan_text(demo_receipt("ru_RU"), "ru_RU", get_profile("TM-T20II"))

    assert plan.mode == "code_page" and plan.encoding in ("CP866", "CP1251")
    assert plan.currency_display == "code"


def test_receipt_without_drawer_kick_opens_no_drawer(virtual_printer, printer_page,
                                                     demo_receipt):
    ReceiptPrinter(virtual_printer.url).print_receipt(demo_receipt("en_US"), "en_US",
                                                      job_id="card-sale")

    job = only_job(printer_page)
    assert job["drawer_kicks"] == []
    assert job["cuts"] == 1


def test_job_resent_with_the_same_id_prints_once(virtual_printer, printer_page, demo_receipt):
    receipt = demo_receipt("es_ES")
    journal = SpoolJournal()
    printer = ReceiptPrinter(virtual_printer.url, journal=journal)

    first = printer.print_receipt(receipt, "es_ES", job_id="sale-42", open_drawer=True)
    again = printer.print_receipt(receipt, "es_ES", job_id="sale-42", open_drawer=True)

    assert first.sent and not first.already_printed
    assert not again.sent and again.already_printed  # the journal stopped it on the till
    assert len(printer_page.jobs()) == 1


def test_job_resent_after_a_lost_acknowledgement_prints_once(virtual_printer, printer_page,
                                                             demo_receipt):
    # A till that crashed before journaling the acknowledgement sends the bytes again: the
    # printer recognises the job id and prints nothing, yet acknowledges it.
    data = receipt_job(demo_receipt("es_ES"), "es_ES", get_profile("TM-T20II"),
                       job_id="sale-43", open_drawer=True)
    for _ in range(3):
        with socket.create_connection(virtual_printer.address, timeout=10) as connection:
            connection.sendall(data)
            answer = connection.recv(4096)
            while b"DONE" not in answer:
                answer += connection.recv(4096)
    fresh_journal = ReceiptPrinter(virtual_printer.url, journal=SpoolJournal())
    outcome = fresh_journal.print_receipt(demo_receipt("es_ES"), "es_ES", job_id="sale-43",
                                          open_drawer=True)

    jobs = printer_page.jobs()
    assert outcome.acknowledged
    assert len(jobs) == 1
    assert jobs[0]["resends"] == 3
    assert jobs[0]["cuts"] == 1 and len(jobs[0]["drawer_kicks"]) == 1


def test_jobs_page_lists_each_job_with_its_image(virtual_printer, printer_page, demo_receipt):
    ReceiptPrinter(virtual_printer.url).print_receipt(demo_receipt("en_US"), "en_US",
                                                      job_id="page-1")

    page = printer_page.get("/").decode()
    job = only_job(printer_page)

    assert "page-1" in page and f"src='{job['image']}'" in page
    assert printer_page.get(job["image"]).startswith(b"\x89PNG")


def test_jobs_survive_a_restart_of_the_virtual_printer(tmp_path, demo_receipt):
    from hardware.virtual_printer import VirtualPrinter

    jobs_dir = tmp_path / "jobs"
    with VirtualPrinter(port=0, jobs_dir=jobs_dir) as first:
        ReceiptPrinter(first.url).print_receipt(demo_receipt("en_US"), "en_US", job_id="keep")
    with VirtualPrinter(port=0, jobs_dir=jobs_dir) as second:
        ReceiptPrinter(second.url).print_receipt(demo_receipt("en_US"), "en_US", job_id="keep")
        jobs = second.jobs

    assert [j.job_id for j in jobs] == ["keep"]
    assert jobs[0].resends == 1
