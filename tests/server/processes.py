"""Real processes for the fault tests: ``store-server worker`` and gunicorn servers that a test
kills with SIGKILL and starts again. Each records its output to a file, shown when a test fails,
and every one is ended by the test that started it (use them as context managers)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import requests

STORE_SERVER = str(Path(sys.executable).with_name("store-server"))
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment every process of one deployment shares: the database and the secrets
    (the same keys on every server and worker, as docs/DEPLOY.md asks)."""
    return {**os.environ, "DATABASE_URL": database_url, "PLAZA_INSTANCE": str(instance),
            "PLAZA_SECRET_KEY": "live-test", "PLAZA_PUBLIC_URL": "https://plaza.test", **extra}


class _Process:
    """A child process whose stdout and stderr are read line by line into a log file, so a test
    can wait for a line it prints (readiness, a hook reached) without sleeping."""

    def __init__(self, name: str, log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[str] | None = None
        self._lines: list[str] = []
        self._seen = threading.Condition()
        self._readers: list[threading.Thread] = []

    def _spawn(self, args: Sequence[str], env: dict[str, str], *, new_session: bool = False,
               stdin: int | None = None) -> None:
        self._lines = []
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(list(args), env=env, cwd=ROOT, text=True, stdin=stdin,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        start_new_session=new_session)
        log = self.log_path.open("a")
        self._readers = [threading.Thread(target=self._read, args=(stream, log), daemon=True)
                         for stream in (self.process.stdout, self.process.stderr)]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: IO[str] | None, log: IO[str]) -> None:
        assert stream is not None
        for line in stream:
            log.write(line)
            log.flush()
            with self._seen:
                self._lines.append(line)
                self._seen.notify_all()
        with self._seen:
            self._seen.notify_all()

    def wait_for_line(self, text: str, timeout: float = 60) -> str:
        """Return the first line printed (this run) that contains ``text``."""
        def found() -> str | None:
            return next((line for line in self._lines if text in line), None)

        with self._seen:
            if not self._seen.wait_for(lambda: found() is not None or not self.running, timeout):
                raise AssertionError(f"{self.name} never printed {text!r}; see {self.log_path}:\n"
                                     + self.output()[-3000:])
            line = found()
        if line is None:
            raise AssertionError(f"{self.name} exited before printing {text!r}:\n" + self.output()[-3000:])
        return line

    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def _signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL, as a machine losing power would, and wait for the process to be gone."""
        if self.running:
            self._signal(signal.SIGKILL)
        self._reap(10)

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM, and SIGKILL if it has not ended within ``timeout``."""
        if self.running:
            self._signal(signal.SIGTERM)
            try:
                assert self.process is not None
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
        self._reap(10)

    def _reap(self, timeout: float) -> None:
        if self.process is not None:
            self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop(timeout=30)


class WorkerProcess(_Process):
    """``store-server worker`` (or a test harness around it) in its own process."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path, *, only: Sequence[str] = (),
                 command: Sequence[str] | None = None) -> None:
        super().__init__(name, log_dir)
        self.env = env
        self.command = list(command or [STORE_SERVER, "worker"])
        self.args = [arg for kind in only for arg in ("--only", kind)] + ["--name", name]

    def start(self) -> WorkerProcess:
        self._spawn([*self.command, *self.args], self.env, stdin=subprocess.PIPE)
        self.wait_for_line(f"worker {self.name} runs")
        return self


class ServerProcess(_Process):
    """gunicorn serving the store server on a fixed port, in its own process group so that a
    SIGKILL takes the master and its workers at once; it can be started again on that port."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path, *, threads: int = 4) -> None:
        super().__init__(name, log_dir)
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.threads = threads

    def start(self) -> ServerProcess:
        self._spawn([sys.executable, "-m", "gunicorn", "-c", "python:store_server.gunicorn_conf",
                     "--workers", "2", "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.port}",
                     "--log-level", "warning", "store_server:create_app()"], self.env, new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if not self.running or time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not start:\n" + self.output()[-3000:])
            time.sleep(0.05)

    def _signal(self, sig: int) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        super().kill()
        # The group's workers die with the master; make sure none still holds the port.
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
