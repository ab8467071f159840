"""Who may use the till: cashiers sign in with a PIN, managers authorise overrides with theirs.

Sign-in asks the server (``POST /auth/pin``) while it answers, and the till's own copy of the
store's PIN hashes when it does not (at once while the server's breaker is open, see
``server_api``), so a cashier can start a shift in a store whose link is down or whose server
hangs. The copy comes from ``GET /sync/cashiers`` (at start and whenever the changes feed says
``cashiers.changed``) and holds Argon2 hashes only, never a PIN, in a file only the till's user
reads. A manager's PIN for a price override or a discount is checked against the same hashes:
the check must work offline, and it costs no round trip while the cashier waits.

A few wrong PINs in a row lock a name out for a while: six digits are quick to guess by hand.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pos_client.config import write_private_json
from pos_client.sale import SaleError
from pos_client.server_api import Refused, ServerApi, Unreachable

log = logging.getLogger(__name__)

MANAGER_ROLES = ("manager", "admin")
MAX_FAILURES = 5
LOCKOUT_SECONDS = 60.0
_hasher = PasswordHasher()  # verify() reads the parameters from each hash


class SignInError(SaleError):
    """A PIN that does not open the till; ``status`` is the HTTP status the agent answers."""

    def __init__(self, message: str, code: str, status: int = 401, **data: Any) -> None:
        super().__init__(message, code, **data)
        self.status = status


@dataclass(frozen=True)
class Cashier:
    username: str
    display_name: str
    role: str

    def as_dict(self) -> dict[str, str]:
        return {"username": self.username, "display_name": self.display_name, "role": self.role}


class CashierBook:
    """The store's staff as this till knows them, and the PIN checks against them."""

    def __init__(self, path: Path, api: ServerApi) -> None:
        self.path = path
        self.api = api
        self._lock = threading.Lock()
        self._people: dict[str, dict[str, Any]] = self._load()
        self._failures: dict[str, tuple[int, float]] = {}  # username -> (count, locked until)

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return {p["username"]: p for p in data.get("cashiers", [])}

    @property
    def known(self) -> bool:
        return bool(self._people)

    def refresh(self, interactive: bool = False) -> int:
        """Fetch the store's cashiers and their hashes; raises Unreachable/Refused
        (``interactive``: someone waits, so a short timeout, and none while the server is away)."""
        people = self.api.cashiers(interactive)
        write_private_json(self.path, {"fetched_at": time.time(), "cashiers": people})
        with self._lock:
            self._people = {p["username"]: p for p in people}
        return len(people)

    def listing(self) -> list[dict[str, str]]:
        """For the sign-in screen: names and roles, no hashes."""
        with self._lock:
            people = sorted(self._people.values(), key=lambda p: (p.get("display_name") or p["username"]))
        return [_cashier(p).as_dict() for p in people]

    # -- checks ----------------------------------------------------------------------------

    def sign_in(self, username: str, pin: str, online: bool) -> Cashier:
        """The cashier, if the PIN is theirs: the server decides while it answers."""
        self._check_not_locked(username)
        if online:
            try:
                answer = self.api.sign_in(username, pin)
            except Refused as exc:
                if exc.status in (401, 403, 422):
                    raise self._failed(username) from exc
                if exc.status == 429:  # the server's lockout, shared by every till of the chain
                    wait = int(exc.problem.get("retry_after_s") or 60)
                    raise SignInError(f"too many wrong PINs; try again in {wait} s", "locked", 429,
                                      retry_in=wait) from exc
                raise
            except Unreachable:
                log.info("sign-in: the server does not answer; checking the PIN on the till")
            else:
                self._failures.pop(username, None)
                return Cashier(answer["username"], answer.get("display_name") or username, answer["role"])
        return self._verify_here(username, pin)

    def authorise(self, username: str, pin: str) -> Cashier:
        """A manager (or admin) of this store, by their PIN: for overrides and discounts."""
        self._check_not_locked(username)
        if username not in self._people:
            with contextlib.suppress(Unreachable, Refused):  # a manager added since the last refresh
                self.refresh(interactive=True)
        person = self._verify_here(username, pin)
        if person.role not in MANAGER_ROLES:
            raise SignInError(f"{person.display_name} is not a manager; ask a manager to enter their PIN",
                              "not-a-manager", 403)
        return person

    def _verify_here(self, username: str, pin: str) -> Cashier:
        with self._lock:
            person = self._people.get(username)
        if not self._people:
            raise SignInError("this till has not fetched the store's cashiers yet; connect it to the "
                              "server once", "no-cashiers", 409)
        try:
            ok = person is not None and _hasher.verify(person.get("pin_hash") or "", pin)
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or person is None:
            raise self._failed(username)
        self._failures.pop(username, None)
        return _cashier(person)

    def _check_not_locked(self, username: str) -> None:
        count, until = self._failures.get(username, (0, 0.0))
        wait = until - time.monotonic()
        if count >= MAX_FAILURES and wait > 0:
            raise SignInError(f"too many wrong PINs; try again in {wait:.0f} s", "locked", 429,
                              retry_in=round(wait))

    def _failed(self, username: str) -> SignInError:
        count, _ = self._failures.get(username, (0, 0.0))
        count += 1
        until = time.monotonic() + LOCKOUT_SECONDS if count >= MAX_FAILURES else 0.0
        self._failures[username] = (count, until)
        return SignInError("wrong cashier or PIN", "bad-pin", 401)


def _cashier(person: dict[str, Any]) -> Cashier:
    return Cashier(person["username"], person.get("display_name") or person["username"],
                   person.get("role", "cashier"))
