"""Domain errors raised by services and mapped once, in the HTTP layer, to RFC 9457 problems.

Each error carries the data a client needs to act (the SKU that is short, the field that is
wrong) and a message that says what to do next.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad-request"
    title = "The request cannot be carried out"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInput(DomainError):
    status = 422
    code = "invalid-input"
    title = "Some of the data is not valid"


class NotFound(DomainError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflicts with the current state"


class AlreadyExists(Conflict):
    code = "already-exists"
    title = "Already exists"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


class InsufficientStock(Conflict):
    code = "insufficient-stock"
    title = "Not enough stock"


class Busy(DomainError):
    """The database kept rolling the request back (deadlocks, lock waits): nothing was changed,
    and the same request a moment later will go through."""

    status = 503
    code = "busy"
    title = "Busy, try again"
    retry_after = 1
