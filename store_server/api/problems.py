"""RFC 9457 problem details: the one shape every API error takes."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response, request

PROBLEM_BASE = "https://plaza.dev/problems/"


def problem(status: int, title: str, detail: str, code: str,
            extra: dict[str, Any] | None = None) -> Response:
    """A problem response; ``extra`` members never override the standard ones."""
    body = {
        **(extra or {}),
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path if request else None,
    }
    return Response(
        orjson.dumps(body, default=str), status=status, mimetype="application/problem+json"
    )
