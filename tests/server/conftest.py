from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    with running_server(app.config["DATABASE_URL"], tmp_path / "live") as base:
        yield base


@contextmanager
def running_server(database_url: str, instance: Path, *, threads: int = 1,
                   env: dict[str, str] | None = None, log: Path | None = None) -> Iterator[str]:
    """gunicorn with two workers (and ``threads`` each) until the block ends; its log lines go
    to ``log`` when given."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": database_url, "PLAZA_INSTANCE": str(instance),
           "PLAZA_SECRET_KEY": "live-test", "PLAZA_ACCESS_LOG": "1" if log else "0", **(env or {})}
    log_file = open(log, "wb") if log else None  # noqa: SIM115 (closed below, after the server)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:store_server.gunicorn_conf",
         "--workers", "2", "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--log-level", "info" if log else "warning",
         "store_server:create_app()"],
        env=env, stderr=log_file)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the live server did not start")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log_file is not None:
            log_file.close()
