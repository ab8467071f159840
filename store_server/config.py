"""Every setting of the store server, with its default and its meaning, in one place.

Settings come from the environment (``PLAZA_*``, and ``DATABASE_URL``), read and checked by
pydantic-settings into one ``Settings`` object; each works out of the box, so a fresh checkout
runs with one command: the database is a SQLite file in the instance folder and the keys are
generated there on first run, never committed. The README's configuration table is printed
from this class (``store-server settings``) and a test holds the two in step.

The Flask app sees the settings as its ``config`` mapping, under the keys the code has always
used (``flask_config``); modules read them there and keep no defaults of their own: a module
that needs a default outside an app (a dataclass built in a test) takes it from ``default()``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, TypeAdapter
from pydantic_settings import BaseSettings, SettingsConfigDict

PREFIX = "PLAZA_"


def _setting(default: Any, meaning: str, *, key: str | None = None, shown: str | None = None,
             secret: bool = False, **kwargs: Any) -> Any:
    """A setting: its default, its meaning (the README says it), the key the Flask config
    knows it by when that is not the variable's name without ``PLAZA_``, and how the README
    shows a default that is worked out at run time."""
    extra = {k: v for k, v in (("config_key", key), ("shown", shown)) if v is not None}
    return Field(default, description=meaning, json_schema_extra=extra or None, repr=not secret,
                 **kwargs)


class Settings(BaseSettings):
    """The store server's settings; the environment variable is ``PLAZA_`` + the name upper-cased."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, env_ignore_empty=True, extra="ignore",
                                      populate_by_name=True, frozen=True)

    # -- where things are
    database_url: str | None = _setting(
        None, "`sqlite:///…` or `postgresql://…`", shown="SQLite file in the instance folder",
        validation_alias=AliasChoices("DATABASE_URL", "PLAZA_DATABASE_URL", "database_url"))
    instance: Path | None = _setting(
        None, "instance folder: database, generated keys, demo credentials, sandbox keys",
        shown="`./instance`")
    public_url: str = _setting(
        "http://127.0.0.1:5000", "public base URL: GS1 Digital Link QR codes and e-receipts point here")
    sqlite_busy_timeout_ms: int = _setting(
        30000, "how long a SQLite writer waits for the one write lock before giving up (ms)")

    # -- keys (generated into the instance folder unless given; give every server the same)
    secret_key: str | None = _setting(None, "signs back-office sessions", shown="generated",
                                      secret=True)
    member_qr_key: str | None = _setting(None, "signs member QR codes", shown="generated", secret=True)
    sealing_key: str | None = _setting(
        None, "seals the secrets Plaza must read back (webhook signing secrets) at rest",
        shown="generated", secret=True)
    member_qr_ttl_minutes: int = _setting(
        1440, "a member QR expires this long after issue; `0`: only revocation ends it")

    # -- HTTP
    secure_cookies: bool = _setting(False, "`1` behind HTTPS: cookies only over TLS",
                                    key="SESSION_COOKIE_SECURE", shown="`0`")
    trusted_proxies: int = _setting(
        0, "reverse proxies in front of the server whose `X-Forwarded-For` is trusted")
    max_request_bytes: int = _setting(4 * 1024 * 1024, "larger request bodies are refused with 413",
                                      key="MAX_CONTENT_LENGTH")
    backoffice_idle_minutes: float = _setting(
        60, "a back-office session ends after this long without a request (and after 12 h at most)")

    # -- orders and sign-in
    order_reservation_minutes: float = _setting(15, "how long an unpaid online order holds its stock")
    signin_account_limit: int = _setting(5, "failed sign-ins per account before it is locked out")
    signin_source_limit: int = _setting(
        30, "failed sign-ins from one address or till, any account, before it is locked out")
    signin_window_s: float = _setting(900, "the window failed sign-ins are counted in (s)")
    signin_lockout_s: float = _setting(300, "how long a lockout lasts (s)")
    argon2_profile: Literal["RFC_9106_LOW_MEMORY", "RFC_9106_HIGH_MEMORY", "CHEAPEST"] = _setting(
        "RFC_9106_LOW_MEMORY", "Argon2 cost of new password and PIN hashes (`CHEAPEST` is for tests)")

    # -- the worker (docs/WORKER.md): `store-server worker` runs every background job
    worker_threads: int = _setting(16, "jobs a worker has in hand at once (a payment-code charge "
                                       "waits up to a minute)")
    worker_lease_s: float = _setting(30, "a job's lease; renewed while it runs, taken over by another "
                                         "worker this long after its worker died (s)")
    worker_poll_s: float = _setting(0.5, "an idle worker looks for due jobs this often (s)")
    worker_expiry_every_s: float = _setting(30, "unpaid orders past their time are expired this often (s)")
    worker_webhooks_every_s: float = _setting(1, "webhook deliveries are fanned out and sent this often (s)")
    worker_recommendations_every_s: float = _setting(
        21600, "recommendations are computed again this often (s); `0`: never by the worker")
    worker_purge_after_days: float = _setting(30, "finished one-off jobs are forgotten after this (days)")

    # -- webhooks (docs/WEBHOOKS.md)
    webhook_max_attempts: int = _setting(15, "attempts at a webhook delivery before it is given up")
    webhook_backoff_base_s: float = _setting(
        30, "a failed delivery is retried after base × 2^(n−1) s, jittered, ...")
    webhook_backoff_max_s: float = _setting(21600, "... but never later than this (s)")
    webhook_timeout_s: float = _setting(5, "connect and read timeout of one delivery (s)")
    webhook_batch_size: int = _setting(32, "deliveries a worker claims at a time")
    webhook_concurrency: int = _setting(8, "deliveries a worker sends at once")

    # -- payments (docs/PAYMENTS.md): the Alipay gateway, our sandbox by default in the demo
    alipay_gateway_url: str | None = _setting(
        None, "the gateway's `gateway.do`; unset: only cash is taken", key="PLAZA_ALIPAY_GATEWAY_URL")
    alipay_app_id: str | None = _setting(None, "the merchant's app id", key="PLAZA_ALIPAY_APP_ID")
    alipay_private_key: str | None = _setting(
        None, "the merchant's private key (PEM), or a file holding it:", key="PLAZA_ALIPAY_PRIVATE_KEY",
        secret=True)
    alipay_private_key_file: str | None = _setting(None, "... the file",
                                                   key="PLAZA_ALIPAY_PRIVATE_KEY_FILE")
    alipay_public_key: str | None = _setting(
        None, "the gateway's public key (PEM), or a file holding it:", key="PLAZA_ALIPAY_PUBLIC_KEY")
    alipay_public_key_file: str | None = _setting(None, "... the file", key="PLAZA_ALIPAY_PUBLIC_KEY_FILE")
    alipay_notify_url: str | None = _setting(
        None, "where the gateway sends payment notifications", key="PLAZA_ALIPAY_NOTIFY_URL")
    alipay_currency: str = _setting("CNY", "the currency the merchant account charges in",
                                    key="PLAZA_ALIPAY_CURRENCY")
    alipay_settle_currency: str | None = _setting(
        None, "the currency it settles in, when not the one it charges", key="PLAZA_ALIPAY_SETTLE_CURRENCY")
    alipay_seller_id: str | None = _setting(
        None, "the merchant's seller id: notifications for another seller are refused",
        key="PLAZA_ALIPAY_SELLER_ID")
    alipay_connect_timeout: float = _setting(5, "connect timeout of a gateway call (s)",
                                             key="PLAZA_ALIPAY_CONNECT_TIMEOUT")
    alipay_read_timeout: float = _setting(15, "read timeout of a gateway call (s)",
                                          key="PLAZA_ALIPAY_READ_TIMEOUT")
    alipay_trade_listing_url: str | None = _setting(
        None, "where the day's trades are listed for reconciliation", key="PLAZA_ALIPAY_TRADE_LISTING_URL",
        shown="the sandbox's, beside its gateway")
    payment_poll_interval: float = _setting(
        3, "a payment code waiting for the shopper is asked about this often (s) ...",
        key="PLAZA_PAYMENT_POLL_INTERVAL")
    payment_poll_limit: float = _setting(60, "... for this long (s), then cancelled",
                                         key="PLAZA_PAYMENT_POLL_LIMIT")
    payment_cancel_retry_s: float = _setting(1, "pause between attempts at a cancel (s)",
                                             key="PLAZA_PAYMENT_CANCEL_RETRY_S")
    payment_qr_timeout_minutes: int = _setting(
        5, "an unpaid QR is closed after this long (the gateway too)", key="PLAZA_PAYMENT_QR_TIMEOUT_MINUTES")
    payment_query_interval: float = _setting(
        3, "a reader waiting on a QR asks the gateway this often when no notification came (s)",
        key="PLAZA_PAYMENT_QUERY_INTERVAL")
    payment_create_wait: float = _setting(
        5, "creating a payment-code payment answers once settled or after this long (s)",
        key="PLAZA_PAYMENT_CREATE_WAIT")

    # -- running it (docs/ARCHITECTURE.md, "Running it")
    log_format: Literal["json", "text"] = _setting(
        "json", "`json`: one JSON object a line, for log collectors; `text`: for people")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = _setting(
        "INFO", "the least severe log lines written")
    access_log: bool = _setting(True, "gunicorn writes a line for every request (`0`: it does not)",
                                shown="`1`")
    metrics_token: str | None = _setting(
        None, "a bearer token that lets a scraper read `/metrics` from another machine; "
        "without one only the server's own machine may", shown="none: loopback only", secret=True)
    device_report_interval_s: float = _setting(
        10, "a device's reported sync position and outbox depth are written at most this often (s)")

    @classmethod
    def env_name(cls, name: str) -> str:
        return "DATABASE_URL" if name == "database_url" else PREFIX + name.upper()

    @classmethod
    def config_key(cls, name: str) -> str:
        """The key of the Flask config (and of test overrides) this setting is known by."""
        extra = cls.model_fields[name].json_schema_extra
        if isinstance(extra, dict) and extra.get("config_key"):
            return str(extra["config_key"])
        return name.upper()


def default(name: str) -> Any:
    """A setting's default, for code that runs without an app (a dataclass built in a test)."""
    field = Settings.model_fields[name]
    return TypeAdapter(field.annotation).validate_python(field.default)


def instance_path() -> Path:
    return (Settings().instance or Path.cwd() / "instance").resolve()


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
    """The Flask config: the settings from the environment, ``overrides`` (a test's config, by
    config key) checked the same way, and the fixed Flask options."""
    overrides = dict(overrides or {})
    folder.mkdir(parents=True, exist_ok=True)
    by_key = {Settings.config_key(name): name for name in Settings.model_fields}
    given = {by_key[k]: overrides.pop(k) for k in list(overrides) if k in by_key}
    settings = Settings(**given)
    config: dict[str, Any] = {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "JSON_SORT_KEYS": False,
        "PLAZA_SETTINGS": settings,
    }
    for name in Settings.model_fields:
        config[Settings.config_key(name)] = getattr(settings, name)
    config["DATABASE_URL"] = settings.database_url or f"sqlite:///{folder / 'plaza.sqlite3'}"
    # Keys every server process of the chain must share (the instance folder or the environment).
    for name, key in (("secret_key", "SECRET_KEY"), ("member_qr_key", "MEMBER_QR_KEY"),
                      ("sealing_key", "SEALING_KEY")):
        config[key] = getattr(settings, name) or _secret(folder, name)
    config.update(overrides)
    return config


def settings_table() -> str:
    """The README's configuration table, from the declarations above."""
    lines = ["| variable | meaning | default |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if "shown" in extra:
            shown = str(extra["shown"])
        elif field.default is None:
            shown = ""
        elif isinstance(field.default, bool):
            shown = f"`{int(field.default)}`"
        else:
            shown = f"`{field.default}`"
        lines.append(f"| `{Settings.env_name(name)}` | {field.description} | {shown} |")
    return "\n".join(lines) + "\n"

