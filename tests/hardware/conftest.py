"""Fixtures for the hardware tests: a virtual printer on an ephemeral port, demo receipts."""

from __future__ import annotations

import io
import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from hardware.fonts import find_cjk_font
from hardware.samples import demo_sale
from hardware.virtual_printer import VirtualPrinter
from retail.receipt import Receipt, receipt_from_sale


@pytest.fixture
def cjk_font() -> Path | None:
    """Tests drawing Chinese may skip on a developer machine without a CJK font; in CI
    (CI set) they run, and fail loudly if the font is missing."""
    font = find_cjk_font()
    if font is None and not os.environ.get("CI"):
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-zenhei)")
    return font


class PrinterPage:
    """What a client of the virtual printer's web page sees."""

    def __init__(self, printer: VirtualPrinter) -> None:
        self.printer = printer
        assert printer.http_url is not None
        self.base = printer.http_url

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return response.read()

    def jobs(self) -> list[dict[str, Any]]:
        return json.loads(self.get("/jobs.json"))

    def image(self, job: dict[str, Any]) -> Image.Image:
        return Image.open(io.BytesIO(self.get(job["image"])))


@pytest.fixture
def virtual_printer(tmp_path: Path) -> Iterator[VirtualPrinter]:
    with VirtualPrinter(host="127.0.0.1", port=0, http_port=0,
                        jobs_dir=tmp_path / "printer-jobs") as printer:
        yield printer


@pytest.fixture
def printer_page(virtual_printer: VirtualPrinter) -> PrinterPage:
    return PrinterPage(virtual_printer)


@pytest.fixture
def demo_receipt() -> Any:
    """Build the sample receipt of a demo store by its locale."""

    def build(locale: str) -> Receipt:
        return receipt_from_sale(demo_sale(locale))

    return build
