"""Scanner input: a serial scanner through pyserial, and the browser's burst detector."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hardware.scanner import SerialScanner
from retail.barcodes import GS1ElementString, ProductCode, ScanError, WalletPaymentCode

JS_TESTS = Path(__file__).parent / "js"


@pytest.fixture
def scanner():
    # pyserial's loop:// echoes what is written: a scanner on a wire, without the hardware.
    reader = SerialScanner("loop://")
    yield reader
    reader.close()


def test_codes_ending_in_cr_lf_or_crlf_are_read_one_by_one(scanner):
    scanner.port.write(b"8412345678905\r\n96385074\r]C10108412345678905\x1d10LOT1\n")

    codes = [scanner.read_code(timeout=1) for _ in range(3)]

    assert codes == ["8412345678905", "96385074", "]C10108412345678905\x1d10LOT1"]
    assert scanner.read_code(timeout=0.2) is None


def test_a_scanner_without_terminator_ends_its_code_with_silence(scanner):
    scanner.port.write(b"286543210987654321")

    assert scanner.read_code(timeout=1) == "286543210987654321"


def test_scans_are_classified_and_bad_ones_do_not_stop_the_reader(scanner):
    scanner.port.write(b"8412345678905\rnot-a-code\r286543210987654321\r"
                       b"]C10108412345678905\x1d10LOT1\r")

    results = list(scanner.scans(idle_timeout=0.3))

    assert [type(r) for r in results] == [ProductCode, ScanError, WalletPaymentCode,
                                          GS1ElementString]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_keyboard_wedge_burst_detector_passes_its_node_tests():
    result = subprocess.run(["node", "--test", str(JS_TESTS)], capture_output=True, text=True,
                            timeout=60, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
