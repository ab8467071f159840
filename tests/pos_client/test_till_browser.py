"""The cashier's day in the till's web page, played by headless Chromium against real processes.

A store server (gunicorn, SQLite file, the demo chain) pointed at the payment sandbox, the
virtual ESC/POS printer on a TCP port, and a till agent (``python -m pos_client.agent``)
paired with Madrid and printing to it. The browser does what a cashier does: signs in with a
PIN, opens the drawer with a float, scans an EAN, a shelf QR and a fish counter label with a
scanner (keystroke bursts), gets a promotion and a member, splits the payment between cash and
an Alipay QR that a second browser tab (the shopper's phone) approves in the sandbox wallet,
sees the receipt print and the drawer open, takes a return by the receipt's QR, and closes
the day with a Z report. Every step is checked where a person would check it: on the till's
screen, on the printer's paper, and in the server's records.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from retail.gs1 import with_check_digit
from tests.conftest import CHROMIUM
from tests.pos_client.conftest import SCALE_ITEM, Plaza, TillProcess, printed, wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason=f"{CHROMIUM} is not installed (apt-get install -y chromium)"),
]


def scan(page: Any, code: str) -> None:
    """A keyboard-wedge scanner: the code's keys and Enter in one burst, into whatever has focus.

    Dispatched inside the page in one go: a scanner types faster than anyone, and keys sent one
    by one from the test process arrive with gaps a loaded machine stretches past the 30 ms
    that tell a scan from a person (a long member QR was then read as two halves). The page's
    own scanner code (hardware/static/scanner.js) reads them as it reads a real scanner."""
    page.evaluate("""(code) => {
        const target = document.activeElement || document.body;
        for (const key of [...code, "Enter"]) {
            target.dispatchEvent(new KeyboardEvent("keydown", {key, bubbles: true, cancelable: true}));
        }
    }""", code)


def by(test: str) -> str:
    return f'[data-test="{test}"]'


def amount(page: Any, test: str) -> int:
    return int(page.locator(by(test)).first.get_attribute("data-amount"))


def test_a_cashiers_day_in_the_browser(server_up: Plaza, till_factory: Any, virtual_printer: Any,
                                       page: Any, context: Any) -> None:
    plaza = server_up
    till: TillProcess = till_factory("caja-browser", "--printer", virtual_printer.url)
    wait_until(lambda: till.status()["catalogue_ready"], 60, what="the till's first sync")
    [(phone, phone_gtin)] = plaza.sql(
        "SELECT s.code, g.gtin FROM gtin g JOIN sku s ON s.id = g.sku_id JOIN product p ON "
        "p.id = s.product_id WHERE p.category LIKE 'electronics/phones%' ORDER BY g.gtin LIMIT 1")
    [(buds, buds_gtin)] = plaza.sql(
        "SELECT s.code, g.gtin FROM gtin g JOIN sku s ON s.id = g.sku_id JOIN product p ON "
        "p.id = s.product_id WHERE p.category LIKE 'electronics/audio%' ORDER BY g.gtin LIMIT 1")
    stock_before = {sku: plaza.on_hand(sku) for sku in (phone, buds)}
    registered = plaza.api("POST", "/customers", json={"name": "Lucía Martín", "language": "es",
                                                       "phone": "+34 600 111 222"})
    assert registered.status_code == 201, registered.text
    customer = registered.json()
    member_qr = plaza.api("POST", f"/customers/{customer['number']}/member-qr").json()["payload"]

    # 1. Sign in with a PIN and open the drawer with a float of 100.00 €.
    page.goto(till.url)
    page.locator(by("login-user-cashier1.xanadu")).click()
    page.locator(by("pin-input")).fill(plaza.pins["cashier1.xanadu"])
    page.locator(by("pin-ok")).click()
    page.wait_for_selector('body[data-screen="open"]')
    page.locator(by("float-input")).fill("100")
    page.locator(by("open-session")).click()
    page.wait_for_selector('body[data-screen="sale"]')
    assert page.locator(by("status-online")).get_attribute("data-state") == "online"

    # 2. Scan an EAN-13, a shelf QR (GS1 Digital Link) and a fish counter label worth 6.45 €.
    scan(page, phone_gtin[1:])
    page.wait_for_selector('body[data-lines="1"]')
    scan(page, f"https://plaza.test/01/{buds_gtin}")
    page.wait_for_selector('body[data-lines="2"]')
    scan(page, with_check_digit(SCALE_ITEM + "00645"))
    page.wait_for_selector('body[data-lines="3"]')
    lines = page.locator(by("line"))
    assert [lines.nth(i).get_attribute("data-sku") for i in range(3)] == [phone, buds, "SCALE-HAKE"]
    assert amount(page, "line-net") > 0 and "645" in page.locator(by("line-gross")).nth(2).get_attribute(
        "data-amount")
    # The audio promotion takes 15% off the earbuds, and the screen says why.
    discount = page.locator(by("discount")).first
    assert "15" in discount.inner_text() and int(discount.get_attribute("data-amount")) > 0

    # 3. The shopper shows a member QR.
    scan(page, member_qr)
    page.wait_for_selector(f'{by("member")}[data-state="identified"]')
    assert "Lucía" in page.locator(by("member")).inner_text()

    # 4. Pay 20.00 € in cash (a 50 € note), the rest with an Alipay QR the shopper's phone pays.
    total = amount(page, "total")
    page.keyboard.press("F4")
    page.locator(by("cash-amount")).fill("20")
    page.locator(by("cash-tendered")).fill("50")
    assert amount(page, "cash-change") == 3000
    page.locator(by("cash-confirm")).click()
    page.wait_for_function("document.querySelector('[data-test=\"due\"]').dataset.amount == "
                           f"'{total - 2000}'")
    page.locator(by("pay-alipay-qr")).click()
    qr = page.locator(by("alipay-qr"))
    qr.wait_for(state="visible")
    wallet_url = qr.get_attribute("data-qr")
    assert wallet_url and wallet_url.startswith(plaza.sandbox.url)
    display = context.new_page()  # the customer-facing screen shows the same QR
    display.goto(till.url + "/display")
    display.wait_for_selector("img[src*='qr.png']", state="visible")
    phone_page = context.new_page()  # the shopper's phone, in the sandbox wallet
    phone_page.goto(wallet_url)
    phone_page.get_by_role("button", name="Pay").click()
    page.wait_for_selector(by("new-sale"), state="visible", timeout=30_000)
    kinds = sorted(page.locator(by("tender")).evaluate_all("els => els.map(e => e.dataset.kind)"))
    assert kinds == ["alipay_qr", "cash"]

    # 5. The receipt prints the right total and its QR, and opens the drawer for the cash (the
    # drawer also opened once before, for the float).
    jobs = wait_until(lambda: [j.as_dict() for j in virtual_printer.jobs] if any(
        j.as_dict()["qr_codes"] for j in virtual_printer.jobs) else None, 30, what="the receipt")
    [receipt] = [j for j in jobs if j["qr_codes"]]
    euros = f"{total // 100},{total % 100:02d}"
    assert euros in receipt["text"] and receipt["cuts"] == 1
    assert len(receipt["drawer_kicks"]) == 1 and sum(len(j["drawer_kicks"]) for j in jobs) == 2
    [receipt_qr] = receipt["qr_codes"]
    assert "/r/" in receipt_qr
    wait_until(lambda: till.status()["waiting"] == 0, 30, what="the sale to reach the server")
    assert plaza.on_hand(phone) == stock_before[phone] - 1
    page.wait_for_selector(f'{by("waiting")}[data-count="0"]')  # the screen says so too

    # 6. The shopper brings the earbuds back with the receipt: refunded, stock back.
    page.locator(by("new-sale")).click()
    page.locator(by("return-open")).click()
    page.locator(by("return-code")).fill(receipt_qr)
    page.locator(by("return-lookup")).click()
    page.wait_for_selector(by("return-line"))
    page.locator(f'{by("return-line-qty")}[data-line="1"]').fill("1")
    page.locator(by("return-reason")).fill("No le quedan bien")
    page.locator(by("return-confirm")).click()
    page.wait_for_selector(by("return-result"), state="visible", timeout=30_000)
    refunds = page.locator(by("return-refund")).evaluate_all(
        "els => els.map(e => [e.dataset.kind, Number(e.dataset.amount)])")
    buds_net = plaza.sql("SELECT l.net FROM order_line l JOIN customer_order o ON o.id = l.order_id "
                         "WHERE o.device_id = ? AND l.sku_code = ?", till.status()["device"]["id"], buds)
    assert refunds and sum(a for _, a in refunds) == buds_net[0][0]
    wait_until(lambda: plaza.on_hand(buds) == stock_before[buds], 30, what="the earbuds back in stock")
    page.locator(by("return-done")).click()

    # 7. Close the day: count the drawer, the Z report shows expected against counted.
    cash_refund = sum(a for k, a in refunds if k == "cash")
    expected = 10000 + 2000 - cash_refund
    page.keyboard.press("F10")
    page.locator(by("close-session")).click()
    page.locator(by("counted-input")).fill(f"{expected // 100}.{expected % 100:02d}")
    page.locator(by("close-confirm")).click()
    page.wait_for_selector(by("z-report"), state="visible")
    assert amount(page, "z-expected") == expected
    assert page.locator(by("z-difference")).get_attribute("data-state") == "exact"
    assert any("Z" in j["text"] for j in printed(virtual_printer, len(jobs) + 2))  # return slip, Z
    wait_until(lambda: till.status()["documents_waiting"] == 0, 30, what="the Z report to reach the server")
    sessions = plaza.api("GET", "/cash-sessions", params={"store": "MAD-XANADU",
                                                          "date": _today(plaza)}).json()["sessions"]
    [z] = [s for s in sessions if s["counted_cash"] == expected]
    assert z["complete"] and z["server"]["expected_cash"] == expected


def _today(plaza: Plaza) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/Madrid")).date().isoformat()


def test_the_till_page_says_offline_keeps_selling_cash_and_catches_up(
        server_up: Plaza, till_factory: Any, page: Any) -> None:
    plaza = server_up
    till: TillProcess = till_factory("caja-offline", "--sync-interval", "0.5", "--max-backoff", "1")
    wait_until(lambda: till.status()["catalogue_ready"], 60, what="the till's first sync")
    [(sku, gtin)] = plaza.sql(
        "SELECT s.code, g.gtin FROM gtin g JOIN sku s ON s.id = g.sku_id JOIN product p ON "
        "p.id = s.product_id WHERE p.category LIKE 'electronics/phones%' ORDER BY g.gtin DESC LIMIT 1")
    before = plaza.on_hand(sku)
    page.goto(till.url)
    page.locator(by("login-user-cashier2.xanadu")).click()
    page.locator(by("pin-input")).fill(plaza.pins["cashier2.xanadu"])
    page.keyboard.press("Enter")
    page.wait_for_selector('body[data-screen="open"]')
    page.locator(by("float-input")).fill("50")
    page.keyboard.press("Enter")
    page.wait_for_selector('body[data-screen="sale"]')

    plaza.server.stop()
    page.wait_for_selector(f'{by("status-online")}[data-state="offline"]', timeout=20_000)
    for n in (1, 2):
        scan(page, gtin[1:])
        page.wait_for_selector('body[data-lines="1"]')
        assert page.locator(by("pay-alipay-qr")).is_disabled()  # wallets need the server
        assert page.locator(by("alipay-offline")).inner_text().strip()
        page.keyboard.press("F4")
        page.locator(by("cash-confirm")).click()  # nothing keyed: the exact amount
        page.wait_for_selector(by("new-sale"), state="visible")
        page.wait_for_selector(f'{by("waiting")}[data-count="{n}"]', timeout=10_000)
        page.locator(by("new-sale")).click()

    plaza.server.start()
    page.wait_for_selector(f'{by("status-online")}[data-state="online"]', timeout=30_000)
    page.wait_for_selector(f'{by("waiting")}[data-count="0"]', timeout=30_000)
    assert plaza.sales_of_device(till.status()["device"]["id"]) == (2, 2)
    assert plaza.on_hand(sku) == before - 2 and plaza.verify() == 0
