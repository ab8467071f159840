"""Liveness and readiness, for a load balancer or an orchestrator.

``/healthz`` answers as long as the process serves requests; it touches nothing else, so a
database outage does not get healthy web processes restarted. ``/readyz`` says whether this
server should be sent traffic: the database answers, and its schema is at the migrations'
head (a server started before ``store-server db upgrade`` ran is not ready). Either failure is
a 503 problem that says which.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from flask import Flask, current_app
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from store_server.api.problems import problem

log = logging.getLogger(__name__)


@cache
def migrations_head() -> str | None:
    """The newest migration shipped with this code; read from the scripts once per process."""
    from alembic.script import ScriptDirectory

    from store_server.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def readiness(engine: Any) -> tuple[bool, dict[str, Any]]:
    """Whether the database answers and is migrated to head, with what was found."""
    from alembic.runtime.migration import MigrationContext

    head = migrations_head()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as exc:
        log.warning("not ready: the database does not answer (%s)", type(exc.orig).__name__)
        return False, {"database": "unreachable", "migrations_head": head}
    found = {"database": "ok", "migrations": current, "migrations_head": head}
    return current == head, found


def install_health(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> Any:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> Any:
        ready, found = readiness(current_app.extensions["plaza"].engine)
        if ready:
            return {"status": "ready", **found}
        if found["database"] != "ok":
            response = problem(503, "Not ready", "the database does not answer", "not-ready", found)
        else:
            response = problem(503, "Not ready", f"the database is at migration {found['migrations']}, "
                               f"this code needs {found['migrations_head']}: run 'store-server db upgrade'",
                               "not-ready", found)
        response.headers["Retry-After"] = "5"
        response.headers["Cache-Control"] = "no-store"
        return response
