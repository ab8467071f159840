"""Structured logs: one JSON object a line, each carrying the id of the request it belongs to.

A request's id comes from a sane incoming ``X-Request-Id`` (a proxy or a till made it) or is
made here; it is answered in the ``X-Request-Id`` header, held in a context variable for the
length of the request, stamped on every log line by a filter, sent on to the payment gateway,
and stored with the events the request wrote so that their webhooks carry it too. People
reading logs in a terminal set ``PLAZA_LOG_FORMAT=text``.
"""

from __future__ import annotations

import contextvars
import logging
import logging.config
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import orjson

REQUEST_ID_HEADER = "X-Request-Id"
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("plaza_request_id", default=None)
# What we accept from outside: UUIDs, hex, proxies' ids (nginx's $request_id, AWS trace ids);
# nothing that could break a log line or a header, nothing long enough to bloat them.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+/=-]{0,127}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# Attributes every LogRecord has: anything else on a record was passed in ``extra=`` and goes
# into the JSON line as a field of its own.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def current_request_id() -> str | None:
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(incoming: str | None) -> str:
    """The caller's id when it is sane, else a new one."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return new_request_id()


@contextmanager
def request_id(value: str | None = None) -> Iterator[str]:
    """Run a block under a request id (given, or new): a worker's job, a CLI command."""
    value = value or new_request_id()
    token = _request_id.set(value)
    try:
        yield value
    finally:
        _request_id.reset(token)


class RequestIdMiddleware:
    """WSGI middleware around the whole app, error handlers included: every line logged while a
    request runs has its id, and every answer says it."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        rid = accepted_request_id(environ.get("HTTP_X_REQUEST_ID"))
        environ["plaza.request_id"] = rid

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append((REQUEST_ID_HEADER, rid))
            return start_response(status, headers, exc_info)

        with request_id(rid):
            return self.app(environ, start)


class RequestIdFilter(logging.Filter):
    """Stamps the current request id on each record (``None`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get() or _access_request_id(record)
        return True


def _access_request_id(record: logging.LogRecord) -> str | None:
    """gunicorn writes its access line after the request ended: read the id from the answer."""
    if record.name == "gunicorn.access" and isinstance(record.args, dict):
        value = record.args.get("{x-request-id}o")
        return str(value) if value else None
    return None


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request id, any ``extra``
    fields, and the traceback of an exception. gunicorn's access lines get their fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "pid": record.process,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            atoms = record.args
            line.update({"method": atoms.get("m"), "path": atoms.get("U"), "query": atoms.get("q") or None,
                         "status": _int(atoms.get("s")), "bytes": _int(atoms.get("B")),
                         "duration_ms": round(float(atoms.get("D") or 0) / 1000, 1),
                         "remote_addr": atoms.get("h"), "user_agent": atoms.get("a")})
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """Readable lines for a terminal: time, level, logger, [request id or -], message."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        return self._style.format(_WithId(record))


class _WithId:
    """A record's attributes, with ``-`` for a line outside any request."""

    def __init__(self, record: logging.LogRecord) -> None:
        self.__dict__.update(vars(record))
        self.request_id = getattr(record, "request_id", None) or "-"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def logging_config(fmt: str = "json", level: str = "INFO", access_log: bool = True) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of every Plaza process; gunicorn takes it as its
    ``logconfig_dict`` so that its own lines have the same shape."""
    formatter = {"()": f"{__name__}.JsonFormatter" if fmt == "json" else f"{__name__}.TextFormatter"}
    handler = {"class": "logging.StreamHandler", "formatter": "plaza", "filters": ["request_id"],
               "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"plaza": formatter},
        "handlers": {"plaza": handler},
        "root": {"level": level, "handlers": ["plaza"]},
        "loggers": {
            # No level: gunicorn's --log-level sets it.
            "gunicorn.error": {"handlers": ["plaza"], "propagate": False},
            "gunicorn.access": {"level": "INFO" if access_log else "WARNING", "handlers": ["plaza"],
                                "propagate": False},
        },
    }


def configure_logging(fmt: str = "json", level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(fmt, level))
