"""The API's contract checked on every answer the tests get: the test client validates each
/api/v1 response against the OpenAPI document the server publishes.

An answer fails when its status is not documented for the operation, its media type is not
the documented one, or its JSON body does not match the documented schema. Here the schemas
are read strictly: an object may carry only the properties the document names (the published
document leaves objects open, so clients tolerate fields added later), which keeps the models
complete. Validators are built once per process and per (operation, status, media type).
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import orjson
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.exceptions import HTTPException
from werkzeug.test import TestResponse

from store_server.api.framework import openapi_document
from store_server.app import API_VERSION

DOCUMENT_URI = "urn:plaza:openapi"
JSON_TYPES = ("application/json", "application/problem+json")


class ContractViolation(AssertionError):
    """An API answer that the OpenAPI document does not describe."""


def _strict(node: Any) -> Any:
    """Objects with named properties allow no others (unless the schema says otherwise)."""
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


class Contract:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        strict = copy.deepcopy(document)
        # Problem details stay open: their extension members carry what the client acts on.
        strict["components"]["schemas"] = {
            name: schema if name == "Problem" else _strict(schema)
            for name, schema in strict["components"]["schemas"].items()}
        self.strict = strict
        self.registry: Registry = Registry().with_resource(
            DOCUMENT_URI, Resource(contents=strict, specification=DRAFT202012))
        self.operations: dict[str, tuple[str, str, dict[str, Any]]] = {
            entry["operationId"]: (path, method, entry)
            for path, methods in strict["paths"].items() for method, entry in methods.items()}

    def _response(self, operation_id: str, status: int) -> dict[str, Any] | None:
        path, method, entry = self.operations[operation_id]
        response = entry["responses"].get(str(status))
        if response is not None and "$ref" in response:
            response = self.strict["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        return response

    @cache  # noqa: B019 - one Contract per process, kept for the whole run
    def validator(self, operation_id: str, status: int, media_type: str) -> Draft202012Validator:
        path, method, entry = self.operations[operation_id]
        response_key = str(status)
        if "$ref" in entry["responses"][response_key]:
            name = entry["responses"][response_key]["$ref"].rsplit("/", 1)[1]
            where = _pointer("components", "responses", name, "content", media_type, "schema")
        else:
            where = _pointer("paths", path, method, "responses", response_key, "content", media_type,
                             "schema")
        return Draft202012Validator({"$ref": f"{DOCUMENT_URI}#/{where}"}, registry=self.registry)

    def check(self, operation_id: str, status: int, media_type: str, body: bytes) -> None:
        """Raise ContractViolation unless the answer is one the document describes."""
        label = f"{operation_id} answered {status} {media_type}"
        response = self._response(operation_id, status)
        if response is None:
            raise ContractViolation(f"{label}: status {status} is not documented for it; "
                                    f"body: {body[:500]!r}")
        content = response.get("content", {})
        if media_type not in content:
            raise ContractViolation(f"{label}: the document says {sorted(content)}")
        if media_type not in JSON_TYPES:
            return
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ContractViolation(f"{label}: the body is not JSON ({exc})") from exc
        error = best_match(self.validator(operation_id, status, media_type).iter_errors(data))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(the body)"
            raise ContractViolation(f"{label}: at {where}: {error.message}\nbody: {body[:2000]!r}")


@cache
def contract() -> Contract:
    return Contract(openapi_document("Plaza store server", API_VERSION))


def check_response(app: Flask, response: TestResponse) -> None:
    """Check one test-client answer, if it is an API operation's."""
    request = response.request
    if not request.path.startswith("/api/v1/") or request.method in ("HEAD", "OPTIONS"):
        return
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(request.path, method=request.method)
    except HTTPException:
        # No operation here (an unknown path, a method the path does not have): still a problem.
        if response.mimetype != "application/problem+json":
            raise ContractViolation(f"{request.method} {request.path} answered {response.status_code} "
                                    f"{response.mimetype}, not a problem") from None
        return
    if not endpoint.startswith("api."):
        return
    contract().check(endpoint.removeprefix("api."), response.status_code, response.mimetype,
                     response.get_data())


class ContractClient(FlaskClient):
    """The Flask test client, checking every API answer against the OpenAPI document."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:  # type: ignore[override]
        response = super().open(*args, **kwargs)
        check_response(self.application, response)
        return response
