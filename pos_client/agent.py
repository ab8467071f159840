"""The till's local agent: a small HTTP service on 127.0.0.1 that the till's UI talks to.

``pos-client`` (``main``) reads the configuration, pairs the till on its first start and
serves at once when it has a replica: the catch-up sync runs in the background, so a till
restarted while the server hangs sells from its last sync within seconds (only a till that has
never synced waits for its first catalogue). It starts the sync loop and serves the till's
pages and their JSON API: status, sign-in, the cash session, lookups, the sale in progress,
tenders (cash, Alipay), completion, reprints, returns, the customer display and the rejected
documents a manager must look at. Every endpoint is a thin wrapper around
``runtime.TillRuntime``.

The agent drives a cash drawer and refunds money, so it trusts no web page but its own: it
answers only requests addressed to the loopback names (a DNS-rebinding page gets nothing),
refuses a POST carrying another origin's ``Origin`` header, and takes JSON only (a plain HTML
form cannot send it without the browser asking first). Everything but the pages, the status,
the customer display and sign-in needs a signed-in cashier.
"""

from __future__ import annotations

import io
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import qrcode
from flask import Flask, Response, jsonify, request, send_from_directory
from werkzeug.serving import make_server

from pos_client.cashiers import CashierBook
from pos_client.clock import TillClock
from pos_client.config import (
    Credentials,
    NotPaired,
    TillConfig,
    load_credentials,
    parse_args,
    save_credentials,
)
from pos_client.outbox import Outbox
from pos_client.printing import TillPrinter
from pos_client.replica import Replica, ReplicaNotReady, sync_catalogue
from pos_client.returns import resume_refunds
from pos_client.runtime import TillRuntime
from pos_client.sale import Sale, SaleError
from pos_client.server_api import Refused, ServerApi, Unreachable
from pos_client.sync import SyncLoop
from retail.barcodes import (
    Coupon,
    GS1Data,
    ProductCode,
    ScanError,
    ScannerConfig,
    VariableMeasureItem,
    classify,
)

log = logging.getLogger("pos_client")

STATIC = Path(__file__).with_name("static")
SCANNER_JS = Path(__file__).resolve().parent.parent / "hardware" / "static"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# What a signed-out till still answers: its pages, its state, the customer screen, sign-in.
OPEN = {("GET", "/"), ("GET", "/display"), ("GET", "/api/status"), ("GET", "/api/display"),
        ("GET", "/api/display/qr.png"), ("GET", "/api/cashiers"), ("POST", "/api/login"),
        ("POST", "/api/logout")}


def create_app(runtime: TillRuntime) -> Flask:
    app = Flask("pos_client", static_folder=None)
    app.extensions["till"] = runtime
    allowed_hosts = LOOPBACK | {runtime.config.host}
    any_host = runtime.config.host in ("0.0.0.0", "::")  # told to serve the network

    @app.errorhandler(SaleError)
    def sale_error(exc: SaleError) -> tuple[Response, int]:
        return jsonify({"code": exc.code, "detail": exc.message, **exc.data}), exc.status

    @app.errorhandler(ReplicaNotReady)
    def not_ready(exc: ReplicaNotReady) -> tuple[Response, int]:
        return jsonify({"code": "no-catalogue", "detail": str(exc)}), 503

    @app.before_request
    def guard() -> tuple[Response, int] | None:
        host = (request.host.rsplit(":", 1)[0] if not request.host.endswith("]")
                else request.host).strip("[]")
        if not any_host and host not in allowed_hosts:
            return _problem("wrong-host", "this till answers on 127.0.0.1 only", 403)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("Origin")
            if origin is not None and origin != request.host_url.rstrip("/"):
                return _problem("cross-origin", "only the till's own pages may do this", 403)
            if request.method == "POST" and request.mimetype != "application/json":
                return _problem("json-only", "send JSON (Content-Type: application/json)", 415)
        method = "GET" if request.method == "HEAD" else request.method
        if (method, request.path) in OPEN or request.path.startswith("/static/"):
            return None
        if runtime.cashier is None:
            return _problem("signed-out", "sign in with your PIN first", 401)
        return None

    # -- pages -----------------------------------------------------------------------------

    @app.get("/")
    def till_page() -> Response:
        return _page("till.html")

    @app.get("/display")
    def display_page() -> Response:
        return _page("display.html")

    @app.get("/static/scanner.js")
    def scanner_js() -> Response:
        return send_from_directory(SCANNER_JS, "scanner.js", max_age=0)

    @app.get("/static/<path:name>")
    def static_file(name: str) -> Response:
        return send_from_directory(STATIC, name, max_age=0)

    # -- state and sign-in -----------------------------------------------------------------

    @app.get("/api/status")
    def status() -> Response:
        return jsonify(runtime.status())

    @app.post("/api/sync")
    def sync_now() -> Response:
        runtime.sync.wake(force=True)
        return jsonify(runtime.status())

    @app.get("/api/cashiers")
    def cashiers() -> Response:
        return jsonify(runtime.cashiers.listing())

    @app.post("/api/login")
    def login() -> Response:
        body = _body()
        cashier = runtime.sign_in(body.get("username"), body.get("pin"))
        return jsonify({"cashier": cashier.as_dict(), "status": runtime.status()})

    @app.post("/api/logout")
    def logout() -> Response:
        runtime.sign_out()
        return jsonify({"cashier": None})

    # -- the cash session ------------------------------------------------------------------

    @app.get("/api/session")
    def session() -> Response:
        return jsonify({"session": runtime.session()})

    @app.post("/api/session/open")
    def open_session() -> Response:
        return jsonify(runtime.open_session(_body().get("float")))

    @app.post("/api/session/movements")
    def cash_movement() -> Response:
        body = _body()
        runtime.move_cash(body.get("kind"), body.get("amount"), body.get("reason"))
        return jsonify(runtime.report())

    @app.get("/api/session/report")
    def x_report() -> Response:
        return jsonify(runtime.report())

    @app.post("/api/session/close")
    def close_session() -> Response:
        return jsonify(runtime.close_session(_body().get("counted")))

    # -- lookups ---------------------------------------------------------------------------

    @app.get("/api/lookup")
    def lookup() -> Response:
        return jsonify(_lookup(runtime, request.args.get("code", "")))

    @app.get("/api/search")
    def search() -> Response:
        at = runtime.clock.now()
        items = runtime.replica.search(request.args.get("q", ""), int(request.args.get("limit", 20)))
        return jsonify({"items": [i.as_dict(at) for i in items]})

    # -- the sale --------------------------------------------------------------------------

    @app.get("/api/sale")
    def get_sale() -> Response:
        with runtime.lock:
            return jsonify(runtime.current_sale().summary())

    @app.post("/api/sale")
    def new_sale() -> Response:
        with runtime.lock:
            return jsonify(runtime.new_sale(bool(_body().get("discard"))).summary())

    @app.post("/api/sale/scan")
    def scan() -> Response:
        code = _field(str, "code")
        with runtime.lock:
            return jsonify(runtime.scan(code).summary())

    @app.post("/api/sale/items")
    def add_item() -> Response:
        body = _body()
        with runtime.lock:
            sale = runtime.selling(fresh=True)
            sale.add(str(body.get("sku", "")), body.get("quantity"))
            return jsonify(sale.summary())

    @app.post("/api/sale/lines/<int:index>/quantity")
    def set_quantity(index: int) -> Response:
        quantity = _field(int, "quantity")
        return _change(lambda sale: sale.set_quantity(index, quantity))

    @app.post("/api/sale/lines/<int:index>/void")
    def void_line(index: int) -> Response:
        return _change(lambda sale: sale.void(index))

    @app.post("/api/sale/lines/<int:index>/price")
    def override_price(index: int) -> Response:
        body = _body()
        with runtime.lock:
            sale = runtime.selling()
            sale._line(index)  # a wrong line is said before a manager is asked for their PIN
            manager = runtime.authorise(body.get("manager"), body.get("manager_pin"))
            sale.override_price(index, body.get("unit_price"), manager.username)
            return jsonify(sale.summary())

    @app.post("/api/sale/discount")
    def discount() -> Response:
        body = _body()
        with runtime.lock:
            sale = runtime.selling()
            manager = runtime.authorise(body.get("manager"), body.get("manager_pin"))
            sale.discount(body.get("reason", ""), manager.username, body.get("percent"), body.get("amount"))
            return jsonify(sale.summary())

    @app.delete("/api/sale/discount")
    def remove_discount() -> Response:
        return _change(lambda sale: sale.remove_discount())

    @app.post("/api/sale/cash")
    def pay_cash() -> Response:
        body = _body()
        tendered = _field(int, "tendered")
        return _change(lambda sale: sale.pay_cash(tendered, body.get("amount")))

    @app.post("/api/sale/tenders")
    def pay_other() -> Response:
        body = _body()
        amount = _field(int, "amount")
        kind, reference = str(body.get("kind", "")), str(body.get("reference", ""))
        return _change(lambda sale: sale.pay(kind, amount, reference))

    @app.post("/api/sale/points")
    def pay_points() -> Response:
        amount = _body().get("amount")
        with runtime.lock:
            return jsonify(runtime.take_points(amount).summary())

    @app.delete("/api/sale/tenders")
    def remove_tenders() -> Response:
        with runtime.lock:
            return jsonify(runtime.remove_tenders().summary())

    @app.post("/api/sale/alipay")
    def alipay() -> Response:
        body = _body()
        sale, payment = runtime.take_alipay(body.get("method"), body.get("amount"), body.get("auth_code"))
        return _payment(sale, payment)

    @app.get("/api/sale/alipay/<payment_id>")
    def alipay_status(payment_id: str) -> Response:
        try:
            wait = float(request.args.get("wait", 0))
        except ValueError:
            wait = 0.0
        sale, payment = runtime.follow_alipay(payment_id, wait, request.args.get("status"))
        return _payment(sale, payment)

    @app.post("/api/sale/alipay/<payment_id>/cancel")
    def alipay_cancel(payment_id: str) -> Response:
        sale, payment = runtime.cancel_alipay(payment_id)
        return _payment(sale, payment)

    @app.post("/api/sale/complete")
    def complete() -> Response:
        with runtime.lock:
            done = runtime.complete()
        summary = done["summary"]
        return jsonify({"uuid": done["sale"]["uuid"], "total": summary["total"], "change": summary["change"],
                        "sale": summary, "waiting": runtime.outbox.counts()["waiting"]})

    @app.post("/api/sale/reprint")
    def reprint() -> Response:
        return jsonify(runtime.reprint(_body().get("uuid")))

    # -- returns ---------------------------------------------------------------------------

    @app.post("/api/returns/lookup")
    def find_sale() -> Response:
        return jsonify(runtime.find_sale(_body().get("code")))

    @app.post("/api/returns")
    def make_return() -> Response:
        body = _body()
        return jsonify(runtime.make_return(body.get("original"), body.get("lines"), body.get("reason")))

    # -- the customer display ----------------------------------------------------------------

    @app.get("/api/display")
    def display() -> Response:
        return jsonify(runtime.display())

    @app.get("/api/display/qr.png")
    def display_qr() -> Response | tuple[Response, int]:
        payload = runtime.display()["qr_code"]
        if not payload:
            return _problem("no-qr", "no Alipay QR is waiting", 404)
        image = qrcode.make(payload, box_size=10, border=4)
        out = io.BytesIO()
        image.save(out)
        return Response(out.getvalue(), mimetype="image/png", headers={"Cache-Control": "no-store"})

    # -- for the manager -------------------------------------------------------------------

    @app.get("/api/rejected")
    def rejected() -> Response:
        outbox = runtime.outbox
        return jsonify({
            "sales": [r.__dict__ for r in outbox.rejected()],
            "returns": [d.__dict__ for d in outbox.documents("return", "rejected")],
            "cash_sessions": [d.__dict__ for d in outbox.documents("cash-session", "rejected")],
        })

    @app.post("/api/rejected/<uuid>/send-again")
    def send_again(uuid: str) -> tuple[Response, int]:
        if not runtime.outbox.send_again(uuid):
            return _problem("not-rejected", "nothing rejected with this UUID", 404)
        runtime.sync.wake(force=True)
        return jsonify({"uuid": uuid, "state": "waiting"}), 200

    def _change(change: Any) -> Response:
        with runtime.lock:
            sale = runtime.selling()
            change(sale)
            return jsonify(sale.summary())

    return app


def _problem(code: str, detail: str, status: int) -> tuple[Response, int]:
    return jsonify({"code": code, "detail": detail}), status


def _page(name: str) -> Response:
    response = send_from_directory(STATIC, name, max_age=0)
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"  # no clickjacking the till
    return response


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _field(kind: type, name: str) -> Any:
    value = _body().get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise SaleError(f"send {name!r} as a JSON {kind.__name__}", "invalid")
    return value


def _payment(sale: Sale, payment: Any) -> Response:
    return jsonify({"payment": payment.id, **payment.as_dict(), "sale": sale.summary()})


def _lookup(runtime: TillRuntime, code: str) -> dict[str, Any]:
    """What a scan means and, for a product, the item: without touching the sale."""
    store = runtime.replica.store()
    try:
        scan = classify(code, ScannerConfig(country=store.country, currency=store.currency))
    except ScanError as exc:
        raise SaleError(exc.reason, exc.code) from exc
    out: dict[str, Any] = {"kind": type(scan).__name__}
    item = None
    if isinstance(scan, VariableMeasureItem):
        out.update(weight_grams=scan.weight_grams, price_minor=scan.price_minor)
        item = runtime.replica.by_gtin(scan.base_gtin) or runtime.replica.by_code(scan.item_code)
    elif isinstance(scan, GS1Data):
        out.update(weight_grams=scan.net_weight_grams, price_minor=scan.price_minor)
        item = runtime.replica.by_gtins(scan.gtins)
    elif isinstance(scan, ProductCode):
        out.update(add_on=scan.add_on)
        item = runtime.replica.by_gtins(scan.gtins)
    elif isinstance(scan, Coupon):
        out.update(coupon=scan.number, scheme=scan.scheme)
    out["item"] = item.as_dict(runtime.clock.now()) if item else None
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


def build_runtime(config: TillConfig, clock: TillClock | None = None) -> TillRuntime:
    """The till's parts, paired; ``clock`` replaces the machine's clocks (tests of wrong clocks)."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    api = ServerApi(config.server_url, timeout=config.request_timeout,
                    clock=clock or TillClock(state_path=config.clock_path))
    credentials = pair(config, api)
    api.token = credentials.token
    replica = Replica(config.replica_path)
    outbox = Outbox(config.outbox_path)
    loop = SyncLoop(replica, outbox, api, config.batch_size, config.sync_interval, config.max_backoff)
    cashiers = CashierBook(config.cashiers_path, api)
    loop.refresh_cashiers = cashiers.refresh
    loop.cashiers_known = lambda: cashiers.known
    api.breaker.on_close.append(lambda: loop.wake(force=True))  # the server is back: sync now
    loop.before_documents.append(lambda: resume_refunds(outbox, api))
    printer = TillPrinter(config.printer_url, config.spool_path)
    return TillRuntime(config, credentials, replica, outbox, loop, cashiers, printer)


def first_sync(runtime: TillRuntime) -> None:
    """A till with no catalogue yet fetches one before serving (it has nothing to sell without
    it); one that has synced before serves at once and catches up in the sync loop."""
    if runtime.replica.ready:
        log.info("serving from the last sync; catching up in the background")
        return
    started = time.perf_counter()
    try:
        applied = sync_catalogue(runtime.replica, runtime.sync.api)
        runtime.cashiers.refresh()
        runtime.sync.cashiers_due = False
    except (Unreachable, Refused) as exc:
        log.warning("server not reachable (%s): the till starts with no catalogue yet", exc)
        return
    log.info("first catalogue in %d changes, %.1f s", applied, time.perf_counter() - started)


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = parse_args(argv)
    try:
        runtime = build_runtime(config)
    except (NotPaired, Refused) as exc:
        sys.exit(f"pos-client: {exc}")
    runtime.printer.start()  # prints what the journal still owes from before a crash
    runtime.api.breaker.probe_now()  # a hanging server sends cashiers offline within seconds
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
        runtime.api.close()
        runtime.printer.stop()


if __name__ == "__main__":
    main()
