"""What a cashier and a shopper notice at the counter, in headless Chromium against real
processes: variants that read apart in search and on the line, quick-cash buttons whose labels
fit, discounts (with their reasons) on the customer display, a Z report whose times on screen
are the paper's whatever the browser's time zone, and a receipt a tax inspector accepts (the
seller's legal name, address and tax ID, a number in the till's unbroken series)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CHROMIUM
from tests.pos_client.conftest import Plaza, TillProcess, printed, wait_until
from tests.pos_client.test_till_browser import by, scan

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason=f"{CHROMIUM} is not installed (apt-get install -y chromium)"),
]

HH_MM = re.compile(r"\b(\d{1,2}):(\d{2})\b")


def _sign_in_and_open(page: Any, till: TillProcess, cashier: str, float_amount: str) -> None:
    page.goto(till.url)
    page.locator(by(f"login-user-{cashier}")).click()
    page.locator(by("pin-input")).fill(till.pins[cashier])
    page.locator(by("pin-ok")).click()
    page.wait_for_selector('body[data-screen="open"]')
    page.locator(by("float-input")).fill(float_amount)
    page.locator(by("open-session")).click()
    page.wait_for_selector('body[data-screen="sale"]')


def _gtin(plaza: Plaza, category: str) -> str:
    [(gtin,)] = plaza.sql("SELECT g.gtin FROM gtin g JOIN sku s ON s.id = g.sku_id JOIN product p ON "
                          "p.id = s.product_id WHERE p.category LIKE ? ORDER BY g.gtin LIMIT 1", category)
    return gtin[1:]


def test_variants_display_discounts_z_report_time_and_a_numbered_receipt(
        server_up: Plaza, till_factory: Any, virtual_printer: Any, browser: Any) -> None:
    plaza = server_up
    till: TillProcess = till_factory("caja-detalles", "--printer", virtual_printer.url)
    wait_until(lambda: till.status()["catalogue_ready"], 60, what="the till's first sync")
    device = till.status()["device"]["id"]
    # The cashier's browser thinks it is in Shanghai; the till stands in Madrid.
    context = browser.new_context(timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        _sign_in_and_open(page, till, "cashier1.xanadu", "100")

        # 1. Four cables with one name: search says which is which, and so does the line.
        page.locator(by("search")).fill("voltedge usb-a 18")
        page.wait_for_selector(by("search-result"))
        cables = page.locator(f'{by("search-result")}[data-sku^="ELC-CBL-AC-"]')
        wait_until(lambda: cables.count() == 4, 10, what="the four cables")
        variants = [cables.nth(i).locator(by("search-result-variant")).inner_text() for i in range(4)]
        assert len(set(variants)) == 4 and all("m" in v for v in variants), variants
        assert len({cables.nth(i).locator(".result-name").inner_text().split(" · ")[0]
                    for i in range(4)}) == 1  # the same name four times: the variant tells them apart
        long_white = next(i for i, v in enumerate(variants) if "2 m" in v and "white" in v)
        sku = cables.nth(long_white).get_attribute("data-sku")
        cables.nth(long_white).click()
        page.wait_for_selector('body[data-lines="1"]')
        line = page.locator(f'{by("line")}[data-sku="{sku}"]')
        assert line.locator(by("line-variant")).inner_text() == variants[long_white]

        # 2. Earbuds get the audio promotion; a manager takes 5 % off the sale: the customer
        # display lists both, each with its reason.
        scan(page, _gtin(plaza, "electronics/audio%"))
        page.wait_for_selector('body[data-lines="2"]')
        manager = {"manager": "manager.xanadu", "manager_pin": till.pins["manager.xanadu"]}
        sale = till.post("/api/sale/discount", {"percent": 5, "reason": "Cliente habitual", **manager})
        display = context.new_page()
        display.goto(till.url + "/display")
        shown = display.locator(by("display-discount"))
        wait_until(lambda: shown.count() == len(sale["discounts"]) == 2, 10, what="both discounts shown")
        texts = shown.all_inner_texts()
        assert any("15% en audio" in t for t in texts) and any("Cliente habitual" in t for t in texts)
        assert {int(shown.nth(i).get_attribute("data-amount")) for i in range(2)} == {
            d["amount"] for d in sale["discounts"]}
        audio = next(d for d in sale["discounts"] if d["line"] is not None)
        earbuds = f'{by("display-line")}[data-index="{audio["line"]}"]'
        line_discount = display.locator(f'{earbuds} {by("display-discount")}')
        assert "15% en audio" in line_discount.inner_text()  # under its own line
        assert int(display.locator(by("display-discount-total")).get_attribute("data-amount")) == -sum(
            d["amount"] for d in sale["discounts"])
        assert display.locator(by("display-line-variant")).first.inner_text() == variants[long_white]

        # 3. Paid in cash: the receipt names the seller as the tax inspector wants it, and is
        # the first of this till's series.
        page.reload()
        page.wait_for_selector('body[data-lines="2"]')
        page.keyboard.press("F4")
        page.locator(by("cash-confirm")).click()
        page.wait_for_selector(by("new-sale"), state="visible")
        [receipt] = [j for j in printed(virtual_printer, 2) if j["qr_codes"]]
        text = receipt["text"]
        assert "Plaza Madrid Xanadú" in text and "Plaza Comercio España, S.L." in text
        assert "Arroyomolinos" in text and "NIF: B87654323" in text
        assert f"Ticket: T{device}-000001" in text
        wait_until(lambda: till.status()["waiting"] == 0, 30, what="the sale to reach the server")
        [(number,)] = plaza.sql("SELECT receipt_number FROM customer_order WHERE device_id = ?", device)
        assert number == f"T{device}-000001"
        page.locator(by("new-sale")).click()

        # 4. The Z report: the screen shows the times the paper prints, in Madrid's time zone.
        jobs = len(virtual_printer.jobs)
        page.keyboard.press("F10")
        page.locator(by("close-session")).click()
        page.locator(by("counted-input")).fill("0")
        page.locator(by("close-confirm")).click()
        page.wait_for_selector(by("z-report"), state="visible")
        z = next(j for j in printed(virtual_printer, jobs + 1)[jobs:] if "CIERRE Z" in j["text"])
        paper = [HH_MM.search(ln) for ln in z["text"].splitlines() if "Apertura" in ln or "Cierre:" in ln]
        screen = [HH_MM.search(page.locator(by(test)).inner_text()) for test in ("z-opened", "z-closed")]
        assert all(paper) and all(screen) and len(paper) == 2
        assert [m.group(0) for m in screen] == [m.group(0) for m in paper]  # type: ignore[union-attr]
    finally:
        context.close()


def _label_fits(page: Any) -> list[dict[str, Any]]:
    """Each quick button's label against its box: the text may not spill out on either side."""
    return page.evaluate("""() => [...document.querySelectorAll('[data-test="cash-quick"]')].map((b) => {
        const box = b.getBoundingClientRect();
        const range = document.createRange();
        const walker = document.createTreeWalker(b, NodeFilter.SHOW_TEXT);
        let inside = true;
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            range.selectNodeContents(node);
            for (const r of range.getClientRects()) {
                inside = inside && r.left >= box.left - 0.5 && r.right <= box.right + 0.5;
            }
        }
        return {text: b.textContent, inside, scroll: b.scrollWidth, client: b.clientWidth,
                font: parseFloat(getComputedStyle(b).fontSize)};
    })""")


def test_quick_cash_labels_fit_their_buttons_in_roubles(server_up: Plaza, page: Any, tmp_path: Path) -> None:
    plaza = server_up
    till = TillProcess(plaza.url, tmp_path / "kassa", plaza.enrol_till("kassa-1", store="MOW-AVIAPARK"),
                       pins=plaza.pins)
    till.start()
    try:
        wait_until(lambda: till.status()["catalogue_ready"], 60, what="the till's first sync")
        _sign_in_and_open(page, till, "cashier1.aviapark", "5000")
        sale = till.post("/api/sale/scan", {"code": _gtin(plaza, "electronics/phones%")})
        # Enough phones for seven digits of roubles: "Без сдачи 1 234 567,00 ₽".
        quantity = -(-100_000_000 // sale["lines"][0]["unit_price"])
        assert till.post("/api/sale/lines/0/quantity", {"quantity": quantity})["total"] >= 100_000_000
        page.reload()
        page.wait_for_selector('body[data-lines="1"]')
        page.keyboard.press("F4")
        page.wait_for_selector(by("cash-quick"))
        labels = _label_fits(page)
        assert labels[0]["text"].startswith("Без сдачи") and len(labels) >= 4
        # scrollWidth rounds a fractional content width up and clientWidth rounds down: one pixel.
        assert all(label["inside"] and label["scroll"] <= label["client"] + 1 for label in labels), labels
        assert all(label["font"] >= 14 for label in labels), labels  # and still read at arm's length
    finally:
        till.stop()
