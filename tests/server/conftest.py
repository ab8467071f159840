from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy.orm import Session

from tests.server.factories import Chain, build_chain


@pytest.fixture
def chain(app: Flask, session: Session) -> Chain:
    return build_chain(app, session)


@pytest.fixture
def live_server(app: Flask, tmp_path: Path) -> Iterator[str]:
    """The store server in its own gunicorn process on the test's database; yields its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"],
           "PLAZA_INSTANCE": str(tmp_path / "live"), "PLAZA_SECRET_KEY": "live-test"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "store_server:create_app()"], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("the live server did not start")
        time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)
