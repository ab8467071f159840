"""The counter's promises in the browser, against real processes: the opening gift given to the
first N shoppers across two tills (and honestly refused offline), cash rounded to the nickel in
Canada on the screen, the receipt, the server and the Z report, and a member paying with points
and cash, then returning the goods.

Like test_till_browser.py: a store server (gunicorn, SQLite file, the demo chain) with the
payment sandbox, till agents in their own processes printing to the virtual ESC/POS printer,
headless Chromium as the cashier. Everything is checked where a person would see it: the till's
screen, the customer display, the paper, and the server's records.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import CHROMIUM
from tests.pos_client.conftest import Plaza, TillProcess, wait_until
from tests.pos_client.test_till_browser import amount, by, scan

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason=f"{CHROMIUM} is not installed (apt-get install -y chromium)"),
]


def _sku_with_gtin(plaza: Plaza, category: str, offset: int = 0) -> tuple[str, str]:
    [(sku, gtin)] = plaza.sql(
        "SELECT s.code, g.gtin FROM gtin g JOIN sku s ON s.id = g.sku_id JOIN product p ON "
        "p.id = s.product_id WHERE p.category LIKE ? AND s.sold_by = 'unit' AND s.tax_class = 'standard' "
        "ORDER BY g.gtin LIMIT 1 OFFSET ?", category + "%", offset)
    return sku, gtin


def _sign_in_and_open(page: Any, till: TillProcess, cashier: str, pin: str, float_text: str = "100") -> None:
    page.goto(till.url)
    page.locator(by(f"login-user-{cashier}")).click()
    page.locator(by("pin-input")).fill(pin)
    page.locator(by("pin-ok")).click()
    page.wait_for_selector('body[data-screen="open"]')
    page.locator(by("float-input")).fill(float_text)
    page.locator(by("open-session")).click()
    page.wait_for_selector('body[data-screen="sale"]')


def _new_sale(page: Any) -> None:
    """The cashier starts the next sale; the screen shows an empty, open one."""
    page.locator(by("new-sale")).click()
    page.wait_for_function("window.PlazaTill.state.sale && !window.PlazaTill.state.sale.completed"
                           " && document.body.dataset.lines === '0'")


def _sell_for_cash(page: Any, gtin: str) -> str:
    """Scan one item, pay the exact amount in cash (which completes the sale); its UUID."""
    scan(page, gtin[1:] if len(gtin) == 14 else gtin)
    page.wait_for_selector('body[data-lines="1"]')
    page.keyboard.press("F4")
    page.locator(by("cash-confirm")).click()
    page.wait_for_selector(by("new-sale"), state="visible", timeout=30_000)
    return str(page.evaluate("window.PlazaTill.state.sale.uuid"))


def _receipt_of(printer: Any, sale_uuid: str) -> dict[str, Any]:
    """The receipt the printer decoded for a sale: the one whose QR names it."""
    def find() -> dict[str, Any] | None:
        for job in printer.jobs:
            data = job.as_dict()
            if any(sale_uuid in qr for qr in data["qr_codes"]):
                return data
        return None
    return wait_until(find, 30, what=f"the receipt of {sale_uuid}")


def test_the_first_two_shoppers_across_two_tills_get_the_opening_gift(
        server_up: Plaza, till_factory: Any, virtual_printer: Any, page: Any, context: Any) -> None:
    plaza = server_up
    code = f"GIFT-{uuid.uuid4().hex[:6].upper()}"
    item, item_gtin = _sku_with_gtin(plaza, "electronics/chargers")
    gift, gift_gtin = _sku_with_gtin(plaza, "electronics/cables")
    rule = {"id": code, "kind": "giveaway", "name": {"es": "Apertura Xanadú", "en": "Xanadú opening"},
            "gift_sku": gift, "limit": 2, "limit_per": "store", "locations": ["MAD-XANADU"],
            "target": {"kind": "skus", "values": [item]}}  # only baskets with the charger qualify
    assert plaza.api("POST", "/promotions", json={"rule": rule}).status_code == 201
    try:
        till_a: TillProcess = till_factory("caja-regalo-1", "--printer", virtual_printer.url,
                                           "--sync-interval", "0.5", "--max-backoff", "1")
        till_b: TillProcess = till_factory("caja-regalo-2", "--printer", virtual_printer.url,
                                           "--sync-interval", "0.5", "--max-backoff", "1")
        for till in (till_a, till_b):
            wait_until(lambda till=till: till.status()["catalogue_ready"], 60, what="the till's first sync")
            wait_until(lambda till=till: code in {r["id"] for r in _rules(till)}, 30,
                       what="the giveaway to reach the till")
        stock = {sku: plaza.on_hand(sku) for sku in (item, gift)}
        page_b = context.new_page()
        _sign_in_and_open(page, till_a, "cashier1.xanadu", plaza.pins["cashier1.xanadu"])
        _sign_in_and_open(page_b, till_b, "cashier2.xanadu", plaza.pins["cashier2.xanadu"])
        display = context.new_page()  # till A's customer-facing screen
        display.goto(till_a.url + "/display")

        # Sale 1 at till A: the screen says the sale earns the gift, then that it was given.
        scan(page, item_gtin[1:])
        page.wait_for_selector(f'{by("gift-notice")}[data-state="qualifies"]')
        page.keyboard.press("F4")
        page.locator(by("cash-confirm")).click()
        page.wait_for_selector(f'{by("gift-notice")}[data-state="given"]', timeout=30_000)
        assert "quedan 1" in page.locator(by("gift-notice")).inner_text()
        display.wait_for_selector(f'{by("display-gift")}[data-state="given"]')
        assert "quedan 1" in display.locator(by("display-gift")).inner_text()
        first = str(page.evaluate("window.PlazaTill.state.sale.uuid"))

        # Sale 2 at till B takes the last gift; sale 3, back at till A, gets none and says why.
        second = _sell_for_cash(page_b, item_gtin)
        page_b.wait_for_selector(f'{by("gift-notice")}[data-state="given"]')
        assert "quedan 0" in page_b.locator(by("gift-notice")).inner_text()
        _new_sale(page)
        third = _sell_for_cash(page, item_gtin)
        page.wait_for_selector(f'{by("gift-notice")}[data-state="none"]')
        none_left = "Sin regalo: ya se han entregado todos."
        assert page.locator(by("gift-notice")).inner_text().strip() == none_left

        # The receipts of the first two print the gift, at 0,00 €, with its line; the third's does not.
        gift_name = till_a.get(f"/api/lookup?code={gift_gtin[1:]}")["item"]["name"]
        for sale_uuid in (first, second):
            text = _receipt_of(virtual_printer, sale_uuid)["text"]
            assert "Regalo: Apertura Xanadú" in text and gift_name[:12] in text, text
        assert "Regalo" not in _receipt_of(virtual_printer, third)["text"]

        # Offline, the till gives no gift and says why; the cash sale goes on.
        plaza.server.stop()
        page.wait_for_selector(f'{by("status-online")}[data-state="offline"]', timeout=20_000)
        _new_sale(page)
        scan(page, item_gtin[1:])
        page.wait_for_selector('body[data-lines="1"]')
        offline_text = "Sin regalo: la caja está sin conexión y solo el servidor cuenta los regalos."
        wait_until(lambda: page.locator(by("gift-notice")).inner_text().strip() == offline_text, 10,
                   what="the offline gift notice")
        page.keyboard.press("F4")
        page.locator(by("cash-confirm")).click()
        page.wait_for_selector(f'{by("gift-notice")}[data-state="none"]', timeout=30_000)
        assert page.locator(by("gift-notice")).inner_text().strip() == offline_text
        plaza.server.start()

        for till in (till_a, till_b):
            wait_until(lambda till=till: till.status()["waiting"] == 0, 60,
                       what="the sales to reach the server")
        status = plaza.api("GET", f"/promotions/{code}/giveaway", params={"store": "MAD-XANADU"}).json()
        assert (status["given"], status["remaining"]) == (2, 0)
        gift_lines = plaza.sql(
            "SELECT o.client_uuid FROM order_line l JOIN customer_order o ON o.id = l.order_id "
            "WHERE l.gift = ? ORDER BY o.id", code)
        assert sorted(u for (u,) in gift_lines) == sorted([first, second])
        assert plaza.on_hand(gift) == stock[gift] - 2
        assert plaza.on_hand(item) == stock[item] - 4
        assert plaza.verify() == 0
    finally:
        plaza.api("POST", f"/promotions/{code}/end")


def _rules(till: TillProcess) -> list[dict[str, Any]]:
    """The promotions in the till's replica (what it prices with)."""
    data_dir = Path(till.args[till.args.index("--data-dir") + 1])
    with sqlite3.connect(data_dir / "replica.sqlite3") as db:
        rows = db.execute("SELECT rule FROM promotion WHERE status = 'active'").fetchall()
    return [json.loads(rule) for (rule,) in rows]


def test_a_canadian_cash_sale_is_rounded_to_the_nickel_everywhere(
        server_up: Plaza, virtual_printer: Any, page: Any, tmp_path: Path) -> None:
    plaza = server_up
    store = f"YYZ-{uuid.uuid4().hex[:4].upper()}"
    item, gtin = _sku_with_gtin(plaza, "electronics/accessories")
    opened = plaza.api("POST", "/locations", json={
        "code": store, "name": "Plaza Toronto Eaton Centre", "kind": "store", "country": "CA",
        "currency": "CAD", "locale": "en_CA", "timezone": "America/Toronto",
        "address": "220 Yonge St, Toronto, ON M5B 2H1", "latitude": 43.6544, "longitude": -79.3807,
        "price_list": "CA-CAD"})
    assert opened.status_code == 201, opened.text
    # 3.78 before HST; with 13% HST the shopper owes 4.27, and 4.25 in cash.
    assert plaza.api("POST", "/price-lists/CA-CAD/prices",
                     json={"prices": [{"sku": item, "amount": 378}]}).status_code in (200, 201)
    received = plaza.api("POST", "/inventory/receipts", json={
        "location": store, "document": f"DN-{store}", "lines": [{"sku": item, "quantity": 5}]})
    assert received.status_code in (200, 201), received.text
    cashier, pin = f"cashier.{store.lower()}", "246813"
    created = plaza.api("POST", "/users", json={"username": cashier, "role": "cashier", "store": store,
                                                "pin": pin})
    assert created.status_code == 201, created.text
    till = TillProcess(plaza.url, tmp_path / "caja-toronto", plaza.enrol_till(f"till-{store.lower()}", store),
                       "--printer", virtual_printer.url)
    till.start()
    try:
        wait_until(lambda: till.status()["catalogue_ready"], 60, what="the till's first sync")
        _sign_in_and_open(page, till, cashier, pin)
        scan(page, gtin[1:])
        page.wait_for_selector('body[data-lines="1"]')
        assert amount(page, "total") == 427
        page.keyboard.press("F4")
        assert amount(page, "cash-due") == 425  # no pennies: the cash to take is rounded
        page.locator(by("cash-tendered")).fill("5")
        assert amount(page, "cash-change") == 75
        page.locator(by("cash-confirm")).click()
        page.wait_for_selector(by("new-sale"), state="visible", timeout=30_000)
        assert amount(page, "cash-rounding") == -2 and page.locator(by("rounding-row")).is_visible()
        assert amount(page, "change") == 75
        sale_uuid = str(page.evaluate("window.PlazaTill.state.sale.uuid"))

        text = _receipt_of(virtual_printer, sale_uuid)["text"]
        assert "$4.27" in text and "Cash rounding" in text and "-$0.02" in text and "$0.75" in text, text

        wait_until(lambda: till.status()["waiting"] == 0, 30, what="the sale to reach the server")
        [(total, rounding, tendered, taken, change)] = plaza.sql(
            "SELECT o.total, o.cash_rounding, t.tendered, t.amount, t.change FROM customer_order o "
            "JOIN order_tender t ON t.order_id = o.id WHERE o.client_uuid = ?", sale_uuid)
        assert (total, rounding, tendered, taken, change) == (427, -2, 500, 425, 75)

        _new_sale(page)
        page.keyboard.press("F10")
        page.locator(by("close-session")).click()
        page.locator(by("counted-input")).fill("104.25")
        page.locator(by("close-confirm")).click()
        page.wait_for_selector(by("z-report"), state="visible")
        assert amount(page, "z-expected") == 10425 and amount(page, "z-rounding") == -2
        assert page.locator(by("z-difference")).get_attribute("data-state") == "exact"
        z_paper = wait_until(lambda: next((j.as_dict()["text"] for j in virtual_printer.jobs
                                           if "Z REPORT" in j.as_dict()["text"]), None), 30,
                             what="the printed Z report")
        assert "Cash rounding" in z_paper
        assert "-$0.02" in z_paper
        wait_until(lambda: till.status()["documents_waiting"] == 0, 30,
                   what="the Z report to reach the server")
        today = datetime.now(ZoneInfo("America/Toronto")).date().isoformat()
        [z] = plaza.api("GET", "/cash-sessions", params={"store": store, "date": today}).json()["sessions"]
        assert (z["cash_rounding"], z["server"]["cash_rounding"]) == (-2, -2)
        assert z["server"]["expected_cash"] == 10425
        assert z["matches"] and z["complete"]
    finally:
        till.stop()


def test_a_member_pays_with_points_and_cash_and_gets_the_points_back_on_return(
        server_up: Plaza, till_factory: Any, virtual_printer: Any, page: Any) -> None:
    plaza = server_up
    till: TillProcess = till_factory("caja-puntos", "--printer", virtual_printer.url)
    wait_until(lambda: till.status()["catalogue_ready"], 60, what="the till's first sync")
    item, gtin = _sku_with_gtin(plaza, "electronics/accessories", 1)
    member = plaza.api("POST", "/customers", json={
        "name": "Marta Ruiz", "language": "es", "phone": f"+3460{uuid.uuid4().int % 10**7:07d}"}).json()
    number = member["number"]
    # 500 points (worth 5.00 €) from earlier purchases, written as the ledger writes them.
    [(customer_id,)] = plaza.sql("SELECT id FROM customer WHERE number = ?", number)
    plaza.sql("INSERT INTO customer_points (customer_id, kind, points, reference, currency, amount, actor, "
              "at) "
              "VALUES (?, 'adjust', 500, 'welcome-bonus', 'EUR', 0, 'test', ?)", customer_id,
              datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" "))
    plaza.sql("UPDATE customer SET points = points + 500 WHERE id = ?", customer_id)
    member_qr = plaza.api("POST", f"/customers/{number}/member-qr").json()["payload"]

    _sign_in_and_open(page, till, "cashier1.xanadu", plaza.pins["cashier1.xanadu"])
    scan(page, gtin[1:])
    page.wait_for_selector('body[data-lines="1"]')
    scan(page, member_qr)
    page.wait_for_selector(f'{by("member")}[data-state="identified"]')
    total = amount(page, "total")
    assert total > 500
    page.locator(by("pay-points")).wait_for(state="visible")
    assert amount(page, "points-value") == 500
    page.locator(by("pay-points")).click()
    page.wait_for_function(f"document.querySelector('[data-test=\"due\"]').dataset.amount == '{total - 500}'")
    page.keyboard.press("F4")
    page.locator(by("cash-confirm")).click()
    page.wait_for_selector(by("new-sale"), state="visible", timeout=30_000)
    kinds = sorted(page.locator(by("tender")).evaluate_all(
        "els => els.map(e => [e.dataset.kind, Number(e.dataset.amount)])"))
    assert kinds == [["cash", total - 500], ["points", 500]]
    sale_uuid = str(page.evaluate("window.PlazaTill.state.sale.uuid"))
    text = _receipt_of(virtual_printer, sale_uuid)["text"]
    assert "Puntos" in text and "Efectivo" in text

    wait_until(lambda: till.status()["waiting"] == 0, 30, what="the sale to reach the server")
    earned = total // 100  # a point per whole euro, on the sale's total
    balance = plaza.api("GET", f"/customers/{number}").json()["points"]
    assert balance == earned
    tenders = plaza.sql("SELECT t.kind, t.amount FROM order_tender t JOIN customer_order o "
                        "ON o.id = t.order_id "
                        "WHERE o.client_uuid = ? ORDER BY t.kind", sale_uuid)
    assert tenders == [("cash", total - 500), ("points", 500)]

    # The shopper brings it back: the points go back first, the rest in cash from the drawer.
    _new_sale(page)
    page.locator(by("return-open")).click()
    page.locator(by("return-code")).fill(sale_uuid)
    page.locator(by("return-lookup")).click()
    page.wait_for_selector(by("return-line"))
    page.locator(f'{by("return-line-qty")}[data-line="0"]').fill("1")
    page.locator(by("return-reason")).fill("No funciona")
    page.locator(by("return-confirm")).click()
    page.wait_for_selector(by("return-result"), state="visible", timeout=30_000)
    refunds = sorted(page.locator(by("return-refund")).evaluate_all(
        "els => els.map(e => [e.dataset.kind, Number(e.dataset.amount)])"))
    assert refunds == [["cash", total - 500], ["points", 500]]
    wait_until(lambda: till.status()["documents_waiting"] == 0, 30, what="the return to reach the server")
    assert plaza.api("GET", f"/customers/{number}").json()["points"] == 500
