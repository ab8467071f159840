"""The whole API fuzzed against its own OpenAPI document (schemathesis), as three callers.

A live gunicorn server on SQLite with a small chain loaded; schemathesis reads the document
the server publishes and sends, for every operation, examples it generates from the
declared parameters and bodies, valid and invalid. Every answer must be a documented status
with the documented media type and a body matching the documented schema, and none may be a
server error (a 503 included). The callers: a device (the Madrid till), no credentials at all,
and a staff token (the chain's admin, who may do nearly everything). Wallet payments go to
the payment sandbox, in a process of its own on this machine. Derandomized, with few examples per
operation, so the run is steady and takes well under a minute; run it wider by hand as
docs/API.md shows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from store_server import create_app
from store_server.api.framework import OPERATIONS
from store_server.models import metadata
from tests.pos_client.conftest import SandboxProcess
from tests.server.conftest import running_server
from tests.server.factories import build_chain

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_headers_conformance,response_schema_conformance")
# Examples per operation. Without credentials every operation but the three public ones answers
# 401 whatever it is sent, so that caller needs few. PLAZA_FUZZ_EXAMPLES=50 (every caller) and
# PLAZA_FUZZ_PHASES=coverage,fuzzing run it wider by hand.
EXAMPLES = {"device": 2, "anonymous": 1, "staff": 3}
WIDER = int(os.environ.get("PLAZA_FUZZ_EXAMPLES", "0"))
PHASES = os.environ.get("PLAZA_FUZZ_PHASES", "fuzzing")
# Ending its own sign-in would leave the staff caller with nothing but 401s for the rest.
STAFF_SKIPS = ("sign_out", "revoke_token")


@pytest.fixture
def fuzzed_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    url = f"sqlite:///{tmp_path / 'plaza.sqlite3'}"
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance", "DATABASE_URL": url,
                      "SECRET_KEY": "fuzz", "PUBLIC_URL": "https://plaza.test"})
    metadata.create_all(app.extensions["plaza"].engine)
    with app.extensions["plaza"].session_factory() as session:
        tokens = build_chain(app, session).tokens
    app.extensions["plaza"].engine.dispose()
    # Wallet payments go to the payment sandbox on this machine (without it they would all be
    # 503s). No notify URL: the server learns outcomes by asking the gateway.
    sandbox = SandboxProcess(tmp_path / "sandbox")
    sandbox.start()
    try:
        gateway = {name: value for name, value in sandbox.server_env("").items()
                   if name != "PLAZA_ALIPAY_NOTIFY_URL"}
        env = {**gateway, "PLAZA_PAYMENT_CREATE_WAIT": "1"}
        with running_server(url, tmp_path / "live", env=env) as base:
            yield base, tokens
    finally:
        sandbox.stop()


def fuzz(base: str, caller: str, token: str | None, workdir: Path,
         skip: tuple[str, ...] = ()) -> ET.Element:
    """One schemathesis run over the whole document as ``caller``; returns its JUnit report."""
    workdir.mkdir()
    report = workdir / "junit.xml"
    command = [
        str(Path(sys.executable).with_name("st")), "run", f"{base}/api/v1/openapi.json",
        "--checks", CHECKS, "--phases", PHASES, "--max-examples", str(WIDER or EXAMPLES[caller]),
        "--generation-deterministic", "--workers", "2", "--request-timeout", "10",
        # Hypothesis times its own generation: on a busy machine a big body (a batch of sales)
        # is "too slow" to generate, which says nothing about the server.
        "--suppress-health-check", "too_slow,data_too_large",
        "--report", "junit", "--report-junit-path", str(report), "--no-color",
    ]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    for operation_id in skip:
        command += ["--exclude-operation-id", operation_id]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.server.fuzz_hooks",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    run = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True,
                         timeout=None if WIDER else 120)
    sections = [at for at in (run.stdout.find("= ERRORS ="), run.stdout.find("= FAILURES =")) if at >= 0]
    found = run.stdout[min(sections):][:20000] if sections else run.stdout[-5000:] + run.stderr[-5000:]
    assert run.returncode == 0, f"schemathesis, as the {caller} caller, found:\n{found}"
    return ET.parse(report).getroot()


def _tested(report: ET.Element) -> int:
    return len(report.findall(".//testcase"))


def test_fuzzing_the_api_finds_no_server_error_and_no_answer_outside_the_document(
        fuzzed_server: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    base, tokens = fuzzed_server
    operations = len(OPERATIONS)
    # The till and the caller without credentials at once (neither can change what the other
    # may do), then the admin, who may retire the till.
    with ThreadPoolExecutor(max_workers=2) as pool:
        device = pool.submit(fuzz, base, "device", tokens["till.madrid"], tmp_path / "device")
        anonymous = pool.submit(fuzz, base, "anonymous", None, tmp_path / "anonymous")
        assert _tested(device.result()) == operations
        assert _tested(anonymous.result()) == operations
    assert _tested(fuzz(base, "staff", tokens["admin"], tmp_path / "staff", STAFF_SKIPS)) == \
        operations - len(STAFF_SKIPS)
