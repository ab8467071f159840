"""How an API operation is declared: route, roles, request and response models, idempotency.

An operation is a thin function ``(ctx, [body], **path) -> result``. The decorator turns HTTP
into that call: it authenticates, checks the role, parses the body and query with pydantic,
honours ``Idempotency-Key``, and serialises the result. The same declarations produce the
OpenAPI document (request and response models, media types, the problems an operation can
answer), so the document cannot drift from the code; the test suite checks every answer it
sees against it, and a fuzzer runs over it (docs/API.md).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, wraps
from typing import Any

import orjson
from flask import Blueprint, Response, current_app, g, request
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.json_schema import GenerateJsonSchema
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from store_server.api.auth import Principal, authenticate, require_role
from store_server.api.models import IdempotentRequest
from store_server.db import is_transient, retry_transient, transaction
from store_server.errors import Busy, Conflict, InvalidInput

api_blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


@dataclass(frozen=True)
class Media:
    """An answer that is not JSON: its media type and, for text, what the body holds."""

    media_type: str
    schema: dict[str, Any]


PNG = Media("image/png", {"type": "string", "contentMediaType": "image/png"})

# The problem answers (RFC 9457, application/problem+json) the document names, by status.
PROBLEMS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The body is not JSON"),
    401: ("Unauthorized", "No valid token (or, signing in, wrong credentials)"),
    403: ("Forbidden", "The caller's role or store may not do this"),
    404: ("NotFound", "Something the request names does not exist"),
    409: ("Conflict", "Conflicts with the current state (or an Idempotency-Key used for "
                      "another request)"),
    413: ("ContentTooLarge", "The body is larger than the server accepts"),
    414: ("URITooLong", "The URL is longer than the server accepts"),
    422: ("UnprocessableContent", "Some fields or parameters are missing or wrong; see `errors`"),
    429: ("TooManyRequests", "Too many failed attempts; wait `Retry-After` seconds"),
    503: ("ServiceUnavailable", "Busy or a dependency is down; nothing was changed, try again"),
}


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
    problems: frozenset[int] = frozenset()

    @property
    def path_params(self) -> list[tuple[str, str]]:
        """(converter, name) of each variable in the rule."""
        return _CONVERTER.findall(self.rule)

    def problem_statuses(self) -> set[int]:
        """The problem statuses this operation can answer: what follows from its declaration
        (a body can be malformed or too large, a token missing or of the wrong role, a path
        name something unknown, a parameter be wrong, the database be busy) and the ones it
        declares itself."""
        statuses = {503} | set(self.problems)
        if self.roles is not None:
            statuses |= {401, 403}
        if self.body is not None:
            statuses |= {400, 413, 422}
        if self.query is not None:
            statuses |= {414, 422}
        if self.path_params:
            statuses |= {404, 414}
        if self.idempotent:
            statuses |= {409, 422}  # a reused key; a key over 200 characters
        return statuses


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
    problems: Iterable[int] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API operation. ``roles=None`` makes it public (pairing, sign-in).

    ``response`` is what the function returns: a pydantic model, a type such as
    ``list[Model]``, or a ``Media`` for an answer that is not JSON. ``problems`` adds the
    problem statuses the operation's own rules can answer (404 for an unknown code in the
    body, 409, 429...) to the ones its declaration implies (``Operation.problem_statuses``).
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        unknown = set(problems) - PROBLEMS.keys()
        assert not unknown, f"{fn.__name__}: no problem response is described for {unknown}"
        op = Operation(
            method=method, rule=rule, name=fn.__name__, summary=summary, tag=tag, roles=roles,
            body=body, query=query, response=response, status=status, idempotent=idempotent,
            description=(fn.__doc__ or "").strip(), problems=frozenset(problems),
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
_REF_TEMPLATE = "#/components/schemas/{model}"


def _query_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema: a parameter is absent or a value, never JSON null."""
    prop = {k: v for k, v in prop.items() if k != "title"}
    options = prop.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        del prop["anyOf"]
        prop = {**(rest[0] if len(rest) == 1 else {"anyOf": rest}), **prop}
        if prop.get("default", ...) is None:
            del prop["default"]
    return prop


def _problem_response(description: str, retry_after: bool | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if retry_after is not None:
        response["headers"] = {"Retry-After": {
            "description": "seconds to wait before trying again", "required": retry_after,
            "schema": {"type": "string", "pattern": "^[0-9]+$"}}}
    return response


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; members beyond these carry what the client needs "
                   "to act (the unknown SKUs, the field that is wrong, ...)",
    "properties": {
        "type": {"type": "string", "description": "https://plaza.dev/problems/<code>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "what went wrong and what to do next"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "422: each field or parameter that is wrong",
            "items": {"type": "object", "properties": {
                "field": {"type": "string"}, "message": {"type": "string"}},
                "required": ["field", "message"]},
        },
    },
    "required": ["type", "title", "status", "detail"],
}


@cache
def openapi_document(title: str, version: str) -> dict[str, Any]:
    """Build the OpenAPI 3.1 document from the registered operations (once per process)."""
    # Every request and response model goes through one generator, so a model used both ways
    # (or two models of one name) get distinct component names instead of overwriting.
    inputs = []
    for op in OPERATIONS:
        if op.body is not None:
            inputs.append(((op.name, "body"), "validation", TypeAdapter(op.body).core_schema))
        if op.response is not None and not isinstance(op.response, Media):
            inputs.append(((op.name, "response"), "serialization",
                           TypeAdapter(op.response).core_schema))
    generator = GenerateJsonSchema(ref_template=_REF_TEMPLATE)
    mapping, definitions = generator.generate_definitions(inputs)
    schemas: dict[str, Any] = dict(definitions)

    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        path = api_blueprint.url_prefix + _CONVERTER.sub(r"{\2}", op.rule)
        params = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": ({"type": "integer", "minimum": 0, "maximum": 2**63 - 1} if conv == "int"
                           else {"type": "string"}),
            }
            for conv, name in op.path_params
        ]
        if op.query is not None:
            qschema = op.query.model_json_schema(ref_template=_REF_TEMPLATE)
            schemas.update(qschema.pop("$defs", {}))
            for name, prop in qschema.get("properties", {}).items():
                params.append({
                    "name": name,
                    "in": "query",
                    "required": name in qschema.get("required", []),
                    "schema": _query_schema(prop),
                })
        if op.idempotent:
            params.append({
                "name": "Idempotency-Key", "in": "header", "required": False,
                "schema": {"type": "string", "maxLength": 200},
                "description": "Same key and body: the first answer again. Other body: 409.",
            })
        if isinstance(op.response, Media):
            content = {op.response.media_type: {"schema": op.response.schema}}
        elif op.response is not None:
            content = {"application/json": {"schema": mapping[((op.name, "response"), "serialization")]}}
        else:
            content = {"application/json": {"schema": {}}}
        responses: dict[str, Any] = {str(op.status): {"description": op.summary, "content": content}}
        for status in sorted(op.problem_statuses()):
            responses[str(status)] = {"$ref": f"#/components/responses/{PROBLEMS[status][0]}"}
        entry: dict[str, Any] = {
            "operationId": op.name,
            "summary": op.summary,
            "tags": [op.tag],
            "parameters": params,
            "responses": responses,
        }
        if op.description:
            entry["description"] = op.description
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": mapping[((op.name, "body"), "validation")]}},
            }
        if op.roles is not None:
            entry["security"] = [{"bearer": []}]
            entry["x-roles"] = sorted(op.roles)
        else:
            entry["security"] = []
        paths.setdefault(path, {})[op.method.lower()] = entry
    schemas["Problem"] = PROBLEM_SCHEMA
    problem_responses = {
        name: _problem_response(text, retry_after={429: True, 503: False}.get(status))
        for status, (name, text) in PROBLEMS.items()
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "responses": problem_responses,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
