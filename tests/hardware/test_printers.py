"""Printers named by URL, the spool journal, and what reaches a printer that is away."""

from __future__ import annotations

import re
import socket

import pytest

from hardware.escpos_decode import decode
from hardware.escpos_receipt import DRAWER_KICK, receipt_job
from hardware.jobs import InvalidJobId, job_header, job_id_from_process_ids
from hardware.printers import (
    PrinterError,
    PrinterURLError,
    ReceiptPrinter,
    open_drawer,
    parse_printer_url,
)
from hardware.profiles import UnknownProfile, get_profile
from hardware.samples import demo_sale
from hardware.spool import PENDING, PRINTED, SpoolJournal
from hardware.virtual_printer import VirtualPrinter
from retail.receipt import ReceiptFormatter, receipt_from_sale


@pytest.mark.parametrize(("url", "scheme", "location", "options"), [
    ("tcp://10.0.0.20:9100", "tcp", "10.0.0.20:9100", {}),
    ("tcp://printer.local", "tcp", "printer.local", {}),
    ("usb://04b8:0e15?profile=TM-T20II", "usb", "04b8:0e15", {"profile": "TM-T20II"}),
    ("serial:///dev/ttyUSB0?baudrate=19200", "serial", "/dev/ttyUSB0", {"baudrate": "19200"}),
    ("file:///dev/usb/lp0", "file", "/dev/usb/lp0", {}),
    ("cups://Receipts", "cups", "Receipts", {}),
    ("dummy:", "dummy", "", {}),
])
def test_printer_urls_name_the_connection(url, scheme, location, options):
    target = parse_printer_url(url)

    assert (target.scheme, target.location, target.options) == (scheme, location, options)


@pytest.mark.parametrize("url", ["lpt://1", "usb://epson", "tcp://host:port", "file://",
                                 "9100"])
def test_bad_printer_urls_are_refused_with_the_reason(url):
    with pytest.raises(PrinterURLError):
        parse_printer_url(url)


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(UnknownProfile, match="TM-T20II"):
        get_profile("Acme-9000")


def test_profiles_know_paper_width_code_pages_qr_and_cutter():
    epson, clone, chinese = get_profile("TM-T20II"), get_profile("POS-5890"), get_profile("XP-80C")

    assert (epson.width_dots, epson.columns, epson.native_qr, epson.cutter) == (576, 48, True, True)
    assert "CP858" in epson.usable_code_pages and "CP866" in epson.usable_code_pages
    assert (clone.width_dots, clone.native_qr, clone.cutter) == (384, False, False)
    assert chinese.double_byte == "GB18030" and epson.double_byte is None


@pytest.mark.parametrize(("locale", "currency", "name", "page"), [
    ("en_GB", "GBP", "Tea, 80 bags", 0),  # "£" is in CP437: ESC t 0
    ("ru_RU", "RUB", "Чай чёрный", 17),  # Cyrillic: CP866 is ESC t 17
])
def test_a_58_mm_clone_selects_code_pages_by_numbers_epson_printers_read_the_same(
        demo_receipt, locale, currency, name, page):
    sale = demo_sale("en_US")
    sale.update(currency=currency, tax_mode="inclusive", receipt_url=None)
    sale["lines"] = [{"name": name, "unit_price": 250, "tax_rate": "20"}]
    sale["discounts"], sale["tenders"] = [], [{"method": "cash", "amount": 500}]
    receipt = receipt_from_sale(sale)
    clone = get_profile("POS-5890")

    job = receipt_job(receipt, locale, clone, job_id="gb-1")

    assert re.findall(rb"\x1bt(.)", job) == [bytes([page])]
    # A clone that numbers code pages as Epson does prints what an Epson would.
    as_epson = decode(job, get_profile("TM-T20II"), render=False).text
    fmt = ReceiptFormatter(locale, "code" if currency == "RUB" else "symbol")
    assert name in as_epson and fmt.money(receipt.total) in as_epson


def test_dummy_printer_keeps_the_bytes(demo_receipt):
    printer = ReceiptPrinter("dummy:?profile=TM-T88V")

    printer.print_receipt(demo_receipt("en_US"), "en_US", job_id="d-1", open_drawer=True)

    data = printer.last_connection.output
    assert data.startswith(b"\x1b@" + job_header("d-1"))
    assert data.count(DRAWER_KICK) == 1


def test_file_printer_writes_the_job_to_the_device_file(tmp_path, demo_receipt):
    device = tmp_path / "lp0"
    device.touch()

    ReceiptPrinter(f"file://{device}").print_receipt(demo_receipt("es_ES"), "es_ES",
                                                      job_id="f-1")

    job = decode(device.read_bytes(), get_profile("TM-T20II"), render=False)
    assert job.job_id == "f-1" and "Plaza Madrid Xanadu" in job.text


def test_drawer_opens_without_printing(virtual_printer):
    outcome = open_drawer(virtual_printer.url, job_id="no-sale-1")

    virtual_printer.store.wait_for(lambda jobs: len(jobs) == 1, timeout=5)
    job = virtual_printer.jobs[0].as_dict()
    assert outcome.acknowledged
    assert job["drawer_kicks"] == ["1b 70 00 32 32"]
    assert job["cuts"] == 0 and job["text"] == ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_job_for_an_unreachable_printer_stays_pending_and_prints_once_on_retry(
    tmp_path, demo_receipt,
):
    port = _free_port()
    journal = SpoolJournal(tmp_path / "spool.sqlite3")
    printer = ReceiptPrinter(f"tcp://127.0.0.1:{port}", journal=journal, ack_timeout=2)

    with pytest.raises(PrinterError, match="unavailable"):
        printer.print_receipt(demo_receipt("es_ES"), "es_ES", job_id="offline-1")
    assert [j.job_id for j in journal.pending()] == ["offline-1"]
    assert journal.get("offline-1").state == PENDING

    with VirtualPrinter(port=port) as came_back:
        outcomes = printer.retry_pending()
        assert printer.retry_pending() == []
        assert [j.job_id for j in came_back.jobs] == ["offline-1"]
    assert [o.job_id for o in outcomes] == ["offline-1"]
    assert journal.get("offline-1").state == PRINTED


def test_journal_on_disk_remembers_printed_jobs_across_restarts(tmp_path, virtual_printer,
                                                                demo_receipt):
    path = tmp_path / "spool.sqlite3"
    ReceiptPrinter(virtual_printer.url, journal=SpoolJournal(path)).print_receipt(
        demo_receipt("en_US"), "en_US", job_id="r-1")

    again = ReceiptPrinter(virtual_printer.url, journal=SpoolJournal(path)).print_receipt(
        demo_receipt("en_US"), "en_US", job_id="r-1")

    assert again.already_printed and not again.sent


@pytest.mark.parametrize("job_id", ["", "has space", "{brace}", "x" * 65, "ñ"])
def test_job_ids_must_fit_in_process_id_commands(job_id):
    with pytest.raises(InvalidJobId):
        job_header(job_id)


def test_job_id_travels_in_process_id_commands_and_back():
    header = job_header("sale-6f1c9a52:receipt:2")
    job = decode(b"\x1b@" + header + b"hello\n", get_profile("TM-T20II"), render=False)

    assert job.job_id == "sale-6f1c9a52:receipt:2"
    assert job_id_from_process_ids(["DONE"]) is None
    assert job.text == "hello"
