"""Receipt printers named by URL, and sending print jobs to them exactly once.

``tcp://host:9100``, ``usb://04b8:0e15``, ``serial:///dev/ttyUSB0?baudrate=19200``,
``file:///dev/usb/lp0``, ``cups://QUEUE``, ``dummy:``; any of them may add ``?profile=TM-T88V``
(the capability profile, see hardware.profiles) and ``ack=none`` (do not wait for the
printer's process-ID answer). Jobs go through the spool journal so that a retried job is not
sent again once the printer acknowledged it.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from escpos.escpos import Escpos
from escpos.exceptions import Error as EscposError
from escpos.printer import LP, CupsPrinter, Dummy, File, Network, Serial, Usb

from hardware.escpos_receipt import drawer_job, receipt_job
from hardware.jobs import JOB_END_MARKER, process_id_response, validate_job_id
from hardware.profiles import PrinterProfile, get_profile
from hardware.spool import PENDING, SpoolJournal
from retail.receipt import Receipt

log = logging.getLogger(__name__)
SCHEMES = ("tcp", "usb", "serial", "file", "cups", "dummy")


class PrinterError(RuntimeError):
    """A print job did not reach the printer; the job stays pending in the spool journal."""


class PrinterURLError(PrinterError, ValueError):
    """A printer URL we cannot understand."""


class PrintNotAcknowledged(PrinterError):
    """The bytes were sent but the printer did not confirm the job; retrying is safe only on
    printers that dedupe by job id (the virtual printer does)."""


@dataclass(frozen=True)
class PrinterTarget:
    url: str
    scheme: str
    location: str  # host:port, VID:PID, device path or queue name
    options: dict[str, str] = field(default_factory=dict)

    @property
    def profile_name(self) -> str:
        return self.options.get("profile", "TM-T20II")

    @property
    def wants_ack(self) -> bool:
        return self.options.get("ack", "auto") != "none"


def parse_printer_url(url: str) -> PrinterTarget:
    """Split a printer URL into scheme, location and options, checking what we can early."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise PrinterURLError(f"printer URL {url!r} must start with one of "
                              + ", ".join(f"{s}:" for s in SCHEMES))
    options = dict(parse_qsl(parts.query))
    location = unquote(parts.netloc + parts.path) if scheme in ("file", "serial") else (
        unquote(parts.netloc or parts.path))
    if scheme != "dummy" and not location:
        raise PrinterURLError(f"printer URL {url!r} names no device")
    target = PrinterTarget(url=url, scheme=scheme, location=location, options=options)
    _check_location(target)
    return target


def _check_location(target: PrinterTarget) -> None:
    if target.scheme == "usb":
        vid, _, pid = target.location.partition(":")
        try:
            int(vid, 16), int(pid, 16)
        except ValueError as exc:
            raise PrinterURLError(f"USB printers are usb://VID:PID in hex, not {target.url!r}")\
                from exc
    if target.scheme == "tcp":
        _host_port(target)


def _host_port(target: PrinterTarget) -> tuple[str, int]:
    host, _, port = target.location.rpartition(":")
    if not host:
        return target.location, 9100
    try:
        return host, int(port)
    except ValueError as exc:
        raise PrinterURLError(f"bad port in printer URL {target.url!r}") from exc


def open_connection(target: PrinterTarget, profile: PrinterProfile,
                    timeout: float = 10.0) -> Escpos:
    """The python-escpos connection for a target (opened lazily by python-escpos)."""
    kind = target.scheme
    escpos_profile = profile.escpos_profile
    if kind == "tcp":
        host, port = _host_port(target)
        return Network(host, port, timeout=timeout, profile=escpos_profile)
    if kind == "usb":
        vid, _, pid = target.location.partition(":")
        return Usb(int(vid, 16), int(pid, 16), profile=escpos_profile)
    if kind == "serial":
        baudrate = int(target.options.get("baudrate", "9600"))
        return Serial(target.location, baudrate=baudrate, profile=escpos_profile)
    if kind == "file":
        return File(target.location, profile=escpos_profile)
    if kind == "cups":
        # pycups needs system headers to build; the lp command reaches the same queue.
        if CupsPrinter.is_usable():
            return CupsPrinter(target.location, profile=escpos_profile)
        return LP(target.location, profile=escpos_profile)
    return Dummy(profile=escpos_profile)


@dataclass(frozen=True)
class PrintOutcome:
    job_id: str
    sent: bool  # bytes went to the printer this time
    acknowledged: bool  # the printer confirmed it (or the transport has no way to)
    already_printed: bool = False  # the journal says this job was printed before


class ReceiptPrinter:
    """One printer: builds jobs for its profile and sends each job id at most once."""

    def __init__(self, url: str, profile: PrinterProfile | str | None = None,
                 journal: SpoolJournal | None = None, ack_timeout: float = 10.0) -> None:
        self.target = parse_printer_url(url)
        if isinstance(profile, PrinterProfile):
            self.profile = profile
        else:
            self.profile = get_profile(profile or self.target.profile_name)
        self.journal = journal or SpoolJournal()
        self.ack_timeout = ack_timeout
        self.last_connection: Escpos | None = None  # the Dummy of dummy: printers, for tests

    def print_receipt(self, receipt: Receipt, locale: str, *, job_id: str,
                      open_drawer: bool = False) -> PrintOutcome:
        data = receipt_job(receipt, locale, self.profile, job_id=job_id, open_drawer=open_drawer)
        return self.send(job_id, data)

    def open_drawer(self, *, job_id: str) -> PrintOutcome:
        return self.send(job_id, drawer_job(job_id, self.profile))

    def send(self, job_id: str, data: bytes, recipe: str | None = None) -> PrintOutcome:
        """Send a job unless the journal says it was printed; raise PrinterError on failure.

        ``recipe`` is kept with the job in the journal for whoever retries it (the till keeps
        what it needs to print a marked copy)."""
        validate_job_id(job_id)
        existing = self.journal.get(job_id)
        if existing is not None and existing.state != PENDING:
            return PrintOutcome(job_id, sent=False, acknowledged=True, already_printed=True)
        job = self.journal.record(job_id, self.target.url, data, recipe)
        try:
            acknowledged = self._transmit(job_id, job.data)
        except (OSError, EscposError, PrinterError) as exc:
            self.journal.mark_attempt(job_id, str(exc))
            if isinstance(exc, PrinterError):
                raise
            raise PrinterError(f"printer {self.target.url} is unavailable: {exc}") from exc
        self.journal.mark_attempt(job_id, None)
        self.journal.mark_printed(job_id)
        return PrintOutcome(job_id, sent=True, acknowledged=acknowledged)

    def retry_pending(self) -> list[PrintOutcome]:
        """Send again, as they are, the jobs for this printer that never got through (right for
        printers that dedupe by job id; the till prints a marked copy of a job that may have
        printed instead, see pos_client/printing.py)."""
        return [self.send(job.job_id, job.data) for job in self.journal.pending(self.target.url)]

    def _transmit(self, job_id: str, data: bytes) -> bool:
        connection = open_connection(self.target, self.profile, timeout=self.ack_timeout)
        self.last_connection = connection
        try:
            connection.device  # noqa: B018 (opens the connection: a printer away raises here)
            # From the first byte on, the job may print even if we never hear back.
            self.journal.mark_reached(job_id)
            connection._raw(data)
            if isinstance(connection, Network) and self._expects_ack():
                _await_job_end(connection, self.ack_timeout)
            return True
        finally:
            if not isinstance(connection, Dummy):
                connection.close()

    def _expects_ack(self) -> bool:
        return self.profile.process_id_response and self.target.wants_ack


def _await_job_end(connection: Network, timeout: float) -> None:
    """Read the printer's process-ID answers until the end-of-job one arrives."""
    sock: socket.socket = connection.device  # type: ignore[assignment]
    expected = process_id_response(JOB_END_MARKER)
    received = b""
    deadline = time.monotonic() + timeout
    while expected not in received:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PrintNotAcknowledged(f"no end-of-job answer within {timeout:.0f} s")
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(4096)
        except TimeoutError as exc:
            raise PrintNotAcknowledged(f"no end-of-job answer within {timeout:.0f} s") from exc
        if not chunk:
            raise PrintNotAcknowledged("the printer closed the connection before confirming")
        received += chunk


def open_drawer(url: str, job_id: str, journal: SpoolJournal | None = None) -> PrintOutcome:
    """Kick the cash drawer wired to the printer at ``url`` (``1b 70 00 32 32``)."""
    return ReceiptPrinter(url, journal=journal).open_drawer(job_id=job_id)
