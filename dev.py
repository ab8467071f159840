#!/usr/bin/env python3
"""Set Plaza up and run it, on a machine with nothing but Python 3.11+.

    python3 dev.py demo     # install, then run the demo chain (server, printer, payments)
    python3 dev.py test     # install, then run the whole test suite
    python3 dev.py bench    # install, then run the benchmarks (prints figures)
    python3 dev.py i18n     # install, then bring the translation catalogues in line with the code

The first run creates .venv and installs Plaza with its dependencies from PyPI (through uv
when it can, which takes seconds); later runs reinstall only when pyproject.toml changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".plaza-installed"


def _run(*args: str | Path, **kwargs: object) -> None:
    subprocess.run([str(a) for a in args], check=True, **kwargs)  # type: ignore[call-overload]


def ensure_installed() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older Python
        sys.exit(f"Plaza needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    python = BIN / "python"
    print("installing Plaza and its dependencies ...", flush=True)
    try:
        _run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "uv")
        _run(BIN / "uv", "pip", "install", "--quiet", "--python", python, "--compile-bytecode",
             "-e", f"{ROOT}[dev]")
    except (subprocess.CalledProcessError, FileNotFoundError):
        # Without uv: plain pip, then compile bytecode ourselves (PYTHONDONTWRITEBYTECODE
        # would otherwise make every process start pay for it).
        _run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "-e", f"{ROOT}[dev]")
        _run(python, "-m", "compileall", "-q", str(VENV))
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "help"
    rest = argv[1:]
    if command not in ("demo", "test", "bench", "install", "i18n"):
        print(__doc__)
        return 2
    ensure_installed()
    os.chdir(ROOT)
    if command == "install":
        return 0
    if command == "demo":
        return subprocess.call([str(BIN / "store-server"), "demo", "run", *rest])
    if command == "bench":
        return subprocess.call([str(BIN / "python"), "-m", "tests.bench", *rest])
    if command == "i18n":
        return subprocess.call([str(BIN / "python"), "-m", "tests.i18n.catalogues", "update", *rest])
    if not any(arg == "-n" or arg.startswith(("-n", "--numprocesses")) for arg in rest):
        # One test process per core (pytest-xdist): each has its own databases and ports.
        rest = ["-n", "auto", *rest]
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
