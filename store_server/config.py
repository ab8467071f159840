"""Configuration from the environment, with secrets generated on first run.

Every setting has a working default so that a fresh checkout runs with one command: the
database is a SQLite file in the instance folder and the secret key is created there, never
committed. Set ``DATABASE_URL`` (``postgresql://...``) for PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


def instance_path() -> Path:
    return Path(os.environ.get("PLAZA_INSTANCE", Path.cwd() / "instance")).resolve()


def _secret(folder: Path, name: str) -> str:
    """Read a secret from the instance folder, creating it (mode 0600) on first run."""
    path = folder / name
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def load_config(folder: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    overrides = dict(overrides or {})
    folder.mkdir(parents=True, exist_ok=True)
    env = os.environ
    config: dict[str, Any] = {
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{folder / 'plaza.sqlite3'}",
        "PUBLIC_URL": env.get("PLAZA_PUBLIC_URL", "http://127.0.0.1:5000"),
        "SQLITE_BUSY_TIMEOUT_MS": int(env.get("PLAZA_SQLITE_BUSY_TIMEOUT_MS", "30000")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("PLAZA_SECURE_COOKIES", "0") == "1",
        "WTF_CSRF_TIME_LIMIT": None,
        "JSON_SORT_KEYS": False,
        # Bodies above this are refused with 413 before anything reads them (a sales batch of
        # 500 sales is far below it).
        "MAX_CONTENT_LENGTH": int(env.get("PLAZA_MAX_REQUEST_BYTES", str(4 * 1024 * 1024))),
        # How long an unpaid online order holds its stock.
        "ORDER_RESERVATION_MINUTES": float(env.get("PLAZA_ORDER_RESERVATION_MINUTES", "15")),
        # Sign-in throttling: wrong passwords/PINs per account and per address (or till) in a
        # window; past the limit, the account or address is locked out for a while.
        "SIGNIN_ACCOUNT_LIMIT": int(env.get("PLAZA_SIGNIN_ACCOUNT_LIMIT", "5")),
        "SIGNIN_SOURCE_LIMIT": int(env.get("PLAZA_SIGNIN_SOURCE_LIMIT", "30")),
        "SIGNIN_WINDOW_S": float(env.get("PLAZA_SIGNIN_WINDOW_S", "900")),
        "SIGNIN_LOCKOUT_S": float(env.get("PLAZA_SIGNIN_LOCKOUT_S", "300")),
        # Reverse proxies in front of the server whose X-Forwarded-For is trusted (0: none).
        "TRUSTED_PROXIES": int(env.get("PLAZA_TRUSTED_PROXIES", "0")),
        # Back-office sessions end after this long without a request, and after 12 h at most.
        "BACKOFFICE_IDLE_MINUTES": float(env.get("PLAZA_BACKOFFICE_IDLE_MINUTES", "60")),
        # Webhook worker: retries back off base × 2^(n−1) s (capped, jittered) up to max attempts.
        "WEBHOOK_MAX_ATTEMPTS": int(env.get("PLAZA_WEBHOOK_MAX_ATTEMPTS", "15")),
        "WEBHOOK_BACKOFF_BASE_S": float(env.get("PLAZA_WEBHOOK_BACKOFF_BASE_S", "30")),
        "WEBHOOK_BACKOFF_MAX_S": float(env.get("PLAZA_WEBHOOK_BACKOFF_MAX_S", "21600")),
        "WEBHOOK_TIMEOUT_S": float(env.get("PLAZA_WEBHOOK_TIMEOUT_S", "5")),
        "WEBHOOK_BATCH_SIZE": int(env.get("PLAZA_WEBHOOK_BATCH_SIZE", "32")),
        "WEBHOOK_CONCURRENCY": int(env.get("PLAZA_WEBHOOK_CONCURRENCY", "8")),
    }
    # Payments: the Alipay gateway (our sandbox writes these to plaza-payment.env) and timing.
    # Keys come from the environment or files outside the repository, never from the source tree.
    for name in ("GATEWAY_URL", "APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_FILE", "PUBLIC_KEY",
                 "PUBLIC_KEY_FILE", "NOTIFY_URL", "CURRENCY", "CONNECT_TIMEOUT", "READ_TIMEOUT",
                 "TRADE_LISTING_URL"):
        config["PLAZA_ALIPAY_" + name] = env.get("PLAZA_ALIPAY_" + name) or None
    config.update({
        # Payment code: ask the gateway every 3 s for up to 60 s while the shopper confirms.
        "PLAZA_PAYMENT_POLL_INTERVAL": float(env.get("PLAZA_PAYMENT_POLL_INTERVAL", "3")),
        "PLAZA_PAYMENT_POLL_LIMIT": float(env.get("PLAZA_PAYMENT_POLL_LIMIT", "60")),
        "PLAZA_PAYMENT_CANCEL_RETRY_S": float(env.get("PLAZA_PAYMENT_CANCEL_RETRY_S", "1")),
        # An unpaid QR is closed after this long (the gateway is told too).
        "PLAZA_PAYMENT_QR_TIMEOUT_MINUTES": int(env.get("PLAZA_PAYMENT_QR_TIMEOUT_MINUTES", "5")),
        # A reader waiting on a QR asks the gateway this often when no notification came.
        "PLAZA_PAYMENT_QUERY_INTERVAL": float(env.get("PLAZA_PAYMENT_QUERY_INTERVAL", "3")),
        # Creating a payment-code payment answers when settled or after this many seconds.
        "PLAZA_PAYMENT_CREATE_WAIT": float(env.get("PLAZA_PAYMENT_CREATE_WAIT", "5")),
    })
    # store-server worker: unset ones take WorkerSettings' defaults (store_server/jobs/worker.py).
    for name in ("THREADS", "LEASE_S", "POLL_S", "EXPIRY_EVERY_S", "WEBHOOKS_EVERY_S",
                 "RECOMMENDATIONS_EVERY_S", "PURGE_AFTER_DAYS"):
        config["WORKER_" + name] = env.get("PLAZA_WORKER_" + name) or None
    config.update(overrides)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = env.get("PLAZA_SECRET_KEY") or _secret(folder, "secret_key")
    # Signs member QRs; every server process of the chain must share it (the instance folder
    # or the environment). A member QR expires after this long; 0 means only revocation ends it.
    if "MEMBER_QR_KEY" not in config:
        config["MEMBER_QR_KEY"] = env.get("PLAZA_MEMBER_QR_KEY") or _secret(folder, "member_qr_key")
    # Seals the secrets we must read back (webhook signing secrets); shared like the QR key.
    if "SEALING_KEY" not in config:
        config["SEALING_KEY"] = env.get("PLAZA_SEALING_KEY") or _secret(folder, "sealing_key")
    config.setdefault("MEMBER_QR_TTL_MINUTES", int(env.get("PLAZA_MEMBER_QR_TTL_MINUTES", "1440")))
    return config
