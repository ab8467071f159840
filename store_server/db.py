"""Database engine, declarative base and the unit of work every service runs in.

SQLite is the default (a file in the instance folder, WAL) and PostgreSQL is used when
``DATABASE_URL`` says so. SQLite allows one writer at a time and a transaction that reads and
then writes fails at once under contention, so every *write* transaction starts with
``BEGIN IMMEDIATE`` (SQLAlchemy's documented recipe); read-only work keeps a deferred ``BEGIN``
so readers never queue behind writers.
"""

from __future__ import annotations

import contextvars
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, BigInteger, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("plaza_write", default=False)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always returned timezone-aware.

    SQLite has no time zones; PostgreSQL gets ``timestamptz``. Naive datetimes are refused so
    that a till's local clock can never slip in unlabelled.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Plaza stores only timezone-aware timestamps")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSON documents: JSONB on PostgreSQL, JSON text on SQLite.
JSONDoc = JSON().with_variant(postgresql.JSONB(), "postgresql")
# Integer primary keys that are 64-bit on PostgreSQL and still ROWID aliases on SQLite.
BigID = BigInteger().with_variant(sqlite.INTEGER(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalise_url(url: str) -> str:
    """Accept the usual ``postgres://``/``postgresql://`` URLs and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, *, busy_timeout_ms: int = 10_000, echo: bool = False) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        _configure_sqlite(engine, busy_timeout_ms)
    else:
        engine = create_engine(
            # No pre-ping: it costs a round trip per request; recycle instead so connections
            # dropped by the server or a proxy are replaced within half an hour.
            url, echo=echo, pool_size=10, max_overflow=20, pool_recycle=1800
        )
    return engine


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so our BEGIN is the only one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock up front; a deferred BEGIN that later writes would fail
        # with "database is locked" under contention whatever busy_timeout says.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """The unit of work of a use case: commit on success, roll back on any error.

    Nested calls join the outermost unit of work, so a service can call another service, and
    the API layer can wrap a service together with its idempotency record in one transaction.
    A read-only transaction the session began on its own (say, the token lookup) is ended
    first so the write transaction starts fresh with ``BEGIN IMMEDIATE`` on SQLite.
    """
    if session.info.get("plaza_uow"):
        yield session
        return
    if session.in_transaction():
        session.commit()
    token = _write_intent.set(True)
    session.info["plaza_uow"] = True
    try:
        with session.begin():
            yield session
        session.info["plaza_commits"] = session.info.get("plaza_commits", 0) + 1
    finally:
        session.info["plaza_uow"] = False
        _write_intent.reset(token)


# Deadlock, serialisation failure, lock not available: PostgreSQL rolled the transaction back
# and running it again is safe.
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})
T = TypeVar("T")


def is_transient(exc: BaseException) -> bool:
    """A database error that running the whole transaction again may not meet."""
    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    # SQLite's single writer: busy past busy_timeout.
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def commits(session: Session) -> int:
    """How many units of work this session has committed (see ``retry_transient``)."""
    return int(session.info.get("plaza_commits", 0))


def retry_transient(session: Session, work: Callable[[], T], *, attempts: int = 6,
                    what: str = "transaction") -> T:
    """Run ``work`` again, after a short random pause, when the database rolled it back for a
    transient reason (a deadlock victim, a serialisation failure, SQLite busy).

    Only work that had committed nothing when it failed is run again: a use case that had
    already committed a step (and maybe called a gateway since) is not repeated; the error
    goes up. Whatever was decided inside the failed attempt is gone with its rollback, so
    ``work`` must start from the database again, as a use case does.
    """
    for attempt in range(attempts):
        before = commits(session)
        try:
            return work()
        except DBAPIError as exc:
            if not is_transient(exc) or commits(session) != before or attempt == attempts - 1:
                raise
            session.rollback()
            log.info("%s rolled back (%s); running it again", what, getattr(exc.orig, "sqlstate", exc))
            time.sleep(random.uniform(0, 0.02 * 2**attempt))
    raise AssertionError("unreachable")


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_missing(session: Session, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
    """INSERT rows, skipping any whose unique ``keys`` exist already (also under a race)."""
    if not rows:
        return
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(table).on_conflict_do_nothing(index_elements=keys), rows)
