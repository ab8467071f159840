"""The till's only way to the store server: a few HTTP calls, with failures sorted in two.

``Unreachable`` means the link or the server is down (or answered 5xx): the till keeps selling
and tries again later. ``Refused`` means the server answered and said no (4xx): retrying the
same request will not help until something changes, so the caller records the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import requests


class Unreachable(ConnectionError):
    """No answer from the server, or an answer that says it is unwell (5xx)."""


class Refused(RuntimeError):
    """The server answered with a 4xx problem; ``status`` and ``detail`` say why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


class ServerApi:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/") + "/api/v1"
        self.timeout = timeout
        self.token = token
        # One keep-alive connection per thread would be nicer, but requests.Session is used
        # by the sync thread only; the pairing call happens before it starts.
        self._http = requests.Session()

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _call(self, method: str, path: str, body: bytes | None = None,
              params: dict[str, Any] | None = None) -> Any:
        try:
            response = self._http.request(method, self.base_url + path, data=body, params=params,
                                          headers=self._headers(), timeout=self.timeout)
        except requests.RequestException as exc:
            raise Unreachable(f"{self.base_url} does not answer: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise Unreachable(f"the server answered {response.status_code}")
        if response.status_code >= 400:
            raise Refused(response.status_code, _problem_detail(response))
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            # A proxy's HTML error page, say: treat it like no answer at all.
            raise Unreachable("the server's answer is not JSON") from exc

    def pair(self, code: str) -> dict[str, Any]:
        return self._call("POST", "/devices/pair", orjson.dumps({"code": code}))

    def changes(self, after: int, cursor: str | None = None, limit: int = 5000) -> dict[str, Any]:
        params: dict[str, Any] = {"after": after, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        return self._call("GET", "/sync/changes", params=params)

    def push_sales(self, bodies: Sequence[bytes]) -> dict[str, Any]:
        """Send stored sales exactly as they were first written (the server hashes their
        content to tell a resend from a different sale with the same UUID)."""
        sent_at = orjson.dumps(datetime.now(UTC).isoformat())
        payload = b'{"sales":[' + b",".join(bodies) + b'],"sent_at":' + sent_at + b"}"
        return self._call("POST", "/sync/sales", payload)


def _problem_detail(response: requests.Response) -> str:
    try:
        problem = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(problem, dict):
        return str(problem.get("detail") or problem.get("title") or problem)[:500]
    return str(problem)[:500]
