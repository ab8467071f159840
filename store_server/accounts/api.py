"""HTTP for sign-in (bearer tokens) and staff accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select

from store_server.accounts import service
from store_server.accounts.models import User
from store_server.accounts.service import UserIn
from store_server.accounts.throttle import ThrottleRules
from store_server.api import Ctx, operation
from store_server.api.auth import ANYONE_SIGNED_IN, MANAGERS, STAFF, TILLS

Role = Literal["admin", "manager", "cashier"]


class SignIn(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str = Field(description="send as `Authorization: Bearer <token>`")
    expires_at: datetime
    role: Role
    user: str


class SignInOut(BaseModel):
    """A sign-in (token) as its owner sees it; never the token itself."""

    id: int
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    current: bool = Field(description="the token of this very request")


class SignedOutOut(BaseModel):
    signed_out: bool


class CashierOut(BaseModel):
    username: str
    display_name: str
    role: Role


class CashierPinOut(CashierOut):
    pin_hash: str = Field(description="Argon2id")


class MeOut(BaseModel):
    kind: Literal["user", "device"]
    id: int
    role: str = Field(description="admin, manager, cashier; a device's kind: till, kiosk, printer")
    name: str
    store_id: int | None


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    store: str | None
    active: bool
    has_password: bool
    has_pin: bool


@operation("POST", "/auth/tokens", summary="Sign in: exchange a password for a bearer token",
           tag="auth", roles=None, body=SignIn, response=TokenOut, status=201, problems=(401, 429))
def sign_in(ctx: Ctx, body: SignIn) -> dict[str, Any]:
    """Five wrong passwords for an account (or thirty from one address) within 15 minutes
    lock it for 5 minutes: 429 with Retry-After, whatever the password."""
    user = service.sign_in_with_password(ctx.session, body.username, body.password,
                                         ThrottleRules.from_config(ctx.config), ctx.address)
    return service.issue_user_token(ctx.session, user, label="api sign-in")


class TokensQuery(BaseModel):
    user: str | None = Field(None, max_length=80, description="admins: whose sign-ins to list")


@operation("GET", "/auth/tokens", summary="Your sign-ins (tokens) still in force", tag="auth",
           roles=STAFF, query=TokensQuery, response=list[SignInOut], problems=(404,))
def list_tokens(ctx: Ctx) -> list[dict[str, Any]]:
    return service.list_tokens(ctx.session, ctx.who, ctx.query.user, ctx.presented_token)


@operation("POST", "/auth/tokens/<int:token_id>/revoke", summary="End a sign-in (yours; an admin: anyone's)",
           tag="auth", roles=STAFF, response=SignInOut)
def revoke_token(ctx: Ctx, token_id: int) -> dict[str, Any]:
    return service.revoke_token(ctx.session, ctx.who, token_id, ctx.address)


@operation("POST", "/auth/sign-out", summary="End the sign-in of the token presented", tag="auth",
           roles=STAFF, response=SignedOutOut)
def sign_out(ctx: Ctx) -> dict[str, Any]:
    assert ctx.presented_token is not None
    service.revoke_presented_token(ctx.session, ctx.presented_token)
    return {"signed_out": True}


class PinIn(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    pin: str = Field(min_length=4, max_length=8)


@operation("POST", "/auth/pin", summary="A cashier signs in at a till of their store with a PIN",
           tag="auth", roles=TILLS, body=PinIn, response=CashierOut, problems=(401, 429))
def pin_sign_in(ctx: Ctx, body: PinIn) -> dict[str, Any]:
    """Five wrong PINs for a cashier (or thirty at one till) within 15 minutes lock them out
    for 5 minutes: 429 with Retry-After."""
    assert ctx.who.store_id is not None
    user = service.sign_in_with_pin(ctx.session, body.username, body.pin, ctx.who.store_id, ctx.who.id,
                                    ThrottleRules.from_config(ctx.config), ctx.address)
    return {"username": user.username, "display_name": user.display_name, "role": user.role}


@operation("GET", "/sync/cashiers", summary="This store's cashiers with PIN hashes, for offline sign-in",
           tag="sync", roles=TILLS, response=list[CashierPinOut])
def store_cashiers(ctx: Ctx) -> list[dict[str, Any]]:
    """Tills only (a kiosk has no cashiers). Refetch when the feed carries `cashiers.changed`.
    The hashes are Argon2id."""
    assert ctx.who.store_id is not None
    return service.store_cashiers(ctx.session, ctx.who.store_id)


@operation("GET", "/me", summary="Who this token belongs to", tag="auth", roles=ANYONE_SIGNED_IN,
           response=MeOut)
def me(ctx: Ctx) -> dict[str, Any]:
    p = ctx.who
    return {"kind": p.kind, "id": p.id, "role": p.role, "name": p.name, "store_id": p.store_id}


@operation("POST", "/users", summary="Create a staff account", tag="users", roles=MANAGERS,
           body=UserIn, response=UserOut, status=201, idempotent=True, problems=(404,))
def create_user(ctx: Ctx, body: UserIn) -> dict[str, Any]:
    return service.create_user(ctx.session, body, ctx.who)


@operation("GET", "/users", summary="Staff accounts (a manager sees their store's)",
           tag="users", roles=MANAGERS, response=list[UserOut])
def list_users(ctx: Ctx) -> list[dict[str, Any]]:
    stmt = select(User).order_by(User.username)
    if ctx.who.store_id is not None:
        stmt = stmt.where(User.store_id == ctx.who.store_id)
    return [service.user_document(ctx.session, u) for u in ctx.session.execute(stmt).scalars()]
