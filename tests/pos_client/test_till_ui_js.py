"""The till page's pure helpers (money, words) and its promises to browser tests, checked by
their node tests (tests/pos_client/js) without a browser."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

JS_TESTS = Path(__file__).parent / "js"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_till_page_helpers_pass_their_node_tests():
    result = subprocess.run(["node", "--test", str(JS_TESTS)], capture_output=True, text=True,
                            timeout=60, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
