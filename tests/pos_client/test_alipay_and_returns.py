"""Alipay at the till through the server and the sandbox wallet (a QR on the customer display,
a payment code scanned), split with cash; and returns from the receipt QR that refund the
original tenders, online and offline, with stock back exactly once."""

from __future__ import annotations

import io
import signal
from typing import Any

import requests
import zxingcpp
from PIL import Image

from tests.pos_client.conftest import WALLET_CODE_PAYS_NOW, Plaza, TillProcess, printed, wait_until


def _till_on_shift(till_factory: Any, name: str, *extra: str) -> TillProcess:
    till: TillProcess = till_factory(name, "--sync-interval", "0.2", "--max-backoff", "0.5", *extra)
    wait_until(lambda: (s := till.status())["online"] and s["catalogue_ready"], what="the first sync")
    till.start_shift()
    return till


def _item(plaza: Plaza, category: str) -> tuple[str, str]:
    [(sku, gtin)] = plaza.sql("SELECT s.code, g.gtin FROM gtin g JOIN sku s ON s.id = g.sku_id "
                              "JOIN product p ON p.id = s.product_id WHERE p.category LIKE ? "
                              "ORDER BY g.gtin LIMIT 1", category + "%")
    return sku, gtin[1:]


def _synced(till: TillProcess) -> None:
    wait_until(lambda: (s := till.status())["waiting"] == 0 and s["documents_waiting"] == 0, 30,
               what="the till's sales and returns to reach the server")


def test_split_cash_and_alipay_qr_then_returns_refund_the_original_tenders(
        server_up: Plaza, till_factory: Any, virtual_printer: Any) -> None:
    till = _till_on_shift(till_factory, "till-alipay", "--printer", virtual_printer.url)
    audio, audio_ean = _item(server_up, "electronics/audio")
    phone, phone_ean = _item(server_up, "electronics/phones")
    stock = {audio: server_up.on_hand(audio), phone: server_up.on_hand(phone)}
    till.post("/api/sale/scan", {"code": audio_ean})
    till.post("/api/sale/scan", {"code": audio_ean})
    sale = till.post("/api/sale/scan", {"code": phone_ean})
    total = sale["total"]

    wallet = 1500  # the shopper pays most in cash and the rest with Alipay
    till.post("/api/sale/cash", {"tendered": total - wallet + 50, "amount": total - wallet})
    paying = till.post("/api/sale/alipay", {"method": "qr"})
    assert (paying["status"], paying["amount"]) == ("waiting_for_shopper", wallet)
    assert till.post("/api/sale/scan", {"code": audio_ean}, expect=422)["code"] == "payment-pending"
    display = till.get("/api/display")
    assert (display["qr_code"], display["message"]) == (paying["qr_code"], "pay-qr")
    assert display["due"] == wallet
    png = requests.get(till.url + "/api/display/qr.png", timeout=10)
    assert png.headers["Content-Type"] == "image/png"
    shown = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert [r.text for r in shown] == [paying["qr_code"]]

    server_up.sandbox.pay(paying["qr_code"])  # the shopper's wallet
    followed = wait_until(lambda: (p := till.get(f"/api/sale/alipay/{paying['payment']}?wait=5"))["status"]
                          == "paid" and p, what="the wallet payment")
    assert followed["sale"]["due"] == 0
    assert [t["kind"] for t in followed["sale"]["tenders"]] == ["cash", "alipay_qr"]
    till.get(f"/api/sale/alipay/{paying['payment']}")  # asked again: still one tender
    done = till.post("/api/sale/complete")
    assert [t["kind"] for t in done["sale"]["tenders"]] == ["cash", "alipay_qr"]
    assert till.get("/api/display")["message"] == "paid"
    _synced(till)
    assert till.status()["rejected"] == 0  # the server verified the Alipay tender

    # The shopper brings one of the two headphones back with the receipt.
    receipt_qr = f"https://plaza.test/r/{done['uuid']}"
    found = till.post("/api/returns/lookup", {"code": receipt_qr})
    assert found["source"] == "server"
    assert [(ln["sku"], ln["returnable"]) for ln in found["lines"]] == [(audio, 2), (phone, 1)]
    first = till.post("/api/returns", {"original": receipt_qr, "lines": [{"line": 0, "quantity": 1}],
                                       "reason": "no le gusta"})
    assert first["total"] == (found["lines"][0]["refundable"] + 1) // 2 > wallet
    # Back on Alipay first (through the gateway), the rest from the drawer.
    assert [(r["kind"], r["amount"]) for r in first["refunds"]] == [("alipay_qr", wallet),
                                                                   ("cash", first["total"] - wallet)]
    assert first["refunds"][0]["reference"].startswith("RF") and first["cash"] == first["total"] - wallet

    # Then the phone: Alipay has nothing left to give back; all from the drawer.
    second = till.post("/api/returns", {"original": done["uuid"], "lines": [{"line": 1, "quantity": 1}],
                                        "reason": "defectuoso"})
    assert second["refunds"] == [{"kind": "cash", "amount": second["total"], "reference": ""}]
    assert till.post("/api/returns", {"original": done["uuid"], "lines": [{"line": 1, "quantity": 1}]},
                     expect=422)["code"] == "over-return"

    _synced(till)
    assert till.status()["rejected"] == 0
    assert (server_up.on_hand(audio), server_up.on_hand(phone)) == (stock[audio] - 1, stock[phone])
    recorded = server_up.api("GET", f"/sales/{done['uuid']}").json()
    assert [ln["returned"] for ln in recorded["lines"]] == [1, 1]
    assert recorded["refunded_total"] == first["total"] + second["total"]
    again = till.post("/api/returns/lookup", {"code": receipt_qr})
    assert [ln["returnable"] for ln in again["lines"]] == [1, 0]
    assert server_up.verify() == 0

    jobs = {job["job_id"]: job for job in printed(virtual_printer, 4)}
    paper = wait_until(lambda: {j["job_id"]: j for j in printed(virtual_printer, 4)}.get(
        f"return-{second['uuid']}"), what="the return receipt")
    assert "DEVOLUCIÓN" in paper["text"] and "defectuoso" in paper["text"]
    assert paper["drawer_kicks"] == ["1b 70 00 32 32"]  # cash goes back from the drawer
    assert done["uuid"] in jobs


def test_alipay_payment_code_cancel_and_offline(server_up: Plaza, till_factory: Any) -> None:
    till = _till_on_shift(till_factory, "till-code")
    _, ean = _item(server_up, "electronics/audio")
    sale = till.post("/api/sale/scan", {"code": ean})

    # A QR the shopper never pays: cancelled, and the basket can change again.
    waiting = till.post("/api/sale/alipay", {"method": "qr", "amount": sale["total"]})
    cancelled = till.post(f"/api/sale/alipay/{waiting['payment']}/cancel")
    assert cancelled["status"] == "cancelled" and cancelled["sale"]["payment"] is None
    assert till.get("/api/display")["qr_code"] is None
    assert requests.get(till.url + "/api/display/qr.png", timeout=10).status_code == 404
    sale = till.post("/api/sale/scan", {"code": ean})

    paid = till.post("/api/sale/alipay", {"method": "code", "auth_code": WALLET_CODE_PAYS_NOW})
    assert (paid["status"], paid["sale"]["due"]) == ("paid", 0)
    # The shopper changes their mind: the payment goes back before the basket opens again.
    assert till.post("/api/sale", {"discard": True}, expect=422)["code"] == "wallet-paid"
    sale = till.delete("/api/sale/tenders")
    assert (sale["tenders"], sale["due"]) == ([], sale["total"])
    given_back = server_up.api("GET", f"/payments/{paid['payment']}").json()
    assert (given_back["status"], given_back["refunded_amount"]) == ("refunded_fully", sale["total"])
    paid = till.post("/api/sale/alipay", {"method": "code", "auth_code": WALLET_CODE_PAYS_NOW})
    done = till.post("/api/sale/complete")
    assert done["sale"]["tenders"] == [{"kind": "alipay_code", "amount": sale["total"],
                                        "reference": paid["payment"], "change": 0}]
    _synced(till)
    assert till.status()["rejected"] == 0

    server_up.server.stop()
    wait_until(lambda: not till.status()["online"], what="the till to notice")
    assert till.status()["alipay"] is False
    till.post("/api/sale/scan", {"code": ean})
    assert till.post("/api/sale/alipay", {"method": "qr"}, expect=409)["code"] == "offline"
    # The Alipay sale cannot be refunded without the server; this till knows the sale, though.
    found = till.post("/api/returns/lookup", {"code": done["uuid"]})
    assert found["source"] == "till"
    refused = till.post("/api/returns", {"original": done["uuid"], "lines": [{"line": 0, "quantity": 1}]},
                        expect=409)
    assert refused["code"] == "offline"


def test_an_offline_return_of_an_offline_sale_lands_after_it(server_up: Plaza, till_factory: Any) -> None:
    till = _till_on_shift(till_factory, "till-offline-return")
    audio, ean = _item(server_up, "electronics/audio")
    before = server_up.on_hand(audio)
    device = int(till.status()["device"]["id"])
    server_up.server.stop()
    wait_until(lambda: not till.status()["online"], what="the till to notice")
    till.post("/api/sale/scan", {"code": ean})
    sale = till.post("/api/sale/scan", {"code": ean})
    till.post("/api/sale/cash", {"tendered": sale["total"]})
    done = till.post("/api/sale/complete")

    found = till.post("/api/returns/lookup", {"code": f"https://plaza.test/r/{done['uuid']}"})
    assert found["source"] == "till" and found["lines"][0]["returnable"] == 2
    back = till.post("/api/returns", {"original": done["uuid"], "lines": [{"line": 0, "quantity": 1}],
                                      "reason": "regalo repetido"})
    assert back["refunds"] == [{"kind": "cash", "amount": back["total"], "reference": ""}]
    assert back["total"] == (sale["lines"][0]["net"] + 1) // 2  # half the line, rounded half up
    assert till.post("/api/returns/lookup", {"code": done["uuid"]})["lines"][0]["returnable"] == 1
    assert till.status()["documents_waiting"] == 1
    report = till.get("/api/session/report")
    assert report["refunds_by_tender"] == {"cash": back["total"]} and report["returns_count"] == 1

    server_up.server.start()
    till.post("/api/sync")
    _synced(till)
    assert server_up.sales_of_device(device) == (1, 1)
    assert till.status()["rejected"] == 0
    assert server_up.on_hand(audio) == before - 1
    assert server_up.verify() == 0


def test_an_alipay_refund_left_unanswered_is_finished_by_the_till(server_up: Plaza,
                                                                  till_factory: Any) -> None:
    till = _till_on_shift(till_factory, "till-refund-later")
    _, ean = _item(server_up, "electronics/audio")
    sale = till.post("/api/sale/scan", {"code": ean})
    till.post("/api/sale/alipay", {"method": "code", "auth_code": WALLET_CODE_PAYS_NOW})
    done = till.post("/api/sale/complete")
    _synced(till)

    server_up.sandbox.send(signal.SIGSTOP)  # the wallet's gateway stops answering
    try:
        back = till.post("/api/returns", {"original": done["uuid"], "lines": [{"line": 0, "quantity": 1}],
                                          "reason": "roto"})
        assert (back["state"], back["cash"], back["total"]) == ("refunding", 0, sale["total"])
        assert till.status()["documents_waiting"] == 1
    finally:
        server_up.sandbox.send(signal.SIGCONT)
    _synced(till)  # the sync loop asked again, with the same key, and sent the return
    recorded = server_up.api("GET", f"/sales/{done['uuid']}").json()
    assert (recorded["refunded_total"], recorded["lines"][0]["returned"]) == (sale["total"], 1)
    payment = server_up.api("GET", f"/payments/{done['sale']['tenders'][0]['reference']}").json()
    assert [r["status"] for r in payment["refunds"]] == ["succeeded"]  # refunded once
    assert till.status()["rejected"] == 0
