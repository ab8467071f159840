"""The till's local agent: a small HTTP service on 127.0.0.1 that the till's UI talks to.

``pos-client`` (``main``) reads the configuration, pairs the till on its first start, brings
the replica up to date if the server answers (and starts anyway if it does not: a till that
has synced once sells offline), starts the sync loop and serves JSON endpoints for the UI:
status, lookups, the sale in progress, tenders, completion and the rejected sales a manager
must look at. Every endpoint is a thin wrapper: the work is in ``sale``, ``replica``,
``outbox`` and ``sync``.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

from pos_client.config import (
    Credentials,
    NotPaired,
    TillConfig,
    load_credentials,
    parse_args,
    save_credentials,
)
from pos_client.outbox import Outbox
from pos_client.replica import Replica, ReplicaNotReady, sync_catalogue
from pos_client.sale import Sale, SaleError
from pos_client.server_api import Refused, ServerApi, Unreachable
from pos_client.sync import SyncLoop
from retail.barcodes import GS1Data, ProductCode, ScanError, ScannerConfig, VariableMeasureItem, classify

log = logging.getLogger("pos_client")


@dataclass
class TillRuntime:
    """Everything one till holds while it runs; the HTTP layer only calls into it."""

    config: TillConfig
    credentials: Credentials
    replica: Replica
    outbox: Outbox
    sync: SyncLoop
    cashier: str = ""
    sale: Sale | None = None
    prints: dict[str, str] = field(default_factory=dict)  # sale uuid -> print outcome
    lock: threading.RLock = field(default_factory=threading.RLock)

    def current_sale(self, fresh: bool = False) -> Sale:
        """The sale being rung up; a new one after the last was completed."""
        if self.sale is None or (fresh and self.sale.completed is not None):
            self.sale = Sale(self.replica, self.cashier)
        return self.sale

    def new_sale(self, cashier: str | None, discard: bool) -> Sale:
        if cashier is not None:
            self.cashier = cashier
        current = self.sale
        if current is not None and current.completed is None and current.lines and not discard:
            raise SaleError("a sale is in progress; complete it, or discard it first", "in-progress")
        self.sale = Sale(self.replica, self.cashier)
        return self.sale

    def complete(self) -> dict[str, Any]:
        sale = self.current_sale()
        done = sale.complete(self.outbox)  # durable before the receipt prints
        self.sync.wake()
        if sale.uuid not in self.prints:
            self.prints[sale.uuid] = "printing"
            threading.Thread(target=self._print, args=(sale, done), daemon=True).start()
        return done

    def _print(self, sale: Sale, done: dict[str, Any]) -> None:
        """Best effort: the sale is already safe; a printer fault is shown, never undoes it."""
        try:
            from hardware.printers import ReceiptPrinter
            from hardware.spool import SpoolJournal
            from retail.receipt import receipt_from_sale

            receipt = receipt_from_sale(_receipt_data(sale, done, self.credentials))
            printer = ReceiptPrinter(self.config.printer_url, journal=SpoolJournal(self.config.spool_path))
            cash = any(t.kind == "cash" for t in sale.tenders)
            # The sale's UUID is the job id: a reprint of the same sale never prints it twice.
            printer.print_receipt(receipt, sale.store.locale, job_id=sale.uuid, open_drawer=cash)
            self.prints[sale.uuid] = "printed"
        except Exception as exc:  # noqa: BLE001 (any printer trouble is reported, not raised)
            log.warning("receipt for %s did not print: %s", sale.uuid, exc)
            self.prints[sale.uuid] = f"not printed: {exc}"

    def status(self) -> dict[str, Any]:
        out = self.sync.status()
        out["device"] = self.credentials.device
        out["store"] = self.credentials.store
        out["catalogue"] = self.replica.counts() if self.replica.ready else None
        return out


def _receipt_data(sale: Sale, done: dict[str, Any], credentials: Credentials) -> dict[str, Any]:
    body, summary = done["sale"], done["summary"]
    store = sale.store.document
    lines = []
    for line in (ln for ln in summary["lines"] if not ln["voided"]):
        rate = Decimal(str(sale.regime.rate(_line_tax_class(sale, line["index"])))) * 100
        entry: dict[str, Any] = {"name": line["name"], "unit_price": line["unit_price"], "tax_rate": rate}
        if line["sold_by"] == "weight":
            entry["weight_grams"] = line["quantity"]
        else:
            entry["quantity"] = line["quantity"]
        lines.append(entry)
    return {
        "currency": body["currency"],
        "tax_mode": "inclusive" if summary["prices_include_tax"] else "exclusive",
        "store": {"name": store.get("name", sale.store.code),
                  "address": tuple(filter(None, [store.get("address", "")])), "tax_id": "",
                  "timezone": sale.store.timezone},
        "lines": lines, "discounts": body["discounts"],
        "tenders": [{"method": t["kind"], "amount": t["amount"], "reference": t.get("reference")}
                    for t in body["tenders"]],
        "sold_at": body["occurred_at"], "cashier": body["cashier"],
        "till": str(credentials.device.get("name", "")), "sale_number": body["uuid"][:8].upper(),
    }


def _line_tax_class(sale: Sale, index: int) -> str:
    return sale.lines[index].tax_class


# -- HTTP -----------------------------------------------------------------------------------


def create_app(runtime: TillRuntime) -> Flask:
    app = Flask("pos_client")
    app.extensions["till"] = runtime

    @app.errorhandler(SaleError)
    def sale_error(exc: SaleError) -> tuple[Response, int]:
        return jsonify({"code": exc.code, "detail": exc.message, **exc.data}), 422

    @app.errorhandler(ReplicaNotReady)
    def not_ready(exc: ReplicaNotReady) -> tuple[Response, int]:
        return jsonify({"code": "no-catalogue", "detail": str(exc)}), 503

    @app.get("/")
    def status_page() -> str:
        s = runtime.status()
        state = "ONLINE" if s["online"] else "OFFLINE: selling from the till's own catalogue"
        return (f"<!doctype html><title>Plaza till</title><h1>{state}</h1>"
                f"<p>Sales waiting to reach the server: <strong>{s['waiting']}</strong></p>"
                f"<p>Rejected sales for the manager: {s['rejected']}</p>"
                f"<p>Last catalogue sync: {s['last_sync_at'] or 'never'}</p>")

    @app.get("/api/status")
    def status() -> Response:
        return jsonify(runtime.status())

    @app.post("/api/sync")
    def sync_now() -> Response:
        runtime.sync.wake(force=True)
        return jsonify(runtime.status())

    @app.get("/api/lookup")
    def lookup() -> Response:
        return jsonify(_lookup(runtime, request.args.get("code", "")))

    @app.get("/api/search")
    def search() -> Response:
        at = runtime.current_sale().clock()
        items = runtime.replica.search(request.args.get("q", ""), int(request.args.get("limit", 20)))
        return jsonify({"items": [i.as_dict(at) for i in items]})

    @app.get("/api/sale")
    def get_sale() -> Response:
        with runtime.lock:
            return jsonify(runtime.current_sale().summary())

    @app.post("/api/sale")
    def new_sale() -> Response:
        body = request.get_json(silent=True) or {}
        with runtime.lock:
            return jsonify(runtime.new_sale(body.get("cashier"), bool(body.get("discard"))).summary())

    @app.post("/api/sale/scan")
    def scan() -> Response:
        code = _field(str, "code")
        with runtime.lock:
            sale = runtime.current_sale(fresh=True)
            sale.scan(code)
            return jsonify(sale.summary())

    @app.post("/api/sale/items")
    def add_item() -> Response:
        body = request.get_json(silent=True) or {}
        with runtime.lock:
            sale = runtime.current_sale(fresh=True)
            sale.add(str(body.get("sku", "")), body.get("quantity"))
            return jsonify(sale.summary())

    @app.post("/api/sale/lines/<int:index>/quantity")
    def set_quantity(index: int) -> Response:
        quantity = _field(int, "quantity")
        with runtime.lock:
            sale = runtime.current_sale()
            sale.set_quantity(index, quantity)
            return jsonify(sale.summary())

    @app.post("/api/sale/lines/<int:index>/void")
    def void_line(index: int) -> Response:
        with runtime.lock:
            sale = runtime.current_sale()
            sale.void(index)
            return jsonify(sale.summary())

    @app.post("/api/sale/cash")
    def pay_cash() -> Response:
        body = request.get_json(silent=True) or {}
        tendered = _field(int, "tendered")
        with runtime.lock:
            sale = runtime.current_sale()
            sale.pay_cash(tendered, body.get("amount"))
            return jsonify(sale.summary())

    @app.post("/api/sale/tenders")
    def pay_other() -> Response:
        body = request.get_json(silent=True) or {}
        with runtime.lock:
            sale = runtime.current_sale()
            sale.pay(str(body.get("kind", "")), _field(int, "amount"), str(body.get("reference", "")))
            return jsonify(sale.summary())

    @app.delete("/api/sale/tenders")
    def remove_tenders() -> Response:
        with runtime.lock:
            sale = runtime.current_sale()
            sale.remove_tenders()
            return jsonify(sale.summary())

    @app.post("/api/sale/complete")
    def complete() -> Response:
        with runtime.lock:
            done = runtime.complete()
        summary = done["summary"]
        return jsonify({"uuid": done["sale"]["uuid"], "total": summary["total"], "change": summary["change"],
                        "sale": summary, "waiting": runtime.outbox.counts()["waiting"]})

    @app.get("/api/rejected")
    def rejected() -> Response:
        return jsonify({"sales": [r.__dict__ for r in runtime.outbox.rejected()]})

    @app.post("/api/rejected/<uuid>/send-again")
    def send_again(uuid: str) -> tuple[Response, int]:
        if not runtime.outbox.send_again(uuid):
            return jsonify({"code": "not-rejected", "detail": "no rejected sale with this UUID"}), 404
        runtime.sync.wake(force=True)
        return jsonify({"uuid": uuid, "state": "waiting"}), 200

    return app


def _field(kind: type, name: str) -> Any:
    body = request.get_json(silent=True) or {}
    value = body.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise SaleError(f"send {name!r} as a JSON {kind.__name__}", "invalid")
    return value


def _lookup(runtime: TillRuntime, code: str) -> dict[str, Any]:
    """What a scan means and, for a product, the item: without touching the sale."""
    store = runtime.replica.store()
    try:
        scan = classify(code, ScannerConfig(country=store.country))
    except ScanError as exc:
        raise SaleError(exc.reason, "unreadable") from exc
    out: dict[str, Any] = {"kind": type(scan).__name__}
    item = None
    if isinstance(scan, VariableMeasureItem):
        out.update(weight_grams=scan.weight_grams, price_minor=scan.price_minor)
        item = runtime.replica.by_gtin(scan.base_gtin) or runtime.replica.by_code(scan.item_code)
    elif isinstance(scan, ProductCode | GS1Data) and scan.gtin:
        item = runtime.replica.by_gtin(scan.gtin)
    out["item"] = item.as_dict(runtime.current_sale().clock()) if item else None
    return out


# -- wiring ---------------------------------------------------------------------------------


def pair(config: TillConfig, api: ServerApi) -> Credentials:
    """The stored token, or a new one for the pairing code (retried while the server is away)."""
    credentials = load_credentials(config)
    if credentials is not None:
        return credentials
    if not config.pairing_code:
        raise NotPaired("this till is not paired: start it with --pairing-code CODE from the back office")
    delay = 1.0
    while True:
        try:
            answer = api.pair(config.pairing_code)
            break
        except Unreachable as exc:
            log.warning("cannot pair yet (%s); trying again in %.0f s", exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, config.max_backoff)
    credentials = Credentials(answer["token"], answer["device"])
    save_credentials(config, credentials)
    return credentials


def build_runtime(config: TillConfig) -> TillRuntime:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    api = ServerApi(config.server_url, timeout=config.request_timeout)
    credentials = pair(config, api)
    api.token = credentials.token
    replica = Replica(config.replica_path)
    outbox = Outbox(config.outbox_path)
    loop = SyncLoop(replica, outbox, api, config.batch_size, config.sync_interval, config.max_backoff)
    return TillRuntime(config, credentials, replica, outbox, loop)


def first_sync(runtime: TillRuntime) -> None:
    """Catch up before serving when the server answers; start offline when it does not."""
    started = time.perf_counter()
    try:
        applied = sync_catalogue(runtime.replica, runtime.sync.api)
    except (Unreachable, Refused) as exc:
        ready = "from its last sync" if runtime.replica.ready else "with no catalogue yet"
        log.warning("server not reachable (%s): the till starts offline, %s", exc, ready)
        return
    log.info("catalogue up to date (%d changes) in %.1f s", applied, time.perf_counter() - started)


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = parse_args(argv)
    try:
        runtime = build_runtime(config)
    except (NotPaired, Refused) as exc:
        sys.exit(f"pos-client: {exc}")
    first_sync(runtime)
    runtime.sync.start()
    server = make_server(config.host, config.port, create_app(runtime), threaded=True)
    # SIGTERM stops serving cleanly; SIGKILL needs no help: the outbox is committed per sale.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    log.info("till agent on http://%s:%d for %s", config.host, config.port, runtime.credentials.store)
    try:
        server.serve_forever()
    finally:
        runtime.sync.stop()


if __name__ == "__main__":
    main()
