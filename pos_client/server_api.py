"""The till's only way to the store server: a few HTTP calls, with failures sorted in two.

``Unreachable`` means the link or the server is down (or answered 5xx): the till keeps selling
and tries again later. ``Refused`` means the server answered and said no (4xx): retrying the
same request will not help until something changes, so the caller records the reason.

The sync thread pushes and pulls with long timeouts (a first-sync page of 5,000 SKUs takes
seconds); the cashier's calls (sign-in, a member QR, Alipay) use short ones, so a server that
has gone quiet costs a cashier a couple of seconds, not a minute. Each thread has its own
keep-alive connection: ``requests.Session`` is not meant to be shared between threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import orjson
import requests

from pos_client.clock import TillClock

# (connect, read) seconds for calls a cashier waits on.
INTERACTIVE = (2.0, 10.0)


class Unreachable(ConnectionError):
    """No answer from the server, or an answer that says it is unwell (5xx)."""

    def __init__(self, message: str, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class Refused(RuntimeError):
    """The server answered with a 4xx problem; ``status``, ``code`` and ``detail`` say why."""

    def __init__(self, status: int, detail: str, code: str = "",
                 problem: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.code = code  # the last part of the problem's type, e.g. "payment-refused"
        self.problem = problem or {}


class ServerApi:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 60.0,
                 clock: TillClock | None = None) -> None:
        self.base_url = base_url.rstrip("/") + "/api/v1"
        self.timeout = timeout
        self.token = token
        # Every answer tells the till the server's time; pushes say the till's as they go.
        self.clock = clock or TillClock()
        self._local = threading.local()
        # Set by the sync loop: what the till reports with each sync call (headers), so the
        # server's metrics show every till's lag behind the feed and its outbox depth.
        self.sync_report: Callable[[], dict[str, str]] | None = None

    def _http(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _headers(self, key: str | None = None, sync: bool = False) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if key:
            headers["Idempotency-Key"] = key
        if sync and self.sync_report is not None:
            headers.update(self.sync_report())
        return headers

    def _call(self, method: str, path: str, body: bytes | None = None,
              params: dict[str, Any] | None = None, *, key: str | None = None,
              timeout: float | tuple[float, float] | None = None, sync: bool = False) -> Any:
        started = self.clock.monotonic()
        try:
            response = self._http().request(method, self.base_url + path, data=body, params=params,
                                            headers=self._headers(key, sync), timeout=timeout or self.timeout)
        except requests.RequestException as exc:
            raise Unreachable(f"{self.base_url} does not answer: {type(exc).__name__}") from exc
        if response.status_code < 500:  # the server itself answered (not a proxy's error page)
            self.clock.observe(response.headers.get("Date"), started, self.clock.monotonic())
        if response.status_code >= 500:
            problem = _problem(response)
            raise Unreachable(f"the server answered {response.status_code}: {_detail(response, problem)}",
                              response.status_code, _code(problem))
        if response.status_code >= 400:
            problem = _problem(response)
            raise Refused(response.status_code, _detail(response, problem), _code(problem), problem)
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            # A proxy's HTML error page, say: treat it like no answer at all.
            raise Unreachable("the server's answer is not JSON") from exc

    # -- pairing and the sync loop ---------------------------------------------------------

    def pair(self, code: str) -> dict[str, Any]:
        return self._call("POST", "/devices/pair", orjson.dumps({"code": code}))

    def changes(self, after: int, cursor: str | None = None, limit: int = 5000) -> dict[str, Any]:
        params: dict[str, Any] = {"after": after, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        return self._call("GET", "/sync/changes", params=params, sync=True)

    def push_sales(self, bodies: Sequence[bytes]) -> dict[str, Any]:
        """Send stored sales exactly as they were first written (the server hashes their
        content to tell a resend from a different sale with the same UUID)."""
        return self._call("POST", "/sync/sales", self._batch(b"sales", bodies), sync=True)

    def push_returns(self, bodies: Sequence[bytes]) -> dict[str, Any]:
        """Returns go like sales: stored bodies, byte for byte, keyed by their UUIDs."""
        return self._call("POST", "/sync/returns", self._batch(b"returns", bodies), sync=True)

    def push_cash_session(self, report: dict[str, Any]) -> dict[str, Any]:
        """A closed cash session's Z report; the server keys it by its UUID (the clocks as it is
        sent are not part of the report: a resend is the same report)."""
        return self._call("POST", "/sync/cash-sessions", orjson.dumps({**report, **self.clock.sending()}),
                          sync=True)

    def _batch(self, name: bytes, bodies: Sequence[bytes]) -> bytes:
        """Stored bodies byte for byte, and the clocks as the batch goes (fresh on every retry)."""
        sending = orjson.dumps(self.clock.sending())
        return b'{"' + name + b'":[' + b",".join(bodies) + b"]," + sending[1:]

    def cashiers(self) -> list[dict[str, Any]]:
        """The store's staff who sign in at a till, with their Argon2 PIN hashes."""
        return self._call("GET", "/sync/cashiers")

    # -- calls a cashier waits on ----------------------------------------------------------

    def sign_in(self, username: str, pin: str) -> dict[str, Any]:
        return self._call("POST", "/auth/pin", orjson.dumps({"username": username, "pin": pin}),
                          timeout=INTERACTIVE)

    def identify_member(self, scan: str) -> dict[str, Any]:
        return self._call("POST", "/customers/identify", orjson.dumps({"scan": scan}), timeout=INTERACTIVE)

    def sale(self, uuid: str) -> dict[str, Any]:
        return self._call("GET", f"/sales/{uuid}", timeout=INTERACTIVE)

    def create_payment(self, body: dict[str, Any], key: str) -> dict[str, Any]:
        # A payment code may take the server a few seconds (the shopper confirms on the phone).
        return self._call("POST", "/payments", orjson.dumps(body), key=key, timeout=(2.0, 30.0))

    def payment(self, payment_id: str, wait: float = 0, status: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"wait": wait} if wait > 0 else {}
        if wait > 0 and status:
            params["status"] = status
        return self._call("GET", f"/payments/{payment_id}", params=params, timeout=(2.0, wait + 10.0))

    def cancel_payment(self, payment_id: str) -> dict[str, Any]:
        return self._call("POST", f"/payments/{payment_id}/cancel", b"{}", timeout=(2.0, 30.0))

    def refund_payment(self, payment_id: str, amount: int, reason: str, key: str) -> dict[str, Any]:
        """Part of a wallet payment back; the same ``key`` is the same refund, however often sent."""
        return self._call("POST", f"/payments/{payment_id}/refunds",
                          orjson.dumps({"amount": amount, "reason": reason[:256]}), key=key,
                          timeout=(2.0, 30.0))


def _problem(response: requests.Response) -> dict[str, Any]:
    try:
        problem = response.json()
    except ValueError:
        return {}
    return problem if isinstance(problem, dict) else {}


def _detail(response: requests.Response, problem: dict[str, Any]) -> str:
    if not problem:
        return response.text[:200]
    return str(problem.get("detail") or problem.get("title") or problem)[:500]


def _code(problem: dict[str, Any]) -> str:
    return str(problem.get("code") or str(problem.get("type") or "").rsplit("/", 1)[-1])
