"""How an API operation is declared: route, roles, request and response models, idempotency.

An operation is a thin function ``(ctx, [body], **path) -> result``. The decorator turns HTTP
into that call: it authenticates, checks the role, parses the body and query with pydantic,
honours ``Idempotency-Key``, and serialises the result. The same declarations produce the
OpenAPI document, so the document cannot drift from the code.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import orjson
from flask import Blueprint, Response, current_app, g, request
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from store_server.api.auth import Principal, authenticate, require_role
from store_server.api.models import IdempotentRequest
from store_server.db import is_transient, retry_transient, transaction
from store_server.errors import Busy, Conflict, InvalidInput

api_blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    name: str
    summary: str
    tag: str
    roles: frozenset[str] | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: Any
    status: int
    idempotent: bool
    description: str = ""


OPERATIONS: list[Operation] = []


@dataclass
class Ctx:
    session: Session
    principal: Principal | None
    query: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def who(self) -> Principal:
        assert self.principal is not None, "operation declared public but needs a principal"
        return self.principal

    @property
    def actor(self) -> str:
        return self.principal.key if self.principal else "anonymous"

    @property
    def config(self) -> Any:
        return current_app.config

    @property
    def address(self) -> str:
        """The client's address (behind a proxy, as ProxyFix trusted it)."""
        return request.remote_addr or ""

    @property
    def presented_token(self) -> str | None:
        header = request.headers.get("Authorization", "")
        return header[len("Bearer "):].strip() if header.startswith("Bearer ") else None


def db_session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["plaza"].session_factory()
    return g.db_session


def _json_response(result: Any, status: int) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json")
    return Response(
        orjson.dumps(result, default=_default), status=status, mimetype="application/json"
    )


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def parse_body(model: type[BaseModel]) -> tuple[BaseModel, bytes]:
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise InvalidInput("the request needs a JSON body")
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedJSON(f"the body is not valid JSON: {exc}") from exc
    try:
        canonical = orjson.dumps(parsed, option=orjson.OPT_SORT_KEYS)
    except TypeError as exc:  # orjson writes at most 254 levels; no document of ours nests so
        raise InvalidInput("the JSON is nested too deeply") from exc
    try:
        return model.model_validate(parsed), canonical
    except ValidationError as exc:
        raise InvalidInput(
            "some fields are missing or wrong; see 'errors'", errors=validation_errors(exc)
        ) from exc


class MalformedJSON(InvalidInput):
    status = 400
    code = "malformed-json"
    title = "The body is not JSON"


def validation_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
        for err in exc.errors(include_url=False)
    ]


def parse_query(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise InvalidInput(
            "some query parameters are wrong; see 'errors'", errors=validation_errors(exc)
        ) from exc


class _KeyTaken(Exception):
    """Another request claimed this Idempotency-Key first; replay its answer."""


def run_idempotent(
    session: Session, principal: Principal | None, key: str, fingerprint: str,
    call: Callable[[], tuple[Any, int]],
) -> Response:
    """Run ``call`` once per (caller, key); replay the stored answer for repeats.

    The key is claimed by inserting its row at the start of the same transaction that does
    the work, so exactly one of several concurrent requests with the key commits: on SQLite
    the others wait on BEGIN IMMEDIATE and then find the row; on PostgreSQL their insert waits
    on the unique index and then fails, and they retry the lookup.
    """
    owner = principal.key if principal else "anonymous:" + (request.remote_addr or "")
    if len(key) > 200:
        raise InvalidInput("Idempotency-Key must be at most 200 characters")
    for _ in range(5):
        try:
            with transaction(session):
                stored = session.execute(
                    select(IdempotentRequest).where(
                        IdempotentRequest.principal == owner, IdempotentRequest.key == key
                    )
                ).scalar_one_or_none()
                if stored is not None:
                    if stored.request_hash != fingerprint:
                        raise Conflict(
                            "this Idempotency-Key was used with a different request; "
                            "use a new key for a new request",
                            code_detail="idempotency-key-reused",
                        )
                    response = Response(
                        stored.response_body, status=stored.status, mimetype="application/json"
                    )
                    response.headers["Idempotent-Replayed"] = "true"
                    return response
                claim = IdempotentRequest(
                    principal=owner, key=key, method_path=f"{request.method} {request.path}",
                    request_hash=fingerprint, status=0, response_body=b"",
                )
                session.add(claim)
                try:
                    session.flush()
                except IntegrityError as exc:
                    raise _KeyTaken from exc
                result, status = call()
                response = _json_response(result, status)
                claim.status = response.status_code
                claim.response_body = response.get_data()
                return response
        except _KeyTaken:
            session.rollback()
    raise Conflict("the same Idempotency-Key is being processed; retry in a moment")


def operation(
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    roles: frozenset[str] | None,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: Any = None,
    status: int = 200,
    idempotent: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API operation. ``roles=None`` makes it public (pairing, sign-in)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        op = Operation(
            method=method, rule=rule, name=fn.__name__, summary=summary, tag=tag, roles=roles,
            body=body, query=query, response=response, status=status, idempotent=idempotent,
            description=(fn.__doc__ or "").strip(),
        )
        OPERATIONS.append(op)

        @wraps(fn)
        def view(**path: Any) -> Response:
            session = db_session()
            principal = None
            if roles is not None:
                principal = authenticate(session, request.headers.get("Authorization"))
                require_role(principal, roles)
                if principal.kind == "device":
                    _note_device_report(session, principal)
            ctx = Ctx(session=session, principal=principal)
            if query is not None:
                ctx.query = parse_query(query)
            args: list[Any] = [ctx]
            canonical = b""
            if body is not None:
                parsed, canonical = parse_body(body)
                args.append(parsed)

            def call() -> tuple[Any, int]:
                return fn(*args, **path), status

            key = request.headers.get("Idempotency-Key")

            def answer() -> Response:
                if idempotent and key:
                    fingerprint = hashlib.sha256(
                        f"{request.method} {request.path}\n".encode() + canonical
                    ).hexdigest()
                    return run_idempotent(session, principal, key, fingerprint, call)
                result, code = call()
                return _json_response(result, code)

            # A deadlock victim (or a SQLite writer that waited too long) changed nothing:
            # run the whole operation again rather than answer 500.
            try:
                return retry_transient(session, answer, what=f"{method} {rule}")
            except DBAPIError as exc:
                if is_transient(exc):
                    raise Busy("the database is busy; nothing was changed, send the request "
                               "again in a moment") from exc
                raise

        api_blueprint.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method])
        return fn

    return decorate


# What a till or kiosk reports with its sync calls (pos_client.server_api), for the metrics.
OUTBOX_DEPTH_HEADER = "Plaza-Outbox-Depth"
FEED_POSITION_HEADER = "Plaza-Feed-Position"


def _note_device_report(session: Session, principal: Principal) -> None:
    from store_server.devices.service import note_sync_report

    def number(header: str) -> int | None:
        value = request.headers.get(header, "")
        return int(value) if value.isdigit() and len(value) <= 18 else None

    note_sync_report(session, principal.id, outbox_depth=number(OUTBOX_DEPTH_HEADER),
                     feed_position=number(FEED_POSITION_HEADER),
                     every_s=float(current_app.config["DEVICE_REPORT_INTERVAL_S"]))


_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def openapi_document(title: str, version: str) -> dict[str, Any]:
    """Build the OpenAPI 3.1 document from the registered operations."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}

    def ref(model: Any) -> dict[str, Any]:
        if isinstance(model, type) and issubclass(model, BaseModel):
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
            return {"$ref": f"#/components/schemas/{model.__name__}"}
        return {"type": "object"}

    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for op in OPERATIONS:
        path = api_blueprint.url_prefix + _CONVERTER.sub(r"{\2}", op.rule)
        params = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer" if conv == "int" else "string"},
            }
            for conv, name in _CONVERTER.findall(op.rule)
        ]
        if op.query is not None:
            qschema = op.query.model_json_schema()
            for name, prop in qschema.get("properties", {}).items():
                params.append({
                    "name": name,
                    "in": "query",
                    "required": name in qschema.get("required", []),
                    "schema": {k: v for k, v in prop.items() if k != "title"},
                })
        if op.idempotent:
            params.append({
                "name": "Idempotency-Key", "in": "header", "required": False,
                "schema": {"type": "string", "maxLength": 200},
                "description": "Same key and body: the first answer again. Other body: 409.",
            })
        entry: dict[str, Any] = {
            "operationId": op.name,
            "summary": op.summary,
            "tags": [op.tag],
            "parameters": params,
            "responses": {
                str(op.status): {
                    "description": "Success",
                    "content": {"application/json": {"schema": ref(op.response)}},
                },
                "default": {
                    "description": "Problem",
                    "content": {"application/problem+json": {"schema": problem_ref}},
                },
            },
        }
        if op.description:
            entry["description"] = op.description
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref(op.body)}},
            }
        if op.roles is not None:
            entry["security"] = [{"bearer": []}]
            entry["x-roles"] = sorted(op.roles)
        else:
            entry["security"] = []
        paths.setdefault(path, {})[op.method.lower()] = entry
    schemas["Problem"] = {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
        },
        "required": ["type", "title", "status"],
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
