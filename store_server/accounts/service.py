"""Staff accounts: creating users, checking passwords and PINs (Argon2), issuing tokens."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any, Literal

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store_server.accounts import throttle
from store_server.accounts.models import ApiToken, User
from store_server.accounts.throttle import Attempt, ThrottleRules
from store_server.api.auth import Principal, hash_token, new_token
from store_server.config import Settings
from store_server.db import transaction, utcnow
from store_server.errors import AlreadyExists, Forbidden, NotFound, Unauthorized
from store_server.events.service import record
from store_server.locations.models import Location
from store_server.locations.service import get_location

USER_TOKEN_LIFETIME = timedelta(hours=12)


@cache
def _hasher() -> tuple[PasswordHasher, str]:
    """The password hasher and a hash verified against when the user does not exist (so a
    wrong username costs as long as a wrong password and response times do not reveal which
    accounts exist). RFC 9106's recommended profile in production; the test suite sets
    PLAZA_ARGON2_PROFILE=CHEAPEST so that building a chain of users per test does not cost a
    second. Hashes record their own parameters, so either kind verifies under both settings."""
    hasher = PasswordHasher.from_parameters(getattr(profiles, Settings().argon2_profile))
    return hasher, hasher.hash("plaza-no-such-user")


def hash_secret(secret: str) -> str:
    return _hasher()[0].hash(secret)


def check_secret(stored: str | None, secret: str) -> bool:
    hasher, dummy = _hasher()
    try:
        return hasher.verify(stored or dummy, secret) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


class UserIn(BaseModel):
    username: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,79}$")
    display_name: str = Field("", max_length=120)
    role: Literal["admin", "manager", "cashier"]
    store: str | None = Field(None, description="store code; required for managers and cashiers")
    password: str | None = Field(None, min_length=10, max_length=200)
    pin: str | None = Field(None, description="4 to 8 digits, for the till")

    @field_validator("pin")
    @classmethod
    def _pin(cls, pin: str | None) -> str | None:
        if pin is not None and not (pin.isdigit() and 4 <= len(pin) <= 8):
            raise ValueError("a PIN is 4 to 8 digits")
        return pin

    @model_validator(mode="after")
    def _scope(self) -> UserIn:
        if self.role != "admin" and not self.store:
            raise ValueError("managers and cashiers belong to a store: give 'store'")
        if self.role == "admin" and self.store:
            raise ValueError("admins run the whole chain: leave 'store' out")
        if not self.password and not self.pin:
            raise ValueError("give a password (back office) or a PIN (till), or both")
        return self


def user_document(session: Session, user: User) -> dict[str, Any]:
    store = session.get(Location, user.store_id) if user.store_id else None
    return {
        "id": user.id, "username": user.username, "display_name": user.display_name,
        "role": user.role, "store": store.code if store else None, "active": user.active,
        "has_password": user.password_hash is not None, "has_pin": user.pin_hash is not None,
    }


def create_user(session: Session, data: UserIn, by: Principal | None) -> dict[str, Any]:
    """Admins create anyone; a manager creates cashiers for their own store."""
    with transaction(session):
        store_id = get_location(session, data.store).id if data.store else None
        manager = by is not None and by.role != "admin"
        if manager and (data.role != "cashier" or store_id != by.store_id):  # type: ignore[union-attr]
            raise Forbidden("a manager creates cashiers of their own store only")
        if session.execute(select(User.id).where(User.username == data.username)).first():
            raise AlreadyExists(f"the username {data.username!r} is taken")
        user = User(
            username=data.username, display_name=data.display_name or data.username,
            role=data.role, store_id=store_id,
            password_hash=hash_secret(data.password) if data.password else None,
            pin_hash=hash_secret(data.pin) if data.pin else None,
        )
        session.add(user)
        session.flush()
        out = user_document(session, user)
        record(session, "user.created", "user", user.username, out, location_id=store_id)
        if user.pin_hash and store_id is not None:
            # Tills refetch their store's cashiers on this; PIN hashes never enter the event log.
            record(session, "cashiers.changed", "store", str(store_id), {"store_id": store_id},
                   location_id=store_id)
        return out


def check_password(session: Session, username: str, password: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if not check_secret(user.password_hash if user else None, password) or user is None:
        raise Unauthorized("wrong username or password")
    if not user.active:
        raise Unauthorized("this account is disabled; ask an admin")
    return user


def sign_in_with_password(session: Session, username: str, password: str, rules: ThrottleRules,
                          address: str) -> User:
    """The API's and the back office's sign-in: the password, throttled per account and address."""
    attempt = Attempt(f"account:{username.lower()}", f"address:{address}", address)
    return _throttled(session, attempt, rules, lambda: check_password(session, username, password))


def sign_in_with_pin(session: Session, username: str, pin: str, store_id: int, device_id: int,
                     rules: ThrottleRules, address: str) -> User:
    """A cashier at a till: the PIN, throttled per cashier and per till."""
    attempt = Attempt(f"pin:{store_id}:{username.lower()}", f"till:{device_id}", address)
    return _throttled(session, attempt, rules, lambda: check_pin(session, username, pin, store_id))


def _throttled(session: Session, attempt: Attempt, rules: ThrottleRules, check: Any) -> User:
    throttle.guard(session, attempt, rules)
    try:
        user = check()
    except Unauthorized:
        session.rollback()
        throttle.failed(session, attempt, rules)
        raise
    throttle.succeeded(session, attempt)
    return user


def check_pin(session: Session, username: str, pin: str, store_id: int) -> User:
    """A cashier's PIN at a till of their own store."""
    user = session.execute(
        select(User).where(User.username == username, User.store_id == store_id)
    ).scalar_one_or_none()
    if not check_secret(user.pin_hash if user else None, pin) or user is None or not user.active:
        raise Unauthorized("wrong cashier or PIN")
    return user


def store_cashiers(session: Session, store_id: int) -> list[dict[str, Any]]:
    """The store's staff who sign in at a till, with their PIN hashes (Argon2): a till keeps
    them to let cashiers sign in while the server is out of reach."""
    return [
        {"username": u.username, "display_name": u.display_name, "role": u.role,
         "pin_hash": u.pin_hash}
        for u in session.execute(
            select(User).where(User.store_id == store_id, User.active.is_(True),
                               User.pin_hash.is_not(None)).order_by(User.username)).scalars()
    ]


def issue_user_token(session: Session, user: User, label: str = "",
                     lifetime: timedelta = USER_TOKEN_LIFETIME) -> dict[str, Any]:
    with transaction(session):
        token, token_hash = new_token()
        expires = utcnow() + lifetime
        session.add(ApiToken(token_hash=token_hash, user_id=user.id, label=label,
                             expires_at=expires))
        session.get(User, user.id).last_login_at = utcnow()  # type: ignore[union-attr]
        return {"token": token, "expires_at": expires.isoformat(), "role": user.role,
                "user": user.username}


def token_document(token: ApiToken, current_hash: str | None = None) -> dict[str, Any]:
    return {"id": token.id, "label": token.label, "created_at": token.created_at.isoformat(),
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
            "current": token.token_hash == current_hash}


def list_tokens(session: Session, who: Principal, username: str | None = None,
                current: str | None = None) -> list[dict[str, Any]]:
    """A user's sign-ins still in force (their own; an admin may ask for anyone's)."""
    user_id = who.id
    if username is not None and username != who.name:
        if who.role != "admin":
            raise Forbidden("only an admin sees other people's sign-ins")
        found = session.execute(select(User.id).where(User.username == username)).scalar_one_or_none()
        if found is None:
            raise NotFound(f"no user {username}")
        user_id = found
    now = utcnow()
    tokens = session.execute(select(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None),
        (ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now)).order_by(ApiToken.id)).scalars()
    current_hash = hash_token(current) if current else None
    return [token_document(t, current_hash) for t in tokens]


def revoke_token(session: Session, who: Principal, token_id: int, address: str = "") -> dict[str, Any]:
    """End a sign-in: your own, or anyone's for an admin. Answers 404 for a token that is
    not yours, so ids cannot be probed."""
    with transaction(session):
        token = session.get(ApiToken, token_id, with_for_update=True)
        if token is None or token.user_id is None or (token.user_id != who.id and who.role != "admin"):
            raise NotFound(f"no sign-in {token_id} of yours")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            owner = session.get(User, token.user_id)
            throttle.audit(session, "token.revoked", f"user:{owner.username if owner else token.user_id}",
                           actor=who.key, address=address, detail=f"token {token.id} ({token.label})")
        return token_document(token)


def revoke_presented_token(session: Session, token: str) -> None:
    """Sign out: the token (or back-office session) presented is ended at once."""
    with transaction(session):
        session.execute(update(ApiToken).where(ApiToken.token_hash == hash_token(token),
                                               ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow()))
