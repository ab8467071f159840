"""The till's only way to the store server: a few HTTP calls, with failures sorted in two.

``Unreachable`` means the link or the server is down (or answered 5xx): the till keeps selling
and tries again later. ``Refused`` means the server answered and said no (4xx): retrying the
same request will not help until something changes, so the caller records the reason.

The sync thread pushes and pulls with long timeouts (a first-sync page of 5,000 SKUs takes
seconds); the cashier's calls (sign-in, a member QR, a sale looked up for a return) use short
ones, and a circuit breaker: once the server has failed to answer, those calls do not ask it
again (they fail at once, and the till takes its offline path: the PIN against the cached
hashes, say) until a background probe hears the server answer. A server that hangs, accepting
connections and never replying, thus costs a cashier one short timeout at most, not a minute
per sign-in. Each thread has its own keep-alive connection: ``requests.Session`` is not meant
to be shared between threads.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from typing import Any

import orjson
import requests

from pos_client.clock import TillClock

log = logging.getLogger(__name__)

# (connect, read) seconds for calls a cashier waits on: a PIN check or a member lookup answers
# in well under a second; a server that takes longer is treated as away (the till has an
# offline answer for each of these calls).
INTERACTIVE = (1.5, 3.0)
# The breaker's probe: the server's health page, which touches nothing.
PROBE = (1.0, 2.0)
# Answers that mean "the server behind me is not answering" from a proxy in front of it.
NOT_ANSWERING = {502, 503, 504}


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


class Breaker:
    """Whether the cashier's calls should ask the server at all.

    Closed (the normal state, and the state at start): calls go to the server. Any call that
    gets no answer (a timeout, a refused or reset connection, a gateway saying the server is
    away) opens it; then calls marked interactive fail at once with ``Unreachable`` and a
    background thread probes the server (at once, then after 0.5 s doubling to ``max_delay``,
    with jitter) until it answers. Any answer, the probe's or another call's, closes it again
    and runs ``on_close`` (the sync loop wakes up then).
    """

    def __init__(self, probe: Callable[[], object], max_delay: float = 5.0) -> None:
        self._probe = probe
        self.max_delay = max_delay
        self.on_close: list[Callable[[], None]] = []
        self._open = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def open(self) -> bool:
        return self._open

    def check(self) -> None:
        """Raise ``Unreachable`` without asking the server when it failed to answer lately."""
        if self._open:
            raise Unreachable("the server did not answer lately; the till works offline until it does",
                              code="not-answering")

    def failed(self) -> None:
        with self._lock:
            if self._open:
                return
            self._open = True
            log.warning("the server does not answer: cashier calls go offline until it does")
            self._start()

    def succeeded(self) -> None:
        with self._lock:
            if not self._open:
                return
            self._open = False
        log.info("the server answers again")
        for callback in self.on_close:
            callback()

    def probe_now(self) -> None:
        """Ask the server in the background now (at start: a hanging server opens the breaker
        within one probe's timeout, before a cashier's call finds out the slow way)."""
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self._stop.is_set() or (self._thread is not None and self._thread.is_alive()):
            return
        self._thread = threading.Thread(target=self._run, name="till-probe", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        delay = 0.0  # the first probe at once
        while not self._stop.wait(delay):
            try:
                self._probe()  # the call itself closes the breaker when it is answered
            except (Unreachable, Refused):
                pass
            except Exception:  # noqa: BLE001 (the probe must never die with the breaker open)
                log.exception("server probe failed")
            with self._lock:
                if not self._open:
                    self._thread = None
                    return
            delay = min(self.max_delay, max(0.5, delay * 2)) * random.uniform(0.8, 1.0)

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5)


class ServerApi:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 60.0,
                 clock: TillClock | None = None) -> None:
        self.server_url = base_url.rstrip("/")
        self.base_url = self.server_url + "/api/v1"
        self.timeout = timeout
        self.token = token
        # Every answer tells the till the server's time; pushes say the till's as they go.
        self.clock = clock or TillClock()
        self.breaker = Breaker(self.probe)
        self._local = threading.local()
        # Set by the sync loop: what the till reports with each sync call (headers), so the
        # server's metrics show every till's lag behind the feed and its outbox depth.
        self.sync_report: Callable[[], dict[str, str]] | None = None

    def close(self) -> None:
        """Stop the breaker's probe (the sessions go with their threads)."""
        self.breaker.stop()

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
              timeout: float | tuple[float, float] | None = None, interactive: bool = False,
              root: bool = False, sync: bool = False) -> Any:
        if interactive:
            self.breaker.check()
        started = self.clock.monotonic()
        try:
            response = self._http().request(method, (self.server_url if root else self.base_url) + path,
                                            data=body, params=params, headers=self._headers(key, sync),
                                            timeout=timeout or self.timeout)
        except requests.RequestException as exc:
            self.breaker.failed()
            raise Unreachable(f"{self.base_url} does not answer: {type(exc).__name__}") from exc
        if response.status_code in NOT_ANSWERING:
            self.breaker.failed()
        else:
            self.breaker.succeeded()
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

    def cashiers(self, interactive: bool = False) -> list[dict[str, Any]]:
        """The store's staff who sign in at a till, with their Argon2 PIN hashes (``interactive``:
        a manager waits for them)."""
        if interactive:
            return self._call("GET", "/sync/cashiers", timeout=INTERACTIVE, interactive=True)
        return self._call("GET", "/sync/cashiers")

    def probe(self) -> dict[str, Any]:
        """Does the server answer at all? (Its health page; the breaker's probe.)"""
        return self._call("GET", "/healthz", timeout=PROBE, root=True)

    # -- calls a cashier waits on ----------------------------------------------------------

    def sign_in(self, username: str, pin: str) -> dict[str, Any]:
        return self._call("POST", "/auth/pin", orjson.dumps({"username": username, "pin": pin}),
                          timeout=INTERACTIVE, interactive=True)

    def identify_member(self, scan: str) -> dict[str, Any]:
        return self._call("POST", "/customers/identify", orjson.dumps({"scan": scan}), timeout=INTERACTIVE,
                          interactive=True)

    def grant_gift(self, promotion: str, reference: str, store: str, basket_total: int) -> dict[str, Any]:
        """One gift of a limited giveaway for the sale ``reference``; the same sale asking again
        gets the same gift, never a second one (409 when none are left)."""
        body = {"reference": reference, "store": store, "basket_total": basket_total}
        return self._call("POST", f"/promotions/{promotion}/grants", orjson.dumps(body), timeout=INTERACTIVE)

    def redeem_points(self, member: str, body: dict[str, Any]) -> dict[str, Any]:
        """Spend a member's points (``body``: amount, currency, reference, member_qr); the same
        reference redeems once."""
        return self._call("POST", f"/customers/{member}/points/redeem", orjson.dumps(body),
                          timeout=INTERACTIVE)

    def give_back_points(self, member: str, reference: str) -> dict[str, Any]:
        """Points redeemed for a sale that will not use them go back to the member, once."""
        return self._call("POST", f"/customers/{member}/points/give-back",
                          orjson.dumps({"reference": reference}), timeout=INTERACTIVE)

    def sale(self, uuid: str) -> dict[str, Any]:
        return self._call("GET", f"/sales/{uuid}", timeout=INTERACTIVE, interactive=True)

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
