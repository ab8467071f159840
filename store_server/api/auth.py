"""Who is calling: a staff user's or a device's bearer token, and what it may touch."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from store_server.accounts.models import ApiToken, User
from store_server.db import utcnow
from store_server.devices.models import Device
from store_server.errors import Forbidden, Unauthorized

ADMIN = frozenset({"admin"})
MANAGERS = frozenset({"admin", "manager"})
STAFF = frozenset({"admin", "manager", "cashier"})
TERMINALS = frozenset({"till", "kiosk"})
# A kiosk is a till with fewer powers: no cash drawer, no returns, no cash sessions, no cashiers.
TILLS = frozenset({"till"})
ANYONE_SIGNED_IN = STAFF | TERMINALS | {"printer"}


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str  # "user" or "device"
    id: int
    role: str  # admin, manager, cashier, till, kiosk, printer
    store_id: int | None  # None only for chain-wide admins
    name: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    def can_access(self, location_id: int) -> bool:
        return self.store_id is None or self.store_id == location_id

    def require_location(self, location_id: int) -> None:
        """Invariant 8: a store's staff and devices touch only that store."""
        if not self.can_access(location_id):
            raise Forbidden(
                "this token belongs to another store; use a token of the store you act on",
                location_id=location_id,
            )


def new_token() -> tuple[str, str]:
    """A fresh bearer token and the hash we store of it."""
    token = "plz_" + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Built once: reusing the same statement object spares SQLAlchemy rebuilding and re-adapting
# it on every request (measurable on the lookup benchmark).
_TOKEN_LOOKUP = (
    select(ApiToken.revoked_at, ApiToken.expires_at,
           User.id, User.role, User.store_id, User.username, User.active,
           Device.id, Device.kind, Device.store_id, Device.name, Device.status)
    .outerjoin(User, User.id == ApiToken.user_id)
    .outerjoin(Device, Device.id == ApiToken.device_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def authenticate(session: Session, authorization: str | None) -> Principal:
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized("send 'Authorization: Bearer <token>'; sign in or pair the device")
    token_hash = hash_token(authorization[len("Bearer ") :].strip())
    # Every API request runs this: plain columns through the Core connection, no ORM objects.
    row = session.connection().execute(_TOKEN_LOOKUP, {"token_hash": token_hash}).first()
    if row is None:
        raise Unauthorized("the token is not known; sign in again or re-pair the device")
    (revoked_at, expires_at, user_id, role, user_store, username, active,
     device_id, device_kind, device_store, device_name, device_status) = row
    now = utcnow()
    if revoked_at is not None or (expires_at is not None and expires_at <= now):
        raise Unauthorized("the token has expired or was revoked; sign in again")
    if user_id is not None:
        if not active:
            raise Unauthorized("this account is disabled")
        return Principal("user", user_id, role, user_store, username)
    if device_status != "paired":
        raise Unauthorized("this device was retired; enrol it again with a new pairing code")
    return Principal("device", device_id, device_kind, device_store, device_name)


def require_role(principal: Principal, roles: frozenset[str]) -> None:
    if principal.role not in roles:
        raise Forbidden(
            f"a {principal.role} may not do this; it needs one of: {', '.join(sorted(roles))}"
        )
