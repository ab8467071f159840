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
        # How long an unpaid online order holds its stock.
        "ORDER_RESERVATION_MINUTES": int(env.get("PLAZA_ORDER_RESERVATION_MINUTES", "15")),
        # Webhook worker: retries back off base × 2^(n−1) s (capped, jittered) up to max attempts.
        "WEBHOOK_MAX_ATTEMPTS": int(env.get("PLAZA_WEBHOOK_MAX_ATTEMPTS", "15")),
        "WEBHOOK_BACKOFF_BASE_S": float(env.get("PLAZA_WEBHOOK_BACKOFF_BASE_S", "30")),
        "WEBHOOK_BACKOFF_MAX_S": float(env.get("PLAZA_WEBHOOK_BACKOFF_MAX_S", "21600")),
        "WEBHOOK_TIMEOUT_S": float(env.get("PLAZA_WEBHOOK_TIMEOUT_S", "5")),
        "WEBHOOK_BATCH_SIZE": int(env.get("PLAZA_WEBHOOK_BATCH_SIZE", "32")),
        "WEBHOOK_CONCURRENCY": int(env.get("PLAZA_WEBHOOK_CONCURRENCY", "8")),
    }
    config.update(overrides)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = env.get("PLAZA_SECRET_KEY") or _secret(folder, "secret_key")
    return config
