"""Shared fixtures: a fresh store server per test on SQLite and on PostgreSQL.

PostgreSQL tests use ``PLAZA_TEST_POSTGRES_URL`` (default: the local server's ``test``
database) to create a throw-away database per test run (per xdist worker). Locally they are
skipped when no server answers; with ``PLAZA_REQUIRE_POSTGRES=1`` (CI) they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("PLAZA_ARGON2_PROFILE", "CHEAPEST")

import psycopg  # noqa: E402
import pytest
from flask import Flask
from sqlalchemy import text

from store_server import create_app
from store_server.models import metadata
from tests.server.contract import ContractClient

PG_ADMIN_URL = os.environ.get("PLAZA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("PLAZA_REQUIRE_POSTGRES") == "1"


def _swap_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> Iterator[str]:
    """A database of our own for this test run, dropped at the end."""
    name = f"plaza_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required here but does not answer: {exc}")
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = _swap_database(PG_ADMIN_URL, name)
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_pg_schema_ready: set[str] = set()


def _reset_postgres(app: Flask, url: str) -> None:
    engine = app.extensions["plaza"].engine
    if url not in _pg_schema_ready:
        metadata.drop_all(engine)
        metadata.create_all(engine)
        _pg_schema_ready.add(url)
        return
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO event_counter (id, last_seq) VALUES (1, 0)"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'plaza.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": tmp_path / "instance",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "PUBLIC_URL": "https://plaza.test",
    })
    # Every API answer a test gets is checked against the OpenAPI document (tests/server/contract.py).
    app.test_client_class = ContractClient
    if database_url.startswith("postgresql"):
        _reset_postgres(app, database_url)
    else:
        metadata.create_all(app.extensions["plaza"].engine)
    yield app
    app.extensions["plaza"].engine.dispose()


@pytest.fixture
def session(app: Flask) -> Iterator[Any]:
    with app.extensions["plaza"].session_factory() as s:
        yield s


# --------------------------------------------------------------------------- browser


CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright's download does not work here


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium rather than a downloaded build; flags for a container without a GPU,
    a sandbox or background network chatter."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }
