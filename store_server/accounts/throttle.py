"""Sign-in throttling: failed attempts counted in the database, so that every worker process
and every server of the chain sees the same count.

Each attempt names what it is counted against: the account (a username, a cashier at a store)
and where it comes from (a client address, a till). Past the limit within the window, that
key is locked for a while and every attempt on it, right or wrong, is answered 429 with
``Retry-After``; the lockout is written to the audit log. A successful sign-in clears its
account's count. Guessing a 4-digit PIN at five tries per five minutes takes weeks, and the
audit log shows it long before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, literal, select, update
from sqlalchemy.orm import Session

from store_server.accounts.models import AuditEntry, SignInThrottle
from store_server.config import default
from store_server.db import is_postgres, transaction, utcnow
from store_server.errors import DomainError


class TooManyAttempts(DomainError):
    status = 429
    code = "too-many-attempts"
    title = "Too many failed attempts"

    def __init__(self, seconds: int) -> None:
        minutes = math.ceil(seconds / 60)
        wait = f"{seconds} seconds" if seconds < 120 else f"{minutes} minutes"
        super().__init__(f"too many failed attempts; try again in {wait}", retry_after_s=seconds)
        self.retry_after = seconds


@dataclass(frozen=True, slots=True)
class ThrottleRules:
    # Defaults and meanings: store_server.config (PLAZA_SIGNIN_*).
    account_limit: int = default("signin_account_limit")  # wrong passwords or PINs for one account
    source_limit: int = default("signin_source_limit")  # from one address or till, any account
    window: timedelta = timedelta(seconds=default("signin_window_s"))
    lockout: timedelta = timedelta(seconds=default("signin_lockout_s"))

    @classmethod
    def from_config(cls, config: Any) -> ThrottleRules:
        return cls(account_limit=int(config["SIGNIN_ACCOUNT_LIMIT"]),
                   source_limit=int(config["SIGNIN_SOURCE_LIMIT"]),
                   window=timedelta(seconds=float(config["SIGNIN_WINDOW_S"])),
                   lockout=timedelta(seconds=float(config["SIGNIN_LOCKOUT_S"])))


@dataclass(frozen=True, slots=True)
class Attempt:
    """One sign-in attempt: the keys it is counted against and who made it."""

    account: str | None  # "account:<username>", "pin:<store id>:<username>"
    source: str | None   # "address:<ip>", "till:<device id>", "pairing:<ip>"
    address: str = ""    # for the audit log

    def keys(self, rules: ThrottleRules) -> list[tuple[str, int]]:
        return [(k, limit) for k, limit in ((self.account, rules.account_limit),
                                            (self.source, rules.source_limit)) if k]


def guard(session: Session, attempt: Attempt, rules: ThrottleRules) -> None:
    """Refuse at once while any key of the attempt is locked."""
    keys = [k for k, _ in attempt.keys(rules)]
    now = utcnow()
    until = session.execute(select(SignInThrottle.locked_until).where(
        SignInThrottle.key.in_(keys), SignInThrottle.locked_until > now)).scalars().all()
    if until:
        raise TooManyAttempts(max(1, math.ceil((max(until) - now).total_seconds())))


def failed(session: Session, attempt: Attempt, rules: ThrottleRules) -> None:
    """Count a failed attempt, in a transaction of its own (the request itself fails); lock
    a key that reached its limit."""
    now = utcnow()
    cutoff = now - rules.window
    with transaction(session):
        for key, limit in attempt.keys(rules):
            if _count(session, key, now, cutoff) < limit:
                continue
            session.execute(update(SignInThrottle).where(SignInThrottle.key == key).values(
                failures=0, window_started_at=now, locked_until=now + rules.lockout))
            session.add(AuditEntry(
                action="sign-in.locked", subject=key, address=attempt.address[:64],
                detail=f"{limit} failed attempts within {rules.window}; locked for {rules.lockout}"))


def succeeded(session: Session, attempt: Attempt) -> None:
    """The right credentials: the account's count starts again (the source's does not)."""
    if attempt.account:
        with transaction(session):
            session.execute(delete(SignInThrottle).where(SignInThrottle.key == attempt.account))


def _count(session: Session, key: str, now: datetime, cutoff: datetime) -> int:
    """Add one failure to ``key`` atomically (an upsert, safe across processes); a window
    that has passed starts again at one."""
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = SignInThrottle.__table__
    stale = table.c.window_started_at < cutoff
    stmt = insert(table).values(key=key, failures=1, window_started_at=now, locked_until=None)
    stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={
        "failures": case((stale, 1), else_=table.c.failures + 1),
        "window_started_at": case((stale, literal(now, table.c.window_started_at.type)),
                                  else_=table.c.window_started_at),
    }).returning(table.c.failures)
    return int(session.execute(stmt).scalar_one())


def audit(session: Session, action: str, subject: str, *, actor: str = "", address: str = "",
          detail: str = "") -> None:
    """Write one audit entry in the caller's transaction."""
    session.add(AuditEntry(action=action, subject=subject[:200], actor=actor[:120],
                           address=address[:64], detail=detail[:500]))
