"""Imports point one way: retail ← hardware ← pos_client ← kiosk, and the store server uses
retail and hardware but never a client (docs/ARCHITECTURE.md). A wrong import fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# package → the first-party packages it must not import
FORBIDDEN = {
    "retail": {"hardware", "pos_client", "kiosk", "store_server"},
    "hardware": {"pos_client", "kiosk", "store_server"},
    "pos_client": {"kiosk", "store_server"},
    "kiosk": {"store_server"},
    "store_server": {"pos_client", "kiosk"},
}


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_only_what_lies_below_it(package: str) -> None:
    wrong = {str(path.relative_to(ROOT)): sorted(_imported(path) & FORBIDDEN[package])
             for path in (ROOT / package).rglob("*.py")}
    assert {path: names for path, names in wrong.items() if names} == {}
