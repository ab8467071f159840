"""The application factory."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import HTTPException, InternalServerError, RequestURITooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from store_server import i18n

# Importing the domain APIs registers their operations on the API blueprint.
from store_server.accounts import api as _accounts_api  # noqa: F401
from store_server.api.framework import api_blueprint, openapi_document
from store_server.api.problems import problem
from store_server.catalog import api as _catalog_api  # noqa: F401
from store_server.config import instance_path, load_config
from store_server.customers import api as _customers_api  # noqa: F401
from store_server.db import make_engine, make_session_factory
from store_server.devices import api as _devices_api  # noqa: F401
from store_server.errors import DomainError
from store_server.events import api as _events_api  # noqa: F401
from store_server.inventory import api as _inventory_api  # noqa: F401
from store_server.locations import api as _locations_api  # noqa: F401
from store_server.monitoring.health import install_health
from store_server.monitoring.logs import RequestIdMiddleware
from store_server.monitoring.metrics import install_metrics
from store_server.orders import api as _orders_api  # noqa: F401
from store_server.orders import sales_api as _sales_api  # noqa: F401
from store_server.payments import api as _payments_api  # noqa: F401
from store_server.promotions import api as _promotions_api  # noqa: F401
from store_server.recommendations import api as _recommendations_api  # noqa: F401
from store_server.tills import api as _tills_api  # noqa: F401
from store_server.webhooks import api as _webhooks_api  # noqa: F401

log = logging.getLogger(__name__)
API_VERSION = "1.0.0"
MAX_URL_LENGTH = 8192
# Every answer, pages and API alike: no framing (clickjacking), no sniffing JSON into HTML, no
# URLs leaking to other sites (e-receipt links are capabilities), scripts only from us.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def digits_at_most(limit: int) -> str:
    """A regular expression for the decimal numbers from 0 to ``limit``."""
    text = str(limit)
    options = [rf"\d{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for i, digit in enumerate(text):
        if digit != "0":
            rest = len(text) - i - 1
            options.append(text[:i] + f"[0-{int(digit) - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    options.append(text)
    return "(?:" + "|".join(options) + ")"


class DatabaseId(IntegerConverter):
    """``<int:...>`` in routes: a non-negative 64-bit id; anything larger matches no route (404)
    instead of reaching the database as an out-of-range number. The bound is in the pattern
    itself: werkzeug checks a converter's range only after the method, so a bound checked
    there answered a DELETE of a huge id with a 405 naming GET."""

    regex = digits_at_most(2**63 - 1)

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


@dataclass
class Plaza:
    engine: Engine
    session_factory: sessionmaker[Session]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    folder = instance_path()
    if test_config and "INSTANCE_PATH" in test_config:
        folder = Path(test_config["INSTANCE_PATH"])
    app = Flask(__name__, instance_path=str(folder))
    app.url_map.converters["int"] = DatabaseId
    app.config.update(load_config(folder, test_config))
    if hops := app.config["TRUSTED_PROXIES"]:
        # Behind a reverse proxy the client is the proxy: trust that many X-Forwarded-* hops,
        # so sign-in throttling counts the real client addresses.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    # Outermost: every line logged during a request, error handlers included, has its id.
    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    engine = make_engine(app.config["DATABASE_URL"],
                         busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"])
    app.extensions["plaza"] = Plaza(engine, make_session_factory(engine))

    install_metrics(app)  # first: its clock starts before any other before_request may refuse
    i18n.init_app(app)
    csrf = CSRFProtect(app)
    csrf.exempt(api_blueprint)  # the API authenticates with bearer tokens, never cookies
    app.register_blueprint(api_blueprint)

    from store_server.backoffice.views import backoffice
    from store_server.storefront.views import storefront

    app.register_blueprint(backoffice)
    app.register_blueprint(storefront)

    @app.get("/api/v1/openapi.json")
    def openapi() -> Any:
        return openapi_document("Plaza store server", API_VERSION)

    install_health(app)

    @app.teardown_appcontext
    def close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    @app.before_request
    def refuse_long_urls() -> None:
        # gunicorn is told not to cut request lines (see gunicorn_conf), so the answer is ours.
        if len(request.full_path) > MAX_URL_LENGTH:
            raise RequestURITooLarge(f"the URL is longer than {MAX_URL_LENGTH} characters; "
                                     "send long data in a request body")

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    _register_error_handlers(app)
    from store_server.cli import register_commands

    register_commands(app)
    return app


def _wants_problem() -> bool:
    return request.path.startswith("/api/")


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Response:
        response = problem(exc.status, exc.title, exc.detail, exc.code, exc.extra)
        if retry_after := getattr(exc, "retry_after", None):
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if not _wants_problem():
            return exc
        code = (exc.name or "error").lower().replace(" ", "-")
        response = problem(exc.code or 500, exc.name or "Error", exc.description or "", code)
        for name, value in exc.get_headers():
            if name.lower() != "content-type":  # e.g. Allow on a 405
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not _wants_problem():
            return InternalServerError()
        return problem(500, "Internal error",
                       "something went wrong on our side; nothing was changed", "internal-error")
