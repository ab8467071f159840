"""The till's paper with real processes: receipts owed when the till dies are printed once
after it restarts (the original when it never reached the printer, a marked copy when it may
have), a printer that comes back gets what it missed, and a product name full of printer
commands prints as text on the receipt and the customer display."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from hardware.spool import PENDING, REPLACED, SpoolJournal
from hardware.virtual_printer import VirtualPrinter
from pos_client.printing import TillPrinter, copy_banner, return_items
from pos_client.replica import StoreFacts
from retail.gs1 import with_check_digit
from tests.pos_client.conftest import Plaza, TillProcess, free_port, printed, wait_until

DRAWER_KICK = "1b 70 00 32 32"


class BlackHolePrinter:
    """A printer that takes every byte and never answers: the till cannot know what printed."""

    def __init__(self, port: int) -> None:
        self.received = b""
        self._server = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self._server.settimeout(0.2)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        clients = []
        while not self._stopping.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            client.settimeout(0.2)
            clients.append(client)
            while not self._stopping.is_set():
                try:
                    chunk = client.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    break
                self.received += chunk
        for client in clients:
            client.close()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        self._server.close()


def _an_item(plaza: Plaza) -> str:
    [(gtin,)] = plaza.sql("SELECT g.gtin FROM gtin g JOIN sku s ON s.id = g.sku_id JOIN product p ON "
                          "p.id = s.product_id WHERE p.category LIKE 'electronics/audio%' "
                          "ORDER BY g.gtin LIMIT 1")
    return gtin[1:]


def _till(till_factory: Any, name: str, printer_url: str) -> TillProcess:
    till: TillProcess = till_factory(name, "--printer", printer_url, "--sync-interval", "0.2",
                                     "--max-backoff", "0.5")
    wait_until(lambda: (s := till.status())["online"] and s["catalogue_ready"], what="the first sync")
    return till


def _cash_sale(till: TillProcess, ean: str) -> dict[str, Any]:
    sale = till.post("/api/sale/scan", {"code": ean})
    till.post("/api/sale/cash", {"tendered": sale["total"] + 1000})
    return till.post("/api/sale/complete")


def printer_jobs(printer: VirtualPrinter) -> list[dict[str, Any]]:
    return [job.as_dict() for job in printer.jobs]


@pytest.fixture
def printer_port(tmp_path: Path) -> tuple[int, Path]:
    """A port for a printer not switched on yet, and the folder where it will keep its jobs."""
    return free_port(), tmp_path / "printer-jobs"


def test_a_till_killed_before_its_receipt_printed_prints_it_once_after_restart(
        server_up: Plaza, till_factory: Any, printer_port: tuple[int, Path]) -> None:
    port, jobs_dir = printer_port
    # The printer is not switched on yet: nothing listens on its port.
    till = _till(till_factory, "till-crash-before", f"tcp://127.0.0.1:{port}")
    till.start_shift()  # the float goes in: a drawer kick the printer owes too
    done = _cash_sale(till, _an_item(server_up))
    wait_until(lambda: till.status()["print_waiting"] == 2, what="both jobs to wait for the printer")
    assert till.status()["printer"].startswith("not printed")

    till.kill()  # the till dies with its receipt unprinted
    with VirtualPrinter(port=port, jobs_dir=jobs_dir) as printer:
        till.start()
        jobs = printed(printer, 2)
        wait_until(lambda: till.status()["print_waiting"] == 0, what="the journal to empty")

        kick, receipt = jobs
        assert kick["job_id"].startswith("drawer-") and kick["drawer_kicks"] == [DRAWER_KICK]
        assert receipt["job_id"] == done["uuid"]  # the original, with the change's drawer kick
        assert receipt["drawer_kicks"] == [DRAWER_KICK] and receipt["cuts"] == 1
        assert receipt["qr_codes"] == [f"{server_up.url}/r/{done['uuid']}"]
        assert "COPIA" not in receipt["text"] and "Cambio" in receipt["text"]
        assert [job["resends"] for job in printer_jobs(printer)] == [0, 0]  # sent once each
        assert len(printer.jobs) == 2


def test_a_receipt_that_may_have_printed_comes_back_as_a_marked_copy(
        server_up: Plaza, till_factory: Any, printer_port: tuple[int, Path]) -> None:
    port, jobs_dir = printer_port
    with VirtualPrinter(port=port, jobs_dir=jobs_dir) as printer:
        till = _till(till_factory, "till-crash-during", f"tcp://127.0.0.1:{port}")
        till.start_shift()
        printed(printer, 1)  # the float's drawer kick
    # The printer now takes the receipt's bytes and never says it printed them.
    black_hole = BlackHolePrinter(port)
    try:
        done = _cash_sale(till, _an_item(server_up))
        wait_until(lambda: b"DONE" in black_hole.received, what="the receipt's bytes to leave the till")
        till.kill()
    finally:
        black_hole.stop()

    with VirtualPrinter(port=port, jobs_dir=jobs_dir) as printer:
        till.start()
        jobs = printed(printer, 2)
        wait_until(lambda: till.status()["print_waiting"] == 0, what="the journal to empty")

        copy = jobs[1]
        assert copy["job_id"].startswith(f"copy-{done['uuid']}-")
        assert "*** COPIA ***" in copy["text"] and "Cambio" in copy["text"]
        assert copy["drawer_kicks"] == []  # the first may have opened the drawer already
        assert copy["qr_codes"] == [f"{server_up.url}/r/{done['uuid']}"]
        assert len(printer.jobs) == 2 and copy["resends"] == 0


def test_a_printer_that_comes_back_gets_what_it_missed_in_order(tmp_path: Path) -> None:
    port = free_port()
    till_printer = TillPrinter(f"tcp://127.0.0.1:{port}", tmp_path / "spool.sqlite3")
    try:
        till_printer.kick_drawer("drawer-1")
        till_printer.document(lambda columns, display: copy_banner("es_ES", columns),
                              job_id="z-1", locale="es_ES")
        wait_until(lambda: till_printer.outcomes["drawer-1"].startswith("not printed"),
                   what="the first try")
        assert till_printer.waiting() == 2

        with VirtualPrinter(port=port) as printer:
            jobs = printed(printer, 2)
            wait_until(lambda: till_printer.waiting() == 0, what="the retries")
        assert [job["job_id"] for job in jobs] == ["drawer-1", "z-1"]
        assert till_printer.outcomes == {"drawer-1": "printed", "z-1": "printed"}
    finally:
        till_printer.stop()


def test_a_copy_is_sent_once_even_if_it_may_have_printed_itself(tmp_path: Path) -> None:
    """A job and its copy may both have reached a printer that never answered: the journal keeps
    them as such and nothing more is sent, however often the till restarts."""
    spool = tmp_path / "spool.sqlite3"
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    till_printer = TillPrinter(url, spool)
    till_printer.printer.ack_timeout = 0.5
    black_hole = BlackHolePrinter(port)
    try:
        till_printer.document(lambda columns, display: copy_banner("es_ES", columns)[1:],
                              job_id="z-2", locale="es_ES")
        journal = SpoolJournal(spool)
        wait_until(lambda: (job := journal.get("z-2")) is not None and job.state == REPLACED,
                   what="the copy to replace the original")
        copy_id = journal.get("z-2").replaced_by  # type: ignore[union-attr]
        wait_until(lambda: journal.get(copy_id).state not in (PENDING,), what="the copy's try")
    finally:
        till_printer.stop()
        black_hole.stop()
    assert journal.get(copy_id).state == "unconfirmed"  # type: ignore[union-attr]
    assert journal.pending() == []
    assert black_hole.received.count(b"{z-2") == 1 and black_hole.received.count(b"{cop") == 1


# -- text from the database ------------------------------------------------------------------

HOSTILE = "Leche\x1bp\x00\x32\x32 entera\x1dV\x00\u2029UHT\x85 1 l"  # ESC p (drawer), GS V (cut)
SHOWN = "Lechep22 enteraV UHT  1 l"


def test_a_product_named_with_printer_commands_prints_and_shows_as_text(
        server_up: Plaza, till_factory: Any, virtual_printer: Any) -> None:
    gtin = with_check_digit("400000777001")
    response = server_up.api("POST", "/products", json={
        "code": "HOSTILE-MILK", "brand": "Granja", "category": "grocery/dairy",
        "names": {"es": HOSTILE, "en": HOSTILE}, "skus": [{"code": "HOSTILE-MILK", "gtins": [gtin]}]})
    assert response.status_code in (200, 201), response.text
    response = server_up.api("POST", "/price-lists/EU-EUR/prices",
                             json={"prices": [{"sku": "HOSTILE-MILK", "amount": 119}]})
    assert response.status_code in (200, 201), response.text
    till = _till(till_factory, "till-hostile", virtual_printer.url)
    till.start_shift()
    wait_until(lambda: till.get(f"/api/lookup?code={gtin}")["item"], what="the product to sync")

    till.post("/api/sale/scan", {"code": gtin})
    display = till.get("/api/display")
    till.post("/api/sale/tenders", {"kind": "card", "amount": 119})
    done = till.post("/api/sale/complete")

    assert [line["name"] for line in display["lines"]] == [SHOWN]
    [receipt] = [job for job in printed(virtual_printer, 2) if job["job_id"] == done["uuid"]]
    assert receipt["drawer_kicks"] == [] and receipt["cuts"] == 1  # a card sale: no kick
    assert receipt["unknown_commands"] == []
    assert SHOWN in receipt["text"]


def test_till_documents_lay_out_a_hostile_reason_as_the_clean_one() -> None:
    store = StoreFacts(code="MAD-XANADU", name="Plaza", country="ES", currency="EUR", locale="es_ES",
                       timezone="Europe/Madrid", price_list="EU-EUR", document={})
    body = {"currency": "EUR", "total": 119, "refunds": [{"kind": "cash", "amount": 119}],
            "cashier": "ana", "occurred_at": "2025-05-12T12:00:00+00:00"}

    def slip(reason: str, name: str) -> list[str]:
        detail = {"sale_number": "ABC", "lines": [{"quantity": 1, "sold_by": "unit", "name": name,
                                                   "refund": 119}]}
        return [item.text for item in return_items({**body, "reason": reason}, detail, store, "T1", 32)]

    assert slip("Caja\x1bp\x00\x32\x32 rota\u2029", HOSTILE) == slip("Cajap22 rota ", SHOWN)
