"""What the payment services need from outside: gateway settings, clients that log every call,
and the gateway's list of a day's trades.

Built once per application from its configuration (``PLAZA_ALIPAY_*``, ``PLAZA_PAYMENT_*``) and
handed to the services, which never read Flask's config themselves.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import requests
from sqlalchemy.orm import Session, sessionmaker

from retail.money import Money, MoneyError
from store_server.db import transaction
from store_server.errors import DomainError

from .code_payment import PollPolicy
from .gateway import (
    PRODUCTION_GATEWAY_URL,
    AlipayGateway,
    CancelResult,
    GatewayConfig,
    GatewayConfigError,
    Outcome,
)
from .models import GatewayCall

log = logging.getLogger(__name__)


class GatewayUnavailable(DomainError):
    status = 503
    code = "payment-gateway-unavailable"
    title = "Wallet payments are not available"


@dataclass(frozen=True)
class GatewayTrade:
    """One trade as the gateway's records show it (the gateway side of reconciliation)."""

    out_trade_no: str
    trade_no: str | None
    status: str  # WAIT_BUYER_PAY, TRADE_SUCCESS, TRADE_FINISHED, TRADE_CLOSED
    total: Money
    refunded: Money
    created: str  # gmt_create, GMT+8

    @property
    def was_paid(self) -> bool:
        """Paid at some point: still paid, finished, or closed by a refund of the money."""
        return self.status in ("TRADE_SUCCESS", "TRADE_FINISHED") or (
            self.status == "TRADE_CLOSED" and self.refunded.amount > 0)


class TradeListing(Protocol):
    """The gateway's trades created on a day (GMT+8). The real Alipay publishes this as the
    daily bill (``alipay.data.dataservice.bill.downloadurl.query``: a zipped CSV); the sandbox
    lists it as JSON. Reconciliation only sees this interface."""

    def trades_on(self, day: date) -> list[GatewayTrade]: ...


class SandboxTradeListing:
    """``GET <sandbox>/_sandbox/trades?date=YYYY-MM-DD&app_id=...``."""

    def __init__(self, url: str, app_id: str, currency: str, timeout: float = 10.0) -> None:
        self.url = url
        self.app_id = app_id
        self.currency = currency
        self.timeout = timeout

    def trades_on(self, day: date) -> list[GatewayTrade]:
        try:
            response = requests.get(self.url, params={"date": day.isoformat(), "app_id": self.app_id},
                                    timeout=self.timeout)
            response.raise_for_status()
            rows = response.json()["trades"]
        except (requests.RequestException, ValueError, KeyError) as exc:
            raise GatewayUnavailable(f"the gateway's trade list for {day} could not be read: {exc}; "
                                     "try again later") from exc
        trades = []
        for row in rows:
            # A trade priced in another currency than ours keeps its own: it cannot match ours.
            currency = row.get("trans_currency") or self.currency
            try:
                trades.append(GatewayTrade(
                    out_trade_no=row["out_trade_no"], trade_no=row.get("trade_no"), status=row["status"],
                    total=Money.from_decimal_string(row["total_amount"], currency),
                    refunded=Money.from_decimal_string(row.get("refund_fee") or "0", currency),
                    created=row.get("gmt_create") or ""))
            except (MoneyError, KeyError) as exc:
                raise GatewayUnavailable(f"the gateway's trade list for {day} has a trade we cannot "
                                         f"read ({row.get('out_trade_no')}: {exc})") from exc
        return trades


class AlipayBillListing:
    """Placeholder for the real gateway: downloading and parsing Alipay's daily bill is not built."""

    def trades_on(self, day: date) -> list[GatewayTrade]:
        raise GatewayUnavailable(
            "reconciliation against the real Alipay needs its daily bill download, which Plaza does "
            "not implement yet; set PLAZA_ALIPAY_TRADE_LISTING_URL to a JSON trade list")


def _mask_secrets(fields: Mapping[str, str]) -> dict[str, Any]:
    """Request fields for the log: no signature, and payment codes cut to their first digits
    (a payment code is a bearer credential until it expires)."""
    clean: dict[str, Any] = {k: v for k, v in fields.items() if k != "sign"}
    biz = clean.get("biz_content")
    if isinstance(biz, str):
        try:
            parsed = json.loads(biz)
        except ValueError:
            return clean
        if isinstance(parsed, dict) and parsed.get("auth_code"):
            parsed["auth_code"] = str(parsed["auth_code"])[:4] + "…"
        clean["biz_content"] = parsed
    return clean


def record_gateway_call(session_factory: sessionmaker[Session], *, kind: str, method: str,
                        request: Mapping[str, str], response: str, outcome: str) -> None:
    """Store one call or notification in its own short transaction (never the caller's, which
    must not be open while we wait on the network)."""
    fields = _mask_secrets(request)
    out_trade_no = fields.get("out_trade_no")
    biz = fields.get("biz_content")
    if not out_trade_no and isinstance(biz, dict):
        out_trade_no = biz.get("out_trade_no")
    with session_factory() as session, transaction(session):
        session.add(GatewayCall(kind=kind, method=method, out_trade_no=out_trade_no, request=fields,
                                response=response[:20000], outcome=outcome[:80]))


@dataclass(frozen=True)
class PaymentSettings:
    gateway: GatewayConfig | None  # None: Alipay is not configured, only cash is taken
    poll: PollPolicy
    qr_timeout_minutes: int
    query_interval: float  # how often a waiting reader asks the gateway about a QR
    create_wait: float  # how long creating a payment-code payment waits for it to settle
    trade_listing_url: str | None
    problem: str = ""  # why the gateway is not configured
    sealing_key: str = ""  # seals a payment code while its charge waits in the job queue

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PaymentSettings:
        gateway: GatewayConfig | None = None
        problem = ""
        if config.get("PLAZA_ALIPAY_GATEWAY_URL"):
            try:
                gateway = GatewayConfig.from_mapping(config, prefix="PLAZA_ALIPAY_")
            except (GatewayConfigError, OSError) as exc:
                problem = str(exc)
                log.error("Alipay gateway misconfigured: %s", exc)
        else:
            problem = "PLAZA_ALIPAY_GATEWAY_URL is not set"
        listing = config.get("PLAZA_ALIPAY_TRADE_LISTING_URL") or None
        if listing is None and gateway is not None and gateway.gateway_url.endswith("/gateway.do") \
                and gateway.gateway_url != PRODUCTION_GATEWAY_URL:
            # Our sandbox lists its trades beside its gateway.do.
            listing = gateway.gateway_url[: -len("gateway.do")] + "_sandbox/trades"
        return cls(
            gateway=gateway,
            # Defaults and meanings: store_server.config (PLAZA_PAYMENT_*).
            poll=PollPolicy(interval=float(config["PLAZA_PAYMENT_POLL_INTERVAL"]),
                            limit=float(config["PLAZA_PAYMENT_POLL_LIMIT"]),
                            cancel_retry_interval=float(config["PLAZA_PAYMENT_CANCEL_RETRY_S"])),
            qr_timeout_minutes=int(config["PLAZA_PAYMENT_QR_TIMEOUT_MINUTES"]),
            query_interval=float(config["PLAZA_PAYMENT_QUERY_INTERVAL"]),
            create_wait=float(config["PLAZA_PAYMENT_CREATE_WAIT"]),
            trade_listing_url=listing,
            problem=problem,
            sealing_key=str(config.get("SEALING_KEY", "")),
        )


class Payments:
    """Per-process services for payments: settings and gateway clients. Work that outlives a
    request (a payment-code charge, closing an abandoned QR) is not run here but queued as a
    job for ``store-server worker`` (store_server.jobs), so no process holds it alone."""

    def __init__(self, settings: PaymentSettings, session_factory: sessionmaker[Session]) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self._local = threading.local()

    @property
    def alipay_configured(self) -> bool:
        return self.settings.gateway is not None

    def gateway(self) -> AlipayGateway:
        """This thread's client (``requests.Session`` is not promised to be thread-safe)."""
        if self.settings.gateway is None:
            raise GatewayUnavailable(f"Alipay is not configured here ({self.settings.problem}); "
                                     "take another tender")
        client = getattr(self._local, "client", None)
        if client is None:
            client = AlipayGateway(self.settings.gateway, recorder=self._record)
            self._local.client = client
        return client

    def gateway_with(self, on_call: Callable[[str, Outcome], None],
                     before_cancel: Callable[[str], None]) -> AlipayGateway:
        """A client of its own for one flow: ``on_call`` hears each call's outcome (the
        payment-code flow turns a 10003 into "waiting for the shopper" this way), and
        ``before_cancel`` runs before any cancel is sent (so the close notification, which can
        overtake the cancel's answer, is read as our cancel rather than the shopper's decline)."""
        self.gateway()  # raises if Alipay is not configured
        assert self.settings.gateway is not None

        def record(method: str, fields: dict[str, str], raw: str, outcome: Outcome) -> None:
            self._record(method, fields, raw, outcome)
            on_call(method, outcome)

        return _FlowGateway(self.settings.gateway, recorder=record, before_cancel=before_cancel)

    def _record(self, method: str, fields: dict[str, str], raw: str, outcome: Outcome) -> None:
        record_gateway_call(self.session_factory, kind="call", method=method, request=fields,
                            response=raw, outcome=str(outcome))

    def trade_listing(self) -> TradeListing:
        gateway = self.settings.gateway
        if gateway is None:
            raise GatewayUnavailable(f"Alipay is not configured here ({self.settings.problem})")
        if self.settings.trade_listing_url:
            return SandboxTradeListing(self.settings.trade_listing_url, gateway.app_id, gateway.currency)
        return AlipayBillListing()


class _FlowGateway(AlipayGateway):
    def __init__(self, config: GatewayConfig, *, recorder: Any, before_cancel: Callable[[str], None]) -> None:
        super().__init__(config, recorder=recorder)
        self._before_cancel = before_cancel

    def cancel(self, out_trade_no: str) -> CancelResult:
        self._before_cancel(out_trade_no)
        return super().cancel(out_trade_no)
