"""The till's page says so while the till's clock is off the server's, in headless Chromium.

The till agent runs in this process on clocks the test sets (its wall clock 5 hours fast),
against the real store server; the page is the one a cashier sees.
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from pos_client.agent import create_app
from tests.conftest import CHROMIUM
from tests.pos_client.clocks import TillClocks, till_runtime
from tests.pos_client.conftest import Plaza

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason=f"{CHROMIUM} is not installed (apt-get install -y chromium)"),
]


def by(test: str) -> str:
    return f'[data-test="{test}"]'


def test_the_till_page_warns_while_the_tills_clock_is_off(server_up: Plaza, tmp_path: Path,
                                                          page: Any) -> None:
    # Half a minute past the minute, so the Date header's whole seconds cannot change the text.
    clocks = TillClocks(skew=timedelta(hours=5, minutes=3, seconds=30))
    till = till_runtime(server_up.url, tmp_path / "till", clocks, server_up.enrol_till("caja-reloj"))
    agent = make_server("127.0.0.1", 0, create_app(till), threaded=True)
    serving = threading.Thread(target=agent.serve_forever, name="till-agent")
    serving.start()
    try:
        assert till.sync.sync_once()  # the till hears the server's time
        page.goto(f"http://127.0.0.1:{agent.server_port}/")
        page.wait_for_selector('body[data-screen="login"]')
        warning = page.locator(by("clock-warning"))
        warning.wait_for(state="visible")
        assert warning.text_content() == "RELOJ ADELANTADO 5 h 03 min"  # Madrid's till speaks Spanish
        assert "hora del servidor" in (warning.get_attribute("title") or "")
        assert float(warning.get_attribute("data-offset") or 0) > 5 * 3600
        assert page.locator(by("status-online")).get_attribute("data-state") == "online"
        clocks.set_right()  # NTP: the next status the page polls has no warning
        warning.wait_for(state="hidden")
    finally:
        agent.shutdown()
        serving.join(timeout=10)
        till.close()
