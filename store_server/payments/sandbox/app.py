"""The sandbox gateway's Flask app: ``gateway.do``, the wallet page and the admin endpoints.

Run it with ``plaza-payment-sandbox`` (see docs/PAYMENTS.md). At first run it creates, in the
state dir, the gateway's RSA key pair and one merchant app registration (with a merchant key
pair for development), and writes an env file Plaza can be configured from. Tests build it
in-process with ``create_app({"GATEWAY_PRIVATE_KEY": pem, "APPS": {app_id: public_pem}})``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, current_app, redirect, render_template, request, url_for

from . import crypto
from .trades import (
    GMT8,
    TEST_CODES,
    TIME_FORMAT,
    App,
    SandboxGateway,
    Trade,
    format_amount,
    in_cny,
    parse_amount,
)

EXTENSION = "plaza_payment_sandbox"
METHODS = (
    "alipay.trade.precreate",
    "alipay.trade.pay",
    "alipay.trade.query",
    "alipay.trade.refund",
    "alipay.trade.cancel",
    "alipay.trade.close",
)
DEFAULTS: dict[str, Any] = {
    "STATE_DIR": None,  # keys and app registrations persist here when set
    "CURRENCY": None,  # with STATE_DIR: the first app prices and settles in this currency
    "GATEWAY_PRIVATE_KEY": None,  # PEM; generated (or read from STATE_DIR) when absent
    "APPS": {},  # app_id -> merchant public key PEM, or {"public_key": ..., "name": ...}
    "PUBLIC_URL": None,  # base of the wallet URLs in QR codes; the request's host when unset
    "NOTIFY_RETRY_DELAYS": None,  # seconds between attempts; Alipay's 25-hour schedule if None
    "NOTIFY_TIMEOUT": 10.0,
    "CONFIRM_TIMEOUT": 90.0,  # how long a 10003 trade waits for the shopper
    "QR_TIMEOUT": 7200.0,  # how long a precreated QR stays payable by default
    "CANCEL_WINDOW": 86400.0,
    "SWEEP_INTERVAL": 1.0,
    # Alipay refuses a request whose timestamp is too far from its own clock ("by default, the
    # request expires in 30 minutes"): seconds either way.
    "TIMESTAMP_TOLERANCE": 1800.0,
}


# --------------------------------------------------------------------------- state dir


def init_state_dir(state_dir: str | os.PathLike[str], currency: str | None = None) -> dict[str, Any]:
    """Create (first run) or load the gateway key and app registrations kept in ``state_dir``.

    ``currency``: the merchant app prices and settles in it (CNY: a domestic merchant; any
    other: a cross-border one). Given on a later run, it changes the first app's contract.
    Returns ``{"gateway_private_key": pem, "apps": {app_id: {...}}, "paths": {...}}``.
    """
    root = Path(state_dir)
    root.mkdir(parents=True, exist_ok=True)
    paths = {
        "gateway_private_key": root / "gateway_private_key.pem",
        "gateway_public_key": root / "gateway_public_key.pem",
        "merchant_private_key": root / "merchant_private_key.pem",
        "merchant_public_key": root / "merchant_public_key.pem",
        "apps": root / "apps.json",
    }
    if not paths["gateway_private_key"].exists():
        key = crypto.generate_private_key()
        _write_secret(paths["gateway_private_key"], crypto.private_key_pem(key))
        paths["gateway_public_key"].write_text(crypto.public_key_pem(key))
    gateway_pem = paths["gateway_private_key"].read_text()
    if not paths["apps"].exists():
        # A merchant would make its own key pair and upload the public half; for a developer
        # the sandbox makes one, so `plaza-payment-sandbox` is the only setup step.
        merchant = crypto.generate_private_key()
        _write_secret(paths["merchant_private_key"], crypto.private_key_pem(merchant))
        paths["merchant_public_key"].write_text(crypto.public_key_pem(merchant))
        app_id = "2021" + f"{int.from_bytes(os.urandom(8), 'big') % 10**12:012d}"
        apps = {app_id: {"name": "Plaza (sandbox)", "public_key": crypto.public_key_pem(merchant)}}
        paths["apps"].write_text(json.dumps(apps, indent=2))
    apps = json.loads(paths["apps"].read_text())
    if currency:
        first = next(iter(apps.values()))
        first.update(trans_currencies=[currency.upper()], settle_currency=currency.upper())
        paths["apps"].write_text(json.dumps(apps, indent=2))
    return {"gateway_private_key": gateway_pem, "apps": apps, "paths": paths}


def _write_secret(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


# --------------------------------------------------------------------------- factory


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    if config:
        app.config.from_mapping(config)

    apps_config: dict[str, Any] = dict(app.config["APPS"] or {})
    gateway_pem = app.config["GATEWAY_PRIVATE_KEY"]
    state_dir = app.config["STATE_DIR"]
    if state_dir:
        state = init_state_dir(state_dir, app.config.get("CURRENCY"))
        gateway_pem = gateway_pem or state["gateway_private_key"]
        apps_config = {**state["apps"], **apps_config}
    private_key = (
        crypto.load_private_key(gateway_pem) if gateway_pem else (crypto.generate_private_key())
    )

    delays = app.config["NOTIFY_RETRY_DELAYS"]
    gateway = SandboxGateway(
        private_key,
        notify_retry_delays=tuple(delays) if delays is not None else None,
        notify_timeout=float(app.config["NOTIFY_TIMEOUT"]),
        confirm_timeout=float(app.config["CONFIRM_TIMEOUT"]),
        qr_timeout=float(app.config["QR_TIMEOUT"]),
        cancel_window=float(app.config["CANCEL_WINDOW"]),
        sweep_interval=float(app.config["SWEEP_INTERVAL"]),
    )
    for app_id, entry in apps_config.items():
        if isinstance(entry, str):
            entry = {"public_key": entry}
        gateway.register_app(entry["public_key"], entry.get("name"), app_id=str(app_id),
                             trans_currencies=entry.get("trans_currencies"),
                             settle_currency=entry.get("settle_currency"),
                             seller_id=entry.get("seller_id"))
    app.extensions[EXTENSION] = gateway

    app.add_url_rule("/gateway.do", view_func=gateway_do, methods=["GET", "POST"])
    app.add_url_rule("/", view_func=home)
    app.add_url_rule("/wallet/<token>", view_func=wallet, methods=["GET", "POST"])
    app.add_url_rule("/_sandbox/info", view_func=admin_info)
    app.add_url_rule("/_sandbox/apps", view_func=admin_apps, methods=["GET", "POST"])
    app.add_url_rule("/_sandbox/faults", view_func=admin_faults, methods=["GET", "POST", "DELETE"])
    app.add_url_rule("/_sandbox/trades", view_func=admin_trades, methods=["GET", "POST"])
    app.add_url_rule("/_sandbox/trades/<out_trade_no>", view_func=admin_trade)
    app.add_url_rule(
        "/_sandbox/trades/<out_trade_no>/<action>", view_func=admin_trade_action, methods=["POST"]
    )
    app.add_url_rule("/_sandbox/notifications", view_func=admin_notifications)
    return app


def get_gateway(app: Flask | None = None) -> SandboxGateway:
    """The sandbox state behind an app (for tests: faults, trades, the notifier)."""
    return (app or current_app).extensions[EXTENSION]


# --------------------------------------------------------------------------- gateway.do


def _error_response(code: str, sub_code: str, sub_msg: str) -> Response:
    # Refusals of the request itself are unsigned, like Alipay's: merchants must not trust them.
    body = {
        "error_response": {
            "code": code,
            "msg": "Invalid Arguments" if code == "40002" else "Missing Required Arguments",
            "sub_code": sub_code,
            "sub_msg": sub_msg,
        }
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")


def _missing(name: str) -> Response:
    return _error_response("40001", f"isv.missing-{name.replace('_', '-')}", f"{name} is required")


def _envelope_problem(params: dict[str, str], now: float, tolerance: float) -> Response | None:
    """What Alipay refuses about a request before reading its business content: the common
    parameters, each required and in its one documented form."""
    for name in ("app_id", "charset", "sign_type", "timestamp", "version"):
        if not params.get(name):
            return _missing(name)
    if params["charset"].lower() != "utf-8":
        # Alipay also reads GBK; the sandbox decodes UTF-8 only, and refuses what it cannot read.
        return _error_response("40002", "isv.invalid-charset", "字符集错误: the sandbox reads utf-8")
    if params.get("format", "JSON").upper() != "JSON":
        return _error_response("40002", "isv.invalid-format", "format is JSON")
    if params["version"] != "1.0":
        return _error_response("40002", "isv.invalid-version", "version is 1.0")
    try:
        sent = datetime.strptime(params["timestamp"], TIME_FORMAT).replace(tzinfo=GMT8)
    except ValueError:
        return _error_response("40002", "isv.invalid-timestamp",
                               "非法的时间戳参数: yyyy-MM-dd HH:mm:ss, GMT+8")
    if abs(sent.timestamp() - now) > tolerance:
        return _error_response("40002", "isv.invalid-timestamp",
                               f"非法的时间戳参数: more than {tolerance:.0f} s from the gateway's clock")
    return None


def _signed_response(gateway: SandboxGateway, method: str, inner: dict[str, Any]) -> Response:
    key = method.replace(".", "_") + "_response"
    # The signature covers exactly these characters; the merchant must find them in the raw
    # text rather than re-serialise the parsed object.
    inner_text = json.dumps(inner, ensure_ascii=False, separators=(",", ":"))
    if gateway.faults.take("unsigned"):
        text = f'{{"{key}":{inner_text}}}'
    else:
        signature = crypto.sign(gateway.private_key, inner_text)
        text = f'{{"{key}":{inner_text},"sign":"{signature}"}}'
    return Response(text, mimetype="application/json")


def gateway_do() -> Response:
    gateway = get_gateway()
    # Clients differ: some put everything in the query string, some in the form body.
    params = {key: request.values.get(key, "") for key in request.values}
    method = params.get("method", "")
    if not method:
        return _missing("method")
    problem = _envelope_problem(params, gateway.clock(), float(current_app.config["TIMESTAMP_TOLERANCE"]))
    if problem is not None:
        return problem
    app_entry = gateway.apps.get(params["app_id"])
    if app_entry is None:
        return _error_response("40002", "isv.invalid-app-id", "无效的AppID参数")
    if not params.get("sign"):
        return _error_response("40001", "isv.missing-signature", "sign is required")
    if params["sign_type"] != "RSA2":
        return _error_response("40002", "isv.invalid-signature-type", "only RSA2 is supported")
    if not crypto.verify(
        app_entry.public_key, crypto.content_to_sign(params, ("sign",)), params["sign"]
    ):
        return _error_response("40002", "isv.invalid-signature", "验签出错 (signature mismatch)")
    if method not in METHODS:
        return _error_response("40002", "isv.invalid-method", f"{method} is not supported")
    try:
        biz = json.loads(params.get("biz_content") or "{}")
    except ValueError:
        biz = None
    if not isinstance(biz, dict):
        return _error_response("40002", "isv.invalid-parameter", "biz_content is not a JSON object")
    # Tests hold a request here to force an interleaving (the trade book is not locked yet).
    gateway.hooks.at_door(method, str(biz.get("out_trade_no") or "") or None)

    base_url = (current_app.config["PUBLIC_URL"] or request.host_url).rstrip("/")
    notify_url = params.get("notify_url") or None
    faults = gateway.faults
    if method == "alipay.trade.cancel" and faults.take("cancel_retry"):
        inner: dict[str, Any] = {
            "code": "40004",
            "msg": "Business Failed",
            "sub_code": "ACQ.SYSTEM_ERROR",
            "sub_msg": "系统错误 (try again)",
            "retry_flag": "Y",
            "out_trade_no": biz.get("out_trade_no"),
        }
    elif faults.take("code_20000"):
        if faults.value("code_20000_processed"):
            gateway.handle(app_entry.app_id, method, biz, notify_url, base_url)
        inner = {
            "code": "20000",
            "msg": "Service Currently Unavailable",
            "sub_code": "isp.unknow-error",
            "sub_msg": "系统繁忙",
        }
    else:
        inner = gateway.handle(app_entry.app_id, method, biz, notify_url, base_url)
    if faults.take("slow"):
        # Processed already: a client that times out here does not know the trade happened.
        time.sleep(float(faults.value("slow_seconds")))
    return _signed_response(gateway, method, inner)


# --------------------------------------------------------------------------- wallet pages


def home() -> str:
    gateway = get_gateway()
    return render_template(
        "sandbox_home.html",
        apps=list(gateway.apps.values()),
        codes=TEST_CODES,
        waiting=sorted(gateway.waiting_trades(), key=lambda t: t.created_at, reverse=True),
        format_amount=format_amount,
    )


def wallet(token: str) -> Any:
    """The shopper's phone after scanning: opening the page is the scan."""
    gateway = get_gateway()
    trade = gateway.trade_by_token(token)
    if trade is None or trade.kind not in ("qr", "code"):
        abort(404)
    if request.method == "POST":
        action = request.form.get("action")
        if action == "approve":
            gateway.approve(trade)
        elif action == "decline":
            gateway.decline(trade)
        else:
            abort(400)
        return redirect(url_for("wallet", token=token), code=303)
    gateway.scan(trade)
    app_entry = gateway.apps.get(trade.app_id)
    return render_template(
        "sandbox_wallet.html",
        trade=trade,
        merchant=app_entry.name if app_entry else trade.app_id,
        # The shopper pays in CNY; a foreign price is shown beside it.
        amount=format_amount(in_cny(trade.total, trade.currency)),
        price=None if trade.currency == "CNY" else f"{trade.currency} {trade.amount_text(trade.total)}",
        expired=trade.kind == "qr" and not trade.scanned,
    )


# --------------------------------------------------------------------------- admin (JSON)


def _app_id_param(gateway: SandboxGateway) -> str:
    body = request.get_json(silent=True) or {}
    app_id = request.args.get("app_id") or body.get("app_id")
    if app_id:
        if app_id not in gateway.apps:
            abort(
                Response(
                    json.dumps({"error": f"unknown app_id {app_id}"}),
                    404,
                    mimetype="application/json",
                )
            )
        return str(app_id)
    if len(gateway.apps) != 1:
        abort(Response(json.dumps({"error": "say which app_id"}), 400, mimetype="application/json"))
    return next(iter(gateway.apps))


def _app_json(entry: App) -> dict[str, Any]:
    return {"app_id": entry.app_id, "name": entry.name, "public_key": entry.public_key_pem,
            **entry.contract()}


def admin_info() -> Any:
    gateway = get_gateway()
    base = (current_app.config["PUBLIC_URL"] or request.host_url).rstrip("/")
    return {
        "gateway_url": f"{base}/gateway.do",
        "gateway_public_key": crypto.public_key_pem(gateway.private_key),
        "apps": [_app_json(a) for a in gateway.apps.values()],
        "test_codes": TEST_CODES,
    }


def admin_apps() -> Any:
    """GET lists apps; POST {"public_key": PEM, "name": ..., "trans_currencies"?: [...],
    "settle_currency"?: ..., "seller_id"?: ...} registers one, 201 with its id."""
    gateway = get_gateway()
    if request.method == "GET":
        return {"apps": [_app_json(a) for a in gateway.apps.values()]}
    body = request.get_json(silent=True) or {}
    try:
        entry = gateway.register_app(str(body.get("public_key", "")), body.get("name"),
                                     trans_currencies=body.get("trans_currencies"),
                                     settle_currency=body.get("settle_currency"),
                                     seller_id=body.get("seller_id"))
    except ValueError as exc:
        return {"error": f"app: {exc}"}, 400
    state_dir = current_app.config["STATE_DIR"]
    if state_dir:
        path = Path(state_dir) / "apps.json"
        apps = json.loads(path.read_text()) if path.exists() else {}
        apps[entry.app_id] = {"name": entry.name, "public_key": entry.public_key_pem, **entry.contract()}
        path.write_text(json.dumps(apps, indent=2))
    return _app_json(entry), 201


def admin_faults() -> Any:
    """GET shows the switches, POST {"name": value, ...} sets some, DELETE resets all."""
    faults = get_gateway().faults
    if request.method == "DELETE":
        return faults.reset()
    if request.method == "POST":
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return {"error": "send a JSON object of switches"}, 400
        try:
            return faults.update(body)
        except ValueError as exc:
            return {"error": str(exc)}, 400
    return faults.snapshot()


def admin_trades() -> Any:
    """GET ?date=YYYY-MM-DD[&app_id=]: the gateway's trades created that day (GMT+8).
    POST {"total_amount": "12.50", ...}: make a trade the merchant does not know about."""
    gateway = get_gateway()
    if request.method == "GET":
        day = request.args.get("date") or datetime.now(GMT8).strftime("%Y-%m-%d")
        try:
            datetime.strptime(day, "%Y-%m-%d")
        except ValueError:
            return {"error": "date is YYYY-MM-DD"}, 400
        app_id = request.args.get("app_id") or None
        trades = gateway.trades_on(day, app_id)
        return {"date": day, "app_id": app_id, "trades": [t.as_json() for t in trades]}
    body = request.get_json(silent=True) or {}
    app_id = _app_id_param(gateway)
    currency = str(body.get("trans_currency") or gateway.apps[app_id].trans_currencies[0]).upper()
    try:
        total = parse_amount(body.get("total_amount"), currency)
        created_at = None
        if body.get("gmt_create"):
            created_at = (
                datetime.strptime(body["gmt_create"], TIME_FORMAT).replace(tzinfo=GMT8).timestamp()
            )
        trade = gateway.create_external(
            app_id,
            total,
            out_trade_no=body.get("out_trade_no"),
            subject=body.get("subject") or "Trade the merchant does not know",
            status=body.get("status") or "TRADE_SUCCESS",
            created_at=created_at,
            notify_url=body.get("notify_url"),
            currency=currency,
        )
    except ValueError as exc:
        return {"error": str(exc)}, 400
    return trade.as_json(), 201


def _admin_trade(out_trade_no: str) -> Trade:
    gateway = get_gateway()
    trade = gateway.find_trade(out_trade_no, request.args.get("app_id") or None)
    if trade is None:
        abort(
            Response(
                json.dumps({"error": "no such trade (or say which app_id)"}),
                404,
                mimetype="application/json",
            )
        )
    return trade


def admin_trade(out_trade_no: str) -> Any:
    trade = _admin_trade(out_trade_no)
    base = (current_app.config["PUBLIC_URL"] or request.host_url).rstrip("/")
    return {**trade.as_json(), "wallet_url": f"{base}/wallet/{trade.token}"}


def admin_trade_action(out_trade_no: str, action: str) -> Any:
    """POST .../approve | decline | scan | finish: what a shopper (or time) does to a trade."""
    gateway = get_gateway()
    trade = _admin_trade(out_trade_no)
    if action == "scan":
        gateway.scan(trade)
        done = trade.kind == "qr" and trade.scanned
    elif action == "approve":
        done = gateway.approve(trade)
    elif action == "decline":
        done = gateway.decline(trade)
    elif action == "finish":
        done = gateway.finish(trade)
    else:
        return {"error": f"unknown action {action}"}, 404
    if not done:
        return {"error": f"cannot {action} a trade that is {trade.status}", **trade.as_json()}, 409
    return trade.as_json()


def admin_notifications() -> Any:
    gateway = get_gateway()
    records = gateway.notifier.records(request.args.get("out_trade_no") or None)
    return {"notifications": records, "pending": gateway.notifier.pending()}


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> None:
    from werkzeug.serving import make_server

    parser = argparse.ArgumentParser(
        prog="plaza-payment-sandbox",
        description="A local gateway speaking the Alipay OpenAPI v2 protocol, for development.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument(
        "--state-dir",
        default=os.environ.get("PLAZA_SANDBOX_STATE_DIR", "instance/payment-sandbox"),
        help="keys and app registrations live here (created at first run)",
    )
    parser.add_argument(
        "--public-url",
        help="base URL phones reach the sandbox at (for QR codes), e.g. http://192.168.1.5:8700",
    )
    parser.add_argument(
        "--currency",
        help="the merchant app prices and settles in this currency (default: as registered, CNY "
        "for a new app); anything but CNY makes it a cross-border merchant",
    )
    args = parser.parse_args(argv)

    app = create_app({"STATE_DIR": args.state_dir, "PUBLIC_URL": args.public_url,
                      "CURRENCY": args.currency})
    gateway = get_gateway(app)
    base = (args.public_url or f"http://{args.host}:{args.port}").rstrip("/")
    state = Path(args.state_dir).resolve()
    app_id = next(iter(gateway.apps))
    merchant = gateway.apps[app_id]
    env_file = state / "plaza-payment.env"
    lines = [
        "# Point Plaza at this sandbox gateway (generated by plaza-payment-sandbox).",
        f"PLAZA_ALIPAY_GATEWAY_URL={base}/gateway.do",
        f"PLAZA_ALIPAY_APP_ID={app_id}",
        f"PLAZA_ALIPAY_SELLER_ID={merchant.seller_id}",
        f"PLAZA_ALIPAY_CURRENCY={merchant.trans_currencies[0]}",
        f"PLAZA_ALIPAY_SETTLE_CURRENCY={merchant.settle_currency}",
        f"PLAZA_ALIPAY_PUBLIC_KEY_FILE={state / 'gateway_public_key.pem'}",
    ]
    if (state / "merchant_private_key.pem").exists():
        lines.append(f"PLAZA_ALIPAY_PRIVATE_KEY_FILE={state / 'merchant_private_key.pem'}")
    env_file.write_text("\n".join(lines) + "\n")

    # Bind before announcing, so whoever reads the banner can connect at once.
    server = make_server(args.host, args.port, app, threaded=True)
    print("Plaza payment sandbox (Alipay OpenAPI v2 protocol)")
    print(f"  gateway URL        {base}/gateway.do")
    print(f"  wallet / home page {base}/")
    for entry in gateway.apps.values():
        print(f"  app id             {entry.app_id}  ({entry.name}; prices in "
              f"{'/'.join(entry.trans_currencies)}, settles in {entry.settle_currency})")
    print(f"  gateway public key {state / 'gateway_public_key.pem'}")
    print(f"  Plaza settings     {env_file}")
    print("  test payment codes:")
    for code, meaning in TEST_CODES.items():
        print(f"    {code}  {meaning}")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("  warning: the /_sandbox admin endpoints are open to anyone who can reach this port")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        gateway.close()


if __name__ == "__main__":
    main()
