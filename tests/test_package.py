"""The built package on its own: the wheel installed in a fresh virtualenv, away from this
checkout, sets up its database, loads the demo chain and serves; a till installs without the
server's dependencies."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests
from alembic.script import ScriptDirectory

from store_server.monitoring.health import migrations_head
from tests.conftest import PG_ADMIN_URL, REQUIRE_PG

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
# The newest migration of this checkout: the wheel must carry it.
HEAD = ScriptDirectory(str(ROOT / "store_server" / "migrations")).get_current_head()
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if UV is None:
        pytest.fail("uv is needed to build the wheel (dev.py installs it)")
    out = tmp_path_factory.mktemp("dist")
    _run(UV, "build", "--wheel", "--out-dir", out, ROOT, cwd=out)
    return next(out.glob("plaza-*.whl"))


def _fresh_env(folder: Path, wheel: Path, extras: str = "") -> Path:
    """A virtualenv outside the checkout holding only the wheel (and what it depends on)."""
    _run(UV, "venv", "--quiet", "--python", sys.executable, folder / "venv", cwd=folder)
    python = folder / "venv" / "bin" / "python"
    _run(UV, "pip", "install", "--quiet", "--compile-bytecode", "--python", python,
         f"{wheel}[{extras}]" if extras else str(wheel), cwd=folder)
    return python.parent


@pytest.fixture(scope="module")
def server_bin(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel with the server and PostgreSQL extras, in a virtualenv far from the checkout."""
    return _fresh_env(tmp_path_factory.mktemp("server-env"), wheel, "server,postgres")


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own: the wheel's migrations create every table in it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'plaza.sqlite3'}"
        return
    name = f"plaza_pkg_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required here but does not answer: {exc}")
        pytest.skip("no PostgreSQL")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("database", ["sqlite", "postgresql"], indirect=True)
def test_the_wheel_alone_migrates_loads_the_demo_and_serves(server_bin: Path, database: str,
                                                           tmp_path: Path) -> None:
    place = tmp_path / "elsewhere"  # no checkout on the path: only what the wheel carries
    place.mkdir()
    bin_dir = server_bin
    # The cheapest Argon2 profile, as in the rest of the suite: the demo's staff are hashed faster.
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(place), "DATABASE_URL": database,
           "PLAZA_INSTANCE": str(place / "instance"), "PYTHONDONTWRITEBYTECODE": "1",
           "PLAZA_ARGON2_PROFILE": "CHEAPEST"}
    migrated = _run(bin_dir / "store-server", "db", "upgrade", cwd=place, env=env)
    assert f"database at {migrations_head()}" in migrated
    assert "agree" in _run(bin_dir / "store-server", "db", "check", cwd=place, env=env)
    _run(bin_dir / "store-server", "demo", "load", "--quiet", cwd=place, env=env)
    port = free_port()
    server = subprocess.Popen([bin_dir / "gunicorn", "-c", "python:store_server.gunicorn_conf", "--bind",
                               f"127.0.0.1:{port}", "store_server:create_app()"], cwd=place, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "the installed server did not start"
            time.sleep(0.2)
        people = json.loads((place / "instance" / "demo-credentials.json").read_text())
        admin = next(p for p in people if p["role"] == "admin")
        token = requests.post(base + "/api/v1/auth/tokens", timeout=10, json={
            "username": admin["username"], "password": admin["password"]}).json()["token"]
        stores = requests.get(base + "/api/v1/locations", timeout=10,
                              headers={"Authorization": f"Bearer {token}"}).json()
        assert "MAD-XANADU" in {s["code"] for s in stores}
        assert requests.get(base + "/backoffice/login", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_till_installs_without_the_servers_dependencies(wheel: Path, tmp_path: Path) -> None:
    bin_dir = _fresh_env(tmp_path, wheel)
    installed = _run(UV, "pip", "list", "--python", bin_dir / "python", cwd=tmp_path).lower()
    for heavy in ("gunicorn", "alembic", "reportlab", "sqlalchemy", "psycopg"):
        assert heavy not in installed, heavy
    assert "usage" in _run(bin_dir / "pos-client", "--help", cwd=tmp_path).lower()
