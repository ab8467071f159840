"""A virtual network receipt printer: takes ESC/POS on TCP like a real one and renders it.

Each job it receives is decoded (hardware.escpos_decode), drawn to a PNG, kept in memory and in
the jobs directory, and listed on a small web page and at ``/jobs.json``. Jobs that carry a job
id (hardware.jobs) are printed once however often they are resent, and acknowledged with the
process-ID answer an Epson printer would send. Used by the demo, the back office preview and
the tests: ``plaza-virtual-printer --port 9100 --http-port 8910 --jobs-dir var/printer``.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import logging
import signal
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hardware.escpos_decode import DecodedJob, decode
from hardware.jobs import JOB_END, process_id_response
from hardware.profiles import PrinterProfile, get_profile

log = logging.getLogger(__name__)
IDLE_TIMEOUT = 5.0  # a client that goes quiet this long has finished its job


@dataclass
class PrintedJob:
    number: int
    job_id: str | None
    received_at: str
    size: int
    decoded: DecodedJob | None
    png: bytes
    resends: int = 0
    summary: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        if not self.summary and self.decoded is not None:
            job = self.decoded
            self.summary = {
                "text": job.text, "cuts": job.cuts, "drawer_kicks": job.drawer_kicks,
                "raster_images": job.raster_images, "qr_codes": job.qr_codes,
                "barcodes": [list(b) for b in job.barcodes], "process_ids": job.process_ids,
                "unknown_commands": job.unknown,
            }
        return {"number": self.number, "job_id": self.job_id, "received_at": self.received_at,
                "bytes": self.size, "resends": self.resends,
                "image": f"/jobs/{self.number}.png", **self.summary}


class JobStore:
    """The printed jobs, in memory and (when given a directory) on disk across restarts."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.jobs: list[PrintedJob] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            self._load()

    def _load(self) -> None:
        assert self.directory is not None
        for meta in sorted(self.directory.glob("job-*.json")):
            data = json.loads(meta.read_text())
            png_path = meta.with_suffix(".png")
            png = png_path.read_bytes() if png_path.exists() else b""
            summary = {k: v for k, v in data.items() if k not in
                       ("number", "job_id", "received_at", "bytes", "resends", "image")}
            self.jobs.append(PrintedJob(data["number"], data["job_id"], data["received_at"],
                                        data["bytes"], None, png, data["resends"], summary))
        self.jobs.sort(key=lambda j: j.number)

    def add(self, raw: bytes, decoded: DecodedJob, render: Any) -> PrintedJob:
        """Keep a new job, or count a resend of one already printed (by job id)."""
        with self._lock:
            job_id = decoded.job_id
            earlier = next((j for j in self.jobs if job_id and j.job_id == job_id), None)
            if earlier is not None:
                earlier.resends += 1
                self._save(earlier, raw=None)
                self._changed.notify_all()
                return earlier
            number = (self.jobs[-1].number + 1) if self.jobs else 1
            job = PrintedJob(number, job_id, datetime.now(UTC).isoformat(), len(raw), decoded,
                             render(decoded))
            self.jobs.append(job)
            self._save(job, raw=raw)
            self._changed.notify_all()
            return job

    def _save(self, job: PrintedJob, raw: bytes | None) -> None:
        if self.directory is None:
            return
        stem = self.directory / f"job-{job.number:06d}"
        if raw is not None:
            stem.with_suffix(".bin").write_bytes(raw)
            stem.with_suffix(".png").write_bytes(job.png)
        stem.with_suffix(".json").write_text(json.dumps(job.as_dict(), ensure_ascii=False,
                                                        indent=1))

    def snapshot(self) -> list[PrintedJob]:
        with self._lock:
            return list(self.jobs)

    def get(self, number: int) -> PrintedJob | None:
        with self._lock:
            return next((j for j in self.jobs if j.number == number), None)

    def wait_for(self, predicate: Any, timeout: float) -> bool:
        """Block until ``predicate(jobs)`` holds (tests wait for a job to land)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(list(self.jobs)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True


def render_png(decoded: DecodedJob) -> bytes:
    import io

    buffer = io.BytesIO()
    assert decoded.paper is not None
    decoded.paper.to_image(margin=8).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def split_jobs(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Complete jobs (ending with the end-of-job process id) and the bytes left over."""
    jobs = []
    while True:
        end = buffer.find(JOB_END)
        if end < 0:
            return jobs, buffer
        jobs.append(buffer[:end + len(JOB_END)])
        buffer = buffer[end + len(JOB_END):]


class VirtualPrinter:
    """The TCP printer and its web page, each on a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 9100, http_port: int | None = None,
                 jobs_dir: Path | None = None, profile: PrinterProfile | None = None) -> None:
        self.profile = profile or get_profile("TM-T20II")
        self.store = JobStore(jobs_dir)
        self._tcp = _TCPServer((host, port), _PrinterHandler, printer=self)
        self._http = (_HTTPServer((host, http_port), _PageHandler, printer=self)
                      if http_port is not None else None)
        self._threads: list[threading.Thread] = []

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._tcp.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"tcp://{host}:{port}"

    @property
    def http_url(self) -> str | None:
        if self._http is None:
            return None
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> VirtualPrinter:
        for server in (self._tcp, self._http):
            if server is not None:
                # A short poll interval keeps stop() quick for tests and the demo.
                thread = threading.Thread(target=server.serve_forever,
                                          kwargs={"poll_interval": 0.05}, daemon=True)
                thread.start()
                self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in (self._tcp, self._http):
            if server is not None:
                server.shutdown()
                server.server_close()

    def __enter__(self) -> VirtualPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def jobs(self) -> list[PrintedJob]:
        return self.store.snapshot()

    def receive(self, raw: bytes) -> bytes:
        """Print one job's bytes; return what the printer answers (process-ID responses)."""
        if not raw.strip(b"\x00\r\n "):
            return b""
        decoded = decode(raw, self.profile)
        job = self.store.add(raw, decoded, render_png)
        log.info("job %s (id %s): %d bytes", job.number, decoded.job_id, len(raw))
        return b"".join(process_id_response(pid) for pid in decoded.process_ids)


class _TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, printer: VirtualPrinter) -> None:
        self.printer = printer
        super().__init__(address, handler)


class _PrinterHandler(socketserver.BaseRequestHandler):
    """One client connection: jobs end at the end-of-job marker, at EOF, or when idle."""

    def handle(self) -> None:
        printer: VirtualPrinter = self.server.printer  # type: ignore[attr-defined]
        sock: socket.socket = self.request
        sock.settimeout(IDLE_TIMEOUT)
        buffer = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionError):
                chunk = b""
            if not chunk:
                break
            jobs, buffer = split_jobs(buffer + chunk)
            for raw in jobs:
                self._answer(sock, printer.receive(raw))
        if buffer:
            self._answer(sock, printer.receive(buffer))

    @staticmethod
    def _answer(sock: socket.socket, response: bytes) -> None:
        if response:
            # If the client went away, the job is printed all the same.
            with contextlib.suppress(OSError):
                sock.sendall(response)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, printer: VirtualPrinter) -> None:
        self.printer = printer
        super().__init__(address, handler)


class _PageHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the http.server naming)
        printer: VirtualPrinter = self.server.printer  # type: ignore[attr-defined]
        path = self.path.split("?")[0]
        if path in ("/", "/index.html"):
            self._send(200, "text/html; charset=utf-8", jobs_page(printer.jobs).encode())
        elif path == "/jobs.json":
            body = json.dumps([j.as_dict() for j in printer.jobs], ensure_ascii=False)
            self._send(200, "application/json", body.encode())
        elif path.startswith("/jobs/") and path.endswith(".png"):
            job = _job_from_path(printer, path)
            if job is None:
                self._send(404, "text/plain", b"no such job")
            else:
                self._send(200, "image/png", job.png)
        else:
            self._send(404, "text/plain", b"not found")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("http: " + format, *args)


def _job_from_path(printer: VirtualPrinter, path: str) -> PrintedJob | None:
    try:
        return printer.store.get(int(path[len("/jobs/"):-len(".png")]))
    except ValueError:
        return None


def jobs_page(jobs: list[PrintedJob]) -> str:
    """The page listing every job, newest first, with its picture and decoded text."""
    cards = []
    for job in reversed(jobs):
        info = job.as_dict()
        cards.append(
            f"<article><h2>Job {job.number}</h2><p>id <code>{html.escape(str(job.job_id))}</code>"
            f" · {html.escape(job.received_at)} · {job.size} bytes · cuts {info.get('cuts')}"
            f" · drawer kicks {len(info.get('drawer_kicks', []))} · resent {job.resends}×</p>"
            f"<img src='/jobs/{job.number}.png' alt='job {job.number}'>"
            f"<pre>{html.escape(info.get('text', ''))}</pre></article>")
    body = "".join(cards) or "<p>No jobs yet. Print to this printer's TCP port.</p>"
    return ("<!doctype html><html><head><meta charset='utf-8'><title>Virtual printer</title>"
            "<meta http-equiv='refresh' content='5'><style>body{font-family:sans-serif;"
            "background:#eee}article{display:inline-block;vertical-align:top;margin:1em;"
            "padding:1em;background:#fff}img{border:1px solid #ccc}pre{max-width:40em;"
            "white-space:pre-wrap}</style></head><body><h1>Virtual printer</h1>"
            f"<p><a href='/jobs.json'>jobs.json</a></p>{body}</body></html>")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A virtual ESC/POS network printer.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--http-port", type=int, default=None,
                        help="serve the jobs page and /jobs.json on this port")
    parser.add_argument("--jobs-dir", type=Path, default=None,
                        help="keep jobs (raw bytes, PNG, JSON) here across restarts")
    parser.add_argument("--profile", default="TM-T20II", help="printer profile to emulate")
    args = parser.parse_args(argv)
    # force: python-escpos configures the root logger when imported.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", force=True)
    printer = VirtualPrinter(args.host, args.port, args.http_port, args.jobs_dir,
                             get_profile(args.profile)).start()
    log.info("virtual printer on %s, page on %s", printer.url, printer.http_url or "(none)")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    printer.stop()


if __name__ == "__main__":
    main()
