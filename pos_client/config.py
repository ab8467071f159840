"""How a till is set up: which server, which printer, where it keeps its files, and its token.

A till is configured once (command-line options or ``PLAZA_TILL_*`` environment variables)
and paired once: the manager's pairing code is exchanged for a device token that is kept in
the till's data directory, readable by the till's user only, so a restart never needs the
code (or the server) again.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOKEN_FILE = "device.json"
REPLICA_FILE = "replica.sqlite3"
OUTBOX_FILE = "outbox.sqlite3"
SPOOL_FILE = "print-spool.sqlite3"
CASHIERS_FILE = "cashiers.json"
CLOCK_FILE = "clock.json"


class NotPaired(RuntimeError):
    """The till has no token and no pairing code to get one."""


@dataclass(frozen=True)
class TillConfig:
    server_url: str
    data_dir: Path
    printer_url: str = "dummy:"
    pairing_code: str | None = None
    host: str = "127.0.0.1"
    port: int = 8765
    batch_size: int = 200  # sales per push; the server takes at most 500
    sync_interval: float = 2.0  # seconds between pulls of the changes feed when idle
    request_timeout: float = 60.0  # a first-sync page of 5,000 SKUs may take a few seconds
    max_backoff: float = 30.0
    public_url: str | None = None  # where a receipt QR points shoppers; the server's URL when unset

    @property
    def token_path(self) -> Path:
        return self.data_dir / TOKEN_FILE

    @property
    def replica_path(self) -> Path:
        return self.data_dir / REPLICA_FILE

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / OUTBOX_FILE

    @property
    def spool_path(self) -> Path:
        return self.data_dir / SPOOL_FILE

    @property
    def clock_path(self) -> Path:
        return self.data_dir / CLOCK_FILE

    @property
    def cashiers_path(self) -> Path:
        return self.data_dir / CASHIERS_FILE

    @property
    def receipt_base_url(self) -> str:
        return (self.public_url or self.server_url).rstrip("/")


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"PLAZA_TILL_{name}", default)


def parse_args(argv: Sequence[str] | None = None) -> TillConfig:
    """The till's configuration from ``argv``, with ``PLAZA_TILL_*`` variables as defaults."""
    parser = argparse.ArgumentParser(prog="pos-client", description="Plaza till agent")
    parser.add_argument("--server", default=_env("SERVER"), help="store server URL (PLAZA_TILL_SERVER)")
    parser.add_argument("--data-dir", default=_env("DATA_DIR", "till-data"),
                        help="replica, outbox and token live here (PLAZA_TILL_DATA_DIR)")
    parser.add_argument("--pairing-code", default=_env("PAIRING_CODE"),
                        help="the code the manager read off the back office (first start only)")
    parser.add_argument("--printer", default=_env("PRINTER", "dummy:"),
                        help="receipt printer URL: tcp://host:9100, usb://VID:PID, dummy:")
    parser.add_argument("--public-url", default=_env("PUBLIC_URL"),
                        help="the shop's public address, for receipt QRs (default: the server URL)")
    parser.add_argument("--host", default=_env("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(_env("PORT", "8765") or 8765))
    parser.add_argument("--batch-size", type=int, default=int(_env("BATCH_SIZE", "200") or 200))
    parser.add_argument("--sync-interval", type=float,
                        default=float(_env("SYNC_INTERVAL", "2") or 2))
    parser.add_argument("--max-backoff", type=float, default=float(_env("MAX_BACKOFF", "30") or 30))
    args = parser.parse_args(argv)
    if not args.server:
        parser.error("say which server: --server URL or PLAZA_TILL_SERVER")
    if not 1 <= args.batch_size <= 500:
        parser.error("--batch-size is between 1 and 500 (the server's limit)")
    return TillConfig(
        server_url=args.server.rstrip("/"), data_dir=Path(args.data_dir), printer_url=args.printer,
        pairing_code=args.pairing_code, host=args.host, port=args.port, batch_size=args.batch_size,
        sync_interval=args.sync_interval, max_backoff=args.max_backoff, public_url=args.public_url)


@dataclass(frozen=True)
class Credentials:
    token: str
    device: dict[str, Any]  # as the server described it when pairing: id, store, name...

    @property
    def store(self) -> str:
        return str(self.device.get("store") or "")


def load_credentials(config: TillConfig) -> Credentials | None:
    try:
        data = json.loads(config.token_path.read_text())
    except FileNotFoundError:
        return None
    return Credentials(data["token"], data.get("device", {}))


def save_credentials(config: TillConfig, credentials: Credentials) -> None:
    """Write the token readable by its owner only (0600), atomically: a crash while pairing
    leaves either no file or a whole one, never half a token."""
    write_private_json(config.token_path, {"token": credentials.token, "device": credentials.device})


def write_private_json(path: Path, data: Any) -> None:
    """``data`` as JSON in a file only the till's user reads (0600), replaced atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(partial, 0o600)  # the umask may have widened nothing, but an old file might have
    os.replace(partial, path)
