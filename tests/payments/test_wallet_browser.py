"""A shopper's phone, played by headless Chromium: open the wallet page from the QR our server
handed out, press Pay, and the online order is paid as our API reports it over real HTTP."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

CHROMIUM = "/usr/bin/chromium"  # Debian's package; tests/payments/conftest.py launches it

pytestmark = [
    pytest.mark.browser,
    # Locally a machine without Chromium skips; in CI (CI set) a missing browser is a failure.
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason=f"{CHROMIUM} is not installed (apt-get install -y chromium)"),
]


def test_shopper_pays_the_qr_in_the_wallet_page_and_the_order_is_paid(shop, page) -> None:
    order = shop.place_order()
    payment = shop.pay("admin", tender="alipay_qr", order=order["number"]).json
    assert payment["status"] == "waiting_for_shopper", payment

    page.goto(payment["qr_code"])
    pay_button = page.get_by_role("button", name="Pay")
    assert "116.00" in pay_button.inner_text()
    pay_button.click()
    page.wait_for_selector("#result")
    assert page.locator("#result").inner_text() == "Paid"

    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {shop.chain.tokens['admin']}"
    waited = api.get(f"{shop.url}/api/v1/payments/{payment['id']}",
                     params={"wait": 10, "status": "waiting_for_shopper"}, timeout=20)
    assert waited.json()["status"] == "paid"
    paid_order = api.get(f"{shop.url}/api/v1/orders/{order['number']}", timeout=10).json()
    assert paid_order["status"] == "paid"
